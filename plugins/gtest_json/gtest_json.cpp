// gtest_json: the report GoogleTest writes with --gtest_output=json. Schema:
// schemas/gtest_json/README.md; metrics: schemas/testreport/README.md.
//
// The document is walked once with simdjson On-Demand; each test suite is tallied on its own,
// merged into the report by name, and every series is emitted once at the end.
#include <results_exporter/plugin_sdk.hpp>

#include "testreport.hpp"
#include "testreport_json.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace {

namespace tr = rex::testreport;
namespace js = rex::testreport::json;
namespace ondemand = simdjson::ondemand;
using rex::sdk::Emitter;
using rex::sdk::Status;
using tr::Num;
using tr::Outcome;

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

// GoogleTest formats its timestamps in local time and appends a "Z" all the same
// (googletest#5089), so the zone letter is not believed: every timestamp is local wall-clock time.
bool read_gtest_time(ondemand::value& v, std::optional<tr::Instant>& out, bool& broken) {
  double num = 0;
  std::string_view str;
  tr::Instant t;
  out.reset();
  broken = false;
  switch (js::read_scalar(v, num, str)) {
    case js::Kind::number:
      out = tr::Instant{num, false};
      return true;
    case js::Kind::string:
      str = tr::detail::trim(str);
      if (rex::sdk::parse_number_text(str, num)) {
        out = tr::Instant{num, false};
        return true;
      }
      if (!tr::parse_iso8601(str, t)) return false;
      if (str.back() == 'Z' || str.back() == 'z') t.naive = true;
      out = t;
      return true;
    case js::Kind::broken:
      broken = true;
      return false;
    default:
      return false;
  }
}

// Reports a skipped record: "suite "S" test N: <why>".
void skip(Emitter& out, std::string_view suite, std::size_t index, std::string_view why) {
  std::string m = "suite \"" + tr::excerpt(suite) + "\" test " + std::to_string(index) + ": ";
  m += why;
  out.skipped(m);
}

// Reads an array-valued field, reporting whether it has elements. Other kinds count as empty.
simdjson::error_code non_empty_array(ondemand::value& v, bool& non_empty) {
  non_empty = false;
  ondemand::array arr;
  if (auto err = v.get_array().get(arr)) {
    if (err != simdjson::INCORRECT_TYPE) return err;
    return simdjson::SUCCESS;
  }
  for (auto element : arr) {
    if (auto err = element.error()) return err;
    non_empty = true;  // on-demand skips the element
  }
  return simdjson::SUCCESS;
}

struct Case {
  std::string status, result;  // copies: a view dies with the next read
  bool have_status = false, have_result = false;
  bool failed = false, skipped = false;
  Num time_state = Num::absent;
  double seconds = 0;
};

simdjson::error_code read_case(ondemand::object& obj, Case& c) {
  for (auto field_result : obj) {
    std::string_view key;
    if (auto err = field_result.unescaped_key().get(key)) return err;
    ondemand::value& v = field_result.value_unsafe().value();
    std::string_view s;
    bool is_string = false;
    if (key == "status" || key == "result") {
      const bool is_status = key == "status";
      if (auto err = js::read_string(v, s, is_string)) return err;
      (is_status ? c.have_status : c.have_result) = is_string;
      (is_status ? c.status : c.result).assign(is_string ? s : std::string_view());
    } else if (key == "time") {
      if (!js::read_seconds(v, c.time_state, c.seconds, true)) return simdjson::NUMBER_ERROR;
    } else if (key == "failures") {
      if (auto err = non_empty_array(v, c.failed)) return err;
    } else if (key == "skipped") {
      if (auto err = non_empty_array(v, c.skipped)) return err;
    }
  }
  return simdjson::SUCCESS;
}

struct SuiteCounts {
  std::optional<uint64_t> tests, failures, disabled, skipped, errors;
};

// One test suite: its figures and its tests, tallied in `s`.
struct SuiteWalk {
  std::string name;
  tr::SuiteStats s;
  SuiteCounts stated;
  std::size_t cases = 0;     // entries in its "testsuite" array
  uint64_t not_run = 0;      // disabled tests
  uint64_t skipped_run = 0;  // tests that ran and skipped
  uint64_t failed = 0;
};

