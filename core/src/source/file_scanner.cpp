#include "source/file_scanner.hpp"

#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>

namespace rex::source {

namespace {

std::vector<std::string> glob_paths(const std::string& pattern, bool dirs_only) {
  std::vector<std::string> out;
  glob_t g{};
  int rc = ::glob(pattern.c_str(), GLOB_NOSORT | (dirs_only ? GLOB_ONLYDIR : 0), nullptr, &g);
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      struct stat st {};
      if (::stat(g.gl_pathv[i], &st) != 0) continue;
      if (dirs_only ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)) out.emplace_back(g.gl_pathv[i]);
    }
  }
  ::globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

GlobPattern GlobPattern::parse(const std::string& path) {
  GlobPattern g;
  g.full = path;
  auto slash = path.rfind('/');
  // assign(1, c), not = ".": GCC 12 warns falsely (-Wrestrict) on assigning a literal here.
  if (slash == std::string::npos) {
    g.dir_pattern.assign(1, '.');
    g.name_pattern = path;
  } else {
    if (slash == 0)
      g.dir_pattern.assign(1, '/');
    else
      g.dir_pattern = path.substr(0, slash);
    g.name_pattern = path.substr(slash + 1);
  }
  return g;
}

bool GlobPattern::matches_name(const std::string& name) const {
  return ::fnmatch(name_pattern.c_str(), name.c_str(), FNM_PERIOD) == 0;
}

std::string join_path(const std::string& dir, const std::string& name) {
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "/" + name.
  std::string out;
  out.reserve(dir.size() + 1 + name.size());
  if (dir != "/") out += dir;
  out += '/';
  out += name;
  return out;
}

std::vector<std::string> matching_dirs(const GlobPattern& g) {
  return glob_paths(g.dir_pattern, true);
}

std::vector<std::string> matching_files(const GlobPattern& g) {
  std::vector<std::string> out;
  for (const auto& dir : matching_dirs(g)) {
    for (auto& f : glob_paths(join_path(dir, g.name_pattern), false)) out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace rex::source
