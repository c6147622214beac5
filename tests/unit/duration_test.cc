#include "common/duration.h"

#include <gtest/gtest.h>

namespace msx {
namespace {

TEST(DurationTest, Parses) {
  EXPECT_EQ(ParseDurationSeconds("2s"), 2.0);
  EXPECT_EQ(ParseDurationSeconds("0s"), 0.0);
  EXPECT_EQ(ParseDurationSeconds("500ms"), 0.5);
  EXPECT_EQ(ParseDurationSeconds("1m"), 60.0);
  EXPECT_EQ(ParseDurationSeconds("1m30s"), 90.0);
  EXPECT_EQ(ParseDurationSeconds("1h2m3s4ms"), 3723.004);
  EXPECT_EQ(ParseDurationSeconds("1d"), 86400.0);
}

TEST(DurationTest, Rejects) {
  for (const char* bad : {"", "2", "s", "-1s", "1.5s", "2 s", "1s1m", "1s1s", "1x", "ms"}) {
    EXPECT_FALSE(ParseDurationSeconds(bad).has_value()) << bad;
  }
}

TEST(DurationTest, Formats) {
  EXPECT_EQ(FormatDurationSeconds(0), "0s");
  EXPECT_EQ(FormatDurationSeconds(0.5), "500ms");
  EXPECT_EQ(FormatDurationSeconds(90), "1m30s");
  EXPECT_EQ(FormatDurationSeconds(3600), "1h");
}

}  // namespace
}  // namespace msx