simdjson::error_code read_cases(ondemand::array& arr, Emitter& out, SuiteWalk& w) {
  for (auto element : arr) {
    if (auto err = element.error()) return err;
    ondemand::value& v = element.value_unsafe();
    const std::size_t index = w.cases++;
    ondemand::object obj;
    if (auto err = v.get_object().get(obj)) {
      ondemand::json_type t;
      if (err != simdjson::INCORRECT_TYPE || v.type().get(t) || t == ondemand::json_type::object)
        return err == simdjson::INCORRECT_TYPE ? simdjson::TAPE_ERROR : err;
      skip(out, w.name, index, "not an object");
      continue;
    }
    Case c;
    if (auto err = read_case(obj, c)) return err;

    // The outcome, most telling first.
    const bool not_run = (c.have_result && iequals(c.result, "SUPPRESSED")) ||
                         (c.have_status && iequals(c.status, "NOTRUN"));
    std::optional<Outcome> o;
    if (c.failed) {
      o = Outcome::failed;
    } else if (not_run) {
      o = Outcome::skipped;
    } else if (c.skipped || (c.have_result && iequals(c.result, "SKIPPED"))) {
      o = Outcome::skipped;
    } else if (c.have_result ? iequals(c.result, "COMPLETED")
                             : c.have_status && iequals(c.status, "RUN")) {
      o = Outcome::passed;
    }
    if (!o) {
      skip(out, w.name, index,
           c.have_result ? "result \"" + tr::excerpt(c.result) + "\" is not known"
                         : std::string("neither \"result\" nor \"status\" (a test listing?)"));
      continue;
    }
    if (not_run) {
      ++w.not_run;
    } else if (*o == Outcome::skipped) {
      ++w.skipped_run;
    }
    if (*o == Outcome::failed) ++w.failed;

    // A disabled test did not run: its "0s" is not a duration.
    if (c.time_state == Num::ok && !not_run) {
      w.s.count(*o, c.seconds);
    } else {
      w.s.count(*o);
      if (c.time_state == Num::invalid || c.time_state == Num::negative)
        skip(out, w.name, index, "\"time\" is not a duration; counted without one");
    }
  }
  return simdjson::SUCCESS;
}

simdjson::error_code read_suite(ondemand::object& obj, Emitter& out, SuiteWalk& w,
                                bool& have_cases) {
  have_cases = false;
  for (auto field_result : obj) {
    std::string_view key;
    if (auto err = field_result.unescaped_key().get(key)) return err;
    ondemand::value& v = field_result.value_unsafe().value();
    std::optional<uint64_t>* count = key == "tests"      ? &w.stated.tests
                                     : key == "failures" ? &w.stated.failures
                                     : key == "disabled" ? &w.stated.disabled
                                     : key == "skipped"  ? &w.stated.skipped
                                     : key == "errors"   ? &w.stated.errors
                                                         : nullptr;
    if (count) {
      uint64_t n = 0;
      bool ok = false;
      if (!js::read_count(v, n, ok)) return simdjson::NUMBER_ERROR;
      count->reset();
      if (ok) *count = n;
    } else if (key == "name") {
      std::string_view s;
      bool is_string = false;
      if (auto err = js::read_string(v, s, is_string)) return err;
      w.name.assign(is_string ? s : std::string_view());
    } else if (key == "time") {
      Num state = Num::absent;
      double seconds = 0;
      if (!js::read_seconds(v, state, seconds, true)) return simdjson::NUMBER_ERROR;
      w.s.run_duration.reset();
      if (state == Num::ok) w.s.run_duration = seconds;
    } else if (key == "timestamp") {
      std::optional<tr::Instant> t;
      bool broken = false;
      read_gtest_time(v, t, broken);
      if (broken) return simdjson::STRING_ERROR;
      w.s.run_start = t;
    } else if (key == "testsuite") {
      ondemand::array arr;
      if (auto err = v.get_array().get(arr)) {
        if (err != simdjson::INCORRECT_TYPE) return err;
        continue;
      }
      // The cases are tallied afresh: with the key repeated, the last array wins.
      w.s.tests = {};
      w.s.durations = {};
      w.cases = 0;
      w.not_run = w.skipped_run = w.failed = 0;
      if (auto err = read_cases(arr, out, w)) return err;
      have_cases = true;
    }
  }
  return simdjson::SUCCESS;
}

