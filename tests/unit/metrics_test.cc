#include "metrics/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace msx {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The sample lines (no comments) whose metric name is exactly `name`.
std::vector<std::string> Samples(const std::string& text, const std::string& name) {
  std::vector<std::string> out;
  for (const std::string& line : Lines(text)) {
    if (line.rfind(name + "{", 0) == 0 || line.rfind(name + " ", 0) == 0) {
      out.push_back(line);
    }
  }
  return out;
}

// Every sample line, without the HELP and TYPE comments.
std::vector<std::string> AllSamples(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& line : Lines(text)) {
    if (line[0] != '#') out.push_back(line);
  }
  return out;
}

// A node whose service_ip ends in its msid, so expected texts can be read off it.
NodeStatus Node(uint64_t msid, std::optional<std::string> name,
                std::optional<std::string> state) {
  MshostRow row = test::MakeRow(msid, std::move(state), 1700000000.5, 1700000000123);
  row.name = std::move(name);
  row.service_ip = "10.0.0." + std::to_string(msid);
  return test::MakeNode(std::move(row), Verdict::kOk, 1.5);
}

Snapshot GoodSnapshot(std::vector<NodeStatus> nodes) {
  Snapshot s = test::OkSnapshot(std::move(nodes), 1700000002);
  s.poll_duration_seconds = 0.25;
  s.polls_total = 7;
  s.poll_failures_total = 1;
  return s;
}

