// Header-only C++ helpers over the C plugin ABI (plugin_abi.h).
//
// A plugin written with these helpers defines a class with two static functions,
//
//   static double probe(std::string_view head) noexcept;
//   static rex::sdk::Status parse(rex::sdk::Emitter& out, std::string_view padded_document);
//
// and exports it with REX_DOCUMENT_PLUGIN(Class, "name", "version", "description").
//
// A line-stream plugin (log files) defines a class with
//
//   static double probe(std::string_view head) noexcept;   // head: the first bytes of the file
//   explicit Class(rex::sdk::Emitter& out);                // one instance per stream; declare
//                                                          // families here, ids stay valid
//   rex::sdk::Status line(rex::sdk::Emitter& out, std::string_view line);
//
// and exports it with REX_LINE_STREAM_PLUGIN(Class, "name", "version", "description").
// The macros wrap every export in a catch-all, so no exception ever crosses the ABI.
#ifndef RESULTS_EXPORTER_PLUGIN_SDK_HPP
#define RESULTS_EXPORTER_PLUGIN_SDK_HPP

#include <results_exporter/plugin_abi.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rex::sdk {

inline rex_str to_rex(std::string_view s) noexcept { return rex_str{s.data(), s.size()}; }

struct Label {
  std::string_view name;
  std::string_view value;
};

// A status plus the message that explains it.
struct Status {
  rex_status code = REX_STATUS_OK;
  std::string message;

  static Status ok() { return {}; }
  static Status parse_error(std::string m) { return {REX_STATUS_PARSE_ERROR, std::move(m)}; }
  static Status schema_error(std::string m) { return {REX_STATUS_SCHEMA_ERROR, std::move(m)}; }
};

// Label lists are small; they are converted on the stack.
class LabelArray {
 public:
  static constexpr std::size_t kMax = 16;
  explicit LabelArray(std::span<const Label> labels) noexcept {
    for (const Label& l : labels) {
      if (size_ == kMax) break;
      data_[size_++] = rex_label{to_rex(l.name), to_rex(l.value)};
    }
  }
  const rex_label* data() const noexcept { return data_.data(); }
  std::size_t size() const noexcept { return size_; }

 private:
  std::array<rex_label, kMax> data_{};
  std::size_t size_ = 0;
};

// Observations of one histogram series, aggregated inside the plugin and merged into the host once.
class LocalHistogram {
 public:
  LocalHistogram() = default;
  explicit LocalHistogram(std::span<const double> bounds)
      : bounds_(bounds.begin(), bounds.end()), counts_(bounds.size() + 1, 0) {}

  void observe(double v) noexcept {
    std::size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i]) ++i;  // le semantics: v <= bound
    ++counts_[i];
    sum_ += v;
  }
  bool empty() const noexcept {
    for (auto c : counts_)
      if (c) return false;
    return true;
  }
  const std::vector<uint64_t>& counts() const noexcept { return counts_; }
  double sum() const noexcept { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
};

// The plugin's view of the host during one call.
class Emitter {
 public:
  explicit Emitter(const rex_host* host) noexcept : host_(host) {}

  int32_t counter(std::string_view name, std::string_view help) noexcept {
    return declare(name, help, REX_METRIC_COUNTER, {});
  }
  int32_t gauge(std::string_view name, std::string_view help) noexcept {
    return declare(name, help, REX_METRIC_GAUGE, {});
  }
  int32_t histogram(std::string_view name, std::string_view help,
                    std::span<const double> bounds) noexcept {
    return declare(name, help, REX_METRIC_HISTOGRAM, bounds);
  }

  void add(int32_t family, std::initializer_list<Label> labels, double v) noexcept {
    add(family, std::span<const Label>(labels.begin(), labels.size()), v);
  }
  void add(int32_t family, std::span<const Label> labels, double v) noexcept {
    LabelArray a(labels);
    host_->counter_add(host_->ctx, family, a.data(), a.size(), v);
  }
  void set(int32_t family, std::initializer_list<Label> labels, double v) noexcept {
    set(family, std::span<const Label>(labels.begin(), labels.size()), v);
  }
  void set(int32_t family, std::span<const Label> labels, double v) noexcept {
    LabelArray a(labels);
    host_->gauge_set(host_->ctx, family, a.data(), a.size(), v);
  }
  void observe(int32_t family, std::initializer_list<Label> labels, double v) noexcept {
    LabelArray a(std::span<const Label>(labels.begin(), labels.size()));
    host_->histogram_observe(host_->ctx, family, a.data(), a.size(), v);
  }
  void merge(int32_t family, std::span<const Label> labels, const LocalHistogram& h) noexcept {
    LabelArray a(labels);
    host_->histogram_merge(host_->ctx, family, a.data(), a.size(), h.counts().data(),
                           h.counts().empty() ? 0 : h.counts().size() - 1, h.sum());
  }
  void timestamp(double unix_seconds) noexcept {
    host_->set_document_timestamp(host_->ctx, unix_seconds);
  }
  void skipped(std::string_view reason) noexcept {
    host_->record_skipped(host_->ctx, to_rex(reason));
  }
  void log(rex_log_level level, std::string_view message) noexcept {
    host_->log(host_->ctx, level, to_rex(message));
  }
  const rex_host* raw() const noexcept { return host_; }

