#include "alerting/evaluator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "alerting/alerting_service.h"
#include "alerting/rules.h"
#include "common/clock.h"
#include "test_util.h"

namespace msx {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr double kResend = 30;

// The contract's names of the verdicts' alerts (their rows in model/verdict.h), kept
// here so that renaming one in the table fails these tests.
constexpr char kAlertUpNotRunning[] = "CloudStackMgmtServerUpNotRunning";
constexpr char kAlertHeartbeatStale[] = "CloudStackMgmtServerHeartbeatStale";
constexpr char kAlertUnreachable[] = "CloudStackMgmtServerUnreachable";
constexpr char kAlertDownButRunning[] = "CloudStackMgmtServerDownButRunning";
constexpr char kAlertStopUnfinished[] = "CloudStackMgmtServerStopUnfinished";

AlertTarget Target() { return {"prod", {{"cloudstack", "prod-eu"}}}; }

NodeStatus Node(uint64_t msid, Verdict verdict, std::optional<std::string> state = "Up",
                uint64_t restarts = 0) {
  NodeStatus node = test::WithProbe(
      test::MakeNode(test::MakeRow(msid, std::move(state), 1'700'000'000.0), verdict,
                     12.5),
      test::RefusedResult());
  node.restarts = restarts;
  return node;
}

Snapshot Up(std::vector<NodeStatus> nodes) { return test::OkSnapshot(std::move(nodes)); }

// The database stopped answering: the last good nodes, frozen, with up=false.
Snapshot Down(std::vector<NodeStatus> frozen_nodes, bool ever_ok = true) {
  Snapshot snapshot = Up(std::move(frozen_nodes));
  snapshot.up = false;
  snapshot.ever_ok = ever_ok;
  snapshot.last_error = "connection refused";
  return snapshot;
}

std::vector<std::string> Names(const std::vector<FiringAlert>& alerts) {
  std::vector<std::string> names;
  for (const FiringAlert& alert : alerts) names.push_back(alert.alertname);
  return names;
}

std::vector<std::string> Names(const std::vector<AlertNotification>& alerts) {
  std::vector<std::string> names;
  for (const AlertNotification& alert : alerts)
    names.push_back(alert.labels.at("alertname"));
  return names;
}

class EvaluatorTest : public ::testing::Test {
 protected:
  Evaluator Make(const AlertingConfig& config = {}) {
    return Evaluator(Target(), ResolveAlertRules(config), kResend, clock_);
  }

  FakeClock clock_;
};

TEST(RulesTest, DefaultsFollowTheContract) {
  std::vector<std::string> names;
  for (const AlertRule& rule : DefaultAlertRules()) names.push_back(rule.alertname);
  EXPECT_THAT(names,
              ElementsAre(kAlertUpNotRunning, kAlertHeartbeatStale, kAlertUnreachable,
                          kAlertDownButRunning, kAlertStopUnfinished,
                          kAlertNoRunningMgmtServer,
                          kAlertSourceDown, kAlertFlapping, kAlertWatchdog));
  const std::map<std::string, std::pair<std::string, double>> contract = {
      {kAlertUpNotRunning, {"critical", 0}},    {kAlertHeartbeatStale, {"warning", 60}},
      {kAlertUnreachable, {"warning", 60}},     {kAlertDownButRunning, {"warning", 60}},
      {kAlertStopUnfinished, {"warning", 60}},  {kAlertSourceDown, {"critical", 60}},
  };
  for (const AlertRule& rule : DefaultAlertRules()) {
    auto expected = contract.find(rule.alertname);
    if (expected == contract.end()) continue;
    EXPECT_EQ(rule.severity, expected->second.first) << rule.alertname;
    EXPECT_EQ(rule.for_seconds, expected->second.second) << rule.alertname;
    EXPECT_EQ(rule.per_node, rule.alertname != kAlertSourceDown) << rule.alertname;
  }
}

TEST(RulesTest, OverridesChangeForAndSeverity) {
  AlertingConfig config;
  config.rules[kAlertUpNotRunning] = {10, "warning"};
  config.rules[kAlertSourceDown] = {5, ""};  // keeps its severity
  for (const AlertRule& rule : ResolveAlertRules(config)) {
    if (rule.alertname == kAlertUpNotRunning) {
      EXPECT_EQ(rule.for_seconds, 10);
      EXPECT_EQ(rule.severity, "warning");
    } else if (rule.alertname == kAlertSourceDown) {
      EXPECT_EQ(rule.for_seconds, 5);
      EXPECT_EQ(rule.severity, "critical");
    } else if (rule.alertname == kAlertHeartbeatStale) {
      EXPECT_EQ(rule.for_seconds, 60);
    }
  }
}

TEST_F(EvaluatorTest, UpNotRunningFiresAtOnceWithTheContractsLabels) {
  Evaluator evaluator = Make();
  Evaluation e =
      evaluator.Evaluate(Up({Node(7, Verdict::kUpNotRunning), Node(8, Verdict::kOk)}));

  ASSERT_EQ(e.firing.size(), 1u);
  const FiringAlert& alert = e.firing[0];
  EXPECT_EQ(alert.alertname, kAlertUpNotRunning);
  EXPECT_EQ(alert.severity, "critical");
  EXPECT_EQ(alert.msid, "7");
  EXPECT_EQ(alert.name, "ms7");
  EXPECT_EQ(alert.active_since_unix, clock_.UnixSeconds());
  EXPECT_THAT(alert.labels,
              UnorderedElementsAre(Pair("alertname", kAlertUpNotRunning),
                                   Pair("severity", "critical"), Pair("target", "prod"),
                                   Pair("msid", "7"), Pair("name", "ms7"),
                                   Pair("cloudstack", "prod-eu")));
  EXPECT_THAT(alert.annotations.at("summary"), HasSubstr("ms7"));
  EXPECT_THAT(alert.annotations.at("description"), HasSubstr("says Up"));
  EXPECT_THAT(alert.annotations.at("description"), HasSubstr("12.5s"));
  EXPECT_THAT(alert.annotations.at("description"), HasSubstr("connection refused"));
  // The link is the service's to add (AlertingServiceTest.LinksPointAtTheExternalUrl).
  EXPECT_EQ(alert.annotations.count("runbook_url"), 0u);

  ASSERT_EQ(e.to_send.size(), 1u);
  EXPECT_EQ(e.to_send[0].labels, alert.labels);
  EXPECT_EQ(e.to_send[0].annotations, alert.annotations);
  EXPECT_EQ(e.to_send[0].starts_at_unix, clock_.UnixSeconds());
  EXPECT_EQ(e.to_send[0].ends_at_unix, clock_.UnixSeconds() + 4 * kResend);
}

TEST_F(EvaluatorTest, NullNameAndStateAreShownNotDropped) {
  Evaluator evaluator = Make();
  NodeStatus node = Node(7, Verdict::kUpNotRunning, std::nullopt);
  node.row.name = std::nullopt;
  node.row.last_update_unix = std::nullopt;
  Evaluation e = evaluator.Evaluate(Up({node, Node(2, Verdict::kOk)}));
  ASSERT_EQ(e.firing.size(), 1u);
  EXPECT_EQ(e.firing[0].labels.at("name"), "");
  EXPECT_THAT(e.firing[0].annotations.at("summary"), HasSubstr("Management server 7 "));
  EXPECT_THAT(e.firing[0].annotations.at("description"), HasSubstr("says <NULL>"));
  EXPECT_THAT(e.firing[0].annotations.at("description"), HasSubstr("never heartbeated"));
}

TEST_F(EvaluatorTest, EachVerdictRaisesItsAlert) {
  AlertingConfig config;
  for (const char* name :
       {kAlertHeartbeatStale, kAlertUnreachable, kAlertDownButRunning}) {
    config.rules[name] = {0, ""};
  }
  Evaluator evaluator = Make(config);
  Evaluation e = evaluator.Evaluate(
      Up({Node(1, Verdict::kUpHeartbeatStale), Node(2, Verdict::kUpUnreachable),
          Node(3, Verdict::kDownButRunning, "Down"), Node(4, Verdict::kOk)}));
  EXPECT_THAT(Names(e.firing),
              ElementsAre(kAlertDownButRunning, kAlertHeartbeatStale, kAlertUnreachable));
  for (const FiringAlert& alert : e.firing) EXPECT_EQ(alert.severity, "warning");
}

TEST_F(EvaluatorTest, HeartbeatStaleIsPendingUntilItsForHasPassed) {
  Evaluator evaluator = Make();
  const double pending_since = clock_.UnixSeconds();
  Snapshot stale = Up({Node(1, Verdict::kUpHeartbeatStale), Node(2, Verdict::kOk)});

  Evaluation e = evaluator.Evaluate(stale);
  EXPECT_THAT(e.firing, IsEmpty());
  EXPECT_THAT(e.to_send, IsEmpty());

  clock_.Advance(59);
  e = evaluator.Evaluate(stale);
  EXPECT_THAT(e.firing, IsEmpty());
  EXPECT_THAT(e.to_send, IsEmpty());

  clock_.Advance(1);
  e = evaluator.Evaluate(stale);
  EXPECT_THAT(Names(e.firing), ElementsAre(kAlertHeartbeatStale));
  EXPECT_EQ(e.firing[0].active_since_unix, pending_since + 60);
  EXPECT_THAT(Names(e.to_send), ElementsAre(kAlertHeartbeatStale));
}

TEST_F(EvaluatorTest, PendingThatClearsIsNeverSent) {
  Evaluator evaluator = Make();
  evaluator.Evaluate(Up({Node(1, Verdict::kUpHeartbeatStale), Node(2, Verdict::kOk)}));
  clock_.Advance(30);
  Evaluation e = evaluator.Evaluate(Up({Node(1, Verdict::kOk), Node(2, Verdict::kOk)}));
  EXPECT_THAT(e.firing, IsEmpty());
  EXPECT_THAT(e.to_send, IsEmpty());
  // And the `for` starts over.
  clock_.Advance(2);
  evaluator.Evaluate(Up({Node(1, Verdict::kUpHeartbeatStale), Node(2, Verdict::kOk)}));
  clock_.Advance(58);
  EXPECT_THAT(
      evaluator.Evaluate(Up({Node(1, Verdict::kUpHeartbeatStale), Node(2, Verdict::kOk)}))
          .firing,
      IsEmpty());
  clock_.Advance(2);
  EXPECT_THAT(Names(evaluator
                        .Evaluate(Up(
                            {Node(1, Verdict::kUpHeartbeatStale), Node(2, Verdict::kOk)}))
                        .firing),
              ElementsAre(kAlertHeartbeatStale));
}

TEST_F(EvaluatorTest, FiringIsResentEveryResendInterval) {
  Evaluator evaluator = Make();
  Snapshot dead = Up({Node(1, Verdict::kUpNotRunning), Node(2, Verdict::kOk)});
  const double fired_at = clock_.UnixSeconds();
  ASSERT_EQ(evaluator.Evaluate(dead).to_send.size(), 1u);

  for (int poll = 1; poll < 15; ++poll) {
    clock_.Advance(2);
    Evaluation e = evaluator.Evaluate(dead);
    EXPECT_THAT(Names(e.firing), ElementsAre(kAlertUpNotRunning));
    EXPECT_THAT(e.to_send, IsEmpty()) << "poll " << poll;
  }
  clock_.Advance(2);  // 30 s after the first send
  Evaluation e = evaluator.Evaluate(dead);
  ASSERT_EQ(e.to_send.size(), 1u);
  EXPECT_EQ(e.to_send[0].starts_at_unix, fired_at);
  EXPECT_EQ(e.to_send[0].ends_at_unix, clock_.UnixSeconds() + 4 * kResend);
}

TEST_F(EvaluatorTest, ResolvedIsSentAtOnceThenResentForFifteenMinutes) {
  Evaluator evaluator = Make();
  const double fired_at = clock_.UnixSeconds();
  evaluator.Evaluate(Up({Node(1, Verdict::kUpNotRunning), Node(2, Verdict::kOk)}));
  clock_.Advance(10);
  const double resolved_at = clock_.UnixSeconds();
  Snapshot healthy = Up({Node(1, Verdict::kOk), Node(2, Verdict::kOk)});

  Evaluation e = evaluator.Evaluate(healthy);
  EXPECT_THAT(e.firing, IsEmpty());
  ASSERT_EQ(e.to_send.size(), 1u);
  EXPECT_EQ(e.to_send[0].starts_at_unix, fired_at);
  EXPECT_EQ(e.to_send[0].ends_at_unix, resolved_at);

  int resends = 0;
  for (double t = 2; t < kResolvedResendSeconds; t += 2) {
    clock_.Advance(2);
    e = evaluator.Evaluate(healthy);
    for (const AlertNotification& n : e.to_send) {
      EXPECT_EQ(n.ends_at_unix, resolved_at);
      ++resends;
    }
  }
  EXPECT_EQ(resends, static_cast<int>(kResolvedResendSeconds / kResend) - 1);
  clock_.Advance(2);
  EXPECT_THAT(evaluator.Evaluate(healthy).to_send, IsEmpty());
}

TEST_F(EvaluatorTest, FiringAgainAfterResolveIsANewAlert) {
  Evaluator evaluator = Make();
  evaluator.Evaluate(Up({Node(1, Verdict::kUpNotRunning), Node(2, Verdict::kOk)}));
  clock_.Advance(10);
  evaluator.Evaluate(Up({Node(1, Verdict::kOk), Node(2, Verdict::kOk)}));
  clock_.Advance(10);
  const double second_start = clock_.UnixSeconds();
  Evaluation e =
      evaluator.Evaluate(Up({Node(1, Verdict::kUpNotRunning), Node(2, Verdict::kOk)}));
  ASSERT_EQ(e.to_send.size(), 1u);
  EXPECT_EQ(e.to_send[0].starts_at_unix, second_start);
  EXPECT_GT(e.to_send[0].ends_at_unix, clock_.UnixSeconds());
}

TEST_F(EvaluatorTest, NodeThatLeavesTheTableResolves) {
  Evaluator evaluator = Make();
  evaluator.Evaluate(Up({Node(1, Verdict::kUpNotRunning), Node(2, Verdict::kOk)}));
  clock_.Advance(2);
  Evaluation e = evaluator.Evaluate(Up({Node(2, Verdict::kOk)}));
  EXPECT_THAT(e.firing, IsEmpty());
  ASSERT_EQ(e.to_send.size(), 1u);
  EXPECT_EQ(e.to_send[0].ends_at_unix, clock_.UnixSeconds());
}

TEST_F(EvaluatorTest, OutageNeitherResolvesNorFiresNodeAlerts) {
  Evaluator evaluator = Make();
  std::vector<NodeStatus> last_good = {Node(1, Verdict::kUpNotRunning),
                                       Node(2, Verdict::kOk)};
  evaluator.Evaluate(Up(last_good));

  // Whatever the frozen nodes say, nothing about nodes changes during the outage:
  // node 1 stays firing (no "resolved" for a node that is still dead) and node 2's
  // verdict is not acted upon.
  std::vector<NodeStatus> odd = {Node(1, Verdict::kOk), Node(2, Verdict::kUpNotRunning)};
  for (int poll = 0; poll < 60; ++poll) {
    clock_.Advance(2);
    Evaluation e = evaluator.Evaluate(Down(poll % 2 ? odd : last_good));
    std::vector<std::string> node_alerts;
    for (const FiringAlert& alert : e.firing) {
      if (!alert.msid.empty()) node_alerts.push_back(alert.alertname + "/" + alert.msid);
    }
    EXPECT_THAT(node_alerts, ElementsAre(std::string(kAlertUpNotRunning) + "/1"));
    for (const AlertNotification& n : e.to_send) {
      EXPECT_GT(n.ends_at_unix, clock_.UnixSeconds()) << "nothing resolves";
    }
  }
  // Back: the truth of the new read counts again.
  clock_.Advance(2);
  Evaluation e = evaluator.Evaluate(Up({Node(1, Verdict::kOk), Node(2, Verdict::kOk)}));
  EXPECT_THAT(e.firing, IsEmpty());
  EXPECT_THAT(Names(e.to_send),
              UnorderedElementsAre(kAlertUpNotRunning, kAlertSourceDown));
}

TEST_F(EvaluatorTest, FiringNodeAlertIsResentDuringOutage) {
  Evaluator evaluator = Make();
  std::vector<NodeStatus> nodes = {Node(1, Verdict::kUpNotRunning),
                                   Node(2, Verdict::kOk)};
  evaluator.Evaluate(Up(nodes));
  clock_.Advance(kResend);
  Evaluation e = evaluator.Evaluate(Down(nodes));
  ASSERT_THAT(Names(e.to_send), ElementsAre(kAlertUpNotRunning));
  EXPECT_EQ(e.to_send[0].ends_at_unix, clock_.UnixSeconds() + 4 * kResend);
}

TEST_F(EvaluatorTest, PendingClockPausesDuringOutage) {
  Evaluator evaluator = Make();
  std::vector<NodeStatus> nodes = {Node(1, Verdict::kUpHeartbeatStale),
                                   Node(2, Verdict::kOk)};
  evaluator.Evaluate(Up(nodes));
  clock_.Advance(30);
  evaluator.Evaluate(Up(nodes));  // pending for 30 s
  clock_.Advance(1);
  evaluator.Evaluate(Down(nodes));
  clock_.Advance(100);
  EXPECT_THAT(Names(evaluator.Evaluate(Down(nodes)).firing),
              ElementsAre(kAlertSourceDown));

  // Back after 101 s: 29 s of `for` remain (the outage's start counts as pending).
  clock_.Advance(1);
  EXPECT_THAT(evaluator.Evaluate(Up(nodes)).firing, IsEmpty());
  clock_.Advance(27);
  EXPECT_THAT(evaluator.Evaluate(Up(nodes)).firing, IsEmpty());
  clock_.Advance(2);
  EXPECT_THAT(Names(evaluator.Evaluate(Up(nodes)).firing),
              ElementsAre(kAlertHeartbeatStale));
}

TEST_F(EvaluatorTest, SourceDownFiresAfterItsForAndResolvesWhenRead) {
  Evaluator evaluator = Make();
  std::vector<NodeStatus> nodes = {Node(1, Verdict::kOk)};
  evaluator.Evaluate(Up(nodes));

  clock_.Advance(2);
  Evaluation e = evaluator.Evaluate(Down(nodes));
  EXPECT_THAT(e.firing, IsEmpty());
  clock_.Advance(58);
  EXPECT_THAT(evaluator.Evaluate(Down(nodes)).firing, IsEmpty());
  clock_.Advance(2);
  e = evaluator.Evaluate(Down(nodes));
  ASSERT_THAT(Names(e.firing), ElementsAre(kAlertSourceDown));
  EXPECT_THAT(e.firing[0].labels,
              UnorderedElementsAre(Pair("alertname", kAlertSourceDown),
                                   Pair("severity", "critical"), Pair("target", "prod"),
                                   Pair("cloudstack", "prod-eu")));
  EXPECT_THAT(e.firing[0].annotations.at("description"), HasSubstr("connection refused"));
  EXPECT_THAT(Names(e.to_send), ElementsAre(kAlertSourceDown));

  clock_.Advance(2);
  e = evaluator.Evaluate(Up(nodes));
  EXPECT_THAT(e.firing, IsEmpty());
  ASSERT_THAT(Names(e.to_send), ElementsAre(kAlertSourceDown));
  EXPECT_EQ(e.to_send[0].ends_at_unix, clock_.UnixSeconds());
}

TEST_F(EvaluatorTest, ShortOutageRaisesNothing) {
  Evaluator evaluator = Make();
  std::vector<NodeStatus> nodes = {Node(1, Verdict::kOk)};
  evaluator.Evaluate(Up(nodes));
  for (int poll = 0; poll < 15; ++poll) {  // 30 s
    clock_.Advance(2);
    Evaluation e = evaluator.Evaluate(Down(nodes));
    EXPECT_THAT(e.firing, IsEmpty());
    EXPECT_THAT(e.to_send, IsEmpty());
  }
  clock_.Advance(2);
  Evaluation e = evaluator.Evaluate(Up(nodes));
  EXPECT_THAT(e.firing, IsEmpty());
  EXPECT_THAT(e.to_send, IsEmpty());
}

TEST_F(EvaluatorTest, NeverReadTargetRaisesSourceDownOnly) {
  Evaluator evaluator = Make();
  for (int poll = 0; poll <= 30; ++poll) {
    Evaluation e = evaluator.Evaluate(Down({}, /*ever_ok=*/false));
    if (poll < 30) {
      EXPECT_THAT(e.firing, IsEmpty());
    } else {
      EXPECT_THAT(Names(e.firing), ElementsAre(kAlertSourceDown));
      EXPECT_THAT(e.firing[0].annotations.at("description"),
                  HasSubstr("not been read since the exporter started"));
    }
    clock_.Advance(2);
  }
}

TEST_F(EvaluatorTest, NoRunningMgmtServer) {
  Evaluator evaluator = Make();
  // One node claims running and is ok: fine.
  EXPECT_THAT(
      evaluator.Evaluate(Up({Node(1, Verdict::kOk), Node(2, Verdict::kOk, "Down")}))
          .firing,
      IsEmpty());
  // Only an ok Down node and a dead one: nothing runs.
  clock_.Advance(2);
  Evaluation e = evaluator.Evaluate(
      Up({Node(1, Verdict::kUpNotRunning), Node(2, Verdict::kOk, "Down")}));
  EXPECT_THAT(Names(e.firing),
              ElementsAre(kAlertUpNotRunning, kAlertNoRunningMgmtServer));
  const FiringAlert& none = e.firing[1];
  EXPECT_EQ(none.severity, "critical");
  EXPECT_EQ(none.labels.count("msid"), 0u);
  EXPECT_EQ(none.labels.at("target"), "prod");
  EXPECT_THAT(none.annotations.at("description"), HasSubstr("ms1: state Up"));
  // A node that answers but does not heartbeat is not "running and ok" either.
  clock_.Advance(2);
  EXPECT_THAT(Names(evaluator.Evaluate(Up({Node(1, Verdict::kUpHeartbeatStale)})).firing),
              ElementsAre(kAlertNoRunningMgmtServer));
  clock_.Advance(2);
  EXPECT_THAT(evaluator.Evaluate(Up({Node(1, Verdict::kOk)})).firing, IsEmpty());
}

// Every probe fails but every node heartbeats: the exporter lost its route, the cloud
// did not lose its management servers.
TEST_F(EvaluatorTest, NoRunningFollowsHeartbeatsNotProbes) {
  Evaluator evaluator = Make();
  Snapshot cut_off = Up({Node(1, Verdict::kUpUnreachable), Node(2, Verdict::kUpUnreachable)});
  ASSERT_EQ(cut_off.running_nodes, 2u);
  for (int poll = 0; poll < 40; ++poll) {
    clock_.Advance(2);
    Evaluation e = evaluator.Evaluate(cut_off);
    for (const FiringAlert& alert : e.firing) {
      EXPECT_NE(alert.alertname, kAlertNoRunningMgmtServer);
    }
  }
  cut_off.running_nodes = 0;
  EXPECT_THAT(Names(evaluator.Evaluate(cut_off).firing),
              testing::Contains(kAlertNoRunningMgmtServer));
}

TEST_F(EvaluatorTest, StopUnfinishedWarnsAfterItsFor) {
  Evaluator evaluator = Make();
  const Snapshot stuck =
      Up({Node(1, Verdict::kStopUnfinished, "ShuttingDown"), Node(2, Verdict::kOk)});
  EXPECT_THAT(evaluator.Evaluate(stuck).firing, IsEmpty());
  clock_.Advance(60);
  Evaluation e = evaluator.Evaluate(stuck);
  ASSERT_THAT(Names(e.firing), ElementsAre(kAlertStopUnfinished));
  EXPECT_EQ(e.firing[0].severity, "warning");
  EXPECT_EQ(e.firing[0].labels.at("msid"), "1");
  // Not Up: no peer of any version will ever clear it.
  EXPECT_THAT(e.firing[0].annotations.at("description"),
              HasSubstr("never set this row Down by itself: peers clear only rows in "
                        "state Up"));
}

TEST_F(EvaluatorTest, MaintenanceAndSupersededRaiseNothing) {
  Evaluator evaluator = Make();
  const Snapshot planned = Up({Node(1, Verdict::kMaintenance, "Maintenance"),
                               Node(2, Verdict::kSuperseded), Node(3, Verdict::kOk)});
  for (int poll = 0; poll < 40; ++poll) {
    clock_.Advance(2);
    EXPECT_THAT(evaluator.Evaluate(planned).firing, IsEmpty());
  }
}

// The description tells the person on call whether CloudStack will clear the row.
TEST_F(EvaluatorTest, UpNotRunningSaysWhetherCloudStackWillClearTheRow) {
  auto description = [&](std::vector<NodeStatus> nodes) {
    Evaluator evaluator = Make();
    Evaluation e = evaluator.Evaluate(Up(std::move(nodes)));
    for (const FiringAlert& alert : e.firing) {
      if (alert.alertname == kAlertUpNotRunning) return alert.annotations.at("description");
    }
    ADD_FAILURE() << "no UpNotRunning";
    return std::string();
  };
  NodeStatus dead = Node(1, Verdict::kUpNotRunning);
  NodeStatus peer = Node(2, Verdict::kOk);
  peer.silence_seconds = 1;
  EXPECT_THAT(description({dead}), HasSubstr("no other management server is running"));
  peer.row.version = "4.20.0.0";
  EXPECT_THAT(description({dead, peer}), HasSubstr("versions before 4.20.1"));
  peer.row.version = "4.20.1.0";
  EXPECT_THAT(description({dead, peer}), HasSubstr("will set this row Down about 150 s"));
  peer.row.version = "4.21.0.0";
  EXPECT_THAT(description({dead, peer}), HasSubstr("will set this row Down about 150 s"));
  peer.row.version = std::nullopt;
  EXPECT_THAT(description({dead, peer}), HasSubstr("versions are unknown"));
}

TEST_F(EvaluatorTest, NoRunningFiresForAnEmptyTable) {
  Evaluator evaluator = Make();
  Evaluation e = evaluator.Evaluate(Up({}));
  ASSERT_THAT(Names(e.firing), ElementsAre(kAlertNoRunningMgmtServer));
  EXPECT_THAT(e.firing[0].annotations.at("description"), HasSubstr("no current rows"));
}

TEST_F(EvaluatorTest, NoRunningIsJudgedOnFrozenDataDuringOutage) {
  Evaluator evaluator = Make();
  std::vector<NodeStatus> all_down = {Node(1, Verdict::kOk, "Down")};
  std::vector<NodeStatus> one_ok = {Node(1, Verdict::kOk)};
  // A database outage with a healthy last read never raises it ("all nodes down").
  evaluator.Evaluate(Up(one_ok));
  for (int poll = 0; poll < 10; ++poll) {
    clock_.Advance(2);
    for (const FiringAlert& alert : evaluator.Evaluate(Down(one_ok)).firing) {
      EXPECT_NE(alert.alertname, kAlertNoRunningMgmtServer);
    }
  }
  // With nothing running at the last read, it keeps firing through the outage.
  clock_.Advance(2);
  EXPECT_THAT(Names(evaluator.Evaluate(Up(all_down)).firing),
              ElementsAre(kAlertNoRunningMgmtServer));
  clock_.Advance(2);
  EXPECT_THAT(Names(evaluator.Evaluate(Down(all_down)).firing),
              ElementsAre(kAlertNoRunningMgmtServer));
}

TEST_F(EvaluatorTest, FlappingNeedsMoreThanThreeRestartsInFifteenMinutes) {
  Evaluator evaluator = Make();
  auto poll = [&](uint64_t restarts) {
    return evaluator.Evaluate(Up({Node(1, Verdict::kOk, "Up", restarts)}));
  };
  poll(0);  // first sight
  for (uint64_t restarts = 1; restarts <= 3; ++restarts) {
    clock_.Advance(60);
    EXPECT_THAT(poll(restarts).firing, IsEmpty()) << restarts << " restarts";
  }
  clock_.Advance(60);
  Evaluation e = poll(4);
  ASSERT_THAT(Names(e.firing), ElementsAre(kAlertFlapping));
  EXPECT_EQ(e.firing[0].severity, "warning");
  EXPECT_EQ(e.firing[0].msid, "1");
  EXPECT_THAT(e.firing[0].annotations.at("description"), HasSubstr("4 new runids"));

  // The first restart (at 60 s) leaves the window 15 minutes later: 3 remain.
  clock_.Advance(kFlappingWindowSeconds - 3 * 60 - 1);
  EXPECT_THAT(Names(poll(4).firing), ElementsAre(kAlertFlapping));
  clock_.Advance(1);
  e = poll(4);
  EXPECT_THAT(e.firing, IsEmpty());
  EXPECT_THAT(Names(e.to_send), ElementsAre(kAlertFlapping));
}

TEST_F(EvaluatorTest, FlappingCountsSeveralRestartsBetweenPolls) {
  Evaluator evaluator = Make();
  evaluator.Evaluate(Up({Node(1, Verdict::kOk, "Up", 10)}));  // earlier ones not ours
  clock_.Advance(2);
  EXPECT_THAT(evaluator.Evaluate(Up({Node(1, Verdict::kOk, "Up", 13)})).firing,
              IsEmpty());
  clock_.Advance(2);
  EXPECT_THAT(Names(evaluator.Evaluate(Up({Node(1, Verdict::kOk, "Up", 14)})).firing),
              ElementsAre(kAlertFlapping));
}

TEST_F(EvaluatorTest, FlappingIsFrozenDuringOutage) {
  Evaluator evaluator = Make();
  evaluator.Evaluate(Up({Node(1, Verdict::kOk, "Up", 0)}));
  clock_.Advance(2);
  std::vector<NodeStatus> flapping = {Node(1, Verdict::kOk, "Up", 4)};
  ASSERT_THAT(Names(evaluator.Evaluate(Up(flapping)).firing),
              ElementsAre(kAlertFlapping));
  // An outage longer than the window: still firing, nothing resolved.
  for (int minute = 0; minute < 20; ++minute) {
    clock_.Advance(60);
    Evaluation e = evaluator.Evaluate(Down(flapping));
    EXPECT_THAT(Names(e.firing), testing::Contains(kAlertFlapping));
    for (const AlertNotification& n : e.to_send) {
      EXPECT_GT(n.ends_at_unix, clock_.UnixSeconds());
    }
  }
}

TEST_F(EvaluatorTest, ConfigOverridesForAndSeverity) {
  AlertingConfig config;
  config.rules[kAlertUpNotRunning] = {10, "warning"};
  Evaluator evaluator = Make(config);
  Snapshot dead = Up({Node(1, Verdict::kUpNotRunning), Node(2, Verdict::kOk)});
  EXPECT_THAT(evaluator.Evaluate(dead).firing, IsEmpty());
  clock_.Advance(10);
  Evaluation e = evaluator.Evaluate(dead);
  ASSERT_THAT(Names(e.firing), ElementsAre(kAlertUpNotRunning));
  EXPECT_EQ(e.firing[0].severity, "warning");
  EXPECT_EQ(e.to_send[0].labels.at("severity"), "warning");
}

// A Notifier that records what it is given, into storage the test owns. The
// watchdog's beats go apart (and are not counted), so the tests of the other alerts
// count only those; the watchdog's own tests read the beats.
class RecordingNotifier : public Notifier {
 public:
  RecordingNotifier(std::vector<AlertNotification>* sent,
                    std::vector<AlertNotification>* beats, std::string url)
      : sent_(sent), beats_(beats), url_(std::move(url)) {}
  void Notify(const std::vector<AlertNotification>& alerts) override {
    for (const AlertNotification& alert : alerts) {
      if (alert.labels.at("alertname") == kAlertWatchdog) {
        beats_->push_back(alert);
      } else {
        sent_->push_back(alert);
        ++count_;
      }
    }
  }
  NotifierStats Stats() const override {
    NotifierStats stats;
    stats.notifications[{url_, "success"}] = count_;
    return stats;
  }

 private:
  std::vector<AlertNotification>* sent_;
  std::vector<AlertNotification>* beats_;
  std::string url_;
  uint64_t count_ = 0;
};

class AlertingServiceTest : public ::testing::Test {
 protected:
  AlertingServiceTest() {
    targets_ = {Target(), Target()};
    targets_[1].name = "staging";
    alerting_.alertmanagers = {"http://am"};
  }

  NotifierFactory Factory() {
    return [this](const AlertingConfig& alerting,
                  const Clock& clock) -> std::unique_ptr<Notifier> {
      EXPECT_EQ(&clock, &clock_) << "the notifier must wait on the service's clock";
      ++notifiers_made_;
      if (alerting.alertmanagers.empty()) return nullptr;
      return std::make_unique<RecordingNotifier>(&sent_, &beats_, alerting.alertmanagers[0]);
    };
  }

  FakeClock clock_;
  AlertingConfig alerting_;
  std::vector<AlertTarget> targets_;
  std::vector<AlertNotification> sent_;
  std::vector<AlertNotification> beats_;
  int notifiers_made_ = 0;
};

TEST_F(AlertingServiceTest, LinksPointAtTheExternalUrl) {
  AlertingService service(alerting_, targets_, Factory(), clock_);
  service.SetExternalUrl("https://mshost.example:8443/exporter/");
  service.OnSnapshot(Up({Node(1, Verdict::kUpNotRunning), Node(2, Verdict::kOk)}));
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].annotations.at("runbook_url"),
            "https://mshost.example:8443/exporter/runbooks/CloudStackMgmtServerUpNotRunning");
  EXPECT_EQ(sent_[0].generator_url, "https://mshost.example:8443/exporter/");
  // The pages show the same link.
  ASSERT_EQ(service.FiringAlerts("prod").size(), 1u);
  EXPECT_EQ(service.FiringAlerts("prod")[0].annotations.at("runbook_url"),
            sent_[0].annotations.at("runbook_url"));
}

