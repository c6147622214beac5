#include "common/log_throttle.h"

#include <gtest/gtest.h>

namespace msx {
namespace {

TEST(LogThrottleTest, FirstEventPassesThenOnePerIntervalWithTheCountHeldBack) {
  FakeClock clock;
  LogThrottle throttle(clock, 10);
  uint64_t held_back = 99;
  ASSERT_TRUE(throttle.Allow(&held_back));
  EXPECT_EQ(held_back, 0u);

  for (int i = 0; i < 5; ++i) {
    clock.Advance(1);
    EXPECT_FALSE(throttle.Allow(&held_back));
  }
  clock.Advance(4.9);  // 9.9 s after the first
  EXPECT_FALSE(throttle.Allow(&held_back));
  clock.Advance(0.1);
  ASSERT_TRUE(throttle.Allow(&held_back));
  EXPECT_EQ(held_back, 6u);

  clock.Advance(60);  // quiet for a long time: the next one passes with nothing held
  ASSERT_TRUE(throttle.Allow(&held_back));
  EXPECT_EQ(held_back, 0u);
}

}  // namespace
}  // namespace msx
