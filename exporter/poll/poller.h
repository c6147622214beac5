// TargetPoller: the loop that reads one target every poll_interval and publishes a
// Snapshot, independent of scrapes (the database sees one query per interval however
// many Prometheus servers scrape).
//
// PollOnce() is the whole logic of one cycle and runs synchronously, so tests drive
// it with a fake source, prober and clock. Start() runs PollOnce() on its own thread
// every poll_interval, measured on the Clock from the start of each cycle (a cycle
// that overruns is followed at once by the next); it waits with Clock::SleepUntil(),
// so a FakeClock drives the loop as well. Latest() may be called from any thread at any
// time and never waits for the database: it returns the last published Snapshot
// (before the first poll, one with polled=false; never null).
//
// A cycle: read the source; on success judge every node (silence, restarts, probe,
// verdict), read what the nodes hold when that is due (poll/blast_radius.h: every
// blast_radius.interval, and at once when a verdict turns bad), and publish; on failure
// publish the last good nodes frozen with up=false, without probing (docs/operations.md,
// "The database"). State changes (database lost and back, mshost_peer or mshost_status
// unreadable and back, a restart, a node without a usable probe address, the probe of a
// node that claims running failing or failing differently, and succeeding again,
// unparsable rows) are logged once when they happen, never per poll: an outage of an hour
// is two lines, not 1800. Loopback probe addresses are only flagged in the snapshot (the
// app warns about them).
//
// Threading: PollOnce() must not run on two threads at once: call it directly
// (tests, one-shot tools) or through Start(), not both. The callback runs on the
// thread that ran PollOnce().
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "config/config.h"
#include "judge/judge.h"
#include "model/snapshot.h"
#include "poll/blast_radius.h"
#include "probe/prober.h"
#include "source/source.h"

namespace msx {

class TargetPoller {
 public:
  // prober may be null (probe.kind none). Takes ownership of source and prober.
  TargetPoller(TargetConfig target, double poll_interval_seconds,
               std::unique_ptr<MshostSource> source, std::unique_ptr<Prober> prober,
               const Clock& clock);
  ~TargetPoller();  // stops the thread

  // One cycle: read, probe, judge, publish. Returns what it published.
  std::shared_ptr<const Snapshot> PollOnce();

  // Called on the poller's thread after each publish (the alert evaluator). Set it
  // before Start().
  void SetOnSnapshot(std::function<void(std::shared_ptr<const Snapshot>)> cb);

  // Start() and Stop() are called from one controlling thread (the app's).
  void Start();  // no-op when running
  // Returns after the current cycle ends; safe to call twice, and Start() may follow.
  // REQUIRES: not called from the callback (it would wait for itself).
  void Stop();

  std::shared_ptr<const Snapshot> Latest() const;
  const TargetConfig& target() const { return target_; }

 private:
  void Run();
  void JudgeNodes(const SourceRead& read, double now_mono, Snapshot* snapshot);
  void ProbeNodes(std::vector<NodeStatus>* nodes);
  void NoteShortThresholds(const std::vector<NodeStatus>& nodes);
  void NoteProbeAddress(const NodeStatus& node, const std::string& problem);
  void NoteProbeResult(const NodeStatus& node);
  uint64_t CountRestart(const MshostRow& row);
  void KeepPeers(const SourceRead& read, Snapshot* snapshot) const;
  void UpdateBlastRadius(const Snapshot& previous, double now_mono, double now_unix,
                         Snapshot* snapshot);
  void LogBlastRadiusOutcome(const BlastRadiusRead& read);
  void Forget(const std::vector<MshostRow>& rows);
  void LogReadOutcome(const SourceRead& read, const Snapshot& previous, double now_unix);
  void Publish(std::shared_ptr<const Snapshot> snapshot);

  const TargetConfig target_;
  const double poll_interval_seconds_;
  std::unique_ptr<MshostSource> source_;
  std::unique_ptr<Prober> prober_;
  const Clock& clock_;

  // Poller-thread state, per msid of the current nodes.
  TargetJudge judge_;
  std::map<uint64_t, int64_t> last_runid_;  // the last non-zero runid seen
  std::map<uint64_t, uint64_t> restarts_;
  std::map<uint64_t, std::string> probe_notes_;  // the address error last logged
  // The probe failure last logged ("address error"); empty once the probe succeeds.
  std::map<uint64_t, std::string> probe_failures_;
  std::vector<std::string> logged_row_errors_;
  bool logged_peers_missing_ = false;  // mshost_peer could not be read, and we said so
  bool logged_status_missing_ = false;  // the same for mshost_status
  bool warned_short_thresholds_ = false;
  BlastSchedule blast_schedule_;
  std::optional<BlastRadiusRead> last_blast_;  // the last good read of agents and jobs
  std::string blast_problem_logged_;           // the error of agents and jobs last logged
  std::vector<std::string> logged_blast_row_errors_;

  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> latest_;                            // guarded by mu_
  std::function<void(std::shared_ptr<const Snapshot>)> on_snapshot_;  // guarded by mu_

  Interrupt stop_;  // ends the wait between cycles
  std::thread thread_;
};

}  // namespace msx
