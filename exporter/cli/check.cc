#include "cli/check.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <utility>

#include "common/log.h"
#include "poll/poller.h"

namespace msx {
namespace {

// Higher is worse; see JudgeStatus for why UNKNOWN sits below CRITICAL.
int Rank(CheckCode code) {
  switch (code) {
    case CheckCode::kOk:
      return 0;
    case CheckCode::kWarning:
      return 1;
    case CheckCode::kUnknown:
      return 2;
    case CheckCode::kCritical:
      return 3;
  }
  return 2;
}

CheckCode CodeOf(Verdict verdict) {
  switch (LevelOf(verdict)) {
    case VerdictLevel::kOk:
      return CheckCode::kOk;
    case VerdictLevel::kWarning:
      return CheckCode::kWarning;
    case VerdictLevel::kCritical:
      return CheckCode::kCritical;
    case VerdictLevel::kUnknown:
      return CheckCode::kUnknown;
  }
  return CheckCode::kUnknown;
}

std::string SilenceText(const std::optional<double>& silence) {
  if (!silence) return "-";  // last_update is NULL: never heartbeated
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1fs", *silence);
  return buf;
}

}  // namespace

const char* CheckCodeName(CheckCode code) {
  switch (code) {
    case CheckCode::kOk:
      return "OK";
    case CheckCode::kWarning:
      return "WARNING";
    case CheckCode::kCritical:
      return "CRITICAL";
    case CheckCode::kUnknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

CheckReport JudgeStatus(const StatusModel& model) {
  std::vector<std::pair<CheckCode, std::string>> found;
  for (const TargetView& target : model.targets) {
    std::string target_field = "target=" + LogQuote(target.name);
    if (!target.db_up) {
      std::string why = target.last_error.empty() ? "not polled" : target.last_error;
      found.emplace_back(CheckCode::kUnknown,
                         target_field + " database unreachable: " + why);
      continue;
    }
    for (const NodeView& node : target.nodes) {
      found.emplace_back(CodeOf(node.verdict),
                         target_field + " name=" + LogQuote(node.name) +
                             " msid=" + node.msid + " state=" + LogQuote(node.state) +
                             " verdict=" + VerdictName(node.verdict) +
                             " silence=" + SilenceText(node.silence_seconds));
    }
    if (target.running_nodes == 0) {
      found.emplace_back(CheckCode::kCritical,
                         target_field +
                             " no node is running (claims running with a fresh heartbeat)");
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return Rank(a.first) > Rank(b.first);
  });
  CheckReport report;
  report.code = found.empty() ? CheckCode::kUnknown : found.front().first;
  for (const auto& [code, text] : found) {
    report.lines.push_back(std::string(CheckCodeName(code)) + " " + text);
  }
  if (found.empty()) report.lines.push_back("UNKNOWN no target to check");
  return report;
}

CheckReport RunCheck(const Config& config, const CheckOptions& options,
                     const Clock& clock, const PartsFactory& make_parts,
                     const std::function<void(double seconds)>& sleep) {
  std::vector<std::unique_ptr<TargetPoller>> pollers;
  for (const TargetConfig& target : config.targets) {
    if (!options.target.empty() && target.name != options.target) continue;
    TargetParts parts = make_parts(target);
    pollers.push_back(std::make_unique<TargetPoller>(target, config.poll_interval_seconds,
                                                     std::move(parts.source),
                                                     std::move(parts.prober), clock));
  }
  if (pollers.empty()) {
    CheckReport report;
    report.lines.push_back("UNKNOWN unknown target " + LogQuote(options.target) +
                           " (not in " + config.file + ")");
    return report;
  }

  const double interval = config.poll_interval_seconds;
  // 1e-9 keeps "4s / 500ms" at 8 intervals despite floating point.
  int polls = 1 + static_cast<int>(std::floor(options.observe_seconds / interval + 1e-9));
  polls = std::max(polls, 2);
  for (int i = 0; i < polls; ++i) {
    if (i > 0) sleep(interval);
    for (auto& poller : pollers) poller->PollOnce();
  }

  std::vector<RunningTarget> inputs;
  for (auto& poller : pollers) {
    RunningTarget input;
    input.name = poller->target().name;
    input.snapshot = poller->Latest();
    inputs.push_back(std::move(input));
  }
  return JudgeStatus(BuildStatus(inputs, clock.UnixSeconds()));
}

}  // namespace msx
