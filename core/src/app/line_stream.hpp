// One log stream through a line-stream plugin: bytes in, complete lines out to the plugin, and the
// stream's accumulated contribution. Shared by the tailing engine and the `parse` command.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "plugin/plugin.hpp"
#include "store/contribution_builder.hpp"

namespace rex::app {

class LineStream {
 public:
  // Lines longer than this are skipped (counted); the stream resyncs at the next newline.
  static constexpr size_t kDefaultMaxLineBytes = 1 << 20;

  // Creates the plugin's instance. Throws std::runtime_error when the plugin cannot create one.
  LineStream(std::shared_ptr<plugin::Plugin> plugin, store::LabelSet constant_labels,
             size_t max_line_bytes = kDefaultMaxLineBytes);
  ~LineStream();
  LineStream(const LineStream&) = delete;
  LineStream& operator=(const LineStream&) = delete;

  // Feeds bytes as they come; complete lines go to the plugin, a partial last line is held.
  // `padded`: REX_INPUT_PADDING readable bytes follow `bytes`, so lines are handed to the plugin
  // in place instead of copied.
  void feed(std::string_view bytes, bool padded = false);
  // The writer is done with this stream (rotated away, or end of a one-shot read): a held
  // partial line is fed as a complete one.
  void finish();

  std::shared_ptr<const store::Contribution> contribution() const { return builder_.snapshot(); }
  const std::string& plugin_name() const { return plugin_->name(); }
  uint64_t lines() const noexcept { return lines_; }
  const std::string& last_error() const noexcept { return last_error_; }

 private:
  void feed_line(std::string_view line, bool in_place);

  std::shared_ptr<plugin::Plugin> plugin_;  // keeps the library loaded while the instance lives
  store::ContributionBuilder builder_;
  rex_stream* instance_ = nullptr;
  size_t max_line_bytes_;
  std::string partial_;      // the incomplete last line, padded when fed
  bool discarding_ = false;  // inside an over-long line, until its newline
  std::string line_buffer_;  // a line plus padding, handed to the plugin
  uint64_t lines_ = 0;
  std::string last_error_;
};

}  // namespace rex::app
