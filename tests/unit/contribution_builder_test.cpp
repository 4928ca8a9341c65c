// The host side of the ABI: what a plugin emits is validated before it can reach the store.
#include "store/contribution_builder.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

using rex::store::ContributionBuilder;

namespace {

rex_str s(const char* text) { return rex_str{text, std::strlen(text)}; }

int32_t declare(ContributionBuilder& b, const char* name, rex_metric_type type,
                std::vector<double> bounds = {}) {
  rex_family_desc d{};
  d.struct_size = sizeof d;
  d.name = s(name);
  d.help = s("help");
  d.type = type;
  d.bucket_bounds = bounds.data();
  d.bucket_count = bounds.size();
  return b.host()->declare_family(b.host()->ctx, &d);
}

void add(ContributionBuilder& b, int32_t fam,
         std::vector<std::pair<const char*, const char*>> labels, double v) {
  std::vector<rex_label> ls;
  for (auto [k, val] : labels) ls.push_back({s(k), s(val)});
  b.host()->counter_add(b.host()->ctx, fam, ls.data(), ls.size(), v);
}

}  // namespace

TEST(ContributionBuilder, CollectsCountersGaugesAndHistograms) {
  ContributionBuilder b;
  auto c = declare(b, "c_total", REX_METRIC_COUNTER);
  auto g = declare(b, "g", REX_METRIC_GAUGE);
  auto h = declare(b, "h", REX_METRIC_HISTOGRAM, {1, 5});
  add(b, c, {{"k", "v"}}, 2);
  add(b, c, {{"k", "v"}}, 3);
  rex_label l{s("k"), s("v")};
  b.host()->gauge_set(b.host()->ctx, g, &l, 1, 7);
  b.host()->gauge_set(b.host()->ctx, g, &l, 1, 8);
  b.host()->histogram_observe(b.host()->ctx, h, nullptr, 0, 1.0);  // le="1" is inclusive
  b.host()->histogram_observe(b.host()->ctx, h, nullptr, 0, 9.0);
  uint64_t counts[] = {1, 1, 0};
  b.host()->histogram_merge(b.host()->ctx, h, nullptr, 0, counts, 2, 3.5);
  b.host()->set_document_timestamp(b.host()->ctx, 1234);
  ASSERT_EQ(b.emit_error(), "");
  auto out = b.finish();
  EXPECT_EQ(out->families.at("c_total").scalars.at({{"k", "v"}}), 5);
  EXPECT_EQ(out->families.at("g").scalars.at({{"k", "v"}}), 8);
  const auto& hv = out->families.at("h").histograms.at({});
  EXPECT_EQ(hv.bucket_counts, (std::vector<uint64_t>{2, 1, 1}));
  EXPECT_EQ(hv.sum, 13.5);
  EXPECT_EQ(out->timestamp, 1234);
}

TEST(ContributionBuilder, InvalidFamiliesFailTheDocument) {
  for (const char* bad : {"", "9starts_with_digit", "has space", "results_exporter_mine"}) {
    ContributionBuilder b;
    EXPECT_EQ(declare(b, bad, REX_METRIC_COUNTER), -1) << bad;
    EXPECT_FALSE(b.emit_error().empty()) << bad;
  }
  ContributionBuilder b;
  EXPECT_EQ(declare(b, "h", REX_METRIC_HISTOGRAM, {5, 1}), -1);
  ContributionBuilder b2;
  EXPECT_GE(declare(b2, "x", REX_METRIC_COUNTER), 0);
  EXPECT_EQ(declare(b2, "x", REX_METRIC_GAUGE), -1);
  EXPECT_NE(b2.emit_error().find("declared twice"), std::string::npos);
}

TEST(ContributionBuilder, WrongTypeOrUnknownFamilyIdFailsTheDocument) {
  ContributionBuilder b;
  auto g = declare(b, "g", REX_METRIC_GAUGE);
  add(b, g, {}, 1);  // counter_add on a gauge
  EXPECT_NE(b.emit_error().find("wrong type"), std::string::npos);
  ContributionBuilder b2;
  add(b2, 42, {}, 1);
  EXPECT_NE(b2.emit_error().find("undeclared family"), std::string::npos);
}

TEST(ContributionBuilder, BadSamplesAreSkippedAndCounted) {
  ContributionBuilder b;
  auto c = declare(b, "c_total", REX_METRIC_COUNTER);
  add(b, c, {{"__reserved", "x"}}, 1);
  add(b, c, {{"bad-name", "x"}}, 1);
  add(b, c, {{"k", "\xff\xfe"}}, 1);  // not UTF-8
  add(b, c, {{"k", "a"}, {"k", "b"}}, 1);
  add(b, c, {}, -1);
  add(b, c, {}, std::nan(""));
  add(b, c, {{"k", "ok"}}, 1);
  EXPECT_EQ(b.emit_error(), "");
  auto out = b.finish();
  EXPECT_EQ(out->records_skipped, 6u);
  EXPECT_EQ(out->families.at("c_total").scalars.size(), 1u);
}

TEST(ContributionBuilder, ConstantLabelsAreAddedAndWin) {
  ContributionBuilder b(rex::store::LabelSet{{"team", "infra"}});
  auto c = declare(b, "c_total", REX_METRIC_COUNTER);
  add(b, c, {{"team", "plugin-says"}, {"z", "1"}}, 1);
  auto out = b.finish();
  rex::store::LabelSet expected{{"team", "infra"}, {"z", "1"}};
  EXPECT_EQ(out->families.at("c_total").scalars.count(expected), 1u);
}

TEST(ContributionBuilder, Utf8Validation) {
  EXPECT_TRUE(ContributionBuilder::valid_utf8("plain"));
  EXPECT_TRUE(ContributionBuilder::valid_utf8("arrow \xe2\x86\x92 ok"));
  EXPECT_TRUE(ContributionBuilder::valid_utf8("\xf0\x9f\x98\x80"));
  EXPECT_FALSE(ContributionBuilder::valid_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(ContributionBuilder::valid_utf8("\xe2\x86"));          // truncated
  EXPECT_FALSE(ContributionBuilder::valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(ContributionBuilder::valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
}
