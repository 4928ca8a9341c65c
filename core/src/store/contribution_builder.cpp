#include "store/contribution_builder.hpp"

#include <spdlog/spdlog.h>
#include <algorithm>
#include <cmath>

namespace rex::store {

namespace {
constexpr size_t kMaxSkipReasons = 5;
constexpr size_t kMaxLabels = 32;

std::string_view view(rex_str s) noexcept {
  return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view();
}
}  // namespace

const char* to_string(MetricType t) noexcept {
  switch (t) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "untyped";
}

// The C callbacks: each recovers the builder from the opaque context and never throws.
struct ContributionBuilder::Callbacks {
  static ContributionBuilder& self(rex_host_ctx* ctx) {
    return *reinterpret_cast<ContributionBuilder*>(ctx);
  }
  static int32_t declare_family(rex_host_ctx* ctx, const rex_family_desc* desc) noexcept try {
    return self(ctx).declare(desc);
  } catch (...) {
    self(ctx).fail("out of memory declaring a family");
    return -1;
  }
  static void scalar(rex_host_ctx* ctx, int32_t fam, const rex_label* labels, size_t n, double v,
                     MetricType type) noexcept try {
    auto& b = self(ctx);
    FamilyData* f = b.family(fam, type);
    if (!f) return;
    if (!std::isfinite(v) && type == MetricType::counter) {
      b.skip("counter " + f->meta.name + " given a non-finite value");
      return;
    }
    if (type == MetricType::counter && v < 0) {
      b.skip("counter " + f->meta.name + " given a negative increment");
      return;
    }
    if (!b.make_labels(*f, labels, n, b.scratch_)) return;
    auto [it, inserted] = f->scalars.try_emplace(b.scratch_, 0.0);
    if (type == MetricType::counter) {
      if (!std::isfinite(it->second + v)) {
        b.skip("counter " + f->meta.name + " would overflow");
        return;
      }
      it->second += v;
    } else {
      it->second = v;
    }
  } catch (...) {
    self(ctx).fail("out of memory adding a sample");
  }
  static void counter_add(rex_host_ctx* ctx, int32_t fam, const rex_label* labels, size_t n,
                          double v) noexcept {
    scalar(ctx, fam, labels, n, v, MetricType::counter);
  }
  static void gauge_set(rex_host_ctx* ctx, int32_t fam, const rex_label* labels, size_t n,
                        double v) noexcept {
    scalar(ctx, fam, labels, n, v, MetricType::gauge);
  }
  static HistogramValue* series(ContributionBuilder& b, FamilyData& f, const rex_label* labels,
                                size_t n) {
    if (!b.make_labels(f, labels, n, b.scratch_)) return nullptr;
    auto [it, inserted] = f.histograms.try_emplace(b.scratch_);
    if (inserted) it->second.bucket_counts.assign(f.meta.bucket_bounds.size() + 1, 0);
    return &it->second;
  }
  static void histogram_observe(rex_host_ctx* ctx, int32_t fam, const rex_label* labels, size_t n,
                                double v) noexcept try {
    auto& b = self(ctx);
    FamilyData* f = b.family(fam, MetricType::histogram);
    if (!f) return;
    if (!std::isfinite(v)) {
      b.skip("histogram " + f->meta.name + " given a value that is not finite");
      return;
    }
    HistogramValue* h = series(b, *f, labels, n);
    if (!h) return;
    if (!std::isfinite(h->sum + v)) {
      b.skip("histogram " + f->meta.name + " observation would make its sum overflow");
      return;
    }
    const auto& bounds = f->meta.bucket_bounds;
    size_t i =
        static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
    ++h->bucket_counts[i];
    h->sum += v;
  } catch (...) {
    self(ctx).fail("out of memory observing a histogram");
  }
  static void histogram_merge(rex_host_ctx* ctx, int32_t fam, const rex_label* labels, size_t n,
                              const uint64_t* counts, size_t bucket_count, double sum) noexcept
      try {
    auto& b = self(ctx);
    FamilyData* f = b.family(fam, MetricType::histogram);
    if (!f) return;
    if (bucket_count != f->meta.bucket_bounds.size() || !counts) {
      b.fail("histogram_merge into " + f->meta.name + " with " + std::to_string(bucket_count) +
             " buckets, the family has " + std::to_string(f->meta.bucket_bounds.size()));
      return;
    }
    if (!std::isfinite(sum)) {
      b.skip("histogram " + f->meta.name + " merged with a sum that is not finite");
      return;
    }
    HistogramValue* h = series(b, *f, labels, n);
    if (!h) return;
    if (!std::isfinite(h->sum + sum)) {
      b.skip("histogram " + f->meta.name + " merge would make its sum overflow");
      return;
    }
    for (size_t i = 0; i <= bucket_count; ++i) h->bucket_counts[i] += counts[i];
    h->sum += sum;
  } catch (...) {
    self(ctx).fail("out of memory merging a histogram");
  }
  static void set_document_timestamp(rex_host_ctx* ctx, double t) noexcept {
    if (std::isfinite(t)) self(ctx).contribution_.timestamp = t;
  }
  static void record_skipped(rex_host_ctx* ctx, rex_str reason) noexcept try {
    self(ctx).skip(std::string(view(reason)));
  } catch (...) {
  }
  static void set_error(rex_host_ctx* ctx, rex_str message) noexcept try {
    self(ctx).plugin_error_.assign(view(message));
  } catch (...) {
  }
  static void log(rex_host_ctx*, rex_log_level level, rex_str message) noexcept try {
    auto lvl = level == REX_LOG_ERROR  ? spdlog::level::err
               : level == REX_LOG_WARN ? spdlog::level::warn
               : level == REX_LOG_INFO ? spdlog::level::info
                                       : spdlog::level::debug;
    spdlog::log(lvl, "plugin: {}", view(message));
  } catch (...) {
  }
};

ContributionBuilder::ContributionBuilder(LabelSet constant_labels)
    : constant_labels_(std::move(constant_labels)) {
  host_.struct_size = sizeof(rex_host);
  host_.ctx = reinterpret_cast<rex_host_ctx*>(this);
  host_.declare_family = &Callbacks::declare_family;
  host_.counter_add = &Callbacks::counter_add;
  host_.gauge_set = &Callbacks::gauge_set;
  host_.histogram_observe = &Callbacks::histogram_observe;
  host_.histogram_merge = &Callbacks::histogram_merge;
  host_.set_document_timestamp = &Callbacks::set_document_timestamp;
  host_.record_skipped = &Callbacks::record_skipped;
  host_.set_error = &Callbacks::set_error;
  host_.log = &Callbacks::log;
}

bool ContributionBuilder::valid_metric_name(std::string_view n) noexcept {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool ContributionBuilder::valid_label_name(std::string_view n) noexcept {
  if (n.empty() || n.starts_with("__")) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool ContributionBuilder::valid_utf8(std::string_view s) noexcept {
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  while (i < s.size()) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 9;
    if (n == 9 || c == 0xC0 || c == 0xC1 || c > 0xF4 || i + n >= s.size()) return false;
    uint32_t cp = c & (0x3F >> n);
    for (size_t k = 1; k <= n; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

int32_t ContributionBuilder::declare(const rex_family_desc* desc) {
  if (!desc || desc->struct_size < sizeof(rex_family_desc)) {
    fail("declare_family with a missing or short descriptor");
    return -1;
  }
  FamilyMeta meta;
  meta.name.assign(view(desc->name));
  meta.help.assign(view(desc->help));
  if (!valid_metric_name(meta.name)) {
    fail("invalid metric family name '" + meta.name + "'");
    return -1;
  }
  if (meta.name.starts_with("results_exporter_")) {
    fail("family name '" + meta.name + "' is reserved for the server's own metrics");
    return -1;
  }
  switch (desc->type) {
    case REX_METRIC_COUNTER:
      meta.type = MetricType::counter;
      break;
    case REX_METRIC_GAUGE:
      meta.type = MetricType::gauge;
      break;
    case REX_METRIC_HISTOGRAM:
      meta.type = MetricType::histogram;
      break;
    default:
      fail("family '" + meta.name + "' has an unknown type");
      return -1;
  }
  if (meta.type == MetricType::histogram) {
    if (desc->bucket_count > 0 && !desc->bucket_bounds) {
      fail("histogram '" + meta.name + "' declares buckets without bounds");
      return -1;
    }
    meta.bucket_bounds.assign(desc->bucket_bounds, desc->bucket_bounds + desc->bucket_count);
    for (size_t i = 0; i < meta.bucket_bounds.size(); ++i) {
      if (!std::isfinite(meta.bucket_bounds[i]) ||
          (i > 0 && meta.bucket_bounds[i] <= meta.bucket_bounds[i - 1])) {
        fail("histogram '" + meta.name + "' bucket bounds must be finite and increasing");
        return -1;
      }
    }
  }
  auto [it, inserted] = contribution_.families.try_emplace(meta.name);
  if (!inserted) {
    if (!it->second.meta.same_shape(meta)) {
      fail("family '" + meta.name + "' declared twice with different types or buckets");
      return -1;
    }
  } else {
    it->second.meta = std::move(meta);
  }
  for (size_t i = 0; i < declared_.size(); ++i)
    if (declared_[i] == &it->second) return static_cast<int32_t>(i);
  declared_.push_back(&it->second);
  return static_cast<int32_t>(declared_.size() - 1);
}

FamilyData* ContributionBuilder::family(int32_t id, MetricType expected) {
  if (id < 0 || static_cast<size_t>(id) >= declared_.size()) {
    fail("sample emitted into an undeclared family id " + std::to_string(id));
    return nullptr;
  }
  FamilyData* f = declared_[static_cast<size_t>(id)];
  if (f->meta.type != expected) {
    fail(std::string("sample of the wrong type for ") + to_string(f->meta.type) + " '" +
         f->meta.name + "'");
    return nullptr;
  }
  return f;
}

bool ContributionBuilder::make_labels(FamilyData& f, const rex_label* labels, size_t n,
                                      LabelSet& out) {
  out.clear();
  if (n > kMaxLabels || (n > 0 && !labels)) {
    skip("sample of " + f.meta.name + " has too many labels");
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    std::string_view name = view(labels[i].name), value = view(labels[i].value);
    if (!valid_label_name(name) || (f.meta.type == MetricType::histogram && name == "le")) {
      skip("sample of " + f.meta.name + " has an invalid label name '" + std::string(name) + "'");
      return false;
    }
    if (!valid_utf8(value)) {
      skip("sample of " + f.meta.name + " has a label value that is not UTF-8");
      return false;
    }
    bool overridden = std::any_of(constant_labels_.begin(), constant_labels_.end(),
                                  [&](const auto& c) { return c.first == name; });
    if (!overridden) out.emplace_back(name, value);
  }
  out.insert(out.end(), constant_labels_.begin(), constant_labels_.end());
  std::sort(out.begin(), out.end());
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].first == out[i - 1].first) {
      skip("sample of " + f.meta.name + " repeats label '" + out[i].first + "'");
      return false;
    }
  }
  return true;
}

void ContributionBuilder::skip(std::string reason) {
  ++contribution_.records_skipped;
  if (contribution_.skip_reasons.size() < kMaxSkipReasons)
    contribution_.skip_reasons.push_back(std::move(reason));
}

void ContributionBuilder::fail(std::string message) {
  if (emit_error_.empty()) emit_error_ = std::move(message);
}

std::shared_ptr<const Contribution> ContributionBuilder::snapshot() const {
  return std::make_shared<const Contribution>(contribution_);
}

std::shared_ptr<const Contribution> ContributionBuilder::finish() {
  return std::make_shared<const Contribution>(std::move(contribution_));
}

}  // namespace rex::store
