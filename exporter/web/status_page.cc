#include "web/status_page.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iterator>
#include <nlohmann/json.hpp>
#include <vector>

namespace msx {
namespace {

// The page draws every part twice: here for the first load (and for readers without
// JavaScript), and in kScript from the JSON for each refresh. Each function below has
// a twin of the same name in kScript; change them together (the browser test compares
// the two renderings).

struct Cell {
  std::string klass;
  std::string text;
};

const char* const kNodeColumns[] = {
    "name",         "msid",  "state",     "verdict", "heartbeat age",   "silence",
    "clock offset", "probe", "probed at", "version", "started (runid)", "restarts seen",
    "alert_count"};

const char* const kAlertColumns[] = {"alert", "severity",     "node",
                                     "msid",  "firing since", "for"};

const char* const kPeerColumns[] = {"node", "msid", "sees peer", "peer msid", "as"};

// Years past 9999 do not fit the format (and a runid that far out is garbage).
constexpr double kLastFormattableUnix = 253402300800;

// "2024-05-01 12:00:03 UTC"; "-" for none (0 stands for never in the model).
std::string FormatTime(double unix_seconds) {
  if (!(unix_seconds > 0) || unix_seconds >= kLastFormattableUnix) return "-";
  std::time_t t = static_cast<std::time_t>(std::floor(unix_seconds));
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "-";
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// "4.2s", "42s", "12m 05s", "3h 07m", "2d 3h": precise while it is short, readable
// when it is long.
std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds)) return "-";
  const char* sign = seconds < 0 ? "-" : "";
  const double abs = std::fabs(seconds);
  char buf[48];
  if (abs < 10) {
    std::snprintf(buf, sizeof(buf), "%s%.1fs", sign, abs);
    return buf;
  }
  const long long whole = static_cast<long long>(std::floor(abs));
  if (whole < 60) {
    std::snprintf(buf, sizeof(buf), "%s%llds", sign, whole);
  } else if (whole < 3600) {
    std::snprintf(buf, sizeof(buf), "%s%lldm %02llds", sign, whole / 60, whole % 60);
  } else if (whole < 86400) {
    std::snprintf(buf, sizeof(buf), "%s%lldh %02lldm", sign, whole / 3600,
                  whole % 3600 / 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%s%lldd %lldh", sign, whole / 86400,
                  whole % 86400 / 3600);
  }
  return buf;
}

std::string FormatOptionalDuration(const std::optional<double>& seconds) {
  return seconds ? FormatDuration(*seconds) : "-";
}

std::string FormatOffset(const std::optional<double>& seconds) {
  if (!seconds) return "-";
  return (*seconds > 0 ? "+" : "") + FormatDuration(*seconds);
}

std::string FormatFixed(double value, int decimals, const char* unit) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*f%s", decimals, value, unit);
  return buf;
}

std::string ProbeText(const NodeView& node) {
  if (!node.probe) return "off";
  const std::string took = FormatFixed(node.probe->duration_seconds * 1000, 1, " ms");
  if (node.probe->success) return "ok " + took;
  return "failed " + took + (node.probe->error.empty() ? "" : ": " + node.probe->error);
}

std::string ProbeAddress(const NodeView& node) {
  if (!node.probe) return "-";
  return (node.probe_address.empty() ? "-" : node.probe_address) +
         (node.probe_loopback ? " (loopback)" : "");
}

// runid is the JVM's start time in milliseconds.
std::string Started(const std::string& runid) {
  const double ms = std::strtod(runid.c_str(), nullptr);
  return ms > 0 ? FormatTime(ms / 1000) : "-";
}

