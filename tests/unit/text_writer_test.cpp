#include "expo/text_writer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <locale>

using namespace rex;

namespace {
store::FamilyData family(const char* name, store::MetricType type, const char* help = "Help.") {
  store::FamilyData f;
  f.meta.name = name;
  f.meta.type = type;
  f.meta.help = help;
  return f;
}
}  // namespace

TEST(TextWriter, Values) {
  auto v = [](double d) {
    std::string s;
    expo::append_value(s, d);
    return s;
  };
  EXPECT_EQ(v(0), "0");
  EXPECT_EQ(v(5), "5");
  EXPECT_EQ(v(-2.5), "-2.5");
  EXPECT_EQ(v(0.1), "0.1");
  EXPECT_EQ(v(1e21), "1e+21");
  EXPECT_EQ(v(66.66666666666667), "66.66666666666667");
  EXPECT_EQ(v(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(v(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(v(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(TextWriter, ValuesIgnoreTheLocale) {
  // A locale whose decimal point is a comma, as a German one has; the exposition must not follow
  // it.
  struct CommaDecimal : std::numpunct<char> {
    char do_decimal_point() const override { return ','; }
  };
  std::locale previous = std::locale::global(std::locale(std::locale::classic(), new CommaDecimal));
  std::string s;
  expo::append_value(s, 0.5);
  std::locale::global(previous);
  EXPECT_EQ(s, "0.5");
}

TEST(TextWriter, LabelValuesAndHelpAreEscaped) {
  auto f = family("m", store::MetricType::gauge, "Line one\nback\\slash \"quotes\" stay");
  f.scalars[{{"path", "C:\\dir\\\"x\"\nnext"}}] = 1;
  EXPECT_EQ(expo::render({{"m", f}}),
            "# HELP m Line one\\nback\\\\slash \"quotes\" stay\n"
            "# TYPE m gauge\n"
            "m{path=\"C:\\\\dir\\\\\\\"x\\\"\\nnext\"} 1\n");
}

TEST(TextWriter, CounterWithoutLabels) {
  auto f = family("jobs_total", store::MetricType::counter);
  f.scalars[{}] = 3;
  EXPECT_EQ(expo::render({{"jobs_total", f}}),
            "# HELP jobs_total Help.\n# TYPE jobs_total counter\njobs_total 3\n");
}

TEST(TextWriter, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  auto f = family("d_seconds", store::MetricType::histogram);
  f.meta.bucket_bounds = {0.5, 1, 2.5};
  store::HistogramValue h;
  h.bucket_counts = {1, 0, 2, 1};  // non-cumulative; the last is +Inf
  h.sum = 9.75;
  f.histograms[{{"category", "a"}}] = h;
  EXPECT_EQ(expo::render({{"d_seconds", f}}),
            "# HELP d_seconds Help.\n# TYPE d_seconds histogram\n"
            "d_seconds_bucket{category=\"a\",le=\"0.5\"} 1\n"
            "d_seconds_bucket{category=\"a\",le=\"1\"} 1\n"
            "d_seconds_bucket{category=\"a\",le=\"2.5\"} 3\n"
            "d_seconds_bucket{category=\"a\",le=\"+Inf\"} 4\n"
            "d_seconds_sum{category=\"a\"} 9.75\n"
            "d_seconds_count{category=\"a\"} 4\n");
}

TEST(TextWriter, AFamilyWithoutSamplesIsAbsent) {
  EXPECT_EQ(expo::render({{"m", family("m", store::MetricType::gauge)}}), "");
}

TEST(TextWriter, SpecialFloatsInSamples) {
  auto f = family("g", store::MetricType::gauge);
  f.scalars[{{"k", "nan"}}] = std::nan("");
  f.scalars[{{"k", "pinf"}}] = std::numeric_limits<double>::infinity();
  std::string out = expo::render({{"g", f}});
  EXPECT_NE(out.find("g{k=\"nan\"} NaN\n"), std::string::npos);
  EXPECT_NE(out.find("g{k=\"pinf\"} +Inf\n"), std::string::npos);
}
