#include "app/log_tails.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <cerrno>
#include <cstring>

namespace rex::app {

namespace {

constexpr size_t kReadChunk = 1 << 20;
// A fingerprint matches when it is found whole at the start of the other file, or at least this
// many of its bytes are (the other file may be shorter than the fingerprint so far).
constexpr size_t kMinPartialMatch = 256;

std::string read_at(int fd, uint64_t offset, size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  return out;
}

// Whether two files hold the same first `n` bytes (a copy of a live file, byte for byte).
bool same_prefix(int a, int b, uint64_t n) {
  constexpr size_t kStep = 1 << 20;
  for (uint64_t at = 0; at < n; at += kStep) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(kStep, n - at));
    std::string x = read_at(a, at, want), y = read_at(b, at, want);
    if (x.size() != want || x != y) return false;
  }
  return true;
}

uint64_t size_of(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace

LogTails::LogTails(std::string source, store::LabelSet constant_labels, store::Store& store)
    : source_(std::move(source)), labels_(std::move(constant_labels)), store_(store) {}

LogTails::~LogTails() {
  for (auto& [key, seg] : live_)
    if (seg.fd >= 0) ::close(seg.fd);
}

void LogTails::clear() {
  for (auto& [key, seg] : live_) {
    if (seg.fd >= 0) ::close(seg.fd);
    store_.remove(source_, key);
  }
  live_.clear();
  for (auto& r : retired_) store_.remove(source_, r.store_key);
  retired_.clear();
  plugin_of_.clear();
}

bool LogTails::matches(const std::string& head, uint64_t size, const std::string& fingerprint,
                       uint64_t offset) const {
  if (size < offset) return false;
  if (fingerprint.empty()) return false;
  size_t n = std::min(head.size(), fingerprint.size());
  if (n < fingerprint.size() && n < kMinPartialMatch) return false;
  return head.compare(0, n, fingerprint, 0, n) == 0;
}

void LogTails::publish(const std::string& store_key, const Segment& seg) {
  if (!seg.stream) return;
  store::Document doc;
  doc.key = store_key;
  doc.path = seg.path;
  doc.plugin = seg.stream->plugin_name();
  struct stat st {};
  if (seg.fd >= 0 && ::fstat(seg.fd, &st) == 0)
    doc.mtime =
        static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) / 1e9;
  doc.contribution = seg.stream->contribution();
  store_.put(source_, std::move(doc));
}

bool LogTails::update(const std::string& key, const std::string& path,
                      const std::shared_ptr<plugin::Plugin>& plugin) {
  auto [it, inserted] = live_.try_emplace(key);
  Segment& seg = it->second;
  if (inserted) {
    seg.path = path;
    plugin_of_[key] = plugin;
    return start(key, seg, plugin);
  }
  if (seg.path != path) {
    // Renamed (rotated): the writer has moved on, so a held partial line is final.
    seg.path = path;
    if (seg.stream) seg.stream->finish();
  }
  if (!seg.follows.empty()) {
    auto original = live_.find(seg.follows);
    // The original first: if it was truncated meanwhile, it is retired now and this copy takes
    // over its content (adopt_followers_of), which is what a copytruncate copy must do.
    if (original != live_.end() && original->second.fd >= 0 && original->second.stream)
      read_new(original->first, original->second);
    if (seg.follows.empty()) return true;
    if (original != live_.end() && original->second.fd >= 0 &&
        same_prefix(seg.fd, original->second.fd,
                    std::min(size_of(seg.fd), original->second.offset)))
      return true;  // still a copy of a live file: nothing to read
    // It differs from the file it seemed to copy: a log of its own, read from its start.
    seg.follows.clear();
    seg.fingerprint.clear();
    try {
      seg.stream = std::make_unique<LineStream>(plugin ? plugin : plugin_of_[key], labels_);
    } catch (const std::exception& e) {
      seg.error = e.what();
      return false;
    }
    seg.offset = 0;
    return read_new(key, seg);
  }
  if (seg.fd < 0 || !seg.stream) {
    // The first attempt failed (the file went away between stat and open, say): start again.
    if (seg.fd >= 0) ::close(seg.fd);
    seg.fd = -1;
    return start(key, seg, plugin ? plugin : plugin_of_[key]);
  }
  return read_new(key, seg);
}

