// osworld_detailed through the real loader: the sample, drifted inputs and broken ones.
#include <gtest/gtest.h>

#include <cmath>

#include "plugin_test_support.hpp"

using rex::test::has_family;
using rex::test::histogram;
using rex::test::parse_text;
using rex::test::value;

namespace {

const std::string kPlugin = "osworld_detailed";

std::shared_ptr<const rex::store::Contribution> parse_ok(const std::string& text,
                                                         const std::string& plugin = kPlugin) {
  auto r = parse_text(text, plugin);
  EXPECT_TRUE(r.ok) << r.error;
  return r.contribution ? r.contribution : std::make_shared<rex::store::Contribution>();
}

std::string doc_with(const std::string& entries) {
  return R"({"timestamp": 1761690105, "detailed_results": [)" + entries + "]}";
}

}  // namespace

TEST(OsworldDetailed, SampleFileGivesTheCatalogueMetrics) {
  auto text = rex::test::read_text_file(REX_SAMPLES_DIR "/osworld_detailed/sample.json");
  ASSERT_FALSE(text.empty());
  auto r = parse_text(text, "auto");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.plugin, kPlugin);
  const auto& c = *r.contribution;

  EXPECT_EQ(value(c, "osworld_tasks_total", {{"category", "file_operations"}}), 2);
  EXPECT_EQ(value(c, "osworld_tasks_total", {{"category", "web_browsing"}}), 2);
  EXPECT_EQ(value(c, "osworld_tasks_total", {{"category", "terminal"}}), 2);

  // Both failure reasons exist for every category: a measured zero is data.
  auto failed = [&](const char* cat, const char* reason) {
    return value(c, "osworld_tasks_failed", {{"category", cat}, {"failure_reason", reason}});
  };
  EXPECT_EQ(failed("file_operations", "failed"), 0);
  EXPECT_EQ(failed("file_operations", "error"), 0);
  EXPECT_EQ(failed("web_browsing", "failed"), 1);
  EXPECT_EQ(failed("web_browsing", "error"), 0);
  EXPECT_EQ(failed("terminal", "failed"), 0);
  EXPECT_EQ(failed("terminal", "error"), 1);

  EXPECT_EQ(value(c, "osworld_benchmark_success_rate", {{"category", "file_operations"}}), 100);
  EXPECT_EQ(value(c, "osworld_benchmark_success_rate", {{"category", "web_browsing"}}), 50);
  EXPECT_EQ(value(c, "osworld_benchmark_success_rate", {{"category", "terminal"}}), 50);

  auto* term_failed = histogram(c, "osworld_task_duration_seconds",
                                {{"category", "terminal"}, {"status", "failed"}});
  ASSERT_NE(term_failed, nullptr);
  EXPECT_EQ(term_failed->count(), 1u);
  EXPECT_DOUBLE_EQ(term_failed->sum, 3.3);
  // 3.3 s falls in the le="5" bucket (bounds 0.5 1 2.5 5 ...).
  EXPECT_EQ(term_failed->bucket_counts[3], 1u);

  auto* file_ok = histogram(c, "osworld_task_duration_seconds",
                            {{"category", "file_operations"}, {"status", "success"}});
  ASSERT_NE(file_ok, nullptr);
  EXPECT_EQ(file_ok->count(), 2u);
  EXPECT_DOUBLE_EQ(file_ok->sum, 3.21 + 6.02);

  // term_002 raised and has no steps_taken: one observation only.
  auto* steps = histogram(c, "osworld_steps_per_task", {{"category", "terminal"}});
  ASSERT_NE(steps, nullptr);
  EXPECT_EQ(steps->count(), 1u);
  EXPECT_EQ(steps->sum, 3);

  // No entry has a backend: the family is absent, not 0.
  EXPECT_FALSE(has_family(c, "osworld_mock_vs_real"));
  ASSERT_TRUE(c.timestamp.has_value());
  EXPECT_EQ(*c.timestamp, 1761690105);
  EXPECT_EQ(c.records_skipped, 0u);
}

