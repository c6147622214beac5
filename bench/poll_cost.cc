// poll_cost: the cost of one poll, of rendering a target's text and of one /metrics
// scrape, in a form that valgrind --tool=callgrind can count exactly, so a
// regression shows as a number of instructions whatever the machine is doing.
//
//   poll_cost --nodes 2000 --polls 20 --phase poll     # TargetPoller::PollOnce
//   poll_cost --nodes 2000 --polls 20 --phase render   # RenderProbe: once per new
//   snapshot poll_cost --nodes 2000 --polls 20 --phase scrape   # /metrics as the app
//   serves it
//                                                      # between polls (ExpositionCache
//                                                      warm)
//
// Only the measured loop is collected: bench/run starts it under
// `valgrind --tool=callgrind --collect-atstart=no --toggle-collect=msx_bench::Measure*`
// and divides the instructions by --polls. Without valgrind it prints wall-clock
// nanoseconds per iteration (a quick look; machine-dependent).
//
// The fakes answer at once and copy nothing in the measured loop: each read is
// built beforehand (the heartbeats advance 2 s per poll, as a live cluster's do
// with a 2 s poll interval and CloudStack's 1.5 s heartbeat, so the silence tracker
// sees a change every poll) and the prober answers "alive" for every node. What is
// counted is the exporter's own work: judging, probing bookkeeping, publishing,
// rendering.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "metrics/metrics.h"
#include "poll/poller.h"

namespace msx_bench {

using msx::FakeClock;
using msx::MshostRow;
using msx::PeerRow;
using msx::ProbeResult;
using msx::ProbeTarget;
using msx::SourceRead;

constexpr double kPollInterval = 2.0;

// Hands out reads built before the measured loop, moving each out once.
class ScriptedSource : public msx::MshostSource {
 public:
  explicit ScriptedSource(std::vector<SourceRead> reads) : reads_(std::move(reads)) {}
  SourceRead Read() override {
    if (next_ >= reads_.size()) return reads_.back();  // only past --polls
    return std::move(reads_[next_++]);
  }

