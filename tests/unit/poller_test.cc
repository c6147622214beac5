#include "poll/poller.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>

#include "log_capture.h"
#include "test_util.h"

namespace msx {
namespace {

using test::AddressOf;
using test::AliveResult;
using test::FailedRead;
using test::FakeProber;
using test::FakeSource;
using test::LogCapture;
using test::MakePeer;
using test::MakeRow;
using test::OkRead;
using test::RefusedResult;

class PollerTest : public ::testing::Test {
 protected:
  PollerTest() {
    target_.name = "prod";
    target_.heartbeat.stale_after_seconds = 10;
    target_.heartbeat.dead_after_seconds = 5;
  }

  // Builds the poller; call after adjusting target_.
  void Make(bool probing = true, double poll_interval_seconds = 2) {
    auto source = std::make_unique<FakeSource>();
    source_ = source.get();
    std::unique_ptr<FakeProber> prober;
    if (probing) {
      prober = std::make_unique<FakeProber>();
      prober_ = prober.get();
    }
    poller_ = std::make_unique<TargetPoller>(
        target_, poll_interval_seconds, std::move(source), std::move(prober), clock_);
  }

  // The database clock follows the exporter's in these tests.
  double DbNow() const { return clock_.UnixSeconds(); }

  static const NodeStatus& Node(const Snapshot& snapshot, uint64_t msid) {
    for (const NodeStatus& node : snapshot.nodes) {
      if (node.row.msid == msid) return node;
    }
    ADD_FAILURE() << "no node " << msid;
    static const NodeStatus kMissing;
    return kMissing;
  }

