// Shared logic of the two OSWorld result plugins (osworld_detailed, osworld_tasks).
//
// Both shapes are one JSON object whose task entries sit in one top-level array; they differ only
// in the array's key and in the name of the duration field. The document is walked once with
// simdjson On-Demand, entries are aggregated per category inside the plugin, and every series is
// emitted once at the end (a 1M-entry document costs a few dozen host callbacks, not millions).
//
// Entry semantics (schemas/osworld_*/README.md):
//   category       a string -> label; absent, null or "" -> series without the label; else: skip
//   success        required JSON boolean; else: skip entry
//   duration field optional number or numeric string >= 0 (execution_time / duration); null is
//                  absent; else: skip entry
//   steps_taken    optional number or numeric string >= 0; null is absent; else: skip entry
//   error          a non-empty string makes a failure an "error" failure; anything else: no error
//   backend        a string: "mock" is mock, any other string real; other kinds are ignored
// Duplicate keys: the last occurrence wins (as in Python's json module).
#ifndef RESULTS_EXPORTER_OSWORLD_AGGREGATE_HPP
#define RESULTS_EXPORTER_OSWORLD_AGGREGATE_HPP

#include <results_exporter/plugin_sdk.hpp>

#include <simdjson.h>
#include <results_exporter/sdk_json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rex::osworld {

namespace ondemand = simdjson::ondemand;
using rex::sdk::Emitter;
using rex::sdk::Label;
using rex::sdk::Status;

inline constexpr std::array<double, 11> kDurationBounds = {0.5, 1,  2.5, 5,   10, 20,
                                                           30,  60, 120, 300, 600};
inline constexpr std::array<double, 10> kStepsBounds = {1, 2, 3, 5, 8, 10, 15, 20, 30, 50};

// Family names and help texts. Both plugins declare the same families, so they must agree exactly.
inline constexpr std::string_view kTasksTotal = "osworld_tasks_total";
inline constexpr std::string_view kTasksTotalHelp =
    "Task entries in OSWorld results, summed over documents.";
inline constexpr std::string_view kTasksFailed = "osworld_tasks_failed";
inline constexpr std::string_view kTasksFailedHelp =
    "Failed task entries in OSWorld results by failure reason (error: the task raised), summed "
    "over "
    "documents.";
inline constexpr std::string_view kDuration = "osworld_task_duration_seconds";
inline constexpr std::string_view kDurationHelp =
    "Duration of OSWorld tasks in seconds, by outcome, summed over documents.";
inline constexpr std::string_view kSteps = "osworld_steps_per_task";
inline constexpr std::string_view kStepsHelp =
    "Steps taken per OSWorld task, summed over documents.";
inline constexpr std::string_view kSuccessRate = "osworld_benchmark_success_rate";
inline constexpr std::string_view kSuccessRateHelp =
    "Percent (0-100) of OSWorld task entries that succeeded, per category, in the newest document.";
inline constexpr std::string_view kMockVsReal = "osworld_mock_vs_real";
inline constexpr std::string_view kMockVsRealHelp =
    "Percent (0-100) of OSWorld task entries run on the mock backend vs real backends, in the "
    "newest "
    "document.";

// What distinguishes the two document shapes.
struct Schema {
  std::string_view array_key;     // "detailed_results" or "tasks"
  std::string_view duration_key;  // "execution_time" or "duration"
};

// A histogram series over fixed bucket bounds: no allocation, branch-free bucket search (the
// per-entry hot path; rex::sdk::LocalHistogram is the general-purpose version).
template <std::size_t N>
struct FixedHistogram {
  std::array<uint64_t, N + 1> counts{};  // non-cumulative; the last one is +Inf
  double sum = 0;

