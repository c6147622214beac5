#include "common/clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <limits>

namespace msx {
namespace {

// A bound on real time for what should take microseconds: only a broken clock makes
// a test wait this long.
constexpr double kSafetyNetSeconds = 5;

constexpr double kForever = std::numeric_limits<double>::infinity();

// Runs clock.SleepUntil(deadline) on another thread.
std::future<bool> SleepOnAnotherThread(const Clock& clock, double deadline,
                                       Interrupt& interrupt) {
  return std::async(std::launch::async, [&clock, deadline, &interrupt] {
    return clock.SleepUntil(deadline, interrupt);
  });
}

bool Finished(const std::future<bool>& sleep) {
  return sleep.wait_for(std::chrono::duration<double>(kSafetyNetSeconds)) ==
         std::future_status::ready;
}

TEST(FakeClockTest, AdvanceMovesBothClocks) {
  FakeClock clock;
  EXPECT_EQ(clock.MonotonicSeconds(), 1000);
  EXPECT_EQ(clock.UnixSeconds(), 1'700'000'000);
  clock.Advance(2.5);
  EXPECT_EQ(clock.MonotonicSeconds(), 1002.5);
  EXPECT_EQ(clock.UnixSeconds(), 1'700'000'002.5);
}

TEST(FakeClockTest, SleepEndsWhenTheClockReachesTheDeadline) {
  FakeClock clock;
  Interrupt interrupt;
  std::future<bool> sleep = SleepOnAnotherThread(clock, 1010, interrupt);
  ASSERT_TRUE(clock.WaitForSleepers(1, kSafetyNetSeconds));
  clock.Advance(9.5);
  EXPECT_EQ(clock.sleepers(), 1u);  // Advance() returned after the sleeper looked
  clock.Advance(0.5);
  EXPECT_EQ(clock.sleepers(), 0u);
  ASSERT_TRUE(Finished(sleep));
  EXPECT_TRUE(sleep.get());
}

TEST(FakeClockTest, SleepEndsWhenInterrupted) {
  FakeClock clock;
  Interrupt interrupt;
  std::future<bool> sleep = SleepOnAnotherThread(clock, 1010, interrupt);
  ASSERT_TRUE(clock.WaitForSleepers(1, kSafetyNetSeconds));
  interrupt.Signal();
  ASSERT_TRUE(Finished(sleep));
  EXPECT_FALSE(sleep.get());
  EXPECT_EQ(clock.MonotonicSeconds(), 1000);
}

TEST(FakeClockTest, InfiniteDeadlineWaitsForTheInterruptAlone) {
  FakeClock clock;
  Interrupt interrupt;
  std::future<bool> sleep = SleepOnAnotherThread(clock, kForever, interrupt);
  ASSERT_TRUE(clock.WaitForSleepers(1, kSafetyNetSeconds));
  clock.Advance(1e300);
  EXPECT_EQ(clock.sleepers(), 1u);
  interrupt.Signal();
  ASSERT_TRUE(Finished(sleep));
  EXPECT_FALSE(sleep.get());
}

TEST(FakeClockTest, SleepersOnOneClockWakeEachAtTheirOwnDeadline) {
  FakeClock clock;
  Interrupt interrupt;
  std::future<bool> early = SleepOnAnotherThread(clock, 1001, interrupt);
  std::future<bool> late = SleepOnAnotherThread(clock, 1002, interrupt);
  ASSERT_TRUE(clock.WaitForSleepers(2, kSafetyNetSeconds));
  clock.Advance(1);
  EXPECT_EQ(clock.sleepers(), 1u);
  ASSERT_TRUE(Finished(early));
  EXPECT_TRUE(early.get());
  clock.Advance(1);
  ASSERT_TRUE(Finished(late));
  EXPECT_TRUE(late.get());
}

// Both clocks: an interrupt signaled before the call wins even over a past deadline
// (a loop that stops must not run once more), a past deadline returns at once, and
// Reset() lets the next sleep wait again.
template <typename SomeClock>
void ExpectImmediateAnswers() {
  SomeClock clock;
  Interrupt interrupt;
  const double now = clock.MonotonicSeconds();
  EXPECT_TRUE(clock.SleepUntil(now - 1, interrupt));
  EXPECT_TRUE(clock.SleepUntil(now, interrupt));
  interrupt.Signal();
  EXPECT_TRUE(interrupt.signaled());
  EXPECT_FALSE(clock.SleepUntil(now - 1, interrupt));
  EXPECT_FALSE(clock.SleepUntil(kForever, interrupt));
  interrupt.Reset();
  EXPECT_FALSE(interrupt.signaled());
  EXPECT_TRUE(clock.SleepUntil(now - 1, interrupt));
}

TEST(FakeClockTest, ImmediateAnswers) { ExpectImmediateAnswers<FakeClock>(); }
TEST(SystemClockTest, ImmediateAnswers) { ExpectImmediateAnswers<SystemClock>(); }

TEST(SystemClockTest, SleepEndsWhenInterrupted) {
  SystemClock clock;
  Interrupt interrupt;
  for (double deadline : {clock.MonotonicSeconds() + 3600, kForever}) {
    interrupt.Reset();
    std::future<bool> sleep = SleepOnAnotherThread(clock, deadline, interrupt);
    interrupt.Signal();
    ASSERT_TRUE(Finished(sleep)) << deadline;
    EXPECT_FALSE(sleep.get()) << deadline;
  }
}

}  // namespace
}  // namespace msx
