// System: the running exporter without its web face. It owns the configuration, one
// TargetPoller per target (each with its source, prober and judge) and the built-in
// alerting; it reloads the configuration and stops. The web face (web/) and the
// command line (cli/) read it through State() and never reach inside, so a new HTTP
// endpoint touches no file here (docs/architecture.md).
//
// Threads: every poller runs on its own thread; Reload() and Stop() are called by
// main's signal loop and by POST /-/reload. The running set (config + pollers) is an
// immutable value swapped whole under a mutex, so a reader sees the old set or the
// new one, never a mix, and snapshots are shared_ptr<const>, so a reader never waits
// for a database. All public methods are thread-safe.
#pragma once

#include <atomic>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "alerting/alerting_service.h"
#include "common/clock.h"
#include "config/config.h"
#include "model/alert.h"
#include "model/snapshot.h"
#include "common/status.h"
#include "poll/poller.h"
#include "runtime/parts.h"

namespace msx {

// One consistent read of the whole system.
struct SystemState {
  double poll_interval_seconds = 0;
  std::string default_target;
  std::vector<RunningTarget> targets;  // config order
  bool config_reload_ok = true;
  double config_reload_success_unix = 0;
  NotifierStats notifications;
  std::string external_url;  // SetExternalUrl()
};

class System {
 public:
  // `config` is a loaded, valid configuration, re-read from config_file by Reload().
  // `clock` must outlive the System.
  System(Config config, std::string config_file, const Clock& clock,
         PartsFactory make_parts, NotifierFactory make_notifier);
  ~System();  // Stop()
  System(const System&) = delete;
  System& operator=(const System&) = delete;

  // Where the exporter is reached from outside (--web.external-url): the alerts'
  // runbook_url and generatorURL point there. Call before Start().
  void SetExternalUrl(const std::string& external_url);

  // Starts every poller's thread.
  void Start();

  // Re-reads the config file. A bad file keeps the running configuration (and
  // State().config_reload_ok turns false). A good one replaces the pollers of
  // targets whose settings changed in any way, keeps those that did not (their
  // silence estimates and restart counters survive) and stops those removed.
  Status Reload();

  // Stops the pollers. Returns false when that takes longer than `deadline_seconds`
  // on the System's Clock (a poll stuck in a database call): the caller should then
  // exit without destroying the System. Safe to call twice.
  bool Stop(double deadline_seconds = std::numeric_limits<double>::infinity());

  // Every target of the running configuration finished a poll attempt (/-/ready).
  bool Ready() const;
  SystemState State() const;
  // The running configuration (a copy).
  Config RunningConfig() const;
  // One synchronous poll of every target, for tests and tools that drive time.
  void PollAllOnce();

 private:
  struct TargetRun;
  struct Running;

  std::shared_ptr<TargetRun> MakeRun(const TargetConfig& target,
                                     double poll_interval_seconds);
  void OnSnapshot(TargetRun& run, const std::shared_ptr<const Snapshot>& snapshot);
  void WarnLoopbackProbes(const std::string& target, const Snapshot& snapshot);
  std::shared_ptr<const Running> running() const;
  void StopAll();

  const std::string config_file_;
  const Clock& clock_;
  const PartsFactory make_parts_;
  // Fed by every poller's callback; outlives the pollers (they stop in Stop()).
  const std::unique_ptr<AlertingService> alerting_;

  std::mutex reload_mu_;  // one Reload() or Stop() at a time
  bool started_ = false;  // guarded by reload_mu_
  bool stopped_ = false;  // guarded by reload_mu_

  mutable std::mutex mu_;
  std::shared_ptr<const Running> running_;  // guarded by mu_
  bool last_reload_ok_ = true;              // guarded by mu_
  double last_reload_success_unix_ = 0;     // guarded by mu_
  std::string external_url_;                // guarded by mu_

  std::mutex stop_mu_;
  bool stop_started_ = false;  // guarded by stop_mu_
  // Signaled when StopAll() has finished; shared with the thread that runs it.
  const std::shared_ptr<Interrupt> stop_finished_ = std::make_shared<Interrupt>();

  std::mutex warned_mu_;
  std::set<std::string> warned_loopback_;  // targets warned about loopback probes
};

// The alerting view of a configuration's targets.
std::vector<AlertTarget> AlertTargetsOf(const Config& config);

}  // namespace msx
