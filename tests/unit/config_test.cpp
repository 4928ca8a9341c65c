#include "config/config.hpp"

#include <gtest/gtest.h>

using namespace rex::config;

namespace {
std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "test.yml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Config, EmbeddedDefaultIsTheRepositoryDefault) {
  Config c = embedded_default_config();
  EXPECT_EQ(c.listen_address, "127.0.0.1:8002");
  ASSERT_GE(c.sources.size(), 1u);
  EXPECT_EQ(c.sources[0].name, "osworld");
  EXPECT_EQ(c.sources[0].path, "./benchmark_results/*.json");
  EXPECT_EQ(c.sources[0].plugin, "auto");
  EXPECT_FALSE(c.plugin_dir.has_value());
}

TEST(Config, FullConfig) {
  Config c = parse_config(R"(
listen_address: "[::1]:9100"
plugin_dir: /opt/plugins
scan_interval: 500ms
max_document_bytes: 64MiB
http_threads: 3
sources:
  - name: runs
    path: /data/*.json
    plugin: osworld_detailed
    labels: {team: infra, env: ci}
    on_delete: keep
)",
                          "t");
  EXPECT_EQ(c.listen_address, "[::1]:9100");
  EXPECT_EQ(c.plugin_dir, "/opt/plugins");
  EXPECT_EQ(c.scan_interval.count(), 500);
  EXPECT_EQ(c.max_document_bytes, 64u << 20);
  EXPECT_EQ(c.http_threads, 3u);
  ASSERT_EQ(c.sources.size(), 1u);
  EXPECT_EQ(c.sources[0].labels, (rex::store::LabelSet{{"env", "ci"}, {"team", "infra"}}));
  EXPECT_EQ(c.sources[0].on_delete, OnDelete::keep);
}

TEST(Config, AnEmptyFileIsTheBuiltInDefaults) {
  Config c = parse_config("", "t");
  EXPECT_EQ(c.listen_address, "127.0.0.1:8002");
  EXPECT_TRUE(c.sources.empty());
}

TEST(Config, UnknownKeysNameTheKeyAndLine) {
  EXPECT_EQ(error_of("listen_address: 127.0.0.1:1\nlisten_adress: x\n"),
            "test.yml:2:1: listen_adress: unknown key (known: listen_address, plugin_dir, "
            "scan_interval, max_document_bytes, http_threads, sources, push, auth_token_file)");
  std::string e = error_of("sources:\n  - name: a\n    path: x\n    plugn: auto\n");
  EXPECT_NE(e.find("test.yml:4:5: sources[0].plugn: unknown key"), std::string::npos) << e;
}

TEST(Config, BadValuesAreErrors) {
  EXPECT_NE(error_of("listen_address: nope").find("listen_address"), std::string::npos);
  EXPECT_NE(error_of("listen_address: 'a:99999'").find("bad port"), std::string::npos);
  EXPECT_NE(error_of("scan_interval: soon").find("scan_interval"), std::string::npos);
  EXPECT_NE(error_of("sources: {a: 1}").find("must be a list"), std::string::npos);
  EXPECT_NE(error_of("sources:\n  - path: x\n").find("sources[0].name: is required"),
            std::string::npos);
  EXPECT_NE(error_of("sources:\n  - name: a\n").find("sources[0].path: is required"),
            std::string::npos);
  EXPECT_NE(
      error_of("sources:\n  - {name: a, path: x, plugin: Bad-Name}\n").find("not a plugin name"),
      std::string::npos);
  EXPECT_NE(error_of("sources:\n  - {name: a, path: x, labels: {9x: y}}\n")
                .find("not a valid label name"),
            std::string::npos);
  EXPECT_NE(error_of("sources:\n  - {name: a, path: x}\n  - {name: a, path: y}\n")
                .find("used by an earlier source"),
            std::string::npos);
  EXPECT_NE(error_of("sources:\n  - {name: a, path: x, on_delete: maybe}\n").find("drop or keep"),
            std::string::npos);
  EXPECT_NE(error_of("http_threads: many").find("test.yml:1"), std::string::npos);
}

TEST(Config, YamlSyntaxErrorsHaveALine) {
  std::string e = error_of("sources:\n  - name: [unclosed\n");
  EXPECT_EQ(e.rfind("test.yml:", 0), 0u) << e;
  EXPECT_NE(e.find("YAML"), std::string::npos) << e;
}

TEST(Config, ListenAddresses) {
  auto a = parse_listen_address("127.0.0.1:8002");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 8002);
  auto b = parse_listen_address("[::1]:0");
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.port, 0);
  EXPECT_EQ(parse_listen_address(":9").host, "0.0.0.0");
  EXPECT_THROW(parse_listen_address("localhost"), ConfigError);
}

TEST(Config, DurationsAndSizes) {
  EXPECT_EQ(parse_duration("250ms")->count(), 250);
  EXPECT_EQ(parse_duration("2m")->count(), 120000);
  EXPECT_FALSE(parse_duration("5 parsecs"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_EQ(parse_size("1GiB"), uint64_t{1} << 30);
  EXPECT_EQ(parse_size("100"), 100u);
  EXPECT_FALSE(parse_size("1PB"));
}
