// Status: what the exporter knows about every target and node, as one model that the
// JSON API (/api/v1/status), the status page (/) and the `check` subcommand share, so
// the three can never disagree about a node.
//
// BuildStatus is a pure function of the latest snapshots; the model is a plain value
// (copy freely) and the renderers (StatusJson here, the page in status_page.h) are
// pure functions of it. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/alert.h"
#include "model/snapshot.h"
#include "model/verdict.h"

namespace msx {

struct NodeView {
  std::string msid;  // exact decimal
  std::string name;  // NULL renders as ""
  std::string uuid;
  std::string version;
  std::string state;  // "<NULL>" for NULL, else the raw string
  bool claims_running = false;
  std::string runid;
  std::string service_ip;
  int64_t service_port = 0;
  std::optional<double> last_update_unix;  // nullopt: last_update is NULL
  std::optional<double> raw_age_seconds;   // nullopt without heartbeat
  std::optional<double> silence_seconds;   // nullopt without heartbeat
  std::optional<double> clock_offset_seconds;
  std::optional<ProbeResult> probe;  // nullopt: probing off
  std::string probe_address;
  bool probe_loopback = false;
  Verdict verdict = Verdict::kUnknown;
  std::optional<double> heartbeat_interval_seconds;  // nullopt until observed
  double stale_after_seconds = 0;                    // the thresholds in force
  double dead_after_seconds = 0;
  std::string superseded_by;  // msid of the fresh row of the same host; "" if none
  // From mshost_status (docs/databases.md); nullopt when unknown.
  std::optional<double> jvm_start_unix;
  std::optional<double> jvm_stop_unix;
  std::optional<double> system_boot_unix;
  uint64_t restarts = 0;
  int64_t alert_count = 0;
  // Agents and jobs the node holds (docs/databases.md, "What a node holds"); nullopt
  // until read, or without the grants.
  std::optional<NodeLoad> load;
};

struct TargetView {
  std::string name;
  bool is_default = false;
  bool polled = false;   // a poll attempt has finished
  bool ever_ok = false;  // the database has been read at least once
  bool db_up = false;    // the last read succeeded
  std::string last_error;
  double db_up_since_unix = 0;    // 0: unknown or down
  double db_down_since_unix = 0;  // 0: up
  double db_now_unix = 0;
  double last_poll_unix = 0;
  double last_success_unix = 0;
  double poll_duration_seconds = 0;
  std::vector<NodeView> nodes;  // by msid; frozen during an outage
  // Nodes that claim running and heartbeat (not stale), as judged: none means the
  // cloud has no running management server (CloudStackNoRunningMgmtServer).
  size_t running_nodes = 0;
  // Nodes that claim running and whose verdict is ok (kept for readers of 0.1).
  int running_ok_nodes = 0;
  std::vector<FiringAlert> alerts;  // the built-in evaluator's, for this target
  // How the nodes see each other (mshost_peer); false when that table cannot be read.
  bool peers_available = false;
  std::vector<PeerStatus> peers;  // sorted by owner_msid, peer_msid
  // The read of agents and jobs: whether it works, and the agents no node holds.
  BlastRadiusStatus blast_radius;
};

struct StatusModel {
  std::string version;
  double generated_unix = 0;
  // Set by the App (BuildStatus leaves them as they are): did the last reload
  // (SIGHUP, POST /-/reload) succeed, and when was a configuration last loaded. A
  // failed reload keeps the running configuration.
  bool config_reload_ok = true;
  double config_reload_success_unix = 0;  // 0: unknown
  std::vector<TargetView> targets;        // in config order
};

// `snapshot` may be null (no poll yet).
StatusModel BuildStatus(const std::vector<RunningTarget>& targets, double now_unix);

// The body of /api/v1/status. Ids (msid, runid) are strings: they exceed what a
// JavaScript number holds exactly. Absent values are null.
nlohmann::json StatusJson(const StatusModel& model);

// StatusJson as the text /api/v1/status answers and the status page embeds (one
// function, so the two cannot differ). Invalid UTF-8 from the database becomes U+FFFD
// instead of an error.
std::string StatusJsonText(const StatusModel& model);

// `text` with & < > " ' replaced by entities.
std::string HtmlEscape(const std::string& text);

}  // namespace msx
