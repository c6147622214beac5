// Fuzz target: database rows → what a scrape, the status API and the log show.
//
// The input drives a short story of one target over a FakeClock: a table of mshost
// rows (any field NULL or arbitrary bytes, clocks skewed, nodes restarting, removed
// and coming back), mshost_peer and mshost_status rows, read as text the way a driver
// hands them over, through ParseRead (source/parse.h), TargetPoller (poll/poller.h,
// with the judge) and a prober whose answers come from the input too. After every poll
// the results are checked against the contract, restated here independently of the
// exporter's code:
//   - /metrics and /probe are valid exposition text: valid UTF-8, every line a
//     comment or `name{labels} value`, no series twice (Prometheus drops such a scrape);
//   - each verdict follows docs/verdicts.md's table, silence its "Silence" section;
//   - /api/v1/status is JSON that parses back, ids as exact decimal strings;
//   - the status page renders, and database text never appears in it as markup;
//   - every log record is one line of valid UTF-8, and a JSON record parses (the
//     format alternates from poll to poll, so both are checked).
// FuzzedDataProvider takes the story's choices from the input's end and the strings
// from its front, so most byte strings make a long story.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "web/status.h"
#include "web/status_page.h"
#include "common/clock.h"
#include "common/log.h"
#include "fuzz_check.h"
#include "metrics/metrics.h"
#include "poll/poller.h"
#include "judge/verdict.h"
#include "source/parse.h"
#include "test_util.h"

