// junit_xml through the real loader: the hand-made Surefire, jest-junit and GoogleTest fixtures
// (schemas/junit_xml/), pytest's dialect and the drifts of real reports, and broken documents.
// Real pytest and GoogleTest reports are checked in tests/integration/test_testreports.py.
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
using rex::test::TzGuard;

namespace {

const std::string kPlugin = "junit_xml";

std::string fixture(const std::string& name) {
  return rex::test::read_text_file(REX_SAMPLES_DIR "/junit_xml/" + name);
}

}  // namespace

TEST(JunitXml, SurefireReportWithRerunsAndFlakes) {
  auto r = parse_text(fixture("TEST-com.example.CalculatorTest.xml"), "auto");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.plugin, kPlugin);
  const auto& c = *r.contribution;
  const std::string fw = "surefire", suite = "com.example.CalculatorTest";
  // The flaky test passed on a rerun: passed. The one whose reruns failed too: failed.
  EXPECT_EQ(tests(c, fw, suite, "passed"), 3);
  EXPECT_EQ(tests(c, fw, suite, "failed"), 1);
  EXPECT_EQ(tests(c, fw, suite, "error"), 1);
  EXPECT_EQ(tests(c, fw, suite, "skipped"), 1);
  EXPECT_FALSE(tests(c, fw, suite, "xfailed").has_value());  // JUnit cannot say xfailed
  EXPECT_EQ(runs(c, fw, suite, "failed"), 1);
  // "1,234.567": Surefire's grouping commas.
  EXPECT_EQ(run_gauge(c, "testreport_run_duration_seconds", fw, suite), 1234.567);
  // Surefire writes no timestamp: the file's mtime decides which report is newest.
  EXPECT_FALSE(c.timestamp.has_value());
  EXPECT_FALSE(run_gauge(c, "testreport_run_timestamp_seconds", fw, suite).has_value());
  // `constructs` has no time attribute: counted, not observed.
  auto* passed = durations(c, fw, suite, "passed");
  ASSERT_NE(passed, nullptr);
  EXPECT_EQ(passed->count(), 2u);
  EXPECT_DOUBLE_EQ(passed->sum, 0.012 + 1233.5);
  EXPECT_EQ(c.records_skipped, 0u);
}

TEST(JunitXml, OlderSurefireIsToldByItsProperties) {
  auto c = parse_ok(fixture("TEST-com.example.ParserTest.xml"), "auto");
  EXPECT_EQ(tests(*c, "surefire", "com.example.ParserTest", "passed"), 3);
  EXPECT_EQ(tests(*c, "surefire", "com.example.ParserTest", "failed"), 0);
  EXPECT_EQ(runs(*c, "surefire", "com.example.ParserTest", "passed"), 1);
}

TEST(JunitXml, JestJunitWritesUtcWithoutAZone) {
  TzGuard tz("EST5");  // the result must not depend on the exporter's zone
  auto c = parse_ok(fixture("jest-junit.xml"), "auto");
  EXPECT_EQ(tests(*c, "jest", "math", "passed"), 1);
  EXPECT_EQ(tests(*c, "jest", "math", "failed"), 1);  // <failure> with text only
  EXPECT_EQ(tests(*c, "jest", "math", "skipped"), 1);
  EXPECT_EQ(tests(*c, "jest", "strings", "passed"), 2);
  EXPECT_EQ(tests(*c, "jest", "strings", "failed"), 0);
  EXPECT_EQ(run_gauge(*c, "testreport_run_timestamp_seconds", "jest", "math"), 1761694800);
  EXPECT_EQ(*c->timestamp, 1761694801);  // the newest suite
  EXPECT_EQ(c->records_skipped, 0u);
}

