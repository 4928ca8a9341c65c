// Not a test of results_exporter: a GoogleTest binary whose reports (--gtest_output=xml:PATH or
// json:PATH) are fixtures for the junit_xml and gtest_json plugins. Some tests fail, skip or are
// disabled on purpose; tests/integration/test_testreports.py runs it and compares the metrics with
// the summary GoogleTest prints.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

TEST(FixtureMath, Adds) { EXPECT_EQ(2, 1 + 1); }

TEST(FixtureMath, Multiplies) { EXPECT_EQ(6, 2 * 3); }

// Two failed assertions: two <failure> elements, still one failed test.
TEST(FixtureMath, FailsTwice) {
  EXPECT_EQ(1, 2) << "on purpose";
  EXPECT_TRUE(false) << "on purpose, again";
}

TEST(FixtureMath, DISABLED_NotReady) { FAIL() << "disabled, never runs"; }

TEST(FixtureStrings, Concatenates) { EXPECT_EQ(std::string("ab"), std::string("a") + "b"); }

TEST(FixtureStrings, Skips) { GTEST_SKIP() << "skipped on purpose"; }

TEST(FixtureStrings, FailsOnce) { ADD_FAILURE() << "on purpose"; }

TEST(FixtureSlow, Sleeps) {
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  SUCCEED();
}
