#include "app/document_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <results_exporter/plugin_abi.h>

namespace rex::app {

namespace {
FileIdentity identity_of(const struct stat& st) {
  FileIdentity id;
  id.device = st.st_dev;
  id.inode = st.st_ino;
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return id;
}
}  // namespace

void PaddedDocument::strip_bom() noexcept {
  std::string_view b = bytes();
  if (b.size() >= 3 && b.substr(0, 3) == "\xEF\xBB\xBF") {
    offset_ += 3;
    size_ -= 3;
  }
}

bool stat_file(const std::string& path, FileIdentity& identity) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  identity = identity_of(st);
  return true;
}

int open_regular_file(const std::string& path, FileIdentity& identity, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open: " + std::string(std::strerror(errno));
    return -1;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = "not a regular file";
    ::close(fd);
    return -1;
  }
  identity = identity_of(st);
  return fd;
}

bool PaddedDocument::read_file(const std::string& path, uint64_t max_bytes, PaddedDocument& out,
                               FileIdentity& identity, std::string& error) {
  int fd = open_regular_file(path, identity, error);
  if (fd < 0) return false;
  if (identity.size > max_bytes) {
    error = "file is " + std::to_string(identity.size) + " bytes, over max_document_bytes (" +
            std::to_string(max_bytes) + ")";
    ::close(fd);
    return false;
  }
  // The file may grow or shrink while we read: read until EOF, within the limit.
  out.buffer_.assign(identity.size + 4096 + REX_INPUT_PADDING, 0);
  size_t used = 0;
  for (;;) {
    if (out.buffer_.size() - used < REX_INPUT_PADDING + 4096) {
      if (used > max_bytes) {
        error = "file grew over max_document_bytes while being read";
        ::close(fd);
        return false;
      }
      out.buffer_.resize(out.buffer_.size() * 2 + 4096, 0);
    }
    ssize_t n =
        ::read(fd, out.buffer_.data() + used, out.buffer_.size() - used - REX_INPUT_PADDING);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = "read failed: " + std::string(std::strerror(errno));
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  std::memset(out.buffer_.data() + used, 0, out.buffer_.size() - used);
  out.offset_ = 0;
  out.size_ = used;
  return true;
}

bool PaddedDocument::read_head(const std::string& path, size_t max_bytes, PaddedDocument& out,
                               FileIdentity& identity, std::string& error) {
  int fd = open_regular_file(path, identity, error);
  if (fd < 0) return false;
  out.buffer_.assign(max_bytes + REX_INPUT_PADDING, 0);
  ssize_t n = ::pread(fd, out.buffer_.data(), max_bytes, 0);
  ::close(fd);
  if (n < 0) {
    error = "read failed: " + std::string(std::strerror(errno));
    return false;
  }
  out.offset_ = 0;
  out.size_ = static_cast<size_t>(n);
  return true;
}

PaddedDocument PaddedDocument::from_bytes(std::string_view bytes) {
  PaddedDocument d;
  d.buffer_.assign(bytes.size() + REX_INPUT_PADDING, 0);
  std::memcpy(d.buffer_.data(), bytes.data(), bytes.size());
  d.size_ = bytes.size();
  return d;
}

}  // namespace rex::app
