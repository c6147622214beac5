#include "judge/silence.h"

#include <gtest/gtest.h>

#include <cmath>

namespace msx {
namespace {

// Simulates one node heartbeating every 1.5 s from a clock `offset` seconds behind
// the database (negative: ahead), polled every 2 s. Times are database-clock seconds.
class HeartbeatSim {
 public:
  explicit HeartbeatSim(double offset) : offset_(offset) {}
  // The last_update the table holds at database time t (if alive).
  double LastUpdateAt(double t) const {
    double beat = std::floor((t - start_) / 1.5) * 1.5 + start_;
    return beat - offset_;
  }
  double start_ = 100.0;
  double offset_;
};

SilenceEstimate Poll(SilenceTracker& tr, double t, double last_update, int64_t runid = 1) {
  return tr.Observe(42, runid, last_update, t - last_update);
}

TEST(SilenceTest, FirstSightUsesRawAge) {
  SilenceTracker tr;
  auto e = Poll(tr, 200, 170);
  EXPECT_DOUBLE_EQ(e.silence_seconds, 30);
  EXPECT_FALSE(e.clock_offset_seconds.has_value());
}

TEST(SilenceTest, NegativeRawAgeClampsToZero) {
  SilenceTracker tr;
  EXPECT_DOUBLE_EQ(Poll(tr, 200, 230).silence_seconds, 0);
}

TEST(SilenceTest, RightClockSilenceStaysSmall) {
  SilenceTracker tr;
  HeartbeatSim sim(0);
  for (double t = 101; t < 200; t += 2) {
    auto e = Poll(tr, t, sim.LastUpdateAt(t));
    EXPECT_LE(e.silence_seconds, 1.5 + 1e-9) << t;
  }
}

class SkewedClockTest : public ::testing::TestWithParam<double> {};

TEST_P(SkewedClockTest, HeartbeatingNodeLooksFreshAfterAFewPolls) {
  const double offset = GetParam();
  SilenceTracker tr;
  HeartbeatSim sim(offset);
  int poll = 0;
  for (double t = 101; t < 200; t += 2, ++poll) {
    auto e = Poll(tr, t, sim.LastUpdateAt(t));
    if (poll >= 2) {
      EXPECT_LE(e.silence_seconds, 3.0) << "t=" << t;
      ASSERT_TRUE(e.clock_offset_seconds.has_value());
      EXPECT_NEAR(*e.clock_offset_seconds, offset, 1.6);
    }
  }
}

TEST_P(SkewedClockTest, DeadNodeSilenceGrowsWithDatabaseClock) {
  const double offset = GetParam();
  SilenceTracker tr;
  HeartbeatSim sim(offset);
  double t = 101;
  for (; t < 160; t += 2) Poll(tr, t, sim.LastUpdateAt(t));
  const double frozen = sim.LastUpdateAt(t);  // the node dies here
  const double died_at = t;
  for (; t < died_at + 20; t += 2) {
    auto e = Poll(tr, t, frozen);
    // Silence tracks real time since death, give or take one heartbeat interval.
    EXPECT_NEAR(e.silence_seconds, t - died_at, 2.0) << "t=" << t;
  }
}

INSTANTIATE_TEST_SUITE_P(Offsets, SkewedClockTest,
                         ::testing::Values(0.0, 40.0, -30.0, 60.0, -60.0));

// A restart does not change the node's clock: a node 40 s behind that restarts
// writes a last_update 40 s old and is not silent for it.
TEST(SilenceTest, RestartKeepsTheOffsetUntilTheNewRunChanges) {
  SilenceTracker tr;
  HeartbeatSim sim(40);
  for (double t = 101; t < 140; t += 2) Poll(tr, t, sim.LastUpdateAt(t), 1);
  auto e = Poll(tr, 141, 141 - 40, 2);  // new runid, first row of the new run
  ASSERT_TRUE(e.clock_offset_seconds.has_value());
  EXPECT_NEAR(e.silence_seconds, 0, 1.6);
  // The new run's own changes replace the old window: a clock now right counts.
  Poll(tr, 143, 143, 2);
  e = Poll(tr, 145, 145, 2);
  EXPECT_NEAR(*e.clock_offset_seconds, 0, 0.01);
}

// A node that never heartbeats again after the restart goes silent from there.
TEST(SilenceTest, RestartedNodeThatDiesGoesSilentAtTheDatabaseClock) {
  SilenceTracker tr;
  HeartbeatSim sim(40);
  for (double t = 101; t < 140; t += 2) Poll(tr, t, sim.LastUpdateAt(t), 1);
  Poll(tr, 141, 141 - 40, 2);
  EXPECT_NEAR(Poll(tr, 161, 141 - 40, 2).silence_seconds, 20, 1.6);
}

TEST(SilenceTest, ClockSteppedBackwardIsNotHiddenByOldOffset) {
  SilenceTracker tr;
  HeartbeatSim right(0);
  double t = 101;
  for (; t < 140; t += 2) Poll(tr, t, right.LastUpdateAt(t));
  // The node's clock steps 60 s back; it keeps heartbeating.
  HeartbeatSim behind(60);
  auto e = Poll(tr, t, behind.LastUpdateAt(t));
  ASSERT_TRUE(e.clock_offset_seconds.has_value());
  EXPECT_NEAR(*e.clock_offset_seconds, 60, 1.6);
  EXPECT_LE(e.silence_seconds, 1.6);
}

TEST(SilenceTest, ClockSteppedForwardAdaptsAtOnce) {
  SilenceTracker tr;
  HeartbeatSim right(0);
  double t = 101;
  for (; t < 140; t += 2) Poll(tr, t, right.LastUpdateAt(t));
  HeartbeatSim ahead(-60);
  auto e = Poll(tr, t, ahead.LastUpdateAt(t));
  EXPECT_LE(e.silence_seconds, 1.6);
}

TEST(SilenceTest, RetainForgetsRemovedNodes) {
  SilenceTracker tr;
  tr.Observe(1, 1, 100, 0);
  tr.Observe(2, 1, 100, 0);
  tr.Retain({2});
  EXPECT_EQ(tr.TrackedNodes(), 1u);
}

TEST(SilenceTest, WindowIsBounded) {
  SilenceTracker tr;
  // A low raw age long ago must fall out of the window.
  tr.Observe(1, 1, 0, 0);
  tr.Observe(1, 1, 1, -100);  // one odd observation: offset -100
  for (int i = 2; i < 2 + static_cast<int>(SilenceTracker::kWindow); ++i) {
    tr.Observe(1, 1, i, 5);
  }
  auto e = tr.Observe(1, 1, 100, 5);
  ASSERT_TRUE(e.clock_offset_seconds.has_value());
  EXPECT_DOUBLE_EQ(*e.clock_offset_seconds, 5);
}

}  // namespace
}  // namespace msx
