// The spool folder of pushed documents: <spool_dir>/<plugin>/<id>, each written durably (temp file,
// fsync, rename, fsync of the folder) before the push is answered, so a push survives a crash.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rex::app {

class PushSpool {
 public:
  struct Entry {
    std::string plugin;
    std::string id;
    std::string path;
  };

  explicit PushSpool(std::string dir) : dir_(std::move(dir)) {}

  const std::string& dir() const { return dir_; }
  // Creates the folder when missing.
  bool open(std::string& error) const;
  // Stores `body` as the document `id` parsed by `plugin`, replacing any earlier copy of `id`.
  // Nothing is left half-written: on failure (ENOSPC, say) the earlier copy stays as it was.
  bool write(const std::string& plugin, const std::string& id, std::string_view body,
             std::string& path, std::string& error) const;
  // Removes every copy of `id`; returns how many there were (-1 on error).
  int remove(const std::string& id, std::string& error) const;
  std::vector<Entry> list() const;

  // Document ids are file names: 1 to 200 of [A-Za-z0-9._:-], not starting with a dot.
  static bool valid_id(std::string_view id);

 private:
  std::string dir_;
};

}  // namespace rex::app
