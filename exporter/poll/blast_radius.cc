#include "poll/blast_radius.h"

#include <set>

#include "common/utf8.h"

namespace msx {
namespace {

bool IsBad(Verdict verdict) {
  const VerdictLevel level = LevelOf(verdict);
  return level == VerdictLevel::kWarning || level == VerdictLevel::kCritical;
}

}  // namespace

bool BlastSchedule::Due(double now_mono, const std::vector<NodeStatus>& nodes) {
  bool turned_bad = false;
  std::map<uint64_t, bool> bad;
  for (const NodeStatus& node : nodes) {
    const bool now_bad = IsBad(node.verdict);
    const auto before = bad_.find(node.row.msid);
    if (now_bad && (before == bad_.end() || !before->second)) turned_bad = true;
    bad[node.row.msid] = now_bad;
  }
  bad_ = std::move(bad);
  if (!last_read_mono_) return true;
  return turned_bad || now_mono - *last_read_mono_ >= interval_seconds_;
}

std::map<std::string, uint64_t> AttachLoads(const BlastRadiusRead& read,
                                            std::vector<NodeStatus>* nodes) {
  std::map<uint64_t, NodeLoad*> by_msid;
  for (NodeStatus& node : *nodes) {
    node.load = NodeLoad{};
    by_msid[node.row.msid] = &*node.load;
  }
  std::map<std::string, uint64_t> unattached;
  for (const AgentGroup& group : read.agents) {
    // Statuses that differ only in invalid UTF-8 are one label value and one JSON key
    // once made valid: one count, never two series with the same labels.
    const std::string status = SanitizeUtf8(group.status);
    const auto holder = group.msid ? by_msid.find(*group.msid) : by_msid.end();
    if (holder != by_msid.end()) {
      holder->second->agents[status] += group.count;
      holder->second->agents_total += group.count;
    } else if (group.msid || group.status == "Up") {
      unattached[status] += group.count;
    }
  }
  for (const JobGroup& group : read.jobs) {
    if (!group.msid) continue;
    const auto holder = by_msid.find(*group.msid);
    if (holder != by_msid.end()) holder->second->jobs_in_progress += group.count;
  }
  return unattached;
}

}  // namespace msx
