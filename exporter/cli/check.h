// The `check` subcommand: a Nagios-style plugin that watches the configured
// target(s) for a few polls, prints one line per node and answers with an exit code
// (docs/operations.md, "The check subcommand").
//
// Silence is judged by heartbeat progress, so RunCheck polls at least twice,
// poll_interval apart, before it judges (a node with a skewed clock needs one
// observed heartbeat change to be recognised as alive). JudgeStatus is pure and
// shares the status model with /api/v1/status, so `check` and the page agree.
// Nothing here is shared between threads.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "runtime/parts.h"
#include "web/status.h"
#include "common/clock.h"
#include "config/config.h"

namespace msx {

// Nagios plugin exit codes.
enum class CheckCode { kOk = 0, kWarning = 1, kCritical = 2, kUnknown = 3 };

// "OK", "WARNING", "CRITICAL", "UNKNOWN".
const char* CheckCodeName(CheckCode code);

struct CheckReport {
  CheckCode code = CheckCode::kUnknown;
  // Worst first, so the first line (what Nagios shows) says why: one per node,
  // e.g. "CRITICAL target=prod name=ms1 msid=42 state=Up verdict=up_not_running
  // silence=31.0s", plus one per target-wide problem (database unreachable, no
  // running node).
  std::vector<std::string> lines;
};

// Per node: its verdict's level (LevelOf, the `check` column of docs/verdicts.md,
// "Order of decision"). A target whose last read failed is UNKNOWN (its nodes are not
// judged), and a target with no node that both claims running and is ok is CRITICAL. Across lines the code is the worst, in the order
// CRITICAL > UNKNOWN > WARNING > OK (a real outage found elsewhere outranks one
// target we could not read).
CheckReport JudgeStatus(const StatusModel& model);

struct CheckOptions {
  std::string target;  // "" = every target
  double observe_seconds = 4;
};

// Polls the chosen target(s) for observe_seconds (at least two polls, one
// poll_interval apart; `sleep` waits between them) and judges the last poll. An
// unknown target name is UNKNOWN.
CheckReport RunCheck(const Config& config, const CheckOptions& options,
                     const Clock& clock, const PartsFactory& make_parts,
                     const std::function<void(double seconds)>& sleep);

}  // namespace msx
