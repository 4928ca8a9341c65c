#include "plugin/registry.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

namespace rex::plugin {

namespace fs = std::filesystem;

Registry Registry::load_directory(const std::string& dir) {
  Registry r;
  r.dir_ = dir;
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".so") files.push_back(it->path());
  }
  if (ec) {
    r.failures_.push_back({dir, "cannot read plugin directory: " + ec.message()});
    spdlog::error("plugin directory {}: {}", dir, ec.message());
    return r;
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::string error;
    auto p = Plugin::load(f.string(), error);
    if (!p) {
      spdlog::error("plugin refused: {}", error);
      r.failures_.push_back({f.string(), error});
      continue;
    }
    r.add(std::move(p));
  }
  return r;
}

void Registry::add(std::shared_ptr<Plugin> p) {
  auto [it, inserted] = plugins_.try_emplace(p->name(), p);
  if (!inserted) {
    std::string error =
        p->path() + ": plugin name '" + p->name() + "' is already taken by " + it->second->path();
    spdlog::error("plugin refused: {}", error);
    failures_.push_back({p->path(), error});
    return;
  }
  spdlog::info("plugin loaded: {} {} (ABI {}) from {}", p->name(), p->version(), p->abi(),
               p->path());
}

void Registry::replace(std::shared_ptr<Plugin> p) {
  clear_failure(p->path());
  spdlog::info("plugin loaded: {} {} (ABI {}) from {}", p->name(), p->version(), p->abi(),
               p->path());
  plugins_[p->name()] = std::move(p);
}

void Registry::remove(const std::string& name) { plugins_.erase(name); }

void Registry::set_failure(const std::string& file, std::string error) {
  clear_failure(file);
  failures_.push_back({file, std::move(error)});
  std::sort(failures_.begin(), failures_.end(),
            [](const LoadFailure& a, const LoadFailure& b) { return a.file < b.file; });
}

void Registry::clear_failure(const std::string& file) {
  std::erase_if(failures_, [&](const LoadFailure& f) { return f.file == file; });
}

std::shared_ptr<Plugin> Registry::find(std::string_view name) const {
  auto it = plugins_.find(name);
  return it == plugins_.end() ? nullptr : it->second;
}

std::shared_ptr<Plugin> Registry::best_for(std::string_view head, double* confidence) const {
  std::shared_ptr<Plugin> best;
  double best_c = 0;
  for (const auto& [name, p] : plugins_) {
    double c = p->probe(head);
    if (c > best_c) best_c = c, best = p;
  }
  if (confidence) *confidence = best_c;
  return best_c >= kMinProbeConfidence ? best : nullptr;
}

}  // namespace rex::plugin
