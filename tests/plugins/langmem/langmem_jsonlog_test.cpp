// langmem_jsonlog through the real loader: the shared samples, a log written by Python's logging,
// drifted and damaged lines, very long lines and a large generated file.
#include <gtest/gtest.h>

#include <cstdint>
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

const std::string kPlugin = "langmem_jsonlog";

// One log line as the LangMem formatter writes it; `message` is JSON-escaped already, `extra`
// is appended inside the object (", \"namespace\": \"agent\"").
std::string line(const std::string& level, const std::string& message,
                 const std::string& extra = "",
                 const std::string& ts = "2025-10-28T23:41:01.377040+00:00") {
  return R"({"timestamp": ")" + ts + R"(", "level": ")" + level +
         R"(", "logger": "infrastructure.memory.langmem_ttl", "message": ")" + message +
         R"(", "module": "langmem_ttl", "function": "cleanup_expired", "line": 271)" + extra +
         "}\n";
}

const std::string kTtl12 = "TTL cleanup complete: deleted 12 entries from 4 namespaces in 0.37s";
const std::string kDedup40 =
    "Deduplication complete: 40 \\u2192 38 (exact=2, semantic=0) in 0.051s";

double counter(const rex::store::Contribution& c, const std::string& family,
               const rex::store::LabelSet& labels = {}) {
  return value(c, family, labels).value_or(-1);
}

}  // namespace

TEST(LangmemJsonlog, TtlSampleGivesTheCatalogueMetrics) {
  const std::string text = sample("langmem_jsonlog/langmem_ttl.sample.log");
  auto r = parse_text(text, "auto");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.plugin, kPlugin);
  const auto& c = *r.contribution;

  EXPECT_EQ(value(c, "langmem_ttl_deleted_total", {}), 12);
  EXPECT_EQ(value(c, "langmem_ttl_cleanups_total", {}), 2);
  EXPECT_EQ(value(c, "langmem_errors_total", {{"operation", "ttl_cleanup"}}), 1);
  const auto* d = histogram(c, "langmem_ttl_cleanup_duration_seconds", {});
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->count(), 2u);
  EXPECT_DOUBLE_EQ(d->sum, 0.42);
  // 0.05 s lands in le="0.05" (bounds 0.01 0.05 0.1 0.25 0.5 ...), 0.37 s in le="0.5".
  ASSERT_EQ(d->bucket_counts.size(), 12u);
  EXPECT_EQ(d->bucket_counts[1], 1u);
  EXPECT_EQ(d->bucket_counts[4], 1u);

  EXPECT_EQ(c.records_skipped, 0u);
  // Nothing in the file carries these figures: the families are absent, not 0.
  for (const char* absent :
       {"langmem_cache_evictions_total", "langmem_memory_usage_bytes", "langmem_dedup_rate",
        "langmem_dedup_exact_duplicates", "langmem_dedup_semantic_duplicates",
        "langmem_dedup_operations_total", "langmem_dedup_duration_seconds"})
    EXPECT_FALSE(has_family(c, absent)) << absent;
  EXPECT_FALSE(c.timestamp.has_value());  // no gauge was set
}

TEST(LangmemJsonlog, DedupSampleGivesTheCatalogueMetrics) {
  const std::string text = sample("langmem_jsonlog/langmem_dedup.sample.log");
  auto r = parse_text(text, "auto");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.plugin, kPlugin);
  const auto& c = *r.contribution;

  EXPECT_EQ(value(c, "langmem_dedup_exact_duplicates", {}), 22);
  EXPECT_EQ(value(c, "langmem_dedup_semantic_duplicates", {}), 8);
  EXPECT_EQ(value(c, "langmem_dedup_rate", {}), 5);  // 100 * (40 - 38) / 40, the latest line
  EXPECT_EQ(value(c, "langmem_dedup_operations_total", {}), 2);
  EXPECT_EQ(value(c, "langmem_errors_total", {{"operation", "dedup"}}), 1);
  const auto* d = histogram(c, "langmem_dedup_duration_seconds", {});
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->count(), 2u);
  EXPECT_DOUBLE_EQ(d->sum, 0.412 + 0.051);
  // The rate gauge carries the time of the line that set it (2025-10-28T23:41:05.230871+00:00).
  ASSERT_TRUE(c.timestamp.has_value());
  EXPECT_NEAR(*c.timestamp, 1761694865.230871, 1e-6);
  EXPECT_EQ(c.records_skipped, 0u);
  EXPECT_FALSE(has_family(c, "langmem_ttl_deleted_total"));
  EXPECT_FALSE(has_family(c, "langmem_cache_evictions_total"));
  EXPECT_FALSE(has_family(c, "langmem_memory_usage_bytes"));
}

