#include "alerting/rules.h"

#include "common/names.h"

namespace msx {

const std::vector<AlertRule>& DefaultAlertRules() {
  // docs/alerting.md has the severities and `for` durations. Alerts about one node wait
  // a minute unless the node is plainly dead or restarting: a JVM pause or a short
  // network blip must not page.
  static const std::vector<AlertRule> kRules = {
      {kAlertUpNotRunning, "critical", 0, true},
      {kAlertHeartbeatStale, "warning", 60, true},
      {kAlertUnreachable, "warning", 60, true},
      {kAlertDownButRunning, "warning", 60, true},
      {kAlertStopUnfinished, "warning", 60, true},
      {kAlertNoRunningMgmtServer, "critical", 0, false},
      {kAlertSourceDown, "critical", 60, false},
      {kAlertFlapping, "warning", 0, true},
      // Severity "none": routed to a dead-man's switch, never to a person.
      {kAlertWatchdog, "none", 0, false},
  };
  return kRules;
}

const AlertRule* FindAlertRule(std::string_view alertname) {
  for (const AlertRule& rule : DefaultAlertRules()) {
    if (rule.alertname == alertname) return &rule;
  }
  return nullptr;
}

std::string AlertNames() {
  return JoinNames(DefaultAlertRules(), [](const AlertRule& rule) { return rule.alertname; });
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

std::string RunbookUrl(const std::string& external_url, const std::string& alertname) {
  return external_url + "/runbooks/" + alertname;
}

}  // namespace msx