TEST(MetricsTest, ExactExpositionOfOneNode) {
  NodeStatus node = Node(42, "ms1", "Up");
  node.clock_offset_seconds = 0.25;
  node.silence_seconds = 1.25;
  node.probe = ProbeResult{true, 0.003, ""};
  node.probe_address = "10.0.0.42:9090";
  node.restarts = 2;
  node.row.alert_count = 1;
  Snapshot snapshot = GoodSnapshot({node});
  snapshot.peers_available = true;
  snapshot.peers.push_back({42, "ms1", 42, "ms1", "Up", 1700000000123});
  FiringAlert alert;
  alert.alertname = "CloudStackMgmtServerUpNotRunning";
  alert.severity = "critical";
  alert.msid = "42";
  alert.name = "ms1";

  const std::string expected =
      R"(# HELP cloudstack_mshost_up 1 if the last read of the mshost table succeeded, 0 otherwise.
# TYPE cloudstack_mshost_up gauge
cloudstack_mshost_up 1
# HELP cloudstack_mshost_poll_duration_seconds Duration of the last poll of the target (query and probes).
# TYPE cloudstack_mshost_poll_duration_seconds gauge
cloudstack_mshost_poll_duration_seconds 0.25
# HELP cloudstack_mshost_last_poll_success_timestamp_seconds Unix time of the last successful poll; 0 if none succeeded yet.
# TYPE cloudstack_mshost_last_poll_success_timestamp_seconds gauge
cloudstack_mshost_last_poll_success_timestamp_seconds 1700000002
# HELP cloudstack_mshost_db_now_timestamp_seconds The database clock (UTC) at the last successful poll.
# TYPE cloudstack_mshost_db_now_timestamp_seconds gauge
cloudstack_mshost_db_now_timestamp_seconds 1700000002
# HELP cloudstack_mshost_running_nodes Nodes that claim running (in service or stopping) and heartbeat (not stale), whether or not their port can be reached; frozen during a database outage.
# TYPE cloudstack_mshost_running_nodes gauge
cloudstack_mshost_running_nodes 1
# HELP cloudstack_mshost_polls_total Polls of the target since the exporter started.
# TYPE cloudstack_mshost_polls_total counter
cloudstack_mshost_polls_total 7
# HELP cloudstack_mshost_poll_failures_total Polls whose read of the mshost table failed since the exporter started.
# TYPE cloudstack_mshost_poll_failures_total counter
cloudstack_mshost_poll_failures_total 1
# HELP cloudstack_mshost_rows_skipped Rows of the last successful read that could not be parsed and were left out.
# TYPE cloudstack_mshost_rows_skipped gauge
cloudstack_mshost_rows_skipped 0
# HELP cloudstack_mshost_info A current management server (a row of cloud.mshost with removed NULL); always 1.
# TYPE cloudstack_mshost_info gauge
cloudstack_mshost_info{msid="42",name="ms1",uuid="uuid-42",version="4.20.0.0",service_ip="10.0.0.42",service_port="9090",runid="1700000000123"} 1
# HELP cloudstack_mshost_state The state column as a state set: 1 for the row's state, 0 for the other known states; an unknown or NULL ("<NULL>") state is a series of its own.
# TYPE cloudstack_mshost_state gauge
cloudstack_mshost_state{msid="42",name="ms1",state="Up"} 1
cloudstack_mshost_state{msid="42",name="ms1",state="Down"} 0
cloudstack_mshost_state{msid="42",name="ms1",state="PreparingToShutDown"} 0
cloudstack_mshost_state{msid="42",name="ms1",state="PreparingForShutDown"} 0
cloudstack_mshost_state{msid="42",name="ms1",state="ReadyToShutDown"} 0
cloudstack_mshost_state{msid="42",name="ms1",state="ShuttingDown"} 0
cloudstack_mshost_state{msid="42",name="ms1",state="PreparingForMaintenance"} 0
cloudstack_mshost_state{msid="42",name="ms1",state="Maintenance"} 0
# HELP cloudstack_mshost_heartbeat_timestamp_seconds last_update of the row as Unix time (read as UTC); absent when NULL.
# TYPE cloudstack_mshost_heartbeat_timestamp_seconds gauge
cloudstack_mshost_heartbeat_timestamp_seconds{msid="42",name="ms1"} 1700000000.5
# HELP cloudstack_mshost_heartbeat_age_seconds The database clock minus last_update (raw, not corrected for the node's clock).
# TYPE cloudstack_mshost_heartbeat_age_seconds gauge
cloudstack_mshost_heartbeat_age_seconds{msid="42",name="ms1"} 1.5
# HELP cloudstack_mshost_clock_offset_seconds Estimated offset of the node's clock from the database clock (positive: the node is behind); absent until estimated.
# TYPE cloudstack_mshost_clock_offset_seconds gauge
cloudstack_mshost_clock_offset_seconds{msid="42",name="ms1"} 0.25
# HELP cloudstack_mshost_heartbeat_silence_seconds Time since the node's last heartbeat, corrected by the clock offset estimate; what the verdicts use.
# TYPE cloudstack_mshost_heartbeat_silence_seconds gauge
cloudstack_mshost_heartbeat_silence_seconds{msid="42",name="ms1"} 1.25
# HELP cloudstack_mshost_probe_success 1 if the last liveness probe of the node succeeded, 0 otherwise; absent when probing is off.
# TYPE cloudstack_mshost_probe_success gauge
cloudstack_mshost_probe_success{msid="42",name="ms1"} 1
# HELP cloudstack_mshost_probe_duration_seconds Duration of the last liveness probe of the node.
# TYPE cloudstack_mshost_probe_duration_seconds gauge
cloudstack_mshost_probe_duration_seconds{msid="42",name="ms1"} 0.003
# HELP cloudstack_mshost_probe_target_info Where the node is probed; loopback="true" when that is a loopback address taken from service_ip (probes this host, not the node).
# TYPE cloudstack_mshost_probe_target_info gauge
cloudstack_mshost_probe_target_info{msid="42",name="ms1",address="10.0.0.42:9090",loopback="false"} 1
# HELP cloudstack_mshost_verdict The exporter's verdict on the node's row as a state set over all verdicts.
# TYPE cloudstack_mshost_verdict gauge
cloudstack_mshost_verdict{msid="42",name="ms1",verdict="ok"} 1
cloudstack_mshost_verdict{msid="42",name="ms1",verdict="maintenance"} 0
cloudstack_mshost_verdict{msid="42",name="ms1",verdict="superseded"} 0
cloudstack_mshost_verdict{msid="42",name="ms1",verdict="up_not_running"} 0
cloudstack_mshost_verdict{msid="42",name="ms1",verdict="stop_unfinished"} 0
cloudstack_mshost_verdict{msid="42",name="ms1",verdict="up_heartbeat_stale"} 0
cloudstack_mshost_verdict{msid="42",name="ms1",verdict="up_unreachable"} 0
cloudstack_mshost_verdict{msid="42",name="ms1",verdict="down_but_running"} 0
cloudstack_mshost_verdict{msid="42",name="ms1",verdict="unknown"} 0
# HELP cloudstack_mshost_stale_after_seconds The silence after which the node's heartbeat is stale, as in force for it (configured, or following its heartbeat interval).
# TYPE cloudstack_mshost_stale_after_seconds gauge
cloudstack_mshost_stale_after_seconds{msid="42",name="ms1"} 10
# HELP cloudstack_mshost_dead_after_seconds The silence after which the node, if its probe fails too, is dead, as in force for it (configured, or following its heartbeat interval).
# TYPE cloudstack_mshost_dead_after_seconds gauge
cloudstack_mshost_dead_after_seconds{msid="42",name="ms1"} 5
# HELP cloudstack_mshost_peer_alerts The row's alert_count, which CloudStack uses as a flag: non-zero once a peer raised its "node left" alert since the node's last heartbeat (each heartbeat resets it).
# TYPE cloudstack_mshost_peer_alerts gauge
cloudstack_mshost_peer_alerts{msid="42",name="ms1"} 1
# HELP cloudstack_mshost_restarts_total Changes of the node's runid (restarts) seen since the exporter started.
# TYPE cloudstack_mshost_restarts_total counter
cloudstack_mshost_restarts_total{msid="42",name="ms1"} 2
# HELP cloudstack_mshost_peer_state 1 per row of mshost_peer: how node msid sees node peer_msid (both current nodes).
# TYPE cloudstack_mshost_peer_state gauge
cloudstack_mshost_peer_state{msid="42",name="ms1",peer_msid="42",peer_name="ms1",state="Up"} 1
# HELP cloudstack_mshost_alert_firing 1 while the built-in evaluator has the alert firing (msid and name empty for target-wide alerts).
# TYPE cloudstack_mshost_alert_firing gauge
cloudstack_mshost_alert_firing{alertname="CloudStackMgmtServerUpNotRunning",severity="critical",msid="42",name="ms1"} 1
)";
  EXPECT_EQ(RenderProbe(snapshot, {alert}), expected);
}