// Written by Python's logging with ensure_ascii=False (make_python_sample.py): the arrow is raw
// UTF-8, the exception a multi-line traceback, and the last run saw no entries at all.
TEST(LangmemJsonlog, PythonLoggingSampleWithRawArrow) {
  const std::string text = sample("langmem_jsonlog/python_logging.sample.log");
  ASSERT_NE(text.find("\xE2\x86\x92"), std::string::npos);
  EXPECT_EQ(best_for(text), kPlugin);
  auto c = parse_ok(text, kPlugin);
  EXPECT_EQ(counter(*c, "langmem_ttl_deleted_total"), 7);
  EXPECT_EQ(counter(*c, "langmem_ttl_cleanups_total"), 1);
  EXPECT_EQ(counter(*c, "langmem_errors_total", {{"operation", "ttl_cleanup"}}), 1);
  EXPECT_EQ(counter(*c, "langmem_dedup_operations_total"), 2);
  EXPECT_EQ(counter(*c, "langmem_dedup_exact_duplicates"), 6);
  EXPECT_EQ(counter(*c, "langmem_dedup_semantic_duplicates"), 4);
  // 100 * (50 - 40) / 50 from the first run; the second (0 -> 0) leaves the rate alone.
  EXPECT_EQ(counter(*c, "langmem_dedup_rate"), 20);
  EXPECT_EQ(c->records_skipped, 0u);
}

TEST(LangmemJsonlog, ArrowSpellings) {
  for (const std::string arrow : {"\\u2192", "\xE2\x86\x92", "->"}) {
    auto c = parse_ok(
        line("INFO", "Deduplication complete: 10 " + arrow + " 6 (exact=3, semantic=1) in 0.2s"),
        kPlugin);
    EXPECT_EQ(counter(*c, "langmem_dedup_rate"), 40) << arrow;
    EXPECT_EQ(counter(*c, "langmem_dedup_exact_duplicates"), 3) << arrow;
    EXPECT_EQ(counter(*c, "langmem_dedup_semantic_duplicates"), 1) << arrow;
  }
}

TEST(LangmemJsonlog, ConsoleLinesAndOtherMessagesAreIgnored) {
  const std::string text =
      "2025-10-28 23:41:01,377 - infrastructure.memory.langmem_ttl - INFO - TTL cleanup "
      "complete: deleted 99 entries from 4 namespaces in 0.37s\n" +
      line("INFO", kTtl12) + "\n" + "not json at all {\"message\": 1\n" +
      line("INFO", "LangMemTTL initialized with default_ttl=168h") +
      line("DEBUG", "Near-duplicate (below threshold): similarity=0.812") +
      line("INFO", "Cache reset") + line("WARNING", "TTL cleanup failed: only a warning") +
      "[1, 2, 3]\n{\"unrelated\": true}\n{broken but not a log line\n";
  auto c = parse_ok(text, kPlugin);
  EXPECT_EQ(counter(*c, "langmem_ttl_deleted_total"), 12);  // the console line is not counted
  EXPECT_EQ(counter(*c, "langmem_ttl_cleanups_total"), 1);
  EXPECT_FALSE(has_family(*c, "langmem_errors_total"));  // a failure counts at ERROR level only
  EXPECT_EQ(c->records_skipped, 0u);
}

