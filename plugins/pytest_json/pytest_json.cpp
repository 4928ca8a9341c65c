// pytest_json: the report pytest-json-report writes (`pytest --json-report`), 1.x and the pre-1.0
// shapes. Schema: schemas/pytest_json/README.md; metrics: schemas/testreport/README.md.
//
// The document is walked once with simdjson On-Demand; tests are tallied into one suite (pytest has
// no suite in this report, so the suite label is left off) and every series is emitted once.
#include <results_exporter/plugin_sdk.hpp>

#include "testreport.hpp"
#include "testreport_json.hpp"

#include <array>
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

// Reports a skipped record: "<kind> N: <why>".
void skip(Emitter& out, std::string_view kind, std::size_t index, std::string_view why) {
  std::string m(kind);
  m += ' ';
  m += std::to_string(index);
  m += ": ";
  m += why;
  out.skipped(m);
}

// What the walk gathered.
struct Walk {
  tr::SuiteStats tests;     // from tests[]
  std::size_t entries = 0;  // tests[] entries, valid or not (the summary's "total")
  std::array<uint64_t, tr::kOutcomes> collected_problems{};  // from collectors[]
  bool have_tests = false;
  bool have_summary = false;
  std::array<std::optional<uint64_t>, tr::kOutcomes> summary{};
  std::optional<uint64_t> summary_total;
  std::optional<tr::Instant> created;
  std::optional<double> duration;
  std::optional<uint64_t> exitcode;
};

// One test entry: its outcome and the sum of its stage durations.
struct Test {
  enum class State : uint8_t { absent, ok, wrong_kind, unknown } outcome_state = State::absent;
  Outcome outcome = Outcome::passed;
  std::string unknown;  // an outcome outside the catalogue ("rerun"), for the message
  double seconds = 0;
  bool have_seconds = false;
  std::string_view bad_stage;  // a stage whose duration is unusable

  void reset() {
    outcome_state = State::absent;
    unknown.clear();
    seconds = 0;
    have_seconds = false;
    bad_stage = {};
  }
};

// A stage object (setup, call, teardown): only its duration is read.
simdjson::error_code read_stage(ondemand::value& v, std::string_view stage, Test& t) {
  ondemand::object obj;
  if (auto err = v.get_object().get(obj)) {
    if (err != simdjson::INCORRECT_TYPE) return err;
    return simdjson::SUCCESS;  // not an object (null...): no duration from it
  }
  for (auto field_result : obj) {
    std::string_view key;
    if (auto err = field_result.unescaped_key().get(key)) return err;
    if (key != "duration") continue;
    ondemand::value& d = field_result.value_unsafe().value();
    Num state = Num::absent;
    double s = 0;
    if (!js::read_seconds(d, state, s)) return simdjson::NUMBER_ERROR;
    if (state == Num::ok) {
      t.seconds += s;
      t.have_seconds = true;
    } else if (state != Num::absent) {
      t.bad_stage = stage;
    }
  }
  return simdjson::SUCCESS;
}

simdjson::error_code read_test(ondemand::object& obj, Test& t) {
  for (auto field_result : obj) {
    std::string_view key;
    if (auto err = field_result.unescaped_key().get(key)) return err;
    ondemand::value& v = field_result.value_unsafe().value();
    if (key == "outcome") {
      std::string_view s;
      bool is_string = false;
      if (auto err = js::read_string(v, s, is_string)) return err;
      if (!is_string) {
        t.outcome_state = Test::State::wrong_kind;
      } else if (auto o = tr::outcome_from(s)) {
        t.outcome_state = Test::State::ok;
        t.outcome = *o;
      } else {
        t.outcome_state = Test::State::unknown;
        t.unknown = tr::excerpt(s);
      }
    } else if (key == "setup" || key == "call" || key == "teardown") {
      // The stage names are literals: the key's view dies with the next read.
      const std::string_view stage = key == "setup" ? "setup" : key == "call" ? "call" : "teardown";
      if (auto err = read_stage(v, stage, t)) return err;
    }
  }
  return simdjson::SUCCESS;
}

// Reads the element of an array as an object. `is_object` false: not an object (a skipped record);
// an error: the document is broken.
simdjson::error_code element_object(ondemand::value& v, ondemand::object& obj, bool& is_object) {
  is_object = false;
  if (auto err = v.get_object().get(obj)) {
    if (err != simdjson::INCORRECT_TYPE) return err;
    ondemand::json_type t;
    if (auto e = v.type().get(t))
      return js::is_nonfinite_literal(v.raw_json_token()) ? simdjson::SUCCESS : e;
    return t == ondemand::json_type::object ? simdjson::TAPE_ERROR : simdjson::SUCCESS;
  }
  is_object = true;
  return simdjson::SUCCESS;
}

