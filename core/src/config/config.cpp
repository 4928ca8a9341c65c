#include "config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "default_config.hpp"
#include "store/contribution_builder.hpp"

namespace rex::config {

namespace {

// Error text that points at the place in the file: "file:line:col: key: message".
[[noreturn]] void fail(const std::string& origin, const YAML::Node& at, const std::string& key,
                       const std::string& message) {
  std::ostringstream os;
  os << origin;
  if (at.IsDefined() && at.Mark().line >= 0)
    os << ':' << at.Mark().line + 1 << ':' << at.Mark().column + 1;
  os << ": " << key << ": " << message;
  throw ConfigError(os.str());
}

std::string scalar(const std::string& origin, const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) fail(origin, n, key, "must be a single value");
  return n.Scalar();
}

// Rejects keys outside `allowed`: a typo must not be silently ignored.
void check_keys(const std::string& origin, const YAML::Node& map, const std::string& where,
                std::initializer_list<const char*> allowed) {
  for (const auto& kv : map) {
    std::string k = kv.first.IsScalar() ? kv.first.Scalar() : std::string("?");
    bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; });
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      fail(origin, kv.first, where + k, "unknown key (known: " + list + ")");
    }
  }
}

bool valid_source_name(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

bool valid_plugin_name(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

SourceConfig parse_source(const std::string& origin, const YAML::Node& n, size_t index) {
  std::string where = "sources[" + std::to_string(index) + "].";
  if (!n.IsMap()) fail(origin, n, where.substr(0, where.size() - 1), "must be a mapping");
  check_keys(origin, n, where, {"name", "path", "plugin", "labels", "on_delete"});
  SourceConfig s;
  if (!n["name"]) fail(origin, n, where + "name", "is required");
  s.name = scalar(origin, n["name"], where + "name");
  if (!valid_source_name(s.name))
    fail(origin, n["name"], where + "name", "'" + s.name + "' must be letters, digits, _ - or .");
  if (!n["path"]) fail(origin, n, where + "path", "is required");
  s.path = scalar(origin, n["path"], where + "path");
  if (s.path.empty()) fail(origin, n["path"], where + "path", "must not be empty");
  if (n["plugin"]) {
    s.plugin = scalar(origin, n["plugin"], where + "plugin");
    if (s.plugin != "auto" && !valid_plugin_name(s.plugin))
      fail(origin, n["plugin"], where + "plugin",
           "'" + s.plugin + "' is not a plugin name ([a-z0-9_]+) or auto");
  }
  if (const auto& labels = n["labels"]) {
    if (!labels.IsMap()) fail(origin, labels, where + "labels", "must be a mapping of name: value");
    for (const auto& kv : labels) {
      std::string k = scalar(origin, kv.first, where + "labels");
      if (!store::ContributionBuilder::valid_label_name(k))
        fail(origin, kv.first, where + "labels." + k, "is not a valid label name");
      s.labels.emplace_back(k, scalar(origin, kv.second, where + "labels." + k));
    }
    std::sort(s.labels.begin(), s.labels.end());
  }
  if (n["on_delete"]) {
    std::string v = scalar(origin, n["on_delete"], where + "on_delete");
    if (v == "drop")
      s.on_delete = OnDelete::drop;
    else if (v == "keep")
      s.on_delete = OnDelete::keep;
    else
      fail(origin, n["on_delete"], where + "on_delete", "must be drop or keep, not '" + v + "'");
  }
  return s;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || v < 0) return std::nullopt;
  std::string unit(end, text.data() + text.size());
  double ms = unit == "ms"  ? v
              : unit == "s" ? v * 1e3
              : unit == "m" ? v * 60e3
              : unit == "h" ? v * 3600e3
                            : -1;
  if (ms < 0) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

std::optional<uint64_t> parse_size(const std::string& text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc()) return std::nullopt;
  std::string unit(end, text.data() + text.size());
  uint64_t mult = unit.empty() || unit == "B" ? 1
                  : unit == "KiB"             ? uint64_t{1} << 10
                  : unit == "MiB"             ? uint64_t{1} << 20
                  : unit == "GiB"             ? uint64_t{1} << 30
                                              : 0;
  if (mult == 0 || v > UINT64_MAX / mult) return std::nullopt;
  return v * mult;
}

ListenAddress parse_listen_address(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) throw ConfigError("listen address '" + text + "' has no :port");
  ListenAddress a;
  a.host = text.substr(0, colon);
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']')
    a.host = a.host.substr(1, a.host.size() - 2);
  if (a.host.empty()) a.host = "0.0.0.0";
  std::string port = text.substr(colon + 1);
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || end != port.data() + port.size() || p > 65535)
    throw ConfigError("listen address '" + text + "' has a bad port");
  a.port = static_cast<uint16_t>(p);
  return a;
}

