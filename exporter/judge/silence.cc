#include "judge/silence.h"

#include <algorithm>

namespace msx {

SilenceEstimate SilenceTracker::Observe(uint64_t msid, int64_t runid,
                                        double last_update_unix,
                                        double raw_age_seconds) {
  auto it = nodes_.find(msid);
  if (it == nodes_.end()) {
    // First sight of this node: not a change.
    NodeTrack track;
    track.runid = runid;
    track.last_value = last_update_unix;
    nodes_[msid] = track;
    return {std::max(0.0, raw_age_seconds), std::nullopt};
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
      track.change_ages.clear();
      track.inherited = false;
    }
    track.change_ages.push_back(raw_age_seconds);
    if (track.change_ages.size() > kWindow) track.change_ages.pop_front();
    track.last_value = last_update_unix;
  }
  if (track.change_ages.empty()) return {std::max(0.0, raw_age_seconds), std::nullopt};
  const double offset =
      *std::min_element(track.change_ages.begin(), track.change_ages.end());
  return {std::max(0.0, raw_age_seconds - offset), offset};
}

void SilenceTracker::Retain(const std::set<uint64_t>& present) {
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    it = present.count(it->first) ? std::next(it) : nodes_.erase(it);
  }
}

}  // namespace msx
