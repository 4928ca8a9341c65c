// pytest_json through the real loader: the hand-made fixtures (schemas/pytest_json/), the drifts
// the real plugin produces, and broken documents.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "testreport_common.hpp"

using rex::test::durations;
using rex::test::has_family;
using rex::test::parse_ok;
using rex::test::parse_text;
using rex::test::run_gauge;
using rex::test::runs;
using rex::test::tests;

namespace {

const std::string kPlugin = "pytest_json";
const std::string kFw = "pytest";

std::string fixture(const std::string& name) {
  return rex::test::read_text_file(REX_SAMPLES_DIR "/pytest_json/" + name);
}

}  // namespace

TEST(PytestJson, SampleReportGivesEveryOutcome) {
  auto r = parse_text(fixture("sample.json"), "auto");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.plugin, kPlugin);
  const auto& c = *r.contribution;
  EXPECT_EQ(tests(c, kFw, "", "passed"), 2);
  EXPECT_EQ(tests(c, kFw, "", "failed"), 1);
  // test_setup_error, test_fail_then_teardown_error, and the collector that failed to import.
  EXPECT_EQ(tests(c, kFw, "", "error"), 3);
  EXPECT_EQ(tests(c, kFw, "", "skipped"), 1);
  EXPECT_EQ(tests(c, kFw, "", "xfailed"), 1);
  EXPECT_EQ(tests(c, kFw, "", "xpassed"), 1);
  EXPECT_EQ(tests(c, kFw, "", "passed", "testreport_run_tests"), 2);
  EXPECT_EQ(tests(c, kFw, "", "error", "testreport_run_tests"), 3);
  EXPECT_EQ(runs(c, kFw, "", "failed"), 1);
  EXPECT_EQ(runs(c, kFw, "", "passed"), 0);
  EXPECT_EQ(run_gauge(c, "testreport_run_duration_seconds", kFw, ""), 3.25);
  EXPECT_EQ(run_gauge(c, "testreport_run_timestamp_seconds", kFw, ""), 1761690105.5 - 3.25);
  ASSERT_TRUE(c.timestamp.has_value());
  EXPECT_EQ(*c.timestamp, 1761690105.5);
  EXPECT_EQ(c.records_skipped, 0u);

  // A test's duration is the sum of its stages; the collector error has none.
  auto* passed = durations(c, kFw, "", "passed");
  ASSERT_NE(passed, nullptr);
  EXPECT_EQ(passed->count(), 2u);
  EXPECT_NEAR(passed->sum, 0.0002 + 0.0015 + 0.0003 + 0.0002 + 2.7 + 0.0008, 1e-12);
  auto* errors = durations(c, kFw, "", "error");
  ASSERT_NE(errors, nullptr);
  EXPECT_EQ(errors->count(), 2u);
  // No suite in this report: the label is left off.
  EXPECT_FALSE(tests(c, kFw, "pytest", "passed").has_value());
}

TEST(PytestJson, SummaryOnlyReport) {
  auto c = parse_ok(fixture("summary_only.json"), kPlugin);
  EXPECT_EQ(tests(*c, kFw, "", "passed"), 40);
  EXPECT_EQ(tests(*c, kFw, "", "skipped"), 2);
  // Outcomes the summary leaves out are zero: the plugin omits zero counts.
  EXPECT_EQ(tests(*c, kFw, "", "failed"), 0);
  EXPECT_EQ(tests(*c, kFw, "", "xpassed"), 0);
  EXPECT_FALSE(has_family(*c, "testreport_test_duration_seconds"));
  EXPECT_EQ(runs(*c, kFw, "", "passed"), 1);
  EXPECT_EQ(run_gauge(*c, "testreport_run_duration_seconds", kFw, ""), 12.5);
}

TEST(PytestJson, TestsWithoutSummary) {
  auto c = parse_ok(R"({"created": 10, "duration": 1, "exitcode": 0, "tests": [
      {"nodeid": "a", "outcome": "passed", "call": {"duration": 0.5, "outcome": "passed"}},
      {"nodeid": "b", "outcome": "xfailed"}]})",
                    kPlugin);
  EXPECT_EQ(tests(*c, kFw, "", "passed"), 1);
  EXPECT_EQ(tests(*c, kFw, "", "xfailed"), 1);
  EXPECT_EQ(c->records_skipped, 0u);
  auto* xf = durations(*c, kFw, "", "xfailed");
  EXPECT_EQ(xf, nullptr);  // no stage, no duration
}

