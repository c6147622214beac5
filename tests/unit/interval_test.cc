#include "judge/interval.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>

namespace msx {
namespace {

// A node writing last_update every `interval` seconds in whole seconds (as CloudStack
// does), observed by polls every `poll` seconds; returns the estimate after `polls`.
std::optional<double> Observe(double interval, double poll, int polls,
                              IntervalEstimator* estimator = nullptr) {
  IntervalEstimator local;
  IntervalEstimator& e = estimator ? *estimator : local;
  std::optional<double> estimate;
  for (int i = 1; i <= polls; ++i) {
    const double now = 1000 + i * poll + 0.37;
    const double last_write = 1000 + std::floor((now - 1000) / interval) * interval;
    estimate = e.Observe(7, now, std::floor(last_write));
  }
  return estimate;
}

TEST(IntervalTest, UnknownUntilThreeDistinctValues) {
  IntervalEstimator e;
  EXPECT_FALSE(e.Observe(7, 1000, 990));
  EXPECT_FALSE(e.Observe(7, 1002, 992));
  EXPECT_TRUE(e.Observe(7, 1004, 994));
}

TEST(IntervalTest, DefaultIntervalWithDefaultPollsGivesTheDefaultThresholds) {
  // 1.5 s heartbeats seen by 2 s polls: every poll sees a new value; the estimate
  // is a bound at or under 1.5 s, so thresholds stay exactly 10 s and 5 s.
  const std::optional<double> estimate = Observe(1.5, 2, 30);
  ASSERT_TRUE(estimate);
  EXPECT_LE(*estimate, 10.0 / 6);
}

TEST(IntervalTest, SlowerHeartbeatsAreLearnedExactly) {
  for (double interval : {3.0, 5.0, 7.5, 30.0}) {
    const std::optional<double> estimate = Observe(interval, 2, 120);
    ASSERT_TRUE(estimate) << interval;
    EXPECT_NEAR(*estimate, interval, 0.5) << interval;
  }
}

TEST(IntervalTest, PollsSlowerThanHeartbeatsErrLong) {
  // 1.5 s heartbeats, 10 s polls: the interval cannot be seen; the bound errs long
  // (later detection), never short (false verdicts).
  const std::optional<double> estimate = Observe(1.5, 10, 30);
  ASSERT_TRUE(estimate);
  EXPECT_GE(*estimate, 1.5);
}

TEST(IntervalTest, ADeadNodeKeepsItsEstimateAndARestartGapIsNoHeartbeat) {
  IntervalEstimator e;
  Observe(5, 2, 60, &e);
  // Dead for a minute: the value stands still.
  std::optional<double> estimate;
  for (int i = 0; i < 30; ++i) estimate = e.Observe(7, 2000 + 2 * i, 1120);
  ASSERT_TRUE(estimate);
  EXPECT_NEAR(*estimate, 5, 0.5);
  // Back, heartbeating every 5 s again: the 60 s gap does not count as one step.
  for (int i = 0; i < 15; ++i) {
    estimate = e.Observe(7, 2060 + 2 * i, 2060 + 5 * std::floor(2 * i / 5.0));
  }
  EXPECT_NEAR(*estimate, 5, 0.5);
}

TEST(IntervalTest, ForgetsRemovedNodes) {
  IntervalEstimator e;
  Observe(5, 2, 30, &e);
  e.Retain({});
  EXPECT_FALSE(e.Estimate(7));
}

}  // namespace
}  // namespace msx
