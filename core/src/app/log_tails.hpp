// Following the log files of one source with a line-stream plugin.
//
// Each file (device:inode) is a segment: an open descriptor, a read offset, the plugin's stream
// instance and its contribution in the store. The rules that make rotation neither lose nor double
// count a line:
//   - a rename (RotatingFileHandler's x.log -> x.log.1) keeps the inode, so the segment goes on;
//   - a file that leaves the source (deleted, renamed away) is read to its end through the open
//     descriptor and retired: its contribution stays while the server runs, so counters never go
//     down because of rotation;
//   - a file that shrinks or whose first bytes change (copytruncate) retires its old segment and
//     starts a new one from offset 0;
//   - a new file whose first bytes are a retired segment's fingerprint (the copy copytruncate made)
//     continues that segment from its offset instead of being read again; while the original is
//     still live, such a copy waits (it is a duplicate until the original is truncated).
// After a restart every visible file is read from its start: the same totals, without an offset
// database.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/line_stream.hpp"
#include "plugin/plugin.hpp"
#include "store/store.hpp"

namespace rex::app {

class LogTails {
 public:
  static constexpr size_t kFingerprintBytes = 1024;

  struct Segment {
    std::string path;
    int fd = -1;
    uint64_t offset = 0;
    std::string fingerprint;  // the file's first bytes (up to kFingerprintBytes)
    std::unique_ptr<LineStream> stream;
    std::string follows;  // key of the live segment this file is a copy of (not read meanwhile)
    std::string error;
  };

  LogTails(std::string source, store::LabelSet constant_labels, store::Store& store);
  ~LogTails();
  LogTails(const LogTails&) = delete;
  LogTails& operator=(const LogTails&) = delete;

  bool follows(const std::string& key) const { return live_.count(key) > 0; }

  // A file of the source at `path` (stat'ed as device:inode `key`): starts following it with
  // `plugin`, or reads what it appended. Returns false (and sets the segment's error) when it
  // cannot be read, or when `path` no longer leads to that file (renamed meanwhile): the next event
  // or scan tries again.
  bool update(const std::string& key, const std::string& path,
              const std::shared_ptr<plugin::Plugin>& plugin);
  // The file left the source: read what is left through the open descriptor, keep the rest.
  void gone(const std::string& key);
  // Forgets one file and what it contributed, without keeping anything (it will be read again).
  void forget(const std::string& key);
  // Drops everything (the source was removed from the config).
  void clear();

  const std::map<std::string, Segment>& live() const { return live_; }
  size_t retired_count() const { return retired_.size(); }

 private:
  struct Retired {
    std::string store_key;
    std::string fingerprint;
    uint64_t offset = 0;
    std::unique_ptr<LineStream> stream;
  };

  bool start(const std::string& key, Segment& seg, const std::shared_ptr<plugin::Plugin>& plugin);
  bool read_new(const std::string& key, Segment& seg);
  void retire(const std::string& key, Segment& seg);
  void adopt_followers_of(const std::string& key);
  void publish(const std::string& store_key, const Segment& seg);
  bool matches(const std::string& head, uint64_t size, const std::string& fingerprint,
               uint64_t offset) const;

  std::string source_;
  store::LabelSet labels_;
  store::Store& store_;
  std::map<std::string, Segment> live_;
  std::vector<Retired> retired_;
  uint64_t retire_seq_ = 0;
  std::map<std::string, std::shared_ptr<plugin::Plugin>> plugin_of_;
};

}  // namespace rex::app