TEST_F(AlertingServiceTest, WithoutExternalUrlTheLinkIsAPathAndNoGenerator) {
  AlertingService service(alerting_, targets_, Factory(), clock_);
  service.OnSnapshot(Up({Node(1, Verdict::kUpNotRunning), Node(2, Verdict::kOk)}));
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].annotations.at("runbook_url"),
            "/runbooks/CloudStackMgmtServerUpNotRunning");
  EXPECT_EQ(sent_[0].generator_url, "");
}

TEST_F(AlertingServiceTest, WatchdogFiresForEveryTargetAndIsResentLikeAnAlert) {
  targets_[0].labels["cloudstack"] = "prod-eu";
  AlertingService service(alerting_, targets_, Factory(), clock_, "http://exporter:9887");
  const double start = clock_.UnixSeconds();
  service.OnSnapshot(Up({Node(1, Verdict::kOk)}));
  ASSERT_EQ(beats_.size(), 1u);
  EXPECT_THAT(beats_[0].labels,
              UnorderedElementsAre(Pair("alertname", kAlertWatchdog), Pair("severity", "none"),
                                   Pair("target", "prod"), Pair("cloudstack", "prod-eu")));
  EXPECT_EQ(beats_[0].starts_at_unix, start);
  EXPECT_EQ(beats_[0].ends_at_unix, start + 4 * kResend);
  EXPECT_EQ(beats_[0].annotations.at("runbook_url"),
            "http://exporter:9887/runbooks/MshostExporterWatchdog");
  EXPECT_EQ(beats_[0].generator_url, "http://exporter:9887/");
  EXPECT_THAT(sent_, IsEmpty()) << "nothing else fires";
  // Not one of the target's firing alerts: it would say nothing on the pages.
  EXPECT_THAT(service.FiringAlerts("prod"), IsEmpty());

  clock_.Advance(kResend - 1);
  service.OnSnapshot(Up({Node(1, Verdict::kOk)}));
  EXPECT_EQ(beats_.size(), 1u) << "not due yet";
  clock_.Advance(1);
  // A database outage does not stop it: the exporter still evaluates.
  Snapshot down = Up({Node(1, Verdict::kOk)});
  down.up = false;
  service.OnSnapshot(down);
  ASSERT_EQ(beats_.size(), 2u);
  EXPECT_EQ(beats_[1].starts_at_unix, start) << "one alert, not a new one";
  EXPECT_EQ(beats_[1].ends_at_unix, start + kResend + 4 * kResend);

  Snapshot staging = Up({Node(1, Verdict::kOk)});
  staging.target = "staging";
  service.OnSnapshot(staging);
  ASSERT_EQ(beats_.size(), 3u);
  EXPECT_EQ(beats_[2].labels.at("target"), "staging");
}

