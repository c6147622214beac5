// MshostSource: where the rows of cloud.mshost and cloud.mshost_peer come from, the
// `database:` settings of a target, and the driver table.
//
// One source per target, owned by that target's poller; Read() is called from the
// poller's thread only, so implementations need not be thread-safe, and at most one
// query is in flight per target by construction. Drivers (mysql_source.cc,
// postgres_source.cc) are the only files that include database client headers; they
// return text fields, and parse.h turns text into typed rows (pure, tested alone).
//
// Adding a driver: one file with its factory, one line in kDrivers (source.cc). The
// configuration loader asks FindDriver() for names and default ports, so there is no
// second list to keep in step.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/clock.h"
#include "model/rows.h"

namespace msx {

// database.tls.mode (docs/configuration.md); the libpq sslmode of the same meaning is
// in the PostgreSQL driver.
enum class TlsMode { kDisabled, kPreferred, kRequired, kVerifyCa, kVerifyFull };

struct TlsModeName {
  const char* name;
  TlsMode mode;
};
inline constexpr TlsModeName kTlsModes[] = {
    {"disabled", TlsMode::kDisabled},   {"preferred", TlsMode::kPreferred},
    {"required", TlsMode::kRequired},   {"verify_ca", TlsMode::kVerifyCa},
    {"verify_full", TlsMode::kVerifyFull}};

// The mode called `name` ("verify_full"), or nullopt.
std::optional<TlsMode> TlsModeOf(std::string_view name);
// "disabled, preferred, ...": for messages.
std::string TlsModeNames();

// The modes that check the server's certificate against ca_file.
inline bool VerifiesServer(TlsMode mode) {
  return mode == TlsMode::kVerifyCa || mode == TlsMode::kVerifyFull;
}

struct TlsConfig {
  TlsMode mode = TlsMode::kPreferred;
  std::string ca_file;    // resolved against the config file's folder
  std::string cert_file;  // client certificate (optional)
  std::string key_file;

  auto Tie() const { return std::tie(mode, ca_file, cert_file, key_file); }
  bool operator==(const TlsConfig& o) const { return Tie() == o.Tie(); }
};

struct DatabaseConfig {
  std::string driver = "mysql";    // a name of kDrivers
  std::string host = "127.0.0.1";  // "" when socket is set: use exactly one of them
  std::string socket;              // mysql: the socket file; postgresql: its folder
  int port = 0;  // after loading 1..65535: the driver's default_port unless set
  std::string user;
  // Exactly one way to the password; the loader resolves it into `password` so
  // drivers never read files or the environment themselves.
  std::string password_file;     // as resolved (absolute or relative to the cwd)
  std::string password_env;      // the variable's name
  std::string password;          // resolved secret: never log it
  bool password_inline = false;  // `password:` was used in the file (discouraged)
  std::string name = "cloud";
  double connect_timeout_seconds = 3;
  double query_timeout_seconds = 3;
  TlsConfig tls;

  auto Tie() const {
    return std::tie(driver, host, socket, port, user, password_file, password_env,
                    password, password_inline, name, connect_timeout_seconds,
                    query_timeout_seconds, tls);
  }
  bool operator==(const DatabaseConfig& o) const { return Tie() == o.Tie(); }
};

// The `blast_radius:` settings of a target: how often the agents and jobs each node
// holds are read (docs/databases.md, "What a node holds"). A node whose verdict turns
// bad is read at once, whatever the interval.
struct BlastRadiusConfig {
  double interval_seconds = 30;

  auto Tie() const { return std::tie(interval_seconds); }
  bool operator==(const BlastRadiusConfig& o) const { return Tie() == o.Tie(); }
};

class MshostSource {
 public:
  virtual ~MshostSource() = default;
  // One round trip: mshost rows, mshost_peer rows and the database clock. Never
  // throws; reconnects by itself (with backoff) on the next call after a failure.
  // Returns within about connect_timeout + query_timeout even when the server hangs.
  virtual SourceRead Read() = 0;
  // One round trip for what the nodes hold: agents (rows of `host`) and async jobs in
  // progress, counted per msid by the database on indexed predicates. Called on a
  // slower cadence than Read(), on the connection Read() opened; never reconnects by
  // itself. Missing tables or grants give unavailable (not a failure of the source).
  // Sources that cannot read them (test fakes) say so.
  virtual BlastRadiusRead ReadBlastRadius() {
    BlastRadiusRead read;
    read.error = "this source does not read agents and jobs";
    return read;
  }
  // Drops the connection; the next Read() reconnects.
  virtual void Close() {}
};

// One line of the driver table.
struct Driver {
  const char* name;  // database.driver
  int default_port;
  // Does not connect: the first Read() does. `clock` times the reconnect backoff and
  // must outlive the source.
  std::unique_ptr<MshostSource> (*make)(const DatabaseConfig&, const Clock&);
};

// The driver called `name`, or nullptr.
const Driver* FindDriver(std::string_view name);
// "mysql, postgresql": for messages.
std::string DriverNames();

// The source of db.driver. REQUIRES: FindDriver(db.driver) (the loader checks it).
std::unique_ptr<MshostSource> MakeSource(const DatabaseConfig& db, const Clock& clock);

// "host:port/name" or "socket/name": where a driver connects, for messages.
std::string DescribeDatabase(const DatabaseConfig& db);

}  // namespace msx