TEST(MetricsTest, BeforeAnySuccessfulReadOnlyTargetWideSeries) {
  Snapshot snapshot;  // not even polled yet
  EXPECT_EQ(Samples(RenderProbe(snapshot, {}), "cloudstack_mshost_up"),
            std::vector<std::string>{"cloudstack_mshost_up 0"});
  EXPECT_THAT(
      Samples(RenderProbe(snapshot, {}), "cloudstack_mshost_poll_duration_seconds"),
      IsEmpty());

  snapshot.polled = true;
  snapshot.poll_duration_seconds = 3;
  snapshot.polls_total = 1;
  snapshot.poll_failures_total = 1;
  FiringAlert source_down;
  source_down.alertname = "CloudStackMshostSourceDown";
  source_down.severity = "critical";
  const std::string text = RenderProbe(snapshot, {source_down});
  const std::vector<std::string> samples = AllSamples(text);
  EXPECT_EQ(samples,
            (std::vector<std::string>{
                "cloudstack_mshost_up 0",
                "cloudstack_mshost_poll_duration_seconds 3",
                "cloudstack_mshost_last_poll_success_timestamp_seconds 0",
                "cloudstack_mshost_polls_total 1",
                "cloudstack_mshost_poll_failures_total 1",
                "cloudstack_mshost_alert_firing{alertname=\"CloudStackMshostSourceDown\","
                "severity=\"critical\",msid=\"\",name=\"\"} 1",
            }));
}

TEST(MetricsTest, OddNamesAreEscapedAndMadeValidUtf8) {
  // quote, backslash, newline, valid UTF-8, and a lone 0xFF byte from the database.
  const std::string name = "a\"b\\c\nd \xC3\xA9\xE2\x82\xAC \xFF!";
  const std::string text = RenderProbe(GoodSnapshot({Node(1, name, "Up")}), {});
  EXPECT_THAT(Samples(text, "cloudstack_mshost_peer_alerts"),
              Contains("cloudstack_mshost_peer_alerts{msid=\"1\",name=\"a\\\"b\\\\c\\nd "
                       "\xC3\xA9\xE2\x82\xAC \xEF\xBF\xBD!\"} 0"));
  EXPECT_EQ(SanitizeUtf8(text), text);  // the whole output is valid UTF-8
}

