#include "source/parse.h"

#include <limits>
#include <map>
#include <set>

namespace msx {
namespace {

// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's
// days_from_civil): time-zone functions would drag in the process's TZ, and
// timegm() is not standard C++.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// Reads exactly `width` digits at text[*pos].
bool Digits(std::string_view text, size_t* pos, size_t width, unsigned* value) {
  if (*pos + width > text.size()) return false;
  unsigned v = 0;
  for (size_t i = 0; i < width; ++i) {
    char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  *pos += width;
  *value = v;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

// Quotes a database value for an error message; long values are cut so one
// corrupt row cannot flood the log.
std::string Quote(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string out = "\"";
  for (char c : text.substr(0, kMax)) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  if (text.size() > kMax) out += "...";
  return out + "\"";
}

// Field accessors: each returns false and keeps a message naming the column.
class FieldReader {
 public:
  explicit FieldReader(const TextRow& fields) : fields_(fields) {}

  // Why the last accessor returned false.
  Status problem() const { return Status::Error(error_); }

  bool Uint64(size_t i, const char* column, uint64_t* out) {
    const std::string* text = Required(i, column);
    if (!text) return false;
    std::optional<uint64_t> v = ParseUint64(*text);
    if (!v) return Fail(column, "not an unsigned 64-bit integer: " + Quote(*text));
    *out = *v;
    return true;
  }

  bool Int64(size_t i, const char* column, int64_t* out) {
    const std::string* text = Required(i, column);
    if (!text) return false;
    std::optional<int64_t> v = ParseInt64(*text);
    if (!v) return Fail(column, "not a 64-bit integer: " + Quote(*text));
    *out = *v;
    return true;
  }

  bool Datetime(size_t i, const char* column, std::optional<double>* out) {
    const std::optional<std::string>& field = fields_[i];
    if (!field) {
      out->reset();
      return true;
    }
    std::optional<double> v = ParseUtcDatetime(*field);
    if (!v)
      return Fail(column,
                  "not a datetime YYYY-MM-DD HH:MM:SS[.ffffff]: " + Quote(*field));
    *out = v;
    return true;
  }

  const std::string* Required(size_t i, const char* column) {
    if (!fields_[i]) {
      Fail(column, "is NULL");
      return nullptr;
    }
    return &*fields_[i];
  }

  bool Fail(const char* column, const std::string& message) {
    error_ = std::string(column) + ": " + message;
    return false;
  }

 private:
  const TextRow& fields_;
  std::string error_;
};

// "mshost id=7: " names the row a person would look up; "mshost row 3: " when even
// the id is unusable.
std::string MshostRowPrefix(const TextRow& fields, size_t index) {
  if (!fields.empty() && fields[0] && ParseUint64(*fields[0])) {
    return "mshost id=" + *fields[0] + ": ";
  }
  return "mshost row " + std::to_string(index + 1) + ": ";
}

// "mshost_status of mshost id=7: ", or "mshost_status row 2: " without a usable id.
std::string StatusRowPrefix(const TextRow& fields, size_t index) {
  if (!fields.empty() && fields[0] && ParseUint64(*fields[0])) {
    return "mshost_status of mshost id=" + *fields[0] + ": ";
  }
  return "mshost_status row " + std::to_string(index + 1) + ": ";
}

std::string ColumnCountError(size_t got, size_t want) {
  return "expected " + std::to_string(want) + " columns, got " + std::to_string(got);
}

// Gives each parsed mshost row the values of its status row. Status rows of nodes
// that are not among read->rows (a row skipped above, or one that appeared between
// the two statements) have no node to go to and are dropped quietly.
void AttachStatus(const std::vector<TextRow>& status, SourceRead* read) {
  std::map<uint64_t, MshostRow*> by_id;
  for (MshostRow& row : read->rows) by_id.emplace(row.id, &row);
  std::set<uint64_t> seen;
  for (size_t i = 0; i < status.size(); ++i) {
    const StatusOr<StatusRow> row = ParseStatusRow(status[i]);
    if (!row.ok()) {
      read->row_errors.push_back(StatusRowPrefix(status[i], i) + row.status().message());
      continue;
    }
    const StatusRow& parsed = *row;
    // ms_id and mshost.uuid are both unique in CloudStack; only a table without
    // those keys can give a node two rows. The first one sent wins.
    if (!seen.insert(parsed.mshost_id).second) {
      read->row_errors.push_back(StatusRowPrefix(status[i], i) +
                                 "a second current row for this node, ignored");
      continue;
    }
    const auto node = by_id.find(parsed.mshost_id);
    if (node == by_id.end()) continue;
    node->second->jvm_start_unix = parsed.jvm_start_unix;
    node->second->jvm_stop_unix = parsed.jvm_stop_unix;
    node->second->system_boot_unix = parsed.system_boot_unix;
  }
}

}  // namespace

std::optional<uint64_t> ParseUint64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

std::optional<int64_t> ParseInt64(std::string_view text) {
  const bool negative = !text.empty() && text[0] == '-';
  std::optional<uint64_t> magnitude = ParseUint64(negative ? text.substr(1) : text);
  if (!magnitude) return std::nullopt;
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (*magnitude > kMax + 1) return std::nullopt;
    // -(kMax + 1) is not representable as a positive int64, hence the detour.
    return *magnitude == kMax + 1 ? std::numeric_limits<int64_t>::min()
                                  : -static_cast<int64_t>(*magnitude);
  }
  if (*magnitude > kMax) return std::nullopt;
  return static_cast<int64_t>(*magnitude);
}

std::string TrimSpaces(std::string_view text) {
  const size_t begin = text.find_first_not_of(' ');
  if (begin == std::string_view::npos) return "";
  const size_t end = text.find_last_not_of(' ');
  return std::string(text.substr(begin, end - begin + 1));
}

std::optional<double> ParseUtcDatetime(std::string_view text) {
  size_t pos = 0;
  // Zeros only because GCC 12 at -O2 cannot see that Digits sets them.
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !Digits(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !Digits(text, &pos, 2, &day) || !Expect(text, &pos, ' ') ||
      !Digits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !Digits(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !Digits(text, &pos, 2, &second)) {
    return std::nullopt;
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) ||
      hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  unsigned micros = 0;
  if (pos < text.size()) {
    if (!Expect(text, &pos, '.')) return std::nullopt;
    const size_t digits = text.size() - pos;
    if (digits < 1 || digits > 6 || !Digits(text, &pos, digits, &micros))
      return std::nullopt;
    for (size_t i = digits; i < 6; ++i) micros *= 10;
  }
  const int64_t whole =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return static_cast<double>(whole) + micros / 1e6;
}

StatusOr<MshostRow> ParseMshostRow(const TextRow& fields) {
  if (fields.size() != kMshostColumnCount) {
    return Status::Error(ColumnCountError(fields.size(), kMshostColumnCount));
  }
  FieldReader f(fields);
  MshostRow r;
  const std::string* service_ip;
  if (!f.Uint64(0, "id", &r.id) || !f.Uint64(1, "msid", &r.msid) ||
      !f.Int64(2, "runid", &r.runid) || !(service_ip = f.Required(7, "service_ip")) ||
      !f.Int64(8, "service_port", &r.service_port) ||
      !f.Datetime(9, "last_update", &r.last_update_unix) ||
      !f.Int64(10, "alert_count", &r.alert_count)) {
    return f.problem();
  }
  r.name = fields[3];
  r.uuid = fields[4];
  r.state = fields[5];
  r.version = fields[6];
  r.service_ip = TrimSpaces(*service_ip);
  return r;
}

StatusOr<PeerRow> ParsePeerRow(const TextRow& fields) {
  if (fields.size() != kPeerColumnCount) {
    return Status::Error(ColumnCountError(fields.size(), kPeerColumnCount));
  }
  FieldReader f(fields);
  PeerRow r;
  if (!f.Uint64(0, "owner_mshost", &r.owner_id) ||
      !f.Uint64(1, "peer_mshost", &r.peer_id) ||
      !f.Int64(2, "peer_runid", &r.peer_runid) ||
      !f.Datetime(4, "last_update", &r.last_update_unix)) {
    return f.problem();
  }
  r.peer_state = fields[3];
  return r;
}

StatusOr<StatusRow> ParseStatusRow(const TextRow& fields) {
  if (fields.size() != kStatusColumnCount) {
    return Status::Error(ColumnCountError(fields.size(), kStatusColumnCount));
  }
  FieldReader f(fields);
  StatusRow r;
  if (!f.Uint64(0, "id", &r.mshost_id) ||
      !f.Datetime(1, "last_jvm_start", &r.jvm_start_unix) ||
      !f.Datetime(2, "last_jvm_stop", &r.jvm_stop_unix) ||
      !f.Datetime(3, "last_system_boot", &r.system_boot_unix)) {
    return f.problem();
  }
  return r;
}

SourceRead ParseRead(const RawRead& raw) {
  SourceRead read;
  std::optional<double> now = raw.db_now ? ParseUtcDatetime(*raw.db_now) : std::nullopt;
  if (!now) {
    read.error = "the database clock did not read as a datetime: " +
                 (raw.db_now ? Quote(*raw.db_now) : std::string("NULL"));
    return read;
  }
  read.ok = true;
  read.db_now_unix = *now;
  read.rows.reserve(raw.mshost.size());  // no regrowth: 2,000 rows are 0.4 MB
  for (size_t i = 0; i < raw.mshost.size(); ++i) {
    StatusOr<MshostRow> row = ParseMshostRow(raw.mshost[i]);
    if (row.ok()) {
      read.rows.push_back(std::move(row).value());
    } else {
      read.row_errors.push_back(MshostRowPrefix(raw.mshost[i], i) + row.status().message());
    }
  }
  read.peers_available = raw.peers_available;
  read.peers_error = raw.peers_error;
  read.peers.reserve(raw.peers.size());
  for (size_t i = 0; i < raw.peers.size(); ++i) {
    StatusOr<PeerRow> peer = ParsePeerRow(raw.peers[i]);
    if (peer.ok()) {
      read.peers.push_back(std::move(peer).value());
    } else {
      read.row_errors.push_back("mshost_peer row " + std::to_string(i + 1) + ": " +
                                peer.status().message());
    }
  }
  read.status_available = raw.status_available;
  read.status_error = raw.status_error;
  AttachStatus(raw.status, &read);
  return read;
}

namespace {

std::optional<uint64_t> ParseCount(const std::optional<std::string>& text) {
  return text ? ParseUint64(*text) : std::nullopt;
}

}  // namespace

BlastRadiusRead ParseBlastRadius(const RawBlastRead& raw) {
  BlastRadiusRead read;
  read.ok = true;
  for (const TextRow& fields : raw.agents) {
    if (fields.size() != kAgentsColumnCount) {
      read.row_errors.push_back("host: " +
                                ColumnCountError(fields.size(), kAgentsColumnCount));
      continue;
    }
    AgentGroup group;
    if (fields[0]) {
      group.msid = ParseUint64(*fields[0]);
      if (!group.msid) {
        read.row_errors.push_back(
            "host: mgmt_server_id: not an unsigned 64-bit integer: " + Quote(*fields[0]));
        continue;
      }
    }
    // status is NOT NULL in CloudStack's DDL; a NULL is shown, not dropped.
    group.status = fields[1].value_or("<NULL>");
    const std::optional<uint64_t> count = ParseCount(fields[2]);
    if (!count) {
      read.row_errors.push_back("host: count: not a count: " +
                                Quote(fields[2].value_or("NULL")));
      continue;
    }
    group.count = *count;
    read.agents.push_back(std::move(group));
  }
  for (const TextRow& fields : raw.jobs) {
    if (fields.size() != kJobsColumnCount) {
      read.row_errors.push_back("async_job: " +
                                ColumnCountError(fields.size(), kJobsColumnCount));
      continue;
    }
    JobGroup group;
    if (fields[0]) {
      const std::optional<int64_t> msid = ParseInt64(*fields[0]);
      if (!msid) {
        read.row_errors.push_back("async_job: msid: not a 64-bit integer: " +
                                  Quote(*fields[0]));
        continue;
      }
      group.msid = static_cast<uint64_t>(*msid);
    }
    const std::optional<uint64_t> count = ParseCount(fields[1]);
    if (!count) {
      read.row_errors.push_back("async_job: count: not a count: " +
                                Quote(fields[1].value_or("NULL")));
      continue;
    }
    group.count = *count;
    read.jobs.push_back(group);
  }
  return read;
}

}  // namespace msx
