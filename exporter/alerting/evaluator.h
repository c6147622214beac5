// Evaluator: the built-in alert rules of one target, applied to each Snapshot.
//
// After every poll the target's Snapshot goes through Evaluate(), which moves each
// alert through pending -> firing (once its condition has held for the rule's `for`)
// -> resolved, like a Prometheus rule, and says which alerts are due for Alertmanager:
// every transition at once, and each firing or recently resolved alert again every
// resend_interval. The rules (docs/alerting.md, "The rules"):
//   - node alerts, from each node's verdict: the alert of its row in kVerdicts
//     (model/verdict.h), its text expanded by alert_text.h; and Flapping, more than 3
//     runid changes of one node within 15 minutes (from the snapshot's restart
//     counters);
//   - CloudStackNoRunningMgmtServer: the target has been read at least once and none
//     of its nodes both claims running and is ok. A table with no current rows fires
//     too (nothing runs); a target never read does not (SourceDown covers it);
//   - CloudStackMshostSourceDown: the last read failed.
// The evaluator never judges: it reads each node's verdict from the snapshot, as
// decided by judge/ (judge.h says how a database outage is accounted for there), so
// its alerts agree with the metrics, the pages and `check`.
// While the target's database cannot be read (snapshot.up false) the node data is
// frozen, so node alerts are frozen too: none fires anew, none resolves, firing ones
// keep being re-sent, and pending ones stop their `for` clock until the database
// answers again. NoRunningMgmtServer is judged on the frozen nodes.
//
// Pure logic: no I/O, time only from the Clock given. Not thread-safe: one evaluator
// per target, called from one thread at a time (AlertingService serializes calls).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "alerting/rules.h"
#include "common/clock.h"
#include "model/alert.h"
#include "model/snapshot.h"

namespace msx {

// How long a resolved alert keeps being re-sent (with its endsAt), so an
// Alertmanager that missed the first "resolved" still hears it; Prometheus does the
// same.
inline constexpr double kResolvedResendSeconds = 15 * 60;

// What the evaluator needs of a target: its name and its `labels:`.
struct AlertTarget {
  std::string name;
  std::map<std::string, std::string> labels;  // added to every alert

  auto Tie() const { return std::tie(name, labels); }
  bool operator==(const AlertTarget& o) const { return Tie() == o.Tie(); }
};

struct Evaluation {
  std::vector<FiringAlert> firing;         // ordered by alertname, then msid
  std::vector<AlertNotification> to_send;  // due now: firing and recently resolved
};

class Evaluator {
 public:
  // `rules` come from ResolveAlertRules(); firing alerts are sent with
  // endsAt = now + 4 * resend_interval_seconds. `clock` must outlive the evaluator.
  Evaluator(AlertTarget target, std::vector<AlertRule> rules,
            double resend_interval_seconds, const Clock& clock);

  // REQUIRES: snapshot belongs to this evaluator's target.
  Evaluation Evaluate(const Snapshot& snapshot);

 private:
  enum class Phase { kPending, kFiring, kResolved };

  // What a rule found true in this snapshot.
  struct Condition {
    const AlertRule* rule = nullptr;
    std::string msid;
    std::string name;
    std::map<std::string, std::string> annotations;
  };

  // One alert (a rule, for one node or for the target) that is not inactive.
  struct Instance {
    Condition condition;
    Phase phase = Phase::kPending;
    double pending_since_mono = 0;
    double fired_at_unix = 0;
    double resolved_at_unix = 0;
    double resolved_at_mono = 0;
    std::optional<double> last_sent_mono;  // reset on every transition
  };

  // Runid changes of one node, for Flapping.
  struct RestartHistory {
    uint64_t last_restarts = 0;
    std::deque<double> change_times_mono;
  };

  // Pauses pending `for` clocks of node alerts while the database is away; counts
  // restarts of readable snapshots.
  void TrackOutage(const Snapshot& snapshot, double now_mono);
  // Moves every alert to its next phase given what holds now (`active`, by key).
  void Advance(std::map<std::string, Condition> active, bool nodes_readable,
               double now_mono, double now_unix);
  // The firing alerts, and the alerts due for sending (marking them sent).
  Evaluation Report(double now_mono, double now_unix);
  std::vector<Condition> Conditions(const Snapshot& snapshot, double now_unix) const;
  void TrackRestarts(const Snapshot& snapshot, double now_mono);
  std::map<std::string, std::string> LabelsOf(const Condition& condition) const;
  AlertNotification NotificationOf(const Instance& instance, double now_unix) const;

  const AlertTarget target_;
  const std::vector<AlertRule> rules_;
  const double resend_interval_seconds_;
  const Clock& clock_;

  std::map<std::string, Instance> instances_;    // key: alertname + "/" + msid
  std::map<uint64_t, RestartHistory> restarts_;  // by msid
  std::optional<double> outage_since_mono_;      // node alerts frozen since then
};

}  // namespace msx
