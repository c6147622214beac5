#include "judge/judge.h"

#include <algorithm>

namespace msx {

void TargetJudge::ReadFailed(double now_mono) {
  if (outage_since_mono_ || !read_before_) return;
  outage_since_mono_ = now_mono;
  silence_before_outage_ = last_silence_;
}

size_t TargetJudge::JudgeNodes(double db_now_unix, double now_mono,
                               std::vector<NodeStatus>* nodes) {
  if (outage_since_mono_) {
    outage_since_mono_.reset();
    recovered_since_mono_ = now_mono;
  }
  read_before_ = true;
  last_silence_.clear();

  std::vector<VerdictInput> inputs(nodes->size());
  for (size_t i = 0; i < nodes->size(); ++i) {
    NodeStatus& node = (*nodes)[i];
    const MshostRow& row = node.row;
    if (row.last_update_unix) {
      node.raw_age_seconds = db_now_unix - *row.last_update_unix;
      const SilenceEstimate estimate = silence_.Observe(
          row.msid, row.runid, *row.last_update_unix, db_now_unix);
      node.clock_offset_seconds = estimate.clock_offset_seconds;
      node.heartbeat_interval_seconds =
          intervals_.Observe(row.msid, db_now_unix, *row.last_update_unix);
      node.silence_seconds = estimate.silence_seconds;
    } else {
      node.heartbeat_interval_seconds = intervals_.Estimate(row.msid);
    }
    const Thresholds thresholds = ThresholdsFor(heartbeat_, node.heartbeat_interval_seconds);
    node.stale_after_seconds = thresholds.stale_after_seconds;
    node.dead_after_seconds = thresholds.dead_after_seconds;
    if (row.last_update_unix) {
      node.silence_seconds = CorrectForOutage(row.msid, node.silence_seconds,
                                              node.stale_after_seconds, now_mono);
      last_silence_[row.msid] = node.silence_seconds;
    }
    if (node.heartbeat_interval_seconds) {
      const double floor = 2 * *node.heartbeat_interval_seconds;
      node.threshold_below_interval =
          (heartbeat_.stale_after_seconds && *heartbeat_.stale_after_seconds < floor) ||
          (heartbeat_.dead_after_seconds && *heartbeat_.dead_after_seconds < floor);
    }
    VerdictInput& in = inputs[i];
    in.state = row.state;
    in.has_heartbeat = node.has_heartbeat();
    in.silence_seconds = node.silence_seconds;
    if (node.probe) in.alive = node.probe->success;
    in.stale_after_seconds = node.stale_after_seconds;
    in.dead_after_seconds = node.dead_after_seconds;
  }

  // The same host under a new msid: a stale row with the name and probe address of a
  // fresh one is that host's old identity (docs/verdicts.md, "One host, several rows").
  for (size_t i = 0; i < nodes->size(); ++i) {
    NodeStatus& node = (*nodes)[i];
    if (!IsStale(inputs[i]) || node.probe_address.empty()) continue;
    const std::string name = node.row.name.value_or("");
    if (name.empty()) continue;
    for (size_t j = 0; j < nodes->size(); ++j) {
      const NodeStatus& other = (*nodes)[j];
      if (j == i || IsStale(inputs[j]) || other.row.name.value_or("") != name ||
          other.probe_address != node.probe_address) {
        continue;
      }
      inputs[i].has_fresh_twin = true;
      node.superseded_by = other.row.msid;
      break;
    }
  }

  size_t running = 0;
  for (size_t i = 0; i < nodes->size(); ++i) {
    NodeStatus& node = (*nodes)[i];
    node.verdict = Judge(inputs[i]);
    if (ClaimsRunning(node.row.state) && !IsStale(inputs[i])) ++running;
  }
  return running;
}

double TargetJudge::CorrectForOutage(uint64_t msid, double silence_seconds,
                                     double stale_after, double now_mono) const {
  if (!recovered_since_mono_ || now_mono - *recovered_since_mono_ >= stale_after) {
    return silence_seconds;
  }
  auto before = silence_before_outage_.find(msid);
  const double seen = (before == silence_before_outage_.end() ? 0 : before->second) +
                      (now_mono - *recovered_since_mono_);
  return std::min(silence_seconds, seen);
}

void TargetJudge::Retain(const std::set<uint64_t>& present) {
  silence_.Retain(present);
  intervals_.Retain(present);
  for (auto* per_node : {&last_silence_, &silence_before_outage_}) {
    for (auto it = per_node->begin(); it != per_node->end();) {
      it = present.count(it->first) ? std::next(it) : per_node->erase(it);
    }
  }
}

}  // namespace msx
