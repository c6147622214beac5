#include "judge/judge.h"

#include <gtest/gtest.h>

#include <vector>

#include "test_util.h"

namespace msx {
namespace {

constexpr double kDbNow = 1'700'000'000;

// A node whose last heartbeat is `age` seconds old on the database clock.
NodeStatus Node(uint64_t msid, double age, bool alive) {
  NodeStatus node;
  node.row = test::MakeRow(msid, "Up", kDbNow - age);
  node.probe = alive ? test::AliveResult() : test::RefusedResult();
  return node;
}

class TargetJudgeTest : public ::testing::Test {
 protected:
  // Judges nodes read at database time kDbNow + db_offset and monotonic time now_.
  std::vector<NodeStatus> Judge(std::vector<NodeStatus> nodes, double db_offset) {
    judge_.JudgeNodes(kDbNow + db_offset, now_, &nodes);
    return nodes;
  }

  TargetJudge judge_{HeartbeatConfig{}};  // stale_after 10 s, dead_after 5 s
  double now_ = 1000;
};

TEST_F(TargetJudgeTest, WritesSilenceVerdictAndThresholdsIntoEachNode) {
  std::vector<NodeStatus> nodes = Judge({Node(1, 1, true), Node(2, 7, false)}, 0);
  EXPECT_EQ(nodes[0].verdict, Verdict::kOk);
  EXPECT_DOUBLE_EQ(nodes[0].raw_age_seconds, 1);
  EXPECT_EQ(nodes[1].verdict, Verdict::kUpNotRunning);
  EXPECT_DOUBLE_EQ(nodes[1].silence_seconds, 7);
  EXPECT_EQ(nodes[1].stale_after_seconds, 10);
  EXPECT_EQ(nodes[1].dead_after_seconds, 5);
}

// Nobody can heartbeat into a database that is down: the first reads after it
// answers again must not call answering nodes stale.
TEST_F(TargetJudgeTest, HeartbeatsMissedDuringAnOutageAreNotHeldAgainstNodes) {
  Judge({Node(1, 1, true), Node(2, 1, true)}, 0);
  for (int poll = 0; poll < 15; ++poll) {  // 30 s without the database
    now_ += 2;
    judge_.ReadFailed(now_);
  }
  now_ += 2;
  std::vector<NodeStatus> back = Judge({Node(1, 1, true), Node(2, 1, true)}, 32);
  EXPECT_EQ(back[0].verdict, Verdict::kOk) << back[0].silence_seconds;
  EXPECT_EQ(back[1].verdict, Verdict::kOk) << back[1].silence_seconds;
  EXPECT_DOUBLE_EQ(back[1].silence_seconds, 1);  // 1 s before, 0 s since
  // Node 1 heartbeats again; node 2 has not yet: 1 s before and 2 s since.
  now_ += 2;
  back = Judge({Node(1, -34 + 0.5, true), Node(2, 1, true)}, 34);
  EXPECT_EQ(back[1].verdict, Verdict::kOk);
  EXPECT_DOUBLE_EQ(back[1].silence_seconds, 3);
}

TEST_F(TargetJudgeTest, NodeThatDiedDuringAnOutageIsDeadDeadAfterItsEnd) {
  Judge({Node(1, 1, true)}, 0);
  now_ += 30;
  judge_.ReadFailed(now_);
  now_ += 1;
  auto verdict_after = [&](double since_back) {
    now_ = 1031 + since_back;
    return Judge({Node(1, 1, false)}, 31 + since_back)[0].verdict;
  };
  EXPECT_EQ(verdict_after(0), Verdict::kUpUnreachable);    // silence seen: 1 s
  EXPECT_EQ(verdict_after(3.5), Verdict::kUpUnreachable);  // 4.5 s
  EXPECT_EQ(verdict_after(4.5), Verdict::kUpNotRunning);   // 5.5 s > dead_after
}

TEST_F(TargetJudgeTest, TheCorrectionEndsStaleAfterTheOutage) {
  Judge({Node(1, 1, true)}, 0);
  now_ += 30;
  judge_.ReadFailed(now_);
  now_ += 2;
  EXPECT_EQ(Judge({Node(1, 1, true)}, 32)[0].verdict, Verdict::kOk);
  now_ += 10;  // stale_after later, the raw silence counts again
  EXPECT_EQ(Judge({Node(1, 1, true)}, 42)[0].verdict, Verdict::kUpHeartbeatStale);
}

TEST_F(TargetJudgeTest, AFailureBeforeAnyReadIsNoOutage) {
  judge_.ReadFailed(now_);
  now_ += 2;
  EXPECT_EQ(Judge({Node(1, 40, true)}, 0)[0].verdict, Verdict::kUpHeartbeatStale);
}

}  // namespace
}  // namespace msx