TEST(MetricsTest, NullNameUuidVersionRenderEmpty) {
  NodeStatus node = Node(5, std::nullopt, "Up");
  node.row.uuid = std::nullopt;
  node.row.version = std::nullopt;
  const std::string text = RenderProbe(GoodSnapshot({node}), {});
  EXPECT_THAT(
      Samples(text, "cloudstack_mshost_info"),
      Contains("cloudstack_mshost_info{msid=\"5\",name=\"\",uuid=\"\",version=\"\","
               "service_ip=\"10.0.0.5\",service_port=\"9090\",runid="
               "\"1700000000123\"} 1"));
}

TEST(MetricsTest, NullAndUnknownStatesAreSeriesOfTheirOwn) {
  NodeStatus null_state = Node(1, "a", std::nullopt);
  NodeStatus odd_state = Node(2, "b", "Starting");
  const std::string text = RenderProbe(GoodSnapshot({null_state, odd_state}), {});
  const std::vector<std::string> states = Samples(text, "cloudstack_mshost_state");
  ASSERT_EQ(states.size(), 18u);  // 8 known + 1 own value, per node
  for (const std::string& line : states) {
    const bool own = line.find("\"<NULL>\"") != std::string::npos ||
                     line.find("\"Starting\"") != std::string::npos;
    EXPECT_EQ(line.back(), own ? '1' : '0') << line;
  }
  EXPECT_THAT(
      states,
      Contains("cloudstack_mshost_state{msid=\"1\",name=\"a\",state=\"<NULL>\"} 1"));
  EXPECT_THAT(
      states,
      Contains("cloudstack_mshost_state{msid=\"2\",name=\"b\",state=\"Starting\"} 1"));
  // Case matters: "up" is not Up.
  const std::string lower = RenderProbe(GoodSnapshot({Node(3, "c", "up")}), {});
  EXPECT_THAT(Samples(lower, "cloudstack_mshost_state"),
              Contains("cloudstack_mshost_state{msid=\"3\",name=\"c\",state=\"Up\"} 0"));
  EXPECT_THAT(Samples(lower, "cloudstack_mshost_state"),
              Contains("cloudstack_mshost_state{msid=\"3\",name=\"c\",state=\"up\"} 1"));
}

TEST(MetricsTest, StatusTimesAndThresholdsPerNode) {
  NodeStatus node = Node(1, "a", "Up");
  node.row.jvm_start_unix = 1'700'000'100;
  node.row.system_boot_unix = 1'699'000'000;
  node.heartbeat_interval_seconds = 5;
  node.stale_after_seconds = 30;
  node.dead_after_seconds = 15;
  const std::string text = RenderProbe(GoodSnapshot({node}), {});
  EXPECT_THAT(Samples(text, "cloudstack_mshost_jvm_start_timestamp_seconds"),
              ElementsAre("cloudstack_mshost_jvm_start_timestamp_seconds{msid=\"1\","
                          "name=\"a\"} 1700000100"));
  EXPECT_THAT(Samples(text, "cloudstack_mshost_jvm_stop_timestamp_seconds"), IsEmpty());
  EXPECT_THAT(Samples(text, "cloudstack_mshost_system_boot_timestamp_seconds"), SizeIs(1));
  EXPECT_THAT(Samples(text, "cloudstack_mshost_heartbeat_interval_seconds"),
              ElementsAre("cloudstack_mshost_heartbeat_interval_seconds{msid=\"1\","
                          "name=\"a\"} 5"));
  EXPECT_THAT(Samples(text, "cloudstack_mshost_stale_after_seconds"),
              ElementsAre("cloudstack_mshost_stale_after_seconds{msid=\"1\",name=\"a\"} 30"));
}

