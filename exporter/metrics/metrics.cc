#include "metrics/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace msx {
namespace {

constexpr char kReplacementCharacter[] = "\xEF\xBF\xBD";  // U+FFFD

// Appends `value` as a label value: valid UTF-8 (SanitizeUtf8), with backslash,
// double quote and newline escaped. Every label value passes through here, so
// nothing from the database can break a scrape.
void AppendLabelValue(std::string* out, std::string_view value) {
  const bool plain = std::all_of(value.begin(), value.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x80 && c != '\\' && c != '"' && c != '\n';
  });
  if (plain) {
    out->append(value);
    return;
  }
  for (char c : SanitizeUtf8(value)) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

// Appends `name="value"`, preceded by a comma unless it opens the label set.
void AppendLabel(std::string* out, std::string_view name, std::string_view value) {
  if (!out->empty()) out->push_back(',');
  out->append(name);
  out->append("=\"");
  AppendLabelValue(out, value);
  out->push_back('"');
}

// The label text `a="x",b="y"` of the given pairs, escaped.
std::string Labels(
    std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  size_t size = 0;
  for (const auto& [name, value] : pairs) size += name.size() + value.size() + 4;
  std::string text;
  text.reserve(size);  // escapes aside, the exact size: one allocation
  for (const auto& [name, value] : pairs) AppendLabel(&text, name, value);
  return text;
}

// printf's %.16g, as prometheus-cpp's serializer wrote values (precision
// max_digits10 - 1), so the output did not change when it was replaced. Most values
// are small non-negative integers (state sets, counters): below 1e15 %.16g prints
// those as plain integers, which the integer conversion does several times faster
// (-0 keeps its sign, so it takes the general path). Writes at most kMaxValueChars.
constexpr size_t kMaxValueChars = 32;
char* PutValue(char* out, double value) {
  if (std::isnan(value)) return std::copy_n("Nan", 3, out);
  if (std::isinf(value)) return std::copy_n(value < 0 ? "-Inf" : "+Inf", 4, out);
  if (!std::signbit(value) && value < 1e15 && value == std::trunc(value)) {
    if (value < 2) {  // the state sets: most values of a page
      *out = value == 0 ? '0' : '1';
      return out + 1;
    }
    return std::to_chars(out, out + kMaxValueChars, static_cast<int64_t>(value)).ptr;
  }
  return std::to_chars(out, out + kMaxValueChars, value, std::chars_format::general, 16)
      .ptr;
}

char* Put(char* out, std::string_view text) {
  return std::copy(text.begin(), text.end(), out);
}

// Writes the exposition text of one family after another into one buffer that grows
// rarely (the caller's estimate). A family's HELP and TYPE lines are written with
// its first sample, so a family without samples leaves no trace. Each line is
// copied from pieces escaped beforehand: per node once, not per series. Not
// thread-safe; one per render.
class Exposition {
 public:
  explicit Exposition(size_t expected_bytes)
      : data_(new char[expected_bytes]), capacity_(expected_bytes) {}

  // Starts a family; `type` is "gauge" or "counter". The strings must outlive the
  // family's samples (they are literals).
  void Family(std::string_view name, std::string_view help, std::string_view type) {
    name_ = name;
    help_ = help;
    type_ = type;
    started_ = false;
  }

  // One sample of the current family. `labels` and `more` are escaped label text
  // (Labels()), either may be empty; both go into the braces, labels first.
  void Sample(std::string_view labels, double value, std::string_view more = {}) {
    if (!started_) WriteHeader();
    char* p = Reserve(name_.size() + labels.size() + more.size() + 4 + kMaxValueChars);
    p = Put(p, name_);
    if (!labels.empty() || !more.empty()) {
      *p++ = '{';
      p = Put(p, labels);
      if (!labels.empty() && !more.empty()) *p++ = ',';
      p = Put(p, more);
      *p++ = '}';
    }
    *p++ = ' ';
    p = PutValue(p, value);
    *p++ = '\n';
    size_ = p - data_.get();
  }

  std::string Take() const { return std::string(data_.get(), size_); }

 private:
  void WriteHeader() {
    char* p = Reserve(2 * name_.size() + help_.size() + type_.size() + 20);
    p = Put(p, "# HELP ");
    p = Put(p, name_);
    *p++ = ' ';
    p = Put(p, help_);
    p = Put(p, "\n# TYPE ");
    p = Put(p, name_);
    *p++ = ' ';
    p = Put(p, type_);
    *p++ = '\n';
    size_ = p - data_.get();
    started_ = true;
  }

