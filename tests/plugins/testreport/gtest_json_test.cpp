// gtest_json through the real loader: the hand-made fixture (schemas/gtest_json/), drifts, and
// broken documents. Real GoogleTest reports are checked in tests/integration/test_testreports.py.
#include <gtest/gtest.h>

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
using rex::test::TzGuard;

namespace {

const std::string kPlugin = "gtest_json";
const std::string kFw = "googletest";

std::string fixture(const std::string& name) {
  return rex::test::read_text_file(REX_SAMPLES_DIR "/gtest_json/" + name);
}

std::string doc_with(const std::string& cases, const std::string& suite_extra = "") {
  return R"({"tests": 1, "failures": 0, "disabled": 0, "errors": 0,
    "timestamp": "2025-10-28T23:40:00Z", "time": "0.5s", "name": "AllTests", "testsuites": [
    {"name": "S", )" +
         suite_extra + R"("testsuite": [)" + cases + "]}]}";
}

}  // namespace

TEST(GtestJson, SampleReport) {
  TzGuard tz("UTC");
  auto r = parse_text(fixture("sample.json"), "auto");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.plugin, kPlugin);
  const auto& c = *r.contribution;
  EXPECT_EQ(tests(c, kFw, "Parser", "passed"), 1);
  EXPECT_EQ(tests(c, kFw, "Parser", "failed"), 1);   // two failures[], one test
  EXPECT_EQ(tests(c, kFw, "Parser", "skipped"), 1);  // SUPPRESSED: disabled
  EXPECT_EQ(durations(c, kFw, "Parser", "skipped"), nullptr);
  EXPECT_EQ(tests(c, kFw, "Lexer", "skipped"), 1);  // SKIPPED, with skipped[]
  EXPECT_FALSE(tests(c, kFw, "Lexer", "error").has_value());
  EXPECT_FALSE(tests(c, kFw, "Lexer", "xfailed").has_value());
  EXPECT_EQ(runs(c, kFw, "Parser", "failed"), 1);
  EXPECT_EQ(runs(c, kFw, "Lexer", "passed"), 1);
  EXPECT_EQ(run_gauge(c, "testreport_run_duration_seconds", kFw, "Parser"), 0.02);
  EXPECT_EQ(run_gauge(c, "testreport_run_timestamp_seconds", kFw, "Lexer"), 1761694800);
  auto* d = durations(c, kFw, "Parser", "failed");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->sum, 0.019);
  EXPECT_EQ(*c.timestamp, 1761694800);
  EXPECT_EQ(c.records_skipped, 0u);
}

TEST(GtestJson, TheZIsLocalTimeAsGoogleTestWritesIt) {
  TzGuard tz("EST5");
  auto c = parse_ok(fixture("sample.json"), kPlugin);
  EXPECT_EQ(*c->timestamp, 1761694800 + 5 * 3600);
}

TEST(GtestJson, OlderReportsWithoutResult) {
  auto c = parse_ok(doc_with(R"({"name": "a", "status": "RUN", "time": "0.1s"},
      {"name": "b", "status": "RUN", "time": "0.2s", "failures": [{"failure": "x", "type": ""}]},
      {"name": "c", "status": "NOTRUN", "time": "0s"})"),
                    kPlugin);
  EXPECT_EQ(tests(*c, kFw, "S", "passed"), 1);
  EXPECT_EQ(tests(*c, kFw, "S", "failed"), 1);
  EXPECT_EQ(tests(*c, kFw, "S", "skipped"), 1);
}

TEST(GtestJson, TimesAsNumbersOrStrings) {
  auto c = parse_ok(doc_with(R"({"status": "RUN", "result": "COMPLETED", "time": 0.25},
      {"status": "RUN", "result": "COMPLETED", "time": "3.s"},
      {"status": "RUN", "result": "COMPLETED", "time": "soon"},
      {"status": "RUN", "result": "COMPLETED"})",
                             R"("time": "1,234.5s", )"),
                    kPlugin);
  EXPECT_EQ(tests(*c, kFw, "S", "passed"), 4);
  auto* d = durations(*c, kFw, "S", "passed");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->count(), 2u);
  EXPECT_EQ(d->sum, 3.25);
  EXPECT_EQ(run_gauge(*c, "testreport_run_duration_seconds", kFw, "S"), 1234.5);
  EXPECT_EQ(c->records_skipped, 1u);  // "soon"
}

TEST(GtestJson, UnknownResultsAndListingsAreSkipped) {
  auto c = parse_ok(doc_with(R"({"status": "RUN", "result": "COMPLETED"},
      {"status": "RUN", "result": "EXPLODED"},
      {"name": "listed", "file": "x.cc", "line": 3},
      "not an object")"),
                    kPlugin);
  EXPECT_EQ(tests(*c, kFw, "S", "passed"), 1);
  EXPECT_EQ(c->records_skipped, 3u);
}

TEST(GtestJson, CountsThatDisagreeAreNoted) {
  auto c = parse_ok(doc_with(R"({"status": "RUN", "result": "COMPLETED"})",
                             R"("tests": 4, "failures": 1, "disabled": 0, "errors": 0, )"),
                    kPlugin);
  EXPECT_EQ(tests(*c, kFw, "S", "passed"), 1);
  ASSERT_EQ(c->records_skipped, 1u);
  EXPECT_NE(c->skip_reasons[0].find("tests=4"), std::string::npos) << c->skip_reasons[0];
}

TEST(GtestJson, AFailureOutsideAnyTestSuite) {
  // GoogleTest reports an environment's failure as a suite of its own.
  auto c = parse_ok(R"({"testsuites": [{"name": "NonTestSuiteFailure", "tests": 1, "failures": 1,
      "disabled": 0, "skipped": 0, "errors": 0, "time": "0s", "timestamp": "2025-10-28T23:40:00Z",
      "testsuite": [{"name": "", "status": "RUN", "result": "COMPLETED",
        "timestamp": "2025-10-28T23:40:00Z", "time": "0s", "classname": "",
        "failures": [{"failure": "env setup failed", "type": ""}]}]}]})",
                    kPlugin);
  EXPECT_EQ(tests(*c, kFw, "NonTestSuiteFailure", "failed"), 1);
  EXPECT_EQ(c->records_skipped, 0u);
}

TEST(GtestJson, NoTestsuitesIsASchemaError) {
  for (const char* text : {R"({"tests": 0, "name": "AllTests"})", R"({"testsuites": {}})",
                           R"([{"testsuites": []}])"}) {
    auto r = parse_text(text, kPlugin);
    EXPECT_FALSE(r.ok) << text;
    EXPECT_EQ(r.contribution, nullptr) << text;
  }
  auto empty = parse_ok(R"({"testsuites": []})", kPlugin);
  EXPECT_FALSE(has_family(*empty, "testreport_tests_total"));
}

TEST(GtestJson, BrokenDocumentsFailWhole) {
  const std::string full = fixture("sample.json");
  std::vector<std::string> cases = {"", "gtest", full + "]", doc_with("{\"time\": 1.2.3}")};
  for (std::size_t cut = 1; cut < full.size(); cut += full.size() / 97 + 1)
    cases.push_back(full.substr(0, cut));
  for (const auto& text : cases) {
    auto r = parse_text(text, kPlugin);
    EXPECT_FALSE(r.ok) << text.size();
    EXPECT_EQ(r.contribution, nullptr) << text.size();
  }
}