TEST_F(AlertingServiceTest, WatchdogSeverityFollowsTheRules) {
  alerting_.rules[kAlertWatchdog] = {0, "heartbeat"};
  AlertingService service(alerting_, targets_, Factory(), clock_);
  service.OnSnapshot(Up({Node(1, Verdict::kOk)}));
  ASSERT_EQ(beats_.size(), 1u);
  EXPECT_EQ(beats_[0].labels.at("severity"), "heartbeat");
}

TEST_F(AlertingServiceTest, EvaluatesPerTargetAndNotifies) {
  AlertingService service(alerting_, targets_, Factory(), clock_, "http://exporter:9887/");

  service.OnSnapshot(Up({Node(1, Verdict::kUpNotRunning), Node(2, Verdict::kOk)}));
  Snapshot other = Up({Node(1, Verdict::kOk)});
  other.target = "staging";
  service.OnSnapshot(other);
  Snapshot unknown = Up({Node(1, Verdict::kUpNotRunning)});
  unknown.target = "nope";
  service.OnSnapshot(unknown);

  EXPECT_THAT(Names(service.FiringAlerts("prod")), ElementsAre(kAlertUpNotRunning));
  EXPECT_THAT(service.FiringAlerts("staging"), IsEmpty());
  EXPECT_THAT(service.FiringAlerts("nope"), IsEmpty());
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].labels.at("target"), "prod");
  EXPECT_EQ(sent_[0].generator_url, "http://exporter:9887/");
  EXPECT_EQ((service.Stats().notifications[{"http://am", "success"}]), 1u);
}