bool LogTails::start(const std::string& key, Segment& seg,
                     const std::shared_ptr<plugin::Plugin>& plugin) {
  if (!plugin) {
    seg.error = "no line-stream plugin for this file";
    return false;
  }
  seg.fd = ::open(seg.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (seg.fd < 0) {
    seg.error = "cannot open: " + std::string(std::strerror(errno));
    return false;
  }
  // The path was stat'ed a moment ago; a rotation in between can put another file there.
  struct stat st {};
  if (::fstat(seg.fd, &st) != 0 ||
      std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) != key) {
    ::close(seg.fd);
    seg.fd = -1;
    seg.error = "renamed while being opened";
    return false;
  }
  uint64_t size = size_of(seg.fd);
  std::string head = read_at(seg.fd, 0, kFingerprintBytes);

  // A truncation whose event has not been handled yet (copytruncate copies, then truncates at
  // once, and the writer goes on): bring the other logs up to date first, so that the copy finds
  // the content it continues among the retired segments.
  for (auto& [other_key, other] : live_) {
    if (other_key != key && other.fd >= 0 && other.stream && other.follows.empty())
      read_new(other_key, other);
  }

  // The copy that copytruncate made of a file we already read: go on where that file stopped.
  for (auto r = retired_.begin(); r != retired_.end(); ++r) {
    if (!matches(head, size, r->fingerprint, r->offset)) continue;
    seg.stream = std::move(r->stream);
    seg.offset = r->offset;
    seg.fingerprint = r->fingerprint;
    store_.remove(source_, r->store_key);
    retired_.erase(r);
    spdlog::info("source {}: {} continues a rotated log at byte {}", source_, seg.path, seg.offset);
    return read_new(key, seg);
  }
  // A copy of a file that is still live (or one being copied right now): a duplicate, unless the
  // original is truncated later. While it is no longer than what was read of the original and
  // byte for byte the same, it cannot be told apart from a copy; once it differs it is a log of
  // its own (a new file that happens to start with the same line) and is read from its start.
  for (const auto& [other_key, other] : live_) {
    if (other_key == key || !other.follows.empty() || other.fd < 0) continue;
    if (size > 0 && matches(head, size, other.fingerprint, 0) &&
        same_prefix(seg.fd, other.fd, std::min(size, other.offset))) {
      spdlog::info(
          "source {}: {} holds the same first bytes as {}: a copy (copytruncate?), not read "
          "unless that file is truncated or it turns out to differ",
          source_, seg.path, other.path);
      seg.follows = other_key;
      seg.fingerprint = head;
      return true;
    }
  }
  try {
    seg.stream = std::make_unique<LineStream>(plugin, labels_);
  } catch (const std::exception& e) {
    seg.error = e.what();
    return false;
  }
  seg.offset = 0;
  seg.fingerprint.clear();
  return read_new(key, seg);
}

bool LogTails::read_new(const std::string& key, Segment& seg) {
  if (seg.fd < 0 || !seg.stream) return false;
  uint64_t size = size_of(seg.fd);
  // Shrunk, or rewritten from the start: the old content was moved away (copytruncate).
  bool replaced = size < seg.offset;
  if (!replaced && !seg.fingerprint.empty()) {
    std::string head = read_at(seg.fd, 0, seg.fingerprint.size());
    replaced = head != seg.fingerprint && size >= seg.fingerprint.size();
  }
  if (replaced) {
    auto plugin = plugin_of_[key];
    retire(key, seg);
    adopt_followers_of(key);
    try {
      seg.stream = std::make_unique<LineStream>(plugin, labels_);
    } catch (const std::exception& e) {
      seg.error = e.what();
      return false;
    }
    seg.offset = 0;
    seg.fingerprint.clear();
  }
  bool read_any = replaced;
  std::string chunk;
  while (seg.offset < size) {
    chunk = read_at(seg.fd, seg.offset, std::min<uint64_t>(kReadChunk, size - seg.offset));
    if (chunk.empty()) break;
    if (seg.fingerprint.size() < kFingerprintBytes && seg.offset < kFingerprintBytes)
      seg.fingerprint.append(chunk, 0,
                             std::min<size_t>(chunk.size(), kFingerprintBytes - seg.offset));
    seg.offset += chunk.size();
    size_t got = chunk.size();
    chunk.append(REX_INPUT_PADDING, '\0');  // so lines go to the plugin in place
    seg.stream->feed(std::string_view(chunk.data(), got), true);
    read_any = true;
  }
  seg.error.clear();
  if (read_any || !store_.find(source_, key)) publish(key, seg);
  return true;
}

void LogTails::retire(const std::string& key, Segment& seg) {
  if (!seg.stream) return;
  seg.stream->finish();
  Retired r;
  r.store_key = key + "@" + std::to_string(++retire_seq_);
  r.fingerprint = seg.fingerprint;
  r.offset = seg.offset;
  publish(r.store_key, seg);
  store_.remove(source_, key);
  r.stream = std::move(seg.stream);
  retired_.push_back(std::move(r));
}

void LogTails::adopt_followers_of(const std::string& key) {
  for (auto& [other_key, other] : live_) {
    if (other.follows != key) continue;
    other.follows.clear();
    std::string fingerprint = std::move(other.fingerprint);
    other.fingerprint.clear();
    for (auto r = retired_.begin(); r != retired_.end(); ++r) {
      if (!matches(fingerprint, size_of(other.fd), r->fingerprint, r->offset)) continue;
      other.stream = std::move(r->stream);
      other.offset = r->offset;
      other.fingerprint = r->fingerprint;
      store_.remove(source_, r->store_key);
      retired_.erase(r);
      break;
    }
    if (!other.stream) {
      try {
        other.stream = std::make_unique<LineStream>(plugin_of_[other_key], labels_);
      } catch (const std::exception& e) {
        other.error = e.what();
        continue;
      }
      other.offset = 0;
    }
    read_new(other_key, other);
  }
}

void LogTails::forget(const std::string& key) {
  auto it = live_.find(key);
  if (it == live_.end()) return;
  if (it->second.fd >= 0) ::close(it->second.fd);
  store_.remove(source_, key);
  plugin_of_.erase(key);
  live_.erase(it);
}

void LogTails::gone(const std::string& key) {
  auto it = live_.find(key);
  if (it == live_.end()) return;
  Segment& seg = it->second;
  if (seg.follows.empty() && seg.stream) {
    read_new(key, seg);  // what was appended before it left
    retire(key, seg);
    adopt_followers_of(key);
  }
  if (seg.fd >= 0) ::close(seg.fd);
  store_.remove(source_, key);
  plugin_of_.erase(key);
  live_.erase(it);
}

}  // namespace rex::app
