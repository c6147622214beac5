// One judgement per node per poll: /probe's metrics, /api/v1/status, `check` and the
// built-in evaluator all show the verdict judge/ decided, through node deaths, a
// database outage and the database's restart (docs/architecture.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>

#include "alerting/notifier.h"
#include "cli/check.h"
#include "config/config.h"
#include "runtime/system.h"
#include "test_util.h"
#include "web/status.h"
#include "web/web_face.h"

namespace msx {
namespace {

using test::MakeRow;

// Every node alert without a `for` delay, so firing alerts map one to one onto
// verdicts at every poll.
const char kConfig[] =
    "poll_interval: 2s\n"
    "targets:\n"
    "  - name: prod\n"
    "alerting:\n"
    "  rules:\n"
    "    CloudStackMgmtServerUpNotRunning: {for: 0s}\n"
    "    CloudStackMgmtServerHeartbeatStale: {for: 0s}\n"
    "    CloudStackMgmtServerUnreachable: {for: 0s}\n"
    "    CloudStackMgmtServerDownButRunning: {for: 0s}\n";

const std::map<std::string, std::string> kAlertOfVerdict = {
    {"up_not_running", "CloudStackMgmtServerUpNotRunning"},
    {"up_heartbeat_stale", "CloudStackMgmtServerHeartbeatStale"},
    {"up_unreachable", "CloudStackMgmtServerUnreachable"},
    {"down_but_running", "CloudStackMgmtServerDownButRunning"}};

// A cluster the test steers: which nodes heartbeat, which answer, whether the
// database answers.
struct World {
  explicit World(FakeClock& clock) : clock(clock) {}

  PartsFactory Factory() {
    return [this](const TargetConfig&) {
      auto source = std::make_unique<test::FakeSource>();
      source->SetGenerator([this] {
        if (!db_up) return test::FailedRead("connection refused");
        std::vector<MshostRow> rows;
        for (auto& [msid, node] : nodes) {
          // Nobody can heartbeat into a database that is down.
          if (node.heartbeating) node.last_update = clock.UnixSeconds() - 0.5;
          rows.push_back(MakeRow(msid, "Up", node.last_update));
        }
        return test::OkRead(clock.UnixSeconds(), rows);
      });
      auto prober = std::make_unique<test::FakeProber>();
      prober_ = prober.get();
      return TargetParts{std::move(source), std::move(prober)};
    };
  }

  void SetAnswering(uint64_t msid, bool answering) {
    prober_->Set(MakeRow(msid).service_ip + ":9090",
                 answering ? test::AliveResult() : test::RefusedResult());
  }

  struct Node {
    bool heartbeating = true;
    double last_update = 0;
  };
  FakeClock& clock;
  bool db_up = true;
  std::map<uint64_t, Node> nodes;
  test::FakeProber* prober_ = nullptr;
};

using test::Get;

class OneJudgementTest : public ::testing::Test {
 protected:
  OneJudgementTest()
      : world_(clock_),
        system_(*ParseConfig(kConfig, "agree.yml").config, "agree.yml", clock_,
                world_.Factory(), MakeAlertmanagerNotifier),
        web_(system_, clock_) {
    world_.nodes[1] = {};
    world_.nodes[2] = {};
    world_.SetAnswering(1, true);
    world_.SetAnswering(2, true);
  }

  // Polls once, then asserts every output shows the same verdict per msid, and
  // returns it.
  std::map<std::string, std::string> PollAndAgree() {
    system_.PollAllOnce();
    clock_.Advance(2);

    std::map<std::string, std::string> from_metrics;
    const std::string text = web_.router().Serve(Get("/probe", "target=prod")).body;
    const std::regex series(
        R"re(cloudstack_mshost_verdict\{[^}]*msid="(\d+)"[^}]*verdict="([a-z_]+)"\} 1)re");
    for (std::sregex_iterator it(text.begin(), text.end(), series), end; it != end;
         ++it) {
      from_metrics[(*it)[1]] = (*it)[2];
    }

    std::map<std::string, std::string> from_json;
    const nlohmann::json status =
        nlohmann::json::parse(web_.router().Serve(Get("/api/v1/status")).body);
    for (const auto& node : status["targets"][0]["nodes"]) {
      from_json[node["msid"].get<std::string>()] = node["verdict"].get<std::string>();
    }
    EXPECT_EQ(from_metrics, from_json) << text;

    const SystemState state = system_.State();
    const StatusModel model = BuildStatus(state.targets, clock_.UnixSeconds());
    if (model.targets[0].db_up) {
      // `check` judges readable targets only (an unreadable one is UNKNOWN).
      std::map<std::string, std::string> from_check;
      const std::regex line(R"re(msid=(\d+) .*verdict=([a-z_]+))re");
      for (const std::string& text : JudgeStatus(model).lines) {
        std::smatch m;
        if (std::regex_search(text, m, line)) from_check[m[1]] = m[2];
      }
      EXPECT_EQ(from_metrics, from_check);
    }

    std::set<std::string> alerts, expected;
    for (const FiringAlert& alert : state.targets[0].alerts) {
      if (!alert.msid.empty()) alerts.insert(alert.alertname + "/" + alert.msid);
    }
    for (const auto& [msid, verdict] : from_metrics) {
      auto alert = kAlertOfVerdict.find(verdict);
      if (alert != kAlertOfVerdict.end()) expected.insert(alert->second + "/" + msid);
    }
    EXPECT_EQ(alerts, expected);
    return from_metrics;
  }

  FakeClock clock_;
  World world_;
  System system_;
  WebFace web_;
};

TEST_F(OneJudgementTest, EveryOutputAgreesThroughDeathOutageAndRestart) {
  using Verdicts = std::map<std::string, std::string>;
  for (int poll = 0; poll < 3; ++poll) {
    EXPECT_EQ(PollAndAgree(), (Verdicts{{"1", "ok"}, {"2", "ok"}}));
  }
  // Node 2 dies like kill -9: no heartbeat, nothing listens.
  world_.nodes[2].heartbeating = false;
  world_.SetAnswering(2, false);
  Verdicts seen;
  for (int poll = 0; poll < 4; ++poll) seen = PollAndAgree();
  EXPECT_EQ(seen, (Verdicts{{"1", "ok"}, {"2", "up_not_running"}}));

  // The database goes away for 30 s: everything stays as it was.
  world_.db_up = false;
  for (int poll = 0; poll < 15; ++poll) {
    EXPECT_EQ(PollAndAgree(), (Verdicts{{"1", "ok"}, {"2", "up_not_running"}}));
  }
  // Back: node 1's heartbeat is 30 s old but it answers and is not held to the
  // outage; node 2 stays dead.
  world_.db_up = true;
  world_.nodes[1].heartbeating = false;  // the first read sees the pre-outage value
  EXPECT_EQ(PollAndAgree(), (Verdicts{{"1", "ok"}, {"2", "up_not_running"}}));
  world_.nodes[1].heartbeating = true;
  for (int poll = 0; poll < 8; ++poll) {
    EXPECT_EQ(PollAndAgree(), (Verdicts{{"1", "ok"}, {"2", "up_not_running"}}));
  }
  // Node 1 hangs: it answers but stops heartbeating (stale after 12 s: 6 of its
  // observed 2 s intervals).
  world_.nodes[1].heartbeating = false;
  for (int poll = 0; poll < 8; ++poll) seen = PollAndAgree();
  EXPECT_EQ(seen, (Verdicts{{"1", "up_heartbeat_stale"}, {"2", "up_not_running"}}));
}

}  // namespace
}  // namespace msx