TEST_F(AlertingServiceTest, WithoutNotifierStillEvaluates) {
  alerting_.alertmanagers.clear();
  AlertingService service(alerting_, targets_, Factory(), clock_);
  service.OnSnapshot(Up({Node(1, Verdict::kUpNotRunning)}));
  EXPECT_THAT(Names(service.FiringAlerts("prod")),
              ElementsAre(kAlertUpNotRunning, kAlertNoRunningMgmtServer));
  EXPECT_THAT(service.Stats().notifications, IsEmpty());
}

TEST_F(AlertingServiceTest, ReloadKeepsTheStateOfUnchangedTargets) {
  AlertingService service(alerting_, targets_, Factory(), clock_);
  Snapshot dead = Up({Node(1, Verdict::kUpNotRunning), Node(2, Verdict::kOk)});
  service.OnSnapshot(dead);
  ASSERT_EQ(sent_.size(), 1u);

  std::vector<AlertTarget> reloaded = targets_;
  reloaded[1].labels["team"] = "b";  // another target changed
  service.Reconfigure(alerting_, reloaded);
  clock_.Advance(2);
  service.OnSnapshot(dead);
  EXPECT_THAT(Names(service.FiringAlerts("prod")), ElementsAre(kAlertUpNotRunning));
  EXPECT_EQ(sent_.size(), 1u) << "still firing, not due for a resend";
  EXPECT_EQ(notifiers_made_, 1);
}

