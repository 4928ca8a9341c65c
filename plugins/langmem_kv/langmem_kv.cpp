// langmem_kv: LangMem memory-manager events written as text lines with key=value tokens
// (`2025-10-28 23:41:01 INFO ttl_cleanup deleted_count=12 namespace=agent duration=0.37`), the
// schema the old exporter read; console-format lines carrying the LangMem messages count too.
// Schema: schemas/langmem_kv/README.md. Families, labels and the message grammar are shared with
// langmem_jsonlog (plugins/langmem_common/langmem_events.hpp).
#include <results_exporter/plugin_sdk.hpp>

#include <algorithm>
#include <string_view>

#include "langmem_events.hpp"

namespace {

using rex::langmem::Key;
using rex::langmem::Record;
using rex::sdk::Emitter;
using rex::sdk::Status;

// A bare word as a level ("INFO", "[ERROR]", "ERROR:"), or empty.
std::string_view level_word(std::string_view w) noexcept {
  while (!w.empty() && (w.front() == '[' || w.front() == '(')) w.remove_prefix(1);
  while (!w.empty() && (w.back() == ']' || w.back() == ')' || w.back() == ':')) w.remove_suffix(1);
  static constexpr std::string_view kLevels[] = {"DEBUG", "INFO",     "WARNING", "WARN",
                                                 "ERROR", "CRITICAL", "FATAL"};
  for (std::string_view l : kLevels)
    if (w == l) return w;
  return {};
}

// A bare word naming the operation ("ttl_cleanup", "dedup", "deduplication"), or empty.
std::string_view operation_word(std::string_view w) noexcept {
  while (!w.empty() && (w.back() == ':' || w.back() == ',')) w.remove_suffix(1);
  if (w == "ttl_cleanup") return rex::langmem::kTtlCleanup;
  if (w == "dedup" || w == "deduplication") return rex::langmem::kDedup;
  return {};
}

class LangmemKv {
 public:
  static double probe(std::string_view head) noexcept {
    int lines = 0, json = 0;
    double best = 0;
    while (!head.empty() && lines < 16) {
      const std::size_t nl = head.find('\n');
      std::string_view line = rex::langmem::trim(head.substr(0, nl));
      head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
      if (line.empty()) continue;
      ++lines;
      if (line.front() == '{' || line.front() == '[' || line.front() == '<') {
        ++json;  // JSON (or XML): not this schema
        continue;
      }
      int pairs = 0, specific = 0;
      rex::langmem::scan_tokens(
          line,
          [&](std::string_view key, std::string_view) {
            ++pairs;
            specific += rex::langmem::is_specific_key(rex::langmem::classify(key)) ? 1 : 0;
            return true;
          },
          [](std::string_view) {});
      const bool phrase = line.find(rex::langmem::kTtlComplete) != std::string_view::npos ||
                          line.find(rex::langmem::kDedupComplete) != std::string_view::npos ||
                          line.find(rex::langmem::kTtlFailed) != std::string_view::npos ||
                          line.find(rex::langmem::kDedupFailed) != std::string_view::npos;
      if (specific >= 1 && pairs >= 2) {
        best = std::max(best, 0.85);
      } else if (phrase) {
        best = std::max(best, 0.6);
      } else if (pairs >= 2) {
        best = std::max(best, 0.1);
      }
    }
    if (lines == 0 || json * 2 >= lines) return 0.0;  // mostly JSON: langmem_jsonlog's
    return best;
  }

  explicit LangmemKv(Emitter& out) : families_(out) {}

  Status line(Emitter& out, std::string_view line) {
    std::size_t i = 0;
    while (i < line.size() && rex::langmem::is_space(line[i])) ++i;
    line.remove_prefix(i);
    if (line.empty() || line.front() == '{' || line.front() == '[') return Status::ok();

    Record r;
    double ts = 0;
    const std::size_t ts_len = rex::langmem::read_iso_timestamp(line, ts);
    r.timestamp = line.substr(0, ts_len);

    // key=value tokens (the last of a repeated key wins); before the first of them, bare words
    // may give the level and the operation.
    bool seen_pair = false;
    std::string_view level, operation;
    rex::langmem::scan_tokens(
        line.substr(ts_len),
        [&](std::string_view key, std::string_view value) {
          seen_pair = true;
          return r.apply(rex::langmem::classify(key), key, value, true);
        },
        [&](std::string_view word) {
          if (seen_pair) return;
          if (level.empty()) level = level_word(word);
          if (operation.empty()) operation = operation_word(word);
        });
    if (!r.problem.empty()) return Status::parse_error(r.problem_text());
    if (!level.empty()) r.apply(Key::level, {}, level, false);
    if (r.operation.empty()) r.operation = operation;
    // The LangMem messages anywhere in the line: they fill what the tokens did not give.
    if (!rex::langmem::find_message(line, r)) return Status::parse_error(r.problem_text());
    if (!rex::langmem::labels_valid(r))
      return Status::parse_error("a label value is not valid UTF-8");
    rex::langmem::emit(out, families_, r);
    return Status::ok();
  }

 private:
  rex::langmem::Families families_;
};

}  // namespace

REX_LINE_STREAM_PLUGIN(LangmemKv, "langmem_kv", "1.0.0",
                       "LangMem memory-manager events as key=value text lines (deleted_count=, "
                       "dedup_rate=, cache_evictions=, memory_usage_bytes=...)")
