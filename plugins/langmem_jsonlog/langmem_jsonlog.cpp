// langmem_jsonlog: the LangMem memory manager's JSON-lines logs (one JSON object per line, the
// figures in the `message` text). Schema: schemas/langmem_jsonlog/README.md. The event grammar,
// families and labels are shared with langmem_kv (plugins/langmem_common/langmem_events.hpp).
#include <results_exporter/plugin_sdk.hpp>

#include <simdjson.h>

#include <cstring>
#include <string>
#include <string_view>

#include "langmem_events.hpp"

namespace {

namespace ondemand = simdjson::ondemand;
using rex::langmem::Key;
using rex::langmem::Record;
using rex::sdk::Emitter;
using rex::sdk::Status;

// A JSON value as text: a string (unescaped), a number (its token), null, or another kind.
enum class Kind : uint8_t { text, null, other };

simdjson::error_code read_text(ondemand::value& v, std::string_view& out, Kind& kind) noexcept {
  ondemand::json_type t;
  if (auto err = v.type().get(t)) return err;
  switch (t) {
    case ondemand::json_type::string:
      kind = Kind::text;
      return v.get_string().get(out);
    case ondemand::json_type::number: {
      kind = Kind::text;
      out = rex::langmem::trim(v.raw_json_token());
      double d;  // on-demand checks a number only when asked to read it
      return v.get_double().get(d);
    }
    case ondemand::json_type::null:
      kind = Kind::null;
      return simdjson::SUCCESS;
    default:
      kind = Kind::other;  // skipped when the iteration moves on
      return simdjson::SUCCESS;
  }
}

class LangmemJsonlog {
 public:
  static double probe(std::string_view head) noexcept {
    using rex::sdk::head_contains;
    // OSWorld results are JSON objects too: never claim them.
    if (head_contains(head, "\"tasks\"") || head_contains(head, "\"detailed_results\"")) return 0.0;
    const bool langmem = head_contains(head, "langmem");
    int lines = 0, logs = 0;
    while (!head.empty() && lines < 16) {
      const std::size_t nl = head.find('\n');
      const std::string_view line = rex::langmem::trim(head.substr(0, nl));
      head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
      if (line.empty()) continue;
      ++lines;
      if (line.front() == '{' && head_contains(line, "\"message\"") &&
          (head_contains(line, "\"level\"") || head_contains(line, "\"logger\"")))
        ++logs;
    }
    if (logs == 0) return 0.0;
    if (logs * 2 < lines) return 0.25;  // mostly other lines
    return langmem ? 0.9 : 0.7;
  }

  explicit LangmemJsonlog(Emitter& out) : families_(out) {}

  Status line(Emitter& out, std::string_view line) {
    std::size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size() || line[i] != '{') return Status::ok();  // a console line, a blank one

    Record r;
    std::string_view message;
    bool has_message = false;
    if (const simdjson::error_code err = read_fields(line, r, message, has_message)) {
      release_large_buffers();
      // A broken object that names a message is a damaged log line; other broken text is not ours.
      if (line.find("\"message\"") == std::string_view::npos) return Status::ok();
      std::string m = "not valid JSON: ";
      m += simdjson::error_message(err);
      return Status::parse_error(std::move(m));
    }
    Status s = Status::ok();
    if (r.problem.empty() && has_message) {
      // key=value tokens a formatter kept in the message: labels, evictions, memory. JSON fields
      // win over them; they win over nothing else.
      if (std::memchr(message.data(), '=', message.size()) != nullptr) {
        rex::langmem::scan_tokens(
            message,
            [&](std::string_view key, std::string_view value) {
              const Key k = rex::langmem::classify(key);
              return !rex::langmem::is_context_key(k) || r.apply(k, key, value, false);
            },
            [](std::string_view) {});
      }
      if (r.problem.empty()) rex::langmem::read_message(message, r);
    }
    if (!r.problem.empty()) {
      s = Status::parse_error(r.problem_text());
    } else {
      rex::langmem::emit(out, families_, r);
    }
    release_large_buffers();
    return s;
  }

 private:
  // A parser grown by one huge line gives the memory back afterwards.
  static constexpr std::size_t kKeepCapacity = std::size_t{1} << 20;

  void release_large_buffers() {
    if (parser_.capacity() > kKeepCapacity) parser_ = ondemand::parser();
  }

  // One pass over the object's fields. Returns an error only when the line is not valid JSON; a
  // field whose value does not fit the schema sets r.problem.
  simdjson::error_code read_fields(std::string_view line, Record& r, std::string_view& message,
                                   bool& has_message) {
    ondemand::document doc;
    if (auto err = parser_
                       .iterate(simdjson::padded_string_view(line.data(), line.size(),
                                                             line.size() + REX_INPUT_PADDING))
                       .get(doc))
      return err;
    ondemand::object obj;
    if (auto err = doc.get_object().get(obj)) return err;
    const char* const end = line.data() + line.size();
    for (auto field_result : obj) {
      ondemand::raw_json_string raw;
      if (auto err = field_result.key().get(raw)) return err;
      // The key as written (the keys of interest have no escapes): up to its closing quote.
      const char* k = raw.raw();
      const void* q = std::memchr(k, '"', static_cast<std::size_t>(end - k));
      if (q == nullptr) return simdjson::TAPE_ERROR;
      const std::string_view key(k, static_cast<std::size_t>(static_cast<const char*>(q) - k));
      const Key kind = rex::langmem::classify(key);
      if (kind == Key::other) continue;  // on-demand skips the value

      ondemand::value& v = field_result.value_unsafe().value();
      std::string_view text;
      Kind vk = Kind::other;
      if (auto err = read_text(v, text, vk)) return err;
      if (vk == Kind::null) continue;  // Python's None: absent
      if (kind == Key::message) {
        message = text;
        has_message = vk == Kind::text;
        continue;
      }
      if (vk == Kind::other) {  // true/false, an object, an array: ignored unless a figure
        if (rex::langmem::is_figure(kind)) r.fail("is not a number", key);
        continue;
      }
      r.apply(kind, key, text, true);
    }
    // The walk consumed the object; anything after it is trailing garbage.
    const char* rest = nullptr;
    if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) return simdjson::TAPE_ERROR;
    return simdjson::SUCCESS;
  }

  rex::langmem::Families families_;
  ondemand::parser parser_;  // per stream, not thread_local: that would pin the .so (hot swap)
};

}  // namespace

REX_LINE_STREAM_PLUGIN(LangmemJsonlog, "langmem_jsonlog", "1.0.0",
                       "LangMem memory-manager JSON-lines logs (TTL cleanup, deduplication, "
                       "failures; figures from the message text)")
