// SilenceTracker: how long has a node really been silent, whatever its clock says?
//
// CloudStack writes last_update from each node's own clock, so the raw age
// (database now - last_update) of a node whose clock is 30 s behind is 30 s even while
// it heartbeats. Per node and runid the tracker keeps, over the last kWindow new
// last_update values (the "changes"), two bounds on the node's clock offset that each
// change proves:
//   upper: the raw age at the first poll that saw the value (the heartbeat cannot have
//          been written after that poll);
//   lower: that raw age minus the time since the previous poll (which still saw the
//          old value, so the heartbeat was written after it) and minus 1 s when the
//          value is whole seconds (DATETIME truncates: the real time was up to 1 s
//          later).
// The estimate is the middle of the tightest interval, but never more than
// kMaxCorrectionSeconds below the smallest raw age: the smallest raw age alone (the
// first design) takes in the truncation and the poll phase, ~1 s at the defaults, and
// made every dead node look that much less silent. silence = max(0, raw age - offset).
// When the bounds disagree (a clock stepped forward, a commit slower than a poll
// interval) the estimate is the smallest raw age. Until a change is seen (first sight,
// a node already dead), silence = max(0, raw age). A restart (new runid) keeps the
// previous run's estimate until the new run makes its own first change: the node's
// clock did not change with its JVM. A dead node makes no changes, so its silence
// grows at the speed of the database clock. A node clock stepped backwards
// (last_update goes back) restarts the window, so the old offset cannot hide it.
// (docs/verdicts.md, "Silence: robust to node clocks".)
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
  // last_update's resolution: the most the estimate goes below the smallest raw age.
  static constexpr double kMaxCorrectionSeconds = 1.0;

  // One poll's observation of one node, read at database time db_now_unix.
  // REQUIRES: last_update_unix is not NULL (a NULL heartbeat has no silence: callers
  // treat it as stale).
  SilenceEstimate Observe(uint64_t msid, int64_t runid, double last_update_unix,
                          double db_now_unix);

  // Forgets nodes not in `present` (removed rows), so memory follows the table.
  void Retain(const std::set<uint64_t>& present);

  size_t TrackedNodes() const { return nodes_.size(); }

 private:
  // What one change proves about the node's clock offset.
  struct Bounds {
    double upper;
    double lower;
  };
  struct NodeTrack {
    int64_t runid = 0;
    double last_value = 0;
    double last_seen_db = 0;     // database time of the previous observation
    std::deque<Bounds> changes;  // newest last
    bool inherited = false;      // changes are the previous run's
  };
  static double Estimate(const std::deque<Bounds>& changes);
  std::map<uint64_t, NodeTrack> nodes_;
};

}  // namespace msx
