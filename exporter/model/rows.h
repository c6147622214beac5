// Rows: what a database read returns, as typed values (model/ is the vocabulary every
// module may use; it depends on nothing but the standard library).
//
// Plain values: copy freely, thread-safe as values are. docs/databases.md describes
// the tables and columns they come from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msx {

// One current node: a row of mshost with `removed IS NULL`.
struct MshostRow {
  uint64_t id = 0;
  uint64_t msid = 0;
  int64_t runid = 0;
  std::optional<std::string> name;
  std::optional<std::string> uuid;
  std::optional<std::string> state;  // nullopt = SQL NULL
  std::optional<std::string> version;
  std::string service_ip;  // trimmed
  int64_t service_port = 0;
  // last_update read as UTC, as Unix seconds (microseconds kept); nullopt = NULL.
  std::optional<double> last_update_unix;
  int64_t alert_count = 0;
  // From the node's mshost_status row (CloudStack 4.17+), read as UTC like
  // last_update, as Unix seconds. nullopt = the column is NULL, the node has no
  // mshost_status row (or only a removed one, or one that did not parse), or the
  // table is missing or unreadable (SourceRead::status_available says which).
  std::optional<double> jvm_start_unix;    // last_jvm_start
  std::optional<double> jvm_stop_unix;     // last_jvm_stop
  std::optional<double> system_boot_unix;  // last_system_boot
};

// One row of mshost_peer: how owner sees peer.
struct PeerRow {
  uint64_t owner_id = 0;  // mshost.id, not msid
  uint64_t peer_id = 0;
  int64_t peer_runid = 0;
  std::optional<std::string> peer_state;
  std::optional<double> last_update_unix;
};

// One round trip to a target's database.
struct SourceRead {
  bool ok = false;
  std::string error;       // set when !ok: one line, no secrets
  double db_now_unix = 0;  // the database's UTC clock, same round trip
  std::vector<MshostRow> rows;
  bool peers_available = false;  // false when mshost_peer is missing (older schema)
  // Why peers_available is false ("table mshost_peer does not exist", or the user may
  // not read it); empty otherwise. Not an error: the rest of the read is good.
  std::string peers_error;
  std::vector<PeerRow> peers;
  // false when mshost_status is missing (CloudStack before 4.17) or the user may not
  // read it; the rows then carry no jvm_start/jvm_stop/system_boot values.
  bool status_available = false;
  // Why status_available is false; empty otherwise. Not an error either.
  std::string status_error;
  // Rows that could not be parsed (bad msid, bad timestamp): skipped, not fatal.
  std::vector<std::string> row_errors;
};

// One group of agents: the rows of `host` (removed IS NULL) that share
// mgmt_server_id and status, as the database counted them.
struct AgentGroup {
  std::optional<uint64_t> msid;  // host.mgmt_server_id; nullopt = NULL (no node)
  std::string status;            // host.status: Up, Connecting, Disconnected, Alert, ...
  uint64_t count = 0;
};

// Async jobs in progress attributed to one msid: job_executing_msid, or job_init_msid
// when that is NULL (CloudStack's own rule, AsyncJobDaoImpl.getResetJobs).
struct JobGroup {
  std::optional<uint64_t> msid;  // nullopt: both columns NULL
  uint64_t count = 0;
};

// One read of what the nodes hold (MshostSource::ReadBlastRadius).
struct BlastRadiusRead {
  bool ok = false;
  // The tables are missing or the user lacks the grants: not an outage, and trying
  // again will not help before someone grants them. error says which.
  bool unavailable = false;
  std::string error;  // set when !ok: one line, no secrets
  std::vector<AgentGroup> agents;
  std::vector<JobGroup> jobs;
  // Groups that did not parse: skipped, not fatal.
  std::vector<std::string> row_errors;
};

}  // namespace msx
