// The test-report metric catalogue shared by pytest_json, junit_xml and gtest_json
// (schemas/testreport/README.md): family names and help texts, the outcome set, per-suite
// aggregation inside the plugin (each series is emitted once per document), and the text parsers
// the formats need (durations written as "1,234.5" or "0.003s", ISO 8601 timestamps).
//
// Nothing here depends on a parser library: the JSON helpers are in testreport_json.hpp.
#ifndef RESULTS_EXPORTER_TESTREPORT_HPP
#define RESULTS_EXPORTER_TESTREPORT_HPP

#include <results_exporter/plugin_sdk.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rex::testreport {

using rex::sdk::Emitter;
using rex::sdk::Label;

// ---------------------------------------------------------------------------------------------
// The catalogue

inline constexpr std::string_view kTestsTotal = "testreport_tests_total";
inline constexpr std::string_view kTestsTotalHelp =
    "Tests in test reports by outcome (passed, failed, error, skipped, xfailed, xpassed), summed "
    "over reports.";
inline constexpr std::string_view kTestDuration = "testreport_test_duration_seconds";
inline constexpr std::string_view kTestDurationHelp =
    "Duration of single tests in seconds by outcome, summed over reports.";
inline constexpr std::string_view kRunsTotal = "testreport_runs_total";
inline constexpr std::string_view kRunsTotalHelp =
    "Test runs (one per suite of a report) by result (failed: a test failed or errored, or the "
    "runner said so), summed over reports.";
inline constexpr std::string_view kRunTests = "testreport_run_tests";
inline constexpr std::string_view kRunTestsHelp =
    "Tests by outcome in the newest report's run of the suite.";
inline constexpr std::string_view kRunDuration = "testreport_run_duration_seconds";
inline constexpr std::string_view kRunDurationHelp =
    "Duration in seconds of the newest report's run of the suite.";
inline constexpr std::string_view kRunTimestamp = "testreport_run_timestamp_seconds";
inline constexpr std::string_view kRunTimestampHelp =
    "Start of the newest report's run of the suite, Unix seconds.";

inline constexpr std::array<double, 16> kDurationBounds = {
    0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};

enum class Outcome : uint8_t { passed, failed, error, skipped, xfailed, xpassed };
inline constexpr std::size_t kOutcomes = 6;
inline constexpr std::array<std::string_view, kOutcomes> kOutcomeNames = {
    "passed", "failed", "error", "skipped", "xfailed", "xpassed"};

inline constexpr std::size_t index(Outcome o) noexcept { return static_cast<std::size_t>(o); }

// The outcome named `s` in the catalogue's spelling, if it is one.
inline std::optional<Outcome> outcome_from(std::string_view s) noexcept {
  for (std::size_t i = 0; i < kOutcomes; ++i)
    if (kOutcomeNames[i] == s) return static_cast<Outcome>(i);
  return std::nullopt;
}

// A set of outcomes: those a format can express get a series in every suite, 0 included (a
// measured zero); others only when they occur.
using OutcomeSet = uint8_t;
inline constexpr OutcomeSet bit(Outcome o) noexcept {
  return static_cast<OutcomeSet>(1u << index(o));
}
inline constexpr OutcomeSet kAllOutcomes = 0x3f;
inline constexpr OutcomeSet kJunitOutcomes =
    bit(Outcome::passed) | bit(Outcome::failed) | bit(Outcome::error) | bit(Outcome::skipped);
inline constexpr OutcomeSet kPytestJunitOutcomes = kJunitOutcomes | bit(Outcome::xfailed);
inline constexpr OutcomeSet kGtestOutcomes =
    bit(Outcome::passed) | bit(Outcome::failed) | bit(Outcome::skipped);

// ---------------------------------------------------------------------------------------------
// Instants: a report's time, possibly written without a zone ("naive"). A naive time is kept as
// if it were UTC and resolved once the report says how its producer writes times.

enum class NaiveZone : uint8_t { local, utc };

struct Instant {
  double seconds = 0;  // Unix seconds; for a naive time, its fields read as UTC
  bool naive = false;
};

// Seconds east of UTC of the exporter's time zone at (about) the given local wall-clock time.
inline long local_utc_offset(double naive_seconds) noexcept {
  if (!(naive_seconds > -1e12 && naive_seconds < 1e12)) return 0;
  std::time_t guess = static_cast<std::time_t>(std::floor(naive_seconds));
  std::tm tm{};
  if (!localtime_r(&guess, &tm)) return 0;
  const std::time_t second = guess - tm.tm_gmtoff;  // once more, across a DST change
  if (!localtime_r(&second, &tm)) return 0;
  return tm.tm_gmtoff;
}

