// One loaded parser plugin: the shared object, its checked descriptor, and typed calls into it.
// The library is closed when the last shared_ptr to the Plugin drops.
#pragma once

#include <results_exporter/plugin_abi.h>

#include <memory>
#include <string>
#include <string_view>

#include "store/model.hpp"

namespace rex::plugin {

struct ParseOutcome {
  bool ok = false;
  std::string error;  // why it failed, for the log, the status page and the self-metrics
  std::shared_ptr<const store::Contribution> contribution;
};

class Plugin {
 public:
  // Loads `path`: stages a private copy (dlopen caches by path, and a file replaced under a
  // mapping can SIGBUS), dlopens it, resolves the entry symbol and checks the descriptor.
  // Returns nullptr and sets `error` (naming the file) when any step fails.
  static std::shared_ptr<Plugin> load(const std::string& path, std::string& error);

  ~Plugin();
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  const std::string& name() const noexcept { return name_; }
  const std::string& version() const noexcept { return version_; }
  const std::string& path() const noexcept { return path_; }
  std::string abi() const;  // "major.minor" the plugin was built with
  rex_plugin_kind kind() const noexcept { return desc_->kind; }

  // Confidence in [0, 1] that a document starting with `head` is this plugin's schema.
  double probe(std::string_view head) const noexcept;

  // Line streams: an instance per stream, fed one complete, padded line at a time.
  rex_stream* create_stream(const rex_host* host) const;
  rex_status feed_line(rex_stream* s, const rex_host* host, const char* line, size_t len) const;
  void destroy_stream(rex_stream* s) const;

  // Parses one document. `data` must be followed by REX_INPUT_PADDING readable bytes.
  ParseOutcome parse_document(std::string_view data, const store::LabelSet& constant_labels) const;

 private:
  Plugin() = default;

  void* handle_ = nullptr;
  const rex_plugin* desc_ = nullptr;
  std::string name_, version_, path_;
};

}  // namespace rex::plugin
