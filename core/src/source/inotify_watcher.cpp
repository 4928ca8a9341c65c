#include "source/inotify_watcher.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <cstring>

namespace rex::source {

namespace {
// Close-after-write and renames mark a finished document; IN_MODIFY is for logs that grow (the
// engine ignores it for documents, which would be caught half-written).
constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE |
                           IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
}  // namespace

InotifyWatcher::InotifyWatcher(boost::asio::any_io_executor ex,
                               std::function<void(const std::vector<FolderEvent>&)> on_events,
                               std::function<void()> on_overflow)
    : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)),
      stream_(ex),
      on_events_(std::move(on_events)),
      on_overflow_(std::move(on_overflow)) {
  if (fd_ < 0) {
    spdlog::warn("inotify unavailable ({}); relying on periodic scans", std::strerror(errno));
    return;
  }
  stream_.assign(fd_);
}

InotifyWatcher::~InotifyWatcher() { stop(); }

bool InotifyWatcher::watch(const std::string& dir) {
  if (fd_ < 0) return false;
  if (by_dir_.count(dir)) return true;
  int wd = ::inotify_add_watch(fd_, dir.c_str(), kMask);
  if (wd < 0) return false;
  // Two spellings of one folder share a watch descriptor; the last spelling wins.
  if (auto old = by_wd_.find(wd); old != by_wd_.end()) by_dir_.erase(old->second);
  by_wd_[wd] = dir;
  by_dir_[dir] = wd;
  return true;
}

void InotifyWatcher::unwatch(const std::string& dir) {
  auto it = by_dir_.find(dir);
  if (it == by_dir_.end()) return;
  ::inotify_rm_watch(fd_, it->second);
  by_wd_.erase(it->second);
  by_dir_.erase(it);
}

void InotifyWatcher::start() {
  if (fd_ >= 0) do_read();
}

void InotifyWatcher::stop() {
  if (fd_ < 0) return;
  boost::system::error_code ec;
  stream_.cancel(ec);
  stream_.close(ec);  // closes fd_
  fd_ = -1;
}

void InotifyWatcher::do_read() {
  stream_.async_read_some(boost::asio::buffer(buffer_), [this](const boost::system::error_code& ec,
                                                               size_t n) { on_read(ec, n); });
}

void InotifyWatcher::on_read(const boost::system::error_code& ec, size_t n) {
  if (ec == boost::asio::error::operation_aborted || fd_ < 0) return;
  if (ec) {
    spdlog::error("inotify read failed: {}; relying on periodic scans", ec.message());
    return;
  }
  std::vector<FolderEvent> events;
  bool overflow = false;
  for (size_t off = 0; off + sizeof(inotify_event) <= n;) {
    inotify_event ev;
    std::memcpy(&ev, buffer_.data() + off, sizeof ev);
    const char* name = buffer_.data() + off + sizeof(inotify_event);
    off += sizeof(inotify_event) + ev.len;
    if (ev.mask & IN_Q_OVERFLOW) {
      overflow = true;
      continue;
    }
    auto it = by_wd_.find(ev.wd);
    if (it == by_wd_.end()) continue;
    FolderEvent fe;
    fe.dir = it->second;
    fe.mask = ev.mask;
    if (ev.len) fe.name.assign(name, ::strnlen(name, ev.len));
    if (ev.mask & IN_IGNORED) {  // the folder is gone (deleted or unmounted)
      by_dir_.erase(it->second);
      by_wd_.erase(it);
    }
    events.push_back(std::move(fe));
  }
  if (overflow) on_overflow_();
  if (!events.empty()) on_events_(events);
  do_read();
}

}  // namespace rex::source
