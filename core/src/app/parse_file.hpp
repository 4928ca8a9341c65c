// One file through one plugin: read it padded, pick the plugin (named, or `auto` by probing),
// parse. Shared by the server's sources and the `parse` command, so both give the same answer.
#pragma once

#include <string>

#include "app/document_reader.hpp"
#include "plugin/registry.hpp"

namespace rex::app {

struct FileParse {
  bool ok = false;
  std::string plugin;  // the plugin that parsed (or was asked to parse) it; "none" when none was
  std::string error;   // why it failed
  FileIdentity identity;
  std::shared_ptr<const store::Contribution> contribution;
};

inline constexpr const char* kNoPlugin = "none";

FileParse parse_file(const plugin::Registry& registry, const std::string& plugin_spec,
                     const std::string& path, const store::LabelSet& constant_labels,
                     uint64_t max_bytes);

// Parses with this very plugin (hot swap tries a new version before it is installed).
FileParse parse_with(const std::shared_ptr<plugin::Plugin>& p, PaddedDocument& doc,
                     const store::LabelSet& constant_labels);
FileParse parse_file_with(const std::shared_ptr<plugin::Plugin>& p, const std::string& path,
                          const store::LabelSet& constant_labels, uint64_t max_bytes);

// The same for bytes already in memory (pushed bodies, tests).
FileParse parse_bytes(const plugin::Registry& registry, const std::string& plugin_spec,
                      PaddedDocument& doc, const store::LabelSet& constant_labels);

}  // namespace rex::app