  // Room for `bytes` more; returns where they go.
  char* Reserve(size_t bytes) {
    if (size_ + bytes > capacity_) {
      const size_t capacity = std::max(2 * capacity_, size_ + bytes);
      std::unique_ptr<char[]> data(new char[capacity]);
      std::copy_n(data_.get(), size_, data.get());
      data_ = std::move(data);
      capacity_ = capacity;
    }
    return data_.get() + size_;
  }

  std::unique_ptr<char[]> data_;
  size_t capacity_;
  size_t size_ = 0;
  std::string_view name_, help_, type_;
  bool started_ = false;
};

// `name="value"` escaped, for each value of `values`, built once per process.
template <size_t N>
std::vector<std::string> LabelsFor(std::string_view name,
                                   const char* const (&values)[N]) {
  std::vector<std::string> out;
  for (const char* value : values) out.push_back(Labels({{name, value}}));
  return out;
}

void WriteStateSet(Exposition* out, const std::string& labels, const NodeStatus& node) {
  static const std::vector<std::string> known_labels = LabelsFor("state", kKnownStates);
  const std::optional<std::string>& state = node.row.state;
  bool known = false;
  for (size_t k = 0; k < known_labels.size(); ++k) {
    const bool match = state.has_value() && *state == kKnownStates[k];
    known = known || match;
    out->Sample(labels, match ? 1 : 0, known_labels[k]);
  }
  if (!known) out->Sample(labels, 1, Labels({{"state", state.value_or("<NULL>")}}));
}

void WriteVerdictSet(Exposition* out, const std::string& labels, Verdict verdict) {
  static const std::vector<std::string> verdict_labels = [] {
    std::vector<std::string> out;
    for (Verdict v : kAllVerdicts) out.push_back(Labels({{"verdict", VerdictName(v)}}));
    return out;
  }();
  for (size_t v = 0; v < verdict_labels.size(); ++v) {
    out->Sample(labels, kAllVerdicts[v] == verdict ? 1 : 0, verdict_labels[v]);
  }
}

// The per-node families, in the order the output lists them; each family's samples
// follow the snapshot's node order.
void WriteNodeFamilies(Exposition* out, const Snapshot& snapshot) {
  const std::vector<NodeStatus>& nodes = snapshot.nodes;
  // msid and name start every per-node series: escaped once, used by every family.
  std::vector<std::string> labels;
  labels.reserve(nodes.size());
  for (const NodeStatus& node : nodes) {
    labels.push_back(Labels(
        {{"msid", std::to_string(node.row.msid)}, {"name", node.row.name.value_or("")}}));
  }

  out->Family(
      "cloudstack_mshost_info",
      "A current management server (a row of cloud.mshost with removed NULL); always 1.",
      "gauge");
  for (size_t i = 0; i < nodes.size(); ++i) {
    const MshostRow& row = nodes[i].row;
    std::string info = labels[i];
    AppendLabel(&info, "uuid", row.uuid.value_or(""));
    AppendLabel(&info, "version", row.version.value_or(""));
    AppendLabel(&info, "service_ip", row.service_ip);
    AppendLabel(&info, "service_port", std::to_string(row.service_port));
    AppendLabel(&info, "runid", std::to_string(row.runid));
    out->Sample(info, 1);
  }

  out->Family(
      "cloudstack_mshost_state",
      "The state column as a state set: 1 for the row's state, 0 for the other known "
      "states; an unknown or NULL (\"<NULL>\") state is a series of its own.",
      "gauge");
  for (size_t i = 0; i < nodes.size(); ++i) WriteStateSet(out, labels[i], nodes[i]);

  out->Family("cloudstack_mshost_heartbeat_timestamp_seconds",
              "last_update of the row as Unix time (read as UTC); absent when NULL.",
              "gauge");
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].has_heartbeat()) out->Sample(labels[i], *nodes[i].row.last_update_unix);
  }

  out->Family(
      "cloudstack_mshost_heartbeat_age_seconds",
      "The database clock minus last_update (raw, not corrected for the node's clock).",
      "gauge");
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].has_heartbeat()) out->Sample(labels[i], nodes[i].raw_age_seconds);
  }

  out->Family(
      "cloudstack_mshost_clock_offset_seconds",
      "Estimated offset of the node's clock from the database clock (positive: the "
      "node is behind); absent until estimated.",
      "gauge");
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].clock_offset_seconds) {
      out->Sample(labels[i], *nodes[i].clock_offset_seconds);
    }
  }

  out->Family(
      "cloudstack_mshost_heartbeat_silence_seconds",
      "Time since the node's last heartbeat, corrected by the clock offset estimate; "
      "what the verdicts use.",
      "gauge");
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].has_heartbeat()) out->Sample(labels[i], nodes[i].silence_seconds);
  }

  out->Family(
      "cloudstack_mshost_probe_success",
      "1 if the last liveness probe of the node succeeded, 0 otherwise; absent when "
      "probing is off.",
      "gauge");
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].probe) out->Sample(labels[i], nodes[i].probe->success ? 1 : 0);
  }

  out->Family("cloudstack_mshost_probe_duration_seconds",
              "Duration of the last liveness probe of the node.", "gauge");
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].probe) out->Sample(labels[i], nodes[i].probe->duration_seconds);
  }

  out->Family(
      "cloudstack_mshost_probe_target_info",
      "Where the node is probed; loopback=\"true\" when that is a loopback address "
      "taken from service_ip (probes this host, not the node).",
      "gauge");
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!nodes[i].probe) continue;
    out->Sample(labels[i], 1,
                Labels({{"address", nodes[i].probe_address},
                        {"loopback", nodes[i].probe_loopback ? "true" : "false"}}));
  }

  out->Family(
      "cloudstack_mshost_verdict",
      "The exporter's verdict on the node's row as a state set over all verdicts.",
      "gauge");
  for (size_t i = 0; i < nodes.size(); ++i)
    WriteVerdictSet(out, labels[i], nodes[i].verdict);

  out->Family(
      "cloudstack_mshost_peer_alerts",
      "The row's alert_count: peers that reported the node as gone since its last "
      "heartbeat.",
      "gauge");
  for (size_t i = 0; i < nodes.size(); ++i) {
    out->Sample(labels[i], static_cast<double>(nodes[i].row.alert_count));
  }

  out->Family("cloudstack_mshost_restarts_total",
              "Changes of the node's runid (restarts) seen since the exporter started.",
              "counter");
  for (size_t i = 0; i < nodes.size(); ++i) {
    out->Sample(labels[i], static_cast<double>(nodes[i].restarts));
  }

  if (snapshot.peers_available) {
    out->Family(
        "cloudstack_mshost_peer_state",
        "1 per row of mshost_peer: how node msid sees node peer_msid (both current "
        "nodes).",
        "gauge");
    // Peers come sorted by owner: each owner's and each peer's labels are escaped
    // once, not once per row (a cluster of n nodes has n * (n - 1) rows).
    std::string owner_labels;
    std::optional<uint64_t> owner;
    std::map<uint64_t, std::string> peer_labels;
    for (const PeerStatus& peer : snapshot.peers) {
      if (owner != peer.owner_msid) {
        owner = peer.owner_msid;
        owner_labels = Labels(
            {{"msid", std::to_string(peer.owner_msid)}, {"name", peer.owner_name}});
      }
      auto [seen, added] = peer_labels.try_emplace(peer.peer_msid);
      if (added) {
        seen->second = Labels({{"peer_msid", std::to_string(peer.peer_msid)},
                               {"peer_name", peer.peer_name}});
      }
      std::string more = seen->second;
      AppendLabel(&more, "state", peer.state);
      out->Sample(owner_labels, 1, more);
    }
  }
}