inline double resolve(const Instant& t, NaiveZone zone) noexcept {
  if (!t.naive || zone == NaiveZone::utc) return t.seconds;
  return t.seconds - static_cast<double>(local_utc_offset(t.seconds));
}

namespace detail {

inline constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

inline bool take_digits(std::string_view& s, std::size_t n, int& out) noexcept {
  if (s.size() < n) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  s.remove_prefix(n);
  return true;
}

inline bool take(std::string_view& s, char c) noexcept {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace detail

// Reads "YYYY-MM-DD[T| ]hh:mm[:ss[.fraction]][Z|±hh[:mm]]". Returns false on anything else.
inline bool parse_iso8601(std::string_view s, Instant& out) noexcept {
  using detail::take;
  using detail::take_digits;
  s = detail::trim(s);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!take_digits(s, 4, y) || !take(s, '-') || !take_digits(s, 2, mo) || !take(s, '-') ||
      !take_digits(s, 2, d))
    return false;
  if (!take(s, 'T') && !take(s, 't') && !take(s, ' ')) return false;
  if (!take_digits(s, 2, h) || !take(s, ':') || !take_digits(s, 2, mi)) return false;
  double frac = 0;
  if (take(s, ':')) {
    if (!take_digits(s, 2, sec)) return false;
    if (take(s, '.') || take(s, ',')) {
      double scale = 0.1;
      std::size_t n = 0;
      while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
        frac += (s.front() - '0') * scale;
        scale /= 10;
        s.remove_prefix(1);
        ++n;
      }
      if (n == 0) return false;
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || sec > 60) return false;
  bool naive = true;
  int offset = 0;
  if (take(s, 'Z') || take(s, 'z')) {
    naive = false;
  } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    const int sign = s.front() == '-' ? -1 : 1;
    s.remove_prefix(1);
    int oh = 0, om = 0;
    if (!take_digits(s, 2, oh)) return false;
    if (take(s, ':')) {
      if (!take_digits(s, 2, om)) return false;
    } else if (!s.empty()) {
      if (!take_digits(s, 2, om)) return false;
    }
    if (oh > 23 || om > 59) return false;
    offset = sign * (oh * 3600 + om * 60);
    naive = false;
  }
  if (!s.empty()) return false;
  const int64_t days =
      detail::days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  out.seconds = static_cast<double>(days * 86400 + h * 3600 + mi * 60 + sec - offset) + frac;
  out.naive = naive;
  return true;
}

// What reading a numeric text gave.
enum class Num : uint8_t { ok, absent, invalid, negative };

// Durations above this (about 31 years) are not durations: they would only overflow sums.
inline constexpr double kMaxSeconds = 1e9;

// Reads a duration in seconds written as text: "0.25", "3." (GoogleTest), "1,234.5" (grouping
// commas, as some Surefire versions write), "0.003s" when `allow_s_suffix` (GoogleTest JSON).
// Empty text is absent; NaN, infinities and anything else are invalid.
inline Num parse_seconds(std::string_view s, double& out, bool allow_s_suffix = false) noexcept {
  s = detail::trim(s);
  if (s.empty()) return Num::absent;
  if (allow_s_suffix && s.back() == 's') s.remove_suffix(1);
  std::string buf;
  if (s.find(',') != std::string_view::npos) {
    // Grouping commas: digits, then groups of exactly three digits, before any decimal point.
    const std::size_t dot = s.find('.');
    const std::string_view whole = s.substr(0, dot);
    std::size_t group = 0;
    bool first = true, seen_comma = false;
    for (std::size_t i = 0; i < whole.size(); ++i) {
      const char c = whole[i];
      if (c == ',') {
        if ((first && (group == 0 || group > 3)) || (!first && group != 3)) return Num::invalid;
        first = false;
        seen_comma = true;
        group = 0;
      } else if (c >= '0' && c <= '9') {
        ++group;
      } else if (i == 0 && (c == '-' || c == '+')) {
        continue;
      } else {
        return Num::invalid;
      }
    }
    if (!seen_comma || group != 3) return Num::invalid;
    buf.reserve(s.size());
    for (char c : s)
      if (c != ',') buf += c;
    s = buf;
  }
  double v = 0;  // std::from_chars takes "3." as 3
  if (!rex::sdk::parse_number_text(s, v) || v > kMaxSeconds) return Num::invalid;
  if (v < 0) return Num::negative;
  out = v;
  return Num::ok;
}