namespace msx {
namespace {

// DATETIME's range, years 0001 to 9999, as Unix seconds.
constexpr int64_t kFirstDatetimeUnix = -62135596800;
constexpr int64_t kLastDatetimeUnix = 253402300799;
constexpr size_t kMaxString = 48;
constexpr int kMaxNodes = 8;
constexpr int kMaxPeers = 8;
constexpr int kMaxPolls = 5;
// A tag that the status page never writes itself: seen in the page, it came from
// the database unescaped.
constexpr char kMarkupProbe[] = "<x-";


std::string ShowOptional(const std::optional<std::string>& text) {
  return text ? "\"" + *text + "\"" : "NULL";
}

// ---- Logging: every record, in the format of its poll. ---------------------------

void CheckLogLine(LogFormat format, std::string_view line) {
  const std::string text(line);
  FUZZ_CHECK(!text.empty() && text.find('\n') == std::string::npos,
             "log record is not one line: " + text);
  FUZZ_CHECK(fuzz::IsValidUtf8(text), "log record is not UTF-8: " + text);
  if (format == LogFormat::kJson) {
    FUZZ_CHECK(nlohmann::json::accept(text), "JSON log record does not parse: " + text);
  }
}

// ---- The input's story. ----------------------------------------------------------

// "YYYY-MM-DD HH:MM:SS[.ffffff]" of a Unix time within DATETIME's range (UTC).
std::string FormatDatetime(double unix_seconds, bool fraction) {
  unix_seconds = std::clamp<double>(unix_seconds, kFirstDatetimeUnix, kLastDatetimeUnix);
  const double whole = std::floor(unix_seconds);
  const std::time_t t = static_cast<std::time_t>(whole);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out = buf;
  if (fraction) {
    const int micros = std::clamp(
        static_cast<int>(std::lround((unix_seconds - whole) * 1e6)), 0, 999999);
    std::snprintf(buf, sizeof(buf), ".%06d", micros);
    out += buf;
  }
  return out;
}

// A row of the mshost table as the driver returns it (kMshostColumns order), kept
// across polls so nodes can heartbeat, restart and be removed.
struct TableRow {
  TextRow fields = TextRow(kMshostColumnCount);
  int64_t runid = 1;
  double clock_skew_seconds = 0;  // the node's clock minus the database's
  bool removed = false;
};

std::optional<std::string> MaybeNull(FuzzedDataProvider& in, std::string text) {
  if (in.ConsumeIntegralInRange(0, 7) == 0) return std::nullopt;
  return text;
}

std::string AnyText(FuzzedDataProvider& in) {
  return in.ConsumeRandomLengthString(kMaxString);
}

// A decimal most of the time (the column's type), arbitrary text sometimes.
template <typename T>
std::string Number(FuzzedDataProvider& in, T value) {
  return in.ConsumeIntegralInRange(0, 15) == 0 ? AnyText(in) : std::to_string(value);
}

std::string State(FuzzedDataProvider& in) {
  const size_t pick = in.ConsumeIntegralInRange<size_t>(0, std::size(kKnownStates));
  return pick < std::size(kKnownStates) ? kKnownStates[pick].name : AnyText(in);
}

void Heartbeat(FuzzedDataProvider& in, double db_now, TableRow* row) {
  const double delay = in.ConsumeFloatingPointInRange<double>(0, 30);
  row->fields[9] =
      FormatDatetime(db_now + row->clock_skew_seconds - delay, in.ConsumeBool());
}

TableRow NewRow(FuzzedDataProvider& in, uint64_t id, double db_now) {
  TableRow row;
  row.runid = in.ConsumeIntegralInRange<int64_t>(0, 3);
  row.clock_skew_seconds =
      in.ConsumeBool() ? 0 : in.ConsumeFloatingPointInRange<double>(-120, 120);
  TextRow& f = row.fields;
  f[0] = MaybeNull(in, Number(in, id));
  f[1] = MaybeNull(in,
                   Number(in, in.ConsumeBool() ? in.ConsumeIntegralInRange<uint64_t>(1, 9)
                                               : in.ConsumeIntegral<uint64_t>()));
  f[2] = MaybeNull(in, Number(in, row.runid));
  f[3] = MaybeNull(in, AnyText(in));  // name
  f[4] = MaybeNull(in, AnyText(in));  // uuid
  f[5] = MaybeNull(in, State(in));
  f[6] = MaybeNull(in, AnyText(in));  // version
  f[7] = MaybeNull(in,
                   in.ConsumeBool() ? "10.0.0." + std::to_string(id % 250) : AnyText(in));
  f[8] = MaybeNull(in, Number(in, in.ConsumeIntegralInRange<int64_t>(-1, 70000)));
  f[9] = std::nullopt;
  if (in.ConsumeIntegralInRange(0, 7) == 0) {
    f[9] = AnyText(in);
  } else if (in.ConsumeIntegralInRange(0, 7) != 0) {
    Heartbeat(in, db_now, &row);
  }
  f[10] = MaybeNull(in, Number(in, in.ConsumeIntegralInRange<int64_t>(0, 5)));
  return row;
}

// What happens to one row between two polls.
void Mutate(FuzzedDataProvider& in, double db_now, TableRow* row) {
  switch (in.ConsumeIntegralInRange(0, 9)) {
    case 0:  // silent: nothing written
      break;
    case 1:  // restart: a new runid, and a heartbeat from the new process
      row->runid = in.ConsumeBool() ? 0 : row->runid + 1;
      row->fields[2] = std::to_string(row->runid);
      Heartbeat(in, db_now, row);
      break;
    case 2:
      row->fields[5] = MaybeNull(in, State(in));
      break;
    case 3:
      row->removed = !row->removed;
      break;
    case 4:  // the node's clock is stepped
      row->clock_skew_seconds = in.ConsumeFloatingPointInRange<double>(-3600, 3600);
      Heartbeat(in, db_now, row);
      break;
    case 5:  // any column, any bytes
      row->fields[in.ConsumeIntegralInRange<size_t>(0, kMshostColumnCount - 1)] =
          MaybeNull(in, AnyText(in));
      break;
    default:  // the usual: a heartbeat
      Heartbeat(in, db_now, row);
  }
}

TextRow NewPeer(FuzzedDataProvider& in, const std::vector<TableRow>& table,
                double db_now) {
  const auto id_of = [&]() -> std::optional<std::string> {
    if (table.empty() || in.ConsumeIntegralInRange(0, 7) == 0) return AnyText(in);
    return table[in.ConsumeIntegralInRange<size_t>(0, table.size() - 1)].fields[0];
  };
  TextRow peer(kPeerColumnCount);
  peer[0] = id_of();
  peer[1] = id_of();
  peer[2] = Number(in, in.ConsumeIntegralInRange<int64_t>(0, 4));
  peer[3] = MaybeNull(in, State(in));
  peer[4] =
      MaybeNull(in, FormatDatetime(db_now - in.ConsumeFloatingPointInRange<double>(0, 60),
                                   in.ConsumeBool()));
  return peer;
}

// mshost_status as kStatusQuery returns it, derived from the story's own values rather
// than from more input, so the corpus keeps telling the stories it was grown for: a
// node's start and boot are its last_update text (a datetime, NULL or any bytes), its
// stop is NULL (as CloudStack leaves it) or, one row in four, its name (any text);
// every third node has no row, and one row in five names an id that is no current
// node. The table is readable when mshost_peer is.
void AddStatus(RawRead* raw) {
  raw->status_available = raw->peers_available;
  if (!raw->status_available) {
    raw->status_error = "mshost_status: " + raw->peers_error;
    return;
  }
  for (size_t i = 0; i < raw->mshost.size(); ++i) {
    const TextRow& node = raw->mshost[i];
    if (i % 3 == 2) continue;
    std::optional<std::string> id = node[0];
    if (i % 5 == 4) id = id.value_or("") + "0";
    std::optional<std::string> stop;
    if (i % 4 == 1) stop = node[3];
    raw->status.push_back({std::move(id), node[9], std::move(stop), node[9]});
  }
}

// What the driver would return: rows with `removed` set are filtered by the query,
// and the table's unique keys (id, msid) hold for the rest.
RawRead ReadTable(FuzzedDataProvider& in, const std::vector<TableRow>& table,
                  double db_now) {
  RawRead raw;
  if (in.ConsumeIntegralInRange(0, 15) == 0) {
    raw.db_now = MaybeNull(in, AnyText(in));
  } else {
    raw.db_now = FormatDatetime(db_now, true);
  }
  std::set<uint64_t> ids, msids;
  for (const TableRow& row : table) {
    if (row.removed) continue;
    const auto unique = [](const std::optional<std::string>& text,
                           std::set<uint64_t>* seen) {
      const std::optional<uint64_t> value = text ? ParseUint64(*text) : std::nullopt;
      return !value || seen->insert(*value).second;
    };
    if (!unique(row.fields[0], &ids) || !unique(row.fields[1], &msids)) continue;
    raw.mshost.push_back(row.fields);
  }
  raw.peers_available = in.ConsumeIntegralInRange(0, 7) != 0;
  if (!raw.peers_available) {
    raw.peers_error = AnyText(in);
  } else {
    const int peers = in.ConsumeIntegralInRange(0, kMaxPeers);
    std::set<std::pair<std::string, std::string>> pairs;  // unique (owner, peer)
    for (int i = 0; i < peers; ++i) {
      TextRow peer = NewPeer(in, table, db_now);
      if (pairs.insert({peer[0].value_or(""), peer[1].value_or("")}).second) {
        raw.peers.push_back(std::move(peer));
      }
    }
  }
  AddStatus(&raw);
  return raw;
}

// Answers every probe from the input; sometimes too few answers (a broken prober).
class FuzzProber : public Prober {
 public:
  FuzzProber(FuzzedDataProvider* in, double timeout_seconds)
      : in_(in), timeout_seconds_(timeout_seconds) {}