  void observe(const std::array<double, N>& bounds, double v) noexcept {
    std::size_t i = 0;
    for (double b : bounds) i += v > b ? 1 : 0;  // le semantics: v lands in the first bound >= v
    ++counts[i];
    sum += v;
  }
  bool empty() const noexcept {
    for (uint64_t c : counts)
      if (c != 0) return false;
    return true;
  }
  void merge_into(Emitter& out, int32_t family, std::span<const Label> labels) const noexcept {
    const rex::sdk::LabelArray a(labels);
    const rex_host* h = out.raw();
    h->histogram_merge(h->ctx, family, a.data(), a.size(), counts.data(), N, sum);
  }
};

// Everything one category contributes.
struct CategoryStats {
  uint64_t total = 0;
  uint64_t succeeded = 0;
  uint64_t failed_error = 0;
  uint64_t failed_plain = 0;
  FixedHistogram<kDurationBounds.size()> duration[2];  // [0]: failed, [1]: success
  FixedHistogram<kStepsBounds.size()> steps;
};

// Per-document aggregate: a small map keyed by category plus the backend tally.
class Aggregate {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  // The index of a known, non-empty category, or npos. Cheap for the usual handful of categories.
  std::size_t find(std::string_view category) noexcept {
    if (last_ < names_.size() && names_[last_] == category) return last_;
    if (names_.size() <= kLinearScan) {
      for (std::size_t i = 0; i < names_.size(); ++i)
        if (names_[i] == category) return last_ = i;
      return npos;
    }
    auto it = index_.find(category);
    return it == index_.end() ? npos : (last_ = it->second);
  }

  // The stats of category `known` (an index from find()), else of `category`, created on first
  // use; `has_category` false or an empty name is the unlabelled group.
  CategoryStats& slot(std::size_t known, bool has_category, std::string_view category) {
    if (known != npos) return stats_[known];
    if (!has_category || category.empty()) {
      if (!unlabelled_) unlabelled_ = std::make_unique<CategoryStats>();
      return *unlabelled_;
    }
    std::size_t i = find(category);
    if (i == npos) {
      i = names_.size();
      names_.emplace_back(category);
      stats_.emplace_back();
      index_.emplace(names_.back(), i);
    }
    last_ = i;
    return stats_[i];
  }

  void count_backend(bool mock) noexcept { ++(mock ? backend_mock_ : backend_real_); }

  void clear() {
    index_.clear();
    names_.clear();
    stats_.clear();
    unlabelled_.reset();
    last_ = 0;
    backend_mock_ = backend_real_ = 0;
  }

  // Declares the families that get series and emits each series once.
  void emit(Emitter& out) const {
    Families f;
    for (std::size_t i = 0; i < names_.size(); ++i)
      emit_category(out, f, true, names_[i], stats_[i]);
    if (unlabelled_) emit_category(out, f, false, {}, *unlabelled_);
    const uint64_t with_backend = backend_mock_ + backend_real_;
    if (with_backend > 0) {
      const int32_t id = out.gauge(kMockVsReal, kMockVsRealHelp);
      if (id >= 0) {
        const double n = static_cast<double>(with_backend);
        out.set(id, {{"backend_type", "mock"}}, 100.0 * static_cast<double>(backend_mock_) / n);
        out.set(id, {{"backend_type", "real"}}, 100.0 * static_cast<double>(backend_real_) / n);
      }
    }
  }

 private:
  static constexpr std::size_t kLinearScan = 16;

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  // Family ids, declared on first use (-2: not declared yet; -1: the host refused it).
  struct Families {
    int32_t total = -2, failed = -2, duration = -2, steps = -2, rate = -2;
  };

