#include "model/verdict.h"

namespace msx {

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kOk: return "ok";
    case Verdict::kUpNotRunning: return "up_not_running";
    case Verdict::kUpHeartbeatStale: return "up_heartbeat_stale";
    case Verdict::kUpUnreachable: return "up_unreachable";
    case Verdict::kDownButRunning: return "down_but_running";
    case Verdict::kUnknown: return "unknown";
  }
  return "unknown";
}

int VerdictSeverityRank(Verdict v) {
  switch (v) {
    case Verdict::kUpNotRunning: return 0;
    case Verdict::kUpHeartbeatStale: return 1;
    case Verdict::kUpUnreachable: return 2;
    case Verdict::kDownButRunning: return 3;
    case Verdict::kUnknown: return 4;
    case Verdict::kOk: return 5;
  }
  return 4;
}

bool ClaimsRunning(const std::optional<std::string>& state) {
  return !state.has_value() || *state != "Down";
}

}  // namespace msx
