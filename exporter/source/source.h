// MshostSource: where the rows of cloud.mshost and cloud.mshost_peer come from.
//
// One source per target, owned by that target's poller; Read() is called from the
// poller's thread only, so implementations need not be thread-safe, and at most one
// query is in flight per target by construction. Drivers (mysql_source.cc,
// postgres_source.cc) are the only files that include database client headers; they
// return text fields, and parse.h turns text into typed rows (pure, tested alone).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "config/config.h"

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
};

// One row of mshost_peer: how owner sees peer.
struct PeerRow {
  uint64_t owner_id = 0;  // mshost.id, not msid
  uint64_t peer_id = 0;
  int64_t peer_runid = 0;
  std::optional<std::string> peer_state;
  std::optional<double> last_update_unix;
};

struct SourceRead {
  bool ok = false;
  std::string error;       // set when !ok: one line, no secrets
  double db_now_unix = 0;  // UTC_TIMESTAMP(6) of the same round trip
  std::vector<MshostRow> rows;
  bool peers_available = false;  // false when mshost_peer is missing (older schema)
  // Why peers_available is false ("table mshost_peer does not exist", or the user may
  // not read it); empty otherwise. Not an error: the rest of the read is good.
  std::string peers_error;
  std::vector<PeerRow> peers;
  // Rows that could not be parsed (bad msid, bad timestamp): skipped, not fatal.
  std::vector<std::string> row_errors;
};

class MshostSource {
 public:
  virtual ~MshostSource() = default;
  // One round trip: mshost rows, mshost_peer rows and the database clock. Never
  // throws; reconnects by itself (with backoff) on the next call after a failure.
  // Returns within about connect_timeout + query_timeout even when the server hangs.
  virtual SourceRead Read() = 0;
  // Drops the connection; the next Read() reconnects.
  virtual void Close() {}
};

// The driver table: one line per driver. Returns nullptr for an unknown driver (the
// config loader has rejected it already). `clock` times the reconnect backoff and
// must outlive the source. Does not connect: the first Read() does.
std::unique_ptr<MshostSource> MakeSource(const DatabaseConfig& db, const Clock& clock);

}  // namespace msx