  static void emit_category(Emitter& out, Families& f, bool labelled, std::string_view category,
                            const CategoryStats& s) {
    if (s.total == 0) return;
    if (f.total == -2) f.total = out.counter(kTasksTotal, kTasksTotalHelp);
    if (f.failed == -2) f.failed = out.counter(kTasksFailed, kTasksFailedHelp);
    if (f.rate == -2) f.rate = out.gauge(kSuccessRate, kSuccessRateHelp);

    // The category label, when there is one, comes first.
    Label labels[2] = {{"category", category}, {}};
    const std::size_t base = labelled ? 1 : 0;
    auto with = [&](std::string_view name, std::string_view value) {
      labels[base] = Label{name, value};
      return std::span<const Label>(labels, base + 1);
    };
    const std::span<const Label> plain(labels, base);

    if (f.total >= 0) out.add(f.total, plain, static_cast<double>(s.total));
    if (f.failed >= 0) {  // both reasons, also when zero: a measured zero is data
      out.add(f.failed, with("failure_reason", "error"), static_cast<double>(s.failed_error));
      out.add(f.failed, with("failure_reason", "failed"), static_cast<double>(s.failed_plain));
    }
    if (!s.duration[1].empty() || !s.duration[0].empty()) {
      if (f.duration == -2) f.duration = out.histogram(kDuration, kDurationHelp, kDurationBounds);
      if (f.duration >= 0) {
        if (!s.duration[1].empty())
          s.duration[1].merge_into(out, f.duration, with("status", "success"));
        if (!s.duration[0].empty())
          s.duration[0].merge_into(out, f.duration, with("status", "failed"));
      }
    }
    if (!s.steps.empty()) {
      if (f.steps == -2) f.steps = out.histogram(kSteps, kStepsHelp, kStepsBounds);
      if (f.steps >= 0) s.steps.merge_into(out, f.steps, plain);
    }
    if (f.rate >= 0)
      out.set(f.rate, plain,
              100.0 * static_cast<double>(s.succeeded) / static_cast<double>(s.total));
  }

  std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> index_;
  std::vector<std::string> names_;  // first-appearance order, so the output order is stable
  std::vector<CategoryStats> stats_;
  std::unique_ptr<CategoryStats> unlabelled_;
  std::size_t last_ = 0;
  uint64_t backend_mock_ = 0;
  uint64_t backend_real_ = 0;
};

