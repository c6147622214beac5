#include "web/web_face.h"

#include <unistd.h>

#include <optional>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/version.h"
#include "metrics/process.h"
#include "web/runbooks.h"
#include "web/status.h"
#include "web/status_page.h"

namespace msx {
namespace {

HttpResponse Text(int status, std::string body) {
  HttpResponse res;
  res.status = status;
  res.body = std::move(body);
  return res;
}

// Before the first poll a target has no snapshot; it is shown as not (yet) up.
std::shared_ptr<const Snapshot> SnapshotOrEmpty(const RunningTarget& target) {
  if (target.snapshot) return target.snapshot;
  auto empty = std::make_shared<Snapshot>();
  empty->target = target.name;
  return empty;
}

const RunningTarget* FindTarget(const SystemState& state, const std::string& name) {
  for (const RunningTarget& target : state.targets) {
    if (target.name == name) return &target;
  }
  return nullptr;
}

// The paths of every endpoint but the telemetry path.
const char* const kFixedPaths[] = {"/probe",    "/-/healthy",     "/-/ready",
                                   "/-/reload", "/api/v1/status", "/"};

}  // namespace

std::string CheckRouteOptions(const RouteOptions& routes) {
  const std::string& path = routes.telemetry_path;
  if (path.empty() || path.front() != '/') {
    return "--web.telemetry-path \"" + path + "\": want an absolute path like /metrics";
  }
  if (path.find_first_of("?#") != std::string::npos) {
    return "--web.telemetry-path \"" + path + "\": a path, without '?' or '#'";
  }
  for (const char* fixed : kFixedPaths) {
    if (path == fixed) {
      return "--web.telemetry-path \"" + path + "\": that path is another endpoint's";
    }
  }
  return "";
}

WebFace::WebFace(System& system, const Clock& clock, RouteOptions routes)
    : system_(system),
      clock_(clock),
      routes_(std::move(routes)),
      proc_units_{static_cast<double>(sysconf(_SC_CLK_TCK)),
                  static_cast<double>(sysconf(_SC_PAGESIZE))} {
  router_.Handle("GET", routes_.telemetry_path,
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
  // One route per runbook: an unknown alert name is the router's 404.
  router_.Handle("GET", "/runbooks/", [](const HttpRequest&) {
    HttpResponse res = Text(200, RunbookIndexPage());
    res.content_type = "text/html; charset=utf-8";
    return res;
  });
  for (const EmbeddedRunbook& runbook : EmbeddedRunbooks()) {
    router_.Handle("GET", std::string("/runbooks/") + runbook.name,
                   [&runbook](const HttpRequest&) {
                     HttpResponse res = Text(200, RunbookPage(runbook));
                     res.content_type = "text/html; charset=utf-8";
                     return res;
                   });
  }
}

WebFace::~WebFace() { Stop(); }

Status WebFace::Serve(const WebOptions& web) {
  HttpServerOptions options;
  options.listen_addresses = web.listen_addresses;
  options.systemd_socket = web.systemd_socket;
  options.web_config_file = web.web_config_file;
  // CivetWeb reports here what clients cause (failed TLS handshakes, broken
  // connections) as well as its own trouble; a client can cause any number, so one
  // line per 10 s, with the count of those left out.
  options.log_error = [this](const std::string& message) {
    uint64_t held_back = 0;
    if (!http_error_throttle_.Allow(&held_back)) return;
    LogWarn("http server error",
            {{"error", message}, {"similar_errors_not_logged", held_back}});
  };
  StatusOr<std::unique_ptr<HttpServer>> started = StartHttpServer(options, router_);
  if (!started.ok()) return started.status();
  std::shared_ptr<HttpServer> server = std::move(started).value();
  const std::vector<int> ports = server->ports();
  for (size_t i = 0; i < ports.size(); ++i) {
    const std::string address =
        web.systemd_socket
            ? "systemd socket " + std::to_string(3 + i)
            : (i < web.listen_addresses.size() ? web.listen_addresses[i] : "");
    LogInfo("listening", {{"address", address},
                          {"port", ports[i]},
                          {"threads", server->threads()},
                          {"tls", server->tls()}});
  }
  std::lock_guard<std::mutex> lock(mu_);
  server_ = std::move(server);
  return Status::Ok();
}

int WebFace::port() const {
  std::lock_guard<std::mutex> lock(mu_);
  return server_ ? server_->port() : 0;
}

void WebFace::Stop() {
  std::shared_ptr<HttpServer> server;
  {
    std::lock_guard<std::mutex> lock(mu_);
    server = server_;
  }
  if (server) server->Stop();
}

std::shared_ptr<ExpositionCache> WebFace::CacheOf(const SystemState& state,
                                                  const RunningTarget& target) {
  std::shared_ptr<ExpositionCache> cache;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Targets removed by a reload leave the cache too.
    for (auto it = expositions_.begin(); it != expositions_.end();) {
      it = FindTarget(state, it->first) ? std::next(it) : expositions_.erase(it);
    }
    std::shared_ptr<ExpositionCache>& slot = expositions_[target.name];
    if (!slot) slot = std::make_shared<ExpositionCache>();
    cache = slot;
  }
  return cache;
}

std::optional<ProcessStats> WebFace::Process() {
  std::lock_guard<std::mutex> lock(process_mu_);
  const double now = clock_.MonotonicSeconds();
  if (process_read_ && now - process_read_at_ < kProcessStatsMaxAgeSeconds) {
    return process_;
  }
  StatusOr<ProcessStats> read = ReadProcessStats(routes_.proc_root, proc_units_);
  process_read_ = true;
  process_read_at_ = now;
  process_.reset();
  if (read.ok()) {
    process_ = *read;
  } else {
    uint64_t held_back = 0;
    if (proc_error_throttle_.Allow(&held_back)) {
      LogWarn("cannot read the process metrics",
              {{"error", read.status().message()}, {"similar_errors_not_logged", held_back}});
    }
  }
  return process_;
}

ExporterStats WebFace::Stats(const SystemState& state) const {
  ExporterStats stats;
  stats.version = MSX_VERSION;
  stats.revision = BuildRevision();
  stats.branch = BuildBranch();
  stats.compiler = BuildCompiler();
  stats.external_url = state.external_url;
  stats.config_last_reload_successful = state.config_reload_ok;
  stats.config_last_reload_success_timestamp_seconds = state.config_reload_success_unix;
  stats.notifications = state.notifications.notifications;
  stats.notifications_dropped = state.notifications.dropped;
  std::shared_ptr<HttpServer> server;
  {
    std::lock_guard<std::mutex> lock(mu_);
    server = server_;
  }
  if (server) {
    stats.http_requests_by_code = server->RequestsByCode();
    stats.web_config_last_reload_successful = server->WebConfigReloadSuccessful();
    stats.http_refused_by_code = server->RefusedByCode();
    if (server->tls()) stats.tls_handshake_failures = server->TlsHandshakeFailures();
  }
  return stats;
}

namespace {

// Asks for a gzip answer: Prometheus always does.
bool WantsGzip(const HttpRequest& req) {
  const auto it = req.headers.find("accept-encoding");
  return it != req.headers.end() && AcceptsGzip(it->second);
}

// The headers of an exposition answer; the body is gzip when `gzip`.
HttpResponse Exposition(bool gzip) {
  HttpResponse res;
  res.content_type = kExpositionContentType;
  res.headers["Vary"] = "Accept-Encoding";
  if (gzip) res.headers["Content-Encoding"] = "gzip";
  return res;
}

}  // namespace

HttpResponse WebFace::HandleMetrics(const HttpRequest& req) {
  const SystemState state = system_.State();
  const bool gzip = WantsGzip(req);
  HttpResponse res = Exposition(gzip);
  if (routes_.exporter_metrics) {
    std::vector<prometheus::MetricFamily> families = ExporterFamilies(Stats(state));
    if (std::optional<ProcessStats> process = Process()) {
      for (auto& family : ProcessFamilies(*process)) {
        families.push_back(std::move(family));
      }
    }
    res.body = SerializeFamilies(families);
  }
  const RunningTarget* target = FindTarget(state, state.default_target);
  if (!gzip) {
    if (target) {
      res.body +=
          CacheOf(state, *target)->Render(SnapshotOrEmpty(*target), target->alerts);
    }
    return res;
  }
  // The exporter's part is compressed per scrape, the target's comes compressed
  // from its cache; joined, they make one gzip stream.
  std::vector<Deflated> parts;
  parts.push_back(Deflate(res.body, target == nullptr));
  if (target) {
    parts.push_back(CacheOf(state, *target)
                        ->RenderDeflated(SnapshotOrEmpty(*target), target->alerts));
  }
  std::vector<const Deflated*> pointers;
  for (const Deflated& part : parts) pointers.push_back(&part);
  res.body = GzipJoin(pointers);
  return res;
}

HttpResponse WebFace::HandleProbe(const HttpRequest& req) {
  bool found = false;
  std::string name = req.QueryParam("target", &found);
  if (!found || name.empty()) return Text(400, "missing parameter: target\n");
  const SystemState state = system_.State();
  const RunningTarget* target = FindTarget(state, name);
  if (!target) return Text(400, "unknown target \"" + name + "\"\n");
  const bool gzip = WantsGzip(req);
  HttpResponse res = Exposition(gzip);
  const std::shared_ptr<ExpositionCache> cache = CacheOf(state, *target);
  if (gzip) {
    const Deflated text = cache->RenderDeflated(SnapshotOrEmpty(*target), target->alerts);
    res.body = GzipJoin({&text});
  } else {
    res.body = cache->Render(SnapshotOrEmpty(*target), target->alerts);
  }
  return res;
}

HttpResponse WebFace::HandleReady(const HttpRequest&) const {
  if (system_.Ready()) return Text(200, "Ready.\n");
  return Text(503, "Not ready: waiting for the first poll of every target.\n");
}

HttpResponse WebFace::HandleReload(const HttpRequest&) {
  const Status reloaded = system_.Reload();
  if (reloaded.ok()) return Text(200, "configuration reloaded\n");
  std::string body;
  for (const std::string& problem : reloaded.problems()) body += problem + "\n";
  return Text(500, body);
}

namespace {

StatusModel StatusOf(const SystemState& state, double now_unix) {
  StatusModel model = BuildStatus(state.targets, now_unix);
  model.config_reload_ok = state.config_reload_ok;
  model.config_reload_success_unix = state.config_reload_success_unix;
  return model;
}

}  // namespace

HttpResponse WebFace::HandleStatusJson(const HttpRequest&) const {
  HttpResponse res;
  res.content_type = "application/json";
  res.body = StatusJsonText(StatusOf(system_.State(), clock_.UnixSeconds()));
  return res;
}

HttpResponse WebFace::HandleStatusPage(const HttpRequest&) const {
  const SystemState state = system_.State();
  HttpResponse res;
  res.content_type = "text/html; charset=utf-8";
  res.body = RenderStatusHtml(StatusJsonText(StatusOf(state, clock_.UnixSeconds())),
                              state.poll_interval_seconds, routes_.telemetry_path);
  return res;
}

}  // namespace msx