TEST(MetricsTest, KnownStatesAreOneForTheRowsState) {
  for (const KnownState& known : kKnownStates) {
    const char* state = known.name;
    const std::string text = RenderProbe(GoodSnapshot({Node(1, "a", state)}), {});
    const std::vector<std::string> states = Samples(text, "cloudstack_mshost_state");
    ASSERT_EQ(states.size(), 8u) << state;
    for (const std::string& line : states) {
      const bool mine =
          line.find(std::string("state=\"") + state + "\"") != std::string::npos;
      EXPECT_EQ(line.back(), mine ? '1' : '0') << line;
    }
  }
}

TEST(MetricsTest, LargestMsidIsExact) {
  const std::string text =
      RenderProbe(GoodSnapshot({Node(18446744073709551615ULL, "max", "Up")}), {});
  EXPECT_THAT(Samples(text, "cloudstack_mshost_peer_alerts"),
              Contains("cloudstack_mshost_peer_alerts{msid=\"18446744073709551615\","
                       "name=\"max\"} 0"));
}

TEST(MetricsTest, NullHeartbeatLeavesOutHeartbeatSeries) {
  NodeStatus silent = Node(1, "silent", "Up");
  silent.row.last_update_unix = std::nullopt;
  silent.verdict = Verdict::kUpNotRunning;
  NodeStatus fine = Node(2, "fine", "Up");
  const std::string text = RenderProbe(GoodSnapshot({silent, fine}), {});
  for (const char* name : {"cloudstack_mshost_heartbeat_timestamp_seconds",
                           "cloudstack_mshost_heartbeat_age_seconds",
                           "cloudstack_mshost_heartbeat_silence_seconds"}) {
    const std::vector<std::string> samples = Samples(text, name);
    ASSERT_EQ(samples.size(), 1u) << name;
    EXPECT_THAT(samples[0], HasSubstr("msid=\"2\"")) << name;
  }
  EXPECT_THAT(Samples(text, "cloudstack_mshost_verdict"),
              Contains("cloudstack_mshost_verdict{msid=\"1\",name=\"silent\","
                       "verdict=\"up_not_running\"} 1"));
}

TEST(MetricsTest, ProbingOffLeavesOutProbeFamiliesAndClockOffsetUntilEstimated) {
  const std::string text = RenderProbe(GoodSnapshot({Node(1, "a", "Up")}), {});
  EXPECT_THAT(text, Not(HasSubstr("cloudstack_mshost_probe_")));
  EXPECT_THAT(text, Not(HasSubstr("cloudstack_mshost_clock_offset_seconds")));
}

TEST(MetricsTest, FailedProbeAndLoopbackTarget) {
  NodeStatus node = Node(1, "a", "Up");
  node.probe = ProbeResult{false, 1.0, "connection refused"};
  node.probe_address = "127.0.0.1:9090";
  node.probe_loopback = true;
  const std::string text = RenderProbe(GoodSnapshot({node}), {});
  EXPECT_EQ(Samples(text, "cloudstack_mshost_probe_success"),
            std::vector<std::string>{
                "cloudstack_mshost_probe_success{msid=\"1\",name=\"a\"} 0"});
  EXPECT_EQ(
      Samples(text, "cloudstack_mshost_probe_target_info"),
      std::vector<std::string>{"cloudstack_mshost_probe_target_info{msid=\"1\",name="
                               "\"a\",address=\"127.0.0.1:9090\",loopback=\"true\"} 1"});
}

TEST(MetricsTest, FrozenOutageKeepsNodeSeriesWithUpZero) {
  NodeStatus node = Node(1, "a", "Up");
  node.verdict = Verdict::kUpHeartbeatStale;
  Snapshot frozen = GoodSnapshot({node});
  frozen.up = false;
  frozen.last_error = "connection refused";
  frozen.db_down_since_unix = 1700000004;
  const std::string text = RenderProbe(frozen, {});
  EXPECT_EQ(Samples(text, "cloudstack_mshost_up"),
            std::vector<std::string>{"cloudstack_mshost_up 0"});
  EXPECT_EQ(Samples(text, "cloudstack_mshost_last_poll_success_timestamp_seconds"),
            std::vector<std::string>{
                "cloudstack_mshost_last_poll_success_timestamp_seconds 1700000002"});
  EXPECT_THAT(Samples(text, "cloudstack_mshost_verdict"),
              Contains("cloudstack_mshost_verdict{msid=\"1\",name=\"a\","
                       "verdict=\"up_heartbeat_stale\"} 1"));
  EXPECT_EQ(Samples(text, "cloudstack_mshost_heartbeat_age_seconds").size(), 1u);
}