namespace detail {

inline std::string json_error(std::string_view what, simdjson::error_code e) {
  std::string m(what);
  m += ": ";
  m += simdjson::error_message(e);
  return m;
}

using rex::sdk::is_json_number;

// Outcome of reading one numeric field.
// `null` counts as absent: Python writes None for a figure it does not have.
enum class Num { ok, absent, wrong_kind, negative, invalid_json };

// The rare paths of read_number(), kept out of line so the common one stays small.
[[gnu::noinline]] inline Num read_number_slow(ondemand::value& v, double& out,
                                              simdjson::error_code err) noexcept {
  if (err == simdjson::NUMBER_ERROR) {
    // Valid JSON whose magnitude a double cannot hold (1e400) is a value of the wrong kind.
    return is_json_number(v.raw_json_token()) ? Num::wrong_kind : Num::invalid_json;
  }
  ondemand::json_type t;
  if (err != simdjson::INCORRECT_TYPE || v.type().get(t)) return Num::invalid_json;
  if (t == ondemand::json_type::null) return Num::absent;
  if (t != ondemand::json_type::string)
    return t == ondemand::json_type::number ? Num::invalid_json : Num::wrong_kind;
  std::string_view s;
  if (v.get_string().get(s)) return Num::invalid_json;
  if (!rex::sdk::parse_number_text(s, out)) return Num::wrong_kind;
  return out < 0 ? Num::negative : Num::ok;
}

// A JSON number or a string holding a decimal number. `invalid_json` means the token itself is
// broken (the document is not JSON), as opposed to a valid value of the wrong kind. The typed
// getter is tried first: on a kind mismatch it leaves the value in place.
inline Num read_number(ondemand::value& v, double& out) noexcept {
  if (const simdjson::error_code err = v.get_double().get(out))
    return read_number_slow(v, out, err);
  return out < 0 ? Num::negative : Num::ok;
}

// Reads a value that should be a string; `is_string` says whether it was. Returns an error only
// when the token is broken.
inline simdjson::error_code read_string(ondemand::value& v, std::string_view& out,
                                        bool& is_string) noexcept {
  const simdjson::error_code err = v.get_string().get(out);
  is_string = !err;
  if (err != simdjson::INCORRECT_TYPE) return err;
  ondemand::json_type t;
  if (auto e = v.type().get(t)) return e;
  return t == ondemand::json_type::string ? simdjson::STRING_ERROR : simdjson::SUCCESS;
}

inline bool is_null(ondemand::value& v) noexcept {
  ondemand::json_type t;
  return !v.type().get(t) && t == ondemand::json_type::null;
}

// Reads a value that should be a boolean; `is_bool` says whether it was.
inline simdjson::error_code read_bool(ondemand::value& v, bool& out, bool& is_bool) noexcept {
  const simdjson::error_code err = v.get_bool().get(out);
  is_bool = !err;
  if (err != simdjson::INCORRECT_TYPE) return err;
  ondemand::json_type t;
  if (auto e = v.type().get(t)) return e;
  return t == ondemand::json_type::boolean ? simdjson::T_ATOM_ERROR : simdjson::SUCCESS;
}

// The entry keys the schemas read.
enum class Key : uint8_t { other, category, success, duration, steps, error, backend };

inline Key classify(std::string_view key, const Schema& schema) noexcept {
  if (key == schema.duration_key) return Key::duration;
  switch (key.size()) {
    case 5:
      return key == "error" ? Key::error : Key::other;
    case 7:
      return key == "success" ? Key::success : key == "backend" ? Key::backend : Key::other;
    case 8:
      return key == "category" ? Key::category : Key::other;
    case 11:
      return key == "steps_taken" ? Key::steps : Key::other;
    default:
      return Key::other;
  }
}

// Field states of one entry. Each field's last occurrence decides its state.
enum class Field : uint8_t { absent, ok, wrong_kind, negative };

inline Field num_state(Num n) noexcept {
  switch (n) {
    case Num::ok:
      return Field::ok;
    case Num::absent:
      return Field::absent;
    case Num::negative:
      return Field::negative;
    default:
      return Field::wrong_kind;
  }
}

struct Entry {
  Field category = Field::absent;
  Field success = Field::absent;
  Field duration = Field::absent;
  Field steps = Field::absent;
  bool success_value = false;
  bool has_error = false;
  int8_t backend = 0;  // 0: none, 1: mock, 2: real
  double duration_value = 0;
  double steps_value = 0;
  // A category already in the aggregate is remembered by index; a new one is copied (into a buffer
  // reused between entries) before the next read.
  std::size_t category_index = Aggregate::npos;
  std::string category_value;

