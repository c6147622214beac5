// AlertingService: the built-in alerting of the whole exporter. One Evaluator per
// configured target, fed by that target's poller after every poll, and one Notifier
// that carries what is due to Alertmanager.
//
// The App owns it and attaches each TargetPoller (Attach). OnSnapshot runs on the
// poller threads; evaluation is serialized by one mutex (it is cheap and never does
// I/O: the notifier only queues). FiringAlerts() and Stats() may be called from any
// thread (scrapes, pages). The pollers must stop before the service is destroyed.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alerting/alert.h"
#include "alerting/evaluator.h"
#include "alerting/notifier.h"
#include "common/clock.h"
#include "config/config.h"
#include "poll/poller.h"
#include "poll/snapshot.h"

namespace msx {

class AlertingService {
 public:
  // notifier may be null (no Alertmanager configured): alerts are still evaluated
  // for cloudstack_mshost_alert_firing and the pages. generator_url, when set, goes
  // into every alert sent (e.g. the exporter's status page). `clock` must outlive
  // the service.
  AlertingService(const Config& config, std::unique_ptr<Notifier> notifier,
                  const Clock& clock, std::string generator_url = "");

  // Makes `poller` call OnSnapshot after each poll. REQUIRES: poller stops before
  // this service is destroyed.
  void Attach(TargetPoller& poller);

  // Evaluates one snapshot of a configured target and queues the alerts due.
  // Snapshots of unknown targets are ignored.
  void OnSnapshot(const Snapshot& snapshot);

  // The alerts firing for `target` after its last evaluation (empty for an unknown
  // target or before the first poll).
  std::vector<FiringAlert> FiringAlerts(const std::string& target) const;

  // Notification counters (all zero without an Alertmanager).
  NotifierStats Stats() const;

 private:
  const std::unique_ptr<Notifier> notifier_;
  const std::string generator_url_;

  mutable std::mutex mu_;
  std::map<std::string, Evaluator> evaluators_;             // by target name
  std::map<std::string, std::vector<FiringAlert>> firing_;  // guarded by mu_
};

}  // namespace msx