simdjson::error_code read_tests(ondemand::array& arr, Emitter& out, Walk& w) {
  Test t;
  for (auto element : arr) {
    if (auto err = element.error()) return err;
    ondemand::value& v = element.value_unsafe();
    const std::size_t index = w.entries++;
    ondemand::object obj;
    bool is_object = false;
    if (auto err = element_object(v, obj, is_object)) return err;
    if (!is_object) {
      skip(out, "test", index, "not an object");
      continue;
    }
    t.reset();
    if (auto err = read_test(obj, t)) return err;
    switch (t.outcome_state) {
      case Test::State::absent:
        skip(out, "test", index, "no \"outcome\"");
        continue;
      case Test::State::wrong_kind:
        skip(out, "test", index, "\"outcome\" is not a string");
        continue;
      case Test::State::unknown:
        skip(out, "test", index, "outcome \"" + t.unknown + "\" is not in the catalogue");
        continue;
      case Test::State::ok:
        break;
    }
    if (!t.bad_stage.empty()) {
      w.tests.count(t.outcome);
      skip(out, "test", index,
           "\"" + std::string(t.bad_stage) +
               "\" duration is not a number >= 0; counted without a duration");
    } else if (t.have_seconds) {
      w.tests.count(t.outcome, t.seconds);
    } else {
      w.tests.count(t.outcome);
    }
  }
  return simdjson::SUCCESS;
}

// Collectors that did not pass are what pytest prints as errors (collection failed) or skips (a
// module skipped as a whole); they have no test entry. Only their outcome is read, so the 1.x
// ("result") and pre-1.0 ("children") shapes read alike.
simdjson::error_code read_collectors(ondemand::array& arr, Emitter& out, Walk& w) {
  std::size_t index = 0;
  for (auto element : arr) {
    if (auto err = element.error()) return err;
    ondemand::value& v = element.value_unsafe();
    ondemand::object obj;
    bool is_object = false;
    if (auto err = element_object(v, obj, is_object)) return err;
    if (!is_object) {
      skip(out, "collector", index++, "not an object");
      continue;
    }
    ++index;
    std::optional<Outcome> outcome;
    for (auto field_result : obj) {
      std::string_view key;
      if (auto err = field_result.unescaped_key().get(key)) return err;
      if (key != "outcome") continue;
      ondemand::value& o = field_result.value_unsafe().value();
      std::string_view s;
      bool is_string = false;
      if (auto err = js::read_string(o, s, is_string)) return err;
      outcome.reset();
      if (is_string && s == "failed") outcome = Outcome::error;
      if (is_string && s == "skipped") outcome = Outcome::skipped;
    }
    if (outcome) ++w.collected_problems[tr::index(*outcome)];
  }
  return simdjson::SUCCESS;
}

simdjson::error_code read_summary(ondemand::object& obj, Emitter& out, Walk& w) {
  for (auto field_result : obj) {
    std::string_view key;
    if (auto err = field_result.unescaped_key().get(key)) return err;
    ondemand::value& v = field_result.value_unsafe().value();
    const std::optional<Outcome> o = tr::outcome_from(key);
    if (!o && key != "total") continue;  // collected, deselected, a plugin's own outcomes
    const std::string name(key);
    uint64_t n = 0;
    bool ok = false;
    if (!js::read_count(v, n, ok)) return simdjson::NUMBER_ERROR;
    if (!ok) {
      out.skipped("summary: \"" + name + "\" is not a count");
      continue;
    }
    if (o) {
      w.summary[tr::index(*o)] = n;
    } else {
      w.summary_total = n;
    }
  }
  return simdjson::SUCCESS;
}