TEST(MetricsTest, RemovedNodeDisappears) {
  const std::string before =
      RenderProbe(GoodSnapshot({Node(1, "stays", "Up"), Node(2, "goes", "Up")}), {});
  const std::string after = RenderProbe(GoodSnapshot({Node(1, "stays", "Up")}), {});
  EXPECT_THAT(before, HasSubstr("msid=\"2\""));
  EXPECT_THAT(after, Not(HasSubstr("msid=\"2\"")));
  EXPECT_THAT(after, HasSubstr("msid=\"1\""));
}

// The series one node costs: the figure docs/http.md ("Cardinality") quotes.
TEST(MetricsTest, SeriesPerNode) {
  NodeStatus node = Node(1, "a", "Up");
  node.probe = ProbeResult{true, 0.002, ""};
  node.probe_address = "10.0.0.1:8250";
  node.clock_offset_seconds = 0.1;
  node.heartbeat_interval_seconds = 1.5;
  auto count = [](const std::string& text) {
    size_t n = 0;
    for (const std::string& line : AllSamples(text)) {
      n += line.find("msid=\"1\"") != std::string::npos;
    }
    return n;
  };
  EXPECT_EQ(count(RenderProbe(GoodSnapshot({node}), {})), 30u);
  node.probe.reset();
  node.probe_address.clear();
  EXPECT_EQ(count(RenderProbe(GoodSnapshot({node}), {})), 27u);
}

TEST(MetricsTest, QuietDownNodesLeaveWhenNotIncluded) {
  NodeStatus quiet = Node(2, "decommissioned", "Down");
  NodeStatus answering = Node(3, "answers", "Down");
  answering.verdict = Verdict::kDownButRunning;
  Snapshot snapshot = GoodSnapshot({Node(1, "up", "Up"), quiet, answering});
  snapshot.peers_available = true;
  snapshot.peers.push_back({1, "up", 2, "decommissioned", "Down", 1});
  snapshot.peers.push_back({1, "up", 3, "answers", "Down", 1});
  const std::string all = RenderProbe(snapshot, {});
  EXPECT_THAT(all, HasSubstr("msid=\"2\""));
  snapshot.include_down_nodes = false;
  const std::string fewer = RenderProbe(snapshot, {});
  EXPECT_THAT(fewer, Not(HasSubstr("msid=\"2\"")));
  EXPECT_THAT(fewer, Not(HasSubstr("peer_msid=\"2\"")));
  EXPECT_THAT(fewer, HasSubstr("peer_msid=\"3\""));
  EXPECT_THAT(fewer, HasSubstr("cloudstack_mshost_verdict{msid=\"3\",name=\"answers\","
                               "verdict=\"down_but_running\"} 1"));
  EXPECT_THAT(fewer, HasSubstr("cloudstack_mshost_info{msid=\"1\""));
  EXPECT_EQ(AllSamples(fewer).size() + 26, AllSamples(all).size());  // its series and a peer row
}

TEST(MetricsTest, PeersOnlyWhenTheTableExists) {
  Snapshot snapshot = GoodSnapshot({Node(1, "a", "Up")});
  snapshot.peers.push_back({1, "a", 1, "a", "Up", 1});
  EXPECT_THAT(RenderProbe(snapshot, {}), Not(HasSubstr("cloudstack_mshost_peer_state")));
  snapshot.peers_available = true;
  EXPECT_EQ(Samples(RenderProbe(snapshot, {}), "cloudstack_mshost_peer_state").size(),
            1u);
}

