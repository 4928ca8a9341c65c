#include "app/ingest_engine.hpp"

#include <malloc.h>
#include <sys/inotify.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <chrono>

#include "app/parse_file.hpp"
#include "app/self_metrics.hpp"
#include "app/status_json.hpp"
#include "expo/text_writer.hpp"

namespace rex::app {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

namespace {

// A file modified this recently may still be being written: when it fails to parse, it is tried
// again once it has been quiet this long, and only then counted as an error.
constexpr auto kSettle = std::chrono::milliseconds(1000);
constexpr int64_t kSettleNs = std::chrono::nanoseconds(kSettle).count();

bool recently_modified(const FileIdentity& id) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(now).count() - id.mtime_ns <
         kSettleNs;
}

constexpr auto kDirRetry = std::chrono::seconds(1);

}  // namespace

IngestEngine::IngestEngine(boost::asio::io_context& ioc, config::Config cfg, EngineOptions options,
                           SnapshotSlot& slot)
    : ioc_(ioc),
      cfg_(std::move(cfg)),
      slot_(slot),
      watcher_(
          ioc.get_executor(),
          [this](const std::vector<source::FolderEvent>& ev) { on_folder_events(ev); },
          [this] {
            spdlog::warn("inotify queue overflowed; re-scanning every source");
            scan_all();
          }),
      scan_timer_(ioc),
      dir_retry_timer_(ioc),
      settle_timer_(ioc),
      options_(std::move(options)),
      config_timer_(ioc),
      plugin_timer_(ioc) {
  plugin_dir_ = plugin_dir_for(cfg_);
  registry_ = plugin::Registry::load_directory(plugin_dir_);
  remember_plugin_files();
  last_reload_success_ = unix_now();
  for (const auto& sc : cfg_.sources) {
    auto s = std::make_unique<SourceState>();
    s->cfg = sc;
    s->glob = source::GlobPattern::parse(sc.path);
    s->tails = std::make_unique<LogTails>(sc.name, sc.labels, store_);
    sources_.push_back(std::move(s));
  }
}

void IngestEngine::start() {
  publish();  // serve a (not ready) snapshot at once
  boost::asio::post(ioc_, [this] {
    watcher_.start();
    refresh_watches();
    open_push_spool();
    scan_all();
    ready_ = true;
    publish();
    spdlog::info("initial scan done: {} sources", sources_.size());
    schedule_scan();
  });
}

void IngestEngine::stop() {
  stopped_ = true;
  scan_timer_.cancel();
  dir_retry_timer_.cancel();
  settle_timer_.cancel();
  config_timer_.cancel();
  plugin_timer_.cancel();
  watcher_.stop();
}

void IngestEngine::watch_dirs(SourceState& s) {
  for (const auto& dir : source::matching_dirs(s.glob)) {
    if (s.watched_dirs.count(dir) && watcher_.watching(dir)) continue;
    if (watcher_.watch(dir)) s.watched_dirs.insert(dir);
  }
  bool missing =
      s.glob.dir_pattern.find_first_of("*?[") != std::string::npos || s.watched_dirs.empty();
  if (missing) schedule_dir_retry();
}

void IngestEngine::schedule_dir_retry() {
  if (stopped_) return;
  // One pending retry at a time: expiry() in the future means one is armed.
  if (dir_retry_timer_.expiry() > std::chrono::steady_clock::now()) return;
  dir_retry_timer_.expires_after(kDirRetry);
  dir_retry_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    bool changed = false;
    for (auto& s : sources_) {
      size_t before = s->watched_dirs.size();
      watch_dirs(*s);
      if (s->watched_dirs.size() != before) {
        reconcile(*s, {}, true);
        changed = true;
      }
    }
    if (changed) publish();
  });
}

void IngestEngine::schedule_settle_retry(SourceState& s, const std::string& path) {
  settling_[&s].insert(path);
  if (stopped_ || settle_timer_.expiry() > std::chrono::steady_clock::now()) return;
  settle_timer_.expires_after(kSettle + std::chrono::milliseconds(50));
  settle_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    auto settling = std::move(settling_);
    settling_.clear();
    for (auto& [source, paths] : settling) {
      if (paths.count(""))  // a whole re-scan was asked for
        reconcile(*source, {}, true);
      else
        reconcile(*source, std::vector<std::string>(paths.begin(), paths.end()), false);
    }
    publish();
  });
}

void IngestEngine::schedule_scan() {
  if (stopped_) return;
  scan_timer_.expires_after(cfg_.scan_interval);
  scan_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    scan_all();
    schedule_scan();
  });
}

