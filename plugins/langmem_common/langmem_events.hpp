// Shared logic of the two LangMem log plugins (langmem_jsonlog, langmem_kv).
//
// Both read the same events of the LangMem memory manager, one line at a time: a line's figures
// (from its message text, its JSON fields or its key=value tokens) are gathered into a Record,
// checked, and only then emitted, so a malformed line emits nothing. The families, their labels
// and the message-text grammar live here once. Schemas: schemas/langmem_jsonlog/README.md and
// schemas/langmem_kv/README.md.
//
// Nothing here allocates on the hot path: every text is a view into the line (or into the JSON
// parser's string buffer), valid until the line has been emitted.
#ifndef RESULTS_EXPORTER_LANGMEM_EVENTS_HPP
#define RESULTS_EXPORTER_LANGMEM_EVENTS_HPP

#include <results_exporter/plugin_sdk.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rex::langmem {

using rex::sdk::Emitter;
using rex::sdk::Status;

// Seconds; shared by both duration histograms.
inline constexpr std::array<double, 11> kDurationBounds = {0.01, 0.05, 0.1, 0.25, 0.5, 1,
                                                           2.5,  5,    10,  30,   60};

// The families both plugins declare; names, types and help texts must agree exactly.
struct Families {
  int32_t ttl_deleted, ttl_cleanups, ttl_duration;
  int32_t dedup_exact, dedup_semantic, dedup_rate, dedup_operations, dedup_duration;
  int32_t errors, cache_evictions, memory_usage;

  // Declared once per stream (the ids stay valid for the stream's life). A declared family without
  // a series is not exposed, so declaring up front does not make a family appear.
  explicit Families(Emitter& out) noexcept
      : ttl_deleted(out.counter("langmem_ttl_deleted_total",
                                "Memory entries deleted by LangMem TTL cleanups.")),
        ttl_cleanups(
            out.counter("langmem_ttl_cleanups_total", "LangMem TTL cleanups that completed.")),
        ttl_duration(out.histogram("langmem_ttl_cleanup_duration_seconds",
                                   "Duration of completed LangMem TTL cleanups in seconds.",
                                   kDurationBounds)),
        dedup_exact(out.counter("langmem_dedup_exact_duplicates",
                                "Exact duplicates removed by LangMem deduplication runs.")),
        dedup_semantic(out.counter("langmem_dedup_semantic_duplicates",
                                   "Semantic duplicates removed by LangMem deduplication runs.")),
        dedup_rate(out.gauge("langmem_dedup_rate",
                             "Percent (0-100) of entries the latest LangMem deduplication run "
                             "removed.")),
        dedup_operations(out.counter("langmem_dedup_operations_total",
                                     "LangMem deduplication runs that completed.")),
        dedup_duration(out.histogram("langmem_dedup_duration_seconds",
                                     "Duration of completed LangMem deduplication runs in seconds.",
                                     kDurationBounds)),
        errors(out.counter("langmem_errors_total",
                           "LangMem operations that failed (ERROR-level lines), by operation.")),
        cache_evictions(out.counter("langmem_cache_evictions_total",
                                    "LangMem cache evictions, by cache type.")),
        memory_usage(out.gauge("langmem_memory_usage_bytes",
                               "Memory used by LangMem, in bytes, as last reported.")) {}
};

// ---------------------------------------------------------------------------------------------
// Small text helpers.

inline bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
inline bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_key_char(char c) noexcept {
  return is_alpha(c) || is_digit(c) || c == '_' || c == '.' || c == '-';
}

inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

// Figures beyond these are not measurements but garbage (and would overflow the host's sums):
// 2^53 entries or bytes is where doubles stop counting exactly; 10^9 s is 31 years.
inline constexpr double kMaxFigure = 9007199254740992.0;
inline constexpr double kMaxDurationSeconds = 1e9;

// A finite decimal number >= 0 written as text ("12", "0.37", "1e3"), not absurdly large.
inline bool parse_non_negative(std::string_view s, double& out) noexcept {
  return rex::sdk::parse_number_text(s, out) && out >= 0 && out <= kMaxFigure;
}

