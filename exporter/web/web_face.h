// WebFace: the exporter's HTTP side. It owns the routes (docs/http.md), the cached
// exposition text of each target, and the HTTP server's life. It only reads the
// running System (State(), Ready()) and asks it to Reload(); adding an endpoint is a
// route here and touches nothing in runtime/ (docs/architecture.md).
//
// Route handlers run on the HTTP server's threads and are thread-safe; Serve() and
// Stop() are called from main's thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/log_throttle.h"
#include "http/http.h"
#include "metrics/metrics.h"
#include "metrics/process.h"
#include "runtime/system.h"

namespace msx {

struct WebOptions {
  std::vector<std::string> listen_addresses = {":9887"};  // HOST:PORT or :PORT each
  bool systemd_socket = false;  // --web.systemd-socket: the sockets systemd passes
  std::string web_config_file;  // --web.config.file; "" = plain HTTP, no auth
};

// What the routes are and show; fixed for the WebFace's life.
struct RouteOptions {
  std::string telemetry_path = "/metrics";  // --web.telemetry-path
  // false (--web.disable-exporter-metrics): the telemetry path shows only the
  // default target's metrics, without process_* and mshost_exporter_*.
  bool exporter_metrics = true;
  std::string proc_root = "/proc";  // where process_* are read; tests fake it
};

// "" when `routes` can be served; otherwise why not (a telemetry path that is not
// an absolute path, or that is another endpoint's).
std::string CheckRouteOptions(const RouteOptions& routes);

class WebFace {
 public:
  // `system` and `clock` must outlive the WebFace.
  // REQUIRES: CheckRouteOptions(routes) is "".
  WebFace(System& system, const Clock& clock, RouteOptions routes = {});
  ~WebFace();  // Stop()
  WebFace(const WebFace&) = delete;
  WebFace& operator=(const WebFace&) = delete;

  // Starts the HTTP server. On failure returns false and sets *error (e.g. "cannot
  // listen on :9887: address in use").
  Status Serve(const WebOptions& options);
  // The port the server bound (0 before Serve()).
  int port() const;
  // Stops the server and waits for running handlers; safe to call twice.
  void Stop();

  // Every route: exact paths, thread-safe handlers.
  const Router& router() const { return router_; }

 private:
  HttpResponse HandleMetrics(const HttpRequest& req);
  HttpResponse HandleProbe(const HttpRequest& req);
  HttpResponse HandleReady(const HttpRequest& req) const;
  HttpResponse HandleReload(const HttpRequest& req);
  HttpResponse HandleStatusJson(const HttpRequest& req) const;
  HttpResponse HandleStatusPage(const HttpRequest& req) const;

  // The cache of `target`'s text (rendered, and compressed, at most once per
  // snapshot); drops those of targets no longer configured.
  std::shared_ptr<ExpositionCache> CacheOf(const SystemState& state,
                                           const RunningTarget& target);
  ExporterStats Stats(const SystemState& state) const;
  // The process_* values, read from /proc at most once per
  // kProcessStatsMaxAgeSeconds: a read costs ~50 us (/proc/self/stat walks every
  // thread), which scrapes by the thousand per second would pay each time.
  std::optional<ProcessStats> Process();
  static constexpr double kProcessStatsMaxAgeSeconds = 1.0;

  System& system_;
  const Clock& clock_;
  const RouteOptions routes_;
  const ProcUnits proc_units_;
  Router router_;
  LogThrottle http_error_throttle_{clock_, 10};
  LogThrottle proc_error_throttle_{clock_, 60};

  std::mutex process_mu_;
  bool process_read_ = false;            // guarded by process_mu_
  double process_read_at_ = 0;           // guarded by process_mu_; monotonic
  std::optional<ProcessStats> process_;  // guarded by process_mu_

  mutable std::mutex mu_;
  std::shared_ptr<HttpServer> server_;  // guarded by mu_ (set once)
  // By target name; entries of removed targets are dropped at the next scrape.
  std::map<std::string, std::shared_ptr<ExpositionCache>> expositions_;  // guarded by mu_
};

}  // namespace msx
