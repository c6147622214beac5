#include "metrics/metrics.h"

#include <prometheus/text_serializer.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace msx {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

// Every label value passes through here, so nothing from the database reaches the
// serializer without being made valid UTF-8.
void Add(MetricFamily* family, const Labels& labels, double value) {
  ClientMetric metric;
  metric.label.reserve(labels.size());
  for (const auto& label : labels) {
    metric.label.push_back({label.name, SanitizeUtf8(label.value)});
  }
  if (family->type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family->metric.push_back(std::move(metric));
}

Labels NodeLabels(const NodeStatus& node) {
  return {{"msid", std::to_string(node.row.msid)}, {"name", node.row.name.value_or("")}};
}

Labels With(Labels labels, std::string name, std::string value) {
  labels.push_back({std::move(name), std::move(value)});
  return labels;
}

void AddStateSet(MetricFamily* family, const NodeStatus& node, const Labels& labels) {
  const std::optional<std::string>& state = node.row.state;
  bool known = false;
  for (const KnownState& candidate : kKnownStates) {
    const bool match = state.has_value() && *state == candidate.name;
    known = known || match;
    Add(family, With(labels, "state", candidate.name), match ? 1 : 0);
  }
  if (!known) {
    Add(family, With(labels, "state", state.value_or("<NULL>")), 1);
  }
}

// A per-node family: what it is, and the series one node adds to it (`labels` are
// the node's msid and name).
struct NodeFamily {
  const char* name;
  const char* help;
  MetricType type;
  void (*add)(MetricFamily* family, const NodeStatus& node, const Labels& labels);
};

// The per-node families, in the order the output lists them.
constexpr NodeFamily kNodeFamilies[] = {
    {"cloudstack_mshost_info",
     "A current management server (a row of cloud.mshost with removed NULL); always 1.",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       const MshostRow& row = node.row;
       Add(family,
           With(With(With(With(With(labels, "uuid", row.uuid.value_or("")), "version",
                               row.version.value_or("")),
                          "service_ip", row.service_ip),
                     "service_port", std::to_string(row.service_port)),
                "runid", std::to_string(row.runid)),
           1);
     }},
    {"cloudstack_mshost_state",
     "The state column as a state set: 1 for the row's state, 0 for the other known "
     "states; an unknown or NULL (\"<NULL>\") state is a series of its own.",
     MetricType::Gauge, AddStateSet},
    {"cloudstack_mshost_heartbeat_timestamp_seconds",
     "last_update of the row as Unix time (read as UTC); absent when NULL.",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       if (node.has_heartbeat()) Add(family, labels, *node.row.last_update_unix);
     }},
    {"cloudstack_mshost_heartbeat_age_seconds",
     "The database clock minus last_update (raw, not corrected for the node's clock).",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       if (node.has_heartbeat()) Add(family, labels, node.raw_age_seconds);
     }},
    {"cloudstack_mshost_clock_offset_seconds",
     "Estimated offset of the node's clock from the database clock (positive: the "
     "node is behind); absent until estimated.",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       if (node.clock_offset_seconds.has_value()) {
         Add(family, labels, *node.clock_offset_seconds);
       }
     }},
    {"cloudstack_mshost_heartbeat_silence_seconds",
     "Time since the node's last heartbeat, corrected by the clock offset estimate; "
     "what the verdicts use.",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       if (node.has_heartbeat()) Add(family, labels, node.silence_seconds);
     }},
    {"cloudstack_mshost_probe_success",
     "1 if the last liveness probe of the node succeeded, 0 otherwise; absent when "
     "probing is off.",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       if (node.probe.has_value()) Add(family, labels, node.probe->success ? 1 : 0);
     }},
    {"cloudstack_mshost_probe_duration_seconds",
     "Duration of the last liveness probe of the node.", MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       if (node.probe.has_value()) Add(family, labels, node.probe->duration_seconds);
     }},
    {"cloudstack_mshost_probe_target_info",
     "Where the node is probed; loopback=\"true\" when that is a loopback address "
     "taken from service_ip (probes this host, not the node).",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       if (!node.probe.has_value()) return;
       Add(family,
           With(With(labels, "address", node.probe_address), "loopback",
                node.probe_loopback ? "true" : "false"),
           1);
     }},
    {"cloudstack_mshost_verdict",
     "The exporter's verdict on the node's row as a state set over all verdicts.",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       for (Verdict v : kAllVerdicts) {
         Add(family, With(labels, "verdict", VerdictName(v)), v == node.verdict ? 1 : 0);
       }
     }},
    {"cloudstack_mshost_heartbeat_interval_seconds",
     "The node's heartbeat interval observed from last_update progress "
     "(cluster.heartbeat.interval); absent until observed.",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       if (node.heartbeat_interval_seconds) {
         Add(family, labels, *node.heartbeat_interval_seconds);
       }
     }},
    {"cloudstack_mshost_stale_after_seconds",
     "The silence after which the node's heartbeat is stale, as in force for it "
     "(configured, or following its heartbeat interval).",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       Add(family, labels, node.stale_after_seconds);
     }},
    {"cloudstack_mshost_dead_after_seconds",
     "The silence after which the node, if its probe fails too, is dead, as in force "
     "for it (configured, or following its heartbeat interval).",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       Add(family, labels, node.dead_after_seconds);
     }},
    {"cloudstack_mshost_jvm_start_timestamp_seconds",
     "mshost_status.last_jvm_start as Unix time (UTC); absent when unknown.",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       if (node.row.jvm_start_unix) Add(family, labels, *node.row.jvm_start_unix);
     }},
    {"cloudstack_mshost_jvm_stop_timestamp_seconds",
     "mshost_status.last_jvm_stop as Unix time (UTC); absent when unknown.",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       if (node.row.jvm_stop_unix) Add(family, labels, *node.row.jvm_stop_unix);
     }},
    {"cloudstack_mshost_system_boot_timestamp_seconds",
     "mshost_status.last_system_boot as Unix time (UTC); absent when unknown.",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       if (node.row.system_boot_unix) Add(family, labels, *node.row.system_boot_unix);
     }},
    {"cloudstack_mshost_peer_alerts",
     "The row's alert_count, which CloudStack uses as a flag: non-zero once a peer "
     "raised its \"node left\" alert since the node's last heartbeat (each heartbeat "
     "resets it).",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       Add(family, labels, static_cast<double>(node.row.alert_count));
     }},
    {"cloudstack_mshost_restarts_total",
     "Changes of the node's runid (restarts) seen since the exporter started.",
     MetricType::Counter,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       Add(family, labels, static_cast<double>(node.restarts));
     }},
    {"cloudstack_mshost_agents",
     "Agents (rows of host, not removed) connected to the node, by host status; read "
     "every blast_radius.interval; absent without the grants.",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       if (!node.load) return;
       for (const auto& [status, count] : node.load->agents) {
         Add(family, With(labels, "status", status), static_cast<double>(count));
       }
     }},
    {"cloudstack_mshost_jobs_in_progress",
     "Async jobs in progress executing on the node (CloudStack's per-thread pseudo "
     "jobs left out); absent without the grants.",
     MetricType::Gauge,
     [](MetricFamily* family, const NodeStatus& node, const Labels& labels) {
       if (node.load)
         Add(family, labels, static_cast<double>(node.load->jobs_in_progress));
     }},
};

