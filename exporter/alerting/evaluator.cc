#include "alerting/evaluator.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <optional>
#include <tuple>
#include <utility>


namespace msx {
namespace {

std::string Seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1fs", seconds);
  return text;
}

std::string StateText(const NodeStatus& node) {
  return node.row.state ? *node.row.state : "<NULL>";
}

// The name, or the msid for a row without one.
std::string ShortName(const NodeStatus& node) {
  if (!node.row.name || node.row.name->empty()) return std::to_string(node.row.msid);
  return *node.row.name;
}

// "ms1 (msid 42, target prod)".
std::string Subject(const NodeStatus& node, const std::string& target) {
  const std::string name =
      node.row.name && !node.row.name->empty() ? *node.row.name : "(unnamed)";
  return name + " (msid " + std::to_string(node.row.msid) + ", target " + target + ")";
}

std::string SilenceText(const NodeStatus& node) {
  if (!node.has_heartbeat()) return "it has never heartbeated (last_update is NULL)";
  return "its heartbeat has been silent for " + Seconds(node.silence_seconds);
}

std::string ProbeText(const NodeStatus& node) {
  if (!node.probe) return "probing is off";
  const std::string where = node.probe_address.empty() ? "" : " of " + node.probe_address;
  if (node.probe->success) return "the probe" + where + " succeeded";
  const std::string why = node.probe->error.empty() ? "failed" : node.probe->error;
  return "the probe" + where + " failed: " + why;
}

// (4, 20, 1) from "4.20.1.0"; nullopt when the text does not start with a version.
std::optional<std::tuple<int, int, int>> ParseVersion(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  int major = 0, minor = 0, patch = 0;
  if (std::sscanf(text->c_str(), "%d.%d.%d", &major, &minor, &patch) < 2) {
    return std::nullopt;
  }
  return std::make_tuple(major, minor, patch);
}

// Whether CloudStack will ever set this node's row Down by itself, which tells the
// person on call whether they must act (docs/verdicts.md, "What peers do"): only a
// live peer running 4.20.1 or later does, only for a row in state Up, about 150 s
// after its last heartbeat.
std::string WillCloudStackClear(const NodeStatus& node, const Snapshot& snapshot) {
  if (node.row.state != std::string("Up")) {
    return "CloudStack will never set this row Down by itself: peers clear only rows "
           "in state Up.";
  }
  bool any_peer = false;
  bool any_new_peer = false;
  bool any_unknown_peer = false;
  for (const NodeStatus& peer : snapshot.nodes) {
    if (peer.row.msid == node.row.msid || !ClaimsRunning(peer.row.state) ||
        peer.silence_seconds > peer.stale_after_seconds || !peer.has_heartbeat()) {
      continue;
    }
    any_peer = true;
    const auto version = ParseVersion(peer.row.version);
    if (!version) {
      any_unknown_peer = true;
    } else if (*version >= std::make_tuple(4, 20, 1)) {
      any_new_peer = true;
    }
  }
  if (!any_peer) {
    return "CloudStack will never set this row Down by itself: no other management "
           "server is running.";
  }
  if (any_new_peer) {
    return "A live peer running 4.20.1 or later will set this row Down about 150 s "
           "after its last heartbeat; until then other nodes and load balancers trust "
           "it.";
  }
  if (any_unknown_peer) {
    return "CloudStack may not set this row Down by itself: only peers running 4.20.1 "
           "or later do, and the live peers' versions are unknown.";
  }
  return "CloudStack will never set this row Down by itself: the live peers run "
         "versions before 4.20.1, which leave a dead node's row as it is.";
}

// What the node holds, from the last read of agents and jobs: "ms-2 is gone; 37 agents
// (35 Up, 2 Disconnected) and 4 jobs in progress are still attached to it." Empty
// when they were never read (no grants), so the description never guesses.
std::string LoadText(const NodeStatus& node, bool gone) {
  if (!node.load) return "";
  const NodeLoad& load = *node.load;
  if (load.agents_total == 0 && load.jobs_in_progress == 0) {
    return gone ? " " + ShortName(node) + " is gone; no agents and no jobs in progress "
                  "were attached to it."
                : " No agents and no jobs in progress are attached to it.";
  }
  std::string counts = DescribeLoad(load);
  if (load.agents.size() > 1) {
    std::string by_status;
    for (const auto& [status, count] : load.agents) {
      by_status += (by_status.empty() ? "" : ", ") + std::to_string(count) + " " + status;
    }
    const size_t agents_end = counts.find(" and ");
    counts.insert(agents_end, " (" + by_status + ")");
  }
  if (gone)
    return " " + ShortName(node) + " is gone; " + counts + " are still attached to it.";
  return " " + counts + " are attached to it.";
}

std::string KeyOf(const std::string& alertname, const std::string& msid) {
  return alertname + "/" + msid;
}

}  // namespace

