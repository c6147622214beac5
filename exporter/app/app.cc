#include "app/app.h"

#include <spdlog/spdlog.h>

#include <thread>
#include <tuple>

#include "app/status_page.h"
#include "common/log.h"
#include "common/version.h"

namespace msx {

// One target as it runs: its config and its poller. Shared between the running set
// before and after a reload when the target did not change.
struct App::TargetRun {
  TargetConfig config;
  double poll_interval_seconds = 0;
  std::unique_ptr<TargetPoller> poller;
  // When the current stretch of successful reads began; 0 while the database is
  // down. Written by the poller's thread, read by status requests.
  std::atomic<double> db_up_since_unix{0};
  // This target's /probe text (also the tail of /metrics for the default target).
  mutable ExpositionCache exposition;
};

struct App::Running {
  Config config;
  std::vector<std::shared_ptr<TargetRun>> targets;  // config order

  const TargetRun* Find(const std::string& name) const {
    for (const auto& run : targets) {
      if (run->config.name == name) return run.get();
    }
    return nullptr;
  }
};

namespace {

// Every field: one left out here would silently not take effect on reload.
bool SameDatabase(const DatabaseConfig& a, const DatabaseConfig& b) {
  return std::tie(a.driver, a.host, a.socket, a.port, a.user, a.password_file,
                  a.password_env, a.password, a.password_inline, a.name,
                  a.connect_timeout_seconds, a.query_timeout_seconds, a.tls.mode,
                  a.tls.ca_file, a.tls.cert_file, a.tls.key_file) ==
         std::tie(b.driver, b.host, b.socket, b.port, b.user, b.password_file,
                  b.password_env, b.password, b.password_inline, b.name,
                  b.connect_timeout_seconds, b.query_timeout_seconds, b.tls.mode,
                  b.tls.ca_file, b.tls.cert_file, b.tls.key_file);
}

bool SameTarget(const TargetConfig& a, const TargetConfig& b) {
  return a.name == b.name && SameDatabase(a.database, b.database) &&
         std::tie(a.heartbeat.stale_after_seconds, a.heartbeat.dead_after_seconds,
                  a.probe.kind, a.probe.address, a.probe.port, a.probe.overrides,
                  a.probe.timeout_seconds, a.labels) ==
             std::tie(b.heartbeat.stale_after_seconds, b.heartbeat.dead_after_seconds,
                      b.probe.kind, b.probe.address, b.probe.port, b.probe.overrides,
                      b.probe.timeout_seconds, b.labels);
}

// Stops pollers side by side, so the slowest cycle bounds the wait, not the sum.
template <typename Runs>
void StopPollers(const Runs& runs) {
  std::vector<std::thread> stoppers;
  for (const auto& run : runs) {
    stoppers.emplace_back([poller = run->poller.get()] { poller->Stop(); });
  }
  for (std::thread& t : stoppers) t.join();
}

HttpResponse Text(int status, std::string body) {
  HttpResponse res;
  res.status = status;
  res.body = std::move(body);
  return res;
}

std::string ListenAddressOf(const AppOptions& options, const Config& config) {
  return options.listen_address.empty() ? config.listen_address : options.listen_address;
}

}  // namespace

App::App(Config config, AppOptions options, const Clock& clock, PartsFactory make_parts)
    : options_(std::move(options)),
      clock_(clock),
      make_parts_(std::move(make_parts)),
      alerting_(
          std::make_unique<AlertingService>(config, MakeAlertmanagerNotifier, clock)) {
  auto running = std::make_shared<Running>();
  for (const TargetConfig& target : config.targets) {
    running->targets.push_back(MakeRun(target, config.poll_interval_seconds));
  }
  running->config = std::move(config);
  running_ = std::move(running);
  last_reload_success_unix_ = clock_.UnixSeconds();

  router_.Handle("GET", "/metrics",
                 [this](const HttpRequest& r) { return HandleMetrics(r); });
  router_.Handle("GET", "/probe",
                 [this](const HttpRequest& r) { return HandleProbe(r); });
  router_.Handle("GET", "/-/healthy",
                 [](const HttpRequest&) { return Text(200, "Healthy.\n"); });
  router_.Handle("GET", "/-/ready",
                 [this](const HttpRequest& r) { return HandleReady(r); });
  router_.Handle("POST", "/-/reload",
                 [this](const HttpRequest& r) { return HandleReload(r); });
  router_.Handle("GET", "/api/v1/status",
                 [this](const HttpRequest& r) { return HandleStatusJson(r); });
  router_.Handle("GET", "/",
                 [this](const HttpRequest& r) { return HandleStatusPage(r); });
}

App::~App() { Stop(); }

std::shared_ptr<App::TargetRun> App::MakeRun(const TargetConfig& target,
                                             double poll_interval_seconds) {
  auto run = std::make_shared<TargetRun>();
  run->config = target;
  run->poll_interval_seconds = poll_interval_seconds;
  TargetParts parts = make_parts_(target);
  run->poller = std::make_unique<TargetPoller>(target, poll_interval_seconds,
                                               std::move(parts.source),
                                               std::move(parts.prober), clock_);
  TargetRun* raw = run.get();  // the poller dies before its run
  run->poller->SetOnSnapshot([this, raw](std::shared_ptr<const Snapshot> snapshot) {
    OnSnapshot(*raw, snapshot);
  });
  return run;
}

void App::OnSnapshot(TargetRun& run, const std::shared_ptr<const Snapshot>& snapshot) {
  if (!snapshot->up) {
    run.db_up_since_unix = 0;
  } else if (run.db_up_since_unix == 0) {
    run.db_up_since_unix = snapshot->last_poll_unix;
  }
  WarnLoopbackProbes(run.config.name, *snapshot);
  alerting_->OnSnapshot(*snapshot);
}

// Loopback service_ips are usually a CloudStack configured on one host and watched
// from another, so the warning matters; but a target can have thousands of rows, so
// it is one line per target (the first time any node is probed at loopback) that
// counts them and names the first.
void App::WarnLoopbackProbes(const std::string& target, const Snapshot& snapshot) {
  {
    std::lock_guard<std::mutex> lock(warned_mu_);
    if (warned_loopback_.count(target) != 0) return;  // every poll after the first
  }
  const NodeStatus* first = nullptr;
  size_t count = 0;
  for (const NodeStatus& node : snapshot.nodes) {
    if (!node.probe_loopback) continue;
    if (first == nullptr) first = &node;
    ++count;
  }
  if (first == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(warned_mu_);
    if (!warned_loopback_.insert(target).second) return;
  }
  spdlog::warn(
      "nodes are probed at a loopback address: from another host that probes the wrong "
      "machine; set probe.address or probe.overrides (the /metrics series "
      "cloudstack_mshost_probe_target_info{{loopback=\"true\"}} lists them all) "
      "target={} nodes={} first_msid={} first_name={} first_address={}",
      LogQuote(target), count, first->row.msid, LogQuote(first->row.name.value_or("")),
      LogQuote(first->probe_address));
}

// The built-in evaluator's firing alerts of one target.
std::vector<FiringAlert> App::FiringAlerts(const std::string& target) const {
  return alerting_->FiringAlerts(target);
}

std::shared_ptr<const App::Running> App::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_;
}