  std::vector<ProbeResult> ProbeAll(const std::vector<ProbeTarget>& targets,
                                    double timeout_seconds) override {
    FUZZ_CHECK(timeout_seconds == timeout_seconds_, "probe timeout not the config's");
    std::vector<ProbeResult> results;
    for (const ProbeTarget& target : targets) {
      FUZZ_CHECK(!target.host.empty() && target.port >= 1 && target.port <= 65535,
                 "probe target " + target.host + ":" + std::to_string(target.port));
      ProbeResult result;
      result.success = in_->ConsumeBool();
      result.duration_seconds =
          in_->ConsumeFloatingPointInRange<double>(0, timeout_seconds);
      if (!result.success) result.error = in_->ConsumeRandomLengthString(kMaxString);
      results.push_back(std::move(result));
    }
    if (!results.empty() && in_->ConsumeIntegralInRange(0, 15) == 0) results.pop_back();
    return results;
  }

 private:
  FuzzedDataProvider* const in_;
  const double timeout_seconds_;
};

TargetConfig MakeTarget(FuzzedDataProvider& in) {
  TargetConfig target;
  target.name = in.ConsumeBool() ? "prod" : AnyText(in);
  if (target.name.empty()) target.name = "t";
  // Configured or following the observed interval (unset), like the loader allows.
  if (in.ConsumeBool()) {
    target.heartbeat.stale_after_seconds = in.ConsumeFloatingPointInRange<double>(0, 120);
    if (in.ConsumeBool()) {
      target.heartbeat.dead_after_seconds =
          in.ConsumeFloatingPointInRange<double>(0, *target.heartbeat.stale_after_seconds);
    }
  }
  ProbeConfig& probe = target.probe;
  probe.kind = in.PickValueInArray({"tcp", "http", "none"});
  const int address = in.ConsumeIntegralInRange(0, 3);
  probe.address = address == 0   ? ProbeAddressSource::kName
                  : address == 1 ? ProbeAddressSource::kFixedHost
                                 : ProbeAddressSource::kServiceIp;
  if (probe.address == ProbeAddressSource::kFixedHost) {
    probe.fixed_host = in.ConsumeRandomLengthString(kMaxString);
    if (probe.fixed_host.empty()) probe.address = ProbeAddressSource::kServiceIp;
  }
  if (in.ConsumeBool()) probe.fixed_port = in.ConsumeIntegralInRange(1, 65535);
  probe.timeout_seconds = in.ConsumeFloatingPointInRange<double>(0.001, 5);
  // Overrides as the config loader admits them: canonical msid, "host:port".
  for (int i = in.ConsumeIntegralInRange(0, 2); i > 0; --i) {
    const std::string value = AnyText(in);
    HostPort address;
    if (SplitHostPort(value, &address.host, &address.port) && !address.host.empty() &&
        address.port > 0) {
      probe.overrides[in.ConsumeIntegralInRange<uint64_t>(0, 9)] = address;
    }
  }
  return target;
}

std::vector<FiringAlert> MakeFiring(FuzzedDataProvider& in, const Snapshot& snapshot) {
  std::vector<FiringAlert> firing;
  for (int i = in.ConsumeIntegralInRange(0, 3); i > 0; --i) {
    FiringAlert alert;
    alert.alertname = in.ConsumeBool() ? "CloudStackMgmtServerUpNotRunning" : AnyText(in);
    alert.severity = in.ConsumeBool() ? "critical" : AnyText(in);
    if (!snapshot.nodes.empty() && in.ConsumeBool()) {
      const NodeStatus& node =
          snapshot.nodes[in.ConsumeIntegralInRange<size_t>(0, snapshot.nodes.size() - 1)];
      alert.msid = std::to_string(node.row.msid);
      alert.name = node.row.name.value_or("");
    }
    alert.labels = {{"alertname", alert.alertname}, {"target", snapshot.target}};
    alert.active_since_unix = in.ConsumeFloatingPointInRange<double>(0, 2e9);
    firing.push_back(alert);
    if (in.ConsumeIntegralInRange(0, 3) == 0) firing.push_back(alert);  // a duplicate
  }
  return firing;
}

// ---- Checks. -------------------------------------------------------------------------

// ParseRead keeps every row it can and names every one it cannot.
void CheckParsed(const RawRead& raw, const SourceRead& read) {
  if (!read.ok) {
    FUZZ_CHECK(!read.error.empty() && read.rows.empty(), "failed read: " + read.error);
    return;
  }
  // A bad mshost_status row costs its node nothing but the status times.
  size_t status_errors = 0;
  for (const std::string& error : read.row_errors) {
    FUZZ_CHECK(error.rfind("mshost", 0) == 0, "row error: " + error);
    if (error.rfind("mshost_status ", 0) == 0) ++status_errors;
  }
  FUZZ_CHECK(read.rows.size() + read.peers.size() + read.row_errors.size() ==
                 raw.mshost.size() + raw.peers.size() + status_errors,
             "rows lost or invented by ParseRead");
  FUZZ_CHECK(status_errors <= raw.status.size(), "status row errors without rows");
  const auto in_range = [](const std::optional<double>& t) {
    return !t || (std::isfinite(*t) && *t >= kFirstDatetimeUnix &&
                  *t < kLastDatetimeUnix + 1);
  };
  size_t with_status = 0;
  for (const MshostRow& row : read.rows) {
    FUZZ_CHECK(in_range(row.last_update_unix), "last_update out of DATETIME's range");
    FUZZ_CHECK(in_range(row.jvm_start_unix) && in_range(row.jvm_stop_unix) &&
                   in_range(row.system_boot_unix),
               "an mshost_status time out of DATETIME's range");
    if (row.jvm_start_unix || row.jvm_stop_unix || row.system_boot_unix) ++with_status;
  }
  FUZZ_CHECK(with_status <= raw.status.size(), "status times invented by ParseRead");
}

// docs/verdicts.md, "Order of decision", restated with the thresholds in force for
// the node.
Verdict ExpectedVerdict(const NodeStatus& node) {
  const std::string state = node.row.state.value_or("");
  const bool null_state = !node.row.state.has_value();
  const bool down = !null_state && state == "Down";
  const bool maintenance = !null_state && state == "Maintenance";
  const bool stopping =
      !null_state && (state == "ReadyToShutDown" || state == "ShuttingDown");
  const bool stale =
      !node.has_heartbeat() || node.silence_seconds > node.stale_after_seconds;
  const bool silent =
      !node.has_heartbeat() || node.silence_seconds > node.dead_after_seconds;
  if (maintenance) return Verdict::kMaintenance;
  if (stale && node.superseded_by) return Verdict::kSuperseded;
  const bool probing = node.probe.has_value();
  const bool alive = probing && node.probe->success;
  if (down) return alive ? Verdict::kDownButRunning : Verdict::kOk;
  if (!stale && (alive || !probing)) return Verdict::kOk;
  if (probing ? (silent && !alive) : stale) {
    return stopping ? Verdict::kStopUnfinished : Verdict::kUpNotRunning;
  }
  return alive ? Verdict::kUpHeartbeatStale : Verdict::kUpUnreachable;
}

void CheckNode(const NodeStatus& node, const TargetConfig& target, double db_now,
               bool probing) {
  const std::string who = "msid " + std::to_string(node.row.msid) + ": ";
  FUZZ_CHECK(node.probe.has_value() == probing, who + "probe result presence");
  if (node.has_heartbeat()) {
    const double raw_age = db_now - *node.row.last_update_unix;
    FUZZ_CHECK(node.raw_age_seconds == raw_age, who + "raw age");
    FUZZ_CHECK(std::isfinite(node.silence_seconds) && node.silence_seconds >= 0,
               who + "silence " + std::to_string(node.silence_seconds));
    // silence = max(0, raw age - offset), offset 0 until estimated; after a database
    // outage it may be less (judge.h: the outage is not held against the node).
    const double expected =
        std::max(0.0, raw_age - node.clock_offset_seconds.value_or(0.0));
    FUZZ_CHECK(node.silence_seconds <=
                   expected + 1e-9 * std::max(1.0, std::fabs(raw_age)),
               who + "silence " + std::to_string(node.silence_seconds) + " expected " +
                   std::to_string(expected));
  } else {
    FUZZ_CHECK(node.silence_seconds == 0 && !node.clock_offset_seconds,
               who + "silence without heartbeat");
  }
  const Thresholds thresholds =
      ThresholdsFor(target.heartbeat, node.heartbeat_interval_seconds);
  FUZZ_CHECK(node.stale_after_seconds == thresholds.stale_after_seconds &&
                 node.dead_after_seconds == thresholds.dead_after_seconds &&
                 node.dead_after_seconds <= node.stale_after_seconds,
             who + "thresholds in force");
  const Verdict expected = ExpectedVerdict(node);
  FUZZ_CHECK(node.verdict == expected,
             who + "verdict " + VerdictName(node.verdict) + ", contract says " +
                 VerdictName(expected) + " (state " + ShowOptional(node.row.state) + ")");
}

void CheckSnapshot(const Snapshot& snapshot, const Snapshot& previous,
                   const SourceRead& read, const TargetConfig& target, bool probing) {
  FUZZ_CHECK(snapshot.polled && snapshot.up == read.ok, "up");
  FUZZ_CHECK(snapshot.polls_total == previous.polls_total + 1, "polls_total");
  if (!read.ok) {
    // Frozen: the last good nodes, unchanged.
    FUZZ_CHECK(snapshot.nodes.size() == previous.nodes.size(), "frozen nodes changed");
    for (size_t i = 0; i < snapshot.nodes.size(); ++i) {
      FUZZ_CHECK(snapshot.nodes[i].row.msid == previous.nodes[i].row.msid &&
                     snapshot.nodes[i].verdict == previous.nodes[i].verdict,
                 "frozen node changed");
    }
    return;
  }
  FUZZ_CHECK(snapshot.nodes.size() == read.rows.size(), "a node lost or invented");
  FUZZ_CHECK(snapshot.rows_skipped == read.row_errors.size(), "rows_skipped");
  std::map<uint64_t, uint64_t> restarts_before;
  for (const NodeStatus& node : previous.nodes)
    restarts_before[node.row.msid] = node.restarts;
  std::set<uint64_t> msids;
  for (size_t i = 0; i < snapshot.nodes.size(); ++i) {
    const NodeStatus& node = snapshot.nodes[i];
    FUZZ_CHECK(i == 0 || snapshot.nodes[i - 1].row.msid < node.row.msid,
               "nodes not sorted by msid");
    msids.insert(node.row.msid);
    CheckNode(node, target, read.db_now_unix, probing);
    if (previous.up) {
      const auto before = restarts_before.find(node.row.msid);
      FUZZ_CHECK(before == restarts_before.end() || node.restarts >= before->second,
                 "restarts went down");
    }
  }
  for (const NodeStatus& node : snapshot.nodes) {
    const bool has_status = node.row.jvm_start_unix || node.row.jvm_stop_unix ||
                            node.row.system_boot_unix;
    FUZZ_CHECK(read.status_available || !has_status,
               "status times without a readable mshost_status");
  }
  FUZZ_CHECK(snapshot.peers_available == read.peers_available, "peers_available");
  for (size_t i = 0; i < snapshot.peers.size(); ++i) {
    const PeerStatus& peer = snapshot.peers[i];
    FUZZ_CHECK(msids.count(peer.owner_msid) && msids.count(peer.peer_msid),
               "a peer row about a node that is not current");
    if (i > 0) {
      const PeerStatus& last = snapshot.peers[i - 1];
      FUZZ_CHECK(std::make_pair(last.owner_msid, last.peer_msid) <
                     std::make_pair(peer.owner_msid, peer.peer_msid),
                 "peers not sorted or not unique");
    }
  }
}

bool IsNameChar(char c, bool first, bool colon_ok) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (colon_ok && c == ':') || (!first && c >= '0' && c <= '9');
}

// Reads [a-zA-Z_:][a-zA-Z0-9_:]* (metric) or without ':' (label) at line[*pos].
std::string ReadName(const std::string& line, size_t* pos, bool colon_ok) {
  const size_t start = *pos;
  while (*pos < line.size() && IsNameChar(line[*pos], *pos == start, colon_ok)) ++*pos;
  return line.substr(start, *pos - start);
}

bool IsSampleValue(const std::string& text) {
  if (text == "+Inf" || text == "-Inf" || text == "NaN" || text == "Nan") return true;
  if (text.empty()) return false;
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() &&
         text.find_first_of("xXpP") == std::string::npos;  // no hex floats
}

// Exposition format 0.0.4, parsed without the serializer's help.
void CheckExposition(const std::string& text) {
  FUZZ_CHECK(fuzz::IsValidUtf8(text), "exposition text is not valid UTF-8");
  FUZZ_CHECK(text.empty() || text.back() == '\n', "exposition text does not end a line");
  std::set<std::string> series;
  std::string family;  // of the last # TYPE line
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = text.find('\n', begin);
    const std::string line = text.substr(begin, end - begin);
    begin = end + 1;
    FUZZ_CHECK(!line.empty(), "empty line");
    if (line[0] == '#') {
      size_t pos = 2;
      if (line.rfind("# TYPE ", 0) == 0) {
        pos = 7;
        family = ReadName(line, &pos, true);
        const std::string type = line.substr(std::min(pos + 1, line.size()));
        FUZZ_CHECK(!family.empty() && pos < line.size() && line[pos] == ' ' &&
                       (type == "gauge" || type == "counter" || type == "untyped" ||
                        type == "summary" || type == "histogram"),
                   "bad TYPE line: " + line);
      } else if (line.rfind("# HELP ", 0) == 0) {
        pos = 7;
        FUZZ_CHECK(!ReadName(line, &pos, true).empty(), "bad HELP line: " + line);
      }
      continue;
    }
    size_t pos = 0;
    const std::string name = ReadName(line, &pos, true);
    FUZZ_CHECK(!name.empty(), "sample without a metric name: " + line);
    FUZZ_CHECK(!family.empty() && name.rfind(family, 0) == 0,
               "sample outside its family: " + line);
    std::map<std::string, std::string> labels;
    if (pos < line.size() && line[pos] == '{') {
      ++pos;
      while (pos < line.size() && line[pos] != '}') {
        const std::string label = ReadName(line, &pos, false);
        FUZZ_CHECK(!label.empty() && line.compare(pos, 2, "=\"") == 0,
                   "bad label in: " + line);
        pos += 2;
        std::string value;
        while (pos < line.size() && line[pos] != '"') {
          if (line[pos] == '\\') {
            FUZZ_CHECK(
                pos + 1 < line.size() && (line[pos + 1] == '\\' || line[pos + 1] == '"' ||
                                          line[pos + 1] == 'n'),
                "bad escape in: " + line);
            ++pos;
          }
          value += line[pos++];
        }
        FUZZ_CHECK(pos < line.size(), "unterminated label value: " + line);
        ++pos;  // closing quote
        FUZZ_CHECK(labels.emplace(label, value).second, "label twice in: " + line);
        if (pos < line.size() && line[pos] == ',') ++pos;
      }
      FUZZ_CHECK(pos < line.size(), "unterminated labels: " + line);
      ++pos;  // '}'
    }
    FUZZ_CHECK(pos < line.size() && line[pos] == ' ', "no value in: " + line);
    const std::string rest = line.substr(pos + 1);
    const std::string value = rest.substr(0, rest.find(' '));
    FUZZ_CHECK(IsSampleValue(value), "bad sample value in: " + line);
    std::string key = name;
    for (const auto& [label, label_value] : labels)
      key += '\0' + label + '\0' + label_value;
    FUZZ_CHECK(series.insert(key).second, "series twice: " + line);
  }
}

