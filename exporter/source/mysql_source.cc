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
  Status Connect() override {
    // mysql_init() initialises the library on first use, which is not thread-safe;
    // pollers of several targets may connect at the same time.
    static std::once_flag library_once;
    std::call_once(library_once, [] { mysql_library_init(0, nullptr, nullptr); });

    conn_ = mysql_init(nullptr);
    if (conn_ == nullptr) return Status::Error("connect: out of memory");
    const unsigned connect_timeout = WholeSeconds(db_.connect_timeout_seconds);
    const unsigned io_timeout = WholeSeconds(db_.query_timeout_seconds);
    mysql_options(conn_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_options(conn_, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
    mysql_options(conn_, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
    mysql_options(conn_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (Status tls = SetTlsOptions(); !tls.ok()) return tls;

    const bool use_socket = !db_.socket.empty();
    if (mysql_real_connect(conn_, use_socket ? "localhost" : db_.host.c_str(),
                           db_.user.c_str(), db_.password.c_str(), db_.name.c_str(),
                           static_cast<unsigned>(db_.port),
                           use_socket ? db_.socket.c_str() : nullptr,
                           CLIENT_MULTI_STATEMENTS) == nullptr) {
      return Status::Error("connect to " + DescribeDatabase(db_) + ": " + LastError());
    }
    // libmariadb 3.3 falls back to plain text when the server offers no TLS, even
    // with MYSQL_OPT_SSL_ENFORCE, unless it also verifies the certificate.
    const TlsMode mode = db_.tls.mode;
    if (mode != TlsMode::kDisabled && mode != TlsMode::kPreferred &&
        mysql_get_ssl_cipher(conn_) == nullptr) {
      return Status::Error("connect to " + DescribeDatabase(db_) +
                           ": the server does not offer TLS, and tls.mode requires it");
    }
    SetServerTimeouts();
    return Status::Ok();
  }

  StatusOr<RawRead> Query() override {
    if (mysql_real_query(conn_, kQuery.data(), kQuery.size()) != 0) {
      return Status::Error("query: " + LastError());
    }
    RawRead raw;
    std::vector<TextRow> clock;
    if (Status step = FetchAll(&clock); !step.ok()) return step;
    if (Status step = NextResult(); !step.ok()) return step;
    if (Status step = FetchAll(&raw.mshost); !step.ok()) return step;
    if (clock.size() == 1 && clock[0].size() == 1) raw.db_now = clock[0][0];

    StatusOr<bool> peers = NextOptional("mshost_peer", &raw.peers, &raw.peers_error);
    if (!peers.ok()) return peers.status();
    if (!*peers) {
      // The server ran nothing after the refused statement.
      if (Status alone = QueryStatusAlone(&raw); !alone.ok()) return alone;
      return raw;
    }
    raw.peers_available = true;
    StatusOr<bool> status = NextOptional("mshost_status", &raw.status, &raw.status_error);
    if (!status.ok()) return status.status();
    if (!*status) return raw;  // the failed statement was the last one
    raw.status_available = true;
    if (mysql_next_result(conn_) != -1) {
      return Status::Error("query: unexpected extra result");
    }
    return raw;
  }

  StatusOr<RawBlastRead> QueryBlastRadius() override {
    RawBlastRead raw;
    if (mysql_real_query(conn_, kBlastQuery.data(), kBlastQuery.size()) != 0) {
      return BlastRefused(std::move(raw));
    }
    if (Status step = FetchAll(&raw.agents); !step.ok()) return step;
    const int status = mysql_next_result(conn_);
    if (status > 0) return BlastRefused(std::move(raw));
    if (status < 0) return Status::Error("query: missing the async_job result");
    if (Status step = FetchAll(&raw.jobs); !step.ok()) return step;
    if (mysql_next_result(conn_) != -1) {
      return Status::Error("query: unexpected extra result");
    }
    return raw;
  }

  void Disconnect() override {
    if (conn_ != nullptr) mysql_close(conn_);
    conn_ = nullptr;
  }

 private:
  Status SetTlsOptions() {
    const TlsConfig& tls = db_.tls;
    if (tls.mode == TlsMode::kDisabled) return Status::Ok();
    auto path = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    const bool verify = VerifiesServer(tls.mode);
    // With a CA, libmariadb verifies the chain; the host name is checked only with
    // MYSQL_OPT_SSL_VERIFY_SERVER_CERT. So the CA is passed only when verifying,
    // otherwise preferred/required would start verifying whenever ca_file is set.
    mysql_ssl_set(conn_, path(tls.key_file), path(tls.cert_file),
                  verify ? path(tls.ca_file) : nullptr, nullptr, nullptr);
    if (tls.mode == TlsMode::kPreferred) return Status::Ok();
    const my_bool on = 1;
    const my_bool full = tls.mode == TlsMode::kVerifyFull;
    if (mysql_options(conn_, MYSQL_OPT_SSL_ENFORCE, &on) != 0 ||
        mysql_options(conn_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &full) != 0) {
      return Status::Error("connect: TLS options rejected by libmariadb: " + LastError());
    }
    return Status::Ok();
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

  // Appends the current result set to *rows, every value as text (NULL as nullopt).
  Status FetchAll(std::vector<TextRow>* rows) {
    std::unique_ptr<MYSQL_RES, void (*)(MYSQL_RES*)> result(mysql_store_result(conn_),
                                                            mysql_free_result);
    if (result == nullptr) {
      return Status::Error("query: " +
                           (mysql_errno(conn_) != 0 ? LastError() : "no result set"));
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
    if (mysql_errno(conn_) != 0) return Status::Error("query: " + LastError());
    return Status::Ok();
  }

  // Moves to the result of the next statement, which reads the optional `table`:
  // true when read into *rows, false when unavailable (why in *why_unavailable; not
  // an error of the read), or the error.
  StatusOr<bool> NextOptional(const char* table, std::vector<TextRow>* rows,
                              std::string* why_unavailable) {
    const int status = mysql_next_result(conn_);
    if (status < 0) return Status::Error(std::string("query: missing the ") + table + " result");
    if (status > 0) return Refused(table, why_unavailable);
    if (Status fetched = FetchAll(rows); !fetched.ok()) return fetched;
    return true;
  }

  // The statement reading the optional `table` failed: unavailable (false, not an
  // error of the read) or a real failure.
  StatusOr<bool> Refused(const char* table, std::string* why_unavailable) {
    if (!MeansUnavailable(mysql_errno(conn_))) return Status::Error("query: " + LastError());
    *why_unavailable = std::string(table) + ": " + LastError();
    return false;
  }

  // mshost_status by itself, for when the multi-statement stopped before it.
  Status QueryStatusAlone(RawRead* raw) {
    const size_t length = sizeof kStatusQuery - 1;
    if (mysql_real_query(conn_, kStatusQuery, length) != 0) {
      return Refused("mshost_status", &raw->status_error).status();
    }
    if (Status fetched = FetchAll(&raw->status); !fetched.ok()) return fetched;
    raw->status_available = true;
    return Status::Ok();
  }

  // A statement of kBlastQuery failed: a missing table or grant (the read says so),
  // or a real failure.
  StatusOr<RawBlastRead> BlastRefused(RawBlastRead raw) {
    if (!MeansUnavailable(mysql_errno(conn_))) return Status::Error("query: " + LastError());
    raw.unavailable = "query: " + LastError();
    return raw;
  }

  Status NextResult() {
    const int status = mysql_next_result(conn_);
    if (status == 0) return Status::Ok();
    return Status::Error("query: " + (status > 0 ? LastError() : "missing a result set"));
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
