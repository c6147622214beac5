// Text → typed rows: the pure half of every database driver.
//
// Drivers run the queries below and hand back every field as text (NULL as
// nullopt), exactly as the client library delivers it; ParseRead turns that into a
// SourceRead. Keeping this free of database headers means the awkward cases (an
// unsigned 64-bit msid, DATETIME text without a zone, PostgreSQL's space-padded
// char(40), NULL states, bad values) are tested with plain data. All functions are
// pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "source/source.h"

namespace msx {

// The select lists both drivers use, so the column order below holds for both.
inline constexpr char kMshostColumns[] =
    "id, msid, runid, name, uuid, state, version, service_ip, service_port, "
    "last_update, alert_count";
inline constexpr char kPeerColumns[] =
    "owner_mshost, peer_mshost, peer_runid, peer_state, last_update";
inline constexpr size_t kMshostColumnCount = 11;
inline constexpr size_t kPeerColumnCount = 5;

// mshost_status (CloudStack 4.17+) as one statement of its own, keyed by mshost.id:
// the database joins ms_id to uuid with its own collation, and a missing table or
// grant fails only this statement, never the mshost rows (docs/databases.md). Nodes
// without a current mshost_status row are simply absent. Same text for both drivers.
inline constexpr char kStatusQuery[] =
    "SELECT mshost.id, mshost_status.last_jvm_start, mshost_status.last_jvm_stop, "
    "mshost_status.last_system_boot FROM mshost JOIN mshost_status "
    "ON mshost_status.ms_id = mshost.uuid AND mshost_status.removed IS NULL "
    "WHERE mshost.removed IS NULL ORDER BY mshost.id";
inline constexpr size_t kStatusColumnCount = 4;

// What the nodes hold (docs/databases.md, "What a node holds"), two statements of
// the same text for both drivers, each counted by the database on an indexed
// predicate. Agents: the current rows of `host` (i_host__removed), by the msid they
// are connected to and their status. Jobs: async jobs in progress, not CloudStack's
// per-thread pseudo jobs (instance_type 'Thread', as AsyncJobDaoImpl's
// countPendingNonPseudoJobs leaves them out), by the node that executes them or, when
// none is recorded, the node that started them (AsyncJobDaoImpl.getResetJobs). A job
// gets `removed` when it completes (AsyncJobManagerImpl.completeAsyncJob), so
// `removed IS NULL` (i_async_job__removed) leaves the few unfinished rows of a table
// that keeps every job until it expires; job_status has no index.
inline constexpr char kAgentsQuery[] =
    "SELECT mgmt_server_id, status, COUNT(*) FROM host WHERE removed IS NULL "
    "GROUP BY mgmt_server_id, status";
inline constexpr char kJobsQuery[] =
    "SELECT COALESCE(job_executing_msid, job_init_msid), COUNT(*) FROM async_job "
    "WHERE removed IS NULL AND job_status = 0 "
    "AND (instance_type IS NULL OR instance_type <> 'Thread') "
    "GROUP BY COALESCE(job_executing_msid, job_init_msid)";
inline constexpr size_t kAgentsColumnCount = 3;
inline constexpr size_t kJobsColumnCount = 2;

// One result row as text; nullopt is SQL NULL.
using TextRow = std::vector<std::optional<std::string>>;

// What a driver fetched in one round trip, before any interpretation.
struct RawRead {
  std::optional<std::string> db_now;  // the database's UTC clock, as datetime text
  std::vector<TextRow> mshost;        // kMshostColumns, removed IS NULL only
  bool peers_available = false;       // false: mshost_peer missing or not readable
  std::string peers_error;            // why not, when !peers_available
  std::vector<TextRow> peers;         // kPeerColumns
  bool status_available = false;      // false: mshost_status missing or not readable
  std::string status_error;           // why not, when !status_available
  std::vector<TextRow> status;        // the columns of kStatusQuery
};

// What a driver fetched for ReadBlastRadius, before any interpretation.
struct RawBlastRead {
  std::vector<TextRow> agents;  // kAgentsQuery
  std::vector<TextRow> jobs;    // kJobsQuery
  // Set when a table is missing or a grant refused: why (one line). Not a failure of
  // the read: trying again will not help before someone grants it.
  std::optional<std::string> unavailable;
};

// One row of kStatusQuery, typed.
struct StatusRow {
  uint64_t mshost_id = 0;
  std::optional<double> jvm_start_unix;
  std::optional<double> jvm_stop_unix;
  std::optional<double> system_boot_unix;
};

// Builds the SourceRead of a successful round trip: ok unless db_now is missing or
// unparsable. A row that does not parse is skipped and described in row_errors, so
// one bad row never hides the others. Each status row gives its values to the mshost
// row of the same id; a status row that does not parse is skipped (that node has no
// status values) but its node is kept.
SourceRead ParseRead(const RawRead& raw);

// REQUIRES: fields has kMshostColumnCount entries in kMshostColumns order (else an
// error). A bad value is an error naming the column ("msid: not an unsigned 64-bit
// integer: ...").
StatusOr<MshostRow> ParseMshostRow(const TextRow& fields);
// The same for a row of kPeerColumns.
StatusOr<PeerRow> ParsePeerRow(const TextRow& fields);
// The same for a row of kStatusQuery. NULL datetimes are nullopt, not errors.
StatusOr<StatusRow> ParseStatusRow(const TextRow& fields);

// The BlastRadiusRead of a successful round trip (ok). A group that does not parse
// is skipped and described in row_errors. job msids are read as signed (the columns
// are bigint) and taken as the same 64 bits as mshost.msid.
BlastRadiusRead ParseBlastRadius(const RawBlastRead& raw);

// "YYYY-MM-DD HH:MM:SS" with an optional fraction of 1 to 6 digits, read as UTC,
// into Unix seconds. Rejects anything else: zones, MySQL's zero date, 24:00, a
// 30th of February, years outside 0001..9999.
std::optional<double> ParseUtcDatetime(std::string_view text);

// Plain decimal digits only (no sign, no spaces); nullopt on overflow.
std::optional<uint64_t> ParseUint64(std::string_view text);
// An optional '-' followed by decimal digits; nullopt on overflow.
std::optional<int64_t> ParseInt64(std::string_view text);

// Without leading and trailing spaces (PostgreSQL pads character(40) with them).
std::string TrimSpaces(std::string_view text);

}  // namespace msx
