// Verdicts: does a node's mshost row tell the truth? (CONTRACT.md, "Verdicts")
//
// Pure functions of one node's facts; thread-safe, no state.
#pragma once

#include <optional>
#include <string>

namespace msx {

enum class Verdict {
  kOk,
  kUpNotRunning,
  kUpHeartbeatStale,
  kUpUnreachable,
  kDownButRunning,
  kUnknown,
};

// Every verdict, in the order the state-set metric lists them.
inline constexpr Verdict kAllVerdicts[] = {
    Verdict::kOk,          Verdict::kUpNotRunning,   Verdict::kUpHeartbeatStale,
    Verdict::kUpUnreachable, Verdict::kDownButRunning, Verdict::kUnknown};

// The contract's name: "ok", "up_not_running", ...
const char* VerdictName(Verdict v);
// Worst first, for sorting pages: up_not_running is the worst.
int VerdictSeverityRank(Verdict v);

struct VerdictInput {
  std::optional<std::string> state;  // nullopt = SQL NULL (claims running)
  bool has_heartbeat = false;        // last_update is not NULL
  double silence_seconds = 0;        // see silence.h; ignored without heartbeat
  std::optional<bool> alive;         // last probe; nullopt = probing off
  double stale_after_seconds = 10;
  double dead_after_seconds = 5;
};

// "claims running": every state but exactly "Down", NULL and unknown states included.
bool ClaimsRunning(const std::optional<std::string>& state);

Verdict Judge(const VerdictInput& in);

}  // namespace msx
