// Verdicts: does a node's mshost row tell the truth? (docs/verdicts.md, "Order of
// decision")
//
// Pure functions of one node's facts; thread-safe, no state.
#pragma once

#include <optional>
#include <string>
#include <tuple>

#include "model/verdict.h"

namespace msx {

// The target's `heartbeat:` settings (docs/configuration.md). Unset thresholds follow
// the heartbeat interval observed per node (ThresholdsFor).
struct HeartbeatConfig {
  std::optional<double> stale_after_seconds;
  std::optional<double> dead_after_seconds;  // REQUIRES: <= stale_after when both set

  auto Tie() const { return std::tie(stale_after_seconds, dead_after_seconds); }
  bool operator==(const HeartbeatConfig& o) const { return Tie() == o.Tie(); }
};

// The defaults at CloudStack's default interval of 1.5 s, and the least number of
// observed intervals each threshold spans when it adapts.
inline constexpr double kDefaultStaleAfterSeconds = 10;
inline constexpr double kDefaultDeadAfterSeconds = 5;
inline constexpr double kStaleAfterIntervals = 6;
inline constexpr double kDeadAfterIntervals = 3;

struct Thresholds {
  double stale_after_seconds = kDefaultStaleAfterSeconds;
  double dead_after_seconds = kDefaultDeadAfterSeconds;
};

// The thresholds in force for a node whose observed heartbeat interval is
// `interval_seconds` (nullopt until observed): a configured value as it is; an unset
// one max(default, N intervals), so exactly 10 s and 5 s at 1.5 s. dead_after never
// exceeds stale_after.
Thresholds ThresholdsFor(const HeartbeatConfig& config,
                         std::optional<double> interval_seconds);

struct VerdictInput {
  std::optional<std::string> state;  // nullopt = SQL NULL (in service)
  bool has_heartbeat = false;        // last_update is not NULL
  double silence_seconds = 0;        // see silence.h; ignored without heartbeat
  std::optional<bool> alive;         // last probe; nullopt = probing off
  double stale_after_seconds = kDefaultStaleAfterSeconds;
  double dead_after_seconds = kDefaultDeadAfterSeconds;
  // Another current row has the same name and probe address and is not stale.
  bool has_fresh_twin = false;
};

// "stale": silence > stale_after, or no heartbeat at all.
bool IsStale(const VerdictInput& in);

Verdict Judge(const VerdictInput& in);

}  // namespace msx
