#include "alerting/alerting_service.h"

#include <cassert>
#include <optional>
#include <tuple>
#include <utility>

#include "alerting/watchdog.h"

namespace msx {
namespace {

bool SameRules(const AlertingConfig& a, const AlertingConfig& b) {
  if (a.resend_interval_seconds != b.resend_interval_seconds) return false;
  const std::vector<AlertRule> x = ResolveAlertRules(a);
  const std::vector<AlertRule> y = ResolveAlertRules(b);
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i].severity != y[i].severity || x[i].for_seconds != y[i].for_seconds)
      return false;
  }
  return true;
}

}  // namespace

struct AlertingService::TargetState {
  TargetState(const AlertTarget& target, const AlertingConfig& alerting,
              const Clock& clock)
      : config(target),
        evaluator(target, ResolveAlertRules(alerting), alerting.resend_interval_seconds,
                  clock),
        watchdog(target, WatchdogRule(alerting), alerting.resend_interval_seconds,
                 clock) {}

  static AlertRule WatchdogRule(const AlertingConfig& alerting) {
    for (const AlertRule& rule : ResolveAlertRules(alerting)) {
      if (rule.alertname == kAlertWatchdog) return rule;
    }
    assert(false && "the table holds the watchdog");
    return {};
  }

  AlertTarget config;
  Evaluator evaluator;
  Watchdog watchdog;
  std::vector<FiringAlert> firing;
};

AlertingService::AlertingService(const AlertingConfig& alerting,
                                 const std::vector<AlertTarget>& targets,
                                 NotifierFactory make_notifier, const Clock& clock,
                                 std::string external_url)
    : make_notifier_(std::move(make_notifier)), clock_(clock) {
  SetExternalUrl(std::move(external_url));
  std::lock_guard<std::mutex> lock(mu_);
  alerting_ = alerting;
  notifier_ = make_notifier_(alerting_, clock_);
  Build(targets, {});
}

AlertingService::~AlertingService() = default;

void AlertingService::Build(const std::vector<AlertTarget>& targets,
                            std::map<std::string, std::unique_ptr<TargetState>> old) {
  targets_.clear();
  for (const AlertTarget& target : targets) {
    auto kept = old.find(target.name);
    if (kept != old.end() && kept->second->config == target) {
      targets_[target.name] = std::move(kept->second);
    } else {
      targets_[target.name] = std::make_unique<TargetState>(target, alerting_, clock_);
    }
  }
}

void AlertingService::Reconfigure(const AlertingConfig& alerting,
                                  const std::vector<AlertTarget>& targets) {
  std::unique_ptr<Notifier> retired;  // destroyed after unlocking: it joins threads
  std::lock_guard<std::mutex> lock(mu_);
  const bool same_rules = SameRules(alerting_, alerting);
  if (alerting.alertmanagers != alerting_.alertmanagers) {
    if (notifier_ != nullptr) {
      NotifierStats stats = notifier_->Stats();
      for (const auto& [key, count] : stats.notifications) {
        retired_stats_.notifications[key] += count;
      }
      retired_stats_.dropped += stats.dropped;
    }
    retired = std::exchange(notifier_, make_notifier_(alerting, clock_));
  }
  alerting_ = alerting;
  Build(targets, same_rules ? std::move(targets_)
                           : std::map<std::string, std::unique_ptr<TargetState>>{});
}

void AlertingService::OnSnapshot(const Snapshot& snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  auto target = targets_.find(snapshot.target);
  if (target == targets_.end()) return;
  Evaluation evaluation = target->second->evaluator.Evaluate(snapshot);
  if (std::optional<AlertNotification> beat = target->second->watchdog.Due()) {
    evaluation.to_send.push_back(std::move(*beat));
  }
  for (FiringAlert& alert : evaluation.firing) {
    alert.annotations["runbook_url"] = RunbookUrl(external_url_, alert.alertname);
  }
  target->second->firing = std::move(evaluation.firing);
  if (notifier_ == nullptr || evaluation.to_send.empty()) return;
  for (AlertNotification& alert : evaluation.to_send) {
    alert.annotations["runbook_url"] = RunbookUrl(external_url_, alert.labels.at("alertname"));
    alert.generator_url = generator_url_;
  }
  // Under the lock, so one target's alerts reach the queue in evaluation order.
  notifier_->Notify(evaluation.to_send);
}

void AlertingService::SetExternalUrl(std::string external_url) {
  while (!external_url.empty() && external_url.back() == '/') external_url.pop_back();
  std::lock_guard<std::mutex> lock(mu_);
  external_url_ = external_url;
  // The status page: where the alerts come from.
  generator_url_ = external_url.empty() ? "" : external_url + "/";
}

std::vector<FiringAlert> AlertingService::FiringAlerts(const std::string& target) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = targets_.find(target);
  return it == targets_.end() ? std::vector<FiringAlert>{} : it->second->firing;
}

NotifierStats AlertingService::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  NotifierStats stats = retired_stats_;
  if (notifier_ != nullptr) {
    NotifierStats current = notifier_->Stats();
    for (const auto& [key, count] : current.notifications) {
      stats.notifications[key] += count;
    }
    stats.dropped += current.dropped;
  }
  return stats;
}

}  // namespace msx
