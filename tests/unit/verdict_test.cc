#include "judge/verdict.h"

#include <gtest/gtest.h>

namespace msx {
namespace {

VerdictInput Node(std::optional<std::string> state, double silence,
                  std::optional<bool> alive, bool has_heartbeat = true) {
  VerdictInput in;
  in.state = std::move(state);
  in.has_heartbeat = has_heartbeat;
  in.silence_seconds = silence;
  in.alive = alive;
  in.stale_after_seconds = 10;
  in.dead_after_seconds = 5;
  return in;
}

TEST(VerdictTest, ClaimsRunningIsEveryStateButDown) {
  EXPECT_FALSE(ClaimsRunning(std::string("Down")));
  for (const char* s : {"Up", "PreparingToShutDown", "ReadyToShutDown", "ShuttingDown",
                        "PreparingForMaintenance", "Maintenance", "Bogus", "down", ""}) {
    EXPECT_TRUE(ClaimsRunning(std::string(s))) << s;
  }
  EXPECT_TRUE(ClaimsRunning(std::nullopt));
}

// The contract's table, row by row, at the boundaries (strictly greater than).
TEST(VerdictTest, ClaimsRunningWithProbe) {
  EXPECT_EQ(Judge(Node("Up", 0, true)), Verdict::kOk);
  EXPECT_EQ(Judge(Node("Up", 10, true)), Verdict::kOk);
  EXPECT_EQ(Judge(Node("Up", 10.001, true)), Verdict::kUpHeartbeatStale);
  EXPECT_EQ(Judge(Node("Up", 5, false)), Verdict::kUpUnreachable);
  EXPECT_EQ(Judge(Node("Up", 5.001, false)), Verdict::kUpNotRunning);
  EXPECT_EQ(Judge(Node("Up", 0, false)), Verdict::kUpUnreachable);
  EXPECT_EQ(Judge(Node("Up", 60, false)), Verdict::kUpNotRunning);
}

TEST(VerdictTest, ClaimsRunningWithoutProbe) {
  EXPECT_EQ(Judge(Node("Up", 9, std::nullopt)), Verdict::kOk);
  EXPECT_EQ(Judge(Node("Up", 10, std::nullopt)), Verdict::kOk);
  // Silent but not stale: without a probe the heartbeat alone needs stale_after.
  EXPECT_EQ(Judge(Node("Up", 7, std::nullopt)), Verdict::kOk);
  EXPECT_EQ(Judge(Node("Up", 10.5, std::nullopt)), Verdict::kUpNotRunning);
}

TEST(VerdictTest, DownRows) {
  EXPECT_EQ(Judge(Node("Down", 0, false)), Verdict::kOk);
  EXPECT_EQ(Judge(Node("Down", 500, false)), Verdict::kOk);
  EXPECT_EQ(Judge(Node("Down", 500, std::nullopt)), Verdict::kOk);
  // A clean stop leaves a fresh heartbeat: freshness proves nothing, the probe does.
  EXPECT_EQ(Judge(Node("Down", 0, true)), Verdict::kDownButRunning);
  EXPECT_EQ(Judge(Node("Down", 500, true)), Verdict::kDownButRunning);
  EXPECT_EQ(Judge(Node("Down", 0, true, /*has_heartbeat=*/false)),
            Verdict::kDownButRunning);
}

TEST(VerdictTest, NullHeartbeatIsStaleAndSilent) {
  EXPECT_EQ(Judge(Node("Up", 0, false, false)), Verdict::kUpNotRunning);
  EXPECT_EQ(Judge(Node("Up", 0, true, false)), Verdict::kUpHeartbeatStale);
  EXPECT_EQ(Judge(Node("Up", 0, std::nullopt, false)), Verdict::kUpNotRunning);
  EXPECT_EQ(Judge(Node("Down", 0, false, false)), Verdict::kOk);
}

TEST(VerdictTest, NullOrUnknownStateClaimsRunning) {
  EXPECT_EQ(Judge(Node(std::nullopt, 30, false)), Verdict::kUpNotRunning);
  EXPECT_EQ(Judge(Node(std::string("Weird"), 30, false)), Verdict::kUpNotRunning);
  EXPECT_EQ(Judge(Node(std::string("ShuttingDown"), 1, true)), Verdict::kOk);
}

// Every combination of the inputs lands on exactly the verdict the contract's
// prose gives, written independently of Judge's branch order.
TEST(VerdictTest, ExhaustiveAgainstContractTable) {
  for (auto state : {std::optional<std::string>("Up"), std::optional<std::string>("Down"),
                     std::optional<std::string>()}) {
    for (bool hb : {true, false}) {
      for (double silence : {0.0, 5.0, 7.0, 10.0, 11.0}) {
        for (auto alive : {std::optional<bool>(true), std::optional<bool>(false),
                           std::optional<bool>()}) {
          const bool claims = !state || *state != "Down";
          const bool stale = !hb || silence > 10;
          const bool silent = !hb || silence > 5;
          const bool is_alive = alive.value_or(false);
          Verdict want;
          if (claims && !stale && (is_alive || !alive)) want = Verdict::kOk;
          else if (!claims && !is_alive) want = Verdict::kOk;
          else if (claims && silent && alive && !is_alive) want = Verdict::kUpNotRunning;
          else if (claims && !alive && stale) want = Verdict::kUpNotRunning;
          else if (claims && stale && is_alive) want = Verdict::kUpHeartbeatStale;
          else if (claims && !silent && alive && !is_alive) want = Verdict::kUpUnreachable;
          else if (!claims && is_alive) want = Verdict::kDownButRunning;
          else FAIL() << "combination not covered by the contract";
          EXPECT_EQ(Judge(Node(state, silence, alive, hb)), want)
              << (state ? *state : "NULL") << " hb=" << hb << " silence=" << silence
              << " alive=" << (alive ? (*alive ? "yes" : "no") : "off");
        }
      }
    }
  }
}

TEST(VerdictTest, Names) {
  EXPECT_STREQ(VerdictName(Verdict::kOk), "ok");
  EXPECT_STREQ(VerdictName(Verdict::kUpNotRunning), "up_not_running");
  EXPECT_STREQ(VerdictName(Verdict::kUpHeartbeatStale), "up_heartbeat_stale");
  EXPECT_STREQ(VerdictName(Verdict::kUpUnreachable), "up_unreachable");
  EXPECT_STREQ(VerdictName(Verdict::kDownButRunning), "down_but_running");
  EXPECT_STREQ(VerdictName(Verdict::kUnknown), "unknown");
  EXPECT_LT(VerdictSeverityRank(Verdict::kUpNotRunning), VerdictSeverityRank(Verdict::kOk));
}

}  // namespace
}  // namespace msx
