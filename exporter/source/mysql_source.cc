// The MySQL/MariaDB driver (libmariadb): CloudStack's own database.
//
// One round trip per read: a multi-statement query returns the database clock, the
// current mshost rows, the mshost_peer rows and the mshost_status values as four
// result sets. Every value is read as text; parse.h does the rest.
#include <mysql.h>
#include <mysqld_error.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>

#include "source/drivers.h"
#include "source/reconnecting_source.h"

namespace msx {
namespace {

// UTC_TIMESTAMP is the database's clock in UTC whatever the session time zone, the
// same clock CloudStack's heartbeat is compared against. DATETIME columns carry no
// zone and come back as written (UTC, per CloudStack), so no session zone is set.
//
// mshost_peer and mshost_status are optional (an older schema, a narrower grant). The
// server stops a multi-statement at the first failing statement, so each optional
// table has a statement of its own after the ones that must succeed, and
// mshost_status, which every CloudStack before 4.17 lacks, comes last: its absence
// costs nothing. Only when mshost_peer is refused does mshost_status need a round
// trip of its own.
const std::string kQuery = std::string("SELECT UTC_TIMESTAMP(6); ") + "SELECT " +
                           kMshostColumns +
                           " FROM mshost WHERE removed IS NULL ORDER BY id; " +
                           "SELECT " + kPeerColumns + " FROM mshost_peer ORDER BY id; " +
                           kStatusQuery;

// What the nodes hold: both statements in one round trip. The second runs only when
// the first succeeded, so a refusal of either ends the read.
const std::string kBlastQuery = std::string(kAgentsQuery) + "; " + kJobsQuery;

// Errors that mean "this table is not there for this user": missing, or not granted
// (MySQL answers "denied" rather than "missing" for tables the user may not see, and
// a grant on some columns only is denied per column).
bool MeansUnavailable(unsigned code) {
  return code == ER_NO_SUCH_TABLE || code == ER_TABLEACCESS_DENIED_ERROR ||
         code == ER_COLUMNACCESS_DENIED_ERROR;
}

// What became of the statement that reads an optional table.
enum class Optional { kRead, kUnavailable, kFailed };

// libmariadb takes whole seconds; rounding up never cuts a configured timeout short.
unsigned WholeSeconds(double seconds) {
  return static_cast<unsigned>(std::max(1.0, std::ceil(seconds)));
}

class MysqlSource : public ReconnectingSource {
 public:
  MysqlSource(const DatabaseConfig& db, const Clock& clock)
      : ReconnectingSource(clock), db_(db) {}
  ~MysqlSource() override { Disconnect(); }