std::vector<Cell> NodeCells(const NodeView& node) {
  const bool never = !node.last_update_unix.has_value();
  std::string probe_class = "probe";
  if (node.probe) probe_class += node.probe->success ? " p-ok" : " p-failed";
  const std::string verdict = VerdictName(node.verdict);
  return {{"name", node.name},
          {"msid", node.msid},
          {"state", node.state},
          {"verdict v-" + verdict, verdict},
          {"age", never ? "never" : FormatOptionalDuration(node.raw_age_seconds)},
          {"silence", never ? "never" : FormatOptionalDuration(node.silence_seconds)},
          {"offset", FormatOffset(node.clock_offset_seconds)},
          {probe_class, ProbeText(node)},
          {"address", ProbeAddress(node)},
          {"version", node.version},
          {"started", Started(node.runid)},
          {"restarts", std::to_string(node.restarts)},
          {"alert_count", std::to_string(node.alert_count)}};
}

std::vector<const NodeView*> WorstFirst(const std::vector<NodeView>& nodes) {
  std::vector<const NodeView*> sorted;
  for (const NodeView& node : nodes) sorted.push_back(&node);
  std::stable_sort(
      sorted.begin(), sorted.end(), [](const NodeView* a, const NodeView* b) {
        return VerdictSeverityRank(a->verdict) < VerdictSeverityRank(b->verdict);
      });
  return sorted;
}

Cell DbLine(const TargetView& target, double now) {
  if (!target.polled) {
    return {"db pending", "Database not read yet: the first poll runs."};
  }
  if (target.db_up) {
    if (target.db_up_since_unix <= 0) return {"db up", "Database reachable."};
    return {"db up", "Database reachable since " + FormatTime(target.db_up_since_unix) +
                         " (" + FormatDuration(now - target.db_up_since_unix) + ")."};
  }
  std::string text = "Database UNREACHABLE";
  if (target.db_down_since_unix > 0) {
    text += " since " + FormatTime(target.db_down_since_unix) + " (" +
            FormatDuration(now - target.db_down_since_unix) + ")";
  }
  return {"db down", text + ". Error: " + target.last_error};
}

Cell PollLine(const TargetView& target, double now) {
  if (!target.polled) return {"poll", "No poll finished yet."};
  std::string text = "Last poll " + FormatTime(target.last_poll_unix) + " (" +
                     FormatDuration(now - target.last_poll_unix) + " ago), took " +
                     FormatFixed(target.poll_duration_seconds, 3, " s") + ".";
  if (!target.ever_ok) {
    return {"poll bad", text + " Never read since the exporter started: no verdicts."};
  }
  if (!target.db_up) {
    text += " The nodes below are frozen as of the last successful poll, " +
            FormatTime(target.last_success_unix) + " (" +
            FormatDuration(now - target.last_success_unix) + " ago).";
  }
  text += " " + std::to_string(target.running_ok_nodes) + " of " +
          std::to_string(target.nodes.size()) + " nodes claim running and are ok.";
  return {target.running_ok_nodes == 0 ? "poll bad" : "poll", text};
}

std::string AlertClass(const FiringAlert& alert) {
  if (alert.severity == "critical" || alert.severity == "warning") {
    return "sev-" + alert.severity;
  }
  return "sev-other";
}

std::vector<Cell> AlertCells(const FiringAlert& alert, double now) {
  return {
      {"alertname", alert.alertname},
      {"severity", alert.severity},
      {"name", alert.name},
      {"msid", alert.msid},
      {"since", FormatTime(alert.active_since_unix)},
      {"for", alert.active_since_unix > 0 ? FormatDuration(now - alert.active_since_unix)
                                          : "-"}};
}

std::string PeerClass(const PeerStatus& peer) {
  return peer.state == "Up" ? "peer" : "peer bad";
}

std::vector<Cell> PeerCells(const PeerStatus& peer) {
  return {{"name", peer.owner_name},
          {"msid", std::to_string(peer.owner_msid)},
          {"peer-name", peer.peer_name},
          {"peer-msid", std::to_string(peer.peer_msid)},
          {"state", peer.state}};
}

Cell ReloadLine(const StatusModel& model) {
  const std::string when = FormatTime(model.config_reload_success_unix);
  if (model.config_reload_ok) return {"", "configuration loaded " + when};
  return {"bad",
          "last reload FAILED (see the log): running the configuration loaded " + when};
}

