// The set of loaded plugins, by name, and the probing that routes a document under `plugin: auto`.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/plugin.hpp"

namespace rex::plugin {

// Below this confidence a probe does not claim a document.
inline constexpr double kMinProbeConfidence = 0.3;

struct LoadFailure {
  std::string file;
  std::string error;
};

class Registry {
 public:
  // Loads every *.so in `dir` (sorted by file name, so the result does not depend on readdir
  // order). A file that fails to load is recorded in failures() and the rest still load.
  static Registry load_directory(const std::string& dir);

  // Adds a loaded plugin; a second plugin with the same name is refused and recorded.
  void add(std::shared_ptr<Plugin> p);
  // Hot swap: puts `p` in place of the plugin of the same name (or adds it); removes one.
  void replace(std::shared_ptr<Plugin> p);
  void remove(const std::string& name);
  // The failure recorded for a file of the plugin folder (a later success clears it).
  void set_failure(const std::string& file, std::string error);
  void clear_failure(const std::string& file);
  void set_directory(std::string dir) { dir_ = std::move(dir); }

  std::shared_ptr<Plugin> find(std::string_view name) const;
  const std::map<std::string, std::shared_ptr<Plugin>, std::less<>>& all() const {
    return plugins_;
  }
  const std::vector<LoadFailure>& failures() const { return failures_; }
  const std::string& directory() const { return dir_; }

  // The most confident plugin (document or line-stream) for `head`, or nullptr when none reaches
  // the minimum. Ties go to the plugin name that sorts first.
  std::shared_ptr<Plugin> best_for(std::string_view head, double* confidence = nullptr) const;

 private:
  std::string dir_;
  std::map<std::string, std::shared_ptr<Plugin>, std::less<>> plugins_;
  std::vector<LoadFailure> failures_;
};

}  // namespace rex::plugin
