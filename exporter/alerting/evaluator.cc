#include "alerting/evaluator.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <utility>

#include "alerting/alert_text.h"

namespace msx {
namespace {

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
    if (const std::optional<VerdictAlert>& alert = FactsOf(node.verdict).alert) {
      add(alert->name, ExpandAlertText(alert->summary, node, snapshot, target),
          ExpandAlertText(alert->description, node, snapshot, target));
    }
    auto history = restarts_.find(node.row.msid);
    if (history != restarts_.end() &&
        history->second.change_times_mono.size() > kFlappingMaxRestarts) {
      add(kAlertFlapping, "Management server " + ShortName(node) + " keeps restarting",
          Subject(node, target) + " got " +
              std::to_string(history->second.change_times_mono.size()) +
              " new runids within 15 minutes (more than " +
              std::to_string(kFlappingMaxRestarts) + "), " +
              std::to_string(node.restarts) +
              " since the exporter started: a crash loop, an OOM kill or a watchdog "
              "restarting it. State " +
              StateText(node) + ", runid " + std::to_string(node.row.runid) + "." +
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
