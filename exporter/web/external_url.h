// The exporter's external URL (--web.external-url, as Prometheus names it): where
// people and Alertmanager reach it from outside. The alerts' runbook_url and
// generatorURL, and the Prometheus rules' runbook links (through
// mshost_exporter_external_url_info), are built on it. Pure functions; thread-safe.
#pragma once

#include <string>

#include "common/status.h"

namespace msx {

// The URL to use, without a trailing slash. `flag` is --web.external-url ("" when not
// given): it must be an absolute http:// or https:// URL with a host. Without it,
// Prometheus' default: http://<hostname>:<bound_port>, hostname being the machine's
// name ("localhost" if it has none). A bad flag is an error that says why.
StatusOr<std::string> ResolveExternalUrl(const std::string& flag, int bound_port,
                                         const std::string& hostname);

}  // namespace msx
