// Glob expansion for file sources: which files a source's `path` matches now, and which folders to
// watch so that new matches are seen at once.
#pragma once

#include <string>
#include <vector>

namespace rex::source {

struct GlobPattern {
  std::string full;          // as configured
  std::string dir_pattern;   // the folder part ("." when there is none); may hold wildcards
  std::string name_pattern;  // the file name part

  static GlobPattern parse(const std::string& path);
  // Whether a file name (no folder) matches the name part.
  bool matches_name(const std::string& name) const;
};

// Folders the folder part matches now (one, when it has no wildcard and exists), sorted.
std::vector<std::string> matching_dirs(const GlobPattern& g);

// Regular files (symlinks followed) the whole pattern matches now, sorted.
std::vector<std::string> matching_files(const GlobPattern& g);

// Joins a folder and a file name the way matching_files spells paths.
std::string join_path(const std::string& dir, const std::string& name);

}  // namespace rex::source