TEST(MetricsTest, DuplicateFiringAlertsBecomeOneSeries) {
  FiringAlert alert;
  alert.alertname = "CloudStackNoRunningMgmtServer";
  alert.severity = "critical";
  const std::string text = RenderProbe(GoodSnapshot({}), {alert, alert});
  EXPECT_EQ(Samples(text, "cloudstack_mshost_alert_firing").size(), 1u);

  // Names that differ only in invalid UTF-8 are written the same: still one series.
  FiringAlert latin1 = alert, truncated = alert;
  latin1.name = "caf\xE9";
  truncated.name = "caf\xC3";
  EXPECT_EQ(Samples(RenderProbe(GoodSnapshot({}), {latin1, truncated}),
                    "cloudstack_mshost_alert_firing")
                .size(),
            1u);
}

TEST(MetricsTest, ExporterMetrics) {
  ExporterStats stats;
  stats.version = "0.1.0";
  stats.revision = "abc123";
  stats.branch = "main";
  stats.compiler = "GNU 12.2.0";
  stats.config_last_reload_successful = false;
  stats.config_last_reload_success_timestamp_seconds = 1700000000;
  stats.notifications[{"http://am:9093", "success"}] = 4;
  stats.notifications[{"http://am:9093", "failure"}] = 1;
  stats.notifications_dropped = 2;
  stats.http_requests_by_code[200] = 10;
  stats.http_requests_by_code[401] = 3;
  const std::string text = RenderMetrics(stats, nullptr, {});
  const std::vector<std::string> samples = AllSamples(text);
  EXPECT_EQ(samples,
            (std::vector<std::string>{
                "mshost_exporter_build_info{version=\"0.1.0\",revision=\"abc123\","
                "branch=\"main\",compiler=\"GNU 12.2.0\"} 1",
                "mshost_exporter_config_last_reload_successful 0",
                "mshost_exporter_config_last_reload_success_timestamp_seconds 1700000000",
                "mshost_exporter_notifications_total{alertmanager=\"http://am:9093\","
                "result=\"failure\"} 1",
                "mshost_exporter_notifications_total{alertmanager=\"http://am:9093\","
                "result=\"success\"} 4",
                "mshost_exporter_notifications_dropped_total 2",
                "mshost_exporter_http_requests_total{code=\"200\"} 10",
                "mshost_exporter_http_requests_total{code=\"401\"} 3",
            }));
  EXPECT_THAT(text, HasSubstr("# TYPE mshost_exporter_notifications_total counter\n"));
}

