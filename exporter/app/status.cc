#include "app/status.h"

#include <cstdio>

namespace msx {
namespace {

NodeView ViewOf(const NodeStatus& node) {
  const MshostRow& row = node.row;
  NodeView view;
  view.msid = std::to_string(row.msid);
  view.name = row.name.value_or("");
  view.uuid = row.uuid.value_or("");
  view.version = row.version.value_or("");
  view.state = row.state.value_or("<NULL>");
  view.claims_running = ClaimsRunning(row.state);
  view.runid = std::to_string(row.runid);
  view.service_ip = row.service_ip;
  view.service_port = row.service_port;
  view.last_update_unix = row.last_update_unix;
  if (node.has_heartbeat()) {
    view.raw_age_seconds = node.raw_age_seconds;
    view.silence_seconds = node.silence_seconds;
  }
  view.clock_offset_seconds = node.clock_offset_seconds;
  view.probe = node.probe;
  view.probe_address = node.probe_address;
  view.probe_loopback = node.probe_loopback;
  view.verdict = node.verdict;
  view.restarts = node.restarts;
  view.alert_count = row.alert_count;
  return view;
}

nlohmann::json Optional(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// 0 stands for "never" in the snapshot's timestamps.
nlohmann::json Timestamp(double unix_seconds) {
  return unix_seconds > 0 ? nlohmann::json(unix_seconds) : nlohmann::json(nullptr);
}

nlohmann::json NodeJson(const NodeView& node) {
  nlohmann::json probe = nullptr;
  if (node.probe) {
    probe = {{"success", node.probe->success},
             {"duration_seconds", node.probe->duration_seconds},
             {"error", node.probe->error},
             {"address", node.probe_address},
             {"loopback", node.probe_loopback}};
  }
  return {{"msid", node.msid},
          {"name", node.name},
          {"uuid", node.uuid},
          {"version", node.version},
          {"state", node.state},
          {"claims_running", node.claims_running},
          {"runid", node.runid},
          {"service_ip", node.service_ip},
          {"service_port", node.service_port},
          {"last_update", Optional(node.last_update_unix)},
          {"raw_age_seconds", Optional(node.raw_age_seconds)},
          {"silence_seconds", Optional(node.silence_seconds)},
          {"clock_offset_seconds", Optional(node.clock_offset_seconds)},
          {"probe", probe},
          {"verdict", VerdictName(node.verdict)},
          {"restarts", node.restarts},
          {"alert_count", node.alert_count}};
}

nlohmann::json PeerJson(const PeerStatus& peer) {
  nlohmann::json json;
  json["owner_msid"] = std::to_string(peer.owner_msid);
  json["owner_name"] = peer.owner_name;
  json["peer_msid"] = std::to_string(peer.peer_msid);
  json["peer_name"] = peer.peer_name;
  json["peer_runid"] = std::to_string(peer.peer_runid);
  json["state"] = peer.state;
  return json;
}

nlohmann::json AlertJson(const FiringAlert& alert) {
  return {{"alertname", alert.alertname},
          {"severity", alert.severity},
          {"msid", alert.msid},
          {"name", alert.name},
          {"labels", alert.labels},
          {"annotations", alert.annotations},
          {"active_since", Timestamp(alert.active_since_unix)}};
}

std::string Seconds(const std::optional<double>& seconds) {
  if (!seconds) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1fs", *seconds);
  return buf;
}

std::string ProbeText(const NodeView& node) {
  if (!node.probe) return "off";
  std::string text = node.probe->success ? "ok " : "failed ";
  text += node.probe_address;
  if (!node.probe->error.empty()) text += " (" + node.probe->error + ")";
  return text;
}

// The page's script renders the same columns from the JSON; keep the two in step.
const char kPageHead[] = R"html(<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>mshost_exporter</title>
<style>
body{font-family:sans-serif;margin:1em}
table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}
.ok{background:#dfd}.bad{background:#fdd}.warn{background:#ffd}
</style></head><body>
<h1>mshost_exporter</h1>
<div id="targets">
)html";

// Follows the variables COLUMNS and REFRESH_MS that RenderStatusPage writes.
const char kPageScript[] = R"js(function secs(v){return v===null?"-":v.toFixed(1)+"s";}
function cls(verdict){return verdict==="ok"?"ok":verdict==="up_not_running"?"bad":"warn";}
function probeText(n){if(n.probe===null)return "off";
 var t=(n.probe.success?"ok ":"failed ")+n.probe.address;
 return n.probe.error?t+" ("+n.probe.error+")":t;}
function el(tag,text,klass){var e=document.createElement(tag);
 if(text!==undefined)e.textContent=text;if(klass)e.className=klass;return e;}
function render(model){
 var root=document.getElementById("targets");root.textContent="";
 model.targets.forEach(function(t){
  var h=el("h2","Target "+t.name+(t.db.up?" (database up)":" (database DOWN: "+t.db.last_error+")"),t.db.up?"":"bad");
  root.appendChild(h);
  var table=el("table");var head=el("tr");
  COLUMNS.forEach(function(c){head.appendChild(el("th",c));});table.appendChild(head);
  t.nodes.forEach(function(n){var tr=el("tr",undefined,cls(n.verdict));
   [n.name,n.msid,n.state,n.verdict,secs(n.raw_age_seconds),secs(n.silence_seconds),
    secs(n.clock_offset_seconds),probeText(n),String(n.restarts),String(n.alert_count),
    n.version,n.runid].forEach(function(v){tr.appendChild(el("td",v));});
   table.appendChild(tr);});
  root.appendChild(table);
  if(t.alerts.length>0){var ul=el("ul");t.alerts.forEach(function(a){
   ul.appendChild(el("li",a.alertname+" ("+a.severity+")"+(a.name?" "+a.name:"")));});
   root.appendChild(el("h3","Firing alerts"));root.appendChild(ul);}
 });}
function refresh(){fetch("api/v1/status").then(function(r){return r.json();})
 .then(render).catch(function(){});}
setInterval(refresh,REFRESH_MS);
</script></body></html>
)js";

const char* const kColumns[] = {"name",     "msid",        "state",        "verdict",
                                "raw age",  "silence",     "clock offset", "probe",
                                "restarts", "peer alerts", "version",      "runid"};

std::string VerdictClass(Verdict verdict) {
  if (verdict == Verdict::kOk) return "ok";
  return verdict == Verdict::kUpNotRunning ? "bad" : "warn";
}

void RenderTarget(const TargetView& target, std::string* out) {
  std::string title =
      "Target " + target.name +
      (target.db_up ? " (database up)" : " (database DOWN: " + target.last_error + ")");
  *out += std::string("<h2") + (target.db_up ? "" : " class=\"bad\"") + ">" +
          HtmlEscape(title) + "</h2>\n<table><tr>";
  for (const char* column : kColumns) *out += std::string("<th>") + column + "</th>";
  *out += "</tr>\n";
  for (const NodeView& node : target.nodes) {
    *out += "<tr class=\"" + VerdictClass(node.verdict) + "\">";
    for (const std::string& cell :
         {node.name, node.msid, node.state, std::string(VerdictName(node.verdict)),
          Seconds(node.raw_age_seconds), Seconds(node.silence_seconds),
          Seconds(node.clock_offset_seconds), ProbeText(node),
          std::to_string(node.restarts), std::to_string(node.alert_count), node.version,
          node.runid}) {
      *out += "<td>" + HtmlEscape(cell) + "</td>";
    }
    *out += "</tr>\n";
  }
  *out += "</table>\n";
  if (!target.alerts.empty()) {
    *out += "<h3>Firing alerts</h3><ul>";
    for (const FiringAlert& alert : target.alerts) {
      std::string text = alert.alertname + " (" + alert.severity + ")" +
                         (alert.name.empty() ? "" : " " + alert.name);
      *out += "<li>" + HtmlEscape(text) + "</li>";
    }
    *out += "</ul>\n";
  }
}

}  // namespace

