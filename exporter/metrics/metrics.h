// Metrics: a Snapshot (and the exporter's own counters) turned into Prometheus
// metric families and exposition text (docs/http.md, "Metrics").
//
// Families are built with prometheus-cpp's types and written by its TextSerializer.
// Everything but ExpositionCache is a pure function of its arguments: families are
// rebuilt from a snapshot, so a node that leaves the table leaves the output too.
// ExpositionCache keeps one target's text between polls. Thread-safe; callers own
// the inputs and the results.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/alert.h"
#include "common/utf8.h"  // SanitizeUtf8: every label value goes through it
#include "model/snapshot.h"

namespace msx {

// The Content-Type of /metrics and /probe (text format 0.0.4).
inline constexpr char kExpositionContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

// The exporter's view of itself, filled in by whoever owns the counters (the app)
// at scrape time. Plain values: copy freely.
struct ExporterStats {
  std::string version;
  std::string revision;
  std::string branch;
  std::string compiler;  // the analogue of Prometheus' goversion label
  std::string external_url;  // --web.external-url; "" leaves its metric out
  bool config_last_reload_successful = true;
  double config_last_reload_success_timestamp_seconds = 0;
  // (alertmanager URL without credentials, result) -> alerts handed to that
  // Alertmanager; result is "success" or "error" (after the retries), as
  // NotifierStats counts them.
  std::map<std::pair<std::string, std::string>, uint64_t> notifications;
  uint64_t notifications_dropped = 0;
  // HttpServer::RefusedByCode() and TlsHandshakeFailures(); the latter only with TLS.
  std::map<int, uint64_t> http_refused_by_code;
  std::optional<uint64_t> tls_handshake_failures;
  // Whether the last re-read of --web.config.file succeeded; nullopt without one.
  std::optional<bool> web_config_last_reload_successful;
  // HTTP status code -> responses sent (HttpServer::RequestsByCode()); may be empty.
  std::map<int, uint64_t> http_requests_by_code;
};

// The target metrics (prefix cloudstack_mshost_) of one snapshot. `firing` is the
// built-in evaluator's firing alerts for this target. Families without series are
// left out; each family appears once. Before the first successful read only the
// target-wide families are present (up 0, no per-node series).
std::vector<prometheus::MetricFamily> TargetFamilies(
    const Snapshot& snapshot, const std::vector<FiringAlert>& firing);

// The exporter metrics (prefix mshost_exporter_), for /metrics only.
std::vector<prometheus::MetricFamily> ExporterFamilies(const ExporterStats& stats);

// Exposition text (format 0.0.4) of `families`, in order.
std::string SerializeFamilies(const std::vector<prometheus::MetricFamily>& families);

// The body of /probe?target=NAME.
std::string RenderProbe(const Snapshot& snapshot, const std::vector<FiringAlert>& firing);

// The body of /metrics: the exporter metrics, then the default target's metrics
// (none when `snapshot` is null, e.g. before the first poll exists).
std::string RenderMetrics(const ExporterStats& stats, const Snapshot* snapshot,
                          const std::vector<FiringAlert>& firing);

// Text compressed as raw deflate blocks that GzipJoin() puts together with others
// into one gzip stream (one member, RFC 1952), so that a cached part needs no
// compressing again and clients that read only a first member see everything.
struct Deflated {
  std::string data;     // raw deflate; byte-aligned; its last block is final iff `last`
  uint32_t crc = 0;     // CRC-32 of the text
  uint64_t length = 0;  // bytes of text
  bool last = true;
};
// The target text of a snapshot, rendered once and handed to every scrape until the
// snapshot or the firing alerts change: polls come every poll_interval, scrapes as
// often as anyone asks (Prometheus HA pairs, /probe per target, dashboards), and a
// 2,000-node render is far dearer than a copy. Keeps the last snapshot alive (so its
// address cannot be reused by the next). Thread-safe; concurrent scrapes of a new
// snapshot wait for one render instead of each rendering it.
class ExpositionCache {
 public:
  // RenderProbe(*snapshot, firing), rendered again only when `snapshot` is not the
  // one of the previous call or `firing` differs from its alerts.
  std::string Render(const std::shared_ptr<const Snapshot>& snapshot,
                     const std::vector<FiringAlert>& firing);
  // The same text deflated as the last part of a gzip body (GzipJoin), compressed
  // at most once per rendered text, on the first call that wants it.
  Deflated RenderDeflated(const std::shared_ptr<const Snapshot>& snapshot,
                          const std::vector<FiringAlert>& firing);

 private:
  void RefreshLocked(const std::shared_ptr<const Snapshot>& snapshot,
                     const std::vector<FiringAlert>& firing);

  std::mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_;  // guarded by mu_
  std::vector<FiringAlert> firing_;           // guarded by mu_
  std::string text_;                          // guarded by mu_
  std::shared_ptr<const Deflated> deflated_;  // guarded by mu_; null until asked for
};

Deflated Deflate(std::string_view text, bool last);
// REQUIRES: every part but the last has last=false, and the last has last=true.
std::string GzipJoin(const std::vector<const Deflated*>& parts);
// `text` as a gzip stream.
std::string Gzip(std::string_view text);

// True when an Accept-Encoding header value accepts gzip: a "gzip" (or "x-gzip")
// coding, or "*", whose q-value is not 0 (RFC 9110, 12.5.3).
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace msx
