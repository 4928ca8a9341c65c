#include "store/store.hpp"

#include <spdlog/spdlog.h>

namespace rex::store {

void Store::put(const std::string& source, Document doc) {
  auto& docs = sources_[source];
  std::string key = doc.key;
  docs.insert_or_assign(std::move(key), std::move(doc));
}

bool Store::remove(const std::string& source, const std::string& key) {
  auto it = sources_.find(source);
  return it != sources_.end() && it->second.erase(key) > 0;
}

void Store::remove_source(const std::string& source) { sources_.erase(source); }

const Document* Store::find(const std::string& source, const std::string& key) const {
  auto it = sources_.find(source);
  if (it == sources_.end()) return nullptr;
  auto d = it->second.find(key);
  return d == it->second.end() ? nullptr : &d->second;
}

const std::map<std::string, Document>& Store::documents(const std::string& source) const {
  static const std::map<std::string, Document> kEmpty;
  auto it = sources_.find(source);
  return it == sources_.end() ? kEmpty : it->second;
}

namespace {

struct GaugePick {
  const Document* doc = nullptr;
  const FamilyData* family = nullptr;
};

bool newer(const Document& a, const Document& b) {
  double ta = a.effective_time(), tb = b.effective_time();
  return ta != tb ? ta > tb : a.key > b.key;
}

}  // namespace

FamilyMap Store::merge() const {
  FamilyMap out;
  std::map<std::string, double> gauge_series_time;  // "family\0labels" -> time, across sources
  conflicts_ = 0;

  // Returns the output family for `f`, or nullptr when it conflicts with an earlier declaration.
  auto target = [&](const FamilyData& f) -> FamilyData* {
    auto [it, inserted] = out.try_emplace(f.meta.name);
    if (inserted) {
      it->second.meta = f.meta;
    } else if (!it->second.meta.same_shape(f.meta)) {
      ++conflicts_;
      return nullptr;
    }
    return &it->second;
  };

  for (const auto& [source, docs] : sources_) {
    std::map<std::string, GaugePick> gauges;  // newest document per gauge family in this source
    for (const auto& [key, doc] : docs) {
      if (!doc.contribution) continue;
      for (const auto& [name, fam] : doc.contribution->families) {
        if (fam.meta.type == MetricType::gauge) {
          auto& pick = gauges[name];
          if (!fam.empty() && (!pick.doc || newer(doc, *pick.doc))) pick = {&doc, &fam};
          continue;
        }
        FamilyData* t = target(fam);
        if (!t) continue;
        for (const auto& [labels, v] : fam.scalars) t->scalars[labels] += v;
        for (const auto& [labels, h] : fam.histograms) {
          auto [hit, inserted] = t->histograms.try_emplace(labels, h);
          if (!inserted) hit->second.merge(h);
        }
      }
    }
    for (const auto& [name, pick] : gauges) {
      if (!pick.doc) continue;
      FamilyData* t = target(*pick.family);
      if (!t) continue;
      double time = pick.doc->effective_time();
      for (const auto& [labels, v] : pick.family->scalars) {
        std::string id = name;
        for (const auto& [k, val] : labels) (id += '\0') += k, (id += '\0') += val;
        auto [tit, inserted] = gauge_series_time.try_emplace(id, time);
        if (inserted || time >= tit->second) {
          tit->second = time;
          t->scalars[labels] = v;
        }
      }
    }
  }
  if (conflicts_)
    spdlog::warn("{} metric families conflict with an earlier declaration", conflicts_);
  return out;
}

}  // namespace rex::store