Evaluator::Evaluator(AlertTarget target, std::vector<AlertRule> rules,
                     double resend_interval_seconds, const Clock& clock)
    : target_(std::move(target)),
      rules_(std::move(rules)),
      resend_interval_seconds_(resend_interval_seconds),
      clock_(clock) {}

Evaluation Evaluator::Evaluate(const Snapshot& snapshot) {
  const double now_mono = clock_.MonotonicSeconds();
  const double now_unix = clock_.UnixSeconds();
  TrackOutage(snapshot, now_mono);

  std::map<std::string, Condition> active;
  for (Condition& condition : Conditions(snapshot, now_unix)) {
    std::string key = KeyOf(condition.rule->alertname, condition.msid);
    active.emplace(std::move(key), std::move(condition));
  }
  Advance(std::move(active), /*nodes_readable=*/snapshot.up, now_mono, now_unix);
  return Report(now_mono, now_unix);
}

void Evaluator::TrackOutage(const Snapshot& snapshot, double now_mono) {
  if (!snapshot.up) {
    if (!outage_since_mono_) outage_since_mono_ = now_mono;
    return;
  }
  if (outage_since_mono_) {
    // The node data did not move during the outage, so neither may `for` clocks.
    const double paused = now_mono - *outage_since_mono_;
    for (auto& [key, instance] : instances_) {
      if (instance.condition.rule->per_node && instance.phase == Phase::kPending) {
        instance.pending_since_mono += paused;
      }
    }
    outage_since_mono_.reset();
  }
  TrackRestarts(snapshot, now_mono);
}

void Evaluator::Advance(std::map<std::string, Condition> active, bool nodes_readable,
                        double now_mono, double now_unix) {
  for (auto it = instances_.begin(); it != instances_.end();) {
    Instance& instance = it->second;
    const AlertRule& rule = *instance.condition.rule;
    if (!nodes_readable && rule.per_node) {  // frozen
      ++it;
      continue;
    }
    auto found = active.find(it->first);
    if (found != active.end()) {
      if (instance.phase == Phase::kResolved) {
        instance = Instance{};  // fires again: a new alert with a new start
        instance.pending_since_mono = now_mono;
      }
      instance.condition = std::move(found->second);
      active.erase(found);
    } else if (instance.phase == Phase::kPending) {
      it = instances_.erase(it);
      continue;
    } else if (instance.phase == Phase::kFiring) {
      instance.phase = Phase::kResolved;
      instance.resolved_at_unix = now_unix;
      instance.resolved_at_mono = now_mono;
      instance.last_sent_mono.reset();
    }
    ++it;
  }
  for (auto& [key, condition] : active) {
    Instance instance;
    instance.condition = std::move(condition);
    instance.pending_since_mono = now_mono;
    instances_.emplace(key, std::move(instance));
  }

  for (auto it = instances_.begin(); it != instances_.end();) {
    Instance& instance = it->second;
    const AlertRule& rule = *instance.condition.rule;
    const bool frozen = !nodes_readable && rule.per_node;
    if (instance.phase == Phase::kPending && !frozen &&
        now_mono - instance.pending_since_mono >= rule.for_seconds) {
      instance.phase = Phase::kFiring;
      instance.fired_at_unix = now_unix;
      instance.last_sent_mono.reset();
    }
    if (instance.phase == Phase::kResolved &&
        now_mono - instance.resolved_at_mono >= kResolvedResendSeconds) {
      it = instances_.erase(it);
      continue;
    }
    ++it;
  }
}