// With include_down_nodes: false, a node that is Down and does not answer (verdict
// ok: nothing to act on) has no series; a Down node that answers
// (down_but_running) keeps them, as its alert needs them.
bool Hidden(const Snapshot& snapshot, const NodeStatus& node) {
  return !snapshot.include_down_nodes && GroupOf(node.row.state) == StateGroup::kDown &&
         node.verdict == Verdict::kOk;
}

// The families of the per-node metrics, in the order the output lists them, then
// the peer table's when it was read.
std::vector<MetricFamily> NodeFamilies(const Snapshot& snapshot) {
  std::vector<MetricFamily> families;
  families.reserve(std::size(kNodeFamilies) + 1);
  for (const NodeFamily& spec : kNodeFamilies) {
    families.push_back(Family(spec.name, spec.help, spec.type));
  }
  std::set<uint64_t> hidden;
  for (const NodeStatus& node : snapshot.nodes) {
    if (Hidden(snapshot, node)) {
      hidden.insert(node.row.msid);
      continue;
    }
    const Labels labels = NodeLabels(node);
    for (size_t i = 0; i < std::size(kNodeFamilies); ++i) {
      kNodeFamilies[i].add(&families[i], node, labels);
    }
  }

  if (snapshot.peers_available) {
    MetricFamily peers = Family(
        "cloudstack_mshost_peer_state",
        "1 per row of mshost_peer: how node msid sees node peer_msid (both current "
        "nodes).",
        MetricType::Gauge);
    for (const PeerStatus& peer : snapshot.peers) {
      if (hidden.count(peer.owner_msid) != 0 || hidden.count(peer.peer_msid) != 0) {
        continue;
      }
      Add(&peers,
          {{"msid", std::to_string(peer.owner_msid)},
           {"name", peer.owner_name},
           {"peer_msid", std::to_string(peer.peer_msid)},
           {"peer_name", peer.peer_name},
           {"state", peer.state}},
          1);
    }
    families.push_back(std::move(peers));
  }
  return families;
}

