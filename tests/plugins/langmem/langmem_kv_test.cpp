// langmem_kv through the real loader: the sample, the value spellings the mapping accepts, error
// lines, console-format lines, damaged lines and routing.
#include <gtest/gtest.h>

#include <string>

#include "langmem_test_util.hpp"

using rex::test::has_family;
using rex::test::histogram;
using rex::test::parse_text;
using rex::test::value;
using rex::test::langmem::best_for;
using rex::test::langmem::parse_ok;
using rex::test::langmem::probe;
using rex::test::langmem::sample;
using rex::test::langmem::stream_ok;

namespace {

const std::string kPlugin = "langmem_kv";

double counter(const rex::store::Contribution& c, const std::string& family,
               const rex::store::LabelSet& labels = {}) {
  return value(c, family, labels).value_or(-1);
}

const rex::store::LabelSet kAgent = {{"namespace", "agent"}};

}  // namespace

TEST(LangmemKv, SampleGivesTheCatalogueMetrics) {
  const std::string text = sample("langmem_kv/sample.log");
  auto r = parse_text(text, "auto");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.plugin, kPlugin);
  const auto& c = *r.contribution;

  EXPECT_EQ(
      value(c, "langmem_ttl_deleted_total", {{"memory_type", "episodic"}, {"namespace", "agent"}}),
      12);
  EXPECT_EQ(value(c, "langmem_ttl_cleanups_total", kAgent), 2);
  const auto* ttl = histogram(c, "langmem_ttl_cleanup_duration_seconds", kAgent);
  ASSERT_NE(ttl, nullptr);
  EXPECT_EQ(ttl->count(), 2u);
  EXPECT_DOUBLE_EQ(ttl->sum, 0.42);

  EXPECT_EQ(value(c, "langmem_dedup_exact_duplicates", kAgent), 22);
  EXPECT_EQ(value(c, "langmem_dedup_semantic_duplicates",
                  {{"namespace", "agent"}, {"similarity_threshold", "0.85"}}),
            8);
  // The latest line says dedup_rate=0.05: a fraction, so 5 percent.
  EXPECT_EQ(value(c, "langmem_dedup_rate", {{"dedup_type", "semantic"}, {"namespace", "agent"}}),
            5);
  EXPECT_EQ(value(c, "langmem_dedup_operations_total", kAgent), 2);
  const auto* dedup = histogram(c, "langmem_dedup_duration_seconds", kAgent);
  ASSERT_NE(dedup, nullptr);
  EXPECT_EQ(dedup->count(), 2u);
  EXPECT_DOUBLE_EQ(dedup->sum, 0.412 + 0.051);

  EXPECT_EQ(
      value(c, "langmem_errors_total", {{"namespace", "agent"}, {"operation", "ttl_cleanup"}}), 1);
  EXPECT_EQ(value(c, "langmem_errors_total", {{"operation", "dedup"}}), 1);
  EXPECT_EQ(value(c, "langmem_cache_evictions_total",
                  {{"cache_type", "embedding"}, {"namespace", "agent"}}),
            3);
  EXPECT_EQ(
      value(c, "langmem_memory_usage_bytes", {{"memory_type", "episodic"}, {"namespace", "agent"}}),
      1048576);
  // The last line that set a gauge: 2025-10-28 23:43:05 (UTC when no zone is written).
  ASSERT_TRUE(c.timestamp.has_value());
  EXPECT_EQ(*c.timestamp, 1761694985);
  EXPECT_EQ(c.records_skipped, 0u);
}

TEST(LangmemKv, RateSpellingsMeanTheSame) {
  for (const std::string rate : {"35%", "0.35", "35", "35.0%"}) {
    auto c = parse_ok("2025-10-28 23:41:05 INFO dedup dedup_rate=" + rate + "\n", kPlugin);
    EXPECT_DOUBLE_EQ(counter(*c, "langmem_dedup_rate"), 35) << rate;
    EXPECT_EQ(counter(*c, "langmem_dedup_operations_total"), 1) << rate;
    // No exact/semantic figure on the line: those families stay absent.
    EXPECT_FALSE(has_family(*c, "langmem_dedup_exact_duplicates")) << rate;
  }
  auto c = parse_ok("dedup_rate=1 namespace=a\ndedup_rate=1% namespace=b\n", kPlugin);
  EXPECT_EQ(counter(*c, "langmem_dedup_rate", {{"namespace", "a"}}), 100);
  EXPECT_EQ(counter(*c, "langmem_dedup_rate", {{"namespace", "b"}}), 1);
}

