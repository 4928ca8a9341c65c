// The store: every document's contribution, grouped by source, and the merge that turns them into
// the families /metrics shows.
//
// Merge rules (ARCHITECTURE.md, "documents and contributions"):
//   - counters and histograms are summed over all documents of all sources;
//   - a gauge family is taken whole from the newest document of a source that has it (newest = the
//     document's own timestamp, else its file's mtime; ties go to the greater document key, so the
//     result does not depend on the order files were seen);
//   - across sources, the same gauge series is taken from the newer document.
// A family whose type or buckets differ from the first declaration is left out of the later
// document and counted in conflicts().
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "store/model.hpp"

namespace rex::store {

struct Document {
  std::string key;     // stable identity within the source (device:inode for files)
  std::string path;    // where it was last seen, for people
  std::string plugin;  // which plugin parsed it
  double mtime = 0;    // the fallback "newest" time
  std::shared_ptr<const Contribution> contribution;

  double effective_time() const {
    return contribution && contribution->timestamp ? *contribution->timestamp : mtime;
  }
};

class Store {
 public:
  // Puts (or replaces) a document of a source. The source is created on first use.
  void put(const std::string& source, Document doc);
  // Removes a document; returns whether it was there.
  bool remove(const std::string& source, const std::string& key);
  // Removes a source and everything it contributed.
  void remove_source(const std::string& source);

  const Document* find(const std::string& source, const std::string& key) const;
  // Documents of a source by key (empty when the source has none).
  const std::map<std::string, Document>& documents(const std::string& source) const;

  // The merged families. Deterministic for a given set of documents.
  FamilyMap merge() const;
  // Families left out by the last merge because they disagreed with an earlier declaration.
  uint64_t conflicts() const noexcept { return conflicts_; }

 private:
  std::map<std::string, std::map<std::string, Document>> sources_;
  mutable uint64_t conflicts_ = 0;
  mutable uint64_t logged_conflicts_ = 0;
};

}  // namespace rex::store