Evaluation Evaluator::Report(double now_mono, double now_unix) {
  Evaluation result;
  for (auto& [key, instance] : instances_) {
    if (instance.phase == Phase::kPending) continue;
    const AlertRule& rule = *instance.condition.rule;
    if (instance.phase == Phase::kFiring) {
      FiringAlert firing;
      firing.alertname = rule.alertname;
      firing.severity = rule.severity;
      firing.msid = instance.condition.msid;
      firing.name = instance.condition.name;
      firing.labels = LabelsOf(instance.condition);
      firing.annotations = instance.condition.annotations;
      firing.active_since_unix = instance.fired_at_unix;
      result.firing.push_back(std::move(firing));
    }
    if (!instance.last_sent_mono ||
        now_mono - *instance.last_sent_mono >= resend_interval_seconds_) {
      result.to_send.push_back(NotificationOf(instance, now_unix));
      instance.last_sent_mono = now_mono;
    }
  }
  return result;
}

void Evaluator::TrackRestarts(const Snapshot& snapshot, double now_mono) {
  // Nodes that left the table leave the history too.
  std::map<uint64_t, RestartHistory> current;
  for (const NodeStatus& node : snapshot.nodes) {
    auto previous = restarts_.find(node.row.msid);
    if (previous == restarts_.end()) {
      // First sight: restarts before it are not ours to date.
      current[node.row.msid].last_restarts = node.restarts;
      continue;
    }
    RestartHistory history = std::move(previous->second);
    if (node.restarts > history.last_restarts) {
      // One more than the threshold is all the rule can tell apart.
      const uint64_t changes = std::min<uint64_t>(node.restarts - history.last_restarts,
                                                  kFlappingMaxRestarts + 1);
      history.change_times_mono.insert(history.change_times_mono.end(), changes,
                                       now_mono);
    }
    // A smaller counter means a new poller (a reload): count from there.
    history.last_restarts = node.restarts;
    while (!history.change_times_mono.empty() &&
           now_mono - history.change_times_mono.front() >= kFlappingWindowSeconds) {
      history.change_times_mono.pop_front();
    }
    current[node.row.msid] = std::move(history);
  }
  restarts_ = std::move(current);
}

