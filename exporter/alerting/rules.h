// Alert rules: the contract's seven alerts (CONTRACT.md, "Alerts") as one table,
// with the `for` duration and severity each one gets after the config's
// `alerting.rules` overrides.
//
// Everything here is a constant or a pure function: thread-safe, no state. The
// evaluator is the only user of the resolved rules; the names are also what
// alerts/*.rules.yml and the runbooks in docs/runbooks/ use.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace msx {

// The contract's alert names.
inline constexpr char kAlertUpNotRunning[] = "CloudStackMgmtServerUpNotRunning";
inline constexpr char kAlertHeartbeatStale[] = "CloudStackMgmtServerHeartbeatStale";
inline constexpr char kAlertUnreachable[] = "CloudStackMgmtServerUnreachable";
inline constexpr char kAlertDownButRunning[] = "CloudStackMgmtServerDownButRunning";
inline constexpr char kAlertNoRunningMgmtServer[] = "CloudStackNoRunningMgmtServer";
inline constexpr char kAlertSourceDown[] = "CloudStackMshostSourceDown";
inline constexpr char kAlertFlapping[] = "CloudStackMgmtServerFlapping";

// Where runbook_url points: <base><alertname>.md is docs/runbooks/<alertname>.md in
// the project's repository, the same URL alerts/cloudstack-mshost.rules.yml uses.
inline constexpr char kRunbookBaseUrl[] =
    "https://github.com/example-org/mshost_exporter/blob/main/docs/runbooks/";

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

// The contract's table with its default severities and `for` durations, in the
// contract's order.
const std::vector<AlertRule>& DefaultAlertRules();

// DefaultAlertRules() with the config's overrides applied. An override with an empty
// severity keeps the default severity. Names the config does not mention keep their
// defaults; names the contract does not know are ignored (the loader rejects them).
std::vector<AlertRule> ResolveAlertRules(const AlertingConfig& config);

// kRunbookBaseUrl + alertname + ".md".
std::string RunbookUrl(const std::string& alertname);

}  // namespace msx
