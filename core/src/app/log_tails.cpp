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
// A fingerprint shorter than this only matches when it is matched whole.
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
  if (fingerprint.empty() || size < offset) return false;
  size_t n = std::min(head.size(), fingerprint.size());
  if (n < fingerprint.size() && n < kMinPartialMatch) return false;
  return head.compare(0, n, fingerprint, 0, n) == 0;
}

void LogTails::publish(const std::string& store_key, const Segment& seg) {
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
  if (!seg.follows.empty()) return true;  // a copy of a live file: nothing to read yet
  return read_new(key, seg);
}

bool LogTails::start(const std::string& key, Segment& seg,
                     const std::shared_ptr<plugin::Plugin>& plugin) {
  seg.fd = ::open(seg.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (seg.fd < 0) {
    seg.error = "cannot open: " + std::string(std::strerror(errno));
    return false;
  }
  uint64_t size = size_of(seg.fd);
  std::string head = read_at(seg.fd, 0, kFingerprintBytes);

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
  // A copy of a file that is still live: a duplicate, unless the original is truncated later.
  for (const auto& [other_key, other] : live_) {
    if (other_key == key || !other.follows.empty()) continue;
    if (matches(head, size, other.fingerprint, other.offset)) {
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