MetricFamily AlertFamily(const std::vector<FiringAlert>& firing) {
  MetricFamily family = Family(
      "cloudstack_mshost_alert_firing",
      "1 while the built-in evaluator has the alert firing (msid and name empty for "
      "target-wide alerts).",
      MetricType::Gauge);
  // Two firing alerts with the same labels would be a duplicate series, which makes
  // Prometheus reject the whole scrape. "Same" as written: texts that differ only in
  // invalid UTF-8 become the same label value (found by fuzz_rows).
  std::set<std::tuple<std::string, std::string, std::string, std::string>> seen;
  for (const FiringAlert& alert : firing) {
    if (!seen.insert({SanitizeUtf8(alert.alertname), SanitizeUtf8(alert.severity),
                      SanitizeUtf8(alert.msid), SanitizeUtf8(alert.name)})
             .second) {
      continue;
    }
    Add(&family,
        {{"alertname", alert.alertname},
         {"severity", alert.severity},
         {"msid", alert.msid},
         {"name", alert.name}},
        1);
  }
  return family;
}

void DropEmpty(std::vector<MetricFamily>* families) {
  families->erase(std::remove_if(families->begin(), families->end(),
                                 [](const MetricFamily& f) { return f.metric.empty(); }),
                  families->end());
}

}  // namespace

