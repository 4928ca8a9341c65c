// The host side of one plugin call: implements the rex_host callbacks and collects what the plugin
// emits into a Contribution. Validates every emission; nothing reaches the store unless the whole
// call succeeds (no half-applied document).
#pragma once

#include <results_exporter/plugin_abi.h>

#include <memory>
#include <string>
#include <vector>

#include "store/model.hpp"

namespace rex::store {

class ContributionBuilder {
 public:
  // `constant_labels` (sorted) are added to every series; they win over a plugin label of the same
  // name, so a source's labels can always tell its series apart.
  explicit ContributionBuilder(LabelSet constant_labels = {});

  ContributionBuilder(const ContributionBuilder&) = delete;
  ContributionBuilder& operator=(const ContributionBuilder&) = delete;

  // The callback table to hand to the plugin; valid while this builder lives.
  const rex_host* host() const noexcept { return &host_; }

  // A fatal problem with what the plugin emitted (an invalid family, say); the document fails.
  const std::string& emit_error() const noexcept { return emit_error_; }
  // The message the plugin set with set_error.
  const std::string& plugin_error() const noexcept { return plugin_error_; }

  // Takes the finished contribution; call once, after a successful parse.
  std::shared_ptr<const Contribution> finish();
  // A copy of what has been collected so far; the builder goes on (line streams).
  std::shared_ptr<const Contribution> snapshot() const;
  // Counts a skipped record (a malformed line, say) on the host's initiative.
  void count_skipped(std::string reason) { skip(std::move(reason)); }
  // Forgets the plugin's error message before the next call.
  void clear_plugin_error() { plugin_error_.clear(); }

  // Validation helpers, shared with the config loader.
  static bool valid_metric_name(std::string_view name) noexcept;
  static bool valid_label_name(std::string_view name) noexcept;
  static bool valid_utf8(std::string_view s) noexcept;

 private:
  struct Callbacks;
  friend struct Callbacks;

  int32_t declare(const rex_family_desc* desc);
  FamilyData* family(int32_t id, MetricType expected);
  bool make_labels(FamilyData& f, const rex_label* labels, size_t n, LabelSet& out);
  void skip(std::string reason);
  void fail(std::string message);

  rex_host host_{};
  LabelSet constant_labels_;
  Contribution contribution_;
  std::vector<FamilyData*> declared_;  // family id -> family in contribution_.families
  std::string emit_error_;
  std::string plugin_error_;
  LabelSet scratch_;
};

}  // namespace rex::store
