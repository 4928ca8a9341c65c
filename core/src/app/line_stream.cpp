#include "app/line_stream.hpp"

#include <cstring>
#include <stdexcept>

namespace rex::app {

LineStream::LineStream(std::shared_ptr<plugin::Plugin> plugin, store::LabelSet constant_labels,
                       size_t max_line_bytes)
    : plugin_(std::move(plugin)),
      builder_(std::move(constant_labels)),
      max_line_bytes_(max_line_bytes) {
  instance_ = plugin_->create_stream(builder_.host());
  if (!instance_)
    throw std::runtime_error("plugin " + plugin_->name() + " could not create a stream instance");
}

LineStream::~LineStream() {
  if (instance_) plugin_->destroy_stream(instance_);
}

void LineStream::feed(std::string_view bytes, bool padded) {
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      if (discarding_) return;
      if (partial_.size() + bytes.size() > max_line_bytes_) {
        builder_.count_skipped("line longer than " + std::to_string(max_line_bytes_) + " bytes");
        partial_.clear();
        discarding_ = true;
        return;
      }
      partial_.append(bytes);
      return;
    }
    std::string_view piece = bytes.substr(0, nl);
    bytes.remove_prefix(nl + 1);
    if (discarding_) {
      discarding_ = false;  // resync: the over-long line ends here
      continue;
    }
    if (partial_.empty()) {
      if (piece.size() > max_line_bytes_) {
        builder_.count_skipped("line longer than " + std::to_string(max_line_bytes_) + " bytes");
        continue;
      }
      feed_line(piece, padded);
    } else {
      if (partial_.size() + piece.size() > max_line_bytes_) {
        builder_.count_skipped("line longer than " + std::to_string(max_line_bytes_) + " bytes");
      } else {
        partial_.append(piece);
        feed_line(partial_, false);
      }
      partial_.clear();
    }
  }
}

void LineStream::finish() {
  if (!partial_.empty()) {
    std::string last = std::move(partial_);
    partial_.clear();
    feed_line(last, false);
  }
  discarding_ = false;
}

void LineStream::feed_line(std::string_view line, bool in_place) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  ++lines_;
  const char* data = line.data();
  if (!in_place) {
    // The plugin may read REX_INPUT_PADDING bytes past the end: hand it a padded copy.
    line_buffer_.assign(line);
    line_buffer_.append(REX_INPUT_PADDING, '\0');
    data = line_buffer_.data();
  }
  builder_.clear_plugin_error();
  rex_status st = plugin_->feed_line(instance_, builder_.host(), data, line.size());
  if (st != REX_STATUS_OK) {
    last_error_ = builder_.plugin_error().empty() ? "malformed line" : builder_.plugin_error();
    builder_.count_skipped("line " + std::to_string(lines_) + ": " + last_error_);
  }
}

}  // namespace rex::app