void App::Start() {
  std::lock_guard<std::mutex> lock(reload_mu_);
  if (started_ || stopped_) return;
  started_ = true;
  for (const auto& run : running()->targets) run->poller->Start();
}

bool App::Serve(std::string* error) {
  HttpServerOptions options;
  options.listen_address = ListenAddressOf(options_, running()->config);
  options.web_config_file = options_.web_config_file;
  // CivetWeb reports here what clients cause (failed TLS handshakes, broken
  // connections) as well as its own trouble; a client can cause any number, so one
  // line per 10 s, with the count of those left out.
  options.log_error = [this](const std::string& message) {
    uint64_t held_back = 0;
    if (!http_error_throttle_.Allow(&held_back)) return;
    spdlog::warn("http server error error={} similar_errors_not_logged={}",
                 LogQuote(message), held_back);
  };
  std::shared_ptr<HttpServer> server = StartHttpServer(options, router_, error);
  if (!server) return false;
  spdlog::info("listening address={} port={} tls={}", LogQuote(options.listen_address),
               server->port(), server->tls());
  std::lock_guard<std::mutex> lock(mu_);
  server_ = std::move(server);
  return true;
}

int App::port() const {
  std::lock_guard<std::mutex> lock(mu_);
  return server_ ? server_->port() : 0;
}