std::vector<Evaluator::Condition> Evaluator::Conditions(const Snapshot& snapshot,
                                                      double now_unix) const {
  auto rule_named = [this](const char* alertname) -> const AlertRule* {
    for (const AlertRule& rule : rules_) {
      if (rule.alertname == alertname) return &rule;
    }
    assert(false && "ResolveAlertRules yields every rule of the table");
    return nullptr;
  };
  const std::string& target = target_.name;
  std::vector<Condition> out;

  if (!snapshot.up) {
    Condition c{rule_named(kAlertSourceDown), "", "", {}};
    c.annotations["summary"] = "The mshost table of " + target + " cannot be read";
    std::string description = "The exporter cannot read cloud.mshost of target " +
                              target + ": " +
                              (snapshot.last_error.empty() ? std::string("unknown error")
                                                           : snapshot.last_error) +
                              ".";
    if (snapshot.ever_ok) {
      description += " Last successful read " +
                     Seconds(now_unix - snapshot.last_success_unix) +
                     " ago; node alerts keep the state they had then until it answers.";
    } else {
      description += " It has not been read since the exporter started.";
    }
    c.annotations["description"] = description;
    out.push_back(std::move(c));
  }

  if (snapshot.ever_ok) {
    std::string nodes;
    for (const NodeStatus& node : snapshot.nodes) {
      nodes += (nodes.empty() ? "" : "; ") + ShortName(node) + ": state " +
               StateText(node) + ", verdict " + VerdictName(node.verdict);
    }
    // Running = claims running and heartbeats (not stale): whether the exporter can
    // reach a node's port does not decide whether the cloud has a management server.
    if (snapshot.running_nodes == 0) {
      Condition c{rule_named(kAlertNoRunningMgmtServer), "", "", {}};
      c.annotations["summary"] =
          "No CloudStack management server of " + target + " is running";
      std::string description =
          snapshot.nodes.empty()
              ? "The mshost table of " + target + " has no current rows."
              : "No node both claims running and heartbeats. " + nodes + ".";
      if (!snapshot.up) {
        description +=
            " Judged on the last successful read: the database is unreachable.";
      }
      c.annotations["description"] = description;
      out.push_back(std::move(c));
    }
  }

  if (!snapshot.up) return out;  // node alerts are frozen

  for (const NodeStatus& node : snapshot.nodes) {
    const std::string server = "Management server " + ShortName(node);
    const std::string subject = Subject(node, target);
    const std::string state = StateText(node);
    auto add = [&](const char* alertname, const std::string& summary,
                   const std::string& description) {
      Condition c{rule_named(alertname),
                  std::to_string(node.row.msid),
                  node.row.name.value_or(""),
                  {}};
      c.annotations["summary"] = summary;
      c.annotations["description"] = description;
      out.push_back(std::move(c));
    };
    switch (node.verdict) {
      case Verdict::kUpNotRunning:
        add(kAlertUpNotRunning, server + " is marked running but is gone",
            "The cloud.mshost row of " + subject + " says " + state + ", but " +
                SilenceText(node) + " (dead_after " + Seconds(node.dead_after_seconds) +
                ") and " + ProbeText(node) +
                ". Other nodes, load balancers and admins still trust it "
                "(apache/cloudstack#9722). " +
                WillCloudStackClear(node, snapshot) + LoadText(node, true));
        break;
      case Verdict::kStopUnfinished:
        add(kAlertStopUnfinished, server + " stopped without finishing its stop",
            "The cloud.mshost row of " + subject + " says " + state +
                " (the operator asked it to stop), but " + SilenceText(node) +
                " (dead_after " + Seconds(node.dead_after_seconds) + ") and " +
                ProbeText(node) +
                ": the process is gone but its stop never wrote Down "
                "(apache/cloudstack#9722). " +
                WillCloudStackClear(node, snapshot) + LoadText(node, true));
        break;
      case Verdict::kUpHeartbeatStale:
        add(kAlertHeartbeatStale, server + " answers but does not heartbeat",
            subject + " is marked " + state + " and " + ProbeText(node) + ", but " +
                SilenceText(node) + " (stale_after " + Seconds(node.stale_after_seconds) +
                "): the process hangs, cannot reach the database, or is shutting down. " +
                WillCloudStackClear(node, snapshot) + LoadText(node, false));
        break;
      case Verdict::kUpUnreachable:
        add(kAlertUnreachable, server + " heartbeats but cannot be reached",
            subject + " is marked " + state + " and keeps heartbeating, but " +
                ProbeText(node) +
                ": a firewall, a wrong probe address (service_ip is often 127.0.0.1) or "
                "a cluster port that stopped listening." +
                LoadText(node, false));
        break;
      case Verdict::kDownButRunning:
        add(kAlertDownButRunning, server + " is marked Down but still answers",
            "The cloud.mshost row of " + subject + " says Down, but " + ProbeText(node) +
                ": a process that did not stop, or another service on its cluster port." +
                LoadText(node, false));
        break;
      case Verdict::kOk:
      case Verdict::kMaintenance:  // planned work
      case Verdict::kSuperseded:   // an old identity of a live host
      case Verdict::kUnknown:
        break;
    }
    auto history = restarts_.find(node.row.msid);
    if (history != restarts_.end() &&
        history->second.change_times_mono.size() > kFlappingMaxRestarts) {
      add(kAlertFlapping, server + " keeps restarting",
          subject + " got " + std::to_string(history->second.change_times_mono.size()) +
              " new runids within 15 minutes (more than " +
              std::to_string(kFlappingMaxRestarts) + "), " +
              std::to_string(node.restarts) +
              " since the exporter started: a crash loop, an OOM kill or a watchdog "
              "restarting it. State " +
              state + ", runid " + std::to_string(node.row.runid) + "." +
              LoadText(node, false));
    }
  }
  return out;
}

std::map<std::string, std::string> Evaluator::LabelsOf(const Condition& condition) const {
  // The loader rejects target labels named like ours; ours win all the same.
  std::map<std::string, std::string> labels = target_.labels;
  labels["alertname"] = condition.rule->alertname;
  labels["severity"] = condition.rule->severity;
  labels["target"] = target_.name;
  if (condition.rule->per_node) {
    labels["msid"] = condition.msid;
    labels["name"] = condition.name;
  }
  return labels;
}

AlertNotification Evaluator::NotificationOf(const Instance& instance,
                                            double now_unix) const {
  AlertNotification n;
  n.labels = LabelsOf(instance.condition);
  n.annotations = instance.condition.annotations;
  n.starts_at_unix = instance.fired_at_unix;
  n.ends_at_unix = instance.phase == Phase::kResolved
                       ? instance.resolved_at_unix
                       : now_unix + 4 * resend_interval_seconds_;
  return n;
}

}  // namespace msx