TEST_F(AlertingServiceTest, ReloadStartsChangedTargetsAfresh) {
  AlertingService service(alerting_, targets_, Factory(), clock_);
  Snapshot dead = Up({Node(1, Verdict::kUpNotRunning), Node(2, Verdict::kOk)});
  service.OnSnapshot(dead);

  std::vector<AlertTarget> reloaded = targets_;
  reloaded[0].labels["cloudstack"] = "prod-us";
  reloaded.pop_back();
  service.Reconfigure(alerting_, reloaded);
  EXPECT_THAT(service.FiringAlerts("prod"), IsEmpty());
  EXPECT_THAT(service.FiringAlerts("staging"), IsEmpty());
  clock_.Advance(2);
  service.OnSnapshot(dead);
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[1].labels.at("cloudstack"), "prod-us");
}

TEST_F(AlertingServiceTest, ReloadWithNewAlertmanagersKeepsCounting) {
  AlertingService service(alerting_, targets_, Factory(), clock_);
  service.OnSnapshot(Up({Node(1, Verdict::kUpNotRunning), Node(2, Verdict::kOk)}));

  AlertingConfig reloaded = alerting_;
  reloaded.alertmanagers = {"http://am2"};
  service.Reconfigure(reloaded, targets_);
  EXPECT_EQ(notifiers_made_, 2);
  clock_.Advance(kResend);
  service.OnSnapshot(Up({Node(1, Verdict::kUpNotRunning), Node(2, Verdict::kOk)}));
  NotifierStats stats = service.Stats();
  EXPECT_EQ((stats.notifications[{"http://am", "success"}]), 1u);
  EXPECT_EQ((stats.notifications[{"http://am2", "success"}]), 1u);
}

}  // namespace
}  // namespace msx