void CheckStatus(const Snapshot& snapshot, const std::vector<FiringAlert>& firing,
                 double now_unix) {
  RunningTarget input;
  input.name = snapshot.target;
  input.is_default = true;
  input.snapshot = std::make_shared<Snapshot>(snapshot);
  input.alerts = firing;
  const StatusModel model = BuildStatus({input}, now_unix);
  // The body of /api/v1/status: invalid UTF-8 from the database replaced.
  const std::string body = StatusJsonText(model);
  FUZZ_CHECK(fuzz::IsValidUtf8(body), "status JSON is not valid UTF-8");
  const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  FUZZ_CHECK(!parsed.is_discarded(), "status JSON does not parse back");
  const nlohmann::json& nodes = parsed["targets"][0]["nodes"];
  FUZZ_CHECK(nodes.size() == snapshot.nodes.size(), "status JSON node count");
  for (size_t i = 0; i < snapshot.nodes.size(); ++i) {
    FUZZ_CHECK(nodes[i]["msid"] == std::to_string(snapshot.nodes[i].row.msid),
               "status JSON msid is not the exact decimal");
  }

  const std::string page = RenderStatusHtml(body, 2);
  FUZZ_CHECK(page.find(kMarkupProbe) == std::string::npos,
             "database text reached the status page as markup");
  // The page's script draws the embedded JSON: it must hold no '<' (nothing can end
  // its element early) and read back as the body.
  const std::string open = "<script id=\"initial-status\" type=\"application/json\">";
  const size_t start = page.find(open);
  FUZZ_CHECK(start != std::string::npos, "no embedded status JSON in the page");
  const size_t from = start + open.size();
  const std::string embedded = page.substr(from, page.find('<', from) - from);
  FUZZ_CHECK(page.compare(from + embedded.size(), 9, "</script>") == 0,
             "the embedded status JSON ends early");
  FUZZ_CHECK(nlohmann::json::parse(embedded, nullptr, false) == parsed,
             "the embedded status JSON does not read back as /api/v1/status");
}

