// The text readers every test-report plugin shares (plugins/testreport_common/testreport.hpp).
#include <gtest/gtest.h>

#include "testreport.hpp"
#include "testreport_common.hpp"

namespace tr = rex::testreport;
using tr::Num;

TEST(TestreportSeconds, TheWaysReportsWriteADuration) {
  double v = -1;
  EXPECT_EQ(tr::parse_seconds("0.25", v), Num::ok);
  EXPECT_EQ(v, 0.25);
  EXPECT_EQ(tr::parse_seconds("3.", v), Num::ok);  // GoogleTest
  EXPECT_EQ(v, 3);
  EXPECT_EQ(tr::parse_seconds(" 12 ", v), Num::ok);
  EXPECT_EQ(v, 12);
  EXPECT_EQ(tr::parse_seconds("1,234.5", v), Num::ok);  // Surefire's grouping commas
  EXPECT_EQ(v, 1234.5);
  EXPECT_EQ(tr::parse_seconds("1,234,567", v), Num::ok);
  EXPECT_EQ(v, 1234567);
  EXPECT_EQ(tr::parse_seconds("0.003s", v, true), Num::ok);  // GoogleTest JSON
  EXPECT_EQ(v, 0.003);
  EXPECT_EQ(tr::parse_seconds("0s", v, true), Num::ok);
  EXPECT_EQ(v, 0);
  EXPECT_EQ(tr::parse_seconds("1e-3", v), Num::ok);
  EXPECT_EQ(v, 0.001);
}

TEST(TestreportSeconds, WhatIsNotADuration) {
  double v = 7;
  EXPECT_EQ(tr::parse_seconds("", v), Num::absent);
  EXPECT_EQ(tr::parse_seconds("  ", v), Num::absent);
  EXPECT_EQ(tr::parse_seconds("-0.5", v), Num::negative);
  for (const char* bad : {"fast", "0.003s", "1,23.5", "12,34", ",123", "1,2345", "1.234,5", "NaN",
                          "nan", "inf", "Infinity", "0x10", "1..2", "3 s"})
    EXPECT_EQ(tr::parse_seconds(bad, v), Num::invalid) << bad;
  EXPECT_EQ(v, 7);  // untouched
}

TEST(TestreportCounts, WholeNumbersOnly) {
  uint64_t n = 0;
  EXPECT_TRUE(tr::parse_count("12", n));
  EXPECT_EQ(n, 12u);
  EXPECT_TRUE(tr::parse_count("1,024", n));
  EXPECT_EQ(n, 1024u);
  for (const char* bad : {"", "1.5", "-1", "many", "1e300"})
    EXPECT_FALSE(tr::parse_count(bad, n)) << bad;
}

TEST(TestreportTime, Iso8601WithAndWithoutAZone) {
  tr::Instant t;
  ASSERT_TRUE(tr::parse_iso8601("2025-10-28T23:40:00Z", t));
  EXPECT_EQ(t.seconds, 1761694800);
  EXPECT_FALSE(t.naive);
  ASSERT_TRUE(tr::parse_iso8601("2025-10-29T01:40:00.5+02:00", t));
  EXPECT_EQ(t.seconds, 1761694800.5);
  EXPECT_FALSE(t.naive);
  ASSERT_TRUE(tr::parse_iso8601("2025-10-28T18:40:00-0500", t));
  EXPECT_EQ(t.seconds, 1761694800);
  ASSERT_TRUE(tr::parse_iso8601("2025-10-28T23:40:00.123456", t));  // pytest: local, no zone
  EXPECT_TRUE(t.naive);
  EXPECT_NEAR(t.seconds, 1761694800.123456, 1e-6);
  ASSERT_TRUE(tr::parse_iso8601("2025-10-28 23:40", t));
  EXPECT_EQ(t.seconds, 1761694800);
  ASSERT_TRUE(tr::parse_iso8601("1970-01-01T00:00:00.000", t));  // a disabled GoogleTest test
  EXPECT_EQ(t.seconds, 0);
  for (const char* bad :
       {"", "yesterday", "2025-10-28", "2025-13-01T00:00:00", "2025-10-28T23:40:00+25:00",
        "2025-10-28T23:40:00 UTC", "1761694800", "2025-10-28T23:40:00."})
    EXPECT_FALSE(tr::parse_iso8601(bad, t)) << bad;
}

TEST(TestreportTime, ANaiveTimeIsTheExportersLocalTime) {
  tr::Instant t;
  ASSERT_TRUE(tr::parse_iso8601("2025-10-28T23:40:00", t));
  {
    rex::test::TzGuard tz("UTC");
    EXPECT_EQ(tr::resolve(t, tr::NaiveZone::local), 1761694800);
  }
  {
    rex::test::TzGuard tz("EST5");  // UTC-5, no daylight saving
    EXPECT_EQ(tr::resolve(t, tr::NaiveZone::local), 1761694800 + 5 * 3600);
    EXPECT_EQ(tr::resolve(t, tr::NaiveZone::utc), 1761694800);
    tr::Instant zoned;
    ASSERT_TRUE(tr::parse_iso8601("2025-10-28T23:40:00Z", zoned));
    EXPECT_EQ(tr::resolve(zoned, tr::NaiveZone::local), 1761694800);
  }
}

TEST(TestreportOutcomes, TheCatalogueSpelling) {
  EXPECT_EQ(tr::outcome_from("xfailed"), tr::Outcome::xfailed);
  EXPECT_EQ(tr::outcome_from("error"), tr::Outcome::error);
  EXPECT_FALSE(tr::outcome_from("errors").has_value());
  EXPECT_FALSE(tr::outcome_from("rerun").has_value());
  EXPECT_FALSE(tr::outcome_from("Passed").has_value());
}