TEST(LangmemKv, CountSpellingsAndDurations) {
  const std::string text =
      "INFO dedup exact=3 semantic=1 duration=120ms\n"
      "INFO dedup exact_duplicates=2 semantic_duplicates=4 duration_ms=30\n"
      "INFO ttl_cleanup deleted_count=5 duration_seconds=2s\n";
  auto c = parse_ok(text, kPlugin);
  EXPECT_EQ(counter(*c, "langmem_dedup_exact_duplicates"), 5);
  EXPECT_EQ(counter(*c, "langmem_dedup_semantic_duplicates"), 5);
  EXPECT_EQ(counter(*c, "langmem_dedup_operations_total"), 2);
  const auto* d = histogram(*c, "langmem_dedup_duration_seconds", {});
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->count(), 2u);
  EXPECT_DOUBLE_EQ(d->sum, 0.12 + 0.03);
  EXPECT_FALSE(has_family(*c, "langmem_dedup_rate"));  // no rate and no IN -> OUT counts
  const auto* t = histogram(*c, "langmem_ttl_cleanup_duration_seconds", {});
  ASSERT_NE(t, nullptr);
  EXPECT_DOUBLE_EQ(t->sum, 2);
}

TEST(LangmemKv, ErrorLines) {
  const std::string text =
      "2025-10-28 23:42:01 level=ERROR operation=ttl_cleanup\n"
      "2025-10-28 23:42:02 ERROR ttl_cleanup error=\"connection reset\"\n"
      "2025-10-28 23:42:03 ERROR TTL cleanup failed: connection reset by peer\n"
      "2025-10-28 23:42:04,100 - infrastructure.memory.langmem_ttl - ERROR - Cleanup loop error: "
      "x\n"
      "2025-10-28 23:42:05 [ERROR] Deduplication failed: embedding service unavailable\n"
      "2025-10-28 23:42:06 level=error operation=deduplication namespace=agent\n"
      "2025-10-28 23:42:07 INFO level=ERROR operation=dedup\n"            // the token wins
      "2025-10-28 23:42:08 WARNING TTL cleanup failed: only a warning\n"  // not an error
      "2025-10-28 23:42:09 ERROR something unrelated broke\n"             // no operation
      "2025-10-28 23:42:10 level=INFO operation=ttl_cleanup\n";
  auto c = parse_ok(text, kPlugin);
  EXPECT_EQ(counter(*c, "langmem_errors_total", {{"operation", "ttl_cleanup"}}), 4);
  EXPECT_EQ(counter(*c, "langmem_errors_total", {{"operation", "dedup"}}), 2);
  EXPECT_EQ(counter(*c, "langmem_errors_total", {{"namespace", "agent"}, {"operation", "dedup"}}),
            1);
  EXPECT_EQ(c->families.at("langmem_errors_total").scalars.size(), 3u);
  EXPECT_EQ(c->records_skipped, 0u);
}

TEST(LangmemKv, ConsoleFormatMessagesCount) {
  // The LangMem messages in Python's console format (no key=value figures at all).
  const std::string text =
      "2025-10-28 23:41:01,377 - infrastructure.memory.langmem_ttl - INFO - TTL cleanup "
      "complete: deleted 12 entries from 4 namespaces in 0.37s\n"
      "2025-10-28 23:41:05,230 - infrastructure.memory.langmem_dedup - INFO - Deduplication "
      "complete: 40 \xE2\x86\x92 38 (exact=2, semantic=0) in 0.051s\n"
      "2025-10-28 23:41:06,115 - infrastructure.memory.langmem_dedup - DEBUG - Near-duplicate "
      "(below threshold): similarity=0.812\n";
  EXPECT_EQ(best_for(text), kPlugin);
  auto c = parse_ok(text, kPlugin);
  EXPECT_EQ(counter(*c, "langmem_ttl_deleted_total"), 12);
  EXPECT_EQ(counter(*c, "langmem_dedup_exact_duplicates"), 2);
  EXPECT_EQ(counter(*c, "langmem_dedup_semantic_duplicates"), 0);
  EXPECT_EQ(counter(*c, "langmem_dedup_rate"), 5);
  ASSERT_TRUE(c->timestamp.has_value());
  EXPECT_DOUBLE_EQ(*c->timestamp, 1761694865.230);
}

TEST(LangmemKv, TokensWinOverTheMessage) {
  auto c = parse_ok(
      "INFO Deduplication complete: 40 -> 38 (exact=2, semantic=0) in 0.051s dedup_rate=50% "
      "namespace=agent\n",
      kPlugin);
  EXPECT_EQ(counter(*c, "langmem_dedup_rate", kAgent), 50);
  EXPECT_EQ(counter(*c, "langmem_dedup_exact_duplicates", kAgent), 2);
  EXPECT_EQ(counter(*c, "langmem_dedup_operations_total", kAgent), 1);
}

