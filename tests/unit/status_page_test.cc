#include "app/status_page.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "app/status.h"
#include "test_util.h"

namespace msx {
namespace {

using test::AliveResult;
using test::MakeNode;
using test::MakeRow;
using test::OkSnapshot;
using test::RefusedResult;
using test::WithProbe;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr double kNow = 1700000000;  // 2023-11-14 22:13:20 UTC

NodeStatus Node(uint64_t msid, Verdict verdict, std::optional<std::string> state = "Up") {
  return WithProbe(MakeNode(MakeRow(msid, std::move(state), kNow - 2), verdict, 2),
                   AliveResult(0.0004));
}

std::shared_ptr<Snapshot> UpSnapshot(std::vector<NodeStatus> nodes) {
  auto snap = std::make_shared<Snapshot>(OkSnapshot(std::move(nodes), kNow - 1));
  snap->poll_duration_seconds = 0.012;
  return snap;
}

StatusModel ModelOf(std::shared_ptr<const Snapshot> snap,
                    std::vector<FiringAlert> alerts = {}) {
  TargetStatusInput input;
  input.name = "prod";
  input.is_default = true;
  input.snapshot = std::move(snap);
  input.db_up_since_unix = kNow - 3600;
  input.alerts = std::move(alerts);
  return BuildStatus({input}, kNow);
}

std::string Page(std::shared_ptr<const Snapshot> snap,
                 std::vector<FiringAlert> alerts = {}) {
  return RenderStatusHtml(ModelOf(std::move(snap), std::move(alerts)), 2);
}

// The msids of the node rows, top to bottom.
std::vector<std::string> RowOrder(const std::string& page) {
  std::vector<std::string> msids;
  const std::regex row("<tr class=\"node\" data-msid=\"([0-9]+)\"");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), row);
       it != std::sregex_iterator(); ++it) {
    msids.push_back((*it)[1]);
  }
  return msids;
}

