#include "model/verdict.h"

namespace msx {
namespace {

// Everything there is to know about a verdict outside judge/, in one row each.
struct VerdictFacts {
  Verdict verdict;
  const char* name;
  int severity_rank;  // 0 = worst
  VerdictLevel level;
};

// superseded and maintenance are no fault of the node: an old identity of a live
// host, and planned work. They page nobody.
constexpr VerdictFacts kVerdicts[] = {
    {Verdict::kUpNotRunning, "up_not_running", 0, VerdictLevel::kCritical},
    {Verdict::kStopUnfinished, "stop_unfinished", 1, VerdictLevel::kWarning},
    {Verdict::kUpHeartbeatStale, "up_heartbeat_stale", 2, VerdictLevel::kWarning},
    {Verdict::kUpUnreachable, "up_unreachable", 3, VerdictLevel::kWarning},
    {Verdict::kDownButRunning, "down_but_running", 4, VerdictLevel::kWarning},
    {Verdict::kUnknown, "unknown", 5, VerdictLevel::kUnknown},
    {Verdict::kSuperseded, "superseded", 6, VerdictLevel::kOk},
    {Verdict::kMaintenance, "maintenance", 7, VerdictLevel::kOk},
    {Verdict::kOk, "ok", 8, VerdictLevel::kOk},
};

const VerdictFacts& FactsOf(Verdict v) {
  for (const VerdictFacts& facts : kVerdicts) {
    if (facts.verdict == v) return facts;
  }
  return kVerdicts[5];  // unknown
}

}  // namespace

const char* VerdictName(Verdict v) { return FactsOf(v).name; }

int VerdictSeverityRank(Verdict v) { return FactsOf(v).severity_rank; }

VerdictLevel LevelOf(Verdict v) { return FactsOf(v).level; }

StateGroup GroupOf(const std::optional<std::string>& state) {
  if (!state) return StateGroup::kInService;
  for (const KnownState& known : kKnownStates) {
    if (*state == known.name) return known.group;
  }
  return StateGroup::kInService;
}

bool ClaimsRunning(const std::optional<std::string>& state) {
  const StateGroup group = GroupOf(state);
  return group == StateGroup::kInService || group == StateGroup::kStopping;
}

}  // namespace msx
