// The Alertmanager API v2 wire format and URL handling, as pure functions so they are
// tested without a network. Used by AlertmanagerNotifier only. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "model/alert.h"

namespace msx {

// An Alertmanager base URL taken apart. Credentials from the userinfo are
// percent-decoded and kept out of `endpoint` and `label`.
struct AlertmanagerUrl {
  bool ok = false;
  std::string error;     // why the URL cannot be used, when !ok
  std::string label;     // base URL without credentials: the metric label
  std::string endpoint;  // label + "/api/v2/alerts"
  bool has_credentials = false;
  std::string user;
  std::string password;  // never log it
};

AlertmanagerUrl ParseAlertmanagerUrl(const std::string& base_url);

// The body of POST /api/v2/alerts: a JSON array of {labels, annotations, startsAt,
// endsAt, generatorURL}. Labels with an empty value are left out (Prometheus treats
// them as absent); invalid UTF-8 from the database becomes U+FFFD.
std::string EncodeAlerts(const std::vector<AlertNotification>& alerts);

}  // namespace msx
