#include "judge/silence.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace msx {

SilenceEstimate SilenceTracker::Observe(uint64_t msid, int64_t runid,
                                        double last_update_unix, double db_now_unix) {
  const double raw_age = db_now_unix - last_update_unix;
  auto it = nodes_.find(msid);
  if (it == nodes_.end()) {
    // First sight of this node: not a change.
    NodeTrack track;
    track.runid = runid;
    track.last_value = last_update_unix;
    track.last_seen_db = db_now_unix;
    nodes_[msid] = track;
    return {std::max(0.0, raw_age), std::nullopt};
  }
  NodeTrack& track = it->second;
  if (track.runid != runid) {
    // A restart: the node's clock did not change with its JVM, so the previous run's
    // estimate stands until this run yields its own. Its first value is not a change.
    track.runid = runid;
    track.last_value = last_update_unix;
    track.inherited = true;
  } else if (last_update_unix != track.last_value) {
    if (last_update_unix < track.last_value || track.inherited) {
      track.changes.clear();
      track.inherited = false;
    }
    // The heartbeat was written after the previous poll, which still saw the old value.
    const double since_previous = db_now_unix - track.last_seen_db;
    const double truncation = std::floor(last_update_unix) == last_update_unix ? 1.0 : 0.0;
    const double lower = since_previous > 0 ? raw_age - since_previous - truncation
                                            : -std::numeric_limits<double>::infinity();
    track.changes.push_back({raw_age, lower});
    if (track.changes.size() > kWindow) track.changes.pop_front();
    track.last_value = last_update_unix;
  }
  track.last_seen_db = db_now_unix;
  if (track.changes.empty()) return {std::max(0.0, raw_age), std::nullopt};
  const double offset = Estimate(track.changes);
  return {std::max(0.0, raw_age - offset), offset};
}

double SilenceTracker::Estimate(const std::deque<Bounds>& changes) {
  double upper = std::numeric_limits<double>::infinity();
  double lower = -std::numeric_limits<double>::infinity();
  for (const Bounds& b : changes) {
    upper = std::min(upper, b.upper);
    lower = std::max(lower, b.lower);
  }
  if (lower >= upper) return upper;  // the bounds disagree: trust the smallest raw age
  return std::max(upper - kMaxCorrectionSeconds, (lower + upper) / 2);
}

void SilenceTracker::Retain(const std::set<uint64_t>& present) {
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    it = present.count(it->first) ? std::next(it) : nodes_.erase(it);
  }
}

}  // namespace msx
