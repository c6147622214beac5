// TargetPoller: the loop that reads one target every poll_interval and publishes a
// Snapshot, independent of scrapes (the database sees one query per interval however
// many Prometheus servers scrape).
//
// PollOnce() is the whole logic of one cycle and runs synchronously, so tests drive
// it with a fake source, prober and clock. Start() runs PollOnce() on its own thread
// every poll_interval; Latest() may be called from any thread at any time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "config/config.h"
#include "judge/silence.h"
#include "poll/snapshot.h"
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

  // Called on the poller's thread after each publish (the alert evaluator).
  void SetOnSnapshot(std::function<void(std::shared_ptr<const Snapshot>)> cb);

  void Start();
  void Stop();  // returns after the current cycle ends; safe to call twice

  std::shared_ptr<const Snapshot> Latest() const;
  const TargetConfig& target() const { return target_; }

 private:
  std::vector<ProbeTarget> ProbeTargetsFor(const std::vector<MshostRow>& rows) const;

  const TargetConfig target_;
  const double poll_interval_seconds_;
  std::unique_ptr<MshostSource> source_;
  std::unique_ptr<Prober> prober_;
  const Clock& clock_;

  // Poller-thread state.
  SilenceTracker silence_;
  std::map<uint64_t, int64_t> last_runid_;
  std::map<uint64_t, uint64_t> restarts_;

  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> latest_;  // guarded by mu_
  std::function<void(std::shared_ptr<const Snapshot>)> on_snapshot_;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace msx
