// Shared helpers for unit tests: fakes for the outside world and builders of rows,
// nodes and snapshots.
//
// FakeSource and FakeProber stand in for the database and the network; the poller
// (or anything else) takes ownership of them while the test keeps a raw pointer to
// script answers and count calls. Both are thread-safe, so a test may script them
// while a poller thread reads. The builders return plain values with predictable
// defaults derived from the msid, so tests state only what matters to them; a test
// file that wants other defaults wraps them rather than writing its own.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/http.h"
#include "judge/verdict.h"
#include "model/snapshot.h"
#include "probe/prober.h"
#include "source/source.h"

namespace msx {
namespace test {

// A current mshost row. Defaults: id = msid + 1000 (so code that confuses id and
// msid fails), runid 1, state "Up", name "ms<msid>", uuid "uuid-<msid>", version
// "4.20.0.0", service_ip "10.0.0.<msid % 250 + 1>", service_port 9090.
inline MshostRow MakeRow(uint64_t msid, std::optional<std::string> state = "Up",
                         std::optional<double> last_update_unix = std::nullopt,
                         int64_t runid = 1) {
  MshostRow row;
  row.id = msid + 1000;
  row.msid = msid;
  row.runid = runid;
  row.name = "ms" + std::to_string(msid);
  row.uuid = "uuid-" + std::to_string(msid);
  row.state = std::move(state);
  row.version = "4.20.0.0";
  row.service_ip = "10.0.0." + std::to_string(msid % 250 + 1);
  row.service_port = 9090;
  row.last_update_unix = last_update_unix;
  return row;
}

// "service_ip:service_port" of `row`: where the poller probes it.
inline std::string AddressOf(const MshostRow& row) {
  return row.service_ip + ":" + std::to_string(row.service_port);
}

// The probe address MakeRow gives node `msid`.
inline std::string AddressOf(uint64_t msid) { return AddressOf(MakeRow(msid)); }

// A mshost_peer row; owner and peer are mshost ids (MakeRow: msid + 1000).
inline PeerRow MakePeer(uint64_t owner_id, uint64_t peer_id,
                        std::optional<std::string> state = "Up", int64_t peer_runid = 1) {
  PeerRow peer;
  peer.owner_id = owner_id;
  peer.peer_id = peer_id;
  peer.peer_runid = peer_runid;
  peer.peer_state = std::move(state);
  return peer;
}

inline SourceRead OkRead(double db_now_unix, std::vector<MshostRow> rows,
                         std::vector<PeerRow> peers = {}) {
  SourceRead read;
  read.ok = true;
  read.db_now_unix = db_now_unix;
  read.rows = std::move(rows);
  read.peers_available = true;
  read.peers = std::move(peers);
  read.status_available = true;
  return read;
}

inline SourceRead FailedRead(std::string error = "connection refused") {
  SourceRead read;
  read.ok = false;
  read.error = std::move(error);
  return read;
}

inline ProbeResult AliveResult(double duration_seconds = 0.001) {
  return {true, duration_seconds, ""};
}

inline ProbeResult RefusedResult(double duration_seconds = 0.001) {
  return {false, duration_seconds, "connection refused"};
}

// A node as the poller publishes it for `row`: `verdict`, a raw heartbeat age and a
// silence of `age_seconds` each, no clock offset estimate, not probed.
inline NodeStatus MakeNode(MshostRow row, Verdict verdict = Verdict::kOk,
                           double age_seconds = 0) {
  NodeStatus node;
  node.row = std::move(row);
  node.verdict = verdict;
  node.raw_age_seconds = age_seconds;
  node.silence_seconds = age_seconds;
  node.stale_after_seconds = 10;
  node.dead_after_seconds = 5;
  return node;
}

// `node` probed at its row's address with `result`.
inline NodeStatus WithProbe(NodeStatus node, ProbeResult result) {
  node.probe = std::move(result);
  node.probe_address = AddressOf(node.row);
  return node;
}

// A snapshot of target "prod" whose last read succeeded and found `nodes`: polled,
// ever_ok and up, with the poll, the success and the database clock at `now_unix`.
// running_nodes counts the nodes that claim running with a verdict only a fresh
// heartbeat gets (ok, up_unreachable), as the judge would have; tests of running
// itself set it.
inline Snapshot OkSnapshot(std::vector<NodeStatus> nodes, double now_unix = 0) {
  Snapshot snapshot;
  snapshot.target = "prod";
  snapshot.polled = snapshot.ever_ok = snapshot.up = true;
  snapshot.last_poll_unix = snapshot.last_success_unix = snapshot.db_now_unix = now_unix;
  for (const NodeStatus& node : nodes) {
    if (ClaimsRunning(node.row.state) &&
        (node.verdict == Verdict::kOk || node.verdict == Verdict::kUpUnreachable)) {
      ++snapshot.running_nodes;
    }
  }
  snapshot.nodes = std::move(nodes);
  return snapshot;
}

// Answers Read() with scripted values: queued one-shot reads first (in order), then
// the standing answer set with Set() (a failed read until the first Set()), or what
// a generator returns when one is set.
class FakeSource : public MshostSource {
 public:
  SourceRead Read() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++reads_;
    if (!queue_.empty()) {
      SourceRead read = std::move(queue_.front());
      queue_.pop_front();
      return read;
    }
    return generator_ ? generator_() : standing_;
  }