 private:
  std::vector<SourceRead> reads_;
  size_t next_ = 0;
};

class AliveProber : public msx::Prober {
 public:
  std::vector<ProbeResult> ProbeAll(const std::vector<ProbeTarget>& targets,
                                    double) override {
    return std::vector<ProbeResult>(targets.size(), ProbeResult{true, 0.0004, ""});
  }
};

// Rows shaped like the simulator's: ten-character names, uuids, a peer row per
// ordered pair for small clusters (CloudStack writes one per peer; 2000 nodes would
// be four million, which no real cluster has, so large runs have none).
SourceRead MakeRead(int nodes, double db_now) {
  SourceRead read;
  read.ok = true;
  read.db_now_unix = db_now;
  read.peers_available = true;
  for (int i = 0; i < nodes; ++i) {
    MshostRow row;
    row.id = static_cast<uint64_t>(i) + 1;
    row.msid = 0x10000000000ULL + static_cast<uint64_t>(i);
    row.runid = 1700000000000LL + i;
    row.name = "ms-" + std::to_string(i + 1);
    row.uuid = "8b3c2f6e-0000-4000-8000-" + std::to_string(100000000000LL + i);
    row.state = "Up";
    row.version = "4.20.0.0";
    row.service_ip = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    row.service_port = 9090;
    // Heartbeats staggered over the 1.5 s interval; they move with db_now.
    row.last_update_unix = db_now - 0.3 - (i % 15) * 0.1;
    read.rows.push_back(std::move(row));
  }
  if (nodes <= 50) {
    for (int owner = 0; owner < nodes; ++owner) {
      for (int peer = 0; peer < nodes; ++peer) {
        if (owner == peer) continue;
        PeerRow p;
        p.owner_id = static_cast<uint64_t>(owner) + 1;
        p.peer_id = static_cast<uint64_t>(peer) + 1;
        p.peer_runid = 1700000000000LL + peer;
        p.peer_state = "Up";
        p.last_update_unix = db_now - 1;
        read.peers.push_back(std::move(p));
      }
    }
  }
  return read;
}

msx::TargetConfig Target() {
  msx::TargetConfig target;
  target.name = "bench";
  return target;  // contract defaults: dead_after 5s, stale_after 10s, tcp probe
}

// The measured loops: callgrind collects only inside these (--toggle-collect).
__attribute__((noinline)) void MeasurePolls(msx::TargetPoller* poller, FakeClock* clock,
                                            int polls) {
  for (int i = 0; i < polls; ++i) {
    poller->PollOnce();
    clock->Advance(kPollInterval);
  }
}

// The target text, as ExpositionCache renders it when a new snapshot arrives.
__attribute__((noinline)) size_t MeasureRenders(const msx::Snapshot& snapshot,
                                                int renders) {
  size_t bytes = 0;
  for (int i = 0; i < renders; ++i) bytes += msx::RenderProbe(snapshot, {}).size();
  return bytes;
}

// What WebFace::HandleMetrics does per request between polls: the exporter's own
// families, then the default target's cached text.
__attribute__((noinline)) size_t MeasureScrapes(
    const std::shared_ptr<const msx::Snapshot>& snapshot, msx::ExpositionCache* cache,
    int scrapes) {
  msx::ExporterStats stats;
  stats.version = "0.1.0";
  stats.revision = "bench";
  stats.http_requests_by_code = {{200, 12345}};
  size_t bytes = 0;
  for (int i = 0; i < scrapes; ++i) {
    std::string body = msx::SerializeFamilies(msx::ExporterFamilies(stats));
    body += cache->Render(snapshot, {});
    bytes += body.size();
  }
  return bytes;
}

int Main(int argc, char** argv) {
  int nodes = 10;
  int polls = 20;
  std::string phase = "poll";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--nodes") == 0) {
      nodes = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--polls") == 0) {
      polls = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--phase") == 0) {
      phase = argv[i + 1];
    } else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (nodes < 1 || polls < 1 ||
      (phase != "poll" && phase != "render" && phase != "scrape")) {
    std::fprintf(stderr,
                 "usage: poll_cost [--nodes N>=1] [--polls N>=1] "
                 "[--phase poll|render|scrape]\n");
    return 2;
  }

  FakeClock clock;
  // Warm-up polls first (the silence tracker fills its window, maps reach their
  // size), then the measured ones.
  const int warmup = 25;
  std::vector<SourceRead> reads;
  const double db_now0 = clock.UnixSeconds();
  for (int p = 0; p < warmup + polls + 1; ++p) {
    reads.push_back(MakeRead(nodes, db_now0 + p * kPollInterval));
  }
  msx::TargetPoller poller(Target(), kPollInterval,
                           std::make_unique<ScriptedSource>(std::move(reads)),
                           std::make_unique<AliveProber>(), clock);
  for (int p = 0; p < warmup; ++p) {
    poller.PollOnce();
    clock.Advance(kPollInterval);
  }

  msx::ExpositionCache cache;
  const std::shared_ptr<const msx::Snapshot> latest = poller.Latest();
  cache.Render(latest, {});  // warm, as after the first scrape of a poll

  const auto start = std::chrono::steady_clock::now();
  size_t bytes = 0;
  if (phase == "poll") {
    MeasurePolls(&poller, &clock, polls);
  } else if (phase == "render") {
    bytes = MeasureRenders(*latest, polls);
  } else {
    bytes = MeasureScrapes(latest, &cache, polls);
  }
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf("phase=%s nodes=%d iterations=%d ns_per_iteration=%.0f bytes=%zu\n",
              phase.c_str(), nodes, polls, ns / polls, polls ? bytes / polls : 0);
  return 0;
}

}  // namespace msx_bench

int main(int argc, char** argv) { return msx_bench::Main(argc, argv); }