ReloadResult App::Reload() {
  std::lock_guard<std::mutex> lock(reload_mu_);
  if (stopped_) return {false, "the exporter is stopping"};
  ConfigResult loaded = LoadConfig(options_.config_file);
  for (const std::string& warning : loaded.warnings) {
    spdlog::warn("configuration warning detail={}", LogQuote(warning));
  }
  if (!loaded.config) {
    std::string message;
    for (const ConfigError& e : loaded.errors) {
      spdlog::error("reload failed, keeping the running configuration error={}",
                    LogQuote(e.ToString()));
      message += e.ToString() + "\n";
    }
    std::lock_guard<std::mutex> state_lock(mu_);
    last_reload_ok_ = false;
    return {false, message};
  }

  std::shared_ptr<const Running> old = running();
  auto fresh = std::make_shared<Running>();
  std::vector<TargetRun*> added;
  Config& config = *loaded.config;
  for (const TargetConfig& target : config.targets) {
    std::shared_ptr<TargetRun> kept;
    for (const auto& run : old->targets) {
      if (SameTarget(run->config, target) &&
          run->poll_interval_seconds == config.poll_interval_seconds) {
        kept = run;
        break;
      }
    }
    if (!kept) {
      kept = MakeRun(target, config.poll_interval_seconds);
      added.push_back(kept.get());
    }
    fresh->targets.push_back(std::move(kept));
  }
  if (ListenAddressOf(options_, config) != ListenAddressOf(options_, old->config)) {
    spdlog::warn("web.listen_address changed; restart the exporter to apply it");
  }
  fresh->config = std::move(config);
  {
    std::lock_guard<std::mutex> state_lock(mu_);
    running_ = fresh;
    last_reload_ok_ = true;
    last_reload_success_unix_ = clock_.UnixSeconds();
  }
  alerting_->Reconfigure(fresh->config);
  // Only now, so that their first snapshots meet evaluators for the new config.
  if (started_) {
    for (TargetRun* run : added) run->poller->Start();
  }
  std::vector<std::shared_ptr<TargetRun>> retired;
  for (const auto& run : old->targets) {
    if (fresh->Find(run->config.name) != run.get()) retired.push_back(run);
  }
  StopPollers(retired);
  spdlog::info("configuration reloaded file={} targets={} replaced={}",
               LogQuote(options_.config_file), fresh->targets.size(), retired.size());
  return {true, "configuration reloaded"};
}

bool App::Stop(double deadline_seconds) {
  const double deadline = clock_.MonotonicSeconds() + deadline_seconds;
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (!stop_started_) {
      stop_started_ = true;
      // Detached so that the deadline holds even when a poll hangs; the destructor
      // waits for it. The thread holds its own reference to stop_finished_, which
      // it still touches when the destructor may already have returned.
      std::thread([this, finished = stop_finished_] {
        StopAll();
        finished->Signal();
      }).detach();
    }
  }
  // stop_finished_ "interrupts" the wait for the deadline when stopping is done.
  return !clock_.SleepUntil(deadline, *stop_finished_);
}

void App::StopAll() {
  std::lock_guard<std::mutex> lock(reload_mu_);
  stopped_ = true;
  std::shared_ptr<HttpServer> server;
  {
    std::lock_guard<std::mutex> state_lock(mu_);
    server = server_;
  }
  // The server first: no handler may run while the pollers go away.
  if (server) server->Stop();
  StopPollers(running()->targets);
}

