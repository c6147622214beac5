#include "runtime/system.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <string>

#include "alerting/notifier.h"
#include "cli/check.h"
#include "cli/commands.h"
#include "common/log.h"
#include "log_capture.h"
#include "test_util.h"
#include "web/status.h"
#include "web/web_face.h"

namespace msx {
namespace {

using test::AliveResult;
using test::FailedRead;
using test::MakeRow;
using test::OkRead;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kAppData = std::string(MSX_TESTDATA_DIR) + "/app/";

// A bound on real time for what should take microseconds: only a broken App makes a
// test wait this long.
constexpr double kSafetyNetSeconds = 5;

// Makes a FakeSource and a FakeProber per target, each answering with what the test
// set for that target, including sources made later by a reload.
class FakeWorld {
 public:
  explicit FakeWorld(const Clock& clock) : clock_(clock) {}

  // Every node of `target` heartbeating one second ago and answering probes.
  void SetHealthy(const std::string& target, std::vector<MshostRow> rows) {
    rows_[target] = std::move(rows);
  }
  void SetDown(const std::string& target) { down_.insert(target); }

  // Until ReleaseReads(), every read blocks like a database that stopped answering.
  void HoldReads() {
    std::lock_guard<std::mutex> lock(hold_mu_);
    held_ = true;
  }
  void ReleaseReads() {
    {
      std::lock_guard<std::mutex> lock(hold_mu_);
      held_ = false;
    }
    hold_cv_.notify_all();
  }
  // Until `count` reads are blocked; false after kSafetyNetSeconds of real time.
  bool WaitForHeldReads(int count) {
    std::unique_lock<std::mutex> lock(hold_mu_);
    return hold_cv_.wait_for(lock, std::chrono::duration<double>(kSafetyNetSeconds),
                             [&] { return blocked_reads_ >= count; });
  }

  PartsFactory Factory() {
    return [this](const TargetConfig& target) {
      ++made_[target.name];
      auto source = std::make_unique<test::FakeSource>();
      const std::string name = target.name;
      source->SetGenerator([this, name] {
        {
          std::unique_lock<std::mutex> lock(hold_mu_);
          ++blocked_reads_;
          hold_cv_.notify_all();
          hold_cv_.wait(lock, [this] { return !held_; });
          --blocked_reads_;
        }
        if (down_.count(name)) return FailedRead("connection refused");
        std::vector<MshostRow> rows = rows_[name];
        for (MshostRow& row : rows) row.last_update_unix = clock_.UnixSeconds() - 1;
        return OkRead(clock_.UnixSeconds(), rows);
      });
      auto prober = std::make_unique<test::FakeProber>();
      prober->SetDefault(AliveResult());
      return TargetParts{std::move(source), std::move(prober)};
    };
  }

  int made(const std::string& target) { return made_[target]; }

 private:
  const Clock& clock_;
  std::map<std::string, std::vector<MshostRow>> rows_;
  std::set<std::string> down_;
  std::map<std::string, int> made_;
  std::mutex hold_mu_;
  std::condition_variable hold_cv_;
  bool held_ = false;      // guarded by hold_mu_
  int blocked_reads_ = 0;  // guarded by hold_mu_
};

Config ParseOrDie(const std::string& yaml, const std::string& file) {
  ConfigLoad result = ParseConfig(yaml, file);
  for (const std::string& e : result.config.status().problems()) ADD_FAILURE() << e;
  return result.config.ok() ? std::move(*result.config) : Config{};
}

const char kTwoTargets[] =
    "poll_interval: 1s\n"
    "default_target: prod\n"
    "targets:\n"
    "  - name: prod\n"
    "  - name: lab\n";

using test::Get;
using test::Post;

std::string WriteFile(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "/app_test_" + name;
  std::ofstream(path) << text;
  return path;
}

// The running system and its web face, wired as main.cc wires them.
struct TestExporter {
  TestExporter(Config config, const std::string& config_file, const Clock& clock,
               PartsFactory parts, RouteOptions routes = {})
      : system(std::move(config), config_file, clock, std::move(parts),
               MakeAlertmanagerNotifier),
        web(system, clock, std::move(routes)) {}