 private:
  int32_t declare(std::string_view name, std::string_view help, rex_metric_type type,
                  std::span<const double> bounds) noexcept {
    rex_family_desc d{};
    d.struct_size = sizeof(rex_family_desc);
    d.name = to_rex(name);
    d.help = to_rex(help);
    d.type = type;
    d.bucket_bounds = bounds.data();
    d.bucket_count = bounds.size();
    return host_->declare_family(host_->ctx, &d);
  }

  const rex_host* host_;
};

// Reads a decimal number written as text ("5", "3.2", " 1e3 "). Returns false on anything else.
inline bool parse_number_text(std::string_view s, double& out) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return false;
  out = v;
  return true;
}

// Finds `needle` within the probe head; a cheap signal for probe().
inline bool head_contains(std::string_view head, std::string_view needle) noexcept {
  return head.find(needle) != std::string_view::npos;
}

namespace detail {

inline void report(const rex_host* host, const Status& s) noexcept {
  if (s.code != REX_STATUS_OK && !s.message.empty()) host->set_error(host->ctx, to_rex(s.message));
}

// Runs one plugin call that yields a Status: reports its message, and turns any exception into
// REX_STATUS_INTERNAL_ERROR, so nothing crosses the ABI.
template <class Call>
rex_status guarded(const rex_host* host, Call&& call) noexcept {
  try {
    Emitter out(host);
    Status s = call(out);
    report(host, s);
    return s.code;
  } catch (const std::exception& e) {
    host->set_error(host->ctx, to_rex(e.what()));
    return REX_STATUS_INTERNAL_ERROR;
  } catch (...) {
    host->set_error(host->ctx, to_rex("unknown exception in plugin"));
    return REX_STATUS_INTERNAL_ERROR;
  }
}

template <class Impl>
rex_status parse_document(const rex_host* host, const char* data, size_t len) noexcept {
  return guarded(host, [&](Emitter& out) { return Impl::parse(out, std::string_view(data, len)); });
}

template <class Impl>
double probe(const char* head, size_t len) noexcept {
  try {
    return Impl::probe(std::string_view(head, len));
  } catch (...) {
    return 0.0;
  }
}

template <class Impl>
rex_stream* stream_create(const rex_host* host) noexcept {
  try {
    Emitter out(host);
    return reinterpret_cast<rex_stream*>(new Impl(out));
  } catch (const std::exception& e) {
    host->log(host->ctx, REX_LOG_ERROR, to_rex(e.what()));
    return nullptr;
  } catch (...) {
    return nullptr;
  }
}

template <class Impl>
rex_status stream_feed_line(rex_stream* stream, const rex_host* host, const char* line,
                            size_t len) noexcept {
  return guarded(host, [&](Emitter& out) {
    return reinterpret_cast<Impl*>(stream)->line(out, std::string_view(line, len));
  });
}

template <class Impl>
void stream_destroy(rex_stream* stream) noexcept {
  delete reinterpret_cast<Impl*>(stream);
}

}  // namespace detail
}  // namespace rex::sdk

#define REX_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))

// Defines the entry symbol of a document plugin implemented by class IMPL.
#define REX_DOCUMENT_PLUGIN(IMPL, NAME, VERSION, DESCRIPTION)               \
  REX_PLUGIN_EXPORT const rex_plugin* results_exporter_plugin_entry(void) { \
    static const rex_plugin descriptor = {                                  \
        sizeof(rex_plugin),                                                 \
        REX_ABI_VERSION_MAJOR,                                              \
        REX_ABI_VERSION_MINOR,                                              \
        NAME,                                                               \
        VERSION,                                                            \
        DESCRIPTION,                                                        \
        REX_PLUGIN_DOCUMENT,                                                \
        &::rex::sdk::detail::probe<IMPL>,                                   \
        &::rex::sdk::detail::parse_document<IMPL>,                          \
        nullptr,                                                            \
        nullptr,                                                            \
        nullptr,                                                            \
    };                                                                      \
    return &descriptor;                                                     \
  }

// Defines the entry symbol of a line-stream plugin implemented by class IMPL.
#define REX_LINE_STREAM_PLUGIN(IMPL, NAME, VERSION, DESCRIPTION)            \
  REX_PLUGIN_EXPORT const rex_plugin* results_exporter_plugin_entry(void) { \
    static const rex_plugin descriptor = {                                  \
        sizeof(rex_plugin),                                                 \
        REX_ABI_VERSION_MAJOR,                                              \
        REX_ABI_VERSION_MINOR,                                              \
        NAME,                                                               \
        VERSION,                                                            \
        DESCRIPTION,                                                        \
        REX_PLUGIN_LINE_STREAM,                                             \
        &::rex::sdk::detail::probe<IMPL>,                                   \
        nullptr,                                                            \
        &::rex::sdk::detail::stream_create<IMPL>,                           \
        &::rex::sdk::detail::stream_feed_line<IMPL>,                        \
        &::rex::sdk::detail::stream_destroy<IMPL>,                          \
    };                                                                      \
    return &descriptor;                                                     \
  }

#endif  // RESULTS_EXPORTER_PLUGIN_SDK_HPP
