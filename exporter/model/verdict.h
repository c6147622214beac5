// Verdicts and states: the answers judge/ gives to "does this node's mshost row tell
// the truth?", and what each CloudStack state means for a node (docs/verdicts.md).
// judge/ decides verdicts; everything else only reads them, and learns all it knows
// of one (its name, rank, level and alert) from its row in kVerdicts. A new verdict:
// its enum value, its row, and when judge/verdict.cc decides it.
//
// Constants and pure functions: thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <iterator>
#include <optional>
#include <string>

namespace msx {

// The enum's order is the order the state-set metric lists verdicts in (kAllVerdicts);
// kUnknown stays last. Every value has one row in kVerdicts below.
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

// How bad a verdict is for a person on call (`check` maps it to Nagios codes).
enum class VerdictLevel { kOk, kWarning, kCritical, kUnknown };

// The alert a verdict raises: its defaults (`alerting.rules` may change both) and its
// text. summary and description are templates with {placeholders} that the evaluator
// fills in for the node (alerting/alert_text.h lists them; a unit test rejects any
// other). The Prometheus rules say the same in Go templates (mixin/verdicts.libsonnet).
struct VerdictAlert {
  const char* name;
  const char* severity;
  double for_seconds;
  const char* summary;
  const char* description;
};

// Everything there is to know about a verdict outside judge/, in one row each.
struct VerdictFacts {
  Verdict verdict;
  const char* name;   // the public name: "ok", "up_not_running", ...
  int severity_rank;  // 0 = worst, for sorting pages
  VerdictLevel level;
  std::optional<VerdictAlert> alert;  // nullopt: pages nobody
};

// One row per verdict (docs/verdicts.md, "Order of decision"). The rows that page come
// in the order of their alerts in alerting/rules.cc's DefaultAlertRules(). Alerts about
// one node wait a minute unless the node is plainly dead: a JVM pause or a short
// network blip must not page.
inline constexpr VerdictFacts kVerdicts[] = {
    {Verdict::kUpNotRunning, "up_not_running", 0, VerdictLevel::kCritical,
     VerdictAlert{
         "CloudStackMgmtServerUpNotRunning", "critical", 0,
         "{server} is marked running but is gone",
         "The cloud.mshost row of {subject} says {state}, but {silence} (dead_after "
         "{dead_after}) and {probe}. Other nodes, load balancers and admins still trust "
         "it (apache/cloudstack#9722). {will_clear}{load_gone}"}},
    {Verdict::kUpHeartbeatStale, "up_heartbeat_stale", 2, VerdictLevel::kWarning,
     VerdictAlert{
         "CloudStackMgmtServerHeartbeatStale", "warning", 60,
         "{server} answers but does not heartbeat",
         "{subject} is marked {state} and {probe}, but {silence} (stale_after "
         "{stale_after}): the process hangs, cannot reach the database, or is shutting "
         "down. {will_clear}{load}"}},
    {Verdict::kUpUnreachable, "up_unreachable", 3, VerdictLevel::kWarning,
     VerdictAlert{
         "CloudStackMgmtServerUnreachable", "warning", 60,
         "{server} heartbeats but cannot be reached",
         "{subject} is marked {state} and keeps heartbeating, but {probe}: a firewall, a "
         "wrong probe address (service_ip is often 127.0.0.1) or a cluster port that "
         "stopped listening.{load}"}},
    {Verdict::kDownButRunning, "down_but_running", 4, VerdictLevel::kWarning,
     VerdictAlert{
         "CloudStackMgmtServerDownButRunning", "warning", 60,
         "{server} is marked Down but still answers",
         "The cloud.mshost row of {subject} says Down, but {probe}: a process that did "
         "not stop, or another service on its cluster port.{load}"}},
    {Verdict::kStopUnfinished, "stop_unfinished", 1, VerdictLevel::kWarning,
     VerdictAlert{
         "CloudStackMgmtServerStopUnfinished", "warning", 60,
         "{server} stopped without finishing its stop",
         "The cloud.mshost row of {subject} says {state} (the operator asked it to "
         "stop), but {silence} (dead_after {dead_after}) and {probe}: the process is "
         "gone but its stop never wrote Down (apache/cloudstack#9722). "
         "{will_clear}{load_gone}"}},
    {Verdict::kUnknown, "unknown", 5, VerdictLevel::kUnknown, std::nullopt},
    // No fault of the node: an old identity of a live host, and planned work.
    {Verdict::kSuperseded, "superseded", 6, VerdictLevel::kOk, std::nullopt},
    {Verdict::kMaintenance, "maintenance", 7, VerdictLevel::kOk, std::nullopt},
    {Verdict::kOk, "ok", 8, VerdictLevel::kOk, std::nullopt},
};

inline constexpr size_t kVerdictCount = std::size(kVerdicts);

constexpr bool EveryVerdictHasOneRow() {
  for (size_t value = 0; value < kVerdictCount; ++value) {
    int rows = 0;
    for (const VerdictFacts& facts : kVerdicts) {
      if (static_cast<size_t>(facts.verdict) == value) ++rows;
    }
    if (rows != 1) return false;
  }
  return true;
}
static_assert(static_cast<size_t>(Verdict::kUnknown) + 1 == kVerdictCount &&
                  EveryVerdictHasOneRow(),
              "every Verdict before kUnknown, and kUnknown, has one row in kVerdicts");

// Every verdict, in the order the state-set metric lists them: the enum's.
inline constexpr std::array<Verdict, kVerdictCount> kAllVerdicts = [] {
  std::array<Verdict, kVerdictCount> all{};
  for (size_t i = 0; i < kVerdictCount; ++i) all[i] = static_cast<Verdict>(i);
  return all;
}();

const VerdictFacts& FactsOf(Verdict v);
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