  const Router& router() const { return web.router(); }
  void Start() { system.Start(); }
  void PollAllOnce() { system.PollAllOnce(); }
  Status Reload() { return system.Reload(); }
  bool Ready() const { return system.Ready(); }
  bool Stop(double deadline_seconds = std::numeric_limits<double>::infinity()) {
    return system.Stop(deadline_seconds);
  }

  System system;
  WebFace web;
};

class ExporterTest : public ::testing::Test {
 protected:
  ExporterTest() : world_(clock_) {
    world_.SetHealthy("prod", {MakeRow(1), MakeRow(2)});
    world_.SetHealthy("lab", {MakeRow(7)});
  }

  std::unique_ptr<TestExporter> MakeApp(const std::string& config_file = "unused.yml",
                                        RouteOptions routes = {}) {
    return std::make_unique<TestExporter>(ParseOrDie(kTwoTargets, config_file),
                                          config_file, clock_, world_.Factory(),
                                          std::move(routes));
  }

  FakeClock clock_;
  FakeWorld world_;
};

TEST_F(ExporterTest, MetricsShowExporterAndDefaultTarget) {
  auto app = MakeApp();
  app->PollAllOnce();
  HttpResponse res = app->router().Serve(Get("/metrics"));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(res.body, HasSubstr("mshost_exporter_config_last_reload_successful 1"));
  EXPECT_THAT(res.body, HasSubstr("cloudstack_mshost_up 1"));
  EXPECT_THAT(res.body, HasSubstr("msid=\"2\""));
  EXPECT_THAT(res.body, Not(HasSubstr("msid=\"7\"")));  // lab is not the default
}

TEST_F(ExporterTest, MetricsCarryTheProcessMetrics) {
  auto app = MakeApp();
  const std::string body = app->router().Serve(Get("/metrics")).body;
  for (const char* name :
       {"process_cpu_seconds_total", "process_resident_memory_bytes",
        "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
        "process_start_time_seconds", "process_threads"}) {
    EXPECT_THAT(body, HasSubstr(std::string("\n") + name + " ")) << name;
  }
  EXPECT_THAT(app->router().Serve(Get("/probe", "target=lab")).body,
              Not(HasSubstr("process_")));
}

TEST_F(ExporterTest, ProcessMetricsThatCannotBeReadAreLeftOut) {
  RouteOptions routes;
  routes.proc_root = ::testing::TempDir() + "/no_such_proc";
  auto app = MakeApp("unused.yml", routes);
  app->PollAllOnce();
  HttpResponse res = app->router().Serve(Get("/metrics"));
  EXPECT_EQ(res.status, 200);
  EXPECT_THAT(res.body, Not(HasSubstr("process_")));
  EXPECT_THAT(res.body, HasSubstr("mshost_exporter_build_info"));
  EXPECT_THAT(res.body, HasSubstr("cloudstack_mshost_up 1"));
}

TEST_F(ExporterTest, TelemetryPathMovesTheMetrics) {
  RouteOptions routes;
  routes.telemetry_path = "/x/metrics";
  auto app = MakeApp("unused.yml", routes);
  app->PollAllOnce();
  EXPECT_EQ(app->router().Serve(Get("/metrics")).status, 404);
  HttpResponse res = app->router().Serve(Get("/x/metrics"));
  EXPECT_EQ(res.status, 200);
  EXPECT_THAT(res.body, HasSubstr("cloudstack_mshost_up 1"));
  EXPECT_THAT(res.body, HasSubstr("mshost_exporter_build_info"));
}

TEST_F(ExporterTest, DisabledExporterMetricsLeaveOnlyTheTarget) {
  RouteOptions routes;
  routes.exporter_metrics = false;
  auto app = MakeApp("unused.yml", routes);
  app->PollAllOnce();
  const std::string body = app->router().Serve(Get("/metrics")).body;
  EXPECT_THAT(body, HasSubstr("cloudstack_mshost_up 1"));
  EXPECT_THAT(body, Not(HasSubstr("mshost_exporter_")));
  EXPECT_THAT(body, Not(HasSubstr("process_")));
}

// zlib's inflate of a whole gzip body; "" when it is not exactly one gzip stream.
std::string Gunzip(const std::string& body) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return "";
  std::string out(body.size() * 50 + 1024, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  stream.avail_in = static_cast<uInt>(body.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const bool whole = inflate(&stream, Z_FINISH) == Z_STREAM_END && stream.avail_in == 0;
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return whole ? out : "";
}

TEST_F(ExporterTest, GzipWhenAskedDecompressesToThePlainAnswer) {
  RouteOptions routes;
  routes.proc_root = ::testing::TempDir() + "/no_such_proc";  // nothing that changes
  auto app = MakeApp("unused.yml", routes);
  app->PollAllOnce();
  for (const auto& [path, query] : {std::pair<std::string, std::string>{"/metrics", ""},
                                    {"/probe", "target=lab"}}) {
    HttpResponse plain = app->router().Serve(Get(path, query));
    HttpRequest req = Get(path, query);
    req.headers["accept-encoding"] = "gzip";
    HttpResponse gzip = app->router().Serve(req);
    EXPECT_EQ(plain.headers.count("Content-Encoding"), 0u) << path;
    EXPECT_EQ(gzip.headers["Content-Encoding"], "gzip") << path;
    EXPECT_EQ(gzip.headers["Vary"], "Accept-Encoding") << path;
    EXPECT_EQ(gzip.content_type, plain.content_type) << path;
    EXPECT_THAT(plain.body, HasSubstr("cloudstack_mshost_up 1")) << path;
    EXPECT_EQ(Gunzip(gzip.body), plain.body) << path;
    EXPECT_LT(gzip.body.size(), plain.body.size()) << path;
  }
}

TEST(RouteOptionsTest, TelemetryPathMustBeAFreeAbsolutePath) {
  auto check = [](const std::string& path) {
    RouteOptions routes;
    routes.telemetry_path = path;
    return CheckRouteOptions(routes);
  };
  EXPECT_EQ(check("/metrics"), "");
  EXPECT_EQ(check("/custom/metrics"), "");
  EXPECT_EQ(check("metrics"),
            "--web.telemetry-path \"metrics\": want an absolute path like /metrics");
  EXPECT_THAT(check(""), HasSubstr("want an absolute path"));
  EXPECT_THAT(check("/m?x=1"), HasSubstr("without '?' or '#'"));
  for (const char* taken : {"/", "/probe", "/-/healthy", "/-/ready", "/-/reload",
                            "/api/v1/status"}) {
    EXPECT_EQ(check(taken), std::string("--web.telemetry-path \"") + taken +
                                "\": that path is another endpoint's");
  }
}

TEST_F(ExporterTest, MetricsBeforeFirstPollSayDatabaseNotUp) {
  auto app = MakeApp();
  HttpResponse res = app->router().Serve(Get("/metrics"));
  EXPECT_EQ(res.status, 200);
  EXPECT_THAT(res.body, HasSubstr("cloudstack_mshost_up 0"));
}

TEST_F(ExporterTest, ProbeServesOneTargetByExactName) {
  auto app = MakeApp();
  app->PollAllOnce();
  HttpResponse res = app->router().Serve(Get("/probe", "target=lab"));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(res.body, HasSubstr("msid=\"7\""));
  EXPECT_THAT(res.body, Not(HasSubstr("msid=\"1\"")));
  EXPECT_THAT(res.body, Not(HasSubstr("mshost_exporter_")));
}

TEST_F(ExporterTest, ProbeWithoutOrWithUnknownTargetIs400) {
  auto app = MakeApp();
  EXPECT_EQ(app->router().Serve(Get("/probe")).status, 400);
  EXPECT_EQ(app->router().Serve(Get("/probe", "target=")).status, 400);
  HttpResponse unknown = app->router().Serve(Get("/probe", "target=Prod"));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_THAT(unknown.body, HasSubstr("unknown target \"Prod\""));
  EXPECT_EQ(app->router().Serve(Get("/probe", "target=prod%20")).status, 400);
}

TEST_F(ExporterTest, RunbooksAreServedByAlertNameAndUnknownNamesAre404) {
  auto app = MakeApp();
  for (const AlertRule& rule : DefaultAlertRules()) {
    HttpResponse res = app->router().Serve(Get("/runbooks/" + rule.alertname));
    EXPECT_EQ(res.status, 200) << rule.alertname;
    EXPECT_EQ(res.content_type, "text/html; charset=utf-8");
    EXPECT_THAT(res.body, HasSubstr("<h1>" + rule.alertname + "</h1>"));
  }
  EXPECT_EQ(app->router().Serve(Get("/runbooks/CloudStackNoSuchAlert")).status, 404);
  EXPECT_EQ(app->router().Serve(Get("/runbooks/CloudStackMshostSourceDown.md")).status, 404);
  EXPECT_EQ(app->router().Serve(Get("/runbooks/cloudstackmshostsourcedown")).status, 404);
  HttpResponse index = app->router().Serve(Get("/runbooks/"));
  EXPECT_EQ(index.status, 200);
  EXPECT_THAT(index.body, HasSubstr("href=\"CloudStackMshostSourceDown\""));
}

TEST_F(ExporterTest, TheExternalUrlIsExported) {
  auto app = MakeApp();
  EXPECT_THAT(app->router().Serve(Get("/metrics")).body,
              Not(HasSubstr("mshost_exporter_external_url_info")));
  app->system.SetExternalUrl("https://mshost.example:8443");
  EXPECT_THAT(app->router().Serve(Get("/metrics")).body,
              HasSubstr("mshost_exporter_external_url_info{url=\"https://mshost.example:8443\"} 1"));
}

TEST_F(ExporterTest, PathsMatchExactlyAndMethodsAreChecked) {
  auto app = MakeApp();
  EXPECT_EQ(app->router().Serve(Get("/metrics/x")).status, 404);
  EXPECT_EQ(app->router().Serve(Get("/nope")).status, 404);
  EXPECT_EQ(app->router().Serve(Post("/metrics")).status, 405);
  EXPECT_EQ(app->router().Serve(Get("/-/reload")).status, 405);
  EXPECT_EQ(app->router().Serve(Get("/-/healthy")).status, 200);
}

TEST_F(ExporterTest, ReadyOnlyAfterEveryTargetWasPolled) {
  auto app = MakeApp();
  world_.SetDown("lab");  // a failed attempt counts
  EXPECT_EQ(app->router().Serve(Get("/-/ready")).status, 503);
  EXPECT_FALSE(app->Ready());
  app->PollAllOnce();
  EXPECT_EQ(app->router().Serve(Get("/-/ready")).status, 200);
}

TEST_F(ExporterTest, StatusJsonDescribesEveryTargetAndNode) {
  auto app = MakeApp();
  world_.SetDown("lab");
  app->PollAllOnce();
  HttpResponse res = app->router().Serve(Get("/api/v1/status"));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.content_type, "application/json");
  nlohmann::json status = nlohmann::json::parse(res.body);
  ASSERT_EQ(status["targets"].size(), 2u);
  const nlohmann::json& prod = status["targets"][0];
  EXPECT_EQ(prod["name"], "prod");
  EXPECT_EQ(prod["default"], true);
  EXPECT_EQ(prod["db"]["up"], true);
  EXPECT_EQ(prod["db"]["up_since"], clock_.UnixSeconds());
  ASSERT_EQ(prod["nodes"].size(), 2u);
  EXPECT_EQ(prod["nodes"][0]["msid"], "1");
  EXPECT_EQ(prod["nodes"][0]["verdict"], "ok");
  EXPECT_EQ(prod["nodes"][0]["probe"]["success"], true);
  const nlohmann::json& lab = status["targets"][1];
  EXPECT_EQ(lab["db"]["up"], false);
  EXPECT_EQ(lab["db"]["last_error"], "connection refused");
  EXPECT_EQ(lab["db"]["down_since"], clock_.UnixSeconds());
  EXPECT_TRUE(lab["db"]["up_since"].is_null());
}

TEST_F(ExporterTest, StatusPageIsHtmlWithEscapedDatabaseStrings) {
  MshostRow evil = MakeRow(3);
  evil.name = "<script>alert(1)</script>";
  world_.SetHealthy("prod", {evil});
  auto app = MakeApp();
  app->PollAllOnce();
  HttpResponse res = app->router().Serve(Get("/"));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(res.body, HasSubstr("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"));
  EXPECT_THAT(res.body, Not(HasSubstr("<script>alert")));
  // The page embeds what /api/v1/status answers (same fake clock, same poll).
  const std::string open = "<script id=\"initial-status\" type=\"application/json\">";
  const size_t start = res.body.find(open);
  ASSERT_NE(start, std::string::npos);
  const size_t from = start + open.size();
  EXPECT_EQ(nlohmann::json::parse(res.body.substr(from, res.body.find('<', from) - from)),
            nlohmann::json::parse(app->router().Serve(Get("/api/v1/status")).body));
}

TEST_F(ExporterTest, ReloadWithBadFileKeepsRunningConfig) {
  std::string path = WriteFile("bad.yml",
                               "targets:\n  - name: prod\n    database:\n"
                               "      driver: oracle\n");
  auto app = MakeApp(path);
  app->PollAllOnce();
  HttpResponse res = app->router().Serve(Post("/-/reload"));
  EXPECT_EQ(res.status, 500);
  EXPECT_THAT(res.body, AllOf(HasSubstr(path + ":4:"), HasSubstr("driver")));
  HttpResponse metrics = app->router().Serve(Get("/metrics"));
  EXPECT_THAT(metrics.body, HasSubstr("mshost_exporter_config_last_reload_successful 0"));
  EXPECT_THAT(metrics.body, HasSubstr("cloudstack_mshost_up 1"));
  EXPECT_EQ(app->router().Serve(Get("/probe", "target=lab")).status, 200);
  nlohmann::json status =
      nlohmann::json::parse(app->router().Serve(Get("/api/v1/status")).body);
  EXPECT_EQ(status["config"]["last_reload_successful"], false);
  EXPECT_EQ(status["config"]["last_reload_success"], clock_.UnixSeconds());
}

TEST_F(ExporterTest, ReloadReplacesChangedTargetsAndKeepsTheOthers) {
  std::string path = WriteFile("good.yml", kTwoTargets);
  auto app = MakeApp(path);
  app->PollAllOnce();
  clock_.Advance(5);
  WriteFile("good.yml",
            "poll_interval: 1s\n"
            "targets:\n"
            "  - name: prod\n"
            "  - name: lab\n"
            "    heartbeat: {stale_after: 20s}\n"
            "  - name: new\n");
  world_.SetHealthy("new", {MakeRow(9)});

  Status result = app->Reload();
  EXPECT_TRUE(result.ok()) << result.message();
  EXPECT_EQ(world_.made("prod"), 1);  // unchanged: same poller
  EXPECT_EQ(world_.made("lab"), 2);   // changed: a new poller
  EXPECT_EQ(world_.made("new"), 1);
  EXPECT_FALSE(app->Ready());  // the new pollers have not polled yet
  app->PollAllOnce();
  EXPECT_TRUE(app->Ready());
  EXPECT_EQ(app->router().Serve(Get("/probe", "target=new")).status, 200);
  HttpResponse metrics = app->router().Serve(Get("/metrics"));
  EXPECT_THAT(metrics.body, HasSubstr("mshost_exporter_config_last_reload_successful 1"));
  EXPECT_THAT(metrics.body,
              HasSubstr("mshost_exporter_config_last_reload_success_timestamp_seconds "
                        "1700000005"));
}

TEST_F(ExporterTest, ReloadDropsRemovedTargets) {
  std::string path = WriteFile("shrink.yml", kTwoTargets);
  auto app = MakeApp(path);
  WriteFile("shrink.yml", "targets:\n  - name: lab\n");
  ASSERT_TRUE(app->Reload().ok());
  EXPECT_EQ(app->router().Serve(Get("/probe", "target=prod")).status, 400);
  app->PollAllOnce();
  // The only target is now the default one.
  EXPECT_THAT(app->router().Serve(Get("/metrics")).body, HasSubstr("msid=\"7\""));
}

TEST_F(ExporterTest, LoopbackProbeAddressesAreWarnedOncePerTargetWithTheirCount) {
  test::LogCapture log;
  MshostRow local = MakeRow(4);
  local.service_ip = "127.0.0.1";
  MshostRow also_local = MakeRow(6);
  also_local.service_ip = "localhost";
  world_.SetHealthy("prod", {local, MakeRow(5), also_local});
  auto app = MakeApp();
  app->PollAllOnce();
  app->PollAllOnce();
  const std::string text = log.Text();
  size_t first = text.find("probed at a loopback");
  ASSERT_NE(first, std::string::npos) << text;
  EXPECT_EQ(text.find("probed at a loopback", first + 1), std::string::npos) << text;
  EXPECT_THAT(text, HasSubstr("nodes=2 first_msid=4"));
}

// The clock does not move here: Stop() returns when stopping is done, not at its
// deadline.
TEST_F(ExporterTest, StopIsIdempotentAndReloadAfterStopIsRefused) {
  auto app = MakeApp();
  app->Start();
  EXPECT_TRUE(app->Stop(10));
  EXPECT_TRUE(app->Stop(10));
  EXPECT_FALSE(app->Reload().ok());
}

// A poll stuck in the database holds the pollers; Stop() gives up when its deadline
// passes on the App's clock, not before.
TEST_F(ExporterTest, StopGivesUpAtItsDeadlineWhenAPollHangs) {
  world_.HoldReads();
  auto app = MakeApp();
  // Before the App's destructor, which waits for the pollers, even if a check fails.
  struct ReleaseAtExit {
    FakeWorld& world;
    ~ReleaseAtExit() { world.ReleaseReads(); }
  } release_at_exit{world_};
  app->Start();
  ASSERT_TRUE(world_.WaitForHeldReads(2));  // both targets
  std::future<bool> stopped =
      std::async(std::launch::async, [&] { return app->Stop(5); });
  ASSERT_TRUE(clock_.WaitForSleepers(1, kSafetyNetSeconds));  // Stop() waits
  clock_.Advance(4.5);
  EXPECT_EQ(clock_.sleepers(), 1u);
  clock_.Advance(0.5);
  ASSERT_EQ(stopped.wait_for(std::chrono::duration<double>(kSafetyNetSeconds)),
            std::future_status::ready);
  EXPECT_FALSE(stopped.get());
  world_.ReleaseReads();
  EXPECT_TRUE(app->Stop());  // the stop under way finishes
}

// --- status model and check ---

NodeStatus Node(uint64_t msid, std::optional<std::string> state, Verdict verdict,
                std::optional<double> last_update = 100.0) {
  NodeStatus node =
      test::MakeNode(MakeRow(msid, std::move(state), last_update), verdict, 1.5);
  node.silence_seconds = 1.25;
  return node;
}

std::shared_ptr<const Snapshot> UpSnapshot(std::vector<NodeStatus> nodes) {
  return std::make_shared<Snapshot>(test::OkSnapshot(std::move(nodes)));
}

StatusModel ModelOf(std::shared_ptr<const Snapshot> snap,
                    const std::string& name = "prod") {
  RunningTarget input;
  input.name = name;
  input.snapshot = std::move(snap);
  return BuildStatus({input}, 1000);
}

TEST(StatusModelTest, NullStateAndHeartbeatAreShownAsSuch) {
  StatusModel model =
      ModelOf(UpSnapshot({Node(1, std::nullopt, Verdict::kUpNotRunning, std::nullopt),
                          Node(2, "Up", Verdict::kOk), Node(3, "Down", Verdict::kOk)}));
  ASSERT_EQ(model.targets.size(), 1u);
  const TargetView& target = model.targets[0];
  ASSERT_EQ(target.nodes.size(), 3u);
  EXPECT_EQ(target.nodes[0].state, "<NULL>");
  EXPECT_TRUE(target.nodes[0].claims_running);
  EXPECT_FALSE(target.nodes[0].raw_age_seconds.has_value());
  EXPECT_FALSE(target.nodes[0].silence_seconds.has_value());
  EXPECT_EQ(target.nodes[1].silence_seconds, 1.25);
  // Node 3 is ok but Down: it does not count as a running node.
  EXPECT_EQ(target.running_ok_nodes, 1);

  nlohmann::json json = StatusJson(model);
  const nlohmann::json& node = json["targets"][0]["nodes"][0];
  EXPECT_TRUE(node["last_update"].is_null());
  EXPECT_TRUE(node["probe"].is_null());
  EXPECT_EQ(node["state"], "<NULL>");
  EXPECT_EQ(node["verdict"], "up_not_running");
}

TEST(StatusModelTest, MsidBeyondDoublePrecisionStaysExact) {
  NodeStatus node = Node(0, "Up", Verdict::kOk);
  node.row.msid = 18446744073709551615ULL;
  nlohmann::json json = StatusJson(ModelOf(UpSnapshot({node})));
  EXPECT_EQ(json["targets"][0]["nodes"][0]["msid"], "18446744073709551615");
}

TEST(StatusModelTest, HtmlEscapeCoversAttributeQuotes) {
  EXPECT_EQ(HtmlEscape("a&b<c>\"d'"), "a&amp;b&lt;c&gt;&quot;d&#39;");
}

TEST(JudgeStatusTest, AllOkIsOk) {
  CheckReport report = JudgeStatus(
      ModelOf(UpSnapshot({Node(1, "Up", Verdict::kOk), Node(2, "Down", Verdict::kOk)})));
  EXPECT_EQ(report.code, CheckCode::kOk);
  EXPECT_THAT(
      report.lines,
      ElementsAre("OK target=prod name=ms1 msid=1 state=Up verdict=ok silence=1.2s",
                  "OK target=prod name=ms2 msid=2 state=Down verdict=ok "
                  "silence=1.2s"));
}

TEST(JudgeStatusTest, WarningVerdictsAreWarning) {
  for (Verdict verdict :
       {Verdict::kUpHeartbeatStale, Verdict::kUpUnreachable, Verdict::kDownButRunning}) {
    CheckReport report = JudgeStatus(
        ModelOf(UpSnapshot({Node(1, "Up", Verdict::kOk), Node(2, "Down", verdict)})));
    EXPECT_EQ(report.code, CheckCode::kWarning) << VerdictName(verdict);
    EXPECT_THAT(report.lines[0], StartsWith("WARNING target=prod name=ms2"));
  }
}

TEST(JudgeStatusTest, UpNotRunningIsCriticalAndListedFirst) {
  CheckReport report = JudgeStatus(
      ModelOf(UpSnapshot({Node(1, "Up", Verdict::kOk),
                          Node(2, std::nullopt, Verdict::kUpNotRunning, std::nullopt)})));
  EXPECT_EQ(report.code, CheckCode::kCritical);
  EXPECT_EQ(report.lines[0],
            "CRITICAL target=prod name=ms2 msid=2 state=<NULL> verdict=up_not_running "
            "silence=-");
}

TEST(JudgeStatusTest, NoRunningNodeIsCritical) {
  auto snap = std::make_shared<Snapshot>(
      *UpSnapshot({Node(1, "Down", Verdict::kOk), Node(2, "Up", Verdict::kUpNotRunning)}));
  snap->running_nodes = 0;
  CheckReport report = JudgeStatus(ModelOf(snap));
  EXPECT_EQ(report.code, CheckCode::kCritical);
  EXPECT_THAT(report.lines,
              ::testing::Contains("CRITICAL target=prod no node is running (claims "
                                  "running with a fresh heartbeat)"));
  // Heartbeating but unreachable is running: a warning, not "nothing runs".
  snap = std::make_shared<Snapshot>(*UpSnapshot({Node(2, "Up", Verdict::kUpUnreachable)}));
  snap->running_nodes = 1;
  EXPECT_EQ(JudgeStatus(ModelOf(snap)).code, CheckCode::kWarning);
  EXPECT_EQ(JudgeStatus(ModelOf(UpSnapshot({}))).code, CheckCode::kCritical);
}

TEST(JudgeStatusTest, UnreadableDatabaseIsUnknown) {
  auto snap = std::make_shared<Snapshot>();
  snap->polled = true;
  snap->last_error = "connection refused";
  CheckReport report = JudgeStatus(ModelOf(snap));
  EXPECT_EQ(report.code, CheckCode::kUnknown);
  EXPECT_THAT(
      report.lines,
      ElementsAre("UNKNOWN target=prod database unreachable: connection refused"));
}

TEST(JudgeStatusTest, CriticalOutranksUnknownAcrossTargets) {
  auto down = std::make_shared<Snapshot>();
  down->polled = true;
  down->last_error = "timeout";
  RunningTarget a{"a", false, down, 0, {}};
  RunningTarget b{
      "b",
      false,
      UpSnapshot({Node(1, "Up", Verdict::kUpNotRunning), Node(2, "Up", Verdict::kOk)}),
      0,
      {}};
  EXPECT_EQ(JudgeStatus(BuildStatus({a, b}, 0)).code, CheckCode::kCritical);
  RunningTarget c{
      "c",
      false,
      UpSnapshot({Node(2, "Up", Verdict::kUpUnreachable), Node(3, "Up", Verdict::kOk)}),
      0,
      {}};
  EXPECT_EQ(JudgeStatus(BuildStatus({a, c}, 0)).code, CheckCode::kUnknown);
}

class RunCheckTest : public ::testing::Test {
 protected:
  RunCheckTest() : world_(clock_) {}