  void reset() noexcept {
    category = success = duration = steps = Field::absent;
    success_value = has_error = false;
    backend = 0;
    category_index = Aggregate::npos;
    category_value.clear();
  }
};

// Why an entry is skipped ("entry N: <field> <problem>"); false when it is valid.
inline bool skip_reason(const Entry& e, const Schema& schema, std::string_view& field,
                        std::string_view& problem) noexcept {
  constexpr std::string_view kNotNumber = "is not a number or numeric string";
  field = {};
  problem = {};
  if (e.category == Field::wrong_kind) {
    field = "category";
    problem = "is not a string";
  } else if (e.success == Field::absent) {
    field = "success";
    problem = "is missing";
  } else if (e.success == Field::wrong_kind) {
    field = "success";
    problem = "is not a boolean";
  } else if (e.duration != Field::absent && e.duration != Field::ok) {
    field = schema.duration_key;
    problem = e.duration == Field::negative ? "is negative" : kNotNumber;
  } else if (e.steps != Field::absent && e.steps != Field::ok) {
    field = "steps_taken";
    problem = e.steps == Field::negative ? "is negative" : kNotNumber;
  }
  return !field.empty();
}

// Reads one entry object into `e`. Returns an error only when the document itself is broken.
inline simdjson::error_code read_entry(ondemand::object& obj, const Schema& schema, Entry& e,
                                       Aggregate& agg) {
  for (auto field_result : obj) {
    // The field is used in place: copying it out of the result (get()) costs a store-forwarding
    // stall per field. unescaped_key() reports the result's own error first.
    std::string_view key;
    if (auto err = field_result.unescaped_key().get(key)) return err;
    ondemand::value& v = field_result.value_unsafe().value();
    std::string_view s;
    bool is_kind = false;

    switch (classify(key, schema)) {
      case Key::other:
        break;  // on-demand skips the value when the loop advances
      case Key::category:
        if (auto err = read_string(v, s, is_kind)) return err;
        e.category = is_kind ? Field::ok : is_null(v) ? Field::absent : Field::wrong_kind;
        e.category_index = Aggregate::npos;
        e.category_value.clear();
        if (is_kind && !s.empty()) {
          e.category_index = agg.find(s);
          if (e.category_index == Aggregate::npos) e.category_value.assign(s);
        }
        break;
      case Key::success:
        if (auto err = read_bool(v, e.success_value, is_kind)) return err;
        e.success = is_kind ? Field::ok : Field::wrong_kind;
        break;
      case Key::duration: {
        const Num n = read_number(v, e.duration_value);
        if (n == Num::invalid_json) return simdjson::NUMBER_ERROR;
        e.duration = num_state(n);
        break;
      }
      case Key::steps: {
        const Num n = read_number(v, e.steps_value);
        if (n == Num::invalid_json) return simdjson::NUMBER_ERROR;
        e.steps = num_state(n);
        break;
      }
      case Key::error:
        if (auto err = read_string(v, s, is_kind)) return err;
        e.has_error = is_kind && !s.empty();
        break;
      case Key::backend:
        if (auto err = read_string(v, s, is_kind)) return err;
        e.backend = !is_kind ? 0 : s == "mock" ? 1 : 2;
        break;
    }
  }
  return simdjson::SUCCESS;
}

inline void commit(const Entry& e, Aggregate& agg) {
  CategoryStats& s = agg.slot(e.category_index, e.category == Field::ok, e.category_value);
  const bool ok = e.success_value;
  ++s.total;
  s.succeeded += ok ? 1 : 0;
  s.failed_error += !ok && e.has_error ? 1 : 0;
  s.failed_plain += !ok && !e.has_error ? 1 : 0;
  if (e.duration == Field::ok) s.duration[ok ? 1 : 0].observe(kDurationBounds, e.duration_value);
  if (e.steps == Field::ok) s.steps.observe(kStepsBounds, e.steps_value);
  if (e.backend != 0) agg.count_backend(e.backend == 1);
}

// Reports a skipped entry. The text is built from fixed parts only, so it stays short.
inline void report_skip(Emitter& out, std::size_t index, std::string_view field,
                        std::string_view problem) {
  std::string m = "entry ";
  m += std::to_string(index);
  m += ": ";
  if (!field.empty()) {
    m += '"';
    m += field;
    m += "\" ";
  }
  m += problem;
  out.skipped(m);
}

// Walks the task array. Returns an error only when the document itself is broken.
inline simdjson::error_code read_entries(ondemand::array& arr, const Schema& schema, Emitter& out,
                                         Aggregate& agg) {
  Entry e;
  std::size_t index = 0;
  for (auto element : arr) {
    if (auto err = element.error()) return err;
    ondemand::value& v = element.value_unsafe();  // in place, as in read_entry()
    ondemand::object obj;
    if (auto err = v.get_object().get(obj)) {
      ondemand::json_type t;
      if (err != simdjson::INCORRECT_TYPE || v.type().get(t) || t == ondemand::json_type::object)
        return err == simdjson::INCORRECT_TYPE ? simdjson::TAPE_ERROR : err;
      report_skip(out, index++, {}, "not an object");
      continue;  // on-demand skips the value
    }
    e.reset();
    if (auto err = read_entry(obj, schema, e, agg)) return err;
    std::string_view field, problem;
    if (skip_reason(e, schema, field, problem)) {
      report_skip(out, index++, field, problem);
      continue;
    }
    commit(e, agg);
    ++index;
  }
  return simdjson::SUCCESS;
}

// One pool of On-Demand parsers per plugin (see rex::sdk::JsonParserPool).
using ParserPool = rex::sdk::JsonParserPool;
inline ParserPool& parser_pool() { return rex::sdk::json_parser_pool(); }

inline Status parse_padded(Emitter& out, std::string_view doc, const Schema& schema,
                           ondemand::parser& parser) {
  ondemand::document d;
  if (auto err = parser
                     .iterate(simdjson::padded_string_view(doc.data(), doc.size(),
                                                           doc.size() + REX_INPUT_PADDING))
                     .get(d)) {
    if (err == simdjson::MEMALLOC || err == simdjson::CAPACITY)
      return Status{REX_STATUS_INTERNAL_ERROR, json_error("cannot parse the document", err)};
    return Status::parse_error(json_error("not valid JSON", err));
  }
  ondemand::json_type t;
  if (auto err = d.type().get(t)) return Status::parse_error(json_error("not valid JSON", err));
  if (t != ondemand::json_type::object)
    return Status::schema_error("the top level is not a JSON object");
  ondemand::object top;
  if (auto err = d.get_object().get(top))
    return Status::parse_error(json_error("not valid JSON", err));

  Aggregate agg;
  bool have_array = false;
  std::string schema_problem;
  bool have_timestamp = false;
  double timestamp = 0;

  // One pass over the top-level fields, in whatever order they come.
  for (auto field_result : top) {
    std::string_view key;
    if (auto err = field_result.unescaped_key().get(key))
      return Status::parse_error(json_error("not valid JSON", err));
    ondemand::value& v = field_result.value_unsafe().value();

    if (key == schema.array_key) {
      ondemand::array arr;
      if (auto err = v.get_array().get(arr)) {
        if (err != simdjson::INCORRECT_TYPE || v.type().get(t) || t == ondemand::json_type::array)
          return Status::parse_error(json_error("not valid JSON", err));
        // Keep walking: a broken document is reported as a parse error first.
        schema_problem = "\"" + std::string(schema.array_key) + "\" is not an array";
        have_array = false;
        continue;
      }
      agg.clear();  // a repeated key: the last array wins
      if (auto err = read_entries(arr, schema, out, agg))
        return Status::parse_error(json_error("not valid JSON", err));
      schema_problem.clear();
      have_array = true;
    } else if (key == "timestamp") {
      double ts = 0;
      const Num n = read_number(v, ts);
      if (n == Num::invalid_json) return Status::parse_error("not valid JSON: invalid timestamp");
      have_timestamp = n == Num::ok || n == Num::negative;
      timestamp = ts;
    }
  }
  // The walk must have consumed the whole document: anything left is trailing content. (Truncation
  // inside the object surfaces as an iteration error above.)
  const char* rest = nullptr;
  if (d.current_location().get(rest) != simdjson::OUT_OF_BOUNDS)
    return Status::parse_error("not valid JSON: unexpected content after the top-level object");

  if (!schema_problem.empty()) return Status::schema_error(schema_problem);
  if (!have_array)
    return Status::schema_error("no \"" + std::string(schema.array_key) + "\" array at top level");
  if (have_timestamp) out.timestamp(timestamp);
  agg.emit(out);
  return Status::ok();
}

}  // namespace detail

// Parses one document of either shape. `doc` is followed by REX_INPUT_PADDING readable bytes.
inline Status parse_document(Emitter& out, std::string_view doc, const Schema& schema) {
  if (doc.size() >= 3 && doc.substr(0, 3) == "\xEF\xBB\xBF") doc.remove_prefix(3);
  const detail::ParserPool::Lease parser = detail::parser_pool().acquire();
  return detail::parse_padded(out, doc, schema, *parser);
}

}  // namespace rex::osworld

#endif  // RESULTS_EXPORTER_OSWORLD_AGGREGATE_HPP