TEST(LangmemJsonlog, PartialLastLineCrlfAndException) {
  // CRLF endings, an exception whose traceback holds escaped newlines, no final newline.
  std::string text = line("INFO", kTtl12);
  text.insert(text.size() - 1, "\r");
  text += line("ERROR", "Cleanup loop error: redis timeout",
               R"(, "exception": "Traceback (most recent call last):\n  File \"x.py\", line 1\n)"
               R"(RuntimeError: redis timeout\r\n")");
  text += line("INFO", "TTL cleanup complete: deleted 3 entries from 1 namespaces in 0.5s");
  text.pop_back();  // the last line has no newline: fed as complete at the end
  auto c = parse_ok(text, kPlugin);
  EXPECT_EQ(counter(*c, "langmem_ttl_deleted_total"), 15);
  EXPECT_EQ(counter(*c, "langmem_ttl_cleanups_total"), 2);
  EXPECT_EQ(counter(*c, "langmem_errors_total", {{"operation", "ttl_cleanup"}}), 1);
  EXPECT_EQ(c->records_skipped, 0u);
}

TEST(LangmemJsonlog, ErrorMessages) {
  const std::string text = line("ERROR", "TTL cleanup failed: connection reset by peer") +
                           line("ERROR", "Cleanup loop error: boom") +
                           line("CRITICAL", "Deduplication failed: embedding service down") +
                           line("ERROR", "Something else failed") +
                           line("ERROR", "unrelated", R"(, "operation": "dedup")");
  auto c = parse_ok(text, kPlugin);
  EXPECT_EQ(counter(*c, "langmem_errors_total", {{"operation", "ttl_cleanup"}}), 2);
  EXPECT_EQ(counter(*c, "langmem_errors_total", {{"operation", "dedup"}}), 2);
  EXPECT_EQ(c->families.at("langmem_errors_total").scalars.size(), 2u);
}

TEST(LangmemJsonlog, InvalidUtf8LineIsSkippedAndCounted) {
  std::string bad = line("INFO", "TTL cleanup complete: deleted 5 entries from 1 namespaces in 1s",
                         ", \"namespace\": \"ag\xC3\x28nt\"");
  const std::string text = bad + line("INFO", kTtl12) +
                           line("INFO",
                                "caf\xFF"
                                "e");
  auto c = parse_ok(text, kPlugin);
  EXPECT_EQ(counter(*c, "langmem_ttl_deleted_total"), 12);
  EXPECT_EQ(counter(*c, "langmem_ttl_cleanups_total"), 1);
  EXPECT_EQ(c->records_skipped, 2u);
}

TEST(LangmemJsonlog, MalformedSchemaLikeLinesAreSkippedAndEmitNothing) {
  const std::string text =
      line("INFO", "TTL cleanup complete: deleted many entries from 4 namespaces in 0.37s") +
      line("INFO", "TTL cleanup complete: deleted 5 entries from 4 namespaces in soon") +
      line("INFO", "Deduplication complete: 10 \\u2192 12 (exact=1, semantic=1) in 0.1s") +
      line("INFO", "Deduplication complete: 10 \\u2192 8 (exact=one) in 0.1s") +
      line("INFO", kTtl12, R"(, "cache_evictions": "three")") +
      line("INFO", kTtl12, R"(, "memory_usage_bytes": -5)") +
      R"({"level": "INFO", "message": "TTL cleanup complete: deleted 5 entries from 1 namespaces in 1s")" +
      "\n" + R"({"level": "INFO", "message": "x"} trailing)" + "\n" + line("INFO", kTtl12);
  auto r = parse_text(text, kPlugin);
  ASSERT_TRUE(r.ok) << r.error;
  const auto& c = *r.contribution;
  EXPECT_EQ(c.records_skipped, 8u);
  EXPECT_EQ(counter(c, "langmem_ttl_deleted_total"), 12);  // only the last line
  EXPECT_EQ(counter(c, "langmem_ttl_cleanups_total"), 1);
  EXPECT_FALSE(has_family(c, "langmem_dedup_operations_total"));
  EXPECT_FALSE(has_family(c, "langmem_cache_evictions_total"));
  EXPECT_FALSE(has_family(c, "langmem_memory_usage_bytes"));
  ASSERT_FALSE(c.skip_reasons.empty());
  EXPECT_NE(c.skip_reasons[0].find("line 1"), std::string::npos) << c.skip_reasons[0];
}