// What the nodes hold, as a driver hands it over (host status and msids as any text,
// NULL or the msid of a row in the table), through ParseBlastRadius; sometimes a
// refusal. The outputs are checked with the rest of the snapshot.
BlastRadiusRead FuzzBlast(FuzzedDataProvider& in, const std::vector<TableRow>& table) {
  if (in.ConsumeIntegralInRange(0, 7) == 0) {
    BlastRadiusRead refused;
    refused.unavailable = in.ConsumeBool();
    refused.error = AnyText(in);
    return refused;
  }
  auto msid = [&]() -> std::optional<std::string> {
    if (!table.empty() && in.ConsumeBool()) {
      return table[in.ConsumeIntegralInRange<size_t>(0, table.size() - 1)].fields[1];
    }
    return MaybeNull(in, AnyText(in));
  };
  RawBlastRead raw;
  for (int i = in.ConsumeIntegralInRange(0, 6); i > 0; --i) {
    const std::string status =
        in.ConsumeBool() ? std::string(in.ConsumeBool() ? "Up" : "Disconnected")
                         : AnyText(in);
    raw.agents.push_back(
        {msid(), status, std::to_string(in.ConsumeIntegral<uint32_t>())});
  }
  for (int i = in.ConsumeIntegralInRange(0, 4); i > 0; --i) {
    raw.jobs.push_back({msid(), std::to_string(in.ConsumeIntegral<uint16_t>())});
  }
  return ParseBlastRadius(raw);
}

}  // namespace
}  // namespace msx

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace msx;

  FuzzedDataProvider in(data, size);
  const TargetConfig target = MakeTarget(in);
  FakeClock clock;
  auto source = std::make_unique<test::FakeSource>();
  test::FakeSource* fake_source = source.get();
  const bool probing = target.probe.kind != "none";
  std::unique_ptr<Prober> prober;
  if (probing) prober = std::make_unique<FuzzProber>(&in, target.probe.timeout_seconds);
  TargetPoller poller(target, 2, std::move(source), std::move(prober), clock);

  double db_now = in.ConsumeBool() ? 1'700'000'000.0
                                   : in.ConsumeFloatingPointInRange<double>(
                                         kFirstDatetimeUnix, kLastDatetimeUnix);
  std::vector<TableRow> table;
  for (int i = in.ConsumeIntegralInRange(0, kMaxNodes); i > 0; --i) {
    table.push_back(NewRow(in, 1000 + table.size(), db_now));
  }

  ExporterStats stats;
  stats.version = "0.1.0";
  stats.revision = AnyText(in);
  stats.notifications[{AnyText(in), "success"}] = in.ConsumeIntegral<uint32_t>();
  stats.http_requests_by_code[in.ConsumeIntegralInRange(100, 599)] = 1;

  const int polls = in.ConsumeIntegralInRange(1, kMaxPolls);
  for (int poll = 0; poll < polls; ++poll) {
    SourceRead read;
    if (in.ConsumeIntegralInRange(0, 7) == 0) {
      read = test::FailedRead(AnyText(in));
    } else {
      const RawRead raw = ReadTable(in, table, db_now);
      read = ParseRead(raw);
      CheckParsed(raw, read);
    }
    fake_source->Queue(read);
    fake_source->SetBlast(FuzzBlast(in, table));
    const LogFormat log_format = poll % 2 == 0 ? LogFormat::kJson : LogFormat::kLogfmt;
    const ScopedLogRedirect log_check(
        log_format, LogLevel::kDebug,
        [log_format](std::string_view line) { CheckLogLine(log_format, line); });
    const std::shared_ptr<const Snapshot> previous = poller.Latest();
    const std::shared_ptr<const Snapshot> snapshot = poller.PollOnce();
    CheckSnapshot(*snapshot, *previous, read, target, probing);

    const std::vector<FiringAlert> firing = MakeFiring(in, *snapshot);
    // /metrics holds what /probe shows, so /probe alone is checked once, at the end.
    CheckExposition(RenderMetrics(stats, snapshot.get(), firing));
    if (poll == polls - 1) CheckExposition(RenderProbe(*snapshot, firing));
    CheckStatus(*snapshot, firing, clock.UnixSeconds());

    const double step = in.ConsumeFloatingPointInRange<double>(0, 60);
    clock.Advance(step);
    db_now += step;
    for (TableRow& row : table) Mutate(in, db_now, &row);
    if (table.size() < kMaxNodes && in.ConsumeIntegralInRange(0, 7) == 0) {
      table.push_back(NewRow(in, 1000 + table.size(), db_now));
    }
  }
  return 0;
}