void WriteAlertFamily(Exposition* out, const std::vector<FiringAlert>& firing) {
  out->Family(
      "cloudstack_mshost_alert_firing",
      "1 while the built-in evaluator has the alert firing (msid and name empty for "
      "target-wide alerts).",
      "gauge");
  // Two firing alerts with the same labels would be a duplicate series, which makes
  // Prometheus reject the whole scrape.
  std::set<std::tuple<std::string, std::string, std::string, std::string>> seen;
  for (const FiringAlert& alert : firing) {
    if (!seen.insert({alert.alertname, alert.severity, alert.msid, alert.name}).second) {
      continue;
    }
    out->Sample(Labels({{"alertname", alert.alertname},
                        {"severity", alert.severity},
                        {"msid", alert.msid},
                        {"name", alert.name}}),
                1);
  }
}

void WriteTargetFamilies(Exposition* out, const Snapshot& snapshot,
                         const std::vector<FiringAlert>& firing) {
  out->Family("cloudstack_mshost_up",
              "1 if the last read of the mshost table succeeded, 0 otherwise.", "gauge");
  out->Sample({}, snapshot.up ? 1 : 0);

  out->Family("cloudstack_mshost_poll_duration_seconds",
              "Duration of the last poll of the target (query and probes).", "gauge");
  if (snapshot.polled) out->Sample({}, snapshot.poll_duration_seconds);

  out->Family("cloudstack_mshost_last_poll_success_timestamp_seconds",
              "Unix time of the last successful poll; 0 if none succeeded yet.", "gauge");
  out->Sample({}, snapshot.last_success_unix);

  out->Family("cloudstack_mshost_db_now_timestamp_seconds",
              "The database clock (UTC) at the last successful poll.", "gauge");
  if (snapshot.ever_ok) out->Sample({}, snapshot.db_now_unix);

  out->Family("cloudstack_mshost_polls_total",
              "Polls of the target since the exporter started.", "counter");
  out->Sample({}, static_cast<double>(snapshot.polls_total));

  out->Family("cloudstack_mshost_poll_failures_total",
              "Polls whose read of the mshost table failed since the exporter started.",
              "counter");
  out->Sample({}, static_cast<double>(snapshot.poll_failures_total));

  if (snapshot.ever_ok) {
    out->Family(
        "cloudstack_mshost_rows_skipped",
        "Rows of the last successful read that could not be parsed and were left out.",
        "gauge");
    out->Sample({}, static_cast<double>(snapshot.rows_skipped));
    WriteNodeFamilies(out, snapshot);
  }

  WriteAlertFamily(out, firing);
}