TEST(PytestJson, PreOneZeroShape) {
  auto c = parse_ok(fixture("pre_1_0.json"), "auto");
  EXPECT_EQ(tests(*c, kFw, "", "passed"), 1);
  EXPECT_EQ(tests(*c, kFw, "", "failed"), 1);
  EXPECT_EQ(tests(*c, kFw, "", "error"), 2);  // test_error and the collector of test_bar.py
  EXPECT_EQ(c->records_skipped, 0u);
  EXPECT_EQ(runs(*c, kFw, "", "failed"), 1);
}

TEST(PytestJson, TheEarliestShapeWithAnIsoCreatedTime) {
  auto c = parse_ok(R"({"created": "2018-01-19T20:58:06.5+02:00", "duration": 0.5,
      "python": "3.6.3", "pytest": "3.3.2", "tests": [
      {"nodeid": "t.py::a", "path": "t.py", "line": 18, "domain": "a", "outcome": "failed",
       "keywords": {"a": 1}, "setup": {"duration": 0.1, "outcome": "passed", "longrepr": null},
       "call": {"duration": 0.2, "outcome": "failed", "longrepr": "boom"}}]})",
                    kPlugin);
  EXPECT_EQ(tests(*c, kFw, "", "failed"), 1);
  ASSERT_TRUE(c->timestamp.has_value());
  EXPECT_EQ(*c->timestamp, 1516388286.5);
  EXPECT_EQ(run_gauge(*c, "testreport_run_timestamp_seconds", kFw, ""), 1516388286.0);
}

TEST(PytestJson, NanAndInfinityLiteralsDoNotBreakTheReport) {
  auto c = parse_ok(fixture("nan_literals.json"), kPlugin);
  EXPECT_EQ(tests(*c, kFw, "", "passed"), 2);
  // NaN session duration: no run duration; Infinity call duration: counted without a duration.
  EXPECT_FALSE(run_gauge(*c, "testreport_run_duration_seconds", kFw, "").has_value());
  auto* d = durations(*c, kFw, "", "passed");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->count(), 1u);
  EXPECT_EQ(c->records_skipped, 2u);
}

TEST(PytestJson, NumbersWrittenAsStrings) {
  auto c = parse_ok(R"({"created": "1761690105", "duration": "2.5", "exitcode": "0",
      "summary": {"passed": "3", "total": "3"}})",
                    kPlugin);
  EXPECT_EQ(tests(*c, kFw, "", "passed"), 3);
  EXPECT_EQ(c->timestamp, 1761690105);
  EXPECT_EQ(run_gauge(*c, "testreport_run_duration_seconds", kFw, ""), 2.5);
}

TEST(PytestJson, BadEntriesAreSkippedAndCounted) {
  auto c = parse_ok(R"({"tests": [
      {"nodeid": "ok", "outcome": "passed"},
      {"nodeid": "no outcome"},
      {"nodeid": "number outcome", "outcome": 3},
      {"nodeid": "rerun", "outcome": "rerun"},
      {"nodeid": "bad duration", "outcome": "failed", "call": {"duration": "slow"}},
      {"nodeid": "negative", "outcome": "failed", "call": {"duration": -1}},
      "not an object", null, 17]})",
                    kPlugin);
  EXPECT_EQ(tests(*c, kFw, "", "passed"), 1);
  EXPECT_EQ(tests(*c, kFw, "", "failed"), 2);  // counted, without a duration
  EXPECT_EQ(durations(*c, kFw, "", "failed"), nullptr);
  EXPECT_EQ(c->records_skipped, 8u);
}