StatusModel BuildStatus(const std::vector<TargetStatusInput>& targets, double now_unix) {
  StatusModel model;
  model.version = MSX_VERSION;
  model.generated_unix = now_unix;
  for (const TargetStatusInput& input : targets) {
    TargetView view;
    view.name = input.name;
    view.is_default = input.is_default;
    view.alerts = input.alerts;
    if (const Snapshot* snap = input.snapshot.get()) {
      view.polled = snap->polled;
      view.ever_ok = snap->ever_ok;
      view.db_up = snap->up;
      view.last_error = snap->last_error;
      view.db_up_since_unix = snap->up ? input.db_up_since_unix : 0;
      view.db_down_since_unix = snap->db_down_since_unix;
      view.db_now_unix = snap->db_now_unix;
      view.last_poll_unix = snap->last_poll_unix;
      view.last_success_unix = snap->last_success_unix;
      view.poll_duration_seconds = snap->poll_duration_seconds;
      view.peers_available = snap->peers_available;
      view.peers = snap->peers;
      for (const NodeStatus& node : snap->nodes) {
        view.nodes.push_back(ViewOf(node));
        const NodeView& added = view.nodes.back();
        if (added.claims_running && added.verdict == Verdict::kOk) {
          ++view.running_ok_nodes;
        }
      }
    }
    model.targets.push_back(std::move(view));
  }
  return model;
}