void WriteExporterFamilies(Exposition* out, const ExporterStats& stats) {
  out->Family("mshost_exporter_build_info",
              "The exporter's version and source revision; always 1.", "gauge");
  out->Sample(Labels({{"version", stats.version}, {"revision", stats.revision}}), 1);

  out->Family("mshost_exporter_config_last_reload_successful",
              "1 if the last configuration (re)load succeeded; 0 means the running "
              "configuration is older than the file.",
              "gauge");
  out->Sample({}, stats.config_last_reload_successful ? 1 : 0);

  out->Family("mshost_exporter_config_last_reload_success_timestamp_seconds",
              "Unix time of the last successful configuration (re)load.", "gauge");
  out->Sample({}, stats.config_last_reload_success_timestamp_seconds);

  out->Family("mshost_exporter_notifications_total",
              "Notifications sent to each Alertmanager, by result.", "counter");
  for (const auto& [key, count] : stats.notifications) {
    out->Sample(Labels({{"alertmanager", key.first}, {"result", key.second}}),
                static_cast<double>(count));
  }

  out->Family("mshost_exporter_notifications_dropped_total",
              "Notifications dropped because the queue to the Alertmanagers was full.",
              "counter");
  out->Sample({}, static_cast<double>(stats.notifications_dropped));

  out->Family("mshost_exporter_http_requests_total",
              "HTTP responses sent, by status code.", "counter");
  for (const auto& [code, count] : stats.http_requests_by_code) {
    out->Sample(Labels({{"code", std::to_string(code)}}), static_cast<double>(count));
  }
}

// Room for the whole text at once, so it is never copied while it grows: a node's
// series take about 2.1 KB, a peer's about 150 bytes (bench/poll_cost).
size_t ExpectedBytes(const Snapshot* snapshot) {
  const size_t nodes = snapshot != nullptr ? snapshot->nodes.size() : 0;
  const size_t peers = snapshot != nullptr ? snapshot->peers.size() : 0;
  return 6144 + nodes * 2200 + peers * 160;
}

}  // namespace

std::string RenderProbe(const Snapshot& snapshot,
                        const std::vector<FiringAlert>& firing) {
  Exposition out(ExpectedBytes(&snapshot));
  WriteTargetFamilies(&out, snapshot, firing);
  return out.Take();
}

std::string RenderMetrics(const ExporterStats& stats, const Snapshot* snapshot,
                          const std::vector<FiringAlert>& firing) {
  Exposition out(ExpectedBytes(snapshot));
  WriteExporterFamilies(&out, stats);
  if (snapshot != nullptr) WriteTargetFamilies(&out, *snapshot, firing);
  return out.Take();
}

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      out.push_back(static_cast<char>(lead));
      ++i;
      continue;
    }
    // The ranges of RFC 3629: the second byte's range excludes overlong forms,
    // surrogates (ED A0..BF) and code points above U+10FFFF.
    size_t length = 0;
    unsigned char second_min = 0x80, second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) second_min = 0xA0;
      if (lead == 0xED) second_max = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) second_min = 0x90;
      if (lead == 0xF4) second_max = 0x8F;
    }
    size_t valid = length == 0 ? 0 : 1;
    while (valid > 0 && valid < length && i + valid < text.size()) {
      const unsigned char c = static_cast<unsigned char>(text[i + valid]);
      const unsigned char min = valid == 1 ? second_min : 0x80;
      const unsigned char max = valid == 1 ? second_max : 0xBF;
      if (c < min || c > max) break;
      ++valid;
    }
    if (length != 0 && valid == length) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      // One replacement per maximal invalid prefix (Unicode's recommended practice).
      out += kReplacementCharacter;
      i += std::max<size_t>(valid, 1);
    }
  }
  return out;
}

}  // namespace msx
