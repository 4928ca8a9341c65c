#include "expo/gzip.hpp"

#include <gtest/gtest.h>

TEST(Gzip, RoundTripsAndCompresses) {
  std::string text;
  for (int i = 0; i < 10000; ++i)
    text += "osworld_tasks_total{category=\"c" + std::to_string(i % 7) + "\"} 1\n";
  std::string gz = rex::expo::gzip_compress(text);
  ASSERT_GE(gz.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_LT(gz.size(), text.size() / 5);
  EXPECT_EQ(rex::expo::gzip_decompress(gz), text);
}

TEST(Gzip, EmptyInput) { EXPECT_EQ(rex::expo::gzip_decompress(rex::expo::gzip_compress("")), ""); }

TEST(Gzip, GarbageIsAnError) {
  EXPECT_THROW(rex::expo::gzip_decompress("not gzip"), std::runtime_error);
}