  void Set(SourceRead read) {
    std::lock_guard<std::mutex> lock(mu_);
    standing_ = std::move(read);
  }
  void Queue(SourceRead read) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(read));
  }
  // Called under the fake's lock on every read without a queued answer.
  void SetGenerator(std::function<SourceRead()> generator) {
    std::lock_guard<std::mutex> lock(mu_);
    generator_ = std::move(generator);
  }
  int reads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return reads_;
  }

  // What ReadBlastRadius answers (every call the same), and how often it was asked.
  BlastRadiusRead ReadBlastRadius() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++blast_reads_;
    return blast_;
  }
  void SetBlast(BlastRadiusRead read) {
    std::lock_guard<std::mutex> lock(mu_);
    blast_ = std::move(read);
  }
  int blast_reads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return blast_reads_;
  }

 private:
  mutable std::mutex mu_;
  std::deque<SourceRead> queue_;
  SourceRead standing_ = FailedRead("FakeSource: nothing scripted");
  std::function<SourceRead()> generator_;
  int reads_ = 0;
  BlastRadiusRead blast_ = [] {
    BlastRadiusRead read;
    read.ok = true;  // no agents, no jobs
    return read;
  }();
  int blast_reads_ = 0;
};

// Answers ProbeAll from a table keyed by "host:port"; unknown addresses get the
// default answer (connection refused unless SetDefault says otherwise). Records
// every call.
class FakeProber : public Prober {
 public:
  std::vector<ProbeResult> ProbeAll(const std::vector<ProbeTarget>& targets,
                                    double timeout_seconds) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_;
    last_targets_ = targets;
    last_timeout_seconds_ = timeout_seconds;
    std::vector<ProbeResult> results;
    for (const ProbeTarget& t : targets) {
      auto it = answers_.find(t.host + ":" + std::to_string(t.port));
      results.push_back(it == answers_.end() ? default_ : it->second);
    }
    return results;
  }

  void Set(const std::string& host_port, ProbeResult result) {
    std::lock_guard<std::mutex> lock(mu_);
    answers_[host_port] = std::move(result);
  }
  void SetDefault(ProbeResult result) {
    std::lock_guard<std::mutex> lock(mu_);
    default_ = std::move(result);
  }
  int calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  std::vector<ProbeTarget> last_targets() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_targets_;
  }
  double last_timeout_seconds() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_timeout_seconds_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, ProbeResult> answers_;
  ProbeResult default_ = RefusedResult();
  int calls_ = 0;
  std::vector<ProbeTarget> last_targets_;
  double last_timeout_seconds_ = 0;
};

// Requests for routing tests.
inline HttpRequest Get(const std::string& path, const std::string& query = "") {
  HttpRequest req;
  req.method = "GET";
  req.path = path;
  req.query = query;
  return req;
}

inline HttpRequest Post(const std::string& path) {
  HttpRequest req = Get(path);
  req.method = "POST";
  return req;
}

}  // namespace test
}  // namespace msx