void IngestEngine::scan_all() {
  for (auto& s : sources_) {
    watch_dirs(*s);
    reconcile(*s, {}, true);
  }
  publish();
}

void IngestEngine::on_folder_events(const std::vector<source::FolderEvent>& events) {
  std::map<SourceState*, std::vector<std::string>> touched;
  std::map<SourceState*, std::set<std::string>> appended;  // IN_MODIFY only, so far
  std::set<SourceState*> full;
  for (const auto& ev : events) {
    on_control_event(ev);
    for (auto& s : sources_) {
      if (!s->watched_dirs.count(ev.dir)) {
        // A new folder may match a source whose folder part has wildcards.
        if ((ev.mask & IN_ISDIR) && (ev.mask & (IN_CREATE | IN_MOVED_TO))) full.insert(s.get());
        continue;
      }
      if (ev.name.empty() || (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))) {
        s->watched_dirs.erase(ev.dir);  // the folder itself went away
        full.insert(s.get());
        continue;
      }
      if (ev.mask & IN_ISDIR) continue;
      if (!s->glob.matches_name(ev.name)) continue;
      std::string path = source::join_path(ev.dir, ev.name);
      // A file created empty is about to be written; its close-after-write event follows. One
      // created with content at once is a hard link (ln, cp -l): nothing else will be said of it.
      if ((ev.mask & IN_CREATE) && !(ev.mask & ~(IN_CREATE | IN_ISDIR))) {
        FileIdentity id;
        if (!stat_file(path, id) || id.size == 0) continue;
      }
      auto& paths = touched[s.get()];
      if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
      if ((ev.mask & IN_MODIFY) && !(ev.mask & ~IN_MODIFY))
        appended[s.get()].insert(path);
      else
        appended[s.get()].erase(path);  // a stronger event for the same path wins
    }
  }
  for (auto* s : full) {
    watch_dirs(*s);
    reconcile(*s, {}, true);
  }
  for (auto& [s, paths] : touched)
    if (!full.count(s)) reconcile(*s, paths, false, appended[s]);
  publish();
}

std::shared_ptr<plugin::Plugin> IngestEngine::choose_plugin(const SourceState& s,
                                                            const std::string& path) {
  if (s.cfg.plugin != "auto") return registry_.find(s.cfg.plugin);
  PaddedDocument head;
  FileIdentity id;
  std::string error;
  if (!PaddedDocument::read_head(path, REX_PROBE_BYTES, head, id, error)) return nullptr;
  head.strip_bom();
  return registry_.best_for(head.bytes());
}

void IngestEngine::follow_log(SourceState& s, const std::string& key, const std::string& path,
                              const FileIdentity& id,
                              const std::shared_ptr<plugin::Plugin>& plugin) {
  FileState& f = s.files[key];
  bool ok = s.tails->update(key, path, plugin);
  f.path = path;
  f.identity = id;
  f.tailed = true;
  f.last_parse_time = unix_now();
  if (plugin) f.plugin = plugin->name();
  if (!ok) {
    const auto& seg = s.tails->live().at(key);
    if (seg.fd < 0 && (seg.error == "renamed while being opened" ||
                       seg.error.find("No such file") != std::string::npos)) {
      // A rotation moved the file between stat and open: not an error. Forget it and look at the
      // whole source again shortly, wherever the rotation put it.
      s.tails->forget(key);
      s.files.erase(key);
      schedule_settle_retry(s, "");
      return;
    }
    if (f.ok || f.error != seg.error) {
      ++s.parse_errors[f.plugin];
      s.last_error = path + ": " + seg.error;
      spdlog::warn("source {}: {}: {}", s.cfg.name, path, seg.error);
    }
    f.ok = false;
    f.error = seg.error;
    return;
  }
  f.ok = true;
  f.error.clear();
  s.last_success = f.last_parse_time;
}

