// Reads a whole file into a padded buffer, the form plugins take documents in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rex::app {

struct FileIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;

  std::string key() const { return std::to_string(device) + ":" + std::to_string(inode); }
  bool same_version(const FileIdentity& o) const {
    return device == o.device && inode == o.inode && size == o.size && mtime_ns == o.mtime_ns;
  }
};

// The bytes of a document plus REX_INPUT_PADDING zero bytes after them.
class PaddedDocument {
 public:
  std::string_view bytes() const noexcept { return {buffer_.data() + offset_, size_}; }
  // Drops a leading UTF-8 byte order mark, which JSON parsers reject.
  void strip_bom() noexcept;

  // Reads `path` with read(2), never mmap: a file truncated while we read must not SIGBUS.
  // Returns false and sets `error` when the file cannot be read or exceeds `max_bytes`.
  static bool read_file(const std::string& path, uint64_t max_bytes, PaddedDocument& out,
                        FileIdentity& identity, std::string& error);
  static PaddedDocument from_bytes(std::string_view bytes);
  // Reads at most the first `max_bytes` of `path` (for probing).
  static bool read_head(const std::string& path, size_t max_bytes, PaddedDocument& out,
                        FileIdentity& identity, std::string& error);

 private:
  std::vector<char> buffer_;
  size_t offset_ = 0;
  size_t size_ = 0;
};

// Opens a regular file for reading (following symlinks) and fills its identity. Returns the
// descriptor, or -1 with `error` set.
int open_regular_file(const std::string& path, FileIdentity& identity, std::string& error);

// stat(2) of a path, following symlinks. Returns false when it is not a readable regular file.
bool stat_file(const std::string& path, FileIdentity& identity);

}  // namespace rex::app