void AppendElement(const char* tag, const std::string& klass, const std::string& text,
                   std::string* out) {
  *out += std::string("<") + tag;
  if (!klass.empty()) *out += " class=\"" + HtmlEscape(klass) + "\"";
  *out += ">" + HtmlEscape(text) + "</" + tag + ">";
}

template <size_t N>
void AppendHead(const char* const (&columns)[N], std::string* out) {
  *out += "<thead><tr>";
  for (const char* column : columns) AppendElement("th", "", column, out);
  *out += "</tr></thead>";
}

void AppendCells(const std::vector<Cell>& cells, std::string* out) {
  for (const Cell& cell : cells) AppendElement("td", cell.klass, cell.text, out);
}

void AppendTarget(const TargetView& target, double now, std::string* out) {
  *out += "<section class=\"target\" data-target=\"" + HtmlEscape(target.name) + "\">";
  *out += "<h2>";
  AppendElement("span", "target-name", target.name, out);
  if (target.is_default) AppendElement("small", "default", " (default target)", out);
  *out += "</h2>\n";
  const Cell db = DbLine(target, now);
  AppendElement("p", db.klass, db.text, out);
  const Cell poll = PollLine(target, now);
  AppendElement("p", poll.klass, poll.text, out);
  *out += "\n<table class=\"nodes\">";
  AppendHead(kNodeColumns, out);
  *out += "<tbody>\n";
  for (const NodeView* node : WorstFirst(target.nodes)) {
    const std::string verdict = VerdictName(node->verdict);
    *out += "<tr class=\"node\" data-msid=\"" + HtmlEscape(node->msid) +
            "\" data-verdict=\"" + verdict + "\">";
    AppendCells(NodeCells(*node), out);
    *out += "</tr>\n";
  }
  *out += "</tbody></table>\n";
  AppendElement("h3", "", "Firing alerts", out);
  if (target.alerts.empty()) {
    AppendElement("p", "none", "No alert firing.", out);
  } else {
    *out += "<table class=\"alerts\">";
    AppendHead(kAlertColumns, out);
    *out += "<tbody>\n";
    for (const FiringAlert& alert : target.alerts) {
      *out += "<tr class=\"" + AlertClass(alert) + "\">";
      AppendCells(AlertCells(alert, now), out);
      *out += "</tr>\n";
    }
    *out += "</tbody></table>\n";
  }
  AppendElement("h3", "", "How the nodes see each other (mshost_peer)", out);
  if (!target.peers_available) {
    AppendElement("p", "none", "Not available: mshost_peer was not read.", out);
  } else if (target.peers.empty()) {
    AppendElement("p", "none", "No peer rows.", out);
  } else {
    *out += "<table class=\"peers\">";
    AppendHead(kPeerColumns, out);
    *out += "<tbody>\n";
    for (const PeerStatus& peer : target.peers) {
      *out += "<tr class=\"" + PeerClass(peer) + "\">";
      AppendCells(PeerCells(peer), out);
      *out += "</tr>\n";
    }
    *out += "</tbody></table>\n";
  }
  *out += "</section>\n";
}

template <size_t N>
std::string JsonList(const char* const (&items)[N]) {
  return nlohmann::json(std::vector<std::string>(std::begin(items), std::end(items)))
      .dump();
}

// The script's settings travel as data attributes of <body>, so the script itself is
// one constant text.
std::string BodyAttributes(double refresh_seconds) {
  nlohmann::json rank = nlohmann::json::object();
  for (Verdict verdict : kAllVerdicts) {
    rank[VerdictName(verdict)] = VerdictSeverityRank(verdict);
  }
  const long refresh_ms = std::max(100L, std::lround(refresh_seconds * 1000));
  return " data-refresh-ms=\"" + std::to_string(refresh_ms) + "\" data-verdict-rank=\"" +
         HtmlEscape(rank.dump()) + "\" data-node-columns=\"" +
         HtmlEscape(JsonList(kNodeColumns)) + "\" data-alert-columns=\"" +
         HtmlEscape(JsonList(kAlertColumns)) + "\" data-peer-columns=\"" +
         HtmlEscape(JsonList(kPeerColumns)) + "\"";
}

