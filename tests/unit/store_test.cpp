// The merge rules: counters and histograms summed over documents, gauges from the newest document.
#include "store/store.hpp"

#include <gtest/gtest.h>

using namespace rex::store;

namespace {

struct DocBuilder {
  Contribution c;
  DocBuilder& counter(const std::string& name, LabelSet l, double v) {
    auto& f = c.families[name];
    f.meta = {name, "h", MetricType::counter, {}};
    f.scalars[l] += v;
    return *this;
  }
  DocBuilder& gauge(const std::string& name, LabelSet l, double v) {
    auto& f = c.families[name];
    f.meta = {name, "h", MetricType::gauge, {}};
    f.scalars[l] = v;
    return *this;
  }
  DocBuilder& hist(const std::string& name, LabelSet l, std::vector<uint64_t> counts, double sum,
                   std::vector<double> bounds = {1}) {
    auto& f = c.families[name];
    f.meta = {name, "h", MetricType::histogram, bounds};
    f.histograms[l] = HistogramValue{counts, sum};
    return *this;
  }
  DocBuilder& at(double t) {
    c.timestamp = t;
    return *this;
  }
  Document doc(const std::string& key, double mtime = 0) {
    Document d;
    d.key = key;
    d.path = "/r/" + key;
    d.plugin = "p";
    d.mtime = mtime;
    d.contribution = std::make_shared<const Contribution>(c);
    return d;
  }
};

double scalar(const FamilyMap& m, const std::string& f, const LabelSet& l) {
  auto it = m.find(f);
  if (it == m.end()) return -1;
  auto s = it->second.scalars.find(l);
  return s == it->second.scalars.end() ? -1 : s->second;
}

}  // namespace

TEST(Store, CountersAreSummedOverDocuments) {
  Store s;
  s.put("src", DocBuilder().counter("c_total", {{"k", "a"}}, 2).doc("1"));
  s.put("src", DocBuilder()
                   .counter("c_total", {{"k", "a"}}, 3)
                   .counter("c_total", {{"k", "b"}}, 1)
                   .doc("2"));
  auto m = s.merge();
  EXPECT_EQ(scalar(m, "c_total", {{"k", "a"}}), 5);
  EXPECT_EQ(scalar(m, "c_total", {{"k", "b"}}), 1);
}

TEST(Store, ARewrittenDocumentReplacesItsContribution) {
  Store s;
  s.put("src", DocBuilder().counter("c_total", {}, 2).doc("1"));
  s.put("src", DocBuilder().counter("c_total", {}, 7).doc("1"));
  EXPECT_EQ(scalar(s.merge(), "c_total", {}), 7);
}

TEST(Store, ARemovedDocumentTakesItsContributionAway) {
  Store s;
  s.put("src", DocBuilder().counter("c_total", {}, 2).doc("1"));
  s.put("src", DocBuilder().counter("c_total", {}, 3).doc("2"));
  EXPECT_TRUE(s.remove("src", "1"));
  EXPECT_FALSE(s.remove("src", "1"));
  EXPECT_EQ(scalar(s.merge(), "c_total", {}), 3);
  EXPECT_TRUE(s.remove("src", "2"));
  EXPECT_EQ(s.merge().count("c_total"), 0u);  // absent, not 0
}

TEST(Store, AGaugeFamilyComesWholeFromTheNewestDocument) {
  Store s;
  // The newer document (by its own timestamp) has category b only: a is not kept from the older.
  s.put("src", DocBuilder()
                   .gauge("rate", {{"c", "a"}}, 10)
                   .gauge("rate", {{"c", "b"}}, 20)
                   .at(100)
                   .doc("old", 999));
  s.put("src", DocBuilder().gauge("rate", {{"c", "b"}}, 30).at(200).doc("new", 1));
  auto m = s.merge();
  EXPECT_EQ(scalar(m, "rate", {{"c", "b"}}), 30);
  EXPECT_EQ(scalar(m, "rate", {{"c", "a"}}), -1);
}

TEST(Store, WithoutTimestampsTheMtimeDecidesAndTiesGoToTheGreaterKey) {
  Store s;
  s.put("src", DocBuilder().gauge("g", {}, 1).doc("a", 50));
  s.put("src", DocBuilder().gauge("g", {}, 2).doc("b", 40));
  EXPECT_EQ(scalar(s.merge(), "g", {}), 1);
  s.put("src", DocBuilder().gauge("g", {}, 3).doc("c", 50));
  EXPECT_EQ(scalar(s.merge(), "g", {}), 3);
}

TEST(Store, ANewestDocumentWithoutTheGaugeDoesNotHideIt) {
  Store s;
  s.put("src", DocBuilder().gauge("mock", {{"b", "mock"}}, 60).at(100).doc("1"));
  s.put("src", DocBuilder().counter("c_total", {}, 1).at(200).doc("2"));
  EXPECT_EQ(scalar(s.merge(), "mock", {{"b", "mock"}}), 60);
}

TEST(Store, GaugesArePickedPerSource) {
  Store s;
  s.put("one", DocBuilder().gauge("g", {{"src", "one"}}, 1).at(100).doc("1"));
  s.put("two", DocBuilder().gauge("g", {{"src", "two"}}, 2).at(50).doc("1"));
  auto m = s.merge();
  EXPECT_EQ(scalar(m, "g", {{"src", "one"}}), 1);
  EXPECT_EQ(scalar(m, "g", {{"src", "two"}}), 2);
}

TEST(Store, HistogramsAreMergedBucketByBucket) {
  Store s;
  s.put("src", DocBuilder().hist("h", {}, {1, 2}, 5.5).doc("1"));
  s.put("src", DocBuilder().hist("h", {}, {3, 0}, 1.5).doc("2"));
  auto m = s.merge();
  const auto& h = m.at("h").histograms.at({});
  EXPECT_EQ(h.bucket_counts, (std::vector<uint64_t>{4, 2}));
  EXPECT_EQ(h.sum, 7);
}

TEST(Store, ConflictingDeclarationsAreLeftOutAndCounted) {
  Store s;
  s.put("src", DocBuilder().hist("h", {}, {1, 2}, 5.5, {1}).doc("1"));
  s.put("src", DocBuilder().hist("h", {}, {1, 1, 1}, 5.5, {1, 2}).doc("2"));
  auto m = s.merge();
  EXPECT_EQ(m.at("h").histograms.at({}).count(), 3u);
  EXPECT_EQ(s.conflicts(), 1u);
}

TEST(Store, MergeIsIndependentOfInsertionOrder) {
  Store a, b;
  auto d1 = DocBuilder().gauge("g", {}, 1).counter("c", {}, 1).doc("x", 10);
  auto d2 = DocBuilder().gauge("g", {}, 2).counter("c", {}, 2).doc("y", 10);
  a.put("s", d1);
  a.put("s", d2);
  b.put("s", d2);
  b.put("s", d1);
  EXPECT_EQ(scalar(a.merge(), "g", {}), scalar(b.merge(), "g", {}));
  EXPECT_EQ(scalar(a.merge(), "c", {}), 3);
}
