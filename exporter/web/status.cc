#include "web/status.h"

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
  view.heartbeat_interval_seconds = node.heartbeat_interval_seconds;
  view.stale_after_seconds = node.stale_after_seconds;
  view.dead_after_seconds = node.dead_after_seconds;
  if (node.superseded_by) view.superseded_by = std::to_string(*node.superseded_by);
  view.jvm_start_unix = row.jvm_start_unix;
  view.jvm_stop_unix = row.jvm_stop_unix;
  view.system_boot_unix = row.system_boot_unix;
  view.restarts = node.restarts;
  view.alert_count = row.alert_count;
  view.load = node.load;
  return view;
}

nlohmann::json Optional(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// 0 stands for "never" in the snapshot's timestamps.
nlohmann::json Timestamp(double unix_seconds) {
  return unix_seconds > 0 ? nlohmann::json(unix_seconds) : nlohmann::json(nullptr);
}

// {"Up": 37, "Disconnected": 2}: counts by status, as a JSON object.
nlohmann::json Counts(const std::map<std::string, uint64_t>& counts) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [status, count] : counts) json[status] = count;
  return json;
}

nlohmann::json BlastRadiusJson(const BlastRadiusStatus& blast) {
  return {{"up", blast.attempted ? nlohmann::json(blast.up) : nlohmann::json(nullptr)},
          {"error", blast.error},
          {"read_at", Timestamp(blast.read_unix)},
          {"unattached_agents", Counts(blast.unattached_agents)}};
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
          {"heartbeat_interval_seconds", Optional(node.heartbeat_interval_seconds)},
          {"stale_after_seconds", node.stale_after_seconds},
          {"dead_after_seconds", node.dead_after_seconds},
          {"superseded_by", node.superseded_by.empty() ? nlohmann::json(nullptr)
                                                       : nlohmann::json(node.superseded_by)},
          {"jvm_start", Optional(node.jvm_start_unix)},
          {"jvm_stop", Optional(node.jvm_stop_unix)},
          {"system_boot", Optional(node.system_boot_unix)},
          {"restarts", node.restarts},
          {"alert_count", node.alert_count},
          {"agents", node.load ? Counts(node.load->agents) : nlohmann::json(nullptr)},
          {"agents_total",
           node.load ? nlohmann::json(node.load->agents_total) : nlohmann::json(nullptr)},
          {"jobs_in_progress", node.load ? nlohmann::json(node.load->jobs_in_progress)
                                         : nlohmann::json(nullptr)}};
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

}  // namespace

StatusModel BuildStatus(const std::vector<RunningTarget>& targets, double now_unix) {
  StatusModel model;
  model.version = MSX_VERSION;
  model.generated_unix = now_unix;
  for (const RunningTarget& input : targets) {
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
      view.running_nodes = snap->running_nodes;
      view.blast_radius = snap->blast_radius;
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
                       {"running_nodes", target.running_nodes},
                       {"running_ok_nodes", target.running_ok_nodes},
                       {"nodes", std::move(nodes)},
                       {"alerts", std::move(alerts)},
                       {"peers_available", target.peers_available},
                       {"peers", std::move(peers)},
                       {"blast_radius", BlastRadiusJson(target.blast_radius)}});
  }
  return {{"version", model.version},
          {"generated_at", model.generated_unix},
          {"config",
           {{"last_reload_successful", model.config_reload_ok},
            {"last_reload_success", Timestamp(model.config_reload_success_unix)}}},
          {"targets", std::move(targets)}};
}

std::string StatusJsonText(const StatusModel& model) {
  return StatusJson(model).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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