TEST(LangmemJsonlog, DedupWithNoInputLeavesTheRateAbsent) {
  auto c = parse_ok(
      line("INFO", "Deduplication complete: 0 \\u2192 0 (exact=0, semantic=0) in 0.001s"), kPlugin);
  EXPECT_FALSE(has_family(*c, "langmem_dedup_rate"));
  EXPECT_FALSE(c->timestamp.has_value());
  EXPECT_EQ(counter(*c, "langmem_dedup_operations_total"), 1);
  EXPECT_EQ(counter(*c, "langmem_dedup_exact_duplicates"), 0);  // a measured zero
  EXPECT_EQ(counter(*c, "langmem_dedup_semantic_duplicates"), 0);

  // A later run with input sets it; an empty run after that does not reset it.
  c = parse_ok(line("INFO", kDedup40, "", "2025-10-28T23:41:05Z") +
                   line("INFO", "Deduplication complete: 0 \\u2192 0 (exact=0, semantic=0) in 0s",
                        "", "2025-10-28T23:50:00Z"),
               kPlugin);
  EXPECT_EQ(counter(*c, "langmem_dedup_rate"), 5);
  ASSERT_TRUE(c->timestamp.has_value());
  EXPECT_EQ(*c->timestamp, 1761694865);
}

TEST(LangmemJsonlog, FieldsAndMessageTokensFillTheLabelsAndFamilies) {
  const std::string text =
      line("INFO", kTtl12, R"(, "namespace": "agent", "memory_type": "episodic")") +
      line("INFO", "Deduplication complete: 10 \\u2192 5 (exact=3, semantic=2) in 0.2s",
           R"(, "namespace": "agent", "similarity_threshold": 0.85, "dedup_type": "semantic")",
           "2025-10-28T23:41:05+01:00") +
      line("INFO", "Cache pruned cache_evictions=3 cache_type=embedding namespace=agent") +
      line("INFO", "Memory report namespace=tokens-ns",
           R"(, "namespace": "agent", )"
           R"("memory_usage_bytes": 1048576, )"
           R"("memory_type": "episodic")",
           "2025-10-28T23:45:00.5Z") +
      line("ERROR", "TTL cleanup failed: timeout", R"(, "namespace": "agent")");
  auto c = parse_ok(text, kPlugin);
  EXPECT_EQ(counter(*c, "langmem_ttl_deleted_total",
                    {{"memory_type", "episodic"}, {"namespace", "agent"}}),
            12);
  EXPECT_EQ(counter(*c, "langmem_ttl_cleanups_total", {{"namespace", "agent"}}), 1);
  EXPECT_NE(histogram(*c, "langmem_ttl_cleanup_duration_seconds", {{"namespace", "agent"}}),
            nullptr);
  EXPECT_EQ(counter(*c, "langmem_dedup_exact_duplicates", {{"namespace", "agent"}}), 3);
  EXPECT_EQ(counter(*c, "langmem_dedup_semantic_duplicates",
                    {{"namespace", "agent"}, {"similarity_threshold", "0.85"}}),
            2);
  EXPECT_EQ(counter(*c, "langmem_dedup_rate", {{"dedup_type", "semantic"}, {"namespace", "agent"}}),
            50);
  EXPECT_EQ(counter(*c, "langmem_cache_evictions_total",
                    {{"cache_type", "embedding"}, {"namespace", "agent"}}),
            3);
  // The JSON field wins over the message token.
  EXPECT_EQ(counter(*c, "langmem_memory_usage_bytes",
                    {{"memory_type", "episodic"}, {"namespace", "agent"}}),
            1048576);
  EXPECT_EQ(
      counter(*c, "langmem_errors_total", {{"namespace", "agent"}, {"operation", "ttl_cleanup"}}),
      1);
  // The newest gauge line's time (23:45:00.5 UTC).
  ASSERT_TRUE(c->timestamp.has_value());
  EXPECT_DOUBLE_EQ(*c->timestamp, 1761695100.5);
}

