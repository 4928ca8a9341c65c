// What the HTTP side serves: an immutable rendering, published whole by the ingest thread.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace rex::app {

class Snapshot {
 public:
  Snapshot(std::string metrics, std::string status_json, bool ready, uint64_t generation)
      : metrics_(std::move(metrics)),
        status_json_(std::move(status_json)),
        ready_(ready),
        generation_(generation) {}

  const std::string& metrics() const noexcept { return metrics_; }
  // The gzip form of metrics(), compressed on first request and kept with this snapshot.
  const std::string& metrics_gzip() const;
  const std::string& status_json() const noexcept { return status_json_; }
  bool ready() const noexcept { return ready_; }

  // What the HTTP side needs of the config, published with the data so it changes atomically too.
  struct Access {
    std::optional<std::string> auth_token;  // required for push and reload when set
    uint64_t push_body_limit = 0;           // 0: push is off
  };
  Access access;  // set before publishing
  uint64_t generation() const noexcept { return generation_; }

 private:
  std::string metrics_;
  std::string status_json_;
  bool ready_;
  uint64_t generation_;
  mutable std::once_flag gzip_once_;
  mutable std::string metrics_gzip_;
};

// The current snapshot. A mutex, not an atomic shared_ptr: it is held for a pointer copy only.
class SnapshotSlot {
 public:
  std::shared_ptr<const Snapshot> get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void publish(std::shared_ptr<const Snapshot> s) {
    std::lock_guard lock(mutex_);
    current_.swap(s);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> current_;
};

}  // namespace rex::app
