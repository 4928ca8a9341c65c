// simdjson helpers for JSON plugins (header-only; the plugin links simdjson itself).
#ifndef RESULTS_EXPORTER_SDK_JSON_HPP
#define RESULTS_EXPORTER_SDK_JSON_HPP

#include <simdjson.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

namespace rex::sdk {

// On-Demand parsers, pooled rather than thread_local: a thread_local with a destructor would pin
// the shared object in memory (glibc defers dlclose until every such thread exits), defeating hot
// swap. A parser keeps its buffers for the next document (re-faulting them costs about a third of
// a parse) unless a huge document grew them beyond kKeepParserCapacity.
class JsonParserPool {
 public:
  static constexpr std::size_t kKeepParserCapacity = std::size_t{256} << 20;
  static constexpr std::size_t kMaxIdle = 8;
  using Parser = simdjson::ondemand::parser;

  // A parser borrowed for one document, returned to the pool on destruction.
  class Lease {
   public:
    Lease(JsonParserPool& pool, std::unique_ptr<Parser> p) noexcept
        : pool_(pool), parser_(std::move(p)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_.release(std::move(parser_)); }
    Parser& operator*() const noexcept { return *parser_; }

   private:
    JsonParserPool& pool_;
    std::unique_ptr<Parser> parser_;
  };

  Lease acquire() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!idle_.empty()) {
        std::unique_ptr<Parser> p = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(p));
      }
    }
    return Lease(*this, std::make_unique<Parser>());
  }

 private:
  void release(std::unique_ptr<Parser> p) noexcept {
    if (!p || p->capacity() > kKeepParserCapacity) return;
    try {
      std::lock_guard<std::mutex> lock(mutex_);
      if (idle_.size() < kMaxIdle) idle_.push_back(std::move(p));
    } catch (...) {  // the parser is simply freed
    }
  }

  std::mutex mutex_;
  std::vector<std::unique_ptr<Parser>> idle_;
};

// Whether `s` follows the JSON number grammar -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?,
// around white space (a raw token from simdjson keeps the white space after it). Tells a number
// too large for a double (valid JSON, the wrong kind for the plugin) from a broken token.
inline bool is_json_number(std::string_view s) noexcept {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

// The plugin's pool: one per shared object (symbols are hidden), destroyed at dlclose.
inline JsonParserPool& json_parser_pool() {
  static JsonParserPool pool;
  return pool;
}

}  // namespace rex::sdk

#endif  // RESULTS_EXPORTER_SDK_JSON_HPP
