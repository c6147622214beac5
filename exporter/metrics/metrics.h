// Metrics: a Snapshot (and the exporter's own counters) turned into Prometheus
// exposition text, format 0.0.4 (CONTRACT.md, "Target metrics").
//
// Everything here is a pure function of its arguments: the text is rebuilt from the
// latest snapshot on every scrape, so a node that leaves the table leaves the output
// too, and no state is shared between scrapes. Thread-safe; callers own the inputs
// and the results.
//
// The text is written straight into one buffer, not through a metric model and an
// ostream: each node's msid/name labels (and each peer's) are sanitized and escaped
// once and reused by every family, lines are copied from those pieces, and numbers
// go through std::to_chars. A /metrics render costs 16x (10 nodes) to 22x (2,000
// nodes) fewer instructions than through prometheus-cpp's serializer (bench/poll_cost,
// docs/benchmarks.md), with byte-for-byte the same output: numbers as printf's %.16g,
// label values with backslash, double quote and newline escaped, families without
// series left out.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alerting/alert.h"
#include "poll/snapshot.h"

namespace msx {

// The Content-Type of /metrics and /probe (text format 0.0.4).
inline constexpr char kExpositionContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

// The states CloudStack knows (CLOUDSTACK.md), in the order the state set lists
// them. Any other string, and NULL, becomes a series of its own.
inline constexpr const char* kKnownStates[] = {"Up",
                                               "Down",
                                               "PreparingToShutDown",
                                               "ReadyToShutDown",
                                               "ShuttingDown",
                                               "PreparingForMaintenance",
                                               "Maintenance"};

// The exporter's view of itself, filled in by whoever owns the counters (the app)
// at scrape time. Plain values: copy freely.
struct ExporterStats {
  std::string version;
  std::string revision;
  bool config_last_reload_successful = true;
  double config_last_reload_success_timestamp_seconds = 0;
  // (alertmanager URL, result) -> notifications sent; result is "success" or
  // "failure" (whatever the notifier counts).
  std::map<std::pair<std::string, std::string>, uint64_t> notifications;
  uint64_t notifications_dropped = 0;
  // HTTP status code -> responses sent (HttpServer::RequestsByCode()); may be empty.
  std::map<int, uint64_t> http_requests_by_code;
};

// The body of /probe?target=NAME: the target metrics (prefix cloudstack_mshost_) of
// one snapshot. `firing` is the built-in evaluator's firing alerts for this target.
// Families without series are left out; each family appears once. Before the first
// successful read only the target-wide families are present (up 0, no per-node
// series).
std::string RenderProbe(const Snapshot& snapshot, const std::vector<FiringAlert>& firing);

// The body of /metrics: the exporter metrics (prefix mshost_exporter_), then the
// default target's metrics as RenderProbe writes them (none when `snapshot` is null,
// e.g. before the first poll exists).
std::string RenderMetrics(const ExporterStats& stats, const Snapshot* snapshot,
                          const std::vector<FiringAlert>& firing);

// `text` with every invalid UTF-8 sequence (stray continuation bytes, truncated or
// overlong sequences, surrogates, code points above U+10FFFF) replaced by U+FFFD,
// so a label value from the database can never break a scrape.
std::string SanitizeUtf8(std::string_view text);

}  // namespace msx
