// What a dead node takes with it: when agents and jobs are read (the cadence), how
// they reach the nodes, the metrics, the status JSON and the alert descriptions.
#include "poll/blast_radius.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "alerting/evaluator.h"
#include "alerting/rules.h"
#include "log_capture.h"
#include "metrics/metrics.h"
#include "poll/poller.h"
#include "source/parse.h"
#include "test_util.h"
#include "web/status.h"

namespace msx {
namespace {

using test::FakeSource;
using test::LogCapture;
using test::MakeNode;
using test::MakeRow;
using test::OkRead;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Node 1 holds 35 Up and 2 Disconnected agents and 4 jobs; node 2 holds one agent;
// an agent of a removed node (msid 9) and an Up agent of no node float; a
// Disconnected agent of no node is expected and counted nowhere.
BlastRadiusRead SampleBlast() {
  BlastRadiusRead read;
  read.ok = true;
  read.agents = {
      {1, "Up", 35},   {1, "Disconnected", 2},  {2, "Up", 1},
      {9, "Alert", 3}, {std::nullopt, "Up", 1}, {std::nullopt, "Disconnected", 5}};
  read.jobs = {{1, 4}, {9, 7}, {std::nullopt, 2}};
  return read;
}

std::vector<NodeStatus> TwoNodes(Verdict first = Verdict::kOk) {
  return {MakeNode(MakeRow(1), first), MakeNode(MakeRow(2))};
}

// --- the cadence -----------------------------------------------------------------

TEST(BlastScheduleTest, FirstPollReadsThenEveryInterval) {
  BlastSchedule schedule(30);
  const std::vector<NodeStatus> nodes = TwoNodes();
  ASSERT_TRUE(schedule.Due(0, nodes));
  schedule.Done(0);
  for (double t = 2; t < 30; t += 2) EXPECT_FALSE(schedule.Due(t, nodes)) << t;
  EXPECT_TRUE(schedule.Due(30, nodes));
  schedule.Done(30);
  EXPECT_FALSE(schedule.Due(32, nodes));
}

TEST(BlastScheduleTest, AVerdictTurningBadReadsAtOnceAndOnlyOnce) {
  BlastSchedule schedule(30);
  ASSERT_TRUE(schedule.Due(0, TwoNodes()));
  schedule.Done(0);
  EXPECT_FALSE(schedule.Due(2, TwoNodes()));
  ASSERT_TRUE(schedule.Due(4, TwoNodes(Verdict::kUpNotRunning)));
  schedule.Done(4);
  // Staying bad is no news: the next read comes with the interval.
  EXPECT_FALSE(schedule.Due(6, TwoNodes(Verdict::kUpNotRunning)));
  EXPECT_FALSE(schedule.Due(33, TwoNodes(Verdict::kUpNotRunning)));
  EXPECT_TRUE(schedule.Due(34, TwoNodes(Verdict::kUpNotRunning)));
}

TEST(BlastScheduleTest, OnlyWarningsAndCriticalsCountAsBad) {
  BlastSchedule schedule(30);
  ASSERT_TRUE(schedule.Due(0, TwoNodes()));
  schedule.Done(0);
  EXPECT_FALSE(schedule.Due(2, TwoNodes(Verdict::kMaintenance)));
  EXPECT_FALSE(schedule.Due(4, TwoNodes(Verdict::kSuperseded)));
  EXPECT_TRUE(schedule.Due(6, TwoNodes(Verdict::kUpUnreachable)));
}

TEST(BlastScheduleTest, ANewNodeThatIsAlreadyBadCounts) {
  BlastSchedule schedule(30);
  ASSERT_TRUE(schedule.Due(0, {MakeNode(MakeRow(1))}));
  schedule.Done(0);
  EXPECT_TRUE(schedule.Due(
      2, {MakeNode(MakeRow(1)), MakeNode(MakeRow(2), Verdict::kStopUnfinished)}));
}

// --- counts to nodes -------------------------------------------------------------

TEST(AttachLoadsTest, EachNodeGetsItsOwnAndTheRestIsUnattached) {
  std::vector<NodeStatus> nodes = TwoNodes();
  nodes.push_back(MakeNode(MakeRow(3)));  // holds nothing
  const std::map<std::string, uint64_t> unattached = AttachLoads(SampleBlast(), &nodes);

  ASSERT_TRUE(nodes[0].load);
  EXPECT_EQ(nodes[0].load->agents,
            (std::map<std::string, uint64_t>{{"Disconnected", 2}, {"Up", 35}}));
  EXPECT_EQ(nodes[0].load->agents_total, 37u);
  EXPECT_EQ(nodes[0].load->jobs_in_progress, 4u);
  ASSERT_TRUE(nodes[1].load);
  EXPECT_EQ(nodes[1].load->agents_total, 1u);
  EXPECT_EQ(nodes[1].load->jobs_in_progress, 0u);
  ASSERT_TRUE(nodes[2].load);  // zero, not unknown
  EXPECT_THAT(nodes[2].load->agents, IsEmpty());
  EXPECT_EQ(nodes[2].load->agents_total, 0u);

  EXPECT_EQ(unattached, (std::map<std::string, uint64_t>{{"Alert", 3}, {"Up", 1}}));
}

TEST(AttachLoadsTest, StatusesThatDifferOnlyInInvalidUtf8AreOneCount) {
  BlastRadiusRead read;
  read.ok = true;
  read.agents = {{1, "Up\xff", 2}, {1, "Up\xfe", 3}, {7, "A\xff", 1}, {7, "A\xfe", 1}};
  std::vector<NodeStatus> nodes = TwoNodes();
  const std::map<std::string, uint64_t> unattached = AttachLoads(read, &nodes);
  ASSERT_TRUE(nodes[0].load);
  EXPECT_EQ(nodes[0].load->agents.size(), 1u);
  EXPECT_EQ(nodes[0].load->agents_total, 5u);
  EXPECT_EQ(unattached.size(), 1u);
  const std::string text = RenderProbe(test::OkSnapshot(nodes), {});
  EXPECT_EQ(text.find("cloudstack_mshost_agents{"), text.rfind("cloudstack_mshost_agents{"));
}

TEST(DescribeLoadTest, SaysCountsInWords) {
  EXPECT_EQ(DescribeLoad({{}, 37, 4}), "37 agents and 4 jobs in progress");
  EXPECT_EQ(DescribeLoad({{}, 1, 1}), "1 agent and 1 job in progress");
  EXPECT_EQ(DescribeLoad({{}, 0, 0}), "0 agents and 0 jobs in progress");
}

// --- the text drivers return -----------------------------------------------------

TEST(ParseBlastRadiusTest, NullsSignedJobMsidsAndBadGroups) {
  RawBlastRead raw;
  raw.agents = {
      {std::string("18446744073709551615"), std::string("Up"), std::string("3")},
      {std::nullopt, std::string("Alert"), std::string("2")},
      {std::string("-1"), std::string("Up"), std::string("1")},
      {std::string("5"), std::string("Up")}};
  raw.jobs = {{std::string("-1"), std::string("4")},
              {std::nullopt, std::string("6")},
              {std::string("7"), std::string("x")}};
  const BlastRadiusRead read = ParseBlastRadius(raw);
  ASSERT_TRUE(read.ok);
  ASSERT_EQ(read.agents.size(), 2u);
  EXPECT_EQ(read.agents[0].msid, 18446744073709551615u);
  EXPECT_EQ(read.agents[0].count, 3u);
  EXPECT_EQ(read.agents[1].msid, std::nullopt);
  EXPECT_EQ(read.agents[1].status, "Alert");
  ASSERT_EQ(read.jobs.size(), 2u);
  // bigint job msids carry the same 64 bits as mshost's unsigned msid.
  EXPECT_EQ(read.jobs[0].msid, 18446744073709551615u);
  EXPECT_EQ(read.jobs[1].msid, std::nullopt);
  EXPECT_EQ(
      read.row_errors,
      (std::vector<std::string>{
          "host: mgmt_server_id: not an unsigned 64-bit integer: \"-1\"",
          "host: expected 3 columns, got 2", "async_job: count: not a count: \"x\""}));
}

// --- the poller: cadence with a fake source and a fake clock ----------------------

class BlastPollerTest : public ::testing::Test {
 protected:
  BlastPollerTest() {
    target_.name = "prod";
    target_.heartbeat.stale_after_seconds = 10;
    target_.heartbeat.dead_after_seconds = 5;
    target_.blast_radius.interval_seconds = 30;
    auto source = std::make_unique<FakeSource>();
    source_ = source.get();
    poller_ =
        std::make_unique<TargetPoller>(target_, 2, std::move(source), nullptr, clock_);
  }

