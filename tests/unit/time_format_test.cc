#include "common/time_format.h"

#include <gtest/gtest.h>

#include <limits>

namespace msx {
namespace {

TEST(TimeFormatTest, Rfc3339InUtcWithTheChosenFraction) {
  EXPECT_EQ(FormatRfc3339Utc(1'700'000'000, 3), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(FormatRfc3339Utc(1'700'000'000.25, 3), "2023-11-14T22:13:20.250Z");
  EXPECT_EQ(FormatRfc3339Utc(1'700'000'000.25, 0), "2023-11-14T22:13:20Z");
  EXPECT_EQ(FormatRfc3339Utc(1'700'000'000.75, 1), "2023-11-14T22:13:20.8Z");
  EXPECT_EQ(FormatRfc3339Utc(1'700'000'000.123456, 6), "2023-11-14T22:13:20.123456Z");
}

// The log passes milliseconds as a double: each must come back as written.
TEST(TimeFormatTest, MillisecondsSurviveTheDouble) {
  EXPECT_EQ(FormatRfc3339Utc(1795723200123 / 1000.0, 3), "2026-11-26T20:00:00.123Z");
  EXPECT_EQ(FormatRfc3339Utc(1795723200999 / 1000.0, 3), "2026-11-26T20:00:00.999Z");
  EXPECT_EQ(FormatRfc3339Utc(1795723200001 / 1000.0, 3), "2026-11-26T20:00:00.001Z");
}

TEST(TimeFormatTest, RoundsIntoTheNextSecond) {
  EXPECT_EQ(FormatRfc3339Utc(1'700'000'000.9996, 3), "2023-11-14T22:13:21.000Z");
  EXPECT_EQ(FormatRfc3339Utc(1'700'000'039.6, 0), "2023-11-14T22:14:00Z");
}

TEST(TimeFormatTest, BeforeTheEpoch) {
  EXPECT_EQ(FormatRfc3339Utc(-0.5, 3), "1969-12-31T23:59:59.500Z");
  EXPECT_EQ(FormatRfc3339Utc(0, 0), "1970-01-01T00:00:00Z");
}

TEST(TimeFormatTest, OutOfRangeStaysWithinFourDigitYears) {
  EXPECT_EQ(FormatRfc3339Utc(1e300, 3), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Utc(253402300799.9999, 3), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Utc(-1e300, 3), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Utc(std::numeric_limits<double>::infinity(), 0),
            "9999-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339Utc(std::numeric_limits<double>::quiet_NaN(), 3),
            "1970-01-01T00:00:00.000Z");
}

TEST(TimeFormatTest, FractionDigitsAreClampedToNanoseconds) {
  EXPECT_EQ(FormatRfc3339Utc(0, 12), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(FormatRfc3339Utc(0, -1), "1970-01-01T00:00:00Z");
}

}  // namespace
}  // namespace msx
