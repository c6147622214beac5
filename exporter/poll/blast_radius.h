// Blast radius: what each node holds (agents, async jobs in progress), the pure half
// of reading it. The poller asks BlastSchedule whether to read, reads through
// MshostSource::ReadBlastRadius(), and gives the counts to the nodes with AttachLoads.
//
// Reading agents and jobs costs more than reading mshost (docs/databases.md, "What a
// node holds"), so it has a cadence of its own (blast_radius.interval, 30 s by
// default), except that a node whose verdict turns bad is read at once: the alert it
// raises then names what it leaves behind. BlastSchedule is driven by the poller's
// monotonic clock; it is not thread-safe (the poller's thread owns it). AttachLoads
// is a pure function.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/rows.h"
#include "model/snapshot.h"

namespace msx {

class BlastSchedule {
 public:
  // REQUIRES: interval_seconds > 0.
  explicit BlastSchedule(double interval_seconds) : interval_seconds_(interval_seconds) {}

  // Called once per poll that judged `nodes`. True when a read is due: none was made
  // yet, the interval has passed since the last one, or a node's verdict turned bad
  // (warning or critical, see LevelOf) since the previous call: a node seen for the
  // first time with a bad verdict counts, one that stays bad does not.
  bool Due(double now_mono, const std::vector<NodeStatus>& nodes);
  // A read was made (whatever its outcome) at now_mono.
  void Done(double now_mono) { last_read_mono_ = now_mono; }

 private:
  const double interval_seconds_;
  std::optional<double> last_read_mono_;
  std::map<uint64_t, bool> bad_;  // per msid: the verdict at the previous call was bad
};

// Gives each node the agents and jobs `read` attributes to its msid (a node with none
// gets zero counts), and returns by status the agents no node in `nodes` holds: a
// mgmt_server_id that is no current node's msid, or NULL while the agent is Up (an
// agent that is Down, Disconnected or Alert with no node is expected to have none).
std::map<std::string, uint64_t> AttachLoads(const BlastRadiusRead& read,
                                            std::vector<NodeStatus>* nodes);

}  // namespace msx
