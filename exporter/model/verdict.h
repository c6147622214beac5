// Verdicts: the names of the answers judge/ gives to "does this node's mshost row tell
// the truth?", and the facts about a row's state every output needs
// (docs/verdicts.md). judge/ decides verdicts; everything else only reads them.
//
// Constants and pure functions: thread-safe.
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

// How bad a verdict is for a person on call (`check` maps it to Nagios codes).
enum class VerdictLevel { kOk, kWarning, kCritical, kUnknown };

// The public name: "ok", "up_not_running", ...
const char* VerdictName(Verdict v);
// Worst first, for sorting pages: up_not_running is the worst.
int VerdictSeverityRank(Verdict v);
VerdictLevel LevelOf(Verdict v);

// "claims running": every state but exactly "Down", NULL and unknown states included.
bool ClaimsRunning(const std::optional<std::string>& state);

}  // namespace msx