// Reads a count attribute ("12", "1,024"). False on anything but a whole number from 0 to 10^9.
inline bool parse_count(std::string_view s, uint64_t& out) noexcept {
  double v = 0;
  if (parse_seconds(s, v) != Num::ok || v != std::floor(v)) return false;
  out = static_cast<uint64_t>(v);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Aggregation

// Observations of one histogram series over kDurationBounds, with no allocation.
struct DurationHistogram {
  std::array<uint64_t, kDurationBounds.size() + 1> counts{};  // non-cumulative; last is +Inf
  double sum = 0;

  void observe(double v) noexcept {
    std::size_t i = 0;
    for (double b : kDurationBounds) i += v > b ? 1 : 0;  // le semantics
    ++counts[i];
    sum += v;
  }
  void merge(const DurationHistogram& o) noexcept {
    for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += o.counts[i];
    sum += o.sum;
  }
  bool empty() const noexcept {
    for (uint64_t c : counts)
      if (c != 0) return false;
    return true;
  }
};

// Everything one suite of one report contributes.
struct SuiteStats {
  std::array<uint64_t, kOutcomes> tests{};
  std::array<DurationHistogram, kOutcomes> durations{};
  std::optional<double> run_duration;
  std::optional<Instant> run_start;
  bool runner_failed = false;  // the runner reported failure beyond its tests (pytest exitcode)

  void count(Outcome o) noexcept { ++tests[index(o)]; }
  void count(Outcome o, double seconds) noexcept {
    ++tests[index(o)];
    durations[index(o)].observe(seconds);
  }
  uint64_t total() const noexcept {
    uint64_t n = 0;
    for (uint64_t t : tests) n += t;
    return n;
  }
  bool failed() const noexcept {
    return runner_failed || tests[index(Outcome::failed)] > 0 || tests[index(Outcome::error)] > 0;
  }
  // Another run of a suite with the same name in the same report (the suite is split, as jest or
  // nested JUnit suites do): counts add up, the run starts at the earlier start and lasts as long
  // as both parts together when both say how long they took.
  void merge(const SuiteStats& o) noexcept {
    for (std::size_t i = 0; i < kOutcomes; ++i) {
      tests[i] += o.tests[i];
      durations[i].merge(o.durations[i]);
    }
    if (run_duration && o.run_duration) {
      *run_duration += *o.run_duration;
    } else {
      run_duration.reset();
    }
    if (o.run_start && (!run_start || o.run_start->seconds < run_start->seconds))
      run_start = o.run_start;
    runner_failed = runner_failed || o.runner_failed;
  }
};

// One report's suites, emitted once at the end.
class Report {
 public:
  Report(std::string_view framework, OutcomeSet zeros) : framework_(framework), zeros_(zeros) {}

  void set_framework(std::string_view framework, OutcomeSet zeros) noexcept {
    framework_ = framework;
    zeros_ = zeros;
  }
  void set_naive_zone(NaiveZone z) noexcept { zone_ = z; }
  NaiveZone naive_zone() const noexcept { return zone_; }

  // The stats of suite `name`, created on first use; an empty name is the group without a suite
  // label.
  SuiteStats& suite(std::string_view name) {
    if (name.empty()) {
      if (!unlabelled_) unlabelled_ = std::make_unique<SuiteStats>();
      return *unlabelled_;
    }
    auto it = index_.find(name);
    if (it != index_.end()) return stats_[it->second];
    names_.emplace_back(name);
    stats_.emplace_back();
    index_.emplace(names_.back(), names_.size() - 1);
    return stats_.back();
  }

  // Adds a finished suite: the first of its name is taken as it is, a later one is merged.
  void add(std::string_view name, const SuiteStats& s) {
    const bool known = name.empty() ? unlabelled_ != nullptr : index_.count(name) != 0;
    SuiteStats& slot = suite(name);
    if (known) {
      slot.merge(s);
    } else {
      slot = s;
    }
  }

  bool empty() const noexcept { return names_.empty() && !unlabelled_; }

  void emit(Emitter& out) const {
    Families f;
    for (std::size_t i = 0; i < names_.size(); ++i) emit_suite(out, f, true, names_[i], stats_[i]);
    if (unlabelled_) emit_suite(out, f, false, {}, *unlabelled_);
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  // Family ids, declared on first use (-2: not yet; -1: the host refused it).
  struct Families {
    int32_t tests = -2, duration = -2, runs = -2, run_tests = -2, run_duration = -2,
            run_timestamp = -2;
  };

  void emit_suite(Emitter& out, Families& f, bool labelled, std::string_view name,
                  const SuiteStats& s) const {
    if (f.tests == -2) f.tests = out.counter(kTestsTotal, kTestsTotalHelp);
    if (f.runs == -2) f.runs = out.counter(kRunsTotal, kRunsTotalHelp);
    if (f.run_tests == -2) f.run_tests = out.gauge(kRunTests, kRunTestsHelp);

    Label labels[3] = {{"framework", framework_}, {"suite", name}, {}};
    const std::size_t base = labelled ? 2 : 1;
    auto with = [&](std::string_view key, std::string_view value) {
      labels[base] = Label{key, value};
      return std::span<const Label>(labels, base + 1);
    };
    const std::span<const Label> plain(labels, base);

    for (std::size_t i = 0; i < kOutcomes; ++i) {
      const bool always = (zeros_ >> i) & 1u;
      if (!always && s.tests[i] == 0) continue;
      const auto v = static_cast<double>(s.tests[i]);
      if (f.tests >= 0) out.add(f.tests, with("outcome", kOutcomeNames[i]), v);
      if (f.run_tests >= 0) out.set(f.run_tests, with("outcome", kOutcomeNames[i]), v);
      if (!s.durations[i].empty()) {
        if (f.duration == -2)
          f.duration = out.histogram(kTestDuration, kTestDurationHelp, kDurationBounds);
        if (f.duration >= 0) {
          const rex::sdk::LabelArray a(with("outcome", kOutcomeNames[i]));
          const rex_host* h = out.raw();
          h->histogram_merge(h->ctx, f.duration, a.data(), a.size(), s.durations[i].counts.data(),
                             kDurationBounds.size(), s.durations[i].sum);
        }
      }
    }
    if (f.runs >= 0) {
      const bool failed = s.failed();
      out.add(f.runs, with("result", "passed"), failed ? 0.0 : 1.0);
      out.add(f.runs, with("result", "failed"), failed ? 1.0 : 0.0);
    }
    if (s.run_duration) {
      if (f.run_duration == -2) f.run_duration = out.gauge(kRunDuration, kRunDurationHelp);
      if (f.run_duration >= 0) out.set(f.run_duration, plain, *s.run_duration);
    }
    if (s.run_start) {
      if (f.run_timestamp == -2) f.run_timestamp = out.gauge(kRunTimestamp, kRunTimestampHelp);
      if (f.run_timestamp >= 0) out.set(f.run_timestamp, plain, resolve(*s.run_start, zone_));
    }
  }

  std::string_view framework_;
  OutcomeSet zeros_;
  NaiveZone zone_ = NaiveZone::local;
  std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> index_;
  std::vector<std::string> names_;  // first-appearance order, so the output order is stable
  std::vector<SuiteStats> stats_;
  std::unique_ptr<SuiteStats> unlabelled_;
};

// ---------------------------------------------------------------------------------------------
// Counts a report states about itself, checked against what its entries give.

class CountCheck {
 public:
  // `stated`: the report's figure; `counted`: the entries'; `alt`: a second figure that also
  // agrees (pytest counts a test that failed and then errored in teardown twice).
  void check(std::string_view what, uint64_t stated, uint64_t counted,
             std::optional<uint64_t> alt = std::nullopt) {
    if (stated == counted || (alt && stated == *alt)) return;
    if (!stated_.empty()) {
      stated_ += ", ";
      counted_ += ", ";
    }
    stated_ += std::string(what) + "=" + std::to_string(stated);
    counted_ += std::to_string(counted);
  }
  // Reports a disagreement as one skipped record: "<where>: the report says tests=5, failures=2
  // but its entries give 4, 1; counted the entries".
  void report(Emitter& out, std::string_view where) const {
    if (stated_.empty()) return;
    std::string m(where);
    m += ": the report says ";
    m += stated_;
    m += " but its entries give ";
    m += counted_;
    m += "; counted the entries";
    out.skipped(m);
  }

 private:
  std::string stated_, counted_;
};

// A short, printable excerpt of an input string for a message.
inline std::string excerpt(std::string_view s, std::size_t max = 40) {
  std::string out;
  for (char c : s.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > max) out += "...";
  return out;
}

}  // namespace rex::testreport

#endif  // RESULTS_EXPORTER_TESTREPORT_HPP
