#include "app/parse_file.hpp"

#include "app/line_stream.hpp"

namespace rex::app {

FileParse parse_bytes(const plugin::Registry& registry, const std::string& plugin_spec,
                      PaddedDocument& doc, const store::LabelSet& constant_labels) {
  FileParse r;
  doc.strip_bom();
  std::shared_ptr<plugin::Plugin> p;
  if (plugin_spec == "auto") {
    double confidence = 0;
    p = registry.best_for(doc.bytes().substr(0, REX_PROBE_BYTES), &confidence);
    if (!p) {
      r.plugin = kNoPlugin;
      r.error = registry.all().empty()
                    ? "no plugins are loaded (plugin_dir: " + registry.directory() + ")"
                    : "no plugin recognises this document (plugin: auto)";
      return r;
    }
  } else {
    p = registry.find(plugin_spec);
    if (!p) {
      r.plugin = plugin_spec;
      r.error =
          "plugin '" + plugin_spec + "' is not loaded (plugin_dir: " + registry.directory() + ")";
      return r;
    }
  }
  return parse_with(p, doc, constant_labels);
}

FileParse parse_with(const std::shared_ptr<plugin::Plugin>& p, PaddedDocument& doc,
                     const store::LabelSet& constant_labels) {
  FileParse r;
  r.plugin = p->name();
  if (p->kind() == REX_PLUGIN_LINE_STREAM) {
    // A whole log file at once: every line through one stream, the last one even without '\n'.
    try {
      LineStream stream(p, constant_labels);
      stream.feed(doc.bytes());
      stream.finish();
      r.ok = true;
      r.contribution = stream.contribution();
    } catch (const std::exception& e) {
      r.error = e.what();
    }
    return r;
  }
  auto outcome = p->parse_document(doc.bytes(), constant_labels);
  r.ok = outcome.ok;
  r.error = std::move(outcome.error);
  r.contribution = std::move(outcome.contribution);
  return r;
}

FileParse parse_file_with(const std::shared_ptr<plugin::Plugin>& p, const std::string& path,
                          const store::LabelSet& constant_labels, uint64_t max_bytes) {
  PaddedDocument doc;
  FileParse r;
  if (!PaddedDocument::read_file(path, max_bytes, doc, r.identity, r.error)) {
    r.plugin = p->name();
    return r;
  }
  FileIdentity identity = r.identity;
  doc.strip_bom();
  r = parse_with(p, doc, constant_labels);
  r.identity = identity;
  return r;
}

FileParse parse_file(const plugin::Registry& registry, const std::string& plugin_spec,
                     const std::string& path, const store::LabelSet& constant_labels,
                     uint64_t max_bytes) {
  PaddedDocument doc;
  FileParse r;
  if (!PaddedDocument::read_file(path, max_bytes, doc, r.identity, r.error)) {
    r.plugin = plugin_spec == "auto" ? kNoPlugin : plugin_spec;
    return r;
  }
  FileIdentity identity = r.identity;
  r = parse_bytes(registry, plugin_spec, doc, constant_labels);
  r.identity = identity;
  return r;
}

}  // namespace rex::app
