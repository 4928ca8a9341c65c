#include "app/parse_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

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
      stream.feed(doc.bytes(), true);  // a PaddedDocument: the padding follows the bytes
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

namespace {

// A log file through a line-stream plugin, read in chunks: memory stays flat whatever its size.
FileParse stream_file(const std::shared_ptr<plugin::Plugin>& p, const std::string& path,
                      const store::LabelSet& constant_labels) {
  FileParse r;
  r.plugin = p->name();
  int fd = open_regular_file(path, r.identity, r.error);
  if (fd < 0) return r;
  constexpr size_t kChunk = 4 << 20;
  std::vector<char> buffer(kChunk + REX_INPUT_PADDING, 0);
  try {
    LineStream stream(p, constant_labels);
    bool first = true;
    for (;;) {
      ssize_t n = ::read(fd, buffer.data(), kChunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        r.error = "read failed: " + std::string(std::strerror(errno));
        ::close(fd);
        return r;
      }
      if (n == 0) break;
      std::string_view bytes(buffer.data(), static_cast<size_t>(n));
      if (first && bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
      first = false;
      stream.feed(bytes, true);
    }
    stream.finish();
    r.ok = true;
    r.contribution = stream.contribution();
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  ::close(fd);
  return r;
}

}  // namespace

FileParse parse_file(const plugin::Registry& registry, const std::string& plugin_spec,
                     const std::string& path, const store::LabelSet& constant_labels,
                     uint64_t max_bytes) {
  // Logs are streamed; the plugin is known from the name or from the file's first bytes.
  std::shared_ptr<plugin::Plugin> p;
  if (plugin_spec == "auto") {
    PaddedDocument head;
    FileIdentity id;
    std::string error;
    if (PaddedDocument::read_head(path, REX_PROBE_BYTES, head, id, error)) {
      head.strip_bom();
      p = registry.best_for(head.bytes());
    }
  } else {
    p = registry.find(plugin_spec);
  }
  if (p && p->kind() == REX_PLUGIN_LINE_STREAM) return stream_file(p, path, constant_labels);

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