nlohmann::json StatusJson(const StatusModel& model) {
  nlohmann::json targets = nlohmann::json::array();
  for (const TargetView& target : model.targets) {
    nlohmann::json nodes = nlohmann::json::array();
    for (const NodeView& node : target.nodes) nodes.push_back(NodeJson(node));
    nlohmann::json alerts = nlohmann::json::array();
    for (const FiringAlert& alert : target.alerts) alerts.push_back(AlertJson(alert));
    nlohmann::json peers = nlohmann::json::array();
    for (const PeerStatus& peer : target.peers) peers.push_back(PeerJson(peer));
    targets.push_back({{"name", target.name},
                       {"default", target.is_default},
                       {"polled", target.polled},
                       {"db",
                        {{"up", target.db_up},
                         {"ever_up", target.ever_ok},
                         {"last_error", target.last_error},
                         {"up_since", Timestamp(target.db_up_since_unix)},
                         {"down_since", Timestamp(target.db_down_since_unix)},
                         {"now", Timestamp(target.db_now_unix)}}},
                       {"last_poll", Timestamp(target.last_poll_unix)},
                       {"last_success", Timestamp(target.last_success_unix)},
                       {"poll_duration_seconds", target.poll_duration_seconds},
                       {"running_ok_nodes", target.running_ok_nodes},
                       {"nodes", std::move(nodes)},
                       {"alerts", std::move(alerts)},
                       {"peers_available", target.peers_available},
                       {"peers", std::move(peers)}});
  }
  return {{"version", model.version},
          {"generated_at", model.generated_unix},
          {"config",
           {{"last_reload_successful", model.config_reload_ok},
            {"last_reload_success", Timestamp(model.config_reload_success_unix)}}},
          {"targets", std::move(targets)}};
}

std::string RenderStatusPage(const StatusModel& model, double refresh_seconds) {
  std::string page = kPageHead;
  for (const TargetView& target : model.targets) RenderTarget(target, &page);
  page += "</div>\n<script>\n\"use strict\";\nvar COLUMNS=[";
  for (const char* column : kColumns) {
    page += std::string(page.back() == '[' ? "" : ",") + "\"" + column + "\"";
  }
  page += "];\nvar REFRESH_MS=" +
          std::to_string(static_cast<int>(refresh_seconds * 1000 + 0.5)) + ";\n";
  return page + kPageScript;
}

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace msx
