#include "web/status_page.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "web/status.h"
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
  RunningTarget input;
  input.name = "prod";
  input.is_default = true;
  input.snapshot = std::move(snap);
  input.db_up_since_unix = kNow - 3600;
  input.alerts = std::move(alerts);
  return BuildStatus({input}, kNow);
}

std::string Page(const StatusModel& model) {
  return RenderStatusHtml(StatusJsonText(model), 2);
}

std::string Page(std::shared_ptr<const Snapshot> snap,
                 std::vector<FiringAlert> alerts = {}) {
  return Page(ModelOf(std::move(snap), std::move(alerts)));
}

constexpr char kInitialStatusOpen[] =
    "<script id=\"initial-status\" type=\"application/json\">";

std::string Lower(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

// The text of the embedded status JSON, as the HTML parser sees it: up to the first
// "</script" (in any case) after the opening tag.
std::string EmbeddedJson(const std::string& page) {
  const size_t open = page.find(kInitialStatusOpen);
  if (open == std::string::npos) return "";
  const size_t start = open + std::string(kInitialStatusOpen).size();
  const size_t end = Lower(page).find("</script", start);
  return page.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// Undoes exactly the page's five escapes (\u003c \u003e \u0026 \u2028 \u2029). A
// backslash pair is copied whole, so "\\u003c" (a backslash and "u003c" in the data)
// stays as it is.
std::string UnescapeEmbedded(const std::string& text) {
  static const std::pair<const char*, const char*> kEscapes[] = {
      {"\\u003c", "<"},
      {"\\u003e", ">"},
      {"\\u0026", "&"},
      {"\\u2028", "\xE2\x80\xA8"},
      {"\\u2029", "\xE2\x80\xA9"}};
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    bool unescaped = false;
    for (const auto& [escape, character] : kEscapes) {
      if (text.compare(i, 6, escape) == 0) {
        out += character;
        i += 5;
        unescaped = true;
        break;
      }
    }
    if (!unescaped) {
      out += text.substr(i, 2);
      ++i;
    }
  }
  return out;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

size_t CountIgnoringCase(const std::string& text, const std::string& lower_what) {
  return Count(Lower(text), lower_what);
}

// A model with every part the page draws: nodes of several verdicts, NULL fields, an
// alert, peers, a second target whose database is down.
StatusModel RichModel() {
  NodeStatus lying = Node(42, Verdict::kUpNotRunning);
  lying.row.runid = 1699999000123;
  lying.clock_offset_seconds = 30.25;
  lying.probe = RefusedResult(0.0015);
  lying.probe_address = "127.0.0.1:8250";
  lying.probe_loopback = true;
  lying.restarts = 3;
  lying.row.alert_count = 2;
  NodeStatus nulls = Node(7, Verdict::kUnknown, std::nullopt);
  nulls.row.name.reset();
  nulls.row.version.reset();
  nulls.row.last_update_unix.reset();
  nulls.probe.reset();
  auto snap = UpSnapshot({Node(1, Verdict::kOk), nulls, lying});
  snap->peers_available = true;
  snap->peers = {{1, "ms1", 42, "ms42", "Down", 7}, {42, "ms42", 1, "ms1", "Up", 1}};
  FiringAlert alert;
  alert.alertname = "CloudStackMgmtServerUpNotRunning";
  alert.severity = "critical";
  alert.msid = "42";
  alert.name = "ms42";
  alert.labels = {{"target", "prod"}, {"msid", "42"}};
  alert.annotations = {{"summary", "ms42 claims Up but is not running"}};
  alert.active_since_unix = kNow - 125;

  RunningTarget prod;
  prod.name = "prod";
  prod.is_default = true;
  prod.snapshot = snap;
  prod.db_up_since_unix = kNow - 3600;
  prod.alerts = {alert};
  auto down = std::make_shared<Snapshot>();
  down->polled = true;
  down->last_error = "Can't connect to server on '10.2.0.5' (111)";
  down->db_down_since_unix = kNow - 90;
  down->last_poll_unix = kNow - 1;
  RunningTarget staging;
  staging.name = "staging";
  staging.snapshot = down;
  StatusModel model = BuildStatus({prod, staging}, kNow);
  model.config_reload_success_unix = kNow - 60;
  return model;
}

TEST(StatusPageTest, EmbedsTheStatusJsonExactly) {
  const StatusModel model = RichModel();
  const std::string embedded = EmbeddedJson(Page(model));
  ASSERT_FALSE(embedded.empty());
  // Byte for byte the body of /api/v1/status once the five escapes are undone...
  EXPECT_EQ(UnescapeEmbedded(embedded), StatusJsonText(model));
  // ...and, as any JSON parser reads it, the same value.
  EXPECT_EQ(nlohmann::json::parse(embedded), StatusJson(model));
  // The NULL state "<NULL>" is data, so even it is escaped.
  EXPECT_THAT(embedded, HasSubstr("\"state\":\"\\u003cNULL\\u003e\""));
}

TEST(StatusPageTest, DatabaseStringsCannotBreakOut) {
  const std::string breakout = "</script><img src=x onerror=alert(1)>";
  const std::string separators = "line\xE2\x80\xA8separator\xE2\x80\xA9paragraph";
  NodeStatus script = Node(1, Verdict::kOk);
  script.row.name = breakout;
  NodeStatus lines = Node(2, Verdict::kOk);
  lines.row.name = separators;
  lines.row.version = "<!--";
  NodeStatus quotes = Node(3, Verdict::kOk);
  quotes.row.name = "a & \"b\" 'c' &lt; \\u003c";
  quotes.row.version = "<img src=x onerror=alert(2)>";
  quotes.row.state = "Up\"><b>";
  NodeStatus shouting = Node(4, Verdict::kOk);
  shouting.row.name = "</SCRIPT ><script>alert(4)</script>";
  auto snap = UpSnapshot({script, lines, quotes, shouting});
  snap->peers_available = true;
  snap->peers = {{1, "ms1", 2, "<b>ms2</b>", "Down", 7}};
  RunningTarget input;
  input.name = "<i>prod</i>";
  input.snapshot = snap;
  FiringAlert alert;
  alert.alertname = "CloudStackMgmtServerUpNotRunning";
  alert.severity = "critical\" onclick=\"x";
  alert.name = "</td><script>alert(3)</script>";
  input.alerts = {alert};
  const StatusModel model = BuildStatus({input}, kNow);
  const std::string page = Page(model);

  // The page's two script elements (the data and the renderer) are the only ones,
  // and each ends once: nothing from the data ended the JSON's element early.
  EXPECT_EQ(CountIgnoringCase(page, "<script"), 2u);
  EXPECT_EQ(CountIgnoringCase(page, "</script"), 2u);
  EXPECT_THAT(page, Not(HasSubstr("<img")));
  EXPECT_THAT(page, Not(HasSubstr("<i>")));
  EXPECT_THAT(page, Not(HasSubstr("<b>")));
  EXPECT_THAT(page, Not(HasSubstr("<!--")));
  EXPECT_THAT(page, Not(HasSubstr("\xE2\x80\xA8")));
  EXPECT_THAT(page, Not(HasSubstr("\xE2\x80\xA9")));
  const std::string embedded = EmbeddedJson(page);
  EXPECT_EQ(embedded.find_first_of("<>&"), std::string::npos) << embedded;
  EXPECT_THAT(embedded, HasSubstr("\\u003c/script\\u003e\\u003cimg src=x "
                                  "onerror=alert(1)\\u003e"));
  EXPECT_THAT(embedded, HasSubstr("line\\u2028separator\\u2029paragraph"));

  // And every string still arrives whole, exactly as the database holds it.
  EXPECT_EQ(UnescapeEmbedded(embedded), StatusJsonText(model));
  const nlohmann::json json = nlohmann::json::parse(embedded);
  const nlohmann::json& target = json["targets"][0];
  EXPECT_EQ(target["name"], "<i>prod</i>");
  EXPECT_EQ(target["nodes"][0]["name"], breakout);
  EXPECT_EQ(target["nodes"][1]["name"], separators);
  EXPECT_EQ(target["nodes"][1]["version"], "<!--");
  EXPECT_EQ(target["nodes"][2]["name"], "a & \"b\" 'c' &lt; \\u003c");
  EXPECT_EQ(target["nodes"][2]["state"], "Up\"><b>");
  EXPECT_EQ(target["nodes"][3]["name"], "</SCRIPT ><script>alert(4)</script>");
  EXPECT_EQ(target["alerts"][0]["severity"], "critical\" onclick=\"x");
  EXPECT_EQ(target["peers"][0]["peer_name"], "<b>ms2</b>");
}

TEST(StatusPageTest, InvalidUtf8IsReplacedAsInTheApi) {
  NodeStatus node = Node(1, Verdict::kOk);
  node.row.name = std::string("ms\xFF\xE2\x80");
  const StatusModel model = ModelOf(UpSnapshot({node}));
  const std::string embedded = EmbeddedJson(Page(model));
  EXPECT_EQ(UnescapeEmbedded(embedded), StatusJsonText(model));
  EXPECT_EQ(nlohmann::json::parse(embedded)["targets"][0]["nodes"][0]["name"],
            "ms\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(StatusPageTest, TheServerDrawsNoData) {
  // One renderer: the exporter serves the shell and the JSON, the script draws rows.
  const std::string page = Page(RichModel());
  for (const char* drawn : {"<section", "<table", "<tr", "<td", "<th", "<h2"}) {
    EXPECT_THAT(page, Not(HasSubstr(drawn))) << drawn;
  }
  EXPECT_THAT(page, HasSubstr("<main id=\"targets\"></main>"));
  for (const char* slot : {"<span id=\"version\"></span>", "<span id=\"reload\"></span>",
                           "<span id=\"generated\"></span>"}) {
    EXPECT_THAT(page, HasSubstr(slot));
  }
  // The data is in the page once, in its JSON.
  EXPECT_EQ(Count(page, "ms42"), Count(StatusJsonText(RichModel()), "ms42"));
  // Without JavaScript nothing draws the data, and the page says so.
  EXPECT_THAT(page, HasSubstr("<span id=\"live\" class=\"bad\">static: JavaScript is "
                              "off, and this page draws itself with it; the same data "
                              "is at api/v1/status</span>"));
}

TEST(StatusPageTest, LinksTheEndpointsRelatively) {
  const std::string page =
      RenderStatusHtml(StatusJsonText(ModelOf(nullptr)), 2, "/x/m\"etrics");
  for (const char* link :
       {"<a href=\"x/m&quot;etrics\"", "<a href=\"api/v1/status\"",
        "<a href=\"-/healthy\"", "<a href=\"-/ready\""}) {
    EXPECT_THAT(page, HasSubstr(link)) << link;
  }
  // Each target's /probe page, by the script (the name is encoded as a URL part).
  EXPECT_THAT(page, HasSubstr("\"probe?target=\" + encodeURIComponent(t.name)"));
  EXPECT_THAT(RenderStatusHtml(StatusJsonText(ModelOf(nullptr)), 2),
              HasSubstr("<a href=\"metrics\""));
}

TEST(StatusPageTest, ScriptSortsWithTheSameRanks) {
  const std::string page = Page(UpSnapshot({Node(1, Verdict::kOk)}));
  for (Verdict verdict : kAllVerdicts) {
    EXPECT_THAT(page, HasSubstr(std::string("&quot;") + VerdictName(verdict) +
                                "&quot;:" + std::to_string(VerdictSeverityRank(verdict))))
        << VerdictName(verdict);
  }
}

TEST(StatusPageTest, HowNodesSeeTheirPeersInTheJson) {
  auto snap = UpSnapshot({Node(1, Verdict::kOk), Node(2, Verdict::kUpNotRunning)});
  snap->peers_available = true;
  snap->peers = {{1, "ms1", 2, "<b>ms2</b>", "Down", 7}, {2, "ms2", 1, "ms1", "Up", 1}};
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

TEST(StatusPageTest, ConfigReloadStatusInTheJson) {
  StatusModel model = ModelOf(UpSnapshot({}));
  model.config_reload_success_unix = kNow - 60;
  nlohmann::json json = StatusJson(model);
  EXPECT_EQ(json["config"]["last_reload_successful"], true);
  EXPECT_EQ(json["config"]["last_reload_success"], kNow - 60);

  model.config_reload_ok = false;
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
       {"http://", "https://", "src=", "\"//", "'//", "url(", "@import"}) {
    EXPECT_THAT(page, Not(HasSubstr(external))) << external;
  }
  // Links only to the exporter's own endpoints, relative ones.
  size_t links = 0;
  for (size_t at = page.find("href=\""); at != std::string::npos;
       at = page.find("href=\"", at + 1), ++links) {
    const std::string target = page.substr(at + 6, page.find('"', at + 6) - at - 6);
    EXPECT_TRUE(target.find(':') == std::string::npos && target.rfind('/', 0) != 0)
        << target;
  }
  EXPECT_EQ(links, 4u);
  // Draws the embedded JSON at once, then refreshes by fetching the JSON, not by
  // reloading the page.
  EXPECT_THAT(page, HasSubstr("JSON.parse(document.getElementById(\"initial-status\")"
                              ".textContent)"));
  EXPECT_THAT(page, Not(HasSubstr("http-equiv")));
  EXPECT_THAT(page, Not(HasSubstr("location.reload")));
  EXPECT_THAT(page, HasSubstr("fetch(\"api/v1/status\""));
  EXPECT_THAT(page, HasSubstr("data-refresh-ms=\"2000\""));
  // Every verdict is coloured by its level, the ones that page nobody included.
  for (Verdict verdict : kAllVerdicts) {
    const std::string name = VerdictName(verdict);
    EXPECT_THAT(page, HasSubstr("&quot;" + name + "&quot;:&quot;l-")) << name;
  }
  EXPECT_THAT(page, HasSubstr("&quot;stop_unfinished&quot;:&quot;l-warning&quot;"));
  EXPECT_THAT(page, HasSubstr("&quot;maintenance&quot;:&quot;l-ok&quot;"));
  // Data reaches the document only as text.
  EXPECT_THAT(page, Not(HasSubstr("innerHTML")));
  EXPECT_THAT(page, Not(HasSubstr("outerHTML")));
  EXPECT_THAT(page, Not(HasSubstr("insertAdjacentHTML")));
  EXPECT_THAT(page, Not(HasSubstr("document.write")));
  EXPECT_THAT(page, Not(HasSubstr("eval(")));
}

}  // namespace
}  // namespace msx
