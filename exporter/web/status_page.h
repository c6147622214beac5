// The status page (`/`): what the person on call reads at 3 a.m. to see which
// management server lies and why, without opening Grafana.
//
// The page is drawn once, by its script, from the status JSON (web/status.h,
// docs/status-api.md): the exporter serves a constant shell (HTML, CSS, script;
// self-contained, no URL outside the exporter: a closed network has no CDN) with the
// current /api/v1/status body embedded, which the script draws at once; it then
// fetches `api/v1/status` every refresh interval and redraws the targets in place.
// Database strings reach the document only as text (textContent), never as markup,
// and the embedded JSON is escaped so that none can end its element. Thread-safe,
// no state.
#pragma once

#include <string>

#include "web/status.h"

namespace msx {

// The whole page around `status_json`, the body of /api/v1/status (StatusJsonText).
// Within each target the script sorts nodes worst verdict first
// (VerdictSeverityRank), msid order among equals. `refresh_seconds` is how often the
// script fetches the JSON again (the poll interval: sooner shows nothing new).
// The header links the exporter's endpoints (`telemetry_path` for /metrics) and each
// target its /probe page, all relative, so the page works behind a path prefix.
// REQUIRES: status_json is valid UTF-8 JSON; refresh_seconds > 0; telemetry_path
// starts with '/'.
std::string RenderStatusHtml(const std::string& status_json, double refresh_seconds,
                             const std::string& telemetry_path = "/metrics");

}  // namespace msx