  CheckReport Run(const std::string& yaml, CheckOptions options) {
    Config config = ParseOrDie(yaml, "check.yml");
    return RunCheck(config, options, clock_, world_.Factory(), [this](double seconds) {
      sleeps_.push_back(seconds);
      clock_.Advance(seconds);
    });
  }

  FakeClock clock_;
  FakeWorld world_;
  std::vector<double> sleeps_;
};

TEST_F(RunCheckTest, ObservesForTheWholeWindowAtPollInterval) {
  world_.SetHealthy("prod", {MakeRow(1)});
  CheckReport report = Run("poll_interval: 500ms\ntargets:\n  - name: prod\n", {"", 4});
  EXPECT_EQ(report.code, CheckCode::kOk);
  EXPECT_EQ(sleeps_, std::vector<double>(8, 0.5));  // 9 polls over 4 s
}

TEST_F(RunCheckTest, PollsAtLeastTwice) {
  world_.SetHealthy("prod", {MakeRow(1)});
  Run("poll_interval: 10s\ntargets:\n  - name: prod\n", {"", 1});
  EXPECT_EQ(sleeps_, std::vector<double>{10});
}

TEST_F(RunCheckTest, OnlyTheChosenTarget) {
  world_.SetHealthy("prod", {MakeRow(1)});
  world_.SetDown("lab");
  CheckReport report = Run(kTwoTargets, {"prod", 1});
  EXPECT_EQ(report.code, CheckCode::kOk);
  EXPECT_EQ(world_.made("lab"), 0);
  EXPECT_EQ(Run(kTwoTargets, {"", 1}).code, CheckCode::kUnknown);
}

TEST_F(RunCheckTest, UnknownTargetIsUnknown) {
  CheckReport report = Run(kTwoTargets, {"staging", 1});
  EXPECT_EQ(report.code, CheckCode::kUnknown);
  EXPECT_THAT(report.lines[0], HasSubstr("unknown target staging"));
}

TEST(CommandsTest, CheckConfigAcceptsGoodFile) {
  std::ostringstream out, err;
  EXPECT_EQ(RunCheckConfig(kAppData + "good.yml", out, err), 0);
  EXPECT_EQ(out.str(), "config OK\n");
}

TEST(CommandsTest, CheckConfigNamesFileLineAndKey) {
  std::ostringstream out, err;
  EXPECT_EQ(RunCheckConfig(kAppData + "bad.yml", out, err), 2);
  EXPECT_EQ(out.str(), "");
  EXPECT_THAT(err.str(),
              HasSubstr(kAppData + "bad.yml:5:15: targets[0].database.driver"));
  EXPECT_THAT(err.str(), HasSubstr("targets[0].heartbeat.dead_after"));
}

TEST(CommandsTest, InlinePasswordIsWarnedWithoutTheSecret) {
  std::ostringstream out, err;
  EXPECT_EQ(RunCheckConfig(kAppData + "inline_password.yml", out, err), 0);
  EXPECT_THAT(err.str(), HasSubstr("warning: " + kAppData + "inline_password.yml:6:"));
  EXPECT_THAT(err.str(), Not(HasSubstr("secret-in-file")));

  test::LogCapture log;
  std::ostringstream server_err;
  std::optional<Config> config =
      LoadServerConfig(kAppData + "inline_password.yml", server_err);
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(server_err.str(), "");
  EXPECT_THAT(log.Text(), AllOf(HasSubstr("level=warn"), HasSubstr("password"),
                                Not(HasSubstr("secret-in-file"))));
}

TEST(CommandsTest, CheckWithBadConfigIsUnknown) {
  std::ostringstream out, err;
  EXPECT_EQ(RunCheckCommand(kAppData + "bad.yml", {"", 0}, out, err), 3);
  EXPECT_THAT(out.str(),
              StartsWith("UNKNOWN bad configuration: " + kAppData + "bad.yml:"));
  EXPECT_THAT(err.str(), HasSubstr("targets[0].database.driver"));
}

}  // namespace
}  // namespace msx