Status walk(ondemand::object& top, Emitter& out, Walk& w) {
  for (auto field_result : top) {
    std::string_view key;
    if (auto err = field_result.unescaped_key().get(key)) return js::broken(err);
    ondemand::value& v = field_result.value_unsafe().value();
    ondemand::json_type t;

    if (key == "tests") {
      ondemand::array arr;
      if (auto err = v.get_array().get(arr)) {
        if (err != simdjson::INCORRECT_TYPE || v.type().get(t)) return js::broken(err);
        if (t == ondemand::json_type::null) continue;
        return Status::schema_error("\"tests\" is not an array");
      }
      w.tests = {};
      w.entries = 0;
      if (auto err = read_tests(arr, out, w)) return js::broken(err);
      w.have_tests = true;
    } else if (key == "summary") {
      ondemand::object obj;
      if (auto err = v.get_object().get(obj)) {
        if (err != simdjson::INCORRECT_TYPE || v.type().get(t)) return js::broken(err);
        continue;  // not an object: as if absent
      }
      w.summary = {};
      w.summary_total.reset();
      if (auto err = read_summary(obj, out, w)) return js::broken(err);
      w.have_summary = true;
    } else if (key == "collectors") {
      ondemand::array arr;
      if (auto err = v.get_array().get(arr)) {
        if (err != simdjson::INCORRECT_TYPE || v.type().get(t)) return js::broken(err);
        continue;
      }
      w.collected_problems = {};
      if (auto err = read_collectors(arr, out, w)) return js::broken(err);
    } else if (key == "created") {
      tr::Instant when;
      bool ok = false;
      if (!js::read_instant(v, when, ok)) return Status::parse_error("not valid JSON: \"created\"");
      w.created.reset();
      if (ok) w.created = when;
    } else if (key == "duration") {
      Num state = Num::absent;
      double s = 0;
      if (!js::read_seconds(v, state, s))
        return Status::parse_error("not valid JSON: \"duration\"");
      w.duration.reset();
      if (state == Num::ok) w.duration = s;
      if (state == Num::invalid || state == Num::negative)
        out.skipped("\"duration\" is not a number >= 0; no run duration");
    } else if (key == "exitcode") {
      uint64_t code = 0;
      bool ok = false;
      if (!js::read_count(v, code, ok)) return Status::parse_error("not valid JSON: \"exitcode\"");
      w.exitcode.reset();
      if (ok) w.exitcode = code;
    }
  }
  return Status::ok();
}

class PytestJson {
 public:
  static double probe(std::string_view head) noexcept {
    using rex::sdk::head_contains;
    if (js::first_char(head) != '{') return 0.0;
    const bool created = head_contains(head, "\"created\"");
    if (created && head_contains(head, "\"duration\"") &&
        (head_contains(head, "\"exitcode\"") || head_contains(head, "\"summary\"") ||
         head_contains(head, "\"tests\"")))
      return 0.9;
    // The session keys moved or were removed: a test entry still gives it away.
    if (head_contains(head, "\"nodeid\"") && head_contains(head, "\"outcome\"") &&
        (head_contains(head, "\"call\"") || head_contains(head, "\"setup\"") ||
         head_contains(head, "\"lineno\"")))
      return 0.7;
    if (created && head_contains(head, "\"summary\"") && head_contains(head, "\"total\""))
      return 0.6;
    return 0.0;
  }

  static Status parse(Emitter& out, std::string_view document) {
    const js::ParserPool::Lease parser = js::parser_pool().acquire();
    ondemand::document d;
    ondemand::object top;
    if (Status s = js::open_object(*parser, document, d, top); s.code != REX_STATUS_OK) return s;
    Walk w;
    if (Status s = walk(top, out, w); s.code != REX_STATUS_OK) return s;
    if (Status s = js::finished(d); s.code != REX_STATUS_OK) return s;
    if (!w.have_tests && !w.have_summary)
      return Status::schema_error(
          "neither a \"tests\" array nor a \"summary\" object at top level");

    tr::SuiteStats run;
    if (w.have_tests) {
      run = w.tests;
      if (w.have_summary) {
        tr::CountCheck check;
        for (std::size_t i = 0; i < tr::kOutcomes; ++i)
          check.check(tr::kOutcomeNames[i], w.summary[i].value_or(0), w.tests.tests[i]);
        if (w.summary_total) check.check("total", *w.summary_total, w.entries);
        check.report(out, "summary");
      }
    } else {  // --json-report-summary: outcomes the summary leaves out are zero
      for (std::size_t i = 0; i < tr::kOutcomes; ++i) run.tests[i] = w.summary[i].value_or(0);
    }
    for (std::size_t i = 0; i < tr::kOutcomes; ++i) run.tests[i] += w.collected_problems[i];
    // Exit codes 0 (all passed) and 5 (no tests collected) are not failures of the runner.
    run.runner_failed = w.exitcode && *w.exitcode != 0 && *w.exitcode != 5;
    run.run_duration = w.duration;
    if (w.created && w.duration)
      run.run_start = tr::Instant{w.created->seconds - *w.duration, w.created->naive};
    if (w.created) out.timestamp(tr::resolve(*w.created, tr::NaiveZone::local));

    tr::Report report("pytest", tr::kAllOutcomes);
    report.add({}, run);
    report.emit(out);
    return Status::ok();
  }
};

}  // namespace

REX_DOCUMENT_PLUGIN(PytestJson, "pytest_json", "1.0.0",
                    "pytest-json-report documents (created, duration, exitcode, summary, tests[] "
                    "with setup/call/teardown), 1.x and pre-1.0 shapes")
