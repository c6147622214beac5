// IntervalEstimator: how often does each node heartbeat? (docs/verdicts.md,
// "Thresholds follow the heartbeat")
//
// cluster.heartbeat.interval is a CloudStack setting (1.5 s by default; operators
// raise it), and last_update is written in whole seconds. Per node the estimator
// keeps the distinct last_update values of the last kWindow polls and whether each
// poll saw a new one:
//   - some polls saw no new value: polls come faster than heartbeats, so each new
//     value is one heartbeat; the interval is the mean step between values (steps
//     more than twice the median are gaps, a dead or restarting node, and are left
//     out). Exact, whole-second truncation averages out;
//   - every poll saw a new value: heartbeats come at least as often as polls, and the
//     interval is at most the smaller of the shortest step and the mean time between
//     polls. That bound is what is reported: at the default 1.5 s with 2 s polls it is
//     1 s; when polls are much slower than heartbeats it overestimates, so thresholds
//     err long (later detection, never a false verdict).
// Nothing is reported before three distinct values (two steps). A node that stops
// heartbeating keeps its last estimate; a restart (new runid) keeps it too, as the
// interval is the cluster's. A value going backwards (the node's clock was stepped)
// restarts the window.
//
// Not thread-safe: one estimator per target, used by its poller only.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>

namespace msx {

class IntervalEstimator {
 public:
  static constexpr size_t kWindow = 20;

  // One poll's observation of one node: the database clock and its last_update.
  // Returns the estimate in seconds, or nullopt while unknown.
  std::optional<double> Observe(uint64_t msid, double db_now_unix,
                                double last_update_unix);

  // The current estimate without observing (a node with NULL last_update).
  std::optional<double> Estimate(uint64_t msid) const;

  // Forgets nodes not in `present`.
  void Retain(const std::set<uint64_t>& present);

 private:
  struct Track {
    std::deque<double> values;      // distinct last_update values, oldest first
    std::deque<bool> changed;       // per poll: a new value was seen
    std::deque<double> poll_times;  // db clock of each poll
    std::optional<double> estimate;
  };
  static std::optional<double> Compute(const Track& track);

  std::map<uint64_t, Track> nodes_;
};

}  // namespace msx
