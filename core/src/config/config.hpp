// The typed configuration. YAML never leaves config/: the rest of the server sees these structs.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/model.hpp"

namespace rex::config {

// A config that cannot be used. what() names the file, line, column and key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class OnDelete { drop, keep };

struct SourceConfig {
  std::string name;
  std::string path;             // a glob; wildcards in the file name part
  std::string plugin = "auto";  // a plugin name, or "auto" to probe each file
  store::LabelSet labels;       // constant labels added to every series, sorted by name
  OnDelete on_delete = OnDelete::drop;

  bool operator==(const SourceConfig&) const = default;
};

// POST /api/v1/push/{plugin}: documents pushed over HTTP, kept in a spool folder so a push
// survives a restart. Off unless the config has a `push:` section.
struct PushConfig {
  std::string spool_dir;
  uint64_t max_body_bytes = uint64_t{16} << 20;

  bool operator==(const PushConfig&) const = default;
};

struct Config {
  std::string listen_address = "127.0.0.1:8002";
  std::optional<std::string> plugin_dir;
  std::chrono::milliseconds scan_interval{std::chrono::seconds(30)};
  uint64_t max_document_bytes = uint64_t{1} << 30;
  unsigned http_threads = 2;
  std::vector<SourceConfig> sources;
  std::optional<PushConfig> push;
  // Bearer token required for push and reload endpoints, read from `auth_token_file`.
  std::optional<std::string> auth_token;
  std::optional<std::string> auth_token_file;
};

// The source name pushed documents are counted under; a configured source may not use it.
inline constexpr const char* kPushSourceName = "push";

// Parses config text; `origin` names it in errors (a path, or "<embedded default>").
Config parse_config(const std::string& text, const std::string& origin);
// Reads and parses a config file.
Config load_config_file(const std::string& path);
// The config compiled into the binary (config/results_exporter.yml at build time).
Config embedded_default_config();
const std::string& embedded_default_config_text();

// "host:port", "[v6]:port" or ":port" split into host and port. Throws ConfigError.
struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};
ListenAddress parse_listen_address(const std::string& text);

// "250ms", "30s", "5m", "1h".
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);
// "1048576", "512KiB", "64MiB", "1GiB".
std::optional<uint64_t> parse_size(const std::string& text);

}  // namespace rex::config