// Values are written as printf's %.16g (as prometheus-cpp's serializer did), NaN and
// infinities as Prometheus spells them.
TEST(MetricsTest, ValueFormatting) {
  const std::vector<std::pair<double, std::string>> cases = {
      {0, "0"},
      {-0.0, "-0"},
      {-0.5, "-0.5"},
      {999999999999999, "999999999999999"},
      {1e15, "1000000000000000"},
      {1e16, "1e+16"},
      {0.1 + 0.2, "0.3"},
      {1700000000.123456, "1700000000.123456"},
      {123456789.123456789, "123456789.1234568"},
      {18446744073709551615.0, "1.844674407370955e+19"},
      {1e-7, "1e-07"},
      {std::numeric_limits<double>::quiet_NaN(), "Nan"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
  };
  for (const auto& [value, text] : cases) {
    Snapshot snapshot;
    snapshot.polled = true;
    snapshot.poll_duration_seconds = value;
    EXPECT_EQ(
        Samples(RenderProbe(snapshot, {}), "cloudstack_mshost_poll_duration_seconds"),
        std::vector<std::string>{"cloudstack_mshost_poll_duration_seconds " + text})
        << text;
  }
}

TEST(MetricsTest, MetricsPageHasEveryFamilyOnce) {
  NodeStatus node = Node(1, "a", "Up");
  node.probe = ProbeResult{true, 0.001, ""};
  node.clock_offset_seconds = 0;
  Snapshot snapshot = GoodSnapshot({node, Node(2, "b", std::nullopt)});
  snapshot.peers_available = true;
  snapshot.peers.push_back({1, "a", 2, "b", "Down", 1});
  snapshot.peers.push_back({2, "b", 1, "a", "Up", 1});
  FiringAlert one, two;
  one.alertname = "CloudStackMgmtServerUpNotRunning";
  two.alertname = "CloudStackMgmtServerFlapping";
  ExporterStats stats;
  stats.notifications[{"http://am", "success"}] = 1;
  const std::string text = RenderMetrics(stats, &snapshot, {one, two});

  std::map<std::string, int> help, type;
  for (const std::string& line : Lines(text)) {
    std::istringstream in(line);
    std::string hash, kind, name;
    in >> hash >> kind >> name;
    if (hash != "#") continue;
    ++(kind == "HELP" ? help : type)[name];
  }
  EXPECT_EQ(help.size(), 29u);
  for (const auto& [name, count] : type) {
    EXPECT_EQ(count, 1) << name;
    EXPECT_EQ(help[name], 1) << name;
  }
  EXPECT_EQ(type.size(), help.size());
  // Without a snapshot /metrics still answers with the exporter's own metrics.
  EXPECT_THAT(RenderMetrics(stats, nullptr, {}), HasSubstr("mshost_exporter_build_info"));
  EXPECT_THAT(RenderMetrics(stats, nullptr, {}), Not(HasSubstr("cloudstack_mshost_up")));
}

TEST(SanitizeUtf8Test, KeepsValidText) {
  for (const std::string& valid :
       {std::string(""), std::string("plain ascii"), std::string("\xC3\xA9"),
        std::string("\xE2\x82\xAC"), std::string("\xF0\x9F\x98\x80"),
        std::string("\xEF\xBF\xBD"), std::string("\xF4\x8F\xBF\xBF"),
        std::string("nul\0byte", 8)}) {
    EXPECT_EQ(SanitizeUtf8(valid), valid);
  }
}

TEST(SanitizeUtf8Test, ReplacesInvalidSequences) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(SanitizeUtf8("\xFF"), r);
  EXPECT_EQ(SanitizeUtf8("a\x80z"), "a" + r + "z");            // stray continuation
  EXPECT_EQ(SanitizeUtf8("\xC3"), r);                          // truncated at the end
  EXPECT_EQ(SanitizeUtf8("\xE2\x82z"), r + "z");               // truncated, one U+FFFD
  EXPECT_EQ(SanitizeUtf8("\xC0\xAF"), r + r);                  // overlong '/'
  EXPECT_EQ(SanitizeUtf8("\xE0\x80\xAF"), r + r + r);          // overlong 3 bytes
  EXPECT_EQ(SanitizeUtf8("\xED\xA0\x80"), r + r + r);          // surrogate U+D800
  EXPECT_EQ(SanitizeUtf8("\xF4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(SanitizeUtf8("\xF5\x80"), r + r);
  EXPECT_EQ(SanitizeUtf8("caf\xE9"), "caf" + r);  // Latin-1 e-acute
  EXPECT_EQ(SanitizeUtf8("\xF0\x9F\x98"), r);     // truncated emoji
}

}  // namespace
}  // namespace msx

namespace msx {
namespace {

// The cache hands out the text of the snapshot it last rendered: changing a snapshot
// in place (which the exporter never does; snapshots are immutable once published)
// shows whether a second call rendered again.
TEST(ExpositionCacheTest, RendersOncePerSnapshotAndFiringAlerts) {
  ExpositionCache cache;
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->polled = true;
  snapshot->poll_duration_seconds = 1;
  const std::string first = cache.Render(snapshot, {});
  EXPECT_EQ(first, RenderProbe(*snapshot, {}));

  snapshot->poll_duration_seconds = 2;
  EXPECT_EQ(cache.Render(snapshot, {}), first);  // same snapshot, same alerts: cached

  FiringAlert alert;
  alert.alertname = "CloudStackMshostSourceDown";
  alert.severity = "critical";
  const std::string with_alert = cache.Render(snapshot, {alert});
  EXPECT_EQ(with_alert, RenderProbe(*snapshot, {alert}));  // alerts changed: rendered
  EXPECT_THAT(with_alert, HasSubstr("cloudstack_mshost_poll_duration_seconds 2\n"));

  auto next = std::make_shared<Snapshot>(*snapshot);
  next->poll_duration_seconds = 3;
  EXPECT_EQ(cache.Render(next, {alert}), RenderProbe(*next, {alert}));  // new poll
}

}  // namespace
}  // namespace msx