  FakeClock clock_;
  TargetConfig target_;
  FakeSource* source_ = nullptr;
  FakeProber* prober_ = nullptr;
  std::unique_ptr<TargetPoller> poller_;
};

TEST_F(PollerTest, BeforeTheFirstPoll) {
  Make();
  std::shared_ptr<const Snapshot> s = poller_->Latest();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->target, "prod");
  EXPECT_FALSE(s->polled);
  EXPECT_FALSE(s->up);
  EXPECT_TRUE(s->nodes.empty());
}

// Verdict "unknown" belongs to a target never read: it has no nodes to judge, and
// ever_ok=false says so.
TEST_F(PollerTest, FailureBeforeAnySuccessHasNoNodes) {
  Make();
  source_->Set(FailedRead("Can't connect to server on '127.0.0.1'"));
  const double t0 = clock_.UnixSeconds();
  std::shared_ptr<const Snapshot> s = poller_->PollOnce();
  EXPECT_TRUE(s->polled);
  EXPECT_FALSE(s->up);
  EXPECT_FALSE(s->ever_ok);
  EXPECT_TRUE(s->nodes.empty());
  EXPECT_EQ(s->last_error, "Can't connect to server on '127.0.0.1'");
  EXPECT_EQ(s->db_down_since_unix, t0);
  EXPECT_EQ(s->last_success_unix, 0);
  EXPECT_EQ(s->polls_total, 1u);
  EXPECT_EQ(s->poll_failures_total, 1u);
  EXPECT_EQ(prober_->calls(), 0);
  EXPECT_EQ(poller_->Latest(), s);
}

TEST_F(PollerTest, EveryNodeVerdictIsReachable) {
  Make();
  const double now = DbNow();
  struct Case {
    uint64_t msid;
    std::optional<std::string> state;
    std::optional<double> age;  // nullopt: last_update NULL
    bool alive;
    Verdict expected;
  };
  const Case cases[] = {
      {1, "Up", 1, true, Verdict::kOk},
      {2, "Up", 6, false, Verdict::kUpNotRunning},
      {3, "Up", 11, true, Verdict::kUpHeartbeatStale},
      {4, "Up", 2, false, Verdict::kUpUnreachable},
      {5, "Down", 1, true, Verdict::kDownButRunning},
      {6, "Down", 100, false, Verdict::kOk},
      {7, "Up", std::nullopt, true, Verdict::kUpHeartbeatStale},
      {8, "Up", std::nullopt, false, Verdict::kUpNotRunning},
      {9, std::nullopt, 6, false, Verdict::kUpNotRunning},
      {10, "PreparingForMaintenance", 2, true, Verdict::kOk},
  };
  std::vector<MshostRow> rows;
  for (const Case& c : cases) {
    rows.push_back(MakeRow(c.msid, c.state,
                           c.age ? std::optional<double>(now - *c.age) : std::nullopt));
    prober_->Set(AddressOf(c.msid), c.alive ? AliveResult() : RefusedResult());
  }
  source_->Set(OkRead(now, rows));
  std::shared_ptr<const Snapshot> s = poller_->PollOnce();
  ASSERT_TRUE(s->up);
  ASSERT_EQ(s->nodes.size(), std::size(cases));
  for (const Case& c : cases) {
    const NodeStatus& node = Node(*s, c.msid);
    EXPECT_EQ(node.verdict, c.expected)
        << "msid " << c.msid << ": got " << VerdictName(node.verdict);
    ASSERT_TRUE(node.probe.has_value());
    EXPECT_EQ(node.probe->success, c.alive);
    EXPECT_EQ(node.probe_address, AddressOf(c.msid));
  }
  EXPECT_EQ(prober_->calls(), 1);  // all nodes in one call
  EXPECT_EQ(prober_->last_timeout_seconds(), target_.probe.timeout_seconds);
}

TEST_F(PollerTest, WithoutProbingOnlyStalenessCounts) {
  Make(/*probing=*/false);
  const double now = DbNow();
  source_->Set(OkRead(now, {MakeRow(1, "Up", now - 6), MakeRow(2, "Up", now - 11),
                            MakeRow(3, "Down", now - 100)}));
  std::shared_ptr<const Snapshot> s = poller_->PollOnce();
  EXPECT_EQ(Node(*s, 1).verdict, Verdict::kOk);
  EXPECT_EQ(Node(*s, 2).verdict, Verdict::kUpNotRunning);
  EXPECT_EQ(Node(*s, 3).verdict, Verdict::kOk);
  for (const NodeStatus& node : s->nodes) {
    EXPECT_FALSE(node.probe.has_value());
    // Still where it would be probed: it tells one host's rows from another's.
    EXPECT_EQ(node.probe_address, AddressOf(node.row.msid));
  }
}

TEST_F(PollerTest, SuccessfulReadFillsTheSnapshot) {
  Make();
  prober_->SetDefault(AliveResult());
  const double now = DbNow();
  SourceRead read = OkRead(now - 0.5, {MakeRow(30, "Up", now - 3),
                                       MakeRow(10, "Up", now - 2), MakeRow(20, "Up")});
  read.row_errors = {"mshost row id=7: bad msid \"x\""};
  source_->SetGenerator([this, read] {
    clock_.Advance(0.25);  // the read takes a quarter second
    return read;
  });
  const double poll_start = clock_.UnixSeconds();
  std::shared_ptr<const Snapshot> s = poller_->PollOnce();
  EXPECT_TRUE(s->up);
  EXPECT_TRUE(s->ever_ok);
  EXPECT_EQ(s->last_error, "");
  EXPECT_EQ(s->last_poll_unix, poll_start);
  EXPECT_EQ(s->last_success_unix, poll_start);
  EXPECT_EQ(s->db_down_since_unix, 0);
  EXPECT_EQ(s->db_now_unix, now - 0.5);
  EXPECT_NEAR(s->poll_duration_seconds, 0.25, 1e-9);
  EXPECT_EQ(s->rows_skipped, 1u);
  EXPECT_EQ(s->polls_total, 1u);
  EXPECT_EQ(s->poll_failures_total, 0u);
  ASSERT_EQ(s->nodes.size(), 3u);
  EXPECT_EQ(s->nodes[0].row.msid, 10u);  // sorted by msid
  EXPECT_EQ(s->nodes[1].row.msid, 20u);
  EXPECT_EQ(s->nodes[2].row.msid, 30u);
  EXPECT_NEAR(s->nodes[0].raw_age_seconds, 1.5, 1e-9);
  EXPECT_NEAR(s->nodes[0].silence_seconds, 1.5, 1e-9);  // no change seen yet
  EXPECT_FALSE(s->nodes[0].clock_offset_seconds.has_value());
  EXPECT_FALSE(s->nodes[1].has_heartbeat());
  EXPECT_EQ(s->nodes[1].silence_seconds, 0);
}

TEST_F(PollerTest, RestartsCountRunidChangesButNotInvalidation) {
  Make();
  prober_->SetDefault(AliveResult());
  const std::vector<int64_t> runids = {100, 100, 200, 200, 0, 300, 300};
  const std::vector<uint64_t> expected = {0, 0, 1, 1, 1, 2, 2};
  for (size_t i = 0; i < runids.size(); ++i) {
    source_->Set(OkRead(DbNow(), {MakeRow(1, "Up", DbNow() - 1, runids[i])}));
    EXPECT_EQ(Node(*poller_->PollOnce(), 1).restarts, expected[i]) << "poll " << i;
    clock_.Advance(2);
  }
}

TEST_F(PollerTest, FrozenDuringOutageThenRecovers) {
  Make();
  prober_->Set(AddressOf(1), AliveResult());
  prober_->Set(AddressOf(2), RefusedResult());
  const double t0 = DbNow();
  source_->Set(OkRead(t0, {MakeRow(1, "Up", t0 - 1), MakeRow(2, "Up", t0 - 7)},
                      {MakePeer(1001, 1002, "Up")}));
  const std::shared_ptr<const Snapshot> good = poller_->PollOnce();
  ASSERT_EQ(Node(*good, 2).verdict, Verdict::kUpNotRunning);
  const int probes_before = prober_->calls();

  clock_.Advance(2);
  const double outage_start = clock_.UnixSeconds();
  source_->Set(FailedRead("Lost connection to server during query"));
  std::shared_ptr<const Snapshot> s = poller_->PollOnce();
  clock_.Advance(60);  // long enough to change every verdict if anything were judged
  prober_->Set(AddressOf(2), AliveResult());
  s = poller_->PollOnce();

  EXPECT_TRUE(s->polled);
  EXPECT_FALSE(s->up);
  EXPECT_TRUE(s->ever_ok);
  EXPECT_EQ(s->last_error, "Lost connection to server during query");
  EXPECT_EQ(s->db_down_since_unix, outage_start);  // the first failure, kept
  EXPECT_EQ(s->last_success_unix, good->last_success_unix);
  EXPECT_EQ(s->db_now_unix, good->db_now_unix);
  EXPECT_EQ(s->poll_failures_total, 2u);
  EXPECT_EQ(s->polls_total, 3u);
  EXPECT_EQ(prober_->calls(), probes_before);  // no probing while frozen
  ASSERT_EQ(good->running_nodes, 2u);           // node 2 is silent, not yet stale
  EXPECT_EQ(s->running_nodes, good->running_nodes);
  ASSERT_EQ(s->nodes.size(), good->nodes.size());
  for (size_t i = 0; i < s->nodes.size(); ++i) {
    EXPECT_EQ(s->nodes[i].verdict, good->nodes[i].verdict);
    EXPECT_EQ(s->nodes[i].silence_seconds, good->nodes[i].silence_seconds);
    EXPECT_EQ(s->nodes[i].raw_age_seconds, good->nodes[i].raw_age_seconds);
    EXPECT_EQ(s->nodes[i].probe->success, good->nodes[i].probe->success);
  }
  EXPECT_EQ(s->peers.size(), 1u);

  // Back: judged afresh (node 2 now answers).
  const double t1 = DbNow();
  source_->Set(OkRead(t1, {MakeRow(1, "Up", t1 - 1), MakeRow(2, "Up", t1 - 1)}));
  s = poller_->PollOnce();
  EXPECT_TRUE(s->up);
  EXPECT_EQ(s->last_error, "");
  EXPECT_EQ(s->db_down_since_unix, 0);
  EXPECT_EQ(s->db_now_unix, t1);
  EXPECT_EQ(Node(*s, 2).verdict, Verdict::kOk);
  EXPECT_EQ(s->poll_failures_total, 2u);

  // A new outage starts its own clock.
  clock_.Advance(2);
  source_->Set(FailedRead("timeout"));
  EXPECT_EQ(poller_->PollOnce()->db_down_since_unix, clock_.UnixSeconds());
}

TEST_F(PollerTest, PeersOnlyBetweenCurrentNodes) {
  Make();
  const double now = DbNow();
  MshostRow nameless = MakeRow(2, "Up", now - 1);
  nameless.name.reset();
  source_->Set(OkRead(now, {MakeRow(1, "Up", now - 1), nameless},
                      {
                          MakePeer(1001, 1002, "Up"), MakePeer(1002, 1001, std::nullopt),
                          MakePeer(1001, 1099, "Down"),  // peer removed
                          MakePeer(1099, 1001, "Up"),    // owner removed
                      }));
  std::shared_ptr<const Snapshot> s = poller_->PollOnce();
  EXPECT_TRUE(s->peers_available);
  ASSERT_EQ(s->peers.size(), 2u);
  EXPECT_EQ(s->peers[0].owner_msid, 1u);
  EXPECT_EQ(s->peers[0].owner_name, "ms1");
  EXPECT_EQ(s->peers[0].peer_msid, 2u);
  EXPECT_EQ(s->peers[0].peer_name, "");
  EXPECT_EQ(s->peers[0].state, "Up");
  EXPECT_EQ(s->peers[1].owner_msid, 2u);
  EXPECT_EQ(s->peers[1].peer_msid, 1u);
  EXPECT_EQ(s->peers[1].state, "<NULL>");
}

TEST_F(PollerTest, OlderSchemaPeerRowsCollapseToThePeersCurrentRun) {
  Make();
  const double now = DbNow();
  source_->Set(OkRead(now, {MakeRow(1, "Up", now - 1), MakeRow(2, "Up", now - 1, 7)},
                      {MakePeer(1001, 1002, "Down", 5), MakePeer(1001, 1002, "Up", 7),
                       MakePeer(1001, 1002, "Down", 6), MakePeer(1002, 1001, "Down", 3),
                       MakePeer(1002, 1001, "Up", 4)}));
  std::shared_ptr<const Snapshot> s = poller_->PollOnce();
  ASSERT_EQ(s->peers.size(), 2u);
  EXPECT_EQ(s->peers[0].peer_runid, 7);  // node 2's current run
  EXPECT_EQ(s->peers[0].state, "Up");
  EXPECT_EQ(s->peers[1].peer_runid, 4);  // node 1 (runid 1) has no row: the latest
}

TEST_F(PollerTest, RemovedNodeDisappearsAndIsForgotten) {
  Make();
  prober_->SetDefault(AliveResult());
  auto read = [this](std::vector<uint64_t> msids, int64_t runid_of_2) {
    std::vector<MshostRow> rows;
    for (uint64_t msid : msids)
      rows.push_back(MakeRow(msid, "Up", DbNow() - 1, msid == 2 ? runid_of_2 : 1));
    return OkRead(DbNow(), rows);
  };
  source_->Set(read({1, 2}, 1));
  poller_->PollOnce();
  source_->Set(read({1, 2}, 2));
  EXPECT_EQ(Node(*poller_->PollOnce(), 2).restarts, 1u);
  source_->Set(read({1}, 0));
  std::shared_ptr<const Snapshot> s = poller_->PollOnce();
  ASSERT_EQ(s->nodes.size(), 1u);
  EXPECT_EQ(s->nodes[0].row.msid, 1u);
  // Back with another run: a new node as far as the exporter knows.
  source_->Set(read({1, 2}, 3));
  EXPECT_EQ(Node(*poller_->PollOnce(), 2).restarts, 0u);
}

TEST_F(PollerTest, ProbeAddressesFollowTheConfig) {
  target_.probe.overrides[3] = {"fd00::3", 8443};
  target_.probe.timeout_seconds = 0.5;
  Make();
  prober_->SetDefault(AliveResult());
  const double now = DbNow();
  MshostRow loopback = MakeRow(1, "Up", now - 1);
  loopback.service_ip = "127.0.0.1";
  MshostRow no_port = MakeRow(2, "Up", now - 1);
  no_port.service_port = 0;
  MshostRow overridden = MakeRow(3, "Up", now - 1);
  overridden.service_ip = "127.0.0.1";
  source_->Set(OkRead(now, {loopback, no_port, overridden}));
  std::shared_ptr<const Snapshot> s = poller_->PollOnce();

  EXPECT_EQ(Node(*s, 1).probe_address, "127.0.0.1:9090");
  EXPECT_TRUE(Node(*s, 1).probe_loopback);
  EXPECT_EQ(Node(*s, 3).probe_address, "[fd00::3]:8443");
  EXPECT_FALSE(Node(*s, 3).probe_loopback);
  // A row without a usable port is not probed and cannot look alive.
  const NodeStatus& bad = Node(*s, 2);
  ASSERT_TRUE(bad.probe.has_value());
  EXPECT_FALSE(bad.probe->success);
  EXPECT_NE(bad.probe->error.find("service_port 0"), std::string::npos)
      << bad.probe->error;
  EXPECT_EQ(bad.verdict, Verdict::kUpUnreachable);

  const std::vector<ProbeTarget> probed = prober_->last_targets();
  ASSERT_EQ(probed.size(), 2u);
  EXPECT_EQ(probed[0].host, "127.0.0.1");
  EXPECT_EQ(probed[1].host, "fd00::3");
  EXPECT_EQ(probed[1].port, 8443);
  EXPECT_EQ(prober_->last_timeout_seconds(), 0.5);
}

TEST_F(PollerTest, NodeWithClockBehindLooksOkOnceItsHeartbeatsAreSeen) {
  Make();
  prober_->SetDefault(AliveResult());
  const double kBehind = 30;  // the node's clock runs 30 s behind the database's
  const double boot = DbNow();
  source_->SetGenerator([&] {
    const double now = DbNow();
    const double beat = boot + std::floor((now - boot) / 1.5) * 1.5;  // every 1.5 s
    return OkRead(now, {MakeRow(1, "Up", beat - kBehind)});
  });
  for (int poll = 0; poll < 40; ++poll) {
    const NodeStatus& node = Node(*poller_->PollOnce(), 1);
    EXPECT_GE(node.raw_age_seconds, kBehind);
    if (poll >= 2) {
      EXPECT_EQ(node.verdict, Verdict::kOk) << "poll " << poll;
      ASSERT_TRUE(node.clock_offset_seconds.has_value());
      EXPECT_NEAR(*node.clock_offset_seconds, kBehind, 1.5);
    }
    clock_.Advance(2);
  }
}

TEST_F(PollerTest, StoppedHeartbeatIsCaughtDespiteTheOffset) {
  Make();
  prober_->SetDefault(RefusedResult());
  const double kBehind = 30;
  const double boot = DbNow();
  double last_beat = boot;
  bool beating = true;
  source_->SetGenerator([&] {
    const double now = DbNow();
    if (beating) last_beat = boot + std::floor((now - boot) / 1.5) * 1.5;
    return OkRead(now, {MakeRow(1, "Up", last_beat - kBehind)});
  });
  for (int poll = 0; poll < 5; ++poll) {
    poller_->PollOnce();
    clock_.Advance(2);
  }
  beating = false;  // killed: the row still says Up
  Verdict verdict = Verdict::kOk;
  int polls = 0;
  while (verdict != Verdict::kUpNotRunning && polls < 10) {
    verdict = Node(*poller_->PollOnce(), 1).verdict;
    clock_.Advance(2);
    ++polls;
  }
  EXPECT_EQ(verdict, Verdict::kUpNotRunning);
  EXPECT_LE(polls, 4);  // dead_after 5 s at 2 s polls
}

TEST_F(PollerTest, CallbackGetsWhatWasPublished) {
  Make();
  source_->Set(OkRead(DbNow(), {MakeRow(1, "Up", DbNow())}));
  std::vector<std::shared_ptr<const Snapshot>> seen;
  poller_->SetOnSnapshot([&](std::shared_ptr<const Snapshot> s) { seen.push_back(s); });
  std::shared_ptr<const Snapshot> s = poller_->PollOnce();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], s);
  EXPECT_EQ(poller_->Latest(), s);
}

