#include "judge/silence.h"

#include <gtest/gtest.h>

#include <cmath>

namespace msx {
namespace {

// Simulates one node heartbeating every 1.5 s from a clock `offset` seconds behind
// the database (negative: ahead), polled every 2 s. Times are database-clock seconds.
// `whole_seconds`: last_update truncated as CloudStack's DATETIME column keeps it.
class HeartbeatSim {
 public:
  explicit HeartbeatSim(double offset, double start = 100.0, bool whole_seconds = false)
      : offset_(offset), start_(start), whole_seconds_(whole_seconds) {}
  // Database time of the last heartbeat at database time t (if alive).
  double BeatAt(double t) const { return std::floor((t - start_) / 1.5) * 1.5 + start_; }
  // The last_update the table holds at database time t (if alive).
  double LastUpdateAt(double t) const {
    const double node_clock = BeatAt(t) - offset_;
    return whole_seconds_ ? std::floor(node_clock) : node_clock;
  }

 private:
  double offset_;
  double start_;
  bool whole_seconds_;
};

SilenceEstimate Poll(SilenceTracker& tr, double t, double last_update, int64_t runid = 1) {
  return tr.Observe(42, runid, last_update, t);
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
    // One heartbeat interval, plus at most the estimate's correction.
    EXPECT_LE(e.silence_seconds, 1.5 + SilenceTracker::kMaxCorrectionSeconds) << t;
  }
}

// Whole-second last_update values at every phase of heartbeat and poll, for clocks
// right, behind and ahead: the estimate stays within its correction below the
// smallest raw age, a live node never looks silent for more than its real silence plus
// the correction and the truncation, and a dead node's silence is never more than
// half a second short of the real one: it reaches dead_after on time.
class WholeSecondsTest : public ::testing::TestWithParam<double> {};

TEST_P(WholeSecondsTest, SilenceFollowsTheRealOneAtEveryPhase) {
  const double offset = GetParam();
  for (double phase = 0; phase < 3; phase += 0.1) {
    SilenceTracker tr;
    HeartbeatSim sim(offset, 100 + phase, /*whole_seconds=*/true);
    double smallest_raw_age = 1e9;
    double t = 103;
    for (int poll = 0; poll < 40; ++poll, t += 2) {
      const double last_update = sim.LastUpdateAt(t);
      auto e = Poll(tr, t, last_update);
      if (poll == 0) continue;
      if (last_update != sim.LastUpdateAt(t - 2)) {
        smallest_raw_age = std::min(smallest_raw_age, t - last_update);
      }
      ASSERT_TRUE(e.clock_offset_seconds.has_value());
      EXPECT_LE(*e.clock_offset_seconds, smallest_raw_age) << "phase " << phase;
      EXPECT_GE(*e.clock_offset_seconds,
                smallest_raw_age - SilenceTracker::kMaxCorrectionSeconds)
          << "phase " << phase;
      EXPECT_LE(e.silence_seconds, t - sim.BeatAt(t) + 2.0) << "phase " << phase;
    }
    const double last_beat = sim.BeatAt(t);
    const double frozen = sim.LastUpdateAt(t);  // the node dies here
    for (t += 2; t < last_beat + 20; t += 2) {
      EXPECT_GE(Poll(tr, t, frozen).silence_seconds, t - last_beat - 0.5)
          << "phase " << phase << ", t " << t;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Offsets, WholeSecondsTest, ::testing::Values(0.0, 30.4, -17.7));

// The case the smallest raw age alone got wrong: no change was seen sooner than 1 s
// after its whole second, so the estimate was 1 s for a right clock, and a node that
// died right after its heartbeat at 162.1 read 0.9 s less silent than it was
// (detection ~1 s late at the defaults).
TEST(SilenceTest, TruncationAndPollPhaseDoNotDelayADeadNode) {
  SilenceTracker tr;
  HeartbeatSim sim(0, 100.6, /*whole_seconds=*/true);
  double t = 101;
  for (; t < 162; t += 2) Poll(tr, t, sim.LastUpdateAt(t));
  const double last_beat = sim.BeatAt(t);
  const double frozen = sim.LastUpdateAt(t);
  for (t += 2; t < last_beat + 20; t += 2) {
    EXPECT_GE(Poll(tr, t, frozen).silence_seconds, t - last_beat - 0.5) << t;
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
  EXPECT_NEAR(*e.clock_offset_seconds, 0, SilenceTracker::kMaxCorrectionSeconds);
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
  // The old changes' lower bounds now exceed the new upper one: the bounds disagree,
  // and the smallest raw age is the estimate.
  ASSERT_TRUE(e.clock_offset_seconds.has_value());
  EXPECT_DOUBLE_EQ(*e.clock_offset_seconds, t - ahead.LastUpdateAt(t));
}

TEST(SilenceTest, RetainForgetsRemovedNodes) {
  SilenceTracker tr;
  tr.Observe(1, 1, 100, 100);
  tr.Observe(2, 1, 100, 100);
  tr.Retain({2});
  EXPECT_EQ(tr.TrackedNodes(), 1u);
}

TEST(SilenceTest, WindowIsBounded) {
  SilenceTracker tr;
  // A low raw age long ago must fall out of the window. Values are not whole seconds
  // (no truncation) and each change comes 1 s after the previous poll.
  tr.Observe(1, 1, 0.5, 0.5);
  tr.Observe(1, 1, 1.5, -98.5);  // one odd observation: raw age -100
  for (int i = 2; i < 2 + static_cast<int>(SilenceTracker::kWindow); ++i) {
    tr.Observe(1, 1, i + 0.5, i + 5.5);
  }
  auto e = tr.Observe(1, 1, 100.5, 105.5);
  ASSERT_TRUE(e.clock_offset_seconds.has_value());
  // Every change now proves the offset in [raw age 5 - 1 s since the previous poll, 5]:
  // the middle.
  EXPECT_DOUBLE_EQ(*e.clock_offset_seconds, 4.5);
}

}  // namespace
}  // namespace msx