std::vector<MetricFamily> TargetFamilies(const Snapshot& snapshot,
                                         const std::vector<FiringAlert>& firing) {
  std::vector<MetricFamily> families;

  MetricFamily up =
      Family("cloudstack_mshost_up",
             "1 if the last read of the mshost table succeeded, 0 otherwise.",
             MetricType::Gauge);
  Add(&up, {}, snapshot.up ? 1 : 0);
  families.push_back(std::move(up));

  MetricFamily duration = Family(
      "cloudstack_mshost_poll_duration_seconds",
      "Duration of the last poll of the target (query and probes).", MetricType::Gauge);
  if (snapshot.polled) Add(&duration, {}, snapshot.poll_duration_seconds);
  families.push_back(std::move(duration));

  MetricFamily last_success =
      Family("cloudstack_mshost_last_poll_success_timestamp_seconds",
             "Unix time of the last successful poll; 0 if none succeeded yet.",
             MetricType::Gauge);
  Add(&last_success, {}, snapshot.last_success_unix);
  families.push_back(std::move(last_success));

  MetricFamily db_now =
      Family("cloudstack_mshost_db_now_timestamp_seconds",
             "The database clock (UTC) at the last successful poll.", MetricType::Gauge);
  if (snapshot.ever_ok) Add(&db_now, {}, snapshot.db_now_unix);
  families.push_back(std::move(db_now));

  MetricFamily running = Family(
      "cloudstack_mshost_running_nodes",
      "Nodes that claim running (in service or stopping) and heartbeat (not stale), "
      "whether or not their port can be reached; frozen during a database outage.",
      MetricType::Gauge);
  if (snapshot.ever_ok) Add(&running, {}, static_cast<double>(snapshot.running_nodes));
  families.push_back(std::move(running));

  MetricFamily polls =
      Family("cloudstack_mshost_polls_total",
             "Polls of the target since the exporter started.", MetricType::Counter);
  Add(&polls, {}, static_cast<double>(snapshot.polls_total));
  families.push_back(std::move(polls));

  MetricFamily failures =
      Family("cloudstack_mshost_poll_failures_total",
             "Polls whose read of the mshost table failed since the exporter started.",
             MetricType::Counter);
  Add(&failures, {}, static_cast<double>(snapshot.poll_failures_total));
  families.push_back(std::move(failures));

  if (snapshot.ever_ok) {
    MetricFamily skipped = Family(
        "cloudstack_mshost_rows_skipped",
        "Rows of the last successful read that could not be parsed and were left out.",
        MetricType::Gauge);
    Add(&skipped, {}, static_cast<double>(snapshot.rows_skipped));
    families.push_back(std::move(skipped));

    for (MetricFamily& family : NodeFamilies(snapshot)) {
      families.push_back(std::move(family));
    }
  }

  const BlastRadiusStatus& blast = snapshot.blast_radius;
  MetricFamily blast_up = Family(
      "cloudstack_mshost_blast_radius_up",
      "1 if the last read of agents (host) and jobs (async_job) succeeded; 0 without "
      "the grants (the log says why) or after a failed read.",
      MetricType::Gauge);
  if (blast.attempted) Add(&blast_up, {}, blast.up ? 1 : 0);
  families.push_back(std::move(blast_up));

  MetricFamily unattached = Family(
      "cloudstack_mshost_agents_unattached",
      "Agents no current node holds (mgmt_server_id of a removed or unknown msid, or "
      "NULL while Up), by host status.",
      MetricType::Gauge);
  for (const auto& [status, count] : blast.unattached_agents) {
    Add(&unattached, {{"status", status}}, static_cast<double>(count));
  }
  families.push_back(std::move(unattached));

  families.push_back(AlertFamily(firing));
  DropEmpty(&families);
  return families;
}

