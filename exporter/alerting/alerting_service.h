// AlertingService: the built-in alerting of the whole exporter. One Evaluator per
// configured target, fed with that target's snapshots, and one Notifier that carries
// what is due to Alertmanager.
//
// The App owns it and calls OnSnapshot from each poller's snapshot callback (the
// poller threads); evaluation is serialized by one mutex (it is cheap and never does
// I/O: the notifier only queues). FiringAlerts() and Stats() may be called from any
// thread (scrapes, pages), Reconfigure() from the thread that reloads. Pollers must
// stop calling OnSnapshot before the service is destroyed.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alerting/evaluator.h"
#include "alerting/notifier.h"
#include "alerting/rules.h"
#include "common/clock.h"
#include "model/alert.h"
#include "model/snapshot.h"

namespace msx {

// Makes the notifier for a configuration, on the service's clock; may return null
// (no Alertmanager: alerts are still evaluated for cloudstack_mshost_alert_firing and
// the pages).
using NotifierFactory =
    std::function<std::unique_ptr<Notifier>(const AlertingConfig&, const Clock&)>;

class AlertingService {
 public:
  // external_url is the exporter's --web.external-url (see SetExternalUrl). `clock`
  // must outlive the service.
  AlertingService(const AlertingConfig& alerting, const std::vector<AlertTarget>& targets,
                  NotifierFactory make_notifier, const Clock& clock,
                  std::string external_url = "");
  ~AlertingService();

  // Where the exporter is reached from outside, e.g. http://exporter.example:9887:
  // every alert's runbook_url is <external_url>/runbooks/<alertname> and its
  // generatorURL the status page, <external_url>/. Empty: runbook_url is the path
  // alone and generatorURL is left out. A trailing slash is ignored.
  void SetExternalUrl(std::string external_url);

  // Evaluates one snapshot of a configured target and queues the alerts due, with the
  // target's watchdog (watchdog.h) when it is due. Snapshots of unknown targets are
  // ignored.
  void OnSnapshot(const Snapshot& snapshot);

  // Applies a reloaded configuration. Targets whose alerting inputs (name, labels,
  // rules, resend_interval) did not change keep their state: pending
  // timers, firing alerts, restart history. Changed targets start afresh (an alert
  // still true fires again at once for `for: 0s` rules, and Alertmanager merges it
  // with the one it has); removed targets are forgotten (their alerts expire in
  // Alertmanager at endsAt). A changed Alertmanager list replaces the notifier; its
  // counters carry over.
  void Reconfigure(const AlertingConfig& alerting, const std::vector<AlertTarget>& targets);

  // The alerts firing for `target` after its last evaluation (empty for an unknown
  // target or before the first poll).
  std::vector<FiringAlert> FiringAlerts(const std::string& target) const;

  // Notification counters since the exporter started.
  NotifierStats Stats() const;

 private:
  struct TargetState;

  void Build(const std::vector<AlertTarget>& targets,
             std::map<std::string, std::unique_ptr<TargetState>> old);

  const NotifierFactory make_notifier_;
  const Clock& clock_;

  mutable std::mutex mu_;
  std::string external_url_;                                     // guarded by mu_
  std::string generator_url_;                                    // guarded by mu_
  AlertingConfig alerting_;                                      // guarded by mu_
  std::unique_ptr<Notifier> notifier_;                           // guarded by mu_
  NotifierStats retired_stats_;                                  // of replaced notifiers
  std::map<std::string, std::unique_ptr<TargetState>> targets_;  // guarded by mu_
};

}  // namespace msx
