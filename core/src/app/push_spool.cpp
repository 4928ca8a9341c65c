#include "app/push_spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace rex::app {

namespace fs = std::filesystem;

namespace {

bool fsync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

bool PushSpool::valid_id(std::string_view id) {
  if (id.empty() || id.size() > 200 || id.front() == '.') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == ':';
  });
}

bool PushSpool::open(std::string& error) const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) {
    error = "cannot create spool folder " + dir_ + ": " + ec.message();
    return false;
  }
  return true;
}

bool PushSpool::write(const std::string& plugin, const std::string& id, std::string_view body,
                      std::string& path, std::string& error) const {
  std::error_code ec;
  std::string folder = dir_ + "/" + plugin;
  fs::create_directories(folder, ec);
  if (ec) {
    error = "cannot create " + folder + ": " + ec.message();
    return false;
  }
  path = folder + "/" + id;
  std::string tmp = folder + "/.tmp-" + id + "-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    error = "cannot write " + tmp + ": " + errno_text();
    return false;
  }
  size_t done = 0;
  while (done < body.size()) {
    ssize_t n = ::write(fd, body.data() + done, body.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    done += static_cast<size_t>(n);
  }
  bool ok = done == body.size() && ::fsync(fd) == 0;
  if (!ok) error = "cannot write " + tmp + ": " + errno_text();
  if (::close(fd) != 0 && ok) {
    ok = false;
    error = "cannot write " + tmp + ": " + errno_text();
  }
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) error = "cannot rename into " + path + ": " + errno_text();
    ::unlink(tmp.c_str());
    return false;
  }
  fsync_path(folder, O_RDONLY | O_DIRECTORY);
  // The same id pushed earlier through another plugin: this push replaces it.
  for (const auto& e : list())
    if (e.id == id && e.plugin != plugin) {
      ::unlink(e.path.c_str());
      fsync_path(dir_ + "/" + e.plugin, O_RDONLY | O_DIRECTORY);
    }
  return true;
}

int PushSpool::remove(const std::string& id, std::string& error) const {
  int removed = 0;
  for (const auto& e : list()) {
    if (e.id != id) continue;
    if (::unlink(e.path.c_str()) != 0) {
      error = "cannot remove " + e.path + ": " + errno_text();
      return -1;
    }
    fsync_path(dir_ + "/" + e.plugin, O_RDONLY | O_DIRECTORY);
    ++removed;
  }
  return removed;
}

std::vector<PushSpool::Entry> PushSpool::list() const {
  std::vector<Entry> out;
  std::error_code ec;
  for (fs::directory_iterator p(dir_, ec), end; !ec && p != end; p.increment(ec)) {
    if (!p->is_directory(ec)) continue;
    std::string plugin = p->path().filename().string();
    for (fs::directory_iterator f(p->path(), ec), fend; !ec && f != fend; f.increment(ec)) {
      std::string id = f->path().filename().string();
      if (!f->is_regular_file(ec) || !valid_id(id)) continue;  // skips .tmp- leftovers
      out.push_back({plugin, id, f->path().string()});
    }
  }
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
    return a.id != b.id ? a.id < b.id : a.plugin < b.plugin;
  });
  return out;
}

}  // namespace rex::app
