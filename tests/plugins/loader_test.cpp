// The loader against real shared objects: the good plugin loads; each defect is refused with an
// error naming the file, and the rest of the folder still loads.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "plugin/registry.hpp"
#include "plugin_test_support.hpp"

namespace fs = std::filesystem;
using rex::plugin::Plugin;
using rex::plugin::Registry;

namespace {

std::string variant_path(const std::string& variant) {
  std::string name =
      variant == "no_entry" ? "test_plugin_no_entry.so" : "test_plugin_" + variant + ".so";
  return std::string(REX_TEST_PLUGIN_DIR) + "/" + variant + "/" + name;
}

std::string load_error(const std::string& variant) {
  std::string error;
  auto p = Plugin::load(variant_path(variant), error);
  EXPECT_EQ(p, nullptr) << variant << " should have been refused";
  return error;
}

}  // namespace

TEST(Loader, LoadsAGoodPluginAndParsesThroughIt) {
  std::string error;
  auto p = Plugin::load(variant_path("good"), error);
  ASSERT_NE(p, nullptr) << error;
  EXPECT_EQ(p->name(), "test_plugin");
  EXPECT_EQ(p->version(), "1.0.0");
  EXPECT_EQ(p->abi(),
            std::to_string(REX_ABI_VERSION_MAJOR) + "." + std::to_string(REX_ABI_VERSION_MINOR));
  EXPECT_GT(p->probe("TEST 1"), 0.9);
  EXPECT_EQ(p->probe("{\"tasks\": []}"), 0.0);

  auto doc = rex::app::PaddedDocument::from_bytes("TEST 41.5\n");
  auto out = p->parse_document(doc.bytes(), {{"team", "a"}});
  ASSERT_TRUE(out.ok) << out.error;
  EXPECT_EQ(rex::test::value(*out.contribution, "test_value", {{"team", "a"}}), 41.5);
  EXPECT_EQ(rex::test::value(*out.contribution, "test_documents_total", {{"team", "a"}}), 1.0);
}

TEST(Loader, ReportsThePluginsOwnErrorMessage) {
  std::string error;
  auto p = Plugin::load(variant_path("good"), error);
  ASSERT_NE(p, nullptr);
  auto doc = rex::app::PaddedDocument::from_bytes("TEST abc");
  auto out = p->parse_document(doc.bytes(), {});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.contribution, nullptr);
  EXPECT_EQ(out.error, "schema error: value is not a number");
}

TEST(Loader, RefusesAWrongAbiMajor) {
  std::string e = load_error("bad_abi_major");
  EXPECT_NE(e.find(variant_path("bad_abi_major")), std::string::npos) << e;
  EXPECT_NE(e.find("does not match the server's ABI"), std::string::npos) << e;
}

TEST(Loader, RefusesAShortDescriptor) {
  std::string e = load_error("short_descriptor");
  EXPECT_NE(e.find("descriptor is 16 bytes"), std::string::npos) << e;
}

TEST(Loader, RefusesAPluginWithoutProbe) {
  EXPECT_NE(load_error("no_probe").find("no probe"), std::string::npos);
}

TEST(Loader, RefusesASharedObjectWithoutTheEntrySymbol) {
  std::string e = load_error("no_entry");
  EXPECT_NE(e.find("no entry symbol results_exporter_plugin_entry"), std::string::npos) << e;
}

TEST(Loader, RefusesAFileThatIsNotASharedObject) {
  fs::path dir = fs::temp_directory_path() / ("rex_loader_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "garbage.so") << "this is not ELF";
  std::string error;
  EXPECT_EQ(Plugin::load((dir / "garbage.so").string(), error), nullptr);
  EXPECT_NE(error.find("dlopen failed"), std::string::npos) << error;
  fs::remove_all(dir);
}

TEST(Loader, InvalidOutputFailsTheWholeDocument) {
  std::string error;
  auto p = Plugin::load(variant_path("bad_family"), error);
  ASSERT_NE(p, nullptr) << error;
  auto doc = rex::app::PaddedDocument::from_bytes("TEST 1");
  auto out = p->parse_document(doc.bytes(), {});
  EXPECT_FALSE(out.ok);
  EXPECT_NE(out.error.find("invalid metric family name 'not a valid name'"), std::string::npos)
      << out.error;
}

TEST(Loader, AFolderWithBrokenPluginsStillLoadsTheGoodOnes) {
  fs::path dir = fs::temp_directory_path() / ("rex_registry_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (std::string v : {"good", "bad_abi_major", "no_entry"})
    fs::copy_file(variant_path(v), dir / (v + ".so"), fs::copy_options::overwrite_existing);
  std::ofstream(dir / "README.txt") << "not a plugin, and not *.so: ignored";

  auto r = Registry::load_directory(dir.string());
  ASSERT_EQ(r.all().size(), 1u);
  EXPECT_NE(r.find("test_plugin"), nullptr);
  ASSERT_EQ(r.failures().size(), 2u);
  EXPECT_EQ(r.failures()[0].file, (dir / "bad_abi_major.so").string());
  EXPECT_EQ(r.failures()[1].file, (dir / "no_entry.so").string());
  fs::remove_all(dir);
}

TEST(Loader, TwoPluginsWithOneNameKeepTheFirst) {
  fs::path dir = fs::temp_directory_path() / ("rex_dupe_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(variant_path("good"), dir / "a.so", fs::copy_options::overwrite_existing);
  fs::copy_file(variant_path("good"), dir / "b.so", fs::copy_options::overwrite_existing);
  auto r = Registry::load_directory(dir.string());
  ASSERT_EQ(r.all().size(), 1u);
  EXPECT_EQ(r.find("test_plugin")->path(), (dir / "a.so").string());
  ASSERT_EQ(r.failures().size(), 1u);
  EXPECT_NE(r.failures()[0].error.find("already taken"), std::string::npos);
  fs::remove_all(dir);
}

TEST(Loader, AMissingFolderIsAnErrorNotACrash) {
  auto r = Registry::load_directory("/nonexistent/results_exporter/plugins");
  EXPECT_TRUE(r.all().empty());
  ASSERT_EQ(r.failures().size(), 1u);
  EXPECT_NE(r.failures()[0].error.find("cannot read plugin directory"), std::string::npos);
}

TEST(Loader, AutoPicksTheMostConfidentPlugin) {
  const auto& r = rex::test::real_plugins();
  ASSERT_NE(r.find("osworld_detailed"), nullptr);
  ASSERT_NE(r.find("osworld_tasks"), nullptr);
  EXPECT_EQ(r.best_for(R"({"timestamp": 1, "detailed_results": []})")->name(), "osworld_detailed");
  EXPECT_EQ(r.best_for(R"({"tasks": [{"duration": 1}]})")->name(), "osworld_tasks");
  EXPECT_EQ(r.best_for("hello world"), nullptr);
}