Status walk(ondemand::object& top, Emitter& out, tr::Report& report,
            std::optional<tr::Instant>& timestamp) {
  bool have_suites = false;
  std::optional<tr::Instant> newest_suite;
  for (auto field_result : top) {
    std::string_view key;
    if (auto err = field_result.unescaped_key().get(key)) return js::broken(err);
    ondemand::value& v = field_result.value_unsafe().value();
    if (key == "timestamp") {
      bool broken = false;
      read_gtest_time(v, timestamp, broken);
      if (broken) return Status::parse_error("not valid JSON: \"timestamp\"");
    } else if (key == "testsuites") {
      ondemand::array arr;
      if (auto err = v.get_array().get(arr)) {
        ondemand::json_type t;
        if (err != simdjson::INCORRECT_TYPE || v.type().get(t)) return js::broken(err);
        return Status::schema_error("\"testsuites\" is not an array");
      }
      if (have_suites) return Status::schema_error("\"testsuites\" appears twice");
      have_suites = true;
      std::size_t index = 0;
      for (auto element : arr) {
        if (auto err = element.error()) return js::broken(err);
        ondemand::value& sv = element.value_unsafe();
        ondemand::object obj;
        if (auto err = sv.get_object().get(obj)) {
          ondemand::json_type t;
          if (err != simdjson::INCORRECT_TYPE || sv.type().get(t) ||
              t == ondemand::json_type::object)
            return js::broken(err == simdjson::INCORRECT_TYPE ? simdjson::TAPE_ERROR : err);
          out.skipped("suite " + std::to_string(index++) + ": not an object");
          continue;
        }
        SuiteWalk w;
        bool have_cases = false;
        if (auto err = read_suite(obj, out, w, have_cases)) return js::broken(err);
        if (!have_cases) {
          out.skipped("suite " + std::to_string(index++) + ": no \"testsuite\" array");
          continue;
        }
        ++index;
        const uint64_t counted = w.s.total();
        if (counted == 0 && w.cases > 0) continue;  // every test was skipped as a record

        tr::CountCheck check;
        if (w.stated.tests) check.check("tests", *w.stated.tests, w.cases);
        if (w.stated.failures) check.check("failures", *w.stated.failures, w.failed);
        if (w.stated.disabled) check.check("disabled", *w.stated.disabled, w.not_run);
        if (w.stated.skipped) check.check("skipped", *w.stated.skipped, w.skipped_run);
        if (w.stated.errors)
          check.check("errors", *w.stated.errors, w.s.tests[tr::index(Outcome::error)]);
        check.report(out, "suite \"" + tr::excerpt(w.name) + "\"");

        if (w.s.run_start && (!newest_suite || w.s.run_start->seconds > newest_suite->seconds))
          newest_suite = w.s.run_start;
        report.add(w.name, w.s);
      }
    }
  }
  if (!have_suites) return Status::schema_error("no \"testsuites\" array at top level");
  if (!timestamp) timestamp = newest_suite;
  return Status::ok();
}

class GtestJson {
 public:
  static double probe(std::string_view head) noexcept {
    using rex::sdk::head_contains;
    if (js::first_char(head) != '{' || !head_contains(head, "\"testsuites\"")) return 0.0;
    if (head_contains(head, "\"AllTests\"")) return 0.9;
    if (head_contains(head, "\"testsuite\"") &&
        (head_contains(head, "\"classname\"") || head_contains(head, "\"disabled\"")))
      return 0.85;
    if (head_contains(head, "\"failures\"") && head_contains(head, "\"disabled\"")) return 0.7;
    return 0.0;
  }

  static Status parse(Emitter& out, std::string_view document) {
    const js::ParserPool::Lease parser = js::parser_pool().acquire();
    ondemand::document d;
    ondemand::object top;
    if (Status s = js::open_object(*parser, document, d, top); s.code != REX_STATUS_OK) return s;
    tr::Report report("googletest", tr::kGtestOutcomes);
    std::optional<tr::Instant> timestamp;
    if (Status s = walk(top, out, report, timestamp); s.code != REX_STATUS_OK) return s;
    if (Status s = js::finished(d); s.code != REX_STATUS_OK) return s;
    if (timestamp) out.timestamp(tr::resolve(*timestamp, tr::NaiveZone::local));
    report.emit(out);
    return Status::ok();
  }
};

}  // namespace

REX_DOCUMENT_PLUGIN(GtestJson, "gtest_json", "1.0.0",
                    "GoogleTest --gtest_output=json reports (testsuites[] of testsuite[] with "
                    "status, result, time, failures[])")
