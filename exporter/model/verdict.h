// Verdicts and states: the names of the answers judge/ gives to "does this node's
// mshost row tell the truth?", and what each CloudStack state means for a node
// (docs/verdicts.md). judge/ decides verdicts; everything else only reads them.
//
// Constants and pure functions: thread-safe.
#pragma once

#include <optional>
#include <string>

namespace msx {

enum class Verdict {
  kOk,
  kMaintenance,
  kSuperseded,
  kUpNotRunning,
  kStopUnfinished,
  kUpHeartbeatStale,
  kUpUnreachable,
  kDownButRunning,
  kUnknown,
};

// Every verdict, in the order the state-set metric lists them.
inline constexpr Verdict kAllVerdicts[] = {
    Verdict::kOk,           Verdict::kMaintenance,      Verdict::kSuperseded,
    Verdict::kUpNotRunning, Verdict::kStopUnfinished,   Verdict::kUpHeartbeatStale,
    Verdict::kUpUnreachable, Verdict::kDownButRunning,  Verdict::kUnknown};

// How bad a verdict is for a person on call (`check` maps it to Nagios codes).
enum class VerdictLevel { kOk, kWarning, kCritical, kUnknown };

// The public name: "ok", "up_not_running", ...
const char* VerdictName(Verdict v);
// Worst first, for sorting pages: up_not_running is the worst.
int VerdictSeverityRank(Verdict v);
VerdictLevel LevelOf(Verdict v);

// What a row's state says about its process (docs/verdicts.md, "States"):
//   in service: Up, Prepar*ToShutDown, PreparingForMaintenance, NULL and any unknown
//     string: a working process should be there;
//   stopping: ReadyToShutDown, ShuttingDown: the operator asked it to stop;
//   maintenance: Maintenance: out of service, stopped or running, both normal;
//   down: Down.
enum class StateGroup { kInService, kStopping, kMaintenance, kDown };

struct KnownState {
  const char* name;
  StateGroup group;
};
// The states CloudStack writes (4.17 to 4.22), in the order the state set lists them.
// Any other string, and NULL, is shown as its own value and is in service.
inline constexpr KnownState kKnownStates[] = {
    {"Up", StateGroup::kInService},
    {"Down", StateGroup::kDown},
    {"PreparingToShutDown", StateGroup::kInService},   // 4.19, 4.20
    {"PreparingForShutDown", StateGroup::kInService},  // 4.21 and later
    {"ReadyToShutDown", StateGroup::kStopping},
    {"ShuttingDown", StateGroup::kStopping},
    {"PreparingForMaintenance", StateGroup::kInService},
    {"Maintenance", StateGroup::kMaintenance},
};

StateGroup GroupOf(const std::optional<std::string>& state);

// "claims running": in service or stopping.
bool ClaimsRunning(const std::optional<std::string>& state);

}  // namespace msx
