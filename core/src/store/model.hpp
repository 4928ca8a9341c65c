// The data model shared by the store and the exposition writer: families, label sets, values.
// Plain structs; no I/O and no wire format here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rex::store {

enum class MetricType { counter, gauge, histogram };

const char* to_string(MetricType t) noexcept;

// Label pairs sorted by name, unique names: the identity of a series within a family.
using LabelSet = std::vector<std::pair<std::string, std::string>>;

struct FamilyMeta {
  std::string name;
  std::string help;
  MetricType type = MetricType::gauge;
  std::vector<double> bucket_bounds;  // histograms only, finite and increasing; +Inf implied

  bool same_shape(const FamilyMeta& o) const {
    return type == o.type && bucket_bounds == o.bucket_bounds;
  }
};

struct HistogramValue {
  std::vector<uint64_t> bucket_counts;  // non-cumulative, bucket_bounds.size() + 1 entries
  double sum = 0;

  uint64_t count() const noexcept {
    uint64_t c = 0;
    for (auto n : bucket_counts) c += n;
    return c;
  }
  void merge(const HistogramValue& o) {
    if (bucket_counts.size() < o.bucket_counts.size()) bucket_counts.resize(o.bucket_counts.size());
    for (size_t i = 0; i < o.bucket_counts.size(); ++i) bucket_counts[i] += o.bucket_counts[i];
    sum += o.sum;
  }
};

struct FamilyData {
  FamilyMeta meta;
  std::map<LabelSet, double> scalars;             // counters and gauges
  std::map<LabelSet, HistogramValue> histograms;  // histograms

  bool empty() const noexcept { return scalars.empty() && histograms.empty(); }
};

// Families by name, so rendering is in a stable order.
using FamilyMap = std::map<std::string, FamilyData>;

// What one document contributes. Immutable once built; shared between snapshots.
struct Contribution {
  FamilyMap families;
  std::optional<double> timestamp;  // the document's own time, when it has one
  uint64_t records_skipped = 0;
  std::vector<std::string> skip_reasons;  // the first few, for the status page
};

}  // namespace rex::store