TEST(JunitXml, GoogleTestDialect) {
  TzGuard tz("UTC");
  auto c = parse_ok(fixture("googletest.xml"), "auto");
  const std::string fw = "googletest";
  // Two failed assertions are one failed test; a disabled test is skipped, without a duration.
  EXPECT_EQ(tests(*c, fw, "Parser", "passed"), 1);
  EXPECT_EQ(tests(*c, fw, "Parser", "failed"), 1);
  EXPECT_EQ(tests(*c, fw, "Parser", "skipped"), 1);
  EXPECT_EQ(durations(*c, fw, "Parser", "skipped"), nullptr);
  EXPECT_EQ(tests(*c, fw, "Lexer", "skipped"), 1);
  EXPECT_FALSE(tests(*c, fw, "Lexer", "error").has_value());  // GoogleTest never errors
  auto* lexer = durations(*c, fw, "Lexer", "passed");
  ASSERT_NE(lexer, nullptr);
  EXPECT_EQ(lexer->sum, 3);  // time="3."
  EXPECT_EQ(run_gauge(*c, "testreport_run_duration_seconds", fw, "Lexer"), 3);
  EXPECT_EQ(*c->timestamp, 1761694800.125);  // <testsuites timestamp>, local time
  EXPECT_EQ(c->records_skipped, 0u);
}

TEST(JunitXml, GoogleTestTimestampsAreLocalTime) {
  TzGuard tz("EST5");
  auto c = parse_ok(fixture("googletest.xml"), kPlugin);
  EXPECT_EQ(*c->timestamp, 1761694800.125 + 5 * 3600);
}

TEST(JunitXml, PytestBareTestsuiteWithXfailAndAFailureThenATeardownError) {
  // pytest before 5.1 wrote no <testsuites> wrapper. The test that failed and then errored in
  // teardown is one testcase with both elements; pytest counts it twice in `tests`.
  auto c = parse_ok(R"(<?xml version="1.0" encoding="utf-8"?>
<testsuite errors="1" failures="1" hostname="ci" name="pytest" skipped="2" tests="5" time="0.210" timestamp="2025-10-28T23:40:00.123456">
  <testcase classname="test_a" file="test_a.py" line="3" name="test_pass" time="0.001"/>
  <testcase classname="test_a" name="test_skip" time="0.000"><skipped message="no db" type="pytest.skip">test_a.py:8: no db</skipped></testcase>
  <testcase classname="test_a" name="test_xfail" time="0.002"><skipped message="known bug" type="pytest.xfail"/></testcase>
  <testcase classname="test_a" name="test_both" time="0.003"><failure message="assert 0">assert 0</failure><error message="failed on teardown with &quot;RuntimeError: x&quot;">RuntimeError</error></testcase>
</testsuite>)",
                    "auto");
  EXPECT_EQ(tests(*c, "pytest", "pytest", "passed"), 1);
  EXPECT_EQ(tests(*c, "pytest", "pytest", "skipped"), 1);
  EXPECT_EQ(tests(*c, "pytest", "pytest", "xfailed"), 1);
  EXPECT_EQ(tests(*c, "pytest", "pytest", "error"), 1);
  EXPECT_EQ(tests(*c, "pytest", "pytest", "failed"), 0);
  EXPECT_FALSE(tests(*c, "pytest", "pytest", "xpassed").has_value());  // junitxml cannot say it
  EXPECT_EQ(c->records_skipped, 0u) << (c->skip_reasons.empty() ? "" : c->skip_reasons[0]);
}

TEST(JunitXml, PytestSplitsATestThatFailedThenErroredInTeardownIntoTwoElements) {
  // What pytest 7 writes: the second element of the same name carries the teardown error. It is
  // one test, an error (as pytest-json-report says), and pytest's own tests="3" agrees.
  auto c = parse_ok(R"(<testsuites><testsuite name="pytest" errors="1" failures="2" skipped="0"
      tests="3" time="0.1" timestamp="2025-10-28T23:40:00.123456" hostname="ci">
    <testcase classname="t" name="test_ok" time="0.010"/>
    <testcase classname="t" name="test_both" time="0.020"><failure message="assert False"/></testcase>
    <testcase classname="t" name="test_both" time="0.005"><error message="failed on teardown with &quot;RuntimeError: x&quot;"/></testcase>
    <testcase classname="t" name="test_other" time="0.001"><failure message="assert 0"/></testcase>
  </testsuite></testsuites>)",
                    kPlugin);
  EXPECT_EQ(tests(*c, "pytest", "pytest", "passed"), 1);
  EXPECT_EQ(tests(*c, "pytest", "pytest", "error"), 1);
  EXPECT_EQ(tests(*c, "pytest", "pytest", "failed"), 1);
  auto* e = durations(*c, "pytest", "pytest", "error");
  ASSERT_NE(e, nullptr);
  EXPECT_DOUBLE_EQ(e->sum, 0.025);
  EXPECT_EQ(c->records_skipped, 0u) << (c->skip_reasons.empty() ? "" : c->skip_reasons[0]);
}

