// simdjson helpers for JSON plugins (header-only; the plugin links simdjson itself).
#ifndef RESULTS_EXPORTER_SDK_JSON_HPP
#define RESULTS_EXPORTER_SDK_JSON_HPP

#include <simdjson.h>

#include <cstddef>
#include <memory>
#include <mutex>
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

// The plugin's pool: one per shared object (symbols are hidden), destroyed at dlclose.
inline JsonParserPool& json_parser_pool() {
  static JsonParserPool pool;
  return pool;
}

}  // namespace rex::sdk

#endif  // RESULTS_EXPORTER_SDK_JSON_HPP