bool App::Ready() const {
  for (const auto& run : running()->targets) {
    std::shared_ptr<const Snapshot> latest = run->poller->Latest();
    if (!latest || !latest->polled) return false;
  }
  return true;
}

void App::PollAllOnce() {
  for (const auto& run : running()->targets) run->poller->PollOnce();
}

StatusModel App::Status() const {
  std::shared_ptr<const Running> running = this->running();
  std::vector<TargetStatusInput> inputs;
  for (const auto& run : running->targets) {
    TargetStatusInput input;
    input.name = run->config.name;
    input.is_default = run->config.name == running->config.default_target;
    input.snapshot = run->poller->Latest();
    input.db_up_since_unix = run->db_up_since_unix;
    input.alerts = FiringAlerts(run->config.name);
    inputs.push_back(std::move(input));
  }
  StatusModel model = BuildStatus(inputs, clock_.UnixSeconds());
  std::lock_guard<std::mutex> lock(mu_);
  model.config_reload_ok = last_reload_ok_;
  model.config_reload_success_unix = last_reload_success_unix_;
  return model;
}

ExporterStats App::Stats() const {
  ExporterStats stats;
  stats.version = MSX_VERSION;
  stats.revision = BuildRevision();
  std::shared_ptr<HttpServer> server;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats.config_last_reload_successful = last_reload_ok_;
    stats.config_last_reload_success_timestamp_seconds = last_reload_success_unix_;
    server = server_;
  }
  if (server) stats.http_requests_by_code = server->RequestsByCode();
  NotifierStats notifier = alerting_->Stats();
  stats.notifications = std::move(notifier.notifications);
  stats.notifications_dropped = notifier.dropped;
  return stats;
}

namespace {

// Before the first poll a target has no snapshot; it is shown as not (yet) up.
std::shared_ptr<const Snapshot> SnapshotOrEmpty(std::shared_ptr<const Snapshot> latest,
                                                const std::string& target) {
  if (latest) return latest;
  auto empty = std::make_shared<Snapshot>();
  empty->target = target;
  return empty;
}

}  // namespace

HttpResponse App::HandleMetrics(const HttpRequest&) const {
  std::shared_ptr<const Running> running = this->running();
  const std::string& name = running->config.default_target;
  const TargetRun* run = running->Find(name);
  HttpResponse res;
  res.content_type = kExpositionContentType;
  res.body = SerializeFamilies(ExporterFamilies(Stats()));
  if (run) {
    res.body += run->exposition.Render(SnapshotOrEmpty(run->poller->Latest(), name),
                                       FiringAlerts(name));
  }
  return res;
}

HttpResponse App::HandleProbe(const HttpRequest& req) const {
  bool found = false;
  std::string name = req.QueryParam("target", &found);
  if (!found || name.empty()) return Text(400, "missing parameter: target\n");
  std::shared_ptr<const Running> running = this->running();
  const TargetRun* run = running->Find(name);
  if (!run) return Text(400, "unknown target \"" + name + "\"\n");
  HttpResponse res;
  res.content_type = kExpositionContentType;
  res.body = run->exposition.Render(SnapshotOrEmpty(run->poller->Latest(), name),
                                    FiringAlerts(name));
  return res;
}

HttpResponse App::HandleReady(const HttpRequest&) const {
  if (Ready()) return Text(200, "Ready.\n");
  return Text(503, "Not ready: waiting for the first poll of every target.\n");
}

HttpResponse App::HandleReload(const HttpRequest&) {
  ReloadResult result = Reload();
  return Text(result.ok ? 200 : 500, result.message + (result.ok ? "\n" : ""));
}

HttpResponse App::HandleStatusJson(const HttpRequest&) const {
  HttpResponse res;
  res.content_type = "application/json";
  // Invalid UTF-8 from the database must not turn a status request into an error.
  res.body =
      StatusJson(Status()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return res;
}

HttpResponse App::HandleStatusPage(const HttpRequest&) const {
  HttpResponse res;
  res.content_type = "text/html; charset=utf-8";
  res.body = RenderStatusHtml(Status(), running()->config.poll_interval_seconds);
  return res;
}

}  // namespace msx
