// Snapshot: everything one poll of one target learned, immutable once published.
//
// The poller builds a Snapshot per cycle (judge/ decides its verdicts) and publishes it as
// std::shared_ptr<const Snapshot>; metrics, HTTP pages, `check` and the alert
// evaluator read it concurrently without locks. During a database outage (after a
// successful read) the poller republishes the last good nodes unchanged with up=false
// ("frozen"), so no verdict flips because the database is away.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/alert.h"
#include "model/probe_result.h"
#include "model/rows.h"
#include "model/verdict.h"

namespace msx {

// What one node holds, from the last good read of agents and jobs (docs/databases.md,
// "What a node holds"): what a dead node leaves behind.
struct NodeLoad {
  std::map<std::string, uint64_t> agents;  // by host status; statuses with none absent
  uint64_t agents_total = 0;
  uint64_t jobs_in_progress = 0;
};

// "37 agents and 4 jobs in progress" (snapshot.cc): alert descriptions and the page
// say it the same way.
std::string DescribeLoad(const NodeLoad& load);

struct NodeStatus {
  MshostRow row;
  double raw_age_seconds = 0;  // db now - last_update; 0 without heartbeat
  std::optional<double> clock_offset_seconds;  // see judge/silence.h
  double silence_seconds = 0;                  // 0 without heartbeat (stale anyway)
  // nullopt when probing is off. A failed result without probe_address when the row
  // gave no usable address (the error says why).
  std::optional<ProbeResult> probe;
  std::string probe_address;  // "host:port" that was probed ("[v6]:port")
  // service_ip is a loopback address and the probe goes there: from another host
  // that probes the wrong machine.
  bool probe_loopback = false;
  // Decided by judge/ once per poll; every output reads it from here.
  Verdict verdict = Verdict::kUnknown;
  // The heartbeat interval observed from last_update progress (nullopt until
  // learned) and the thresholds the verdict was judged with.
  std::optional<double> heartbeat_interval_seconds;
  double stale_after_seconds = 0;
  double dead_after_seconds = 0;
  // A configured threshold is shorter than 2 observed intervals.
  bool threshold_below_interval = false;
  // The msid of the fresh row of the same host (same name and probe address) when
  // this stale row is its old identity (verdict superseded).
  std::optional<uint64_t> superseded_by;
  uint64_t restarts = 0;  // runid changes seen since the exporter started
  // nullopt until agents and jobs have been read once (or without the grants).
  std::optional<NodeLoad> load;

  bool has_heartbeat() const { return row.last_update_unix.has_value(); }
};

struct PeerStatus {
  uint64_t owner_msid = 0;
  std::string owner_name;
  uint64_t peer_msid = 0;
  std::string peer_name;
  std::string state;  // "<NULL>" for NULL
  int64_t peer_runid = 0;
};

// The target's side of the agents and jobs read: whether it works, and the agents
// that no current node holds.
struct BlastRadiusStatus {
  bool attempted = false;  // a read was tried since the exporter started
  bool up = false;         // the last read succeeded
  std::string error;       // why the last read failed; empty when up
  double read_unix = 0;    // when the counts shown were read; 0 before the first
  // Agents whose mgmt_server_id is no current node's msid (a removed or unknown
  // node), or NULL while their status is Up, by status.
  std::map<std::string, uint64_t> unattached_agents;
  uint64_t reads_total = 0;
  uint64_t read_failures_total = 0;
};

struct Snapshot {
  std::string target;
  bool polled = false;     // at least one poll attempt finished (/-/ready)
  bool ever_ok = false;    // at least one successful read since start
  bool up = false;         // the last read succeeded
  std::string last_error;  // of the last failed read; empty when up
  double poll_duration_seconds = 0;
  double last_poll_unix = 0;
  double last_success_unix = 0;   // 0 until the first success
  double db_down_since_unix = 0;  // first failure of the current outage; 0 when up
  double db_now_unix = 0;         // database clock at the last successful read
  std::vector<NodeStatus> nodes;  // sorted by msid; frozen during an outage
  // Nodes that claim running (in service or stopping) and are not stale: a node that
  // heartbeats runs, whether or not the exporter can reach its port.
  size_t running_nodes = 0;
  bool peers_available = false;
  // Only where owner and peer are current nodes, one per owner/peer pair (older
  // schemas keep a row per peer run: the peer's current run wins, else its latest),
  // sorted by owner_msid, peer_msid.
  std::vector<PeerStatus> peers;
  BlastRadiusStatus blast_radius;
  uint64_t rows_skipped = 0;  // rows of the last good read that did not parse
  uint64_t polls_total = 0;
  uint64_t poll_failures_total = 0;
  // The target's include_down_nodes: false leaves quiet Down nodes out of the
  // metrics (HiddenFromMetrics in metrics/).
  bool include_down_nodes = true;
};

// One target as readers (pages, `check`) see it: its latest snapshot and what the
// evaluator has firing.
struct RunningTarget {
  std::string name;
  bool is_default = false;
  std::shared_ptr<const Snapshot> snapshot;  // null only before a poller exists
  // When the current stretch of successful reads began; 0 while the database is down.
  double db_up_since_unix = 0;
  std::vector<FiringAlert> alerts;  // the built-in evaluator's
};

}  // namespace msx