void IngestEngine::reconcile(SourceState& s, const std::vector<std::string>& paths, bool full,
                             const std::set<std::string>& appended) {
  std::vector<std::string> scan = full ? source::matching_files(s.glob) : paths;
  std::map<std::string, std::pair<std::string, FileIdentity>> found;  // key -> (path, identity)
  for (const auto& p : scan) {
    FileIdentity id;
    if (stat_file(p, id)) found.try_emplace(id.key(), p, id);
  }
  // Files that were at the scanned paths and are not found under their identity any more.
  std::set<std::string> scanned(paths.begin(), paths.end());
  std::vector<std::string> gone;
  for (const auto& [key, f] : s.files) {
    if (f.deleted) continue;
    if ((full || scanned.count(f.path)) && !found.count(key)) gone.push_back(key);
  }
  for (const auto& key : gone) drop_file(s, key);

  // Logs already followed first: a truncation (copytruncate) must be seen before the copy it left
  // behind is looked at, so the copy continues the old content instead of counting it again.
  for (const auto& [key, entry] : found) {
    auto known = s.files.find(key);
    if (known != s.files.end() && known->second.tailed)
      follow_log(s, key, entry.first, entry.second, nullptr);
  }
  for (const auto& [key, entry] : found) {
    const auto& [path, id] = entry;
    auto known = s.files.find(key);
    if (known != s.files.end() && known->second.tailed) continue;  // done above
    if (known != s.files.end() && known->second.identity.same_version(id)) {
      known->second.path = path;  // renamed, or seen again: nothing to re-parse
      known->second.deleted = false;
      // A failed file named by an event is tried again (permissions may have changed).
      if (full || known->second.ok) continue;
    }
    bool only_appended = appended.count(path) > 0;
    if (only_appended && known != s.files.end()) continue;  // a document still being written
    auto plugin = choose_plugin(s, path);
    if (plugin && plugin->kind() == REX_PLUGIN_LINE_STREAM) {
      follow_log(s, key, path, id, plugin);
      continue;
    }
    if (only_appended) continue;  // documents are parsed once closed
    if (!plugin && s.cfg.plugin == "auto" && id.size == 0) continue;  // empty: nothing to probe yet
    parse_into_store(s, key, path);
  }
}

void IngestEngine::parse_into_store(SourceState& s, const std::string& key,
                                    const std::string& path) {
  FileParse r = parse_file(registry_, s.cfg.plugin, path, s.cfg.labels, cfg_.max_document_bytes);
  if (!r.ok && r.identity.inode != 0 && recently_modified(r.identity)) {
    // Probably still being written: neither an error nor data yet. Its close-after-write event, or
    // the retry below, parses it again.
    store_.remove(s.cfg.name, key);
    s.files.erase(key);
    schedule_settle_retry(s, path);
    return;
  }
  FileState& f = s.files[key];
  f.path = path;
  f.identity = r.identity;
  f.plugin = r.plugin;
  f.deleted = false;
  f.last_parse_time = unix_now();
  if (!r.ok) {
    f.ok = false;
    f.error = r.error;
    ++s.parse_errors[r.plugin];
    s.last_error = path + ": " + r.error;
    store_.remove(s.cfg.name, key);
    spdlog::warn("source {}: {}: {}", s.cfg.name, path, r.error);
    return;
  }
  f.ok = true;
  f.error.clear();
  s.last_success = f.last_parse_time;
  store::Document doc;
  doc.key = key;
  doc.path = path;
  doc.plugin = r.plugin;
  doc.mtime = static_cast<double>(r.identity.mtime_ns) / 1e9;
  doc.contribution = std::move(r.contribution);
  if (doc.contribution->records_skipped)
    spdlog::info("source {}: {}: {} records skipped (first: {})", s.cfg.name, path,
                 doc.contribution->records_skipped, doc.contribution->skip_reasons.front());
  store_.put(s.cfg.name, std::move(doc));
  spdlog::debug("source {}: parsed {} with {}", s.cfg.name, path, r.plugin);
}

void IngestEngine::drop_file(SourceState& s, const std::string& key) {
  auto it = s.files.find(key);
  if (it == s.files.end()) return;
  if (it->second.tailed) {
    // A log that left the source keeps what it contributed: counters never go down on rotation.
    s.tails->gone(key);
    s.files.erase(it);
    return;
  }
  if (s.cfg.on_delete == config::OnDelete::keep && it->second.ok) {
    it->second.deleted = true;
    return;
  }
  store_.remove(s.cfg.name, key);
  s.files.erase(it);
}

void IngestEngine::publish() {
  std::string text;
  {
    store::FamilyMap families = store_.merge();
    append_self_metrics(families, store_, *this);
    text = expo::render(families);
  }
  // The merge is a large transient allocation when many series are exposed; hand it back to the
  // system instead of keeping it in malloc's free lists (at most once a second).
  if (text.size() > (std::size_t{1} << 20)) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_trim_ > std::chrono::seconds(1)) {
      ::malloc_trim(0);
      last_trim_ = now;
    }
  }
  std::string status = render_status_json(*this, store_, ready_);
  auto snap = std::make_shared<Snapshot>(std::move(text), std::move(status), ready_, ++generation_);
  snap->access.auth_token = cfg_.auth_token;
  snap->access.push_body_limit = cfg_.push ? cfg_.push->max_body_bytes : 0;
  slot_.publish(std::move(snap));
}

}  // namespace rex::app
