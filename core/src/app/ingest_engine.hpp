// The ingest side of the server. Runs on its own thread (never on the HTTP I/O threads): watches
// the sources' folders, parses changed files through their plugins, keeps the store, and publishes
// a fresh Snapshot after every batch of changes.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "app/document_reader.hpp"
#include "app/log_tails.hpp"
#include "app/push_spool.hpp"
#include "app/snapshot.hpp"
#include "config/config.hpp"
#include "plugin/registry.hpp"
#include "source/file_scanner.hpp"
#include "source/inotify_watcher.hpp"
#include "store/store.hpp"

namespace rex::app {

// What the server knows about one file of a source.
struct FileState {
  std::string path;
  FileIdentity identity;
  std::string plugin;
  bool ok = false;
  bool deleted = false;  // gone from disk but kept (on_delete: keep)
  bool tailed = false;   // a log followed by a line-stream plugin (see LogTails)
  std::string error;
  double last_parse_time = 0;  // Unix seconds
};

struct SourceState {
  config::SourceConfig cfg;
  source::GlobPattern glob;
  std::map<std::string, FileState> files;  // by identity key (device:inode)
  std::set<std::string> watched_dirs;
  std::map<std::string, uint64_t> parse_errors;  // by plugin
  std::optional<double> last_success;            // Unix seconds
  std::string last_error;
  std::unique_ptr<LogTails> tails;  // the files a line-stream plugin follows
};

// Wall-clock time in Unix seconds.
double unix_now();

// Where the config and the plugins come from, for reloads.
struct EngineOptions {
  std::optional<std::string> config_path;      // none: the embedded default config
  std::optional<std::string> plugin_dir_flag;  // --plugin-dir, wins over the config
  std::string default_plugin_dir;              // when neither the flag nor the config names one
};

struct PushCall {
  bool retract = false;
  std::string plugin;
  std::string id;
  std::string body;
};

struct PushAnswer {
  unsigned status = 200;
  std::string body;  // JSON
};

struct PushedDocument {
  std::string plugin;
  std::string path;
  double pushed_at = 0;
};

struct ReloadOutcome {
  bool ok = false;
  std::string message;
};

class IngestEngine {
 public:
  IngestEngine(boost::asio::io_context& ioc, config::Config cfg, EngineOptions options,
               SnapshotSlot& slot);

  // Starts watching and schedules the initial scan; the work runs when `ioc` runs.
  void start();
  void stop();

  // Safe from any thread: reloads the config (and re-scans the plugin folder) on the ingest thread,
  // then calls `done` there. A bad config leaves the old one in force.
  void request_reload(std::function<void(ReloadOutcome)> done);

  // Safe from any thread: pushes (or retracts) a document on the ingest thread; `done` gets the
  // answer there. The body is in the spool, durably, before a 2xx answer.
  void request_push(PushCall call, std::function<void(PushAnswer)> done);

  // For tests and status: read on the ingest thread only.
  const std::vector<std::unique_ptr<SourceState>>& sources() const { return sources_; }
  const plugin::Registry& registry() const { return registry_; }
  const std::map<std::pair<std::string, std::string>, uint64_t>& plugin_reloads() const {
    return plugin_reloads_;
  }
  bool last_reload_ok() const { return last_reload_ok_; }
  double last_reload_success() const { return last_reload_success_; }
  const std::string& last_reload_error() const { return last_reload_error_; }
  const std::optional<std::string>& config_path() const { return options_.config_path; }
  const config::Config& config() const { return cfg_; }
  const std::map<std::string, PushedDocument>& pushed() const { return pushed_; }
  const std::map<std::string, uint64_t>& push_requests() const { return push_requests_; }
  const std::map<std::string, uint64_t>& push_replay_errors() const { return push_replay_errors_; }

 private:
  void on_folder_events(const std::vector<source::FolderEvent>& events);
  void scan_all();
  // Brings `source` in line with the disk for `paths` (or for everything it matches when `full`).
  // `appended` are paths whose only news is IN_MODIFY: logs to read on, documents still open.
  void reconcile(SourceState& s, const std::vector<std::string>& paths, bool full,
                 const std::set<std::string>& appended = {});
  // The plugin for a file: the source's named one, or the most confident probe of its head.
  std::shared_ptr<plugin::Plugin> choose_plugin(const SourceState& s, const std::string& path);
  void follow_log(SourceState& s, const std::string& key, const std::string& path,
                  const FileIdentity& id, const std::shared_ptr<plugin::Plugin>& plugin);
  void parse_into_store(SourceState& s, const std::string& key, const std::string& path);
  void drop_file(SourceState& s, const std::string& key);
  void watch_dirs(SourceState& s);
  void schedule_scan();
  void schedule_dir_retry();
  // Parses `path` again once files have been quiet for a moment ("" re-scans the whole source).
  void schedule_settle_retry(SourceState& s, const std::string& path);
  void publish();

  // Pushed documents (push.cpp).
  PushAnswer handle_push(PushCall& call);
  void open_push_spool();

  // Reloading (reload.cpp).
  std::string plugin_dir_for(const config::Config& c) const;
  ReloadOutcome reload_config();
  void apply_config(config::Config next);
  void remove_source(SourceState& s);
  void refresh_watches();
  // Loads plugins added or changed on disk, drops removed ones, re-derives what they parsed.
  void rescan_plugins();
  void swap_plugin(const std::string& file, const std::shared_ptr<plugin::Plugin>& next);
  void reroute_files(const std::function<bool(const FileState&)>& affected, bool reprobe_auto);
  void remember_plugin_files();
  void on_control_event(const source::FolderEvent& ev);
  void schedule_config_reload();
  void schedule_plugin_rescan();

  boost::asio::io_context& ioc_;
  config::Config cfg_;
  plugin::Registry registry_;
  SnapshotSlot& slot_;
  store::Store store_;
  std::vector<std::unique_ptr<SourceState>> sources_;
  source::InotifyWatcher watcher_;
  boost::asio::steady_timer scan_timer_;
  boost::asio::steady_timer dir_retry_timer_;
  boost::asio::steady_timer settle_timer_;
  std::map<SourceState*, std::set<std::string>> settling_;  // paths to parse again once quiet
  EngineOptions options_;
  std::string plugin_dir_;
  std::map<std::string, FileIdentity> plugin_files_;  // what of the plugin folder we have seen
  std::map<std::pair<std::string, std::string>, uint64_t> plugin_reloads_;  // (plugin, result)
  bool last_reload_ok_ = true;
  double last_reload_success_ = 0;
  std::string last_reload_error_;
  boost::asio::steady_timer config_timer_;
  bool config_change_pending_ = false;
  boost::asio::steady_timer plugin_timer_;
  std::unique_ptr<PushSpool> spool_;
  std::map<std::string, PushedDocument> pushed_;        // by id
  std::map<std::string, uint64_t> push_requests_;       // by result
  std::map<std::string, uint64_t> push_replay_errors_;  // spooled documents that failed, by plugin
  std::chrono::steady_clock::time_point last_trim_{};
  bool ready_ = false;
  bool stopped_ = false;
  uint64_t generation_ = 0;
};

}  // namespace rex::app
