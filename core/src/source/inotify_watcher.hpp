// Folder watches over inotify, delivered on an Asio executor. One watcher serves every source.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <array>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace rex::source {

struct FolderEvent {
  std::string dir;   // the watched folder, as it was added
  std::string name;  // the entry in it; empty for events about the folder itself
  uint32_t mask = 0;
};

class InotifyWatcher {
 public:
  // `on_events` gets each batch read from the kernel; `on_overflow` when events were lost and
  // everything must be re-scanned.
  InotifyWatcher(boost::asio::any_io_executor ex,
                 std::function<void(const std::vector<FolderEvent>&)> on_events,
                 std::function<void()> on_overflow);
  ~InotifyWatcher();

  bool ok() const noexcept { return fd_ >= 0; }
  // Watches a folder (idempotent). Returns false when it cannot be watched (missing, no access).
  bool watch(const std::string& dir);
  void unwatch(const std::string& dir);
  bool watching(const std::string& dir) const { return by_dir_.count(dir) > 0; }
  std::vector<std::string> watched() const {
    std::vector<std::string> out;
    for (const auto& [dir, wd] : by_dir_) out.push_back(dir);
    return out;
  }
  void start();
  void stop();

 private:
  void do_read();
  void on_read(const boost::system::error_code& ec, size_t n);

  int fd_ = -1;
  boost::asio::posix::stream_descriptor stream_;
  std::function<void(const std::vector<FolderEvent>&)> on_events_;
  std::function<void()> on_overflow_;
  std::map<int, std::string> by_wd_;
  std::map<std::string, int> by_dir_;
  alignas(8) std::array<char, 64 * 1024> buffer_{};
};

}  // namespace rex::source
