#include "model/verdict.h"

namespace msx {

const VerdictFacts& FactsOf(Verdict v) {
  for (const VerdictFacts& facts : kVerdicts) {
    if (facts.verdict == v) return facts;
  }
  return FactsOf(Verdict::kUnknown);  // not reached: every verdict has a row
}

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