TEST(LangmemJsonlog, NullFieldsAreAbsent) {
  auto c = parse_ok(
      line("INFO", kTtl12, R"(, "namespace": null, "memory_type": null, "cache_evictions": null)"),
      kPlugin);
  EXPECT_EQ(counter(*c, "langmem_ttl_deleted_total"), 12);
  EXPECT_FALSE(has_family(*c, "langmem_cache_evictions_total"));
}

TEST(LangmemJsonlog, OverlongLineIsSkippedAndTheNextStillCounts) {
  // 10 MB in the exception field: over the host's 1 MiB line cap.
  std::string huge = line("ERROR", "TTL cleanup failed: huge",
                          R"(, "exception": ")" + std::string(10u << 20, 'x') + "\"");
  const std::string text = huge + line("INFO", kTtl12);
  auto c = parse_ok(text, kPlugin);
  EXPECT_EQ(c->records_skipped, 1u);
  EXPECT_EQ(counter(*c, "langmem_ttl_deleted_total"), 12);
  EXPECT_FALSE(has_family(*c, "langmem_errors_total"));

  // With a larger cap the plugin reads it whole.
  c = stream_ok(text, kPlugin, 16u << 20);
  EXPECT_EQ(c->records_skipped, 0u);
  EXPECT_EQ(counter(*c, "langmem_errors_total", {{"operation", "ttl_cleanup"}}), 1);
  EXPECT_EQ(counter(*c, "langmem_ttl_deleted_total"), 12);
}

TEST(LangmemJsonlog, MillionLineFileGivesExactTotals) {
  constexpr int kLines = 1'000'000;
  std::string text;
  text.reserve(std::size_t{kLines} * 110);
  uint64_t deleted = 0, cleanups = 0, exact = 0, semantic = 0, dedups = 0, ttl_errors = 0;
  uint64_t dedup_errors = 0, below_half_second = 0;
  double last_rate = -1;
  for (int i = 0; i < kLines; ++i) {
    switch (i % 8) {
      case 0:
      case 4: {
        const int n = i % 97;
        text += R"({"level": "INFO", "message": "TTL cleanup complete: deleted )" +
                std::to_string(n) + " entries from 3 namespaces in " +
                (i % 3 == 0 ? "0.3" : "1.5") + "s\"}\n";
        deleted += static_cast<uint64_t>(n);
        ++cleanups;
        below_half_second += i % 3 == 0 ? 1 : 0;
        break;
      }
      case 1: {
        const int in = 100 + i % 50, e = i % 7, s = i % 5;
        text += R"({"level": "INFO", "message": "Deduplication complete: )" + std::to_string(in) +
                " \\u2192 " + std::to_string(in - e - s) + " (exact=" + std::to_string(e) +
                ", semantic=" + std::to_string(s) + ") in 0.05s\"}\n";
        exact += static_cast<uint64_t>(e);
        semantic += static_cast<uint64_t>(s);
        ++dedups;
        last_rate = 100.0 * (e + s) / in;
        break;
      }
      case 2:
        text += R"({"level": "ERROR", "message": "TTL cleanup failed: x"})"
                "\n";
        ++ttl_errors;
        break;
      case 3:
        text += R"({"level": "ERROR", "message": "Deduplication failed: y"})"
                "\n";
        ++dedup_errors;
        break;
      case 5:
        text += R"({"level": "DEBUG", "message": "Near-duplicate (below threshold): )"
                R"(similarity=0.812", "logger": "infrastructure.memory.langmem_dedup"})"
                "\n";
        break;
      case 6:
        text += "2025-10-28 23:41:01,377 - langmem - INFO - console line\n";
        break;
      default:
        text += R"({"level": "INFO", "message": "LangMemTTL initialized with default_ttl=168h"})"
                "\n";
        break;
    }
  }
  auto c = parse_ok(text, kPlugin);
  EXPECT_EQ(c->records_skipped, 0u);
  EXPECT_EQ(counter(*c, "langmem_ttl_deleted_total"), static_cast<double>(deleted));
  EXPECT_EQ(counter(*c, "langmem_ttl_cleanups_total"), static_cast<double>(cleanups));
  EXPECT_EQ(counter(*c, "langmem_dedup_exact_duplicates"), static_cast<double>(exact));
  EXPECT_EQ(counter(*c, "langmem_dedup_semantic_duplicates"), static_cast<double>(semantic));
  EXPECT_EQ(counter(*c, "langmem_dedup_operations_total"), static_cast<double>(dedups));
  EXPECT_EQ(counter(*c, "langmem_errors_total", {{"operation", "ttl_cleanup"}}),
            static_cast<double>(ttl_errors));
  EXPECT_EQ(counter(*c, "langmem_errors_total", {{"operation", "dedup"}}),
            static_cast<double>(dedup_errors));
  EXPECT_DOUBLE_EQ(counter(*c, "langmem_dedup_rate"), last_rate);
  const auto* d = histogram(*c, "langmem_ttl_cleanup_duration_seconds", {});
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->count(), cleanups);
  EXPECT_EQ(d->bucket_counts[4], below_half_second);             // 0.3 s: le="0.5"
  EXPECT_EQ(d->bucket_counts[6], cleanups - below_half_second);  // 1.5 s: le="2.5"
}

