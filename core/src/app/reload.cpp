// Hot reload: the config (SIGHUP, POST /-/reload, a change to the file) and the plugin folder
// (a .so added, replaced or removed). Everything runs on the ingest thread and ends with one
// publish(), so a scrape sees either all of the old state or all of the new.
#include <sys/inotify.h>

#include <spdlog/spdlog.h>
#include <filesystem>

#include "app/ingest_engine.hpp"
#include "app/parse_file.hpp"

namespace rex::app {

namespace fs = std::filesystem;

namespace {
constexpr auto kDebounce = std::chrono::milliseconds(50);

std::string folder_of(const std::string& path) {
  fs::path p(path);
  return p.has_parent_path() ? p.parent_path().string() : std::string(".");
}
}  // namespace

std::string IngestEngine::plugin_dir_for(const config::Config& c) const {
  if (options_.plugin_dir_flag) return *options_.plugin_dir_flag;
  if (c.plugin_dir) return *c.plugin_dir;
  return options_.default_plugin_dir;
}

void IngestEngine::request_reload(std::function<void(ReloadOutcome)> done) {
  boost::asio::post(ioc_, [this, done = std::move(done)] {
    if (stopped_) {
      done({false, "shutting down"});
      return;
    }
    done(reload_config());
  });
}

ReloadOutcome IngestEngine::reload_config() {
  config::Config next;
  try {
    if (options_.config_path) {
      std::error_code ec;
      // An empty file is a valid config (no sources) at start, but on a reload it is almost
      // always a save caught half-way: taking it would drop every source.
      if (fs::file_size(*options_.config_path, ec) == 0 && !ec)
        throw config::ConfigError(*options_.config_path +
                                  ": file is empty (still being written?); not reloaded");
      next = config::load_config_file(*options_.config_path);
    } else {
      next = config::embedded_default_config();
    }
    if (next.listen_address != cfg_.listen_address)
      spdlog::warn("config reload: listen_address changed to {}; it takes effect at the next start",
                   next.listen_address);
  } catch (const std::exception& e) {
    last_reload_ok_ = false;
    last_reload_error_ = e.what();
    spdlog::error("config reload failed, the previous config stays in force: {}", e.what());
    publish();
    return {false, last_reload_error_};
  }
  apply_config(std::move(next));
  last_reload_ok_ = true;
  last_reload_error_.clear();
  last_reload_success_ = unix_now();
  publish();
  spdlog::info("config reloaded: {} sources", sources_.size());
  return {true, "config reloaded"};
}

void IngestEngine::remove_source(SourceState& s) {
  s.tails->clear();
  store_.remove_source(s.cfg.name);
  settling_.erase(&s);
}

void IngestEngine::apply_config(config::Config next) {
  // Plugins first, so new sources are scanned with the new set.
  std::string dir = plugin_dir_for(next);
  if (dir != plugin_dir_) {
    plugin_dir_ = dir;
    registry_ = plugin::Registry::load_directory(plugin_dir_);
    remember_plugin_files();
    reroute_files([](const FileState&) { return true; }, true);
  } else {
    rescan_plugins();
  }

  // Sources as a diff, by name: unchanged ones keep their state (no re-parse, no counter reset).
  std::map<std::string, std::unique_ptr<SourceState>> old;
  for (auto& s : sources_) old.emplace(s->cfg.name, std::move(s));
  sources_.clear();
  std::vector<SourceState*> fresh;
  for (const auto& sc : next.sources) {
    auto it = old.find(sc.name);
    if (it != old.end() && it->second->cfg == sc) {
      sources_.push_back(std::move(it->second));
      old.erase(it);
      continue;
    }
    if (it != old.end()) {  // changed: rebuilt from scratch
      remove_source(*it->second);
      old.erase(it);
    }
    auto s = std::make_unique<SourceState>();
    s->cfg = sc;
    s->glob = source::GlobPattern::parse(sc.path);
    s->tails = std::make_unique<LogTails>(sc.name, sc.labels, store_);
    fresh.push_back(s.get());
    sources_.push_back(std::move(s));
  }
  for (auto& [name, s] : old) remove_source(*s);  // removed: their series go with them
  old.clear();

  cfg_ = std::move(next);
  open_push_spool();
  refresh_watches();
  for (auto* s : fresh) {
    watch_dirs(*s);
    reconcile(*s, {}, true);
  }
  schedule_scan();
}

void IngestEngine::refresh_watches() {
  std::set<std::string> wanted;
  for (const auto& s : sources_) wanted.insert(s->watched_dirs.begin(), s->watched_dirs.end());
  if (options_.config_path) wanted.insert(folder_of(*options_.config_path));
  wanted.insert(plugin_dir_);
  for (const auto& d : wanted)
    if (!watcher_.watching(d)) watcher_.watch(d);
  for (const auto& d : watcher_.watched())
    if (!wanted.count(d)) watcher_.unwatch(d);
}

void IngestEngine::on_control_event(const source::FolderEvent& ev) {
  if (ev.name.empty()) return;
  constexpr uint32_t kDone = IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM;
  if (options_.config_path && ev.dir == folder_of(*options_.config_path) &&
      ev.name == fs::path(*options_.config_path).filename().string()) {
    // Any event on the file restarts the quiet period, so a reload does not read a save that is
    // still being written; only a finished write (or a rename into place) arms it.
    if (ev.mask & kDone) config_change_pending_ = true;
    if (config_change_pending_) schedule_config_reload();
  }
  if (ev.dir == plugin_dir_ && ev.name.ends_with(".so") && (ev.mask & kDone))
    schedule_plugin_rescan();
}

void IngestEngine::schedule_config_reload() {
  if (stopped_) return;
  // An editor's save is several events; reload once they are over.
  config_timer_.expires_after(kDebounce);
  config_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    config_change_pending_ = false;
    spdlog::info("config file changed: reloading");
    reload_config();
  });
}

