#include "judge/judge.h"

#include <algorithm>

namespace msx {

void TargetJudge::ReadFailed(double now_mono) {
  if (outage_since_mono_ || !read_before_) return;
  outage_since_mono_ = now_mono;
  silence_before_outage_ = last_silence_;
}

void TargetJudge::JudgeNodes(double db_now_unix, double now_mono,
                             std::vector<NodeStatus>* nodes) {
  if (outage_since_mono_) {
    outage_since_mono_.reset();
    recovered_since_mono_ = now_mono;
  }
  if (recovered_since_mono_ &&
      now_mono - *recovered_since_mono_ >= heartbeat_.stale_after_seconds) {
    recovered_since_mono_.reset();
  }
  read_before_ = true;
  last_silence_.clear();
  for (NodeStatus& node : *nodes) {
    const MshostRow& row = node.row;
    if (row.last_update_unix) {
      node.raw_age_seconds = db_now_unix - *row.last_update_unix;
      const SilenceEstimate estimate =
          silence_.Observe(row.msid, row.runid, *row.last_update_unix,
                           node.raw_age_seconds);
      node.clock_offset_seconds = estimate.clock_offset_seconds;
      node.silence_seconds =
          CorrectForOutage(row.msid, estimate.silence_seconds, now_mono);
      last_silence_[row.msid] = node.silence_seconds;
    }
    VerdictInput in;
    in.state = row.state;
    in.has_heartbeat = node.has_heartbeat();
    in.silence_seconds = node.silence_seconds;
    if (node.probe) in.alive = node.probe->success;
    in.stale_after_seconds = heartbeat_.stale_after_seconds;
    in.dead_after_seconds = heartbeat_.dead_after_seconds;
    node.verdict = Judge(in);
    node.stale_after_seconds = heartbeat_.stale_after_seconds;
    node.dead_after_seconds = heartbeat_.dead_after_seconds;
  }
}

double TargetJudge::CorrectForOutage(uint64_t msid, double silence_seconds,
                                     double now_mono) const {
  if (!recovered_since_mono_) return silence_seconds;
  auto before = silence_before_outage_.find(msid);
  const double seen = (before == silence_before_outage_.end() ? 0 : before->second) +
                      (now_mono - *recovered_since_mono_);
  return std::min(silence_seconds, seen);
}

void TargetJudge::Retain(const std::set<uint64_t>& present) {
  silence_.Retain(present);
  for (auto* per_node : {&last_silence_, &silence_before_outage_}) {
    for (auto it = per_node->begin(); it != per_node->end();) {
      it = present.count(it->first) ? std::next(it) : per_node->erase(it);
    }
  }
}

}  // namespace msx