TEST(LangmemJsonlog, ProbeClaimsLangmemLogsOnly) {
  EXPECT_GE(probe(kPlugin, sample("langmem_jsonlog/langmem_ttl.sample.log")), 0.85);
  EXPECT_GE(probe(kPlugin, sample("langmem_jsonlog/langmem_dedup.sample.log")), 0.85);
  // A JSON-lines log of another logger: still a log, less sure.
  const double other = probe(kPlugin, R"({"level": "INFO", "logger": "app", "message": "hi"})");
  EXPECT_GE(other, 0.5);
  EXPECT_LT(other, 0.85);

  EXPECT_LT(probe(kPlugin, R"({"tasks": [{"category": "web", "success": true}]})"), 0.3);
  EXPECT_LT(probe(kPlugin, R"({"message": "x", "level": "INFO", "tasks": []})"), 0.3);
  EXPECT_LT(probe(kPlugin, sample("osworld_detailed/sample.json")), 0.3);
  EXPECT_LT(probe(kPlugin, sample("osworld_tasks/sample.json")), 0.3);
  EXPECT_LT(probe(kPlugin, sample("langmem_kv/sample.log")), 0.3);
  EXPECT_LT(probe(kPlugin, "TEST 1"), 0.3);
  EXPECT_LT(probe(kPlugin, ""), 0.3);
}

TEST(LangmemJsonlog, AutoRoutingAcrossPlugins) {
  EXPECT_EQ(best_for(sample("langmem_jsonlog/langmem_ttl.sample.log")), kPlugin);
  EXPECT_EQ(best_for(sample("langmem_jsonlog/langmem_dedup.sample.log")), kPlugin);
  // The OSWorld plugins do not claim LangMem logs, and LangMem plugins do not claim OSWorld files.
  for (const char* osworld : {"osworld_detailed", "osworld_tasks"}) {
    EXPECT_LT(probe(osworld, sample("langmem_jsonlog/langmem_ttl.sample.log")), 0.3) << osworld;
    EXPECT_LT(probe(osworld, sample("langmem_jsonlog/langmem_dedup.sample.log")), 0.3) << osworld;
    EXPECT_EQ(best_for(sample(std::string(osworld) + "/sample.json")), osworld);
  }
}
