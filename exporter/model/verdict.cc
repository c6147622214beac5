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

constexpr VerdictFacts kVerdicts[] = {
    {Verdict::kUpNotRunning, "up_not_running", 0, VerdictLevel::kCritical},
    {Verdict::kUpHeartbeatStale, "up_heartbeat_stale", 1, VerdictLevel::kWarning},
    {Verdict::kUpUnreachable, "up_unreachable", 2, VerdictLevel::kWarning},
    {Verdict::kDownButRunning, "down_but_running", 3, VerdictLevel::kWarning},
    {Verdict::kUnknown, "unknown", 4, VerdictLevel::kUnknown},
    {Verdict::kOk, "ok", 5, VerdictLevel::kOk},
};

const VerdictFacts& FactsOf(Verdict v) {
  for (const VerdictFacts& facts : kVerdicts) {
    if (facts.verdict == v) return facts;
  }
  return kVerdicts[4];  // unknown
}

}  // namespace

const char* VerdictName(Verdict v) { return FactsOf(v).name; }

int VerdictSeverityRank(Verdict v) { return FactsOf(v).severity_rank; }

VerdictLevel LevelOf(Verdict v) { return FactsOf(v).level; }

bool ClaimsRunning(const std::optional<std::string>& state) {
  return !state.has_value() || *state != "Down";
}

}  // namespace msx
