// TargetJudge: the one place where a node's silence and verdict are decided. Every
// output (metrics, /api/v1/status and the page, `check`, the built-in evaluator, and
// through the metrics the Prometheus rules) reads the verdict it wrote into the
// Snapshot, so they cannot disagree (docs/verdicts.md, docs/architecture.md).
//
// Per poll: the poller fills each NodeStatus with its row, probe address and probe
// result and calls JudgeNodes; the judge adds raw age, silence (silence.h: progress on
// the database's clock, corrected for the node's clock offset), the heartbeat interval
// (interval.h) and the thresholds that follow it, the row that supersedes a stale one
// (the same host under a new msid), and the verdict (verdict.h). It counts the nodes
// that are running: claim running and are not stale.
//
// Database outages: no node can heartbeat into a database that is down, so when it
// answers again every heartbeat looks old. For stale_after after an outage, a node's
// silence counts only what was seen before the outage and since its end; without this
// the first read after a database restart would page "no running management server"
// everywhere. The price: a node that died during the outage is judged dead up to
// dead_after after the outage ends.
//
// A threshold set in the configuration below 2 observed intervals is kept as it is
// and flagged in NodeStatus::threshold_below_interval (the poller logs it once).
//
// Not thread-safe: one judge per target, used by that target's poller thread only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "judge/interval.h"
#include "judge/silence.h"
#include "judge/verdict.h"
#include "model/snapshot.h"

namespace msx {

class TargetJudge {
 public:
  explicit TargetJudge(HeartbeatConfig heartbeat) : heartbeat_(heartbeat) {}

  // A read failed at now_mono (monotonic seconds). The first failure after a
  // successful read starts an outage; nodes keep their last verdicts meanwhile (the
  // poller republishes them frozen).
  void ReadFailed(double now_mono);

  // Judges every node of a successful read taken at db_now_unix (the database's
  // clock) and now_mono, and returns how many are running. REQUIRES: each node's row,
  // probe_address and probe are set.
  size_t JudgeNodes(double db_now_unix, double now_mono, std::vector<NodeStatus>* nodes);

  // Forgets nodes not in `present` (removed rows), so memory follows the table.
  void Retain(const std::set<uint64_t>& present);

 private:
  double CorrectForOutage(uint64_t msid, double silence_seconds, double stale_after,
                          double now_mono) const;

  const HeartbeatConfig heartbeat_;
  SilenceTracker silence_;
  IntervalEstimator intervals_;
  bool read_before_ = false;               // a successful read has been judged
  std::optional<double> outage_since_mono_;
  std::optional<double> recovered_since_mono_;  // counts for stale_after after it
  std::map<uint64_t, double> last_silence_;     // by msid, at the last good read
  std::map<uint64_t, double> silence_before_outage_;
};

}  // namespace msx
