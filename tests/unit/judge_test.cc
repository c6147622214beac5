#include "judge/judge.h"

#include <gtest/gtest.h>

#include <cmath>
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

namespace msx {
namespace {

class TargetJudgeCasesTest : public TargetJudgeTest {};

// The same host came back under a new msid: the old row (stale, same name and probe
// address) is superseded, whatever its state; the new one is judged as usual.
TEST_F(TargetJudgeCasesTest, AnOldIdentityOfALiveHostIsSuperseded) {
  NodeStatus old_row = Node(1, 60, true);
  NodeStatus new_row = Node(2, 1, true);
  for (NodeStatus* node : {&old_row, &new_row}) {
    node->row.name = "ms-a";
    node->probe_address = "10.0.0.9:9090";
  }
  std::vector<NodeStatus> nodes = Judge({old_row, new_row}, 0);
  EXPECT_EQ(nodes[0].verdict, Verdict::kSuperseded);
  EXPECT_EQ(nodes[0].superseded_by, 2u);
  EXPECT_EQ(nodes[1].verdict, Verdict::kOk);
  EXPECT_FALSE(nodes[1].superseded_by);

  // Another address, or no fresh twin: judged as usual.
  old_row.probe_address = "10.0.0.8:9090";
  EXPECT_EQ(Judge({old_row, new_row}, 1)[0].verdict, Verdict::kUpHeartbeatStale);
}

TEST_F(TargetJudgeCasesTest, RunningCountsNodesThatHeartbeatWhateverTheProbe) {
  std::vector<NodeStatus> nodes = {Node(1, 1, false), Node(2, 1, false),
                                   Node(3, 60, true)};
  nodes[2].row.state = "Up";
  EXPECT_EQ(judge_.JudgeNodes(kDbNow, now_, &nodes), 2u);
  EXPECT_EQ(nodes[0].verdict, Verdict::kUpUnreachable);
}

TEST_F(TargetJudgeCasesTest, MaintenanceAndDownAreNotRunning) {
  std::vector<NodeStatus> nodes = {Node(1, 1, true), Node(2, 1, false)};
  nodes[0].row.state = "Maintenance";
  nodes[1].row.state = "Down";
  EXPECT_EQ(judge_.JudgeNodes(kDbNow, now_, &nodes), 0u);
  EXPECT_EQ(nodes[0].verdict, Verdict::kMaintenance);
  EXPECT_EQ(nodes[1].verdict, Verdict::kOk);
}

TEST_F(TargetJudgeCasesTest, AStopThatNeverWroteDownIsStopUnfinished) {
  std::vector<NodeStatus> nodes = {Node(1, 30, false)};
  nodes[0].row.state = "ShuttingDown";
  EXPECT_EQ(Judge(nodes, 0)[0].verdict, Verdict::kStopUnfinished);
}

// At a 5 s heartbeat interval a live node is up to 6 s silent: with thresholds that
// follow the interval that is never a verdict, even with its port unreachable.
TEST_F(TargetJudgeCasesTest, ASlowHeartbeatIsNoFalseVerdict) {
  for (int poll = 0; poll < 150; ++poll) {  // 5 minutes of 2 s polls
    const double db_now = kDbNow + 2 * poll;
    const double last_write = kDbNow + 5 * std::floor(2 * poll / 5.0) - 1;
    std::vector<NodeStatus> nodes = {Node(1, 0, false)};
    nodes[0].row.last_update_unix = last_write;
    judge_.JudgeNodes(db_now, now_ + 2 * poll, &nodes);
    if (poll > 10) {
      EXPECT_EQ(nodes[0].verdict, Verdict::kUpUnreachable) << poll;
      ASSERT_TRUE(nodes[0].heartbeat_interval_seconds);
      EXPECT_NEAR(*nodes[0].heartbeat_interval_seconds, 5, 0.5);
    }
  }
}

}  // namespace
}  // namespace msx