  // One poll after `seconds`; node 1 heartbeats until `node1_dies_at` (exporter
  // clock), node 2 always. Probing is off, so silence alone decides.
  std::shared_ptr<const Snapshot> PollAt(double seconds, double node1_dies_at = 1e18) {
    clock_.Advance(seconds - (clock_.MonotonicSeconds() - start_mono_));
    const double now = clock_.UnixSeconds();
    const double node1_last = std::min(now, start_unix_ + node1_dies_at);
    source_->Set(OkRead(now, {MakeRow(1, "Up", node1_last), MakeRow(2, "Up", now)}));
    return poller_->PollOnce();
  }

  FakeClock clock_;
  const double start_mono_ = clock_.MonotonicSeconds();
  const double start_unix_ = clock_.UnixSeconds();
  TargetConfig target_;
  FakeSource* source_ = nullptr;
  std::unique_ptr<TargetPoller> poller_;
};

const NodeStatus& NodeOf(const Snapshot& snapshot, uint64_t msid) {
  for (const NodeStatus& node : snapshot.nodes) {
    if (node.row.msid == msid) return node;
  }
  ADD_FAILURE() << "no node " << msid;
  static const NodeStatus kMissing;
  return kMissing;
}

TEST_F(BlastPollerTest, ReadsOnItsOwnCadenceAndKeepsCountsBetween) {
  source_->SetBlast(SampleBlast());
  auto s = PollAt(0);
  EXPECT_EQ(source_->blast_reads(), 1);
  ASSERT_TRUE(NodeOf(*s, 1).load);
  EXPECT_EQ(NodeOf(*s, 1).load->agents_total, 37u);
  EXPECT_TRUE(s->blast_radius.up);
  EXPECT_EQ(s->blast_radius.read_unix, start_unix_);
  for (double t = 2; t < 30; t += 2) {
    s = PollAt(t);
    ASSERT_TRUE(NodeOf(*s, 1).load) << t;  // the last read's counts stand
    EXPECT_EQ(NodeOf(*s, 1).load->jobs_in_progress, 4u);
  }
  EXPECT_EQ(source_->blast_reads(), 1);  // 15 polls of mshost, one of agents and jobs
  PollAt(30);
  EXPECT_EQ(source_->blast_reads(), 2);
  EXPECT_EQ(source_->reads(), 16);
}

TEST_F(BlastPollerTest, ANodeThatDiesIsReadAtOnceSoItsAlertHasFreshCounts) {
  PollAt(0);  // nothing held yet
  ASSERT_EQ(source_->blast_reads(), 1);
  source_->SetBlast(SampleBlast());
  std::shared_ptr<const Snapshot> s;
  double t = 0;
  do {
    t += 2;
    s = PollAt(t, /*node1_dies_at=*/4);
  } while (NodeOf(*s, 1).verdict == Verdict::kOk && t < 30);
  ASSERT_EQ(NodeOf(*s, 1).verdict, Verdict::kUpNotRunning);
  EXPECT_LT(t, 30);  // well before the interval
  EXPECT_EQ(source_->blast_reads(), 2);
  ASSERT_TRUE(NodeOf(*s, 1).load);
  EXPECT_EQ(NodeOf(*s, 1).load->agents_total, 37u);

  Evaluator evaluator({"prod", {}}, ResolveAlertRules({}), 30, clock_);
  const Evaluation e = evaluator.Evaluate(*s);
  ASSERT_EQ(e.firing.size(), 1u);
  EXPECT_THAT(e.firing[0].annotations.at("description"),
              HasSubstr("ms1 is gone; 37 agents (2 Disconnected, 35 Up) and 4 jobs in "
                        "progress are still attached to it."));
}

TEST_F(BlastPollerTest, WithoutGrantsOneLineAndEverythingElseWorks) {
  LogCapture log;
  BlastRadiusRead denied;
  denied.unavailable = true;
  denied.error =
      "query: SELECT command denied to user 'exporter'@'localhost' for table "
      "`cloud`.`host` (1142)";
  source_->SetBlast(denied);
  std::shared_ptr<const Snapshot> s;
  for (double t = 0; t <= 64; t += 2) s = PollAt(t);
  EXPECT_EQ(source_->blast_reads(), 3);  // tried again every interval: a grant may come
  EXPECT_TRUE(s->up);
  EXPECT_EQ(s->nodes.size(), 2u);
  EXPECT_EQ(NodeOf(*s, 1).verdict, Verdict::kOk);
  EXPECT_FALSE(NodeOf(*s, 1).load);
  EXPECT_TRUE(s->blast_radius.attempted);
  EXPECT_FALSE(s->blast_radius.up);
  EXPECT_EQ(s->blast_radius.error, denied.error);
  EXPECT_EQ(log.Lines({"msg=\"agents and jobs not readable", "target=prod",
                       "error=\"query: SELECT command denied"})
                .size(),
            1u);

  const std::string text = RenderProbe(*s, {});
  EXPECT_THAT(text, HasSubstr("\ncloudstack_mshost_blast_radius_up 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("cloudstack_mshost_agents{")));
  EXPECT_THAT(text, Not(HasSubstr("cloudstack_mshost_jobs_in_progress")));
  EXPECT_THAT(text, HasSubstr("cloudstack_mshost_up 1"));

  source_->SetBlast(SampleBlast());  // the grant arrives
  s = PollAt(90);
  EXPECT_TRUE(s->blast_radius.up);
  ASSERT_TRUE(NodeOf(*s, 1).load);
  EXPECT_EQ(log.Lines({"msg=\"agents and jobs readable again\""}).size(), 1u);
}

TEST_F(BlastPollerTest, AFailedReadKeepsTheLastCountsAndSaysSo) {
  source_->SetBlast(SampleBlast());
  PollAt(0);
  BlastRadiusRead failed;
  failed.error = "query: Lost connection to server during query";
  source_->SetBlast(failed);
  auto s = PollAt(30);
  EXPECT_FALSE(s->blast_radius.up);
  EXPECT_EQ(s->blast_radius.read_unix, start_unix_);  // the counts are this old
  ASSERT_TRUE(NodeOf(*s, 1).load);
  EXPECT_EQ(NodeOf(*s, 1).load->agents_total, 37u);
  EXPECT_EQ(s->blast_radius.read_failures_total, 1u);
}

// --- outputs ---------------------------------------------------------------------

Snapshot LoadedSnapshot() {
  std::vector<NodeStatus> nodes = TwoNodes(Verdict::kUpNotRunning);
  Snapshot snapshot = test::OkSnapshot(nodes);
  snapshot.blast_radius.attempted = true;
  snapshot.blast_radius.up = true;
  snapshot.blast_radius.read_unix = 1'700'000'000;
  snapshot.blast_radius.unattached_agents = AttachLoads(SampleBlast(), &snapshot.nodes);
  return snapshot;
}

TEST(BlastOutputsTest, MetricsPerNodeAndForTheTarget) {
  const std::string text = RenderProbe(LoadedSnapshot(), {});
  EXPECT_THAT(
      text,
      HasSubstr("cloudstack_mshost_agents{msid=\"1\",name=\"ms1\",status=\"Up\"} 35\n"));
  EXPECT_THAT(text, HasSubstr("cloudstack_mshost_agents{msid=\"1\",name=\"ms1\","
                              "status=\"Disconnected\"} 2\n"));
  EXPECT_THAT(
      text, HasSubstr("cloudstack_mshost_jobs_in_progress{msid=\"1\",name=\"ms1\"} 4\n"));
  EXPECT_THAT(
      text, HasSubstr("cloudstack_mshost_jobs_in_progress{msid=\"2\",name=\"ms2\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("cloudstack_mshost_blast_radius_up 1\n"));
  EXPECT_THAT(text,
              HasSubstr("cloudstack_mshost_agents_unattached{status=\"Alert\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("cloudstack_mshost_agents_unattached{status=\"Up\"} 1\n"));
}

TEST(BlastOutputsTest, NotReadYetMeansNoSeries) {
  const std::string text = RenderProbe(test::OkSnapshot(TwoNodes()), {});
  EXPECT_THAT(text, Not(HasSubstr("blast_radius_up")));
  EXPECT_THAT(text, Not(HasSubstr("cloudstack_mshost_agents")));
}

TEST(BlastOutputsTest, StatusJsonHasCountsPerNodeAndTheTargetsRead) {
  RunningTarget target;
  target.name = "prod";
  target.snapshot = std::make_shared<Snapshot>(LoadedSnapshot());
  const nlohmann::json json = StatusJson(BuildStatus({target}, 1'700'000'001));
  const nlohmann::json& t = json["targets"][0];
  EXPECT_EQ(t["blast_radius"]["up"], true);
  EXPECT_EQ(t["blast_radius"]["read_at"], 1'700'000'000.0);
  EXPECT_EQ(t["blast_radius"]["unattached_agents"],
            nlohmann::json({{"Alert", 3}, {"Up", 1}}));
  EXPECT_EQ(t["nodes"][0]["agents"], nlohmann::json({{"Disconnected", 2}, {"Up", 35}}));
  EXPECT_EQ(t["nodes"][0]["agents_total"], 37);
  EXPECT_EQ(t["nodes"][0]["jobs_in_progress"], 4);

  RunningTarget unread;
  unread.name = "prod";
  unread.snapshot = std::make_shared<Snapshot>(test::OkSnapshot(TwoNodes()));
  const nlohmann::json unread_json = StatusJson(BuildStatus({unread}, 1));
  const nlohmann::json& u = unread_json["targets"][0];
  EXPECT_EQ(u["blast_radius"]["up"], nullptr);
  EXPECT_EQ(u["nodes"][0]["agents"], nullptr);
  EXPECT_EQ(u["nodes"][0]["jobs_in_progress"], nullptr);
}

TEST(BlastOutputsTest, EveryAlertAboutANodeCarriesTheCounts) {
  FakeClock clock;
  Evaluator evaluator({"prod", {}}, ResolveAlertRules({}), 30, clock);
  Snapshot snapshot = LoadedSnapshot();
  snapshot.nodes[1].verdict = Verdict::kUpUnreachable;
  snapshot.nodes[1].probe = test::RefusedResult();
  const Evaluation e = evaluator.Evaluate(snapshot);
  ASSERT_EQ(e.firing.size(), 1u);  // up_not_running fires at once; unreachable waits 1m
  EXPECT_THAT(e.firing[0].annotations.at("description"),
              HasSubstr("ms1 is gone; 37 agents (2 Disconnected, 35 Up) and 4 jobs in "
                        "progress are still attached to it."));
  clock.Advance(61);
  const Evaluation later = evaluator.Evaluate(snapshot);
  bool seen_unreachable = false;
  for (const FiringAlert& alert : later.firing) {
    if (alert.alertname != "CloudStackMgmtServerUnreachable") continue;
    seen_unreachable = true;
    EXPECT_THAT(alert.annotations.at("description"),
                HasSubstr("1 agent and 0 jobs in progress are attached to it."));
  }
  EXPECT_TRUE(seen_unreachable);
}

TEST(BlastOutputsTest, ANodeThatHeldNothingSaysSo) {
  FakeClock clock;
  Evaluator evaluator({"prod", {}}, ResolveAlertRules({}), 30, clock);
  Snapshot snapshot = test::OkSnapshot(TwoNodes(Verdict::kUpNotRunning));
  BlastRadiusRead nothing;
  nothing.ok = true;
  AttachLoads(nothing, &snapshot.nodes);
  const Evaluation e = evaluator.Evaluate(snapshot);
  ASSERT_EQ(e.firing.size(), 1u);
  EXPECT_THAT(e.firing[0].annotations.at("description"),
              HasSubstr("ms1 is gone; no agents and no jobs in progress were attached to "
                        "it."));
}

TEST(BlastOutputsTest, UnknownCountsAreNotGuessed) {
  FakeClock clock;
  Evaluator evaluator({"prod", {}}, ResolveAlertRules({}), 30, clock);
  const Evaluation e =
      evaluator.Evaluate(test::OkSnapshot(TwoNodes(Verdict::kUpNotRunning)));
  ASSERT_EQ(e.firing.size(), 1u);
  EXPECT_THAT(e.firing[0].annotations.at("description"), Not(HasSubstr("agent")));
}

}  // namespace
}  // namespace msx
