// App: the running exporter. It owns the configuration, one TargetPoller per
// target, the HTTP routes of CONTRACT.md ("HTTP endpoints") and, once serving, the
// HTTP server; main.cc only parses flags, loads the first config and forwards
// signals here.
//
// Threads: every poller runs on its own thread; route handlers run on the HTTP
// server's threads; Reload() and Stop() are called by main's signal loop and by
// POST /-/reload. The running set (config + pollers) is an immutable value swapped
// whole under a mutex, so a scrape sees the old set or the new one, never a mix, and
// snapshots are shared_ptr<const>, so a scrape never waits for a database. All
// public methods are thread-safe.
#pragma once

#include <atomic>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "alerting/alerting_service.h"
#include "app/parts.h"
#include "app/status.h"
#include "common/clock.h"
#include "common/log_throttle.h"
#include "config/config.h"
#include "http/http.h"
#include "metrics/metrics.h"
#include "poll/poller.h"

namespace msx {

struct AppOptions {
  std::string config_file;      // re-read by Reload()
  std::string listen_address;   // --web.listen-address; "" = the config's
  std::string web_config_file;  // --web.config.file
};

struct ReloadResult {
  bool ok = false;
  std::string message;  // "configuration reloaded", or every error, one per line
};

class App {
 public:
  // `config` is a loaded, valid configuration. `clock` must outlive the App.
  App(Config config, AppOptions options, const Clock& clock, PartsFactory make_parts);
  ~App();  // Stop()
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Starts every poller's thread.
  void Start();
  // Starts the HTTP server on the listen address. On failure returns false and sets
  // *error (e.g. "cannot listen on :9887: address in use").
  bool Serve(std::string* error);
  // The port the server bound (0 before Serve()).
  int port() const;

  // Re-reads options.config_file. A bad file keeps the running configuration and
  // sets mshost_exporter_config_last_reload_successful to 0. A good one replaces
  // the pollers of targets that changed, keeps those that did not (their silence
  // estimates and restart counters survive) and stops those removed. The listen
  // address is bound once: a change needs a restart.
  ReloadResult Reload();

  // Stops the server and then the pollers. Returns false when that takes longer
  // than `deadline_seconds` on the App's Clock (a poll stuck in a database call):
  // the caller should then exit without destroying the App. Safe to call twice.
  bool Stop(double deadline_seconds = std::numeric_limits<double>::infinity());

  // Every route: exact paths, thread-safe handlers.
  const Router& router() const { return router_; }

  // /-/ready: every target of the running configuration finished a poll attempt.
  bool Ready() const;
  StatusModel Status() const;
  // One synchronous poll of every target, for tests that drive time themselves.
  void PollAllOnce();

 private:
  struct TargetRun;
  struct Running;

  std::shared_ptr<TargetRun> MakeRun(const TargetConfig& target,
                                     double poll_interval_seconds);
  void OnSnapshot(TargetRun& run, const std::shared_ptr<const Snapshot>& snapshot);
  void WarnLoopbackProbes(const std::string& target, const Snapshot& snapshot);
  std::vector<FiringAlert> FiringAlerts(const std::string& target) const;
  std::shared_ptr<const Running> running() const;
  ExporterStats Stats() const;
  void StopAll();

  HttpResponse HandleMetrics(const HttpRequest& req) const;
  HttpResponse HandleProbe(const HttpRequest& req) const;
  HttpResponse HandleReady(const HttpRequest& req) const;
  HttpResponse HandleReload(const HttpRequest& req);
  HttpResponse HandleStatusJson(const HttpRequest& req) const;
  HttpResponse HandleStatusPage(const HttpRequest& req) const;

  const AppOptions options_;
  const Clock& clock_;
  const PartsFactory make_parts_;
  Router router_;
  // Fed by every poller's callback; outlives the pollers (they stop in Stop()).
  const std::unique_ptr<AlertingService> alerting_;

  std::mutex reload_mu_;  // one Reload() or Stop() at a time
  bool started_ = false;  // guarded by reload_mu_
  bool stopped_ = false;  // guarded by reload_mu_

  mutable std::mutex mu_;
  std::shared_ptr<const Running> running_;  // guarded by mu_
  bool last_reload_ok_ = true;              // guarded by mu_
  double last_reload_success_unix_ = 0;     // guarded by mu_
  std::shared_ptr<HttpServer> server_;      // guarded by mu_ (set once)

  std::mutex stop_mu_;
  bool stop_started_ = false;  // guarded by stop_mu_
  // Signaled when StopAll() has finished; shared with the thread that runs it.
  const std::shared_ptr<Interrupt> stop_finished_ = std::make_shared<Interrupt>();

  LogThrottle http_error_throttle_{clock_, 10};

  std::mutex warned_mu_;
  std::set<std::string> warned_loopback_;  // targets warned about loopback probes
};

}  // namespace msx
