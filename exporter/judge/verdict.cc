#include "judge/verdict.h"

#include <algorithm>

namespace msx {

Thresholds ThresholdsFor(const HeartbeatConfig& config,
                         std::optional<double> interval_seconds) {
  const double interval = interval_seconds.value_or(0);
  Thresholds t;
  t.stale_after_seconds = config.stale_after_seconds.value_or(
      std::max(kDefaultStaleAfterSeconds, kStaleAfterIntervals * interval));
  t.dead_after_seconds = config.dead_after_seconds.value_or(
      std::max(kDefaultDeadAfterSeconds, kDeadAfterIntervals * interval));
  // Dead means silent and unreachable: it must not take longer than stale alone.
  t.dead_after_seconds = std::min(t.dead_after_seconds, t.stale_after_seconds);
  return t;
}

bool IsStale(const VerdictInput& in) {
  return !in.has_heartbeat || in.silence_seconds > in.stale_after_seconds;
}

Verdict Judge(const VerdictInput& in) {
  const StateGroup group = GroupOf(in.state);
  const bool stale = IsStale(in);
  const bool silent = !in.has_heartbeat || in.silence_seconds > in.dead_after_seconds;
  const bool probing = in.alive.has_value();
  const bool alive = in.alive.value_or(false);

  // Planned work: a node in Maintenance may be stopped or running, both normal.
  if (group == StateGroup::kMaintenance) return Verdict::kMaintenance;
  // The same host came back under a new msid: this row is its old identity.
  if (stale && in.has_fresh_twin) return Verdict::kSuperseded;
  if (group == StateGroup::kDown) {
    // A clean stop leaves a fresh heartbeat behind, so only the probe can tell a Down
    // row that lies.
    return alive ? Verdict::kDownButRunning : Verdict::kOk;
  }
  if (!stale && (alive || !probing)) return Verdict::kOk;
  // Gone: two independent signals agree (silent for dead_after and nothing listens),
  // or, with probing off, the heartbeat alone for the longer stale_after.
  const bool gone = probing ? silent && !alive : stale;
  if (gone) {
    return group == StateGroup::kStopping ? Verdict::kStopUnfinished
                                          : Verdict::kUpNotRunning;
  }
  // A JVM paused by garbage collection still accepts connections: never dead.
  if (alive) return Verdict::kUpHeartbeatStale;
  return Verdict::kUpUnreachable;
}

}  // namespace msx
