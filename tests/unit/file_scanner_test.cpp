#include "source/file_scanner.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace rex::source;

TEST(FileScanner, SplitsFolderAndName) {
  auto g = GlobPattern::parse("./benchmark_results/*.json");
  EXPECT_EQ(g.dir_pattern, "./benchmark_results");
  EXPECT_EQ(g.name_pattern, "*.json");
  EXPECT_TRUE(g.matches_name("osworld_results_1.json"));
  EXPECT_FALSE(g.matches_name("notes.txt"));
  EXPECT_FALSE(g.matches_name(".hidden.json"));  // editors' temp files stay out
  EXPECT_EQ(GlobPattern::parse("x.json").dir_pattern, ".");
  EXPECT_EQ(GlobPattern::parse("/x.json").dir_pattern, "/");
}

TEST(FileScanner, MatchesRegularFilesSortedAcrossWildcardFolders) {
  fs::path root = fs::temp_directory_path() / ("rex_scan_" + std::to_string(::getpid()));
  fs::create_directories(root / "a");
  fs::create_directories(root / "b");
  fs::create_directories(root / "b" / "dir.json");  // a folder that matches is not a file
  std::ofstream(root / "b" / "2.json") << "{}";
  std::ofstream(root / "a" / "1.json") << "{}";
  std::ofstream(root / "a" / "x.txt") << "";
  auto files = matching_files(GlobPattern::parse((root / "*" / "*.json").string()));
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], (root / "a" / "1.json").string());
  EXPECT_EQ(files[1], (root / "b" / "2.json").string());
  EXPECT_EQ(matching_dirs(GlobPattern::parse((root / "*" / "*.json").string())).size(), 2u);
  EXPECT_TRUE(matching_files(GlobPattern::parse((root / "missing" / "*.json").string())).empty());
  fs::remove_all(root);
}
