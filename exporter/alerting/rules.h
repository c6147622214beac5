// Alert rules: the built-in alerts (docs/alerting.md) as one table, the `alerting:`
// settings, and the `for` duration and severity each rule gets after the config's
// `alerting.rules` overrides.
//
// A verdict's alert is part of its row in kVerdicts (model/verdict.h); the table
// here takes it from there, so a new verdict alert needs nothing in alerting/. Any
// other alert: a row in DefaultAlertRules() (rules.cc) and its condition in the
// evaluator. The configuration loader asks FindAlertRule(), so there is no second
// list. The names are also what alerts/*.rules.yml and the runbooks in docs/runbooks/
// use (tests compare them).
//
// Everything here is a constant or a pure function: thread-safe, no state.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace msx {

// The names of the alerts that are not about a verdict.
inline constexpr char kAlertNoRunningMgmtServer[] = "CloudStackNoRunningMgmtServer";
inline constexpr char kAlertSourceDown[] = "CloudStackMshostSourceDown";
inline constexpr char kAlertFlapping[] = "CloudStackMgmtServerFlapping";
// Always firing, one per target: the dead-man's switch of the built-in path (an
// external watchdog pages when it stops arriving). Not in the Prometheus rules.
inline constexpr char kAlertWatchdog[] = "MshostExporterWatchdog";

// Flapping: more than kFlappingMaxRestarts runid changes of one node within
// kFlappingWindowSeconds.
inline constexpr int kFlappingMaxRestarts = 3;
inline constexpr double kFlappingWindowSeconds = 15 * 60;

struct AlertRule {
  std::string alertname;
  std::string severity;
  double for_seconds = 0;
  bool per_node = false;  // carries msid and name; frozen during a database outage
};

// An `alerting.rules` entry; an empty severity keeps the rule's default.
struct AlertRuleConfig {
  double for_seconds = 0;
  std::string severity;

  auto Tie() const { return std::tie(for_seconds, severity); }
  bool operator==(const AlertRuleConfig& o) const { return Tie() == o.Tie(); }
};

struct AlertingConfig {
  std::vector<std::string> alertmanagers;  // base URLs, e.g. http://127.0.0.1:9093
  double resend_interval_seconds = 30;
  // Every rule of the table, with its default `for` and severity wherever the file
  // does not change them.
  std::map<std::string, AlertRuleConfig> rules;

  auto Tie() const { return std::tie(alertmanagers, resend_interval_seconds, rules); }
  bool operator==(const AlertingConfig& o) const { return Tie() == o.Tie(); }
};

// The table with its default severities and `for` durations: the verdicts' alerts in
// the order of kVerdicts, then the others in the order of docs/alerting.md.
const std::vector<AlertRule>& DefaultAlertRules();
// The rule called `alertname`, or nullptr.
const AlertRule* FindAlertRule(std::string_view alertname);
// Every alert name, comma-separated: for messages.
std::string AlertNames();

// DefaultAlertRules() with the config's overrides applied. Names the config does not
// mention keep their defaults.
std::vector<AlertRule> ResolveAlertRules(const AlertingConfig& config);

// Where an alert's runbook is served: <external_url>/runbooks/<alertname>, the
// exporter's own copy of docs/runbooks/ (web/runbooks.h). `external_url` is the
// exporter's --web.external-url, without a trailing slash.
std::string RunbookUrl(const std::string& external_url, const std::string& alertname);

}  // namespace msx