TEST(JunitXml, CountsThatDisagreeWithTheTestcasesAreNotedAndTheTestcasesWin) {
  auto c =
      parse_ok(R"(<testsuites><testsuite name="s" tests="9" failures="0" errors="0" skipped="0">
    <testcase name="a" time="0.1"/><testcase name="b" time="0.1"><failure/></testcase>
  </testsuite></testsuites>)",
               kPlugin);
  EXPECT_EQ(tests(*c, "junit", "s", "passed"), 1);
  EXPECT_EQ(tests(*c, "junit", "s", "failed"), 1);
  ASSERT_EQ(c->records_skipped, 1u);
  EXPECT_NE(c->skip_reasons[0].find("tests=9"), std::string::npos) << c->skip_reasons[0];
  EXPECT_NE(c->skip_reasons[0].find("failures=0"), std::string::npos) << c->skip_reasons[0];
}

TEST(JunitXml, TimesThatAreMissingEmptyOrUnreadable) {
  auto c = parse_ok(R"(<testsuite name="s">
    <testcase name="none"/><testcase name="empty" time=""/><testcase name="word" time="fast"/>
    <testcase name="negative" time="-1"/><testcase name="ok" time=" 2.5 "/></testsuite>)",
                    kPlugin);
  EXPECT_EQ(tests(*c, "junit", "s", "passed"), 5);
  auto* d = durations(*c, "junit", "s", "passed");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->count(), 1u);
  EXPECT_EQ(d->sum, 2.5);
  EXPECT_EQ(c->records_skipped, 2u);  // "fast" and "-1"
  EXPECT_FALSE(run_gauge(*c, "testreport_run_duration_seconds", "junit", "s").has_value());
}

TEST(JunitXml, NestedSuitesCountWhereTheirCasesAre) {
  // Ant and PHPUnit nest suites: the outer one only groups.
  auto c = parse_ok(R"(<testsuites><testsuite name="all" tests="3">
      <testsuite name="A" tests="2"><testcase name="x"/><testcase name="y"><error/></testcase></testsuite>
      <testsuite name="B" tests="1"><testsuite name="B.inner"><testcase name="z"/></testsuite></testsuite>
    </testsuite></testsuites>)",
                    kPlugin);
  EXPECT_EQ(tests(*c, "junit", "A", "passed"), 1);
  EXPECT_EQ(tests(*c, "junit", "A", "error"), 1);
  EXPECT_EQ(tests(*c, "junit", "B.inner", "passed"), 1);
  EXPECT_FALSE(tests(*c, "junit", "all", "passed").has_value());
  EXPECT_FALSE(tests(*c, "junit", "B", "passed").has_value());
  EXPECT_EQ(c->records_skipped, 0u);
}

TEST(JunitXml, SuitesOfTheSameNameAddUpAndANamelessSuiteHasNoLabel) {
  auto c = parse_ok(R"(<testsuites>
      <testsuite name="dup" time="1"><testcase name="a"/></testsuite>
      <testsuite name="dup" time="2"><testcase name="b"><failure/></testcase></testsuite>
      <testsuite><testcase name="c"/></testsuite>
      <testsuite name="with &amp; entity"><testcase name="d"/></testsuite>
    </testsuites>)",
                    kPlugin);
  EXPECT_EQ(tests(*c, "junit", "dup", "passed"), 1);
  EXPECT_EQ(tests(*c, "junit", "dup", "failed"), 1);
  EXPECT_EQ(runs(*c, "junit", "dup", "failed"), 1);
  EXPECT_EQ(run_gauge(*c, "testreport_run_duration_seconds", "junit", "dup"), 3);
  EXPECT_EQ(tests(*c, "junit", "", "passed"), 1);
  EXPECT_EQ(tests(*c, "junit", "with & entity", "passed"), 1);
}