// The markup of one node's row.
std::string RowOf(const std::string& page, const std::string& msid) {
  const size_t start = page.find("data-msid=\"" + msid + "\"");
  if (start == std::string::npos) return "";
  return page.substr(start, page.find("</tr>", start) - start);
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

TEST(StatusPageTest, DatabaseStringsAreEscaped) {
  NodeStatus script = Node(1, Verdict::kOk);
  script.row.name = "<script>alert(1)</script>";
  NodeStatus quotes = Node(2, Verdict::kOk);
  quotes.row.name = "a & \"b\" 'c'";
  quotes.row.version = "<img src=x onerror=alert(2)>";
  quotes.row.state = "Up\"><b>";
  auto snap = UpSnapshot({script, quotes});
  snap->target = "prod";
  TargetStatusInput input;
  input.name = "<i>prod</i>";
  input.snapshot = snap;
  FiringAlert alert;
  alert.alertname = "CloudStackMgmtServerUpNotRunning";
  alert.severity = "critical\" onclick=\"x";
  alert.name = "</td><script>alert(3)</script>";
  input.alerts = {alert};
  const std::string page = RenderStatusHtml(BuildStatus({input}, kNow), 2);

  EXPECT_THAT(page,
              HasSubstr("<td class=\"name\">&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
  EXPECT_THAT(page,
              HasSubstr("<td class=\"name\">a &amp; &quot;b&quot; &#39;c&#39;</td>"));
  EXPECT_THAT(page, HasSubstr("&lt;img src=x onerror=alert(2)&gt;"));
  EXPECT_THAT(page, HasSubstr("<td class=\"state\">Up&quot;&gt;&lt;b&gt;</td>"));
  EXPECT_THAT(page, HasSubstr("data-target=\"&lt;i&gt;prod&lt;/i&gt;\""));
  EXPECT_THAT(page, HasSubstr("&lt;/td&gt;&lt;script&gt;alert(3)&lt;/script&gt;"));
  EXPECT_THAT(page, HasSubstr("critical&quot; onclick=&quot;x"));
  // An unknown severity never becomes a class name of its own.
  EXPECT_THAT(page, HasSubstr("<tr class=\"sev-other\">"));
  // The page's own script is the only one, and no markup came from the data.
  EXPECT_EQ(Count(page, "<script"), 1u);
  EXPECT_THAT(page, Not(HasSubstr("<img")));
  EXPECT_THAT(page, Not(HasSubstr("<i>")));
  EXPECT_THAT(page, Not(HasSubstr("<b>")));
}

TEST(StatusPageTest, WorstVerdictFirstAndMsidOrderAmongEquals) {
  const std::string page = Page(UpSnapshot({
      Node(1, Verdict::kOk),
      Node(2, Verdict::kUpUnreachable),
      Node(3, Verdict::kUpNotRunning),
      Node(4, Verdict::kOk),
      Node(5, Verdict::kDownButRunning, "Down"),
      Node(6, Verdict::kUpHeartbeatStale),
      Node(7, Verdict::kUnknown),
      Node(8, Verdict::kUpNotRunning),
  }));
  EXPECT_THAT(RowOrder(page), ElementsAre("3", "8", "6", "2", "5", "7", "1", "4"));
  EXPECT_THAT(RowOf(page, "3"), HasSubstr("data-verdict=\"up_not_running\""));
  // Colour and word: the class colours the cell, the text says it.
  EXPECT_THAT(RowOf(page, "3"),
              HasSubstr("<td class=\"verdict v-up_not_running\">up_not_running</td>"));
  EXPECT_THAT(RowOf(page, "1"), HasSubstr("<td class=\"verdict v-ok\">ok</td>"));
}

TEST(StatusPageTest, ScriptSortsWithTheSameRanks) {
  const std::string page = Page(UpSnapshot({Node(1, Verdict::kOk)}));
  for (Verdict verdict : kAllVerdicts) {
    EXPECT_THAT(page, HasSubstr(std::string("&quot;") + VerdictName(verdict) +
                                "&quot;:" + std::to_string(VerdictSeverityRank(verdict))))
        << VerdictName(verdict);
  }
}

TEST(StatusPageTest, NullFieldsAreShownAsSuch) {
  NodeStatus node = Node(1, Verdict::kUpNotRunning, std::nullopt);
  node.row.name.reset();
  node.row.version.reset();
  node.row.last_update_unix.reset();
  node.raw_age_seconds = 0;
  node.silence_seconds = 0;
  node.probe.reset();  // probing off
  node.row.runid = 0;
  const std::string row = RowOf(Page(UpSnapshot({node})), "1");
  EXPECT_THAT(row, HasSubstr("<td class=\"name\"></td>"));
  EXPECT_THAT(row, HasSubstr("<td class=\"state\">&lt;NULL&gt;</td>"));
  EXPECT_THAT(row, HasSubstr("<td class=\"age\">never</td>"));
  EXPECT_THAT(row, HasSubstr("<td class=\"silence\">never</td>"));
  EXPECT_THAT(row, HasSubstr("<td class=\"offset\">-</td>"));
  EXPECT_THAT(row, HasSubstr("<td class=\"probe\">off</td>"));
  EXPECT_THAT(row, HasSubstr("<td class=\"address\">-</td>"));
  EXPECT_THAT(row, HasSubstr("<td class=\"version\"></td>"));
  EXPECT_THAT(row, HasSubstr("<td class=\"started\">-</td>"));
}

TEST(StatusPageTest, NodeColumns) {
  NodeStatus node = Node(42, Verdict::kUpNotRunning);
  node.row.runid = 1699999000123;  // the JVM started 1000 s before kNow
  node.raw_age_seconds = 125.5;
  node.silence_seconds = 95.25;
  node.clock_offset_seconds = 30.25;
  node.probe = RefusedResult(0.0015);
  node.probe_address = "127.0.0.1:8250";
  node.probe_loopback = true;
  node.restarts = 3;
  node.row.alert_count = 2;
  const std::string row = RowOf(Page(UpSnapshot({node})), "42");
  EXPECT_THAT(row, HasSubstr("<td class=\"name\">ms42</td><td class=\"msid\">42</td>"
                             "<td class=\"state\">Up</td>"));
  EXPECT_THAT(row, HasSubstr("<td class=\"age\">2m 05s</td>"));
  EXPECT_THAT(row, HasSubstr("<td class=\"silence\">1m 35s</td>"));
  EXPECT_THAT(row, HasSubstr("<td class=\"offset\">+30s</td>"));
  EXPECT_THAT(
      row,
      HasSubstr("<td class=\"probe p-failed\">failed 1.5 ms: connection refused</td>"));
  EXPECT_THAT(row, HasSubstr("<td class=\"address\">127.0.0.1:8250 (loopback)</td>"));
  EXPECT_THAT(row, HasSubstr("<td class=\"version\">4.20.0.0</td>"));
  EXPECT_THAT(row, HasSubstr("<td class=\"started\">2023-11-14 21:56:40 UTC</td>"));
  EXPECT_THAT(row, HasSubstr("<td class=\"restarts\">3</td>"));
  EXPECT_THAT(row, HasSubstr("<td class=\"alert_count\">2</td>"));

  NodeStatus fast = Node(43, Verdict::kOk);
  fast.clock_offset_seconds = -0.3;
  const std::string ok_row = RowOf(Page(UpSnapshot({fast})), "43");
  EXPECT_THAT(ok_row, HasSubstr("<td class=\"age\">2.0s</td>"));
  EXPECT_THAT(ok_row, HasSubstr("<td class=\"offset\">-0.3s</td>"));
  EXPECT_THAT(ok_row, HasSubstr("<td class=\"probe p-ok\">ok 0.4 ms</td>"));
}

TEST(StatusPageTest, DatabaseReachableAndLastPoll) {
  const std::string page =
      Page(UpSnapshot({Node(1, Verdict::kOk), Node(2, Verdict::kOk)}));
  EXPECT_THAT(page, HasSubstr("<p class=\"db up\">Database reachable since "
                              "2023-11-14 21:13:20 UTC (1h 00m).</p>"));
  EXPECT_THAT(page,
              HasSubstr("Last poll 2023-11-14 22:13:19 UTC (1.0s ago), took 0.012 s. "
                        "2 of 2 nodes claim running and are ok."));
  EXPECT_THAT(page, HasSubstr("<small class=\"default\"> (default target)</small>"));
}

TEST(StatusPageTest, DatabaseDownShowsSinceWhenAndFrozenNodes) {
  auto snap = UpSnapshot({Node(1, Verdict::kOk)});
  snap->up = false;
  snap->last_error = "Can't connect to server on '127.0.0.1' (111)";
  snap->db_down_since_unix = kNow - 90;
  snap->last_success_unix = kNow - 91;
  const std::string page = Page(snap);
  EXPECT_THAT(page,
              HasSubstr("<p class=\"db down\">Database UNREACHABLE since "
                        "2023-11-14 22:11:50 UTC (1m 30s). Error: Can&#39;t connect "
                        "to server on &#39;127.0.0.1&#39; (111)</p>"));
  EXPECT_THAT(page, HasSubstr("frozen as of the last successful poll, "
                              "2023-11-14 22:11:49 UTC (1m 31s ago)"));
  EXPECT_THAT(RowOrder(page), ElementsAre("1"));
}

TEST(StatusPageTest, NeverReadAndNotPolledTargets) {
  auto never = std::make_shared<Snapshot>();
  never->polled = true;
  never->last_error = "connection refused";
  never->last_poll_unix = kNow - 1;
  std::string page = Page(never);
  EXPECT_THAT(page, HasSubstr("Database UNREACHABLE. Error: connection refused"));
  EXPECT_THAT(page, HasSubstr("Never read since the exporter started: no verdicts."));
  EXPECT_THAT(RowOrder(page), ElementsAre());

  page = Page(nullptr);
  EXPECT_THAT(page, HasSubstr("Database not read yet"));
  EXPECT_THAT(page, HasSubstr("No poll finished yet."));
}

TEST(StatusPageTest, NoWorkingNodeIsFlagged) {
  const std::string page = Page(UpSnapshot({Node(1, Verdict::kUpNotRunning)}));
  EXPECT_THAT(page, HasSubstr("<p class=\"poll bad\">"));
  EXPECT_THAT(page, HasSubstr("0 of 1 nodes claim running and are ok."));
}

TEST(StatusPageTest, FiringAlertsWithTheirAge) {
  FiringAlert alert;
  alert.alertname = "CloudStackMgmtServerUpNotRunning";
  alert.severity = "critical";
  alert.msid = "3";
  alert.name = "ms3";
  alert.active_since_unix = kNow - 125;
  std::string page = Page(UpSnapshot({Node(3, Verdict::kUpNotRunning)}), {alert});
  EXPECT_THAT(page,
              HasSubstr("<tr class=\"sev-critical\"><td class=\"alertname\">"
                        "CloudStackMgmtServerUpNotRunning</td><td class=\"severity\">"
                        "critical</td><td class=\"name\">ms3</td><td class=\"msid\">3"
                        "</td><td class=\"since\">2023-11-14 22:11:15 UTC</td>"
                        "<td class=\"for\">2m 05s</td></tr>"));
  EXPECT_THAT(page, Not(HasSubstr("<p class=\"none\">No alert firing.")));

  page = Page(UpSnapshot({Node(3, Verdict::kOk)}));
  EXPECT_THAT(page, HasSubstr("<p class=\"none\">No alert firing.</p>"));
  EXPECT_THAT(page, Not(HasSubstr("<table class=\"alerts\">")));
}

TEST(StatusPageTest, HowNodesSeeTheirPeers) {
  auto snap = UpSnapshot({Node(1, Verdict::kOk), Node(2, Verdict::kUpNotRunning)});
  std::string page = Page(snap);
  EXPECT_THAT(page, HasSubstr("Not available: mshost_peer was not read."));

  snap->peers_available = true;
  EXPECT_THAT(Page(snap), HasSubstr("No peer rows."));

  snap->peers = {{1, "ms1", 2, "<b>ms2</b>", "Down", 7}, {2, "ms2", 1, "ms1", "Up", 1}};
  page = Page(snap);
  EXPECT_THAT(page, HasSubstr("<tr class=\"peer bad\"><td class=\"name\">ms1</td>"
                              "<td class=\"msid\">1</td><td class=\"peer-name\">"
                              "&lt;b&gt;ms2&lt;/b&gt;</td><td class=\"peer-msid\">2</td>"
                              "<td class=\"state\">Down</td></tr>"));
  EXPECT_THAT(page, HasSubstr("<tr class=\"peer\"><td class=\"name\">ms2</td>"));

  nlohmann::json json = StatusJson(ModelOf(snap));
  const nlohmann::json& target = json["targets"][0];
  EXPECT_EQ(target["peers_available"], true);
  ASSERT_EQ(target["peers"].size(), 2u);
  EXPECT_EQ(target["peers"][0], (nlohmann::json{{"owner_msid", "1"},
                                                {"owner_name", "ms1"},
                                                {"peer_msid", "2"},
                                                {"peer_name", "<b>ms2</b>"},
                                                {"peer_runid", "7"},
                                                {"state", "Down"}}));
}

TEST(StatusPageTest, ConfigReloadStatus) {
  StatusModel model = ModelOf(UpSnapshot({}));
  model.config_reload_success_unix = kNow - 60;
  EXPECT_THAT(RenderStatusHtml(model, 2),
              HasSubstr("<span id=\"reload\" class=\"\">configuration loaded "
                        "2023-11-14 22:12:20 UTC</span>"));
  nlohmann::json json = StatusJson(model);
  EXPECT_EQ(json["config"]["last_reload_successful"], true);
  EXPECT_EQ(json["config"]["last_reload_success"], kNow - 60);

  model.config_reload_ok = false;
  EXPECT_THAT(
      RenderStatusHtml(model, 2),
      HasSubstr("<span id=\"reload\" class=\"bad\">last reload FAILED (see the "
                "log): running the configuration loaded 2023-11-14 22:12:20 UTC"));
  EXPECT_EQ(StatusJson(model)["config"]["last_reload_successful"], false);
}

TEST(StatusPageTest, SelfContainedAndUpdatesInPlace) {
  FiringAlert alert;
  alert.alertname = "CloudStackNoRunningMgmtServer";
  alert.severity = "critical";
  const std::string page = Page(UpSnapshot({Node(1, Verdict::kOk)}), {alert});
  EXPECT_THAT(page, StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(page, HasSubstr("<meta charset=\"utf-8\">"));
  // No external URL of any kind: no scheme, no protocol-relative source, nothing to
  // load from elsewhere.
  for (const char* external :
       {"http://", "https://", "src=", "href=", "\"//", "'//", "url(", "@import"}) {
    EXPECT_THAT(page, Not(HasSubstr(external))) << external;
  }
  // Refreshes by fetching the JSON, not by reloading the page.
  EXPECT_THAT(page, Not(HasSubstr("http-equiv")));
  EXPECT_THAT(page, Not(HasSubstr("location.reload")));
  EXPECT_THAT(page, HasSubstr("fetch(\"api/v1/status\""));
  EXPECT_THAT(page, HasSubstr("data-refresh-ms=\"2000\""));
  // Data reaches the document only as text.
  EXPECT_THAT(page, Not(HasSubstr("innerHTML")));
  EXPECT_THAT(page, Not(HasSubstr("outerHTML")));
  EXPECT_THAT(page, Not(HasSubstr("insertAdjacentHTML")));
  EXPECT_THAT(page, Not(HasSubstr("document.write")));
}

TEST(StatusPageTest, ShowsExporterVersionAndDataTime) {
  const std::string page = Page(UpSnapshot({}));
  EXPECT_THAT(page, HasSubstr("<span id=\"version\">" MSX_VERSION "</span>"));
  EXPECT_THAT(page, HasSubstr("<span id=\"generated\">2023-11-14 22:13:20 UTC</span>"));
}

}  // namespace
}  // namespace msx