void IngestEngine::schedule_plugin_rescan() {
  if (stopped_) return;
  plugin_timer_.expires_after(kDebounce);
  plugin_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    rescan_plugins();
    publish();
  });
}

void IngestEngine::remember_plugin_files() {
  plugin_files_.clear();
  std::error_code ec;
  for (fs::directory_iterator it(plugin_dir_, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".so") continue;
    FileIdentity id;
    if (stat_file(it->path().string(), id)) plugin_files_[it->path().string()] = id;
  }
}

void IngestEngine::rescan_plugins() {
  std::map<std::string, FileIdentity> now;
  std::error_code ec;
  for (fs::directory_iterator it(plugin_dir_, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".so") continue;
    FileIdentity id;
    if (stat_file(it->path().string(), id)) now[it->path().string()] = id;
  }
  if (ec) {
    registry_.set_failure(plugin_dir_, "cannot read plugin directory: " + ec.message());
    spdlog::error("plugin directory {}: {}; keeping the loaded plugins", plugin_dir_, ec.message());
    return;
  }
  registry_.clear_failure(plugin_dir_);
  bool set_changed = false;

  // Removed files: their plugin goes, and its files are routed again.
  for (const auto& [file, id] : plugin_files_) {
    if (now.count(file)) continue;
    registry_.clear_failure(file);
    for (const auto& [name, p] : registry_.all()) {
      if (p->path() != file) continue;
      std::string removed = name;
      registry_.remove(removed);
      ++plugin_reloads_[{removed, "removed"}];
      spdlog::info("plugin removed: {} ({})", removed, file);
      reroute_files([&](const FileState& f) { return f.plugin == removed; }, false);
      set_changed = true;
      break;
    }
  }
  // Added or replaced files.
  for (const auto& [file, id] : now) {
    auto seen = plugin_files_.find(file);
    if (seen != plugin_files_.end() && seen->second.same_version(id)) continue;
    std::string error;
    auto next = plugin::Plugin::load(file, error);
    if (!next) {
      std::string name = fs::path(file).stem().string();
      for (const auto& [n, p] : registry_.all())
        if (p->path() == file) name = n;
      ++plugin_reloads_[{name, "failure"}];
      registry_.set_failure(file, error);
      spdlog::error("plugin refused, the previous version (if any) keeps serving: {}", error);
      continue;
    }
    auto current = registry_.find(next->name());
    if (current && current->path() != file) {
      error = file + ": plugin name '" + next->name() + "' is already taken by " + current->path();
      ++plugin_reloads_[{next->name(), "failure"}];
      registry_.set_failure(file, error);
      spdlog::error("plugin refused: {}", error);
      continue;
    }
    if (!current) set_changed = true;
    swap_plugin(file, next);
  }
  plugin_files_ = std::move(now);
  // A new plugin may claim files that no plugin (or a less confident one) took.
  if (set_changed) reroute_files([](const FileState&) { return false; }, true);
}

