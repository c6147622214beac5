// Alert values shared by the evaluator, the notifier, the metrics and the pages.
// Plain values: copy freely.
#pragma once

#include <map>
#include <string>

namespace msx {

// An alert the built-in evaluator has firing. Labels hold alertname, severity,
// target, msid and name (node alerts) and the target's configured labels.
struct FiringAlert {
  std::string alertname;
  std::string severity;
  std::string msid;  // "" for target-wide alerts
  std::string name;  // node name, "" for target-wide alerts
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  double active_since_unix = 0;  // when it turned firing

  bool operator==(const FiringAlert& other) const {
    return alertname == other.alertname && severity == other.severity &&
           msid == other.msid && name == other.name && labels == other.labels &&
           annotations == other.annotations &&
           active_since_unix == other.active_since_unix;
  }
  bool operator!=(const FiringAlert& other) const { return !(*this == other); }
};

// One alert as Alertmanager receives it (API v2, POST /api/v2/alerts). A firing
// alert has ends_at in the future; a resolved one has ends_at = when it resolved.
struct AlertNotification {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  double starts_at_unix = 0;
  double ends_at_unix = 0;
  std::string generator_url;  // "" to leave it out
};

}  // namespace msx
