#include "judge/verdict.h"

namespace msx {

Verdict Judge(const VerdictInput& in) {
  const bool stale = !in.has_heartbeat || in.silence_seconds > in.stale_after_seconds;
  const bool silent = !in.has_heartbeat || in.silence_seconds > in.dead_after_seconds;
  if (!ClaimsRunning(in.state)) {
    // A clean stop leaves a fresh heartbeat behind, so only the probe can tell a Down
    // row that lies.
    return in.alive.value_or(false) ? Verdict::kDownButRunning : Verdict::kOk;
  }
  if (!in.alive.has_value()) {
    // Probing off: the heartbeat is the only signal, so wait for the longer threshold.
    return stale ? Verdict::kUpNotRunning : Verdict::kOk;
  }
  if (*in.alive) {
    // A JVM paused by garbage collection still accepts connections: never dead.
    return stale ? Verdict::kUpHeartbeatStale : Verdict::kOk;
  }
  // Two independent signals agree the node is gone, so dead_after suffices.
  return silent ? Verdict::kUpNotRunning : Verdict::kUpUnreachable;
}

}  // namespace msx
