// The status page (`/`): what the person on call reads at 3 a.m. to see which
// management server lies and why, without opening Grafana.
//
// RenderStatusHtml is a pure function of the StatusModel (app/status.h), the one
// model that /api/v1/status and `check` use too, so the three never disagree. The
// page is complete without JavaScript (rendered here) and self-contained (no URL
// outside the exporter: a closed network has no CDN). Its script, when it runs,
// fetches `api/v1/status` every refresh interval and redraws the targets in place
// with the same layout, setting database strings only as text (textContent), never
// as markup. Every database string is HTML-escaped here. Thread-safe, no state.
#pragma once

#include <string>

#include "web/status.h"

namespace msx {

// The whole page. Within each target, nodes are sorted worst verdict first
// (VerdictSeverityRank), msid order among equals. `refresh_seconds` is how often the
// script fetches the JSON again (the poll interval: sooner shows nothing new).
// REQUIRES: refresh_seconds > 0.
std::string RenderStatusHtml(const StatusModel& model, double refresh_seconds);

}  // namespace msx