 protected:
  bool Connect(std::string* error) override {
    // mysql_init() initialises the library on first use, which is not thread-safe;
    // pollers of several targets may connect at the same time.
    static std::once_flag library_once;
    std::call_once(library_once, [] { mysql_library_init(0, nullptr, nullptr); });

    conn_ = mysql_init(nullptr);
    if (conn_ == nullptr) {
      *error = "connect: out of memory";
      return false;
    }
    const unsigned connect_timeout = WholeSeconds(db_.connect_timeout_seconds);
    const unsigned io_timeout = WholeSeconds(db_.query_timeout_seconds);
    mysql_options(conn_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_options(conn_, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
    mysql_options(conn_, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
    mysql_options(conn_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (!SetTlsOptions(error)) return false;

    const bool use_socket = !db_.socket.empty();
    if (mysql_real_connect(conn_, use_socket ? "localhost" : db_.host.c_str(),
                           db_.user.c_str(), db_.password.c_str(), db_.name.c_str(),
                           static_cast<unsigned>(db_.port),
                           use_socket ? db_.socket.c_str() : nullptr,
                           CLIENT_MULTI_STATEMENTS) == nullptr) {
      *error = "connect to " + DescribeDatabase(db_) + ": " + LastError();
      return false;
    }
    // libmariadb 3.3 falls back to plain text when the server offers no TLS, even
    // with MYSQL_OPT_SSL_ENFORCE, unless it also verifies the certificate.
    const TlsMode mode = db_.tls.mode;
    if (mode != TlsMode::kDisabled && mode != TlsMode::kPreferred &&
        mysql_get_ssl_cipher(conn_) == nullptr) {
      *error = "connect to " + DescribeDatabase(db_) +
               ": the server does not offer TLS, and tls.mode requires it";
      return false;
    }
    SetServerTimeouts();
    return true;
  }

  bool Query(RawRead* raw, std::string* error) override {
    if (mysql_real_query(conn_, kQuery.data(), kQuery.size()) != 0) {
      *error = "query: " + LastError();
      return false;
    }
    std::vector<TextRow> clock;
    if (!FetchAll(&clock, error) || !NextResult(error) ||
        !FetchAll(&raw->mshost, error)) {
      return false;
    }
    if (clock.size() == 1 && clock[0].size() == 1) raw->db_now = clock[0][0];

    switch (NextOptional("mshost_peer", &raw->peers, &raw->peers_error, error)) {
      case Optional::kFailed:
        return false;
      case Optional::kUnavailable:
        // The server ran nothing after the refused statement.
        return QueryStatusAlone(raw, error);
      case Optional::kRead:
        raw->peers_available = true;
    }
    switch (NextOptional("mshost_status", &raw->status, &raw->status_error, error)) {
      case Optional::kFailed:
        return false;
      case Optional::kUnavailable:
        return true;  // the failed statement was the last one
      case Optional::kRead:
        raw->status_available = true;
    }
    if (mysql_next_result(conn_) != -1) {
      *error = "query: unexpected extra result";
      return false;
    }
    return true;
  }

  bool QueryBlastRadius(RawBlastRead* raw, bool* unavailable,
                        std::string* error) override {
    if (mysql_real_query(conn_, kBlastQuery.data(), kBlastQuery.size()) != 0) {
      return BlastRefused(unavailable, error);
    }
    if (!FetchAll(&raw->agents, error)) return false;
    const int status = mysql_next_result(conn_);
    if (status > 0) return BlastRefused(unavailable, error);
    if (status < 0) {
      *error = "query: missing the async_job result";
      return false;
    }
    if (!FetchAll(&raw->jobs, error)) return false;
    if (mysql_next_result(conn_) != -1) {
      *error = "query: unexpected extra result";
      return false;
    }
    return true;
  }

  void Disconnect() override {
    if (conn_ != nullptr) mysql_close(conn_);
    conn_ = nullptr;
  }

 private:
  bool SetTlsOptions(std::string* error) {
    const TlsConfig& tls = db_.tls;
    if (tls.mode == TlsMode::kDisabled) return true;
    auto path = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    const bool verify = VerifiesServer(tls.mode);
    // With a CA, libmariadb verifies the chain; the host name is checked only with
    // MYSQL_OPT_SSL_VERIFY_SERVER_CERT. So the CA is passed only when verifying,
    // otherwise preferred/required would start verifying whenever ca_file is set.
    mysql_ssl_set(conn_, path(tls.key_file), path(tls.cert_file),
                  verify ? path(tls.ca_file) : nullptr, nullptr, nullptr);
    if (tls.mode == TlsMode::kPreferred) return true;
    const my_bool on = 1;
    const my_bool full = tls.mode == TlsMode::kVerifyFull;
    if (mysql_options(conn_, MYSQL_OPT_SSL_ENFORCE, &on) != 0 ||
        mysql_options(conn_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &full) != 0) {
      *error = "connect: TLS options rejected by libmariadb: " + LastError();
      return false;
    }
    return true;
  }

  // A held table lock must not pile up stuck queries on the server: each one gives
  // up after the query timeout on the server side too, not only in the client.
  // lock_wait_timeout covers metadata locks (LOCK TABLES, ALTER TABLE); MariaDB's
  // max_statement_time and MySQL's max_execution_time cap the whole statement. Each
  // server knows only one of the last two, so errors here are expected and ignored.
  // The statement limit is a little shorter than the client's read timeout, so the
  // server's answer ("max_statement_time exceeded") arrives first and the log says
  // why, rather than the client's "Lost connection to server during query".
  void SetServerTimeouts() {
    const double margin = std::min(0.5, db_.query_timeout_seconds / 4);
    const double statement_seconds = db_.query_timeout_seconds - margin;
    RunIgnoringErrors("SET SESSION lock_wait_timeout = " +
                      std::to_string(WholeSeconds(db_.query_timeout_seconds)));
    if (!RunIgnoringErrors("SET SESSION max_statement_time = " +
                           std::to_string(statement_seconds))) {
      RunIgnoringErrors(
          "SET SESSION max_execution_time = " +
          std::to_string(static_cast<long>(std::ceil(statement_seconds * 1000))));
    }
  }

  bool RunIgnoringErrors(const std::string& sql) {
    return mysql_real_query(conn_, sql.data(), sql.size()) == 0;
  }

  // Reads the current result set, every value as text (NULL as nullopt).
  bool FetchAll(std::vector<TextRow>* rows, std::string* error) {
    std::unique_ptr<MYSQL_RES, void (*)(MYSQL_RES*)> result(mysql_store_result(conn_),
                                                            mysql_free_result);
    if (result == nullptr) {
      *error = "query: " + (mysql_errno(conn_) != 0 ? LastError() : "no result set");
      return false;
    }
    const unsigned columns = mysql_num_fields(result.get());
    rows->reserve(rows->size() + mysql_num_rows(result.get()));
    while (MYSQL_ROW row = mysql_fetch_row(result.get())) {
      const unsigned long* lengths = mysql_fetch_lengths(result.get());
      TextRow& out = rows->emplace_back(columns);
      for (unsigned i = 0; i < columns; ++i) {
        if (row[i] != nullptr) out[i].emplace(row[i], lengths[i]);
      }
    }
    // mysql_fetch_row() returns NULL both at the end and on a read error.
    if (mysql_errno(conn_) != 0) {
      *error = "query: " + LastError();
      return false;
    }
    return true;
  }

  // Moves to the result of the next statement, which reads the optional `table`.
  Optional NextOptional(const char* table, std::vector<TextRow>* rows,
                        std::string* why_unavailable, std::string* error) {
    const int status = mysql_next_result(conn_);
    if (status < 0) {
      *error = std::string("query: missing the ") + table + " result";
      return Optional::kFailed;
    }
    if (status > 0) return Refused(table, why_unavailable, error);
    return FetchAll(rows, error) ? Optional::kRead : Optional::kFailed;
  }

  // The statement reading the optional `table` failed: unavailable (not an error of
  // the read) or a real failure.
  Optional Refused(const char* table, std::string* why_unavailable,
                   std::string* error) {
    if (!MeansUnavailable(mysql_errno(conn_))) {
      *error = "query: " + LastError();
      return Optional::kFailed;
    }
    *why_unavailable = std::string(table) + ": " + LastError();
    return Optional::kUnavailable;
  }

  // mshost_status by itself, for when the multi-statement stopped before it.
  bool QueryStatusAlone(RawRead* raw, std::string* error) {
    const size_t length = sizeof kStatusQuery - 1;
    if (mysql_real_query(conn_, kStatusQuery, length) != 0) {
      return Refused("mshost_status", &raw->status_error, error) !=
             Optional::kFailed;
    }
    if (!FetchAll(&raw->status, error)) return false;
    raw->status_available = true;
    return true;
  }

  // A statement of kBlastQuery failed: a missing table or grant, or a real failure.
  bool BlastRefused(bool* unavailable, std::string* error) {
    *unavailable = MeansUnavailable(mysql_errno(conn_));
    *error = "query: " + LastError();
    return false;
  }

  bool NextResult(std::string* error) {
    const int status = mysql_next_result(conn_);
    if (status == 0) return true;
    *error = "query: " + (status > 0 ? LastError() : "missing a result set");
    return false;
  }

  std::string LastError() const {
    return std::string(mysql_error(conn_)) + " (" + std::to_string(mysql_errno(conn_)) +
           ")";
  }


  const DatabaseConfig db_;
  MYSQL* conn_ = nullptr;
};

}  // namespace

std::unique_ptr<MshostSource> NewMysqlSource(const DatabaseConfig& db,
                                             const Clock& clock) {
  return std::make_unique<MysqlSource>(db, clock);
}

}  // namespace msx