TEST(LangmemKv, QuotedValuesAndTimestampTokens) {
  auto c = parse_ok(
      "ts=2025-10-28T23:42:06Z event=memory namespace=\"agent one\" memory_type=episodic "
      "memory_usage_bytes=2048\n",
      kPlugin);
  EXPECT_EQ(counter(*c, "langmem_memory_usage_bytes",
                    {{"memory_type", "episodic"}, {"namespace", "agent one"}}),
            2048);
  ASSERT_TRUE(c->timestamp.has_value());
  EXPECT_EQ(*c->timestamp, 1761694926);
}

TEST(LangmemKv, LinesWithoutFiguresEmitNothing) {
  const std::string text =
      "2025-10-28 23:40:01 INFO ttl_cleanup started interval=3600s\n"
      "2025-10-28 23:40:02 INFO LangMemDedup initialized with threshold=0.85, cache_size=10000\n"
      "2025-10-28 23:40:03 INFO namespace=agent memory_type=episodic\n"
      "{\"level\": \"INFO\", \"message\": \"TTL cleanup complete: deleted 9 entries from 1 "
      "namespaces in 1s\"}\n"
      "\n"
      "plain text\n";
  auto c = parse_ok(text, kPlugin);
  for (const auto& [name, f] : c->families) EXPECT_TRUE(f.empty()) << name;
  EXPECT_EQ(c->records_skipped, 0u);
  EXPECT_FALSE(c->timestamp.has_value());
}

TEST(LangmemKv, MalformedLinesAreSkippedAndEmitNothing) {
  const std::string text =
      "INFO ttl_cleanup deleted_count=abc namespace=agent\n"
      "INFO dedup dedup_rate=150 exact=3\n"
      "INFO dedup dedup_rate=-5%\n"
      "INFO cache cache_evictions=-1\n"
      "INFO memory memory_usage_bytes=1MB\n"
      "INFO ttl_cleanup deleted_count=3 duration=fast\n"
      "INFO TTL cleanup complete: deleted some entries\n"
      "INFO ttl_cleanup deleted_count=4 namespace=ag\xC3\x28nt\n"
      "INFO ttl_cleanup deleted_count=7\n";
  auto c = parse_ok(text, kPlugin);
  EXPECT_EQ(c->records_skipped, 8u);
  EXPECT_EQ(counter(*c, "langmem_ttl_deleted_total"), 7);
  EXPECT_EQ(counter(*c, "langmem_ttl_cleanups_total"), 1);
  EXPECT_FALSE(has_family(*c, "langmem_dedup_exact_duplicates"));
  EXPECT_FALSE(has_family(*c, "langmem_dedup_operations_total"));
  EXPECT_FALSE(has_family(*c, "langmem_cache_evictions_total"));
  EXPECT_FALSE(has_family(*c, "langmem_memory_usage_bytes"));
}

TEST(LangmemKv, CrlfPartialLastLineAndOverlongLine) {
  std::string text = "INFO ttl_cleanup deleted_count=2 namespace=agent\r\n";
  text += "INFO ttl_cleanup deleted_count=" + std::string(10u << 20, '9') + "\n";
  text += "INFO ttl_cleanup deleted_count=3 namespace=agent";  // no final newline
  auto c = parse_ok(text, kPlugin);
  EXPECT_EQ(counter(*c, "langmem_ttl_deleted_total", kAgent), 5);  // "agent", not "agent\r"
  EXPECT_EQ(c->records_skipped, 1u);
}

TEST(LangmemKv, ProbeAndRouting) {
  EXPECT_GE(probe(kPlugin, sample("langmem_kv/sample.log")), 0.8);
  EXPECT_EQ(best_for(sample("langmem_kv/sample.log")), kPlugin);
  // JSON of any kind is not this schema.
  EXPECT_LT(probe(kPlugin, sample("langmem_jsonlog/langmem_ttl.sample.log")), 0.05);
  EXPECT_LT(probe(kPlugin, sample("langmem_jsonlog/langmem_dedup.sample.log")), 0.05);
  EXPECT_LT(probe(kPlugin, sample("langmem_jsonlog/python_logging.sample.log")), 0.05);
  EXPECT_LT(probe(kPlugin, sample("osworld_detailed/sample.json")), 0.05);
  EXPECT_LT(probe(kPlugin, sample("osworld_tasks/sample.json")), 0.05);
  EXPECT_LT(probe(kPlugin, R"({"tasks": [{"category": "web", "success": true}]})"), 0.05);
  // key=value text without a LangMem key is not claimed.
  EXPECT_LT(probe(kPlugin, "user=bob action=login status=ok\n"), 0.3);
  EXPECT_LT(probe(kPlugin, "TEST 1"), 0.3);
  for (const char* osworld : {"osworld_detailed", "osworld_tasks"})
    EXPECT_LT(probe(osworld, sample("langmem_kv/sample.log")), 0.3) << osworld;
}
