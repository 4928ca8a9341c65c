// Helpers shared by the LangMem plugin tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "app/line_stream.hpp"
#include "plugin_test_support.hpp"

namespace rex::test::langmem {

inline std::string sample(const std::string& relative) {
  std::string text = read_text_file(std::string(REX_SAMPLES_DIR) + "/" + relative);
  EXPECT_FALSE(text.empty()) << relative;
  return text;
}

// Parses `text` with `plugin` and expects success; never returns null.
inline std::shared_ptr<const store::Contribution> parse_ok(std::string_view text,
                                                           const std::string& plugin) {
  auto r = parse_text(text, plugin);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.plugin, plugin);
  return r.contribution ? r.contribution : std::make_shared<store::Contribution>();
}

// The same through a line stream of a chosen line cap (the host's default is 1 MiB).
inline std::shared_ptr<const store::Contribution> stream_ok(std::string_view text,
                                                            const std::string& plugin,
                                                            size_t max_line_bytes) {
  auto p = real_plugins().find(plugin);
  EXPECT_NE(p, nullptr) << plugin;
  if (!p) return std::make_shared<store::Contribution>();
  app::LineStream stream(p, {}, max_line_bytes);
  stream.feed(text);
  stream.finish();
  return stream.contribution();
}

inline double probe(const std::string& plugin, std::string_view head) {
  auto p = real_plugins().find(plugin);
  EXPECT_NE(p, nullptr) << plugin;
  return p ? p->probe(head.substr(0, REX_PROBE_BYTES)) : -1;
}

// The plugin `plugin: auto` picks for a document, or "none".
inline std::string best_for(std::string_view text) {
  auto p = real_plugins().best_for(text.substr(0, REX_PROBE_BYTES));
  return p ? p->name() : "none";
}

}  // namespace rex::test::langmem
