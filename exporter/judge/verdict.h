// Verdicts: does a node's mshost row tell the truth? (docs/verdicts.md)
//
// Pure functions of one node's facts; thread-safe, no state.
#pragma once

#include <optional>
#include <string>
#include <tuple>

#include "model/verdict.h"

namespace msx {

// The target's `heartbeat:` settings (docs/configuration.md).
struct HeartbeatConfig {
  double stale_after_seconds = 10;
  double dead_after_seconds = 5;  // REQUIRES: <= stale_after_seconds

  auto Tie() const { return std::tie(stale_after_seconds, dead_after_seconds); }
  bool operator==(const HeartbeatConfig& o) const { return Tie() == o.Tie(); }
};

struct VerdictInput {
  std::optional<std::string> state;  // nullopt = SQL NULL (claims running)
  bool has_heartbeat = false;        // last_update is not NULL
  double silence_seconds = 0;        // see silence.h; ignored without heartbeat
  std::optional<bool> alive;         // last probe; nullopt = probing off
  double stale_after_seconds = 10;
  double dead_after_seconds = 5;
};

Verdict Judge(const VerdictInput& in);

}  // namespace msx
