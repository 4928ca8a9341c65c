#include "app/status_json.hpp"

#include "app/json_writer.hpp"

namespace rex::app {

std::string render_status_json(const IngestEngine& engine, const store::Store& store, bool ready) {
  const auto& sources = engine.sources();
  const auto& registry = engine.registry();
  JsonWriter w;
  w.begin_object();
  w.field("version", REX_VERSION);
  w.field("ready", ready);
  w.key("config").begin_object();
  w.key("file");
  if (engine.config_path())
    w.value(*engine.config_path());
  else
    w.value("<embedded default>");
  w.field("last_reload_successful", engine.last_reload_ok());
  w.field("last_reload_success_timestamp", engine.last_reload_success());
  w.key("last_reload_error");
  if (engine.last_reload_error().empty())
    w.null();
  else
    w.value(engine.last_reload_error());
  w.end_object();
  w.key("plugin_dir").value(registry.directory());
  w.key("plugins").begin_array();
  for (const auto& [name, p] : registry.all()) {
    w.begin_object();
    w.field("name", name).field("version", p->version()).field("abi", p->abi());
    w.field("file", p->path());
    w.field("kind", p->kind() == REX_PLUGIN_DOCUMENT ? "document" : "line_stream");
    w.end_object();
  }
  w.end_array();
  w.key("plugin_failures").begin_array();
  for (const auto& f : registry.failures())
    w.begin_object().field("file", f.file).field("error", f.error).end_object();
  w.end_array();
  w.key("push").begin_object();
  w.field("enabled", engine.config().push.has_value());
  if (engine.config().push) {
    w.field("spool_dir", engine.config().push->spool_dir);
    w.field("max_body_bytes", engine.config().push->max_body_bytes);
    w.key("documents").begin_array();
    for (const auto& [id, d] : engine.pushed())
      w.begin_object()
          .field("id", id)
          .field("plugin", d.plugin)
          .field("path", d.path)
          .field("pushed_at", d.pushed_at)
          .end_object();
    w.end_array();
  }
  w.end_object();
  w.key("sources").begin_array();
  for (const auto& s : sources) {
    w.begin_object();
    w.field("name", s->cfg.name).field("path", s->cfg.path).field("plugin", s->cfg.plugin);
    w.key("watched_dirs").begin_array();
    for (const auto& d : s->watched_dirs) w.value(d);
    w.end_array();
    w.key("last_success");
    if (s->last_success)
      w.value(*s->last_success);
    else
      w.null();
    w.key("last_error");
    if (s->last_error.empty())
      w.null();
    else
      w.value(s->last_error);
    w.field("retired_log_segments", static_cast<uint64_t>(s->tails->retired_count()));
    w.key("files").begin_array();
    for (const auto& [key, f] : s->files) {
      w.begin_object();
      w.field("path", f.path).field("id", key).field("plugin", f.plugin);
      w.field("status", f.ok ? (f.deleted ? "deleted_kept" : "ok") : "error");
      if (f.tailed) {
        auto seg = s->tails->live().find(key);
        if (seg != s->tails->live().end()) {
          w.field("offset", seg->second.offset);
          w.field("lines", seg->second.stream ? seg->second.stream->lines() : uint64_t{0});
          if (!seg->second.follows.empty()) w.field("duplicate_of", seg->second.follows);
        }
      }
      w.field("last_parse", f.last_parse_time);
      w.key("error");
      if (f.error.empty())
        w.null();
      else
        w.value(f.error);
      const store::Document* d = store.find(s->cfg.name, key);
      uint64_t skipped = d && d->contribution ? d->contribution->records_skipped : 0;
      w.field("records_skipped", skipped);
      w.key("skip_reasons").begin_array();
      if (d && d->contribution)
        for (const auto& r : d->contribution->skip_reasons) w.value(r);
      w.end_array();
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
}

}  // namespace rex::app