std::vector<MetricFamily> ExporterFamilies(const ExporterStats& stats) {
  std::vector<MetricFamily> families;

  MetricFamily build =
      Family("mshost_exporter_build_info",
             "The exporter's version, source revision and branch, and the compiler "
             "that built it; always 1.",
             MetricType::Gauge);
  Add(&build,
      {{"version", stats.version},
       {"revision", stats.revision},
       {"branch", stats.branch},
       {"compiler", stats.compiler}},
      1);
  families.push_back(std::move(build));

  if (!stats.external_url.empty()) {
    // The Prometheus rules build runbook links from it (mixin/config.libsonnet).
    MetricFamily external =
        Family("mshost_exporter_external_url_info",
               "Where the exporter is reached from outside (--web.external-url): it "
               "serves the runbooks at <url>/runbooks/<alertname>; always 1.",
               MetricType::Gauge);
    Add(&external, {{"url", stats.external_url}}, 1);
    families.push_back(std::move(external));
  }

  MetricFamily reload_ok =
      Family("mshost_exporter_config_last_reload_successful",
             "1 if the last configuration (re)load succeeded; 0 means the running "
             "configuration is older than the file.",
             MetricType::Gauge);
  Add(&reload_ok, {}, stats.config_last_reload_successful ? 1 : 0);
  families.push_back(std::move(reload_ok));

  MetricFamily reload_time = Family(
      "mshost_exporter_config_last_reload_success_timestamp_seconds",
      "Unix time of the last successful configuration (re)load.", MetricType::Gauge);
  Add(&reload_time, {}, stats.config_last_reload_success_timestamp_seconds);
  families.push_back(std::move(reload_time));

  if (stats.web_config_last_reload_successful) {
    MetricFamily web_ok = Family(
        "mshost_exporter_web_config_last_reload_successful",
        "1 if the last re-read of --web.config.file (on a change of it, its "
        "certificate or its key) succeeded; 0: the last good one is still in force.",
        MetricType::Gauge);
    Add(&web_ok, {}, *stats.web_config_last_reload_successful ? 1 : 0);
    families.push_back(std::move(web_ok));
  }

  MetricFamily notifications =
      Family("mshost_exporter_notifications_total",
             "Notifications sent to each Alertmanager, by result.", MetricType::Counter);
  for (const auto& [key, count] : stats.notifications) {
    Add(&notifications, {{"alertmanager", key.first}, {"result", key.second}},
        static_cast<double>(count));
  }
  families.push_back(std::move(notifications));

  MetricFamily dropped =
      Family("mshost_exporter_notifications_dropped_total",
             "Notifications dropped because the queue to the Alertmanagers was full.",
             MetricType::Counter);
  Add(&dropped, {}, static_cast<double>(stats.notifications_dropped));
  families.push_back(std::move(dropped));

  MetricFamily requests =
      Family("mshost_exporter_http_requests_total",
             "HTTP responses sent, by status code.", MetricType::Counter);
  for (const auto& [code, count] : stats.http_requests_by_code) {
    Add(&requests, {{"code", std::to_string(code)}}, static_cast<double>(count));
  }
  families.push_back(std::move(requests));

  MetricFamily refused = Family(
      "mshost_exporter_http_refused_total",
      "Requests refused with an error page before reaching a handler (malformed, head "
      "too large or not in time, too many headers, body too large), by status code.",
      MetricType::Counter);
  for (const auto& [code, count] : stats.http_refused_by_code) {
    Add(&refused, {{"code", std::to_string(code)}}, static_cast<double>(count));
  }
  families.push_back(std::move(refused));

  if (stats.tls_handshake_failures) {
    MetricFamily tls = Family(
        "mshost_exporter_tls_handshake_failures_total",
        "TLS handshakes that ended in a fatal alert: no or an untrusted client "
        "certificate, no common protocol version, a client that rejects the server's "
        "certificate.",
        MetricType::Counter);
    Add(&tls, {}, static_cast<double>(*stats.tls_handshake_failures));
    families.push_back(std::move(tls));
  }

  DropEmpty(&families);
  return families;
}

