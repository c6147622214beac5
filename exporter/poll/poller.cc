#include "poll/poller.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <tuple>
#include <utility>

#include "common/log.h"
#include "probe/probe_address.h"

namespace msx {
namespace {

std::string NameOf(const MshostRow& row) { return row.name.value_or(""); }

template <typename PerNode>
void EraseAbsent(const std::set<uint64_t>& present, PerNode* per_node) {
  for (auto it = per_node->begin(); it != per_node->end();) {
    it = present.count(it->first) ? std::next(it) : per_node->erase(it);
  }
}

}  // namespace

TargetPoller::TargetPoller(TargetConfig target, double poll_interval_seconds,
                           std::unique_ptr<MshostSource> source,
                           std::unique_ptr<Prober> prober, const Clock& clock)
    : target_(std::move(target)),
      poll_interval_seconds_(poll_interval_seconds),
      source_(std::move(source)),
      prober_(std::move(prober)),
      clock_(clock),
      judge_(target_.heartbeat),
      blast_schedule_(target_.blast_radius.interval_seconds) {
  auto initial = std::make_shared<Snapshot>();
  initial->target = target_.name;
  latest_ = std::move(initial);
}

TargetPoller::~TargetPoller() { Stop(); }

std::shared_ptr<const Snapshot> TargetPoller::PollOnce() {
  const double start = clock_.MonotonicSeconds();
  const double now_unix = clock_.UnixSeconds();
  const std::shared_ptr<const Snapshot> previous = Latest();
  const SourceRead read = source_->Read();

  auto snapshot = std::make_shared<Snapshot>();
  snapshot->target = target_.name;
  snapshot->include_down_nodes = target_.include_down_nodes;
  snapshot->polled = true;
  snapshot->last_poll_unix = now_unix;
  snapshot->polls_total = previous->polls_total + 1;
  snapshot->poll_failures_total = previous->poll_failures_total;
  if (read.ok) {
    snapshot->ever_ok = true;
    snapshot->up = true;
    snapshot->last_success_unix = now_unix;
    snapshot->db_now_unix = read.db_now_unix;
    snapshot->rows_skipped = read.row_errors.size();
    JudgeNodes(read, start, snapshot.get());
    UpdateBlastRadius(*previous, start, now_unix, snapshot.get());
    KeepPeers(read, snapshot.get());
    Forget(read.rows);
  } else {
    // Frozen: the last good nodes stand unchanged, so no verdict flips (and no alert
    // fires or resolves) because the database is away. Probing now would mix fresh
    // probes with old heartbeats.
    judge_.ReadFailed(start);
    snapshot->last_error = read.error.empty() ? "read failed" : read.error;
    ++snapshot->poll_failures_total;
    snapshot->db_down_since_unix =
        previous->db_down_since_unix > 0 ? previous->db_down_since_unix : now_unix;
    if (previous->ever_ok) {
      snapshot->ever_ok = true;
      snapshot->last_success_unix = previous->last_success_unix;
      snapshot->db_now_unix = previous->db_now_unix;
      snapshot->nodes = previous->nodes;
      snapshot->peers_available = previous->peers_available;
      snapshot->peers = previous->peers;
      snapshot->rows_skipped = previous->rows_skipped;
      snapshot->running_nodes = previous->running_nodes;
    }
    snapshot->blast_radius = previous->blast_radius;
  }
  LogReadOutcome(read, *previous, now_unix);
  snapshot->poll_duration_seconds = clock_.MonotonicSeconds() - start;
  Publish(snapshot);
  return snapshot;
}

void TargetPoller::JudgeNodes(const SourceRead& read, double now_mono,
                              Snapshot* snapshot) {
  std::vector<NodeStatus>& nodes = snapshot->nodes;
  nodes.reserve(read.rows.size());
  for (const MshostRow& row : read.rows) {
    NodeStatus node;
    node.row = row;
    node.restarts = CountRestart(row);
    nodes.push_back(std::move(node));
  }
  std::sort(nodes.begin(), nodes.end(), [](const NodeStatus& a, const NodeStatus& b) {
    return a.row.msid < b.row.msid;
  });
  ProbeNodes(&nodes);
  snapshot->running_nodes = judge_.JudgeNodes(read.db_now_unix, now_mono, &nodes);
  NoteShortThresholds(nodes);
}

void TargetPoller::ProbeNodes(std::vector<NodeStatus>* nodes) {
  std::vector<ProbeTarget> targets;
  std::vector<NodeStatus*> probed;
  for (NodeStatus& node : *nodes) {
    const ProbeAddress address = ChooseProbeAddress(node.row, target_.probe);
    if (!prober_) {
      // Probing off: probe stays nullopt, but the address still tells one host's
      // rows apart from another's (superseded rows).
      if (address.ok()) node.probe_address = address.address.ToString();
      continue;
    }
    if (!address.ok()) {
      // A row (or override) that names no usable address: the node cannot be shown
      // alive, and the error says why on the status page.
      node.probe = ProbeResult{false, 0, address.error};
      NoteProbeAddress(node, address.error);
      continue;
    }
    node.probe_address = address.address.ToString();
    node.probe_loopback = IsLoopbackAddress(address.address.host);
    // The app warns about loopback addresses (once per node) from the snapshot.
    NoteProbeAddress(node, "");
    targets.push_back({address.address.host, address.address.port});
    probed.push_back(&node);
  }
  if (targets.empty()) return;
  std::vector<ProbeResult> results =
      prober_->ProbeAll(targets, target_.probe.timeout_seconds);
  for (size_t i = 0; i < probed.size(); ++i) {
    probed[i]->probe = i < results.size()
                           ? results[i]
                           : ProbeResult{false, 0, "the prober gave no result"};
    NoteProbeResult(*probed[i]);
  }
}

// A configured threshold shorter than 2 observed heartbeat intervals gives false
// verdicts; it is used as it is (the operator chose it), and said once per target.
void TargetPoller::NoteShortThresholds(const std::vector<NodeStatus>& nodes) {
  for (const NodeStatus& node : nodes) {
    if (!node.threshold_below_interval || warned_short_thresholds_) continue;
    warned_short_thresholds_ = true;
    LogWarn(
        "a configured heartbeat threshold is shorter than 2 observed heartbeat "
        "intervals: live nodes may be judged stale; leave heartbeat.stale_after and "
        "dead_after unset to follow the interval",
        {{"target", target_.name},
         {"msid", node.row.msid},
         {"heartbeat_interval_seconds", *node.heartbeat_interval_seconds},
         {"stale_after_seconds", node.stale_after_seconds},
         {"dead_after_seconds", node.dead_after_seconds}});
  }
}

// The verdict and the alert say that a node does not answer; the log says why, once
// per node and problem. Probe errors are fixed texts ("connection refused", "timeout
// waiting for a reply", "no such host: x"), so a node that stays down stays quiet. A
// node whose row says Down is expected not to answer: its failures are not news (a
// table may hold thousands of decommissioned rows).
void TargetPoller::NoteProbeResult(const NodeStatus& node) {
  std::string& noted = probe_failures_[node.row.msid];
  if (node.probe->success) {
    if (!noted.empty()) {
      LogInfo("probe succeeding again", {{"target", target_.name},
                                         {"msid", node.row.msid},
                                         {"name", NameOf(node.row)},
                                         {"address", node.probe_address}});
    }
    noted.clear();
    return;
  }
  const std::string problem = node.probe_address + " " + node.probe->error;
  if (problem == noted || !ClaimsRunning(node.row.state)) return;
  LogInfo("probe failing", {{"target", target_.name},
                            {"msid", node.row.msid},
                            {"name", NameOf(node.row)},
                            {"address", node.probe_address},
                            {"error", node.probe->error}});
  noted = problem;
}

void TargetPoller::NoteProbeAddress(const NodeStatus& node, const std::string& problem) {
  std::string& noted = probe_notes_[node.row.msid];
  if (problem == noted) return;
  noted = problem;
  if (!problem.empty()) {
    LogWarn("cannot probe node", {{"target", target_.name},
                                  {"msid", node.row.msid},
                                  {"name", NameOf(node.row)},
                                  {"error", problem}});
  }
}

// A restart is a change of runid (the JVM start time). runid 0 means CloudStack
// invalidated the node's session (docs/verdicts.md, "Who writes Down"), not a new JVM,
// so 0 is ignored: Up(A) -> 0 -> Up(B) is one restart, not two. The first sight of a
// node is not a restart.
uint64_t TargetPoller::CountRestart(const MshostRow& row) {
  uint64_t& restarts = restarts_[row.msid];
  if (row.runid == 0) return restarts;
  const auto [it, first_sight] = last_runid_.emplace(row.msid, row.runid);
  if (!first_sight && it->second != row.runid) {
    it->second = row.runid;
    ++restarts;
    LogInfo("node restarted", {{"target", target_.name},
                               {"msid", row.msid},
                               {"name", NameOf(row)},
                               {"runid", row.runid}});
  }
  return restarts;
}

// Only peers where both ends are current nodes. Schemas before 4.20.1 keep one row per
// peer run (unique owner, peer, runid); the view of the peer's current run is the one
// that matters, else its latest run, so each owner/peer pair appears once
// (docs/databases.md, "CloudStack's tables").
void TargetPoller::KeepPeers(const SourceRead& read, Snapshot* snapshot) const {
  snapshot->peers_available = read.peers_available;
  std::map<uint64_t, const MshostRow*> by_id;
  for (const MshostRow& row : read.rows) by_id[row.id] = &row;

  std::map<std::pair<uint64_t, uint64_t>, const PeerRow*> chosen;  // by owner, peer id
  for (const PeerRow& peer : read.peers) {
    const auto peer_row = by_id.find(peer.peer_id);
    if (!by_id.count(peer.owner_id) || peer_row == by_id.end()) continue;
    const PeerRow*& best = chosen[{peer.owner_id, peer.peer_id}];
    const int64_t current_runid = peer_row->second->runid;
    const auto rank = [current_runid](const PeerRow* p) {
      return std::make_pair(p->peer_runid == current_runid, p->peer_runid);
    };
    if (best == nullptr || rank(&peer) > rank(best)) best = &peer;
  }

  for (const auto& [ids, peer] : chosen) {
    const MshostRow& owner = *by_id.at(ids.first);
    const MshostRow& seen = *by_id.at(ids.second);
    PeerStatus status;
    status.owner_msid = owner.msid;
    status.owner_name = NameOf(owner);
    status.peer_msid = seen.msid;
    status.peer_name = NameOf(seen);
    status.state = peer->peer_state.value_or("<NULL>");
    status.peer_runid = peer->peer_runid;
    snapshot->peers.push_back(std::move(status));
  }
  std::sort(snapshot->peers.begin(), snapshot->peers.end(),
            [](const PeerStatus& a, const PeerStatus& b) {
              return std::tie(a.owner_msid, a.peer_msid) <
                     std::tie(b.owner_msid, b.peer_msid);
            });
}

// Agents and jobs are read on their own cadence; between reads each node shows the
// counts of the last good read. A read refused for grants or tables drops them (the
// metrics go absent); any other failure keeps them, and read_unix says how old they
// are.
void TargetPoller::UpdateBlastRadius(const Snapshot& previous, double now_mono,
                                     double now_unix, Snapshot* snapshot) {
  BlastRadiusStatus& status = snapshot->blast_radius;
  status = previous.blast_radius;
  status.unattached_agents.clear();
  if (blast_schedule_.Due(now_mono, snapshot->nodes)) {
    blast_schedule_.Done(now_mono);
    BlastRadiusRead read = source_->ReadBlastRadius();
    status.attempted = true;
    ++status.reads_total;
    status.up = read.ok;
    status.error = read.ok ? "" : read.error;
    LogBlastRadiusOutcome(read);
    if (read.ok) {
      status.read_unix = now_unix;
      last_blast_ = std::move(read);
    } else {
      ++status.read_failures_total;
      if (read.unavailable) {
        status.read_unix = 0;
        last_blast_.reset();
      }
    }
  }
  if (last_blast_) status.unattached_agents = AttachLoads(*last_blast_, &snapshot->nodes);
}

// Once per problem, like the optional tables: without the grants this is one line at
// start, not one per read.
void TargetPoller::LogBlastRadiusOutcome(const BlastRadiusRead& read) {
  if (read.ok) {
    if (!blast_problem_logged_.empty()) {
      LogInfo("agents and jobs readable again", {{"target", target_.name}});
    }
    blast_problem_logged_.clear();
    if (read.row_errors != logged_blast_row_errors_) {
      for (const std::string& error : read.row_errors) {
        LogWarn("agents or jobs group skipped",
                {{"target", target_.name}, {"error", error}});
      }
      logged_blast_row_errors_ = read.row_errors;
    }
    return;
  }
  if (read.error == blast_problem_logged_) return;
  blast_problem_logged_ = read.error;
  if (read.unavailable) {
    LogWarn(
        "agents and jobs not readable (grant SELECT on host and async_job, "
        "docs/databases.md), their metrics left out",
        {{"target", target_.name}, {"error", read.error}});
  } else {
    LogWarn("reading agents and jobs failed",
            {{"target", target_.name}, {"error", read.error}});
  }
}

// Memory follows the table: a removed node's history goes with it.
void TargetPoller::Forget(const std::vector<MshostRow>& rows) {
  std::set<uint64_t> present;
  for (const MshostRow& row : rows) present.insert(row.msid);
  judge_.Retain(present);
  EraseAbsent(present, &last_runid_);
  EraseAbsent(present, &restarts_);
  EraseAbsent(present, &probe_notes_);
  EraseAbsent(present, &probe_failures_);
}

void TargetPoller::LogReadOutcome(const SourceRead& read, const Snapshot& previous,
                                  double now_unix) {
  const bool was_failing = previous.polled && !previous.up;
  if (!read.ok) {
    if (!was_failing) {
      LogWarn("database unreachable", {{"target", target_.name}, {"error", read.error}});
    }
    return;
  }
  if (was_failing) {
    // Tenths are enough for an outage (docs/operations.md: down_seconds=42.0).
    const double down_seconds =
        std::round((now_unix - previous.db_down_since_unix) * 10) / 10;
    LogInfo("database reachable again",
            {{"target", target_.name}, {"down_seconds", down_seconds}});
  } else if (!previous.polled) {
    LogInfo("first read", {{"target", target_.name}, {"nodes", read.rows.size()}});
  }
  // An older schema has no mshost_peer; the rest of the read is good, so this is
  // not an outage, but the missing peer metrics deserve a reason.
  if (!read.peers_available && !logged_peers_missing_) {
    LogInfo("mshost_peer not readable, peer metrics left out",
            {{"target", target_.name}, {"error", read.peers_error}});
  } else if (read.peers_available && logged_peers_missing_) {
    LogInfo("mshost_peer readable again", {{"target", target_.name}});
  }
  logged_peers_missing_ = !read.peers_available;
  // The same for mshost_status: every CloudStack before 4.17 lacks it, so the line
  // says why the nodes have no JVM start/stop and boot times, once.
  if (!read.status_available && !logged_status_missing_) {
    LogInfo("mshost_status not readable, node start and boot times left out",
            {{"target", target_.name}, {"error", read.status_error}});
  } else if (read.status_available && logged_status_missing_) {
    LogInfo("mshost_status readable again", {{"target", target_.name}});
  }
  logged_status_missing_ = !read.status_available;
  if (read.row_errors != logged_row_errors_) {
    for (const std::string& error : read.row_errors) {
      if (std::find(logged_row_errors_.begin(), logged_row_errors_.end(), error) ==
          logged_row_errors_.end()) {
        LogWarn("mshost row skipped", {{"target", target_.name}, {"error", error}});
      }
    }
    logged_row_errors_ = read.row_errors;
  }
}

void TargetPoller::Publish(std::shared_ptr<const Snapshot> snapshot) {
  std::function<void(std::shared_ptr<const Snapshot>)> callback;
  {
    std::lock_guard<std::mutex> lock(mu_);
    latest_ = snapshot;
    callback = on_snapshot_;
  }
  if (callback) callback(std::move(snapshot));
}

std::shared_ptr<const Snapshot> TargetPoller::Latest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_;
}

void TargetPoller::SetOnSnapshot(
    std::function<void(std::shared_ptr<const Snapshot>)> cb) {
  std::lock_guard<std::mutex> lock(mu_);
  on_snapshot_ = std::move(cb);
}

void TargetPoller::Start() {
  if (thread_.joinable()) return;
  stop_.Reset();
  thread_ = std::thread([this] { Run(); });
}

void TargetPoller::Stop() {
  stop_.Signal();
  if (thread_.joinable()) thread_.join();
}

void TargetPoller::Run() {
  while (!stop_.signaled()) {
    const double cycle_start = clock_.MonotonicSeconds();
    PollOnce();
    // From the start of the cycle, so a cycle that overran is followed at once.
    if (!clock_.SleepUntil(cycle_start + poll_interval_seconds_, stop_)) return;
  }
}

}  // namespace msx