TEST(JunitXml, AnEmptyRunIsARunWithNoTests) {
  auto c = parse_ok(R"(<testsuites><testsuite name="pytest" errors="0" failures="0" skipped="0"
      tests="0" time="0.01" timestamp="2025-10-28T23:40:00.123456" hostname="ci"/></testsuites>)",
                    kPlugin);
  EXPECT_EQ(tests(*c, "pytest", "pytest", "passed"), 0);
  EXPECT_EQ(runs(*c, "pytest", "pytest", "passed"), 1);
  auto wrapper_only = parse_ok("<testsuites/>", kPlugin);
  EXPECT_FALSE(has_family(*wrapper_only, "testreport_tests_total"));
}

TEST(JunitXml, BrokenDocumentsFailWhole) {
  const std::string full = fixture("TEST-com.example.CalculatorTest.xml");
  struct Case {
    const char* what;
    std::string text;
  };
  std::vector<Case> cases = {
      {"empty", ""},
      {"not XML", "<<< not xml"},
      {"JSON", R"({"testsuites": []})"},
      {"another root", "<html><body/></html>"},
      {"two roots", "<testsuite name='a'/><testsuite name='b'/>"},
      {"mismatched tags", "<testsuite><testcase></testsuite>"},
  };
  // A report still being written: every cut before the root's end is a parse error.
  const std::size_t root_end = full.rfind("</testsuite>");
  for (std::size_t cut = 1; cut <= root_end; cut += root_end / 97 + 1)
    cases.push_back({"truncated", full.substr(0, cut)});
  for (const auto& c : cases) {
    auto r = parse_text(c.text, kPlugin);
    EXPECT_FALSE(r.ok) << c.what << ": " << c.text.size();
    EXPECT_EQ(r.contribution, nullptr) << c.what;
    EXPECT_FALSE(r.error.empty()) << c.what;
  }
}

TEST(JunitXml, AMultiMegabyteReport) {
  std::string text = R"(<?xml version="1.0" encoding="UTF-8"?><testsuites name="AllTests">)";
  std::size_t n = 0, failed = 0, suites = 0;
  text.reserve(33u << 20);
  while (text.size() < (32u << 20)) {
    text += R"(<testsuite name="Suite)" + std::to_string(suites++ % 50) + R"(" tests="100">)";
    for (int i = 0; i < 100; ++i, ++n) {
      const bool fail = n % 7 == 0;
      failed += fail ? 1 : 0;
      text += R"(<testcase name="T)" + std::to_string(n) +
              R"(" status="run" result="completed" time="0.012" classname="C">)";
      if (fail) text += R"(<failure message="x" type=""><![CDATA[expected 1, got 2]]></failure>)";
      text += "</testcase>";
    }
    text += "</testsuite>";
  }
  text += "</testsuites>";
  const auto start = std::chrono::steady_clock::now();
  auto c = parse_ok(text, kPlugin);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  std::cout << "[          ] " << (text.size() >> 20) << " MiB, " << n << " tests in " << ms
            << " ms\n";
  double total_failed = 0, total = 0;
  for (int s = 0; s < 50; ++s) {
    const std::string suite = "Suite" + std::to_string(s);
    total_failed += tests(*c, "googletest", suite, "failed").value_or(-1e18);
    total += tests(*c, "googletest", suite, "failed").value_or(-1e18) +
             tests(*c, "googletest", suite, "passed").value_or(-1e18) +
             tests(*c, "googletest", suite, "skipped").value_or(-1e18);
  }
  EXPECT_EQ(total, static_cast<double>(n));
  EXPECT_EQ(total_failed, static_cast<double>(failed));
}
