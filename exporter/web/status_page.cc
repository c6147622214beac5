#include "web/status_page.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace msx {
namespace {

const char* LevelClass(VerdictLevel level) {
  switch (level) {
    case VerdictLevel::kOk:
      return "l-ok";
    case VerdictLevel::kWarning:
      return "l-warning";
    case VerdictLevel::kCritical:
      return "l-critical";
    case VerdictLevel::kUnknown:
      break;
  }
  return "l-unknown";
}

// The script's settings travel as data attributes of <body>, so the script itself is
// one constant text. The ranks are VerdictSeverityRank's, the exporter's one order of
// severity; a verdict's colour is its level's (model/verdict.h), so a new verdict is
// coloured without a change here.
std::string BodyAttributes(double refresh_seconds) {
  nlohmann::json rank = nlohmann::json::object();
  nlohmann::json level = nlohmann::json::object();
  for (Verdict verdict : kAllVerdicts) {
    rank[VerdictName(verdict)] = VerdictSeverityRank(verdict);
    level[VerdictName(verdict)] = LevelClass(LevelOf(verdict));
  }
  const long refresh_ms = std::max(100L, std::lround(refresh_seconds * 1000));
  return " data-refresh-ms=\"" + std::to_string(refresh_ms) + "\" data-verdict-rank=\"" +
         HtmlEscape(rank.dump()) + "\" data-verdict-level=\"" + HtmlEscape(level.dump()) +
         "\"";
}

// `json` made safe as the content of a <script type="application/json"> element,
// whatever strings the database put in it. The HTML parser ends that element at
// "</script" and treats "<!--" specially, so no '<' may stay; '>' and '&' go too, so
// the text means nothing as markup anywhere; U+2028 and U+2029 because JavaScript
// before ES2019 took them for line ends. JSON syntax uses none of these outside
// strings, and inside a string each \uXXXX escape parses back to the same character.
std::string ScriptSafeJson(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    switch (json[i]) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      case '\xE2':  // U+2028 and U+2029 are E2 80 A8 and E2 80 A9 in UTF-8.
        if (json.compare(i, 3, "\xE2\x80\xA8") == 0) {
          out += "\\u2028";
          i += 2;
        } else if (json.compare(i, 3, "\xE2\x80\xA9") == 0) {
          out += "\\u2029";
          i += 2;
        } else {
          out += json[i];
        }
        break;
      default:
        out += json[i];
    }
  }
  return out;
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
.l-ok{background:#bfb}
.l-critical{background:#f88;font-weight:bold}
.l-warning{background:#fc6}
.l-unknown{background:#ccc}
.db.up{color:#060}
.db.down,.bad,.p-failed,.sev-critical{color:#a00}
.db.down,.bad,.sev-critical{font-weight:bold}
.sev-warning{color:#840}
#exporter{color:#444}
</style></head>
)html";

// What the script fills in. Without JavaScript the page can only say so.
const char kShell[] =
    "<header><h1>CloudStack management servers</h1>\n"
    "<p id=\"exporter\">mshost_exporter <span id=\"version\"></span> · "
    "<span id=\"reload\"></span> · data of <span id=\"generated\"></span> · "
    "<span id=\"live\" class=\"bad\">static: JavaScript is off, and this page draws "
    "itself with it; the same data is at api/v1/status</span></p>\n"
    "</header>\n<main id=\"targets\"></main>\n";

// The page's one renderer. It draws the status JSON embedded in the page at once (the
// first paint needs no request), then each answer of api/v1/status, in place. Data
// only ever reaches the document through textContent, setAttribute and className.
const char kScript[] = R"js(<script>
"use strict";
(function () {
  var body = document.body;
  var refreshMs = Number(body.getAttribute("data-refresh-ms"));
  var rank = JSON.parse(body.getAttribute("data-verdict-rank"));
  var level = JSON.parse(body.getAttribute("data-verdict-level"));
  var live = document.getElementById("live");
  var nodeColumns = ["name", "msid", "state", "verdict", "heartbeat age", "silence",
    "stale / dead after", "heartbeat interval", "clock offset", "probe", "probed at",
    "version", "started (runid)", "JVM start / stop", "host boot", "restarts seen",
    "alert_count", "agents", "jobs in progress"];
  var alertColumns = ["alert", "severity", "node", "msid", "firing since", "for"];
  var peerColumns = ["node", "msid", "sees peer", "peer msid", "as"];

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // "2024-05-01 12:00:03 UTC"; "-" for none (null, or 0 in a runid). Years past 9999
  // do not fit the format (and a runid that far out is garbage).
  function FormatTime(t) {
    if (!(t > 0) || t >= 253402300800) return "-";
    return new Date(Math.floor(t) * 1000).toISOString().slice(0, 19).replace("T", " ") +
        " UTC";
  }
  // "4.2s", "42s", "12m 05s", "3h 07m", "2d 3h": precise while it is short, readable
  // when it is long.
  function FormatDuration(s) {
    if (typeof s !== "number" || !isFinite(s)) return "-";
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
  // runid is the JVM's start time in milliseconds.
  function Started(runid) { var ms = Number(runid); return ms > 0 ? FormatTime(ms / 1000) : "-"; }
  // A superseded row is an old identity of a live host: say which row replaced it and
  // how to remove it (docs/verdicts.md, "One host, several rows").
  function VerdictText(n) {
    if (n.verdict !== "superseded" || n.superseded_by === null) return n.verdict;
    return n.verdict + " by msid " + n.superseded_by + ": remove this row with " +
        "removeManagementServer (CloudStack 4.20.1+, the row must be Down)";
  }
  function NodeCells(n) {
    var never = n.last_update === null;
    var probeClass = "probe" + (n.probe === null ? "" : n.probe.success ? " p-ok" : " p-failed");
    return [["name", n.name], ["msid", n.msid], ["state", n.state],
      ["verdict v-" + n.verdict + " " + LevelClassOf(n.verdict), VerdictText(n)],
      ["age", never ? "never" : FormatOptionalDuration(n.raw_age_seconds)],
      ["silence", never ? "never" : FormatOptionalDuration(n.silence_seconds)],
      ["thresholds", FormatDuration(n.stale_after_seconds) + " / " +
          FormatDuration(n.dead_after_seconds)],
      ["interval", FormatOptionalDuration(n.heartbeat_interval_seconds)],
      ["offset", FormatOffset(n.clock_offset_seconds)],
      [probeClass, ProbeText(n)], ["address", ProbeAddress(n)], ["version", n.version],
      ["started", Started(n.runid)],
      ["jvm", FormatTime(n.jvm_start) + " / " + FormatTime(n.jvm_stop)],
      ["boot", FormatTime(n.system_boot)], ["restarts", String(n.restarts)],
      ["alert_count", String(n.alert_count)],
      ["agents", AgentsText(n)],
      ["jobs", n.jobs_in_progress === null ? "-" : String(n.jobs_in_progress)]];
  }
  // "37 (35 Up, 2 Disconnected)"; "-" until agents were read (or without the grants).
  function CountsText(counts) {
    return Object.keys(counts).sort().map(function (k) { return counts[k] + " " + k; }).join(", ");
  }
  function AgentsText(n) {
    if (n.agents_total === null) return "-";
    var by = CountsText(n.agents);
    return by === "" ? String(n.agents_total) : n.agents_total + " (" + by + ")";
  }
  function BlastLine(t, now) {
    var b = t.blast_radius;
    if (b.up === null) return null;
    var text = b.up ? "Agents and jobs read " : "Agents and jobs NOT READABLE: " + b.error + ".";
    if (b.up) text += FormatTime(b.read_at) + " (" + FormatDuration(now - b.read_at) + " ago).";
    else if (b.read_at !== null) text += " Counts as of " + FormatTime(b.read_at) + ".";
    var loose = CountsText(b.unattached_agents);
    if (loose !== "") text += " Agents attached to no current node: " + loose + ".";
    return [b.up && loose === "" ? "blast" : "blast bad", text];
  }
  function RankOf(verdict) { return rank.hasOwnProperty(verdict) ? rank[verdict] : 99; }
  function LevelClassOf(verdict) {
    return level.hasOwnProperty(verdict) ? level[verdict] : "l-unknown";
  }
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
    text += " " + t.running_nodes + " of " + t.nodes.length +
        " nodes are running (claim running and heartbeat).";
    return [t.running_nodes === 0 ? "poll bad" : "poll", text];
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
    // The name links the target's own metrics.
    var name = h2.appendChild(Element("a", "target-name", t.name));
    name.setAttribute("href", "probe?target=" + encodeURIComponent(t.name));
    name.setAttribute("title", "this target's metrics: /probe?target=" + t.name);
    if (t["default"]) h2.appendChild(Element("small", "default", " (default target)"));
    section.appendChild(h2);
    [DbLine(t, now), PollLine(t, now), BlastLine(t, now)].forEach(function (line) {
      if (line !== null) section.appendChild(Element("p", line[0], line[1]));
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
  }
  function Live(klass, text) { live.className = klass; live.textContent = text; }
  function Refresh() {
    fetch("api/v1/status", {cache: "no-store"}).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (model) {
      Render(model);
      var updates = Number(body.getAttribute("data-updates")) + 1;
      body.setAttribute("data-updates", String(updates));
      Live("", "live: updates every " + FormatDuration(refreshMs / 1000));
    }).catch(function (error) {
      Live("bad", "update failed at " + FormatTime(Date.now() / 1000) + " (" + error.message +
          "): the data shown may be old");
    }).then(function () { setTimeout(Refresh, refreshMs); });
  }
  // data-updates counts the redraws from api/v1/status, not the first drawing.
  body.setAttribute("data-updates", "0");
  try {
    Render(JSON.parse(document.getElementById("initial-status").textContent));
    Live("", "live: updates every " + FormatDuration(refreshMs / 1000));
  } catch (error) {
    Live("bad", "could not draw the embedded status (" + error.message +
        "): waiting for api/v1/status");
  }
  setTimeout(Refresh, refreshMs);
})();
</script>
)js";

}  // namespace

std::string RenderStatusHtml(const std::string& status_json, double refresh_seconds,
                             const std::string& telemetry_path) {
  std::string page = kHead;
  page += "<body" + BodyAttributes(refresh_seconds) + ">\n";
  std::string shell = kShell;
  std::string nav = "<nav id=\"endpoints\">";
  const std::pair<std::string, std::string> links[] = {
      {telemetry_path, "exporter and default target metrics"},
      {"/api/v1/status", "this page as JSON"},
      {"/-/healthy", "healthy"},
      {"/-/ready", "ready"}};
  bool first = true;
  for (const auto& [path, title] : links) {
    if (!first) nav += " · ";
    first = false;
    // Relative (no leading '/'), as the script's api/v1/status.
    nav += "<a href=\"" + HtmlEscape(path.substr(1)) + "\" title=\"" + title + "\">" +
           HtmlEscape(path) + "</a>";
  }
  nav += "</nav>\n";
  shell.insert(shell.find("</header>"), nav);
  page += shell;
  page += "<script id=\"initial-status\" type=\"application/json\">" +
          ScriptSafeJson(status_json) + "</script>\n";
  return page + kScript + "</body></html>\n";
}

}  // namespace msx