TEST(OsworldDetailed, NumbersWrittenAsStringsAreNumbers) {
  auto c = parse_ok(R"({"timestamp": "1761690000", "detailed_results": [
    {"category": "a", "success": true, "steps_taken": "5", "execution_time": "3.2"}]})");
  EXPECT_EQ(c->timestamp, 1761690000);
  auto* d =
      histogram(*c, "osworld_task_duration_seconds", {{"category", "a"}, {"status", "success"}});
  ASSERT_NE(d, nullptr);
  EXPECT_DOUBLE_EQ(d->sum, 3.2);
  auto* s = histogram(*c, "osworld_steps_per_task", {{"category", "a"}});
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->sum, 5);
}

TEST(OsworldDetailed, EntriesWithMissingOrWrongFieldsAreSkippedAndCounted) {
  auto c = parse_ok(doc_with(R"(
    {"category": "a", "success": true, "execution_time": 1.0},
    {"category": "a", "execution_time": 1.0},
    {"category": "a", "success": "true", "execution_time": 1.0},
    {"category": 7, "success": true},
    {"category": "a", "success": true, "execution_time": "fast"},
    {"category": "a", "success": false, "steps_taken": [1]},
    "not an object")"));
  EXPECT_EQ(c->records_skipped, 6u);
  EXPECT_EQ(value(*c, "osworld_tasks_total", {{"category", "a"}}), 1);
  EXPECT_EQ(value(*c, "osworld_tasks_failed", {{"category", "a"}, {"failure_reason", "failed"}}),
            0);
  EXPECT_EQ(value(*c, "osworld_benchmark_success_rate", {{"category", "a"}}), 100);
  EXPECT_FALSE(c->skip_reasons.empty());
}

TEST(OsworldDetailed, ALabelTheInputDoesNotProvideIsLeftOff) {
  auto c = parse_ok(
      doc_with(R"({"success": false, "execution_time": 2}, {"category": null, "success": false})"));
  EXPECT_EQ(value(*c, "osworld_tasks_total", {}), 2);
  EXPECT_EQ(value(*c, "osworld_tasks_failed", {{"failure_reason", "failed"}}), 2);
  EXPECT_EQ(value(*c, "osworld_tasks_failed", {{"failure_reason", "error"}}), 0);
  EXPECT_FALSE(value(*c, "osworld_tasks_total", {{"category", "unknown"}}).has_value());
}

TEST(OsworldDetailed, EmptyOrNullErrorIsAPlainFailure) {
  auto c = parse_ok(doc_with(R"(
    {"category": "a", "success": false, "error": ""},
    {"category": "a", "success": false, "error": null},
    {"category": "a", "success": false, "error": "boom"})"));
  EXPECT_EQ(value(*c, "osworld_tasks_failed", {{"category", "a"}, {"failure_reason", "failed"}}),
            2);
  EXPECT_EQ(value(*c, "osworld_tasks_failed", {{"category", "a"}, {"failure_reason", "error"}}), 1);
  EXPECT_EQ(value(*c, "osworld_benchmark_success_rate", {{"category", "a"}}), 0);
}

TEST(OsworldDetailed, KeyOrderDoesNotMatter) {
  auto c = parse_ok(R"({"detailed_results": [{"category": "a", "success": true}],
                        "category_stats": {"a": {"total": 1, "passed": 1}}, "timestamp": 5})");
  EXPECT_EQ(value(*c, "osworld_tasks_total", {{"category", "a"}}), 1);
  EXPECT_EQ(c->timestamp, 5);
}

TEST(OsworldDetailed, AnEmptyArrayContributesNothing) {
  auto c = parse_ok(doc_with(""));
  EXPECT_FALSE(has_family(*c, "osworld_tasks_total"));
  EXPECT_FALSE(has_family(*c, "osworld_benchmark_success_rate"));
}

TEST(OsworldDetailed, AByteOrderMarkIsAccepted) {
  auto c = parse_ok("\xEF\xBB\xBF" + doc_with(R"({"category": "a", "success": true})"));
  EXPECT_EQ(value(*c, "osworld_tasks_total", {{"category", "a"}}), 1);
}

TEST(OsworldDetailed, BrokenDocumentsFailWhole) {
  const std::string full = doc_with(R"({"category": "a", "success": true, "execution_time": 1.5},
                                       {"category": "b", "success": false})");
  struct Case {
    const char* what;
    std::string text;
  };
  std::vector<Case> cases = {
      {"empty", ""},
      {"whitespace", "  \n"},
      {"not JSON", "hello, world"},
      {"truncated mid-array", full.substr(0, full.size() / 2)},
      {"truncated before the last brace", full.substr(0, full.size() - 1)},
      {"top level is an array", "[1, 2, 3]"},
      {"no detailed_results", R"({"timestamp": 1, "tasks_done": []})"},
      {"detailed_results is not an array", R"({"detailed_results": {"a": 1}})"},
      {"trailing garbage", full + " {"},
  };
  for (const auto& c : cases) {
    auto r = parse_text(c.text, kPlugin);
    EXPECT_FALSE(r.ok) << c.what;
    EXPECT_EQ(r.contribution, nullptr) << c.what;
    EXPECT_FALSE(r.error.empty()) << c.what;
  }
}

TEST(OsworldDetailed, AHundredMegabyteDocument) {
  std::string text = R"({"timestamp": 1761690105, "success_rate": 0.5, "detailed_results": [)";
  const char* cats[] = {"file_operations", "web_browsing", "terminal", "office"};
  size_t n = 0, failures = 0, errors = 0;
  text.reserve(101u << 20);
  while (text.size() < (100u << 20)) {
    if (n) text += ',';
    bool ok = n % 3 != 0;
    bool err = !ok && n % 2 == 0;
    text += R"({"task_id": "t)" + std::to_string(n) + R"(", "category": ")" + cats[n % 4] +
            R"(", "success": )" + (ok ? "true" : "false") + R"(, "steps_taken": )" +
            std::to_string(n % 17) + R"(, "execution_time": )" + std::to_string(n % 97) + ".25" +
            (err ? R"(, "error": "Timeout after 300s")" : "") + "}";
    failures += ok ? 0 : 1;
    errors += err ? 1 : 0;
    ++n;
  }
  text += "]}";
  auto c = parse_ok(text);
  double total = 0, failed = 0, error = 0;
  for (const char* cat : cats) {
    total += value(*c, "osworld_tasks_total", {{"category", cat}}).value_or(-1e18);
    failed += value(*c, "osworld_tasks_failed", {{"category", cat}, {"failure_reason", "failed"}})
                  .value_or(-1e18);
    error += value(*c, "osworld_tasks_failed", {{"category", cat}, {"failure_reason", "error"}})
                 .value_or(-1e18);
  }
  EXPECT_EQ(total, static_cast<double>(n));
  EXPECT_EQ(failed + error, static_cast<double>(failures));
  EXPECT_EQ(error, static_cast<double>(errors));
  EXPECT_EQ(c->records_skipped, 0u);
}

TEST(OsworldDetailed, NullFiguresAreAbsentNotErrors) {
  auto c = parse_ok(doc_with(R"({"category": "a", "success": false, "error": "boom",
                                 "steps_taken": null, "execution_time": null})"));
  EXPECT_EQ(c->records_skipped, 0u);
  EXPECT_EQ(value(*c, "osworld_tasks_total", {{"category", "a"}}), 1);
  EXPECT_EQ(histogram(*c, "osworld_steps_per_task", {{"category", "a"}}), nullptr);
  EXPECT_EQ(
      histogram(*c, "osworld_task_duration_seconds", {{"category", "a"}, {"status", "failed"}}),
      nullptr);
}