Config parse_config(const std::string& text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": YAML: " + e.msg);
  }
  Config c;
  if (root.IsNull()) return c;
  if (!root.IsMap()) fail(origin, root, "(top level)", "must be a mapping");
  check_keys(origin, root, "",
             {"listen_address", "plugin_dir", "scan_interval", "max_document_bytes", "http_threads",
              "sources", "push", "auth_token_file"});
  try {
    if (root["listen_address"]) {
      c.listen_address = scalar(origin, root["listen_address"], "listen_address");
      try {
        parse_listen_address(c.listen_address);
      } catch (const ConfigError& e) {
        fail(origin, root["listen_address"], "listen_address", e.what());
      }
    }
    if (root["plugin_dir"]) c.plugin_dir = scalar(origin, root["plugin_dir"], "plugin_dir");
    if (root["scan_interval"]) {
      auto d = parse_duration(scalar(origin, root["scan_interval"], "scan_interval"));
      if (!d || d->count() < 100)
        fail(origin, root["scan_interval"], "scan_interval",
             "must be a duration of at least 100ms, like 30s or 5m");
      c.scan_interval = *d;
    }
    if (root["max_document_bytes"]) {
      auto s = parse_size(scalar(origin, root["max_document_bytes"], "max_document_bytes"));
      if (!s || *s == 0)
        fail(origin, root["max_document_bytes"], "max_document_bytes",
             "must be a size like 64MiB or 1GiB");
      c.max_document_bytes = *s;
    }
    if (root["http_threads"]) {
      auto v = root["http_threads"].as<int>();
      if (v < 1 || v > 64) fail(origin, root["http_threads"], "http_threads", "must be 1 to 64");
      c.http_threads = static_cast<unsigned>(v);
    }
    if (const auto& push = root["push"]) {
      if (!push.IsMap())
        fail(origin, push, "push", "must be a mapping (spool_dir, max_body_bytes)");
      check_keys(origin, push, "push.", {"spool_dir", "max_body_bytes"});
      PushConfig pc;
      if (!push["spool_dir"]) fail(origin, push, "push.spool_dir", "is required");
      pc.spool_dir = scalar(origin, push["spool_dir"], "push.spool_dir");
      if (pc.spool_dir.empty())
        fail(origin, push["spool_dir"], "push.spool_dir", "must not be empty");
      if (push["max_body_bytes"]) {
        auto sz = parse_size(scalar(origin, push["max_body_bytes"], "push.max_body_bytes"));
        if (!sz || *sz == 0)
          fail(origin, push["max_body_bytes"], "push.max_body_bytes", "must be a size like 16MiB");
        pc.max_body_bytes = *sz;
      }
      c.push = pc;
    }
    if (const auto& tf = root["auth_token_file"]) {
      c.auth_token_file = scalar(origin, tf, "auth_token_file");
      std::ifstream in(*c.auth_token_file);
      if (!in) fail(origin, tf, "auth_token_file", "'" + *c.auth_token_file + "' cannot be read");
      std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back())))
        token.pop_back();
      while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front())))
        token.erase(token.begin());
      if (token.empty())
        fail(origin, tf, "auth_token_file", "'" + *c.auth_token_file + "' is empty");
      c.auth_token = token;
    }
    if (const auto& sources = root["sources"]) {
      if (!sources.IsSequence() && !sources.IsNull())
        fail(origin, sources, "sources", "must be a list");
      std::set<std::string> names;
      size_t i = 0;
      for (const auto& s : sources) {
        c.sources.push_back(parse_source(origin, s, i));
        if (c.sources.back().name == kPushSourceName)
          fail(origin, s["name"], "sources[" + std::to_string(i) + "].name",
               "'push' is reserved for pushed documents");
        if (!names.insert(c.sources.back().name).second)
          fail(origin, s["name"], "sources[" + std::to_string(i) + "].name",
               "'" + c.sources.back().name + "' is used by an earlier source");
        ++i;
      }
    }
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  return c;
}

Config load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

const std::string& embedded_default_config_text() {
  static const std::string text(generated::kDefaultConfigText);
  return text;
}

Config embedded_default_config() {
  return parse_config(embedded_default_config_text(), "<embedded default config>");
}

}  // namespace rex::config