TEST(PytestJson, ASummaryThatDisagreesWithTheTestsIsNotedAndTheTestsWin) {
  auto c = parse_ok(R"({"summary": {"passed": 5, "failed": 1, "total": 6},
      "tests": [{"outcome": "passed"}, {"outcome": "passed"}, {"outcome": "error"}]})",
                    kPlugin);
  EXPECT_EQ(tests(*c, kFw, "", "passed"), 2);
  EXPECT_EQ(tests(*c, kFw, "", "error"), 1);
  EXPECT_EQ(tests(*c, kFw, "", "failed"), 0);
  ASSERT_EQ(c->records_skipped, 1u);
  EXPECT_NE(c->skip_reasons[0].find("summary"), std::string::npos) << c->skip_reasons[0];
}

TEST(PytestJson, ExitCodeDecidesTheRunBeyondItsTests) {
  auto interrupted = parse_ok(R"({"exitcode": 2, "summary": {"passed": 1, "total": 1}})", kPlugin);
  EXPECT_EQ(runs(*interrupted, kFw, "", "failed"), 1);
  auto none = parse_ok(R"({"exitcode": 5, "summary": {"total": 0}})", kPlugin);
  EXPECT_EQ(runs(*none, kFw, "", "passed"), 1);
  EXPECT_EQ(tests(*none, kFw, "", "passed"), 0);
}

TEST(PytestJson, BrokenDocumentsFailWhole) {
  const std::string full = fixture("sample.json");
  struct Case {
    const char* what;
    std::string text;
  };
  std::vector<Case> cases = {
      {"empty", ""},
      {"not JSON", "pytest passed"},
      {"top level is an array", "[1, 2]"},
      {"neither tests nor summary", R"({"created": 1, "duration": 2, "exitcode": 0})"},
      {"tests is not an array", R"({"summary": {"passed": 1}, "tests": {"a": 1}})"},
      {"trailing garbage", full + " {"},
      {"a broken token inside a test",
       R"({"tests": [{"outcome": "passed", "call": {"duration": 1.2.3}}]})"},
  };
  // A report still being written: every cut is a parse error, never a partial contribution.
  for (std::size_t cut = 1; cut < full.size(); cut += full.size() / 97 + 1)
    cases.push_back({"truncated", full.substr(0, cut)});
  cases.push_back({"truncated before the last brace", full.substr(0, full.rfind('}'))});
  for (const auto& c : cases) {
    auto r = parse_text(c.text, kPlugin);
    EXPECT_FALSE(r.ok) << c.what << ": " << c.text.size();
    EXPECT_EQ(r.contribution, nullptr) << c.what;
    EXPECT_FALSE(r.error.empty()) << c.what;
  }
}

TEST(PytestJson, AMultiMegabyteSingleLineReport) {
  std::string text = R"({"created": 1761690105.5, "duration": 600.0, "exitcode": 1, )"
                     R"("environment": {"Python": "3.11.2"}, "tests": [)";
  const char* outcomes[] = {"passed", "passed", "passed", "failed", "skipped", "error"};
  std::size_t n = 0, counts[6] = {};
  text.reserve(33u << 20);
  while (text.size() < (32u << 20)) {
    if (n) text += ", ";
    const std::size_t o = n % 6;
    ++counts[o];
    text +=
        R"({"nodeid": "tests/test_big.py::test_)" + std::to_string(n) +
        R"(", "lineno": 12, "outcome": ")" + outcomes[o] +
        R"(", "keywords": ["a", "b", "c"], "setup": {"duration": 0.0001, "outcome": "passed"}, )"
        R"("call": {"duration": 0.01, "outcome": "passed", "stdout": "some output\nmore"}, )"
        R"("teardown": {"duration": 0.0002, "outcome": "passed"}})";
    ++n;
  }
  text += "]}";
  const auto start = std::chrono::steady_clock::now();
  auto c = parse_ok(text, kPlugin);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  EXPECT_EQ(tests(*c, kFw, "", "passed"), static_cast<double>(counts[0] + counts[1] + counts[2]));
  EXPECT_EQ(tests(*c, kFw, "", "failed"), static_cast<double>(counts[3]));
  EXPECT_EQ(tests(*c, kFw, "", "error"), static_cast<double>(counts[5]));
  auto* d = durations(*c, kFw, "", "skipped");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->count(), counts[4]);
  EXPECT_EQ(c->records_skipped, 0u);
  std::cout << "[          ] " << (text.size() >> 20) << " MiB, " << n << " tests in " << ms
            << " ms\n";
}