std::string SerializeFamilies(const std::vector<MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

std::string RenderProbe(const Snapshot& snapshot,
                        const std::vector<FiringAlert>& firing) {
  return SerializeFamilies(TargetFamilies(snapshot, firing));
}

std::string RenderMetrics(const ExporterStats& stats, const Snapshot* snapshot,
                          const std::vector<FiringAlert>& firing) {
  std::vector<MetricFamily> families = ExporterFamilies(stats);
  if (snapshot != nullptr) {
    for (MetricFamily& family : TargetFamilies(*snapshot, firing)) {
      families.push_back(std::move(family));
    }
  }
  return SerializeFamilies(families);
}

void ExpositionCache::RefreshLocked(const std::shared_ptr<const Snapshot>& snapshot,
                                    const std::vector<FiringAlert>& firing) {
  if (snapshot != snapshot_ || firing != firing_) {
    text_ = RenderProbe(*snapshot, firing);
    deflated_.reset();
    snapshot_ = snapshot;
    firing_ = firing;
  }
}

std::string ExpositionCache::Render(const std::shared_ptr<const Snapshot>& snapshot,
                                    const std::vector<FiringAlert>& firing) {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshLocked(snapshot, firing);
  return text_;
}

Deflated ExpositionCache::RenderDeflated(const std::shared_ptr<const Snapshot>& snapshot,
                                         const std::vector<FiringAlert>& firing) {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshLocked(snapshot, firing);
  if (!deflated_) deflated_ = std::make_shared<const Deflated>(Deflate(text_, true));
  return *deflated_;
}

Deflated Deflate(std::string_view text, bool last) {
  z_stream stream{};
  // Raw deflate (negative window bits): GzipJoin writes the gzip header and trailer.
  // Level 1: a scrape's text is repetitive (label names, HELP lines) and shrinks
  // ~10x even so, at a fraction of the default level's CPU.
  if (deflateInit2(&stream, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("zlib: deflateInit2 failed");
  }
  Deflated out;
  out.last = last;
  out.length = text.size();
  out.crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(text.data()),
                                        static_cast<uInt>(text.size())));
  // A sync flush ends with an empty stored block: byte-aligned and not final, so
  // another stream's blocks may follow.
  out.data.resize(deflateBound(&stream, static_cast<uLong>(text.size())) + 16);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data.data());
  stream.avail_out = static_cast<uInt>(out.data.size());
  const int result = deflate(&stream, last ? Z_FINISH : Z_SYNC_FLUSH);
  const bool done =
      last ? result == Z_STREAM_END : result == Z_OK && stream.avail_in == 0;
  out.data.resize(stream.total_out);
  deflateEnd(&stream);
  // deflateBound() is room enough for one call; anything else is a zlib bug.
  if (!done) throw std::runtime_error("zlib: deflate did not finish");
  return out;
}

std::string GzipJoin(const std::vector<const Deflated*>& parts) {
  // RFC 1952: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
  uLong crc = 0;
  uint64_t length = 0;
  for (const Deflated* part : parts) {
    out += part->data;
    crc = crc32_combine(crc, part->crc, static_cast<z_off_t>(part->length));
    length += part->length;
  }
  for (uint64_t value :
       {static_cast<uint64_t>(crc), length}) {  // little-endian, mod 2^32
    for (int shift = 0; shift < 32; shift += 8) {
      out += static_cast<char>((value >> shift) & 0xff);
    }
  }
  return out;
}

std::string Gzip(std::string_view text) {
  const Deflated whole = Deflate(text, true);
  return GzipJoin({&whole});
}

bool AcceptsGzip(std::string_view accept_encoding) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  auto lower_equals = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) == y;
           });
  };
  bool gzip = false, star = false, gzip_named = false;
  while (!accept_encoding.empty()) {
    const size_t comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding = comma == std::string_view::npos ? std::string_view()
                                                      : accept_encoding.substr(comma + 1);
    const size_t semi = item.find(';');
    const std::string_view coding = trim(item.substr(0, semi));
    bool acceptable = true;
    if (semi != std::string_view::npos) {
      std::string_view param = trim(item.substr(semi + 1));
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        // q=0, q=0.0, q=0.000: not acceptable.
        const std::string_view q = trim(param.substr(2));
        acceptable = q.find_first_not_of("0.") != std::string_view::npos;
      }
    }
    if (lower_equals(coding, "gzip") || lower_equals(coding, "x-gzip")) {
      gzip_named = true;
      gzip = acceptable;
    } else if (coding == "*") {
      star = acceptable;
    }
  }
  return gzip_named ? gzip : star;
}

}  // namespace msx