// A bound on real time for what should take microseconds: only a broken poller
// makes a test wait this long.
constexpr double kSafetyNetSeconds = 5;

// Counts events on the poller's thread (snapshots, reads) for the test's thread.
class Counter {
 public:
  // Returns the count with this event.
  int Count() {
    std::lock_guard<std::mutex> lock(mu_);
    ++count_;
    cv_.notify_all();
    return count_;
  }
  // False when `count` events have not happened within the safety net.
  bool WaitFor(int count) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::duration<double>(kSafetyNetSeconds),
                        [&] { return count_ >= count; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

TEST_F(PollerTest, StartPollsAtOnceAndStopDoesNotWaitForTheInterval) {
  Make(/*probing=*/true, /*poll_interval_seconds=*/3600);
  source_->Set(OkRead(DbNow(), {MakeRow(1, "Up", DbNow())}));
  Counter counter;
  poller_->SetOnSnapshot([&](std::shared_ptr<const Snapshot>) { counter.Count(); });
  poller_->Start();
  ASSERT_TRUE(counter.WaitFor(1));
  poller_->Stop();  // would hang for an hour if the wait ignored Stop
  EXPECT_EQ(source_->reads(), 1);
  EXPECT_TRUE(poller_->Latest()->up);
  poller_->Stop();  // twice is fine

  poller_->Start();  // and it starts again
  ASSERT_TRUE(counter.WaitFor(2));
  poller_->Stop();
  EXPECT_EQ(source_->reads(), 2);
}

// The interval runs from the start of a cycle: a cycle that took longer leaves
// nothing to wait, so the next one begins without the clock moving any further.
TEST_F(PollerTest, CycleLongerThanTheIntervalIsFollowedAtOnce) {
  Make(/*probing=*/false, /*poll_interval_seconds=*/60);
  Counter reads;
  source_->SetGenerator([&] {
    if (reads.Count() == 1) clock_.Advance(61);  // the first cycle takes 61 s
    return OkRead(DbNow(), {});
  });
  poller_->Start();
  // Nothing moves the clock from here on: the second read comes at once or never.
  EXPECT_TRUE(reads.WaitFor(2));
  ASSERT_TRUE(
      clock_.WaitForSleepers(1, kSafetyNetSeconds));  // the second cycle was short
  poller_->Stop();
  EXPECT_EQ(source_->reads(), 2);
}

// A cycle shorter than the interval is followed by the next when the clock reaches
// the interval from the start of the first, not a moment before. Advance() returns
// once the sleeping poller has seen the new time, so "not yet" is not a race.
TEST_F(PollerTest, CycleShorterThanTheIntervalWaitsForTheRest) {
  Make(/*probing=*/false, /*poll_interval_seconds=*/60);
  Counter reads;
  source_->SetGenerator([&] {
    if (reads.Count() == 1) clock_.Advance(10);  // the first cycle takes 10 s
    return OkRead(DbNow(), {});
  });
  poller_->Start();
  ASSERT_TRUE(clock_.WaitForSleepers(1, kSafetyNetSeconds));
  EXPECT_EQ(source_->reads(), 1);
  clock_.Advance(49.5);  // 59.5 s after the first cycle began
  EXPECT_EQ(clock_.sleepers(), 1u);
  EXPECT_EQ(source_->reads(), 1);
  clock_.Advance(0.5);
  EXPECT_TRUE(reads.WaitFor(2));
  poller_->Stop();
  EXPECT_EQ(source_->reads(), 2);
}

// --- each problem is logged once, not once per poll ------------------------------------

using Lines = std::vector<std::string>;

TEST_F(PollerTest, DatabaseOutageIsLoggedOnceAndItsEndOnce) {
  Make(/*probing=*/false);
  LogCapture log;
  source_->Set(OkRead(DbNow(), {MakeRow(1, "Up", DbNow())}));
  poller_->PollOnce();
  source_->Set(FailedRead("connect to db:3306: Connection refused"));
  poller_->PollOnce();
  for (int i = 0; i < 5; ++i) {
    // During the backoff the text changes every poll; the outage is the same.
    source_->Set(FailedRead("reconnecting in " + std::to_string(i) +
                            ".0s: connect to db:3306: Connection refused"));
    clock_.Advance(2);
    poller_->PollOnce();
  }
  source_->Set(OkRead(DbNow(), {MakeRow(1, "Up", DbNow())}));
  poller_->PollOnce();
  poller_->PollOnce();

  const Lines down = log.Lines({"msg=\"database unreachable\"", "target=prod"});
  ASSERT_EQ(down.size(), 1u) << log.Text();
  EXPECT_NE(down[0].find("error=\"connect to db:3306: Connection refused\""),
            std::string::npos)
      << down[0];
  const Lines back = log.Lines({"msg=\"database reachable again\"", "down_seconds=10.0"});
  EXPECT_EQ(back.size(), 1u) << log.Text();
}

TEST_F(PollerTest, ProbeFailureIsLoggedOncePerNodeAndProblem) {
  Make();
  LogCapture log;
  prober_->Set(AddressOf(1), AliveResult());
  prober_->Set(AddressOf(2), RefusedResult());
  const auto poll = [this](int times) {
    for (int i = 0; i < times; ++i) {
      source_->Set(
          OkRead(DbNow(), {MakeRow(1, "Up", DbNow()), MakeRow(2, "Up", DbNow())}));
      poller_->PollOnce();
    }
  };
  poll(3);
  prober_->Set(AddressOf(2), ProbeResult{false, 1, "timeout"});
  poll(3);
  prober_->Set(AddressOf(2), AliveResult());
  poll(3);

  const Lines failing = log.Lines({"msg=\"probe failing\"", "target=prod"});
  ASSERT_EQ(failing.size(), 2u) << log.Text();
  EXPECT_NE(failing[0].find("msid=2 name=ms2 address=" + AddressOf(2) +
                            " error=\"connection refused\""),
            std::string::npos)
      << failing[0];
  EXPECT_NE(failing[1].find("error=timeout"), std::string::npos) << failing[1];
  const Lines again = log.Lines({"msg=\"probe succeeding again\""});
  ASSERT_EQ(again.size(), 1u) << log.Text();
  EXPECT_NE(again[0].find("msid=2"), std::string::npos);
  EXPECT_TRUE(log.Lines({"msid=1"}).empty()) << log.Text();  // never failed
}

TEST_F(PollerTest, ProbeFailuresOfNodesThatSayDownAreNotLogged) {
  Make();
  LogCapture log;
  const auto poll = [this](const char* state_of_3) {
    source_->Set(OkRead(DbNow(), {MakeRow(3, state_of_3, DbNow() - 600),
                                  MakeRow(4, std::nullopt, DbNow() - 600)}));
    poller_->PollOnce();
  };
  poll("Down");
  poll("Down");
  EXPECT_TRUE(log.Lines({"msid=3"}).empty()) << log.Text();  // stopped: expected
  // A NULL state claims running: failing from the first poll, logged once.
  EXPECT_EQ(log.Lines({"msg=\"probe failing\"", "msid=4"}).size(), 1u) << log.Text();

  poll("Up");  // the row says it runs, but nothing answers: now it is news
  poll("Up");
  EXPECT_EQ(log.Lines({"msg=\"probe failing\"", "msid=3"}).size(), 1u) << log.Text();
  poll("Down");  // stopped cleanly: no line, and none when it is Up and failing again
  poll("Up");
  EXPECT_EQ(log.Lines({"msid=3"}).size(), 1u) << log.Text();
  prober_->Set(AddressOf(3), AliveResult());
  poll("Up");
  EXPECT_EQ(log.Lines({"msg=\"probe succeeding again\"", "msid=3"}).size(), 1u)
      << log.Text();
}

TEST_F(PollerTest, UnreadablePeerTableIsLoggedOnceAndItsReturnOnce) {
  Make(/*probing=*/false);
  LogCapture log;
  SourceRead without = OkRead(DbNow(), {MakeRow(1, "Up", DbNow())});
  without.peers_available = false;
  without.peers_error = "mshost_peer: the table does not exist";
  SourceRead with = OkRead(DbNow(), {MakeRow(1, "Up", DbNow())});
  for (const SourceRead* read : {&without, &without, &without, &with, &with, &without}) {
    source_->Set(*read);
    const std::shared_ptr<const Snapshot> s = poller_->PollOnce();
    EXPECT_TRUE(s->up);
    EXPECT_EQ(s->peers_available, read->peers_available);
  }
  const Lines missing = log.Lines(
      {"msg=\"mshost_peer not readable, peer metrics left out\"", "target=prod"});
  ASSERT_EQ(missing.size(), 2u) << log.Text();
  EXPECT_NE(missing[0].find("error=\"mshost_peer: the table does not exist\""),
            std::string::npos)
      << missing[0];
  EXPECT_EQ(log.Lines({"msg=\"mshost_peer readable again\""}).size(), 1u) << log.Text();
  EXPECT_TRUE(log.Lines({"database unreachable"}).empty());
}

TEST_F(PollerTest, UnreadableStatusTableIsLoggedOnceAndItsReturnOnce) {
  Make(/*probing=*/false);
  LogCapture log;
  SourceRead without = OkRead(DbNow(), {MakeRow(1, "Up", DbNow())});
  without.status_available = false;
  without.status_error = "mshost_status: the table does not exist";
  SourceRead with = OkRead(DbNow(), {MakeRow(1, "Up", DbNow())});
  with.rows[0].jvm_start_unix = DbNow() - 3600;
  for (const SourceRead* read : {&without, &without, &with, &with, &without}) {
    source_->Set(*read);
    const std::shared_ptr<const Snapshot> s = poller_->PollOnce();
    EXPECT_TRUE(s->up);
    ASSERT_EQ(s->nodes.size(), 1u);
    // The values travel with the row into the snapshot.
    EXPECT_EQ(s->nodes[0].row.jvm_start_unix, read->rows[0].jvm_start_unix);
  }
  const Lines missing = log.Lines(
      {"msg=\"mshost_status not readable, node start and boot times left out\"",
       "target=prod"});
  ASSERT_EQ(missing.size(), 2u) << log.Text();
  EXPECT_NE(missing[0].find("error=\"mshost_status: the table does not exist\""),
            std::string::npos)
      << missing[0];
  EXPECT_EQ(log.Lines({"msg=\"mshost_status readable again\""}).size(), 1u)
      << log.Text();
  EXPECT_TRUE(log.Lines({"mshost_peer"}).empty()) << log.Text();
  EXPECT_TRUE(log.Lines({"database unreachable"}).empty());
}

}  // namespace
}  // namespace msx