const char kHead[] = R"html(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mshost_exporter status</title>
<style>
body{font-family:system-ui,sans-serif;margin:1em;color:#111;background:#fff}
h1{font-size:1.4em;margin:0 0 .2em}
h2{font-size:1.2em;margin:1.4em 0 .3em}
h3{font-size:1em;margin:.8em 0 .3em}
p{margin:.2em 0}
table{border-collapse:collapse;font-size:.9em}
th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;white-space:nowrap}
th{background:#eee}
.v-ok{background:#bfb}
.v-up_not_running{background:#f88;font-weight:bold}
.v-up_heartbeat_stale,.v-up_unreachable,.v-down_but_running{background:#fc6}
.v-unknown{background:#ccc}
.db.up{color:#060}
.db.down,.bad,.p-failed,.sev-critical{color:#a00}
.db.down,.bad,.sev-critical{font-weight:bold}
.sev-warning{color:#840}
#exporter{color:#444}
</style></head>
)html";

// Twins of the C++ functions above, drawing the same markup from /api/v1/status.
// Data only ever reaches the document through textContent and className.
const char kScript[] = R"js(<script>
"use strict";
(function () {
  var body = document.body;
  var refreshMs = Number(body.getAttribute("data-refresh-ms"));
  var rank = JSON.parse(body.getAttribute("data-verdict-rank"));
  var nodeColumns = JSON.parse(body.getAttribute("data-node-columns"));
  var alertColumns = JSON.parse(body.getAttribute("data-alert-columns"));
  var peerColumns = JSON.parse(body.getAttribute("data-peer-columns"));
  var live = document.getElementById("live");

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function FormatTime(t) {
    if (!(t > 0) || t >= 253402300800) return "-";
    return new Date(Math.floor(t) * 1000).toISOString().slice(0, 19).replace("T", " ") +
        " UTC";
  }
  function FormatDuration(s) {
    var sign = s < 0 ? "-" : "", abs = Math.abs(s);
    if (abs < 10) return sign + abs.toFixed(1) + "s";
    var whole = Math.floor(abs);
    if (whole < 60) return sign + whole + "s";
    if (whole < 3600) return sign + Math.floor(whole / 60) + "m " + pad(whole % 60) + "s";
    if (whole < 86400) {
      return sign + Math.floor(whole / 3600) + "h " + pad(Math.floor(whole % 3600 / 60)) + "m";
    }
    return sign + Math.floor(whole / 86400) + "d " + Math.floor(whole % 86400 / 3600) + "h";
  }
  function FormatOptionalDuration(s) { return s === null ? "-" : FormatDuration(s); }
  function FormatOffset(s) { return s === null ? "-" : (s > 0 ? "+" : "") + FormatDuration(s); }
  function ProbeText(n) {
    if (n.probe === null) return "off";
    var took = (n.probe.duration_seconds * 1000).toFixed(1) + " ms";
    if (n.probe.success) return "ok " + took;
    return "failed " + took + (n.probe.error === "" ? "" : ": " + n.probe.error);
  }
  function ProbeAddress(n) {
    if (n.probe === null) return "-";
    return (n.probe.address === "" ? "-" : n.probe.address) + (n.probe.loopback ? " (loopback)" : "");
  }
  function Started(runid) { var ms = Number(runid); return ms > 0 ? FormatTime(ms / 1000) : "-"; }
  function NodeCells(n) {
    var never = n.last_update === null;
    var probeClass = "probe" + (n.probe === null ? "" : n.probe.success ? " p-ok" : " p-failed");
    return [["name", n.name], ["msid", n.msid], ["state", n.state],
      ["verdict v-" + n.verdict, n.verdict],
      ["age", never ? "never" : FormatOptionalDuration(n.raw_age_seconds)],
      ["silence", never ? "never" : FormatOptionalDuration(n.silence_seconds)],
      ["offset", FormatOffset(n.clock_offset_seconds)],
      [probeClass, ProbeText(n)], ["address", ProbeAddress(n)], ["version", n.version],
      ["started", Started(n.runid)], ["restarts", String(n.restarts)],
      ["alert_count", String(n.alert_count)]];
  }
  function RankOf(verdict) { return rank.hasOwnProperty(verdict) ? rank[verdict] : 99; }
  function WorstFirst(nodes) {
    return nodes.map(function (n, i) { return [n, i]; }).sort(function (a, b) {
      return RankOf(a[0].verdict) - RankOf(b[0].verdict) || a[1] - b[1];
    }).map(function (pair) { return pair[0]; });
  }
  function DbLine(t, now) {
    if (!t.polled) return ["db pending", "Database not read yet: the first poll runs."];
    if (t.db.up) {
      if (t.db.up_since === null) return ["db up", "Database reachable."];
      return ["db up", "Database reachable since " + FormatTime(t.db.up_since) + " (" +
          FormatDuration(now - t.db.up_since) + ")."];
    }
    var text = "Database UNREACHABLE";
    if (t.db.down_since !== null) {
      text += " since " + FormatTime(t.db.down_since) + " (" +
          FormatDuration(now - t.db.down_since) + ")";
    }
    return ["db down", text + ". Error: " + t.db.last_error];
  }
  function PollLine(t, now) {
    if (!t.polled) return ["poll", "No poll finished yet."];
    var text = "Last poll " + FormatTime(t.last_poll) + " (" +
        FormatDuration(now - t.last_poll) + " ago), took " +
        t.poll_duration_seconds.toFixed(3) + " s.";
    if (!t.db.ever_up) return ["poll bad", text + " Never read since the exporter started: no verdicts."];
    if (!t.db.up) {
      text += " The nodes below are frozen as of the last successful poll, " +
          FormatTime(t.last_success) + " (" + FormatDuration(now - t.last_success) + " ago).";
    }
    text += " " + t.running_ok_nodes + " of " + t.nodes.length +
        " nodes claim running and are ok.";
    return [t.running_ok_nodes === 0 ? "poll bad" : "poll", text];
  }
  function AlertClass(a) {
    return a.severity === "critical" || a.severity === "warning" ? "sev-" + a.severity : "sev-other";
  }
  function AlertCells(a, now) {
    return [["alertname", a.alertname], ["severity", a.severity], ["name", a.name],
      ["msid", a.msid], ["since", FormatTime(a.active_since)],
      ["for", a.active_since !== null ? FormatDuration(now - a.active_since) : "-"]];
  }

  function PeerClass(p) { return p.state === "Up" ? "peer" : "peer bad"; }
  function PeerCells(p) {
    return [["name", p.owner_name], ["msid", p.owner_msid], ["peer-name", p.peer_name],
      ["peer-msid", p.peer_msid], ["state", p.state]];
  }
  function ReloadLine(model) {
    var when = FormatTime(model.config.last_reload_success);
    if (model.config.last_reload_successful) return ["", "configuration loaded " + when];
    return ["bad", "last reload FAILED (see the log): running the configuration loaded " +
        when];
  }

  function Element(tag, klass, text) {
    var e = document.createElement(tag);
    if (klass) e.className = klass;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function Table(klass, columns, rows) {
    var table = Element("table", klass), head = Element("tr"), tbody = Element("tbody");
    columns.forEach(function (c) { head.appendChild(Element("th", "", c)); });
    table.appendChild(Element("thead")).appendChild(head);
    rows.forEach(function (row) { tbody.appendChild(row); });
    table.appendChild(tbody);
    return table;
  }
  function Row(klass, cells) {
    var tr = Element("tr", klass);
    cells.forEach(function (c) { tr.appendChild(Element("td", c[0], c[1])); });
    return tr;
  }
  function Target(t, now) {
    var section = Element("section", "target"), h2 = Element("h2");
    section.setAttribute("data-target", t.name);
    h2.appendChild(Element("span", "target-name", t.name));
    if (t["default"]) h2.appendChild(Element("small", "default", " (default target)"));
    section.appendChild(h2);
    [DbLine(t, now), PollLine(t, now)].forEach(function (line) {
      section.appendChild(Element("p", line[0], line[1]));
    });
    section.appendChild(Table("nodes", nodeColumns, WorstFirst(t.nodes).map(function (n) {
      var tr = Row("node", NodeCells(n));
      tr.setAttribute("data-msid", n.msid);
      tr.setAttribute("data-verdict", n.verdict);
      return tr;
    })));
    section.appendChild(Element("h3", "", "Firing alerts"));
    if (t.alerts.length === 0) {
      section.appendChild(Element("p", "none", "No alert firing."));
    } else {
      section.appendChild(Table("alerts", alertColumns, t.alerts.map(function (a) {
        return Row(AlertClass(a), AlertCells(a, now));
      })));
    }
    section.appendChild(Element("h3", "", "How the nodes see each other (mshost_peer)"));
    if (!t.peers_available) {
      section.appendChild(Element("p", "none", "Not available: mshost_peer was not read."));
    } else if (t.peers.length === 0) {
      section.appendChild(Element("p", "none", "No peer rows."));
    } else {
      section.appendChild(Table("peers", peerColumns, t.peers.map(function (p) {
        return Row(PeerClass(p), PeerCells(p));
      })));
    }
    return section;
  }
  function Render(model) {
    var now = model.generated_at;
    document.getElementById("version").textContent = model.version;
    document.getElementById("generated").textContent = FormatTime(now);
    var reload = ReloadLine(model), reloadSpan = document.getElementById("reload");
    reloadSpan.className = reload[0];
    reloadSpan.textContent = reload[1];
    document.getElementById("targets").replaceChildren.apply(
        document.getElementById("targets"),
        model.targets.map(function (t) { return Target(t, now); }));
    body.setAttribute("data-updates", String(Number(body.getAttribute("data-updates")) + 1));
  }
  function Live(klass, text) { live.className = klass; live.textContent = text; }
  function Refresh() {
    fetch("api/v1/status", {cache: "no-store"}).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (model) {
      Render(model);
      Live("", "live: updates every " + FormatDuration(refreshMs / 1000));
    }).catch(function (error) {
      Live("bad", "update failed at " + FormatTime(Date.now() / 1000) + " (" + error.message +
          "): the data shown may be old");
    }).then(function () { setTimeout(Refresh, refreshMs); });
  }
  body.setAttribute("data-updates", "0");
  Live("", "live: updates every " + FormatDuration(refreshMs / 1000));
  setTimeout(Refresh, refreshMs);
})();
</script>
)js";

}  // namespace

std::string RenderStatusHtml(const StatusModel& model, double refresh_seconds) {
  const double now = model.generated_unix;
  std::string page = kHead;
  page += "<body" + BodyAttributes(refresh_seconds) + ">\n<header>";
  AppendElement("h1", "", "CloudStack management servers", &page);
  page += "\n<p id=\"exporter\">mshost_exporter ";
  page += "<span id=\"version\">" + HtmlEscape(model.version) + "</span> · ";
  const Cell reload = ReloadLine(model);
  page += "<span id=\"reload\" class=\"" + reload.klass + "\">" +
          HtmlEscape(reload.text) + "</span> · data of ";
  page += "<span id=\"generated\">" + FormatTime(now) + "</span> · ";
  page += "<span id=\"live\">static: reload the page to update</span></p>\n";
  page += "</header>\n<main id=\"targets\">\n";
  for (const TargetView& target : model.targets) AppendTarget(target, now, &page);
  page += "</main>\n";
  return page + kScript + "</body></html>\n";
}

}  // namespace msx
