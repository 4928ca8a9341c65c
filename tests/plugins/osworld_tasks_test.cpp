// osworld_tasks through the real loader: the older `tasks` shape, with backends.
#include <gtest/gtest.h>

#include "plugin_test_support.hpp"

using rex::test::has_family;
using rex::test::histogram;
using rex::test::parse_text;
using rex::test::value;

namespace {

std::shared_ptr<const rex::store::Contribution> parse_ok(const std::string& text) {
  auto r = parse_text(text, "osworld_tasks");
  EXPECT_TRUE(r.ok) << r.error;
  return r.contribution ? r.contribution : std::make_shared<rex::store::Contribution>();
}

}  // namespace

TEST(OsworldTasks, SampleFileGivesTheCatalogueMetrics) {
  auto text = rex::test::read_text_file(REX_SAMPLES_DIR "/osworld_tasks/sample.json");
  ASSERT_FALSE(text.empty());
  auto r = parse_text(text, "auto");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.plugin, "osworld_tasks");
  const auto& c = *r.contribution;
  EXPECT_EQ(value(c, "osworld_tasks_total", {{"category", "application_usage"}}), 2);
  EXPECT_EQ(value(c, "osworld_tasks_total", {{"category", "system_operations"}}), 1);
  EXPECT_EQ(value(c, "osworld_tasks_failed",
                  {{"category", "application_usage"}, {"failure_reason", "failed"}}),
            1);
  EXPECT_EQ(value(c, "osworld_tasks_failed",
                  {{"category", "system_operations"}, {"failure_reason", "error"}}),
            0);
  EXPECT_EQ(value(c, "osworld_benchmark_success_rate", {{"category", "application_usage"}}), 50);
  EXPECT_EQ(value(c, "osworld_benchmark_success_rate", {{"category", "system_operations"}}), 100);
  EXPECT_NEAR(*value(c, "osworld_mock_vs_real", {{"backend_type", "mock"}}), 200.0 / 3, 1e-9);
  EXPECT_NEAR(*value(c, "osworld_mock_vs_real", {{"backend_type", "real"}}), 100.0 / 3, 1e-9);
  auto* d = histogram(c, "osworld_task_duration_seconds",
                      {{"category", "application_usage"}, {"status", "failed"}});
  ASSERT_NE(d, nullptr);
  EXPECT_DOUBLE_EQ(d->sum, 30.2);
  EXPECT_FALSE(c.timestamp.has_value());  // the tasks shape has none: the file's mtime decides
}

TEST(OsworldTasks, MockVsRealCountsOnlyEntriesWithABackend) {
  auto c = parse_ok(R"({"tasks": [
    {"category": "a", "success": true, "backend": "mock"},
    {"category": "a", "success": true, "backend": "agent_s"},
    {"category": "a", "success": true, "backend": "claude"},
    {"category": "a", "success": true, "backend": "mock"},
    {"category": "a", "success": true}]})");
  EXPECT_EQ(value(*c, "osworld_mock_vs_real", {{"backend_type", "mock"}}), 50);
  EXPECT_EQ(value(*c, "osworld_mock_vs_real", {{"backend_type", "real"}}), 50);
  EXPECT_EQ(value(*c, "osworld_tasks_total", {{"category", "a"}}), 5);
}

TEST(OsworldTasks, NoBackendMeansNoMockVsReal) {
  auto c = parse_ok(R"({"tasks": [{"category": "a", "success": true, "duration": 1}]})");
  EXPECT_FALSE(has_family(*c, "osworld_mock_vs_real"));
}

TEST(OsworldTasks, ErrorsAndStringsAndSkips) {
  auto c = parse_ok(R"({"timestamp": 1700000000, "tasks": [
    {"category": "a", "success": false, "error": "crashed", "duration": "12.5", "steps_taken": "3"},
    {"category": "a", "duration": 1},
    {"category": "a", "success": true, "duration": -4}]})");
  EXPECT_EQ(c->timestamp, 1700000000);
  EXPECT_EQ(c->records_skipped, 2u);
  EXPECT_EQ(value(*c, "osworld_tasks_failed", {{"category", "a"}, {"failure_reason", "error"}}), 1);
  auto* d =
      histogram(*c, "osworld_task_duration_seconds", {{"category", "a"}, {"status", "failed"}});
  ASSERT_NE(d, nullptr);
  EXPECT_DOUBLE_EQ(d->sum, 12.5);
}

TEST(OsworldTasks, BrokenDocumentsFailWhole) {
  for (std::string text : {std::string(""), std::string("{\"tasks\": [{\"category\": \"a\""),
                           std::string("{\"tasks\": 3}"), std::string("{\"detailed_results\": []}"),
                           std::string("null")}) {
    auto r = parse_text(text, "osworld_tasks");
    EXPECT_FALSE(r.ok) << text;
    EXPECT_EQ(r.contribution, nullptr) << text;
  }
}