// Seconds with an optional unit: "0.37", "0.37s", "370ms".
inline bool parse_seconds(std::string_view s, double& out) noexcept {
  s = trim(s);
  double scale = 1;
  if (s.ends_with("ms")) {
    s.remove_suffix(2);
    scale = 0.001;
  } else if (s.ends_with('s')) {
    s.remove_suffix(1);
  }
  if (!parse_non_negative(s, out)) return false;
  out *= scale;
  return out <= kMaxDurationSeconds;
}

// A deduplication rate: "35%" is 35; without '%' a value <= 1 is a fraction ("0.35" is 35),
// a larger one already a percent. The result must lie in 0..100.
inline bool parse_rate(std::string_view s, double& out) noexcept {
  s = trim(s);
  const bool percent = s.ends_with('%');
  if (percent) s.remove_suffix(1);
  if (!parse_non_negative(s, out)) return false;
  if (!percent && out <= 1) out *= 100;
  return out <= 100;
}

// Valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
inline bool valid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0, n = s.size();
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3Fu);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Timestamps.

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
inline int64_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// Reads `YYYY-MM-DD[T ]HH:MM:SS[(.|,)fraction][Z|(+|-)HH[:]MM]` from the start of `s` (no zone
// means UTC) into Unix seconds. Returns the number of bytes read, 0 when `s` does not start so.
inline std::size_t read_iso_timestamp(std::string_view s, double& out) noexcept {
  std::size_t i = 0;
  auto fixed = [&](std::size_t width, int& v) {
    if (i + width > s.size()) return false;
    v = 0;
    for (std::size_t k = 0; k < width; ++k) {
      if (!is_digit(s[i + k])) return false;
      v = v * 10 + (s[i + k] - '0');
    }
    i += width;
    return true;
  };
  auto sep = [&](char c) { return i < s.size() && s[i] == c ? (++i, true) : false; };
  int year, month, day, hour, minute, second;
  if (!fixed(4, year) || !sep('-') || !fixed(2, month) || !sep('-') || !fixed(2, day)) return 0;
  if (!(sep('T') || sep(' ') || sep('t'))) return 0;
  if (!fixed(2, hour) || !sep(':') || !fixed(2, minute) || !sep(':') || !fixed(2, second)) return 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return 0;
  double fraction = 0;
  if (i + 1 < s.size() && (s[i] == '.' || s[i] == ',') && is_digit(s[i + 1])) {
    ++i;
    double scale = 0.1;
    while (i < s.size() && is_digit(s[i])) {
      fraction += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
  }
  int offset = 0;
  if (sep('Z') || sep('z')) {
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    const int sign = s[i] == '-' ? -1 : 1;
    const std::size_t at = i++;
    int oh = 0, om = 0;
    bool ok = fixed(2, oh);
    if (ok) {
      sep(':');
      ok = fixed(2, om) && oh <= 23 && om <= 59;
    }
    if (ok) {
      offset = sign * (oh * 3600 + om * 60);
    } else {
      i = at;  // not a zone after all ("... 23:41:01 -" in a text line)
    }
  }
  const int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  out = static_cast<double>(days * 86400 + hour * 3600 + minute * 60 + second - offset) + fraction;
  return i;
}

// A whole timestamp field: ISO-8601 as above, or Unix seconds as a number.
inline bool parse_timestamp(std::string_view s, double& out) noexcept {
  s = trim(s);
  if (s.empty()) return false;
  const std::size_t n = read_iso_timestamp(s, out);
  if (n != 0) return n == s.size();
  return rex::sdk::parse_number_text(s, out);
}

// ---------------------------------------------------------------------------------------------
// The record one line yields.

// The keys either schema reads (JSON field names or key=value keys).
enum class Key : uint8_t {
  other,
  // the line itself
  timestamp,
  level,
  message,
  operation,
  // figures
  deleted_count,
  duration,
  duration_ms,
  dedup_rate,
  exact,
  semantic,
  cache_evictions,
  memory_usage_bytes,
  // labels
  ns,
  memory_type,
  cache_type,
  dedup_type,
  similarity_threshold,
};

inline Key classify(std::string_view k) noexcept {
  switch (k.size()) {
    case 2:
      return k == "ts" ? Key::timestamp : Key::other;
    case 4:
      return k == "time" ? Key::timestamp : Key::other;
    case 5:
      return k == "level" ? Key::level : k == "exact" ? Key::exact : Key::other;
    case 7:
      return k == "message" ? Key::message : Key::other;
    case 8:
      return k == "duration" ? Key::duration : k == "semantic" ? Key::semantic : Key::other;
    case 9:
      return k == "timestamp"   ? Key::timestamp
             : k == "namespace" ? Key::ns
             : k == "operation" ? Key::operation
             : k == "levelname" ? Key::level
                                : Key::other;
    case 10:
      return k == "cache_type"   ? Key::cache_type
             : k == "dedup_rate" ? Key::dedup_rate
             : k == "dedup_type" ? Key::dedup_type
                                 : Key::other;
    case 11:
      return k == "memory_type"   ? Key::memory_type
             : k == "duration_ms" ? Key::duration_ms
                                  : Key::other;
    case 13:
      return k == "deleted_count" ? Key::deleted_count : Key::other;
    case 15:
      return k == "cache_evictions" ? Key::cache_evictions : Key::other;
    case 16:
      return k == "exact_duplicates"   ? Key::exact
             : k == "duration_seconds" ? Key::duration
                                       : Key::other;
    case 18:
      return k == "memory_usage_bytes" ? Key::memory_usage_bytes : Key::other;
    case 19:
      return k == "semantic_duplicates" ? Key::semantic : Key::other;
    case 20:
      return k == "similarity_threshold" ? Key::similarity_threshold : Key::other;
    default:
      return Key::other;
  }
}

// The keys a JSON log's message may carry as key=value tokens: labels and the eviction and memory
// figures. (Its event figures come from the message grammar, whose "(exact=E, semantic=S)" must
// not be read twice.)
inline bool is_context_key(Key k) noexcept {
  return k == Key::ns || k == Key::memory_type || k == Key::cache_type || k == Key::dedup_type ||
         k == Key::similarity_threshold || k == Key::cache_evictions ||
         k == Key::memory_usage_bytes;
}

// The keys whose value is a number.
inline bool is_figure(Key k) noexcept {
  return k == Key::deleted_count || k == Key::duration || k == Key::duration_ms ||
         k == Key::dedup_rate || k == Key::exact || k == Key::semantic ||
         k == Key::cache_evictions || k == Key::memory_usage_bytes;
}

// The keys that make a text line look like this schema (probes).
inline bool is_specific_key(Key k) noexcept {
  return k != Key::other && k != Key::timestamp && k != Key::level && k != Key::message &&
         k != Key::operation && k != Key::duration && k != Key::duration_ms;
}

struct Figure {
  double value = 0;
  bool set = false;
};

inline constexpr std::string_view kTtlCleanup = "ttl_cleanup";
inline constexpr std::string_view kDedup = "dedup";

// An operation name for the errors label: the known aliases are normalised, another short
// identifier passes through, anything else is dropped.
inline std::string_view normalise_operation(std::string_view v) noexcept {
  if (v == "ttl_cleanup" || v == "ttl" || v == "cleanup" || v == "ttl-cleanup") return kTtlCleanup;
  if (v == "dedup" || v == "deduplication" || v == "deduplicate") return kDedup;
  if (v.empty() || v.size() > 64) return {};
  for (char c : v)
    if (!is_key_char(c) && c != ':') return {};
  return v;
}

// Everything one line says, before it is emitted.
struct Record {
  // Labels; empty = not provided (left off).
  std::string_view ns, memory_type, cache_type, dedup_type, similarity_threshold;
  std::string_view timestamp;  // text, parsed only when the line sets a gauge
  std::string_view operation;  // from an `operation` key or an event word
  std::string_view failure;    // from a failure message ("TTL cleanup failed: ...")
  bool error_level = false;
  bool level_set = false;
  bool dedup_message = false;  // "Deduplication complete: ..."
  Figure deleted, duration, rate, exact, semantic, evictions, memory;
  // Why the line is malformed: a fixed text plus the offending key, or empty.
  std::string_view problem, problem_key;

  bool ttl() const noexcept { return deleted.set; }
  bool dedup() const noexcept { return dedup_message || exact.set || semantic.set || rate.set; }

  bool fail(std::string_view why, std::string_view key = {}) noexcept {
    if (problem.empty()) problem = why, problem_key = key;
    return false;
  }
  std::string problem_text() const {
    std::string m;
    if (!problem_key.empty()) {
      m += '"';
      m += problem_key.substr(0, 64);
      m += "\" ";
    }
    m += problem;
    return m;
  }

  // Applies one key's text (a JSON field or a key=value token). `overwrite` false keeps what an
  // earlier, more explicit source set. Returns false, with `problem` set, when a figure's value
  // does not parse; the line is then malformed.
  bool apply(Key k, std::string_view key, std::string_view v, bool overwrite) noexcept {
    auto label = [&](std::string_view& slot) {
      if (overwrite || slot.empty()) slot = trim(v);
      return true;
    };
    auto figure = [&](Figure& f, bool (*parse)(std::string_view, double&) noexcept,
                      std::string_view why) {
      if (f.set && !overwrite) return true;
      if (!parse(v, f.value)) return fail(why, key);
      f.set = true;
      return true;
    };
    constexpr std::string_view kCount = "is not a number >= 0";
    switch (k) {
      case Key::other:
      case Key::message:
        return true;
      case Key::timestamp:
        return label(timestamp);
      case Key::level: {
        const std::string_view l = trim(v);
        if (overwrite || !level_set) {
          error_level = iequals(l, "ERROR") || iequals(l, "CRITICAL") || iequals(l, "FATAL");
          level_set = true;
        }
        return true;
      }
      case Key::operation:
        if (overwrite || operation.empty()) operation = normalise_operation(trim(v));
        return true;
      case Key::deleted_count:
        return figure(deleted, parse_non_negative, kCount);
      case Key::duration:
        return figure(duration, parse_seconds, "is not a duration >= 0");
      case Key::duration_ms: {
        if (duration.set && !overwrite) return true;
        if (!parse_non_negative(v, duration.value)) return fail(kCount, key);
        duration.value /= 1000;
        duration.set = true;
        return true;
      }
      case Key::dedup_rate:
        return figure(rate, parse_rate, "is not a rate (35%, 0.35 or 35; 0..100)");
      case Key::exact:
        return figure(exact, parse_non_negative, kCount);
      case Key::semantic:
        return figure(semantic, parse_non_negative, kCount);
      case Key::cache_evictions:
        return figure(evictions, parse_non_negative, kCount);
      case Key::memory_usage_bytes:
        return figure(memory, parse_non_negative, kCount);
      case Key::ns:
        return label(ns);
      case Key::memory_type:
        return label(memory_type);
      case Key::cache_type:
        return label(cache_type);
      case Key::dedup_type:
        return label(dedup_type);
      case Key::similarity_threshold:
        return label(similarity_threshold);
    }
    return true;
  }
};

// ---------------------------------------------------------------------------------------------
// key=value tokens.

// Walks whitespace-separated words left to right: `on_pair(key, value)` for each key=value token
// (a value may be "double quoted", with \" inside; an unquoted value ends at whitespace or one of
// , ; ) ] }, and leading ( [ { , ; before a key are ignored), `on_word(word)` for every other word.
// Stops early when on_pair returns false; returns whether it ran to the end.
template <class OnPair, class OnWord>
bool scan_tokens(std::string_view s, OnPair&& on_pair, OnWord&& on_word) {
  auto value_end = [](char c) {
    return is_space(c) || c == ',' || c == ';' || c == ')' || c == ']' || c == '}';
  };
  auto key_lead = [](char c) { return c == '(' || c == '[' || c == '{' || c == ',' || c == ';'; };
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    while (i < n && is_space(s[i])) ++i;
    if (i == n) break;
    const std::size_t start = i;
    std::size_t ks = i;
    while (ks < n && key_lead(s[ks])) ++ks;
    std::size_t ke = ks;
    while (ke < n && is_key_char(s[ke])) ++ke;
    if (ke > ks && ke < n && s[ke] == '=') {
      const std::string_view key = s.substr(ks, ke - ks);
      i = ke + 1;
      std::string_view value;
      if (i < n && s[i] == '"') {
        const std::size_t vs = ++i;
        while (i < n && s[i] != '"') i += (s[i] == '\\' && i + 1 < n) ? 2 : 1;
        value = s.substr(vs, (i < n ? i : n) - vs);
        if (i < n) ++i;  // the closing quote
      } else {
        const std::size_t vs = i;
        while (i < n && !value_end(s[i])) ++i;
        value = s.substr(vs, i - vs);
      }
      if (!on_pair(key, value)) return false;
      continue;
    }
    while (i < n && !is_space(s[i])) ++i;
    on_word(s.substr(start, i - start));
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The message grammar of the LangMem memory manager.
//
//   TTL cleanup complete: deleted N entries from M namespaces in Xs
//   Deduplication complete: IN → OUT (exact=E, semantic=S) in Xs     (→ also as \u2192 or ->)
//   TTL cleanup failed: ... | Cleanup loop error: ...                 -> ttl_cleanup failure
//   Deduplication failed: ...                                         -> dedup failure

// A cursor over message text.
class Cursor {
 public:
  explicit Cursor(std::string_view s) noexcept : s_(s) {}

  void spaces() noexcept {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  bool literal(std::string_view lit) noexcept {
    if (s_.substr(i_).starts_with(lit)) {
      i_ += lit.size();
      return true;
    }
    return false;
  }
  // A word starting with `stem` ("entr" takes "entries" and "entry"); the rest of its letters go.
  bool word(std::string_view stem) noexcept {
    if (!literal(stem)) return false;
    while (i_ < s_.size() && is_alpha(s_[i_])) ++i_;
    return true;
  }
  bool identifier(std::string_view& out) noexcept {
    const std::size_t start = i_;
    while (i_ < s_.size() && (is_alpha(s_[i_]) || s_[i_] == '_')) ++i_;
    out = s_.substr(start, i_ - start);
    return i_ > start;
  }
  // A number >= 0 in plain decimal notation (digits, one '.', an exponent).
  bool number(double& out) noexcept {
    std::size_t j = i_;
    while (j < s_.size() && (is_digit(s_[j]) || s_[j] == '.')) ++j;
    if (j < s_.size() && (s_[j] == 'e' || s_[j] == 'E')) {
      std::size_t k = j + 1;
      if (k < s_.size() && (s_[k] == '+' || s_[k] == '-')) ++k;
      if (k < s_.size() && is_digit(s_[k])) {
        j = k;
        while (j < s_.size() && is_digit(s_[j])) ++j;
      }
    }
    if (j == i_ || !parse_non_negative(s_.substr(i_, j - i_), out)) return false;
    i_ = j;
    return true;
  }
  // "in 0.412s" / "in 412ms" / "in 0.4": seconds.
  bool duration(double& out) noexcept {
    if (!number(out)) return false;
    if (literal("ms")) {
      out /= 1000;
    } else {
      literal("s");
    }
    if (out > kMaxDurationSeconds) return false;
    return i_ == s_.size() || !is_alpha(s_[i_]);
  }
  bool arrow() noexcept { return literal("\xE2\x86\x92") || literal("->") || literal("\\u2192"); }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

inline constexpr std::string_view kTtlComplete = "TTL cleanup complete:";
inline constexpr std::string_view kTtlFailed = "TTL cleanup failed";
inline constexpr std::string_view kLoopError = "Cleanup loop error";
inline constexpr std::string_view kDedupComplete = "Deduplication complete:";
inline constexpr std::string_view kDedupFailed = "Deduplication failed";

namespace detail {

// `rest` follows "TTL cleanup complete:".
inline bool read_ttl(std::string_view rest, Record& r) {
  Cursor c(rest);
  double deleted = 0, namespaces = 0, seconds = 0;
  c.spaces();
  if (!c.word("deleted")) return r.fail("TTL cleanup message: no \"deleted N\"");
  c.spaces();
  if (!c.number(deleted)) return r.fail("TTL cleanup message: the deleted count is not a number");
  c.spaces();
  if (!c.word("entr")) return r.fail("TTL cleanup message: no \"entries\" after the count");
  c.spaces();
  if (c.word("from")) {
    c.spaces();
    if (!c.number(namespaces) || (c.spaces(), !c.word("namespace")))
      return r.fail("TTL cleanup message: no \"from M namespaces\"");
    c.spaces();
  }
  if (!c.word("in") || (c.spaces(), !c.duration(seconds)))
    return r.fail("TTL cleanup message: no \"in X.XXs\" duration");
  if (!r.deleted.set) r.deleted = {deleted, true};
  if (!r.duration.set) r.duration = {seconds, true};
  return true;
}

// `rest` follows "Deduplication complete:".
inline bool read_dedup(std::string_view rest, Record& r) {
  Cursor c(rest);
  double in = 0, out = 0, seconds = 0;
  Figure exact, semantic;
  c.spaces();
  if (!c.number(in) || (c.spaces(), !c.arrow()) || (c.spaces(), !c.number(out)))
    return r.fail("deduplication message: no \"IN \u2192 OUT\" counts");
  if (out > in) return r.fail("deduplication message: more entries out than in");
  c.spaces();
  if (c.literal("(")) {
    for (;;) {
      c.spaces();
      std::string_view name;
      double v = 0;
      if (!c.identifier(name) || (c.spaces(), !c.literal("=")) || (c.spaces(), !c.number(v)))
        return r.fail("deduplication message: a malformed (name=count) list");
      if (name == "exact") exact = {v, true};
      if (name == "semantic") semantic = {v, true};
      c.spaces();
      if (c.literal(")")) break;
      if (!c.literal(",")) return r.fail("deduplication message: a malformed (name=count) list");
    }
    c.spaces();
  }
  if (!c.word("in") || (c.spaces(), !c.duration(seconds)))
    return r.fail("deduplication message: no \"in X.XXXs\" duration");
  r.dedup_message = true;
  if (!r.exact.set) r.exact = exact;
  if (!r.semantic.set) r.semantic = semantic;
  if (!r.duration.set) r.duration = {seconds, true};
  if (!r.rate.set && in > 0) r.rate = {100.0 * (in - out) / in, true};
  return true;
}

}  // namespace detail

// Reads the message grammar from `text`, which starts with the message (a JSON `message` field).
// Returns false when the text starts like an event but does not parse.
inline bool read_message(std::string_view text, Record& r) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  if (text.empty()) return true;
  switch (text.front()) {  // one cheap test for the common case: a message of no interest
    case 'T':
      if (text.starts_with(kTtlComplete))
        return detail::read_ttl(text.substr(kTtlComplete.size()), r);
      if (text.starts_with(kTtlFailed)) r.failure = kTtlCleanup;
      return true;
    case 'D':
      if (text.starts_with(kDedupComplete))
        return detail::read_dedup(text.substr(kDedupComplete.size()), r);
      if (text.starts_with(kDedupFailed)) r.failure = kDedup;
      return true;
    case 'C':
      if (text.starts_with(kLoopError)) r.failure = kTtlCleanup;
      return true;
    default:
      return true;
  }
}

// The same for a text line, where the message may start anywhere (after a timestamp, a level, a
// logger name...): the first occurrence of each phrase counts.
inline bool find_message(std::string_view line, Record& r) {
  for (std::size_t at = line.find("TTL cleanup "); at != std::string_view::npos;
       at = line.find("TTL cleanup ", at + 1)) {
    const std::string_view rest = line.substr(at);
    if (rest.starts_with(kTtlComplete)) {
      if (!detail::read_ttl(rest.substr(kTtlComplete.size()), r)) return false;
      break;
    }
    if (rest.starts_with(kTtlFailed)) {
      r.failure = kTtlCleanup;
      break;
    }
  }
  for (std::size_t at = line.find("Deduplication "); at != std::string_view::npos;
       at = line.find("Deduplication ", at + 1)) {
    const std::string_view rest = line.substr(at);
    if (rest.starts_with(kDedupComplete)) {
      if (!detail::read_dedup(rest.substr(kDedupComplete.size()), r)) return false;
      break;
    }
    if (rest.starts_with(kDedupFailed)) {
      if (r.failure.empty()) r.failure = kDedup;
      break;
    }
  }
  if (r.failure.empty() && line.find(kLoopError) != std::string_view::npos) r.failure = kTtlCleanup;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Emission.

// Up to two labels, each left off when the input did not provide it.
class Labels {
 public:
  Labels& with(std::string_view name, std::string_view value) noexcept {
    if (!value.empty()) l_[n_++] = rex_label{rex::sdk::to_rex(name), rex::sdk::to_rex(value)};
    return *this;
  }
  const rex_label* data() const noexcept { return l_; }
  std::size_t size() const noexcept { return n_; }

 private:
  rex_label l_[2] = {};
  std::size_t n_ = 0;
};

// The label values a line emits must be UTF-8 (the host would drop the sample otherwise and the
// line would be half-applied): checked before anything is emitted.
inline bool labels_valid(const Record& r) noexcept {
  for (std::string_view v :
       {r.ns, r.memory_type, r.cache_type, r.dedup_type, r.similarity_threshold, r.operation})
    if (!valid_utf8(v)) return false;
  return true;
}

// Emits a checked record. Counters get a series only from a figure the line carries.
inline void emit(Emitter& out, const Families& f, const Record& r) noexcept {
  const rex_host* h = out.raw();
  auto add = [&](int32_t id, const Labels& l, double v) {
    if (id >= 0) h->counter_add(h->ctx, id, l.data(), l.size(), v);
  };
  auto set = [&](int32_t id, const Labels& l, double v) {
    if (id >= 0) h->gauge_set(h->ctx, id, l.data(), l.size(), v);
  };
  auto observe = [&](int32_t id, const Labels& l, double v) {
    if (id >= 0) h->histogram_observe(h->ctx, id, l.data(), l.size(), v);
  };
  bool gauge = false;

  if (r.ttl()) {
    add(f.ttl_deleted, Labels().with("namespace", r.ns).with("memory_type", r.memory_type),
        r.deleted.value);
    add(f.ttl_cleanups, Labels().with("namespace", r.ns), 1);
    if (r.duration.set) observe(f.ttl_duration, Labels().with("namespace", r.ns), r.duration.value);
  }
  if (r.dedup()) {
    if (r.exact.set) add(f.dedup_exact, Labels().with("namespace", r.ns), r.exact.value);
    if (r.semantic.set)
      add(f.dedup_semantic,
          Labels().with("namespace", r.ns).with("similarity_threshold", r.similarity_threshold),
          r.semantic.value);
    if (r.rate.set) {
      set(f.dedup_rate, Labels().with("namespace", r.ns).with("dedup_type", r.dedup_type),
          r.rate.value);
      gauge = true;
    }
    add(f.dedup_operations, Labels().with("namespace", r.ns), 1);
    if (r.duration.set && !r.ttl())
      observe(f.dedup_duration, Labels().with("namespace", r.ns), r.duration.value);
  }
  if (r.evictions.set)
    add(f.cache_evictions, Labels().with("namespace", r.ns).with("cache_type", r.cache_type),
        r.evictions.value);
  if (r.memory.set) {
    set(f.memory_usage, Labels().with("namespace", r.ns).with("memory_type", r.memory_type),
        r.memory.value);
    gauge = true;
  }
  if (r.error_level) {
    const std::string_view op = !r.failure.empty() ? r.failure : r.operation;
    if (!op.empty()) add(f.errors, Labels().with("operation", op).with("namespace", r.ns), 1);
  }
  double ts = 0;
  if (gauge && !r.timestamp.empty() && parse_timestamp(r.timestamp, ts)) out.timestamp(ts);
}

}  // namespace rex::langmem

#endif  // RESULTS_EXPORTER_LANGMEM_EVENTS_HPP
