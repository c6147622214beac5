#include "alerting/rules.h"

namespace msx {

const std::vector<AlertRule>& DefaultAlertRules() {
  // CONTRACT.md "Alerts" (severity) and "Defaults" (for). Alerts about one node wait
  // a minute unless the node is plainly dead or restarting: a JVM pause or a short
  // network blip must not page.
  static const std::vector<AlertRule> kRules = {
      {kAlertUpNotRunning, "critical", 0, true},
      {kAlertHeartbeatStale, "warning", 60, true},
      {kAlertUnreachable, "warning", 60, true},
      {kAlertDownButRunning, "warning", 60, true},
      {kAlertNoRunningMgmtServer, "critical", 0, false},
      {kAlertSourceDown, "critical", 60, false},
      {kAlertFlapping, "warning", 0, true},
  };
  return kRules;
}

std::vector<AlertRule> ResolveAlertRules(const AlertingConfig& config) {
  std::vector<AlertRule> rules = DefaultAlertRules();
  for (AlertRule& rule : rules) {
    auto it = config.rules.find(rule.alertname);
    if (it == config.rules.end()) continue;
    rule.for_seconds = it->second.for_seconds;
    if (!it->second.severity.empty()) rule.severity = it->second.severity;
  }
  return rules;
}

std::string RunbookUrl(const std::string& alertname) {
  return std::string(kRunbookBaseUrl) + alertname + ".md";
}

}  // namespace msx
