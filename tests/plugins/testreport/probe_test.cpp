// plugin: auto between the test-report plugins and the others: each is confident for its own
// format and claims nobody else's.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "testreport_common.hpp"

using rex::test::parse_text;
using rex::test::read_text_file;
using rex::test::real_plugins;

namespace {

const std::vector<std::string> kMine = {"pytest_json", "junit_xml", "gtest_json"};

double probe(const std::string& plugin, const std::string& text) {
  auto p = real_plugins().find(plugin);
  EXPECT_NE(p, nullptr) << plugin << " is not loaded";
  return p ? p->probe(std::string_view(text).substr(0, REX_PROBE_BYTES)) : 0.0;
}

// Fixtures and the plugin each belongs to.
std::vector<std::pair<std::string, std::string>> fixtures() {
  const std::string s = REX_SAMPLES_DIR;
  return {
      {s + "/pytest_json/sample.json", "pytest_json"},
      {s + "/pytest_json/summary_only.json", "pytest_json"},
      {s + "/pytest_json/pre_1_0.json", "pytest_json"},
      {s + "/pytest_json/nan_literals.json", "pytest_json"},
      {s + "/junit_xml/TEST-com.example.CalculatorTest.xml", "junit_xml"},
      {s + "/junit_xml/TEST-com.example.ParserTest.xml", "junit_xml"},
      {s + "/junit_xml/jest-junit.xml", "junit_xml"},
      {s + "/junit_xml/googletest.xml", "junit_xml"},
      {s + "/gtest_json/sample.json", "gtest_json"},
  };
}

}  // namespace

TEST(TestreportProbe, EachFixtureGoesToItsPlugin) {
  for (const auto& [path, plugin] : fixtures()) {
    const std::string text = read_text_file(path);
    ASSERT_FALSE(text.empty()) << path;
    auto r = parse_text(text, "auto");
    EXPECT_TRUE(r.ok) << path << ": " << r.error;
    EXPECT_EQ(r.plugin, plugin) << path;
    EXPECT_GE(probe(plugin, text), 0.85) << path;
    for (const auto& other : kMine) {
      if (other != plugin) {
        EXPECT_EQ(probe(other, text), 0.0) << other << " on " << path;
      }
    }
  }
}

TEST(TestreportProbe, OtherFormatsAreNotClaimed) {
  const std::vector<std::string> others = {
      read_text_file(REX_SAMPLES_DIR "/osworld_detailed/sample.json"),
      read_text_file(REX_SAMPLES_DIR "/osworld_tasks/sample.json"),
      // LangMem JSON-lines logs (Python logging records).
      R"({"timestamp": "2025-10-28T23:40:05.004113+00:00", "level": "INFO", "logger": "infrastructure.memory.langmem_dedup", "message": "Deduplication complete: 100 \u2192 72 (exact=20, semantic=8) in 0.412s", "module": "langmem_dedup", "function": "deduplicate", "line": 280})"
      "\n",
      R"({"created": 1761690105.1, "levelname": "INFO", "msg": "TTL cleanup complete", "duration": 0.5})",
      "TTL cleanup complete: deleted=5 namespace=agents duration=0.5\n",
      R"({"tests": [1, 2], "results": {"passed": 1}})",
      "<?xml version=\"1.0\"?><project><testsuite-config/></project>",
      "<html><body>testsuite</body></html>",
      "",
      "\xEF\xBB\xBF",
  };
  for (const auto& text : others)
    for (const auto& plugin : kMine)
      EXPECT_EQ(probe(plugin, text), 0.0) << plugin << " on: " << text.substr(0, 80);
}

TEST(TestreportProbe, JunitRootAfterALongProlog) {
  const std::string text = "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- " +
                           std::string(200, 'x') +
                           " -->\n<!DOCTYPE testsuites>\n<testsuites>\n<testsuite name=\"a\"/>"
                           "</testsuites>\n";
  EXPECT_GE(probe("junit_xml", text), 0.9);
  EXPECT_EQ(parse_text(text, "auto").plugin, "junit_xml");
}
