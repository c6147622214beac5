// The PostgreSQL driver (libpqxx 6.4), for the project's mirror of CloudStack's tables
// (docs/databases.md, "The PostgreSQL mirror"): msid is numeric(20,0) because an
// unsigned 64-bit value does not fit bigint, last_update and the mshost_status times
// are timestamp without time zone holding UTC.
//
// libpqxx reports every failure by throwing; Connect() and Query() catch everything
// and turn it into an error string, so nothing escapes Read().
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>

#include "source/drivers.h"
#include "source/reconnecting_source.h"

namespace msx {
namespace {

// "ok", "missing" or "denied": whether `table` can be read. to_regclass follows
// search_path, as the unqualified table names below do.
std::string Readability(const std::string& table) {
  const std::string regclass = "to_regclass('" + table + "')";
  return "CASE WHEN " + regclass + " IS NULL THEN 'missing' WHEN has_table_privilege(" +
         regclass + ", 'SELECT') THEN 'ok' ELSE 'denied' END";
}

// The clock, and whether mshost_peer and mshost_status can be read, in the same
// statement: a missing table would otherwise fail the whole read. `now() AT TIME ZONE
// 'utc'` is the transaction's time as UTC without a zone, comparable with last_update
// whatever the session's TimeZone.
const std::string kClockQuery = "SELECT now() AT TIME ZONE 'utc', " +
                                Readability("mshost_peer") + ", " +
                                Readability("mshost_status");
const std::string kMshostQuery = std::string("SELECT ") + kMshostColumns +
                                 " FROM mshost WHERE removed IS NULL ORDER BY id";
const std::string kPeersQuery =
    std::string("SELECT ") + kPeerColumns + " FROM mshost_peer ORDER BY id";

// Why an optional table the clock query did not find readable cannot be read.
std::string Unavailable(const std::string& table, const std::string& readability,
                        const std::string& user) {
  return readability == "missing" ? table + ": the table does not exist"
                                  : table + ": permission denied for user " + user;
}

// The server cancels a statement after query_timeout; this much later the client
// gives up on a server that does not answer at all.
constexpr double kClientGraceSeconds = 0.5;

// A libpq connection string value, quoted as libpq requires.
std::string Quoted(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

const char* SslMode(TlsMode mode) {
  switch (mode) {
    case TlsMode::kDisabled: return "disable";
    case TlsMode::kPreferred: return "prefer";
    case TlsMode::kRequired: return "require";
    case TlsMode::kVerifyCa: return "verify-ca";
    case TlsMode::kVerifyFull: return "verify-full";
  }
  return "prefer";
}

// libpq has no read timeout: a server that stops answering (a paused VM, a frozen
// process) would block a query forever, and statement_timeout cannot help because
// the server is not running. This shuts the socket down once `seconds` have passed,
// which makes the blocked libpq call fail at once.
class SocketDeadline {
 public:
  SocketDeadline(int fd, double seconds)
      : thread_([this, fd, seconds] {
          std::unique_lock<std::mutex> lock(mu_);
          if (!cv_.wait_for(lock, std::chrono::duration<double>(seconds),
                            [this] { return done_; })) {
            expired_ = true;
            ::shutdown(fd, SHUT_RDWR);
          }
        }) {}

  ~SocketDeadline() { Finish(); }

  // Stops the timer; returns whether it had already fired.
  bool Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
    return expired_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;     // guarded by mu_
  bool expired_ = false;  // guarded by mu_ until the thread is joined
  std::thread thread_;    // last: starts after the fields above exist
};

void AppendRows(const pqxx::result& result, std::vector<TextRow>* rows) {
  rows->reserve(rows->size() + result.size());
  for (const pqxx::row& row : result) {
    TextRow& out = rows->emplace_back(row.size());
    for (pqxx::row::size_type i = 0; i < row.size(); ++i) {
      if (!row[i].is_null()) out[i].emplace(row[i].c_str(), row[i].size());
    }
  }
}

class PostgresSource : public ReconnectingSource {
 public:
  PostgresSource(const DatabaseConfig& db, const Clock& clock)
      : ReconnectingSource(clock), db_(db) {}
  ~PostgresSource() override { Disconnect(); }

 protected:
  Status Connect() override {
    try {
      conn_ = std::make_unique<pqxx::connection>(ConnectionString());
      return Status::Ok();
    } catch (const std::exception& e) {
      return Status::Error("connect to " + DescribeDatabase(db_) + ": " + e.what());
    } catch (...) {
      return Status::Error("connect to " + DescribeDatabase(db_) + ": unknown error");
    }
  }

  StatusOr<RawRead> Query() override {
    RawRead read;
    RawRead* raw = &read;
    const Status status = WithDeadline([&](pqxx::nontransaction& tx) {
      std::string peers_readability, status_readability;
      {
        // The clock and the rows go out together, in one round trip.
        pqxx::pipeline pipe(tx);
        pipe.retain(2);
        const auto clock_id = pipe.insert(kClockQuery);
        const auto rows_id = pipe.insert(kMshostQuery);
        pipe.resume();
        const pqxx::result clock = pipe.retrieve(clock_id);
        AppendRows(pipe.retrieve(rows_id), &raw->mshost);
        pipe.complete();
        if (clock.size() == 1 && !clock[0][0].is_null())
          raw->db_now = clock[0][0].c_str();
        if (clock.size() == 1) {
          peers_readability = clock[0][1].c_str();
          status_readability = clock[0][2].c_str();
        }
      }
      raw->peers_available = peers_readability == "ok";
      raw->status_available = status_readability == "ok";
      if (!raw->peers_available)
        raw->peers_error = Unavailable("mshost_peer", peers_readability, db_.user);
      if (!raw->status_available)
        raw->status_error = Unavailable("mshost_status", status_readability, db_.user);
      if (raw->peers_available || raw->status_available) {
        // The readable optional tables, together in the second round trip.
        pqxx::pipeline pipe(tx);
        pipe.retain(2);
        std::optional<pqxx::pipeline::query_id> peers_id, status_id;
        if (raw->peers_available) peers_id = pipe.insert(kPeersQuery);
        if (raw->status_available) status_id = pipe.insert(kStatusQuery);
        pipe.resume();
        if (peers_id) AppendRows(pipe.retrieve(*peers_id), &raw->peers);
        if (status_id) AppendRows(pipe.retrieve(*status_id), &raw->status);
        pipe.complete();
      }
    });
    if (!status.ok()) return status;
    return read;
  }

  // Two statements, one after the other: every 30 s, a second round trip costs
  // nothing worth a pipeline's error handling. A missing table, column or privilege
  // (SQLSTATE 42P01, 42703, 42501) is "unavailable"; in a nontransaction it leaves
  // the connection usable.
  StatusOr<RawBlastRead> QueryBlastRadius() override {
    RawBlastRead raw;
    const Status status = WithDeadline([&raw](pqxx::nontransaction& tx) {
      try {
        AppendRows(tx.exec(kAgentsQuery), &raw.agents);
        AppendRows(tx.exec(kJobsQuery), &raw.jobs);
      } catch (const pqxx::insufficient_privilege& e) {
        raw.unavailable = std::string("query: ") + e.what();
      } catch (const pqxx::undefined_table& e) {
        raw.unavailable = std::string("query: ") + e.what();
      } catch (const pqxx::undefined_column& e) {
        raw.unavailable = std::string("query: ") + e.what();
      }
    });
    if (!status.ok()) return status;
    return raw;
  }

  // Runs `body` on a nontransaction under the query deadline. libpqxx reports every
  // failure by throwing: each becomes the error returned, as does no answer in time.
  template <typename Body>
  Status WithDeadline(Body body) {
    const double limit_seconds = db_.query_timeout_seconds + kClientGraceSeconds;
    std::optional<SocketDeadline> deadline;
    std::string error;
    try {
      deadline.emplace(conn_->sock(), limit_seconds);
      pqxx::nontransaction tx(*conn_);
      body(tx);
    } catch (const pqxx::broken_connection& e) {
      // libpqxx's own text ("Connection to database failed") names neither the
      // server nor what happened.
      error = "query: lost the connection to " + DescribeDatabase(db_) + ": " + e.what();
    } catch (const std::exception& e) {
      error = std::string("query: ") + e.what();
    } catch (...) {
      error = "query: unknown error";
    }
    if (deadline && deadline->Finish()) error = NoAnswerWithin(limit_seconds);
    return error.empty() ? Status::Ok() : Status::Error(error);
  }

  std::string NoAnswerWithin(double limit_seconds) const {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1fs", limit_seconds);
    return "query: no answer from " + DescribeDatabase(db_) + " within " + seconds;
  }

  void Disconnect() override { conn_.reset(); }

 private:
  std::string ConnectionString() const {
    const TlsConfig& tls = db_.tls;
    // statement_timeout makes the server give up on a query stuck behind a lock, so
    // stuck queries cannot pile up; DateStyle ISO fixes the datetime text parse.h
    // reads. libpq counts connect_timeout in whole seconds.
    const long statement_timeout_ms = std::lround(db_.query_timeout_seconds * 1000);
    std::string s =
        "host=" + Quoted(db_.socket.empty() ? db_.host : db_.socket) +
        " dbname=" + Quoted(db_.name) + " user=" + Quoted(db_.user) +
        " password=" + Quoted(db_.password) + " connect_timeout=" +
        std::to_string(
            std::max(1L, std::lround(std::ceil(db_.connect_timeout_seconds)))) +
        " sslmode=" + SslMode(tls.mode) + " client_encoding=UTF8" +
        " application_name=mshost_exporter" + " options=" +
        Quoted("-c statement_timeout=" + std::to_string(statement_timeout_ms) +
               " -c DateStyle=ISO");
    if (db_.port > 0) s += " port=" + std::to_string(db_.port);
    // Only the verify modes get the CA: libpq would verify with it under "require"
    // too, unlike the mysql driver and unlike what "required" promises.
    const bool verify = VerifiesServer(tls.mode);
    if (verify && !tls.ca_file.empty()) s += " sslrootcert=" + Quoted(tls.ca_file);
    if (!tls.cert_file.empty()) s += " sslcert=" + Quoted(tls.cert_file);
    if (!tls.key_file.empty()) s += " sslkey=" + Quoted(tls.key_file);
    return s;
  }


  const DatabaseConfig db_;
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace

std::unique_ptr<MshostSource> NewPostgresSource(const DatabaseConfig& db,
                                                const Clock& clock) {
  return std::make_unique<PostgresSource>(db, clock);
}

}  // namespace msx
