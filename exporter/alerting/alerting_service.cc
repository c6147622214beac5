#include "alerting/alerting_service.h"

#include <utility>

namespace msx {

AlertingService::AlertingService(const Config& config, std::unique_ptr<Notifier> notifier,
                                 const Clock& clock, std::string generator_url)
    : notifier_(std::move(notifier)), generator_url_(std::move(generator_url)) {
  const std::vector<AlertRule> rules = ResolveAlertRules(config.alerting);
  for (const TargetConfig& target : config.targets) {
    evaluators_.try_emplace(target.name, target, rules,
                            config.alerting.resend_interval_seconds, clock);
  }
}

void AlertingService::Attach(TargetPoller& poller) {
  poller.SetOnSnapshot(
      [this](std::shared_ptr<const Snapshot> snapshot) { OnSnapshot(*snapshot); });
}

void AlertingService::OnSnapshot(const Snapshot& snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  auto evaluator = evaluators_.find(snapshot.target);
  if (evaluator == evaluators_.end()) return;
  Evaluation evaluation = evaluator->second.Evaluate(snapshot);
  firing_[snapshot.target] = std::move(evaluation.firing);
  if (notifier_ == nullptr || evaluation.to_send.empty()) return;
  for (AlertNotification& alert : evaluation.to_send)
    alert.generator_url = generator_url_;
  // Under the lock, so one target's alerts reach the queue in evaluation order.
  notifier_->Notify(evaluation.to_send);
}

std::vector<FiringAlert> AlertingService::FiringAlerts(const std::string& target) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = firing_.find(target);
  return it == firing_.end() ? std::vector<FiringAlert>{} : it->second;
}

NotifierStats AlertingService::Stats() const {
  return notifier_ == nullptr ? NotifierStats{} : notifier_->Stats();
}

}  // namespace msx