// Re-derives every document `next` takes over with `next` itself, before installing it: if a
// document that parsed with the old version fails with the new one, the old version stays.
void IngestEngine::swap_plugin(const std::string& file,
                               const std::shared_ptr<plugin::Plugin>& next) {
  struct Trial {
    SourceState* source;
    std::string key;
    FileParse parse;
  };
  std::vector<Trial> trials;
  for (auto& s : sources_) {
    for (auto& [key, f] : s->files) {
      if (f.tailed || f.deleted || f.plugin != next->name()) continue;
      FileParse r = parse_file_with(next, f.path, s->cfg.labels, cfg_.max_document_bytes);
      if (!r.ok && f.ok) {
        std::string why = "new version of " + next->name() + " fails on " + f.path + ": " + r.error;
        ++plugin_reloads_[{next->name(), "failure"}];
        registry_.set_failure(file, why);
        spdlog::error("plugin swap refused, the previous version keeps serving: {}", why);
        return;
      }
      trials.push_back({s.get(), key, std::move(r)});
    }
  }
  registry_.replace(next);
  ++plugin_reloads_[{next->name(), "success"}];
  for (auto& t : trials) {
    FileState& f = t.source->files[t.key];
    f.last_parse_time = unix_now();
    if (!t.parse.ok) continue;  // failed before and after: nothing changes
    store::Document doc;
    doc.key = t.key;
    doc.path = f.path;
    doc.plugin = next->name();
    doc.mtime = static_cast<double>(t.parse.identity.mtime_ns) / 1e9;
    doc.contribution = std::move(t.parse.contribution);
    store_.put(t.source->cfg.name, std::move(doc));
    f.ok = true;
    f.error.clear();
  }
  // Logs it follows are read again from their start with the new code.
  for (auto& s : sources_) {
    std::vector<std::string> keys;
    for (auto& [key, f] : s->files)
      if (f.tailed && f.plugin == next->name()) keys.push_back(key);
    for (const auto& key : keys) {
      std::string path = s->files[key].path;
      FileIdentity id = s->files[key].identity;
      s->tails->forget(key);
      s->files.erase(key);
      follow_log(*s, key, path, id, next);
    }
  }
}

// Parses again the files `affected` selects and, with `reprobe_auto`, every file of an `auto`
// source whose most confident plugin is no longer the one that has it.
void IngestEngine::reroute_files(const std::function<bool(const FileState&)>& affected,
                                 bool reprobe_auto) {
  for (auto& s : sources_) {
    std::vector<std::pair<std::string, std::string>> redo;  // key, path
    for (const auto& [key, f] : s->files) {
      if (f.deleted) continue;
      bool again = affected(f);
      if (!again && reprobe_auto && s->cfg.plugin == "auto") {
        auto best = choose_plugin(*s, f.path);
        again = (best ? best->name() : std::string(kNoPlugin)) != f.plugin;
      }
      if (again) redo.emplace_back(key, f.path);
    }
    for (const auto& [key, path] : redo) {
      if (s->files[key].tailed) s->tails->forget(key);
      store_.remove(s->cfg.name, key);
      s->files.erase(key);
      reconcile(*s, {path}, false);
    }
  }
}

}  // namespace rex::app
