// SilenceTracker: how long has a node really been silent, whatever its clock says?
//
// CloudStack writes last_update from each node's own clock, so the raw age
// (database now - last_update) of a node whose clock is 30 s behind is 30 s even while
// it heartbeats. Per node and runid the tracker keeps the raw age seen at the first
// poll that saw each new last_update value (a "change"), over the last kWindow
// changes; their minimum estimates the node's clock offset, and
// silence = max(0, raw age - offset). Until a change is seen (first sight, a node
// already dead), silence = max(0, raw age). A restart (new runid) keeps the previous
// run's estimate until the new run makes its own first change: the node's clock did
// not change with its JVM. A dead node makes no changes, so its silence grows at the
// speed of the database clock. A node clock stepped backwards (last_update goes back)
// restarts the window, so the old offset cannot hide it. (docs/verdicts.md, "Silence:
// robust to node clocks".)
//
// Not thread-safe: one tracker per target, used by that target's poller only.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>

namespace msx {

struct SilenceEstimate {
  double silence_seconds = 0;
  std::optional<double> clock_offset_seconds;  // nullopt until a change is seen
};

class SilenceTracker {
 public:
  static constexpr size_t kWindow = 20;

  // One poll's observation of one node. REQUIRES: last_update_unix is not NULL
  // (a NULL heartbeat has no silence: callers treat it as stale).
  SilenceEstimate Observe(uint64_t msid, int64_t runid, double last_update_unix,
                          double raw_age_seconds);

  // Forgets nodes not in `present` (removed rows), so memory follows the table.
  void Retain(const std::set<uint64_t>& present);

  size_t TrackedNodes() const { return nodes_.size(); }

 private:
  struct NodeTrack {
    int64_t runid = 0;
    double last_value = 0;
    std::deque<double> change_ages;  // raw ages at changes, newest last
    bool inherited = false;          // change_ages are the previous run's
  };
  std::map<uint64_t, NodeTrack> nodes_;
};

}  // namespace msx
