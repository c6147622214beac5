#include "alerting/rules.h"

#include <iterator>

#include "common/names.h"
#include "model/verdict.h"

namespace msx {
namespace {

std::vector<AlertRule> BuildDefaultAlertRules() {
  std::vector<AlertRule> rules;
  for (const VerdictFacts& facts : kVerdicts) {
    if (!facts.alert) continue;
    rules.push_back({facts.alert->name, facts.alert->severity, facts.alert->for_seconds,
                     /*per_node=*/true});
  }
  // docs/alerting.md has the severities and `for` durations.
  const AlertRule others[] = {
      {kAlertNoRunningMgmtServer, "critical", 0, false},
      {kAlertSourceDown, "critical", 60, false},
      {kAlertFlapping, "warning", 0, true},
      // Severity "none": routed to a dead-man's switch, never to a person.
      {kAlertWatchdog, "none", 0, false},
  };
  rules.insert(rules.end(), std::begin(others), std::end(others));
  return rules;
}

}  // namespace

const std::vector<AlertRule>& DefaultAlertRules() {
  static const std::vector<AlertRule> kRules = BuildDefaultAlertRules();
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
