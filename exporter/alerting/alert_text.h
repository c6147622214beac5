// The words of the built-in alerts: a node's facts as the summaries and descriptions
// say them, and the expansion of the verdict alerts' text templates (model/verdict.h,
// kVerdicts).
//
// A template is text with placeholders in braces, filled in for one node:
//   {server}       "Management server ms1" (the msid for a row without a name)
//   {subject}      "ms1 (msid 42, target prod)"
//   {state}        the row's state, "<NULL>" for NULL
//   {silence}      "its heartbeat has been silent for 12.0s", or that it never did
//   {dead_after}   the node's dead_after, "5.0s"; {stale_after} likewise
//   {probe}        "the probe of 10.0.0.1:9090 failed: connection refused", ...
//   {will_clear}   whether CloudStack will ever set the row Down by itself
//   {load}         " 37 agents ... are attached to it." (with its leading space), or
//                  nothing when agents and jobs were never read
//   {load_gone}    the same for a node that is gone: " ms1 is gone; ... are still
//                  attached to it."
// Anything else in braces, an unknown name included, stays in the text as written,
// so a misspelt placeholder shows in the alert instead of silently vanishing; a unit
// test keeps kVerdicts free of them (UnknownPlaceholders).
//
// Pure functions: thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/snapshot.h"

namespace msx {

// "12.0s".
std::string Seconds(double seconds);
// The row's state, "<NULL>" for NULL.
std::string StateText(const NodeStatus& node);
// The name, or the msid for a row without one.
std::string ShortName(const NodeStatus& node);
// "ms1 (msid 42, target prod)".
std::string Subject(const NodeStatus& node, const std::string& target);
// What the node holds, from the last read of agents and jobs: "ms-2 is gone; 37 agents
// (35 Up, 2 Disconnected) and 4 jobs in progress are still attached to it." (`gone`)
// or "37 agents ... are attached to it.", with a leading space. Empty when they were
// never read (no grants), so the description never guesses.
std::string LoadText(const NodeStatus& node, bool gone);

// `text` with each known placeholder replaced by its value for `node`, one of
// `snapshot`'s nodes, of target `target`.
std::string ExpandAlertText(std::string_view text, const NodeStatus& node,
                            const Snapshot& snapshot, const std::string& target);

// The names in braces in `text` that are no placeholder, in order.
std::vector<std::string> UnknownPlaceholders(std::string_view text);

}  // namespace msx
