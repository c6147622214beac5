#include "source/reconnecting_source.h"

#include <gtest/gtest.h>

#include <deque>

namespace msx {
namespace {

// A driver whose every step succeeds or fails on command, and which counts calls so
// tests can see when ReconnectingSource connects, queries and disconnects.
class ScriptedDriver : public ReconnectingSource {
 public:
  explicit ScriptedDriver(const Clock& clock) : ReconnectingSource(clock) {}

  std::deque<std::string> connect_errors;  // "" = success; empty deque = success
  std::deque<std::string> query_errors;
  std::string db_now = "2024-03-01 00:00:00";
  // The next answer of QueryBlastRadius: an error ("" = success) and whether it
  // means a missing table or grant.
  std::string blast_error;
  bool blast_unavailable = false;
  RawBlastRead blast_rows;
  int connects = 0, queries = 0, blast_queries = 0, disconnects = 0;
  bool open = false;

 protected:
  Status Connect() override {
    ++connects;
    EXPECT_FALSE(open) << "a second connection while one is open";
    const std::string error = Next(&connect_errors);
    open = error.empty();
    return open ? Status::Ok() : Status::Error(error);
  }
  StatusOr<RawRead> Query() override {
    ++queries;
    EXPECT_TRUE(open) << "query without a connection";
    const std::string error = Next(&query_errors);
    if (!error.empty()) return Status::Error(error);
    RawRead raw;
    raw.db_now = db_now;
    return raw;
  }
  StatusOr<RawBlastRead> QueryBlastRadius() override {
    ++blast_queries;
    EXPECT_TRUE(open) << "query without a connection";
    if (blast_error.empty()) return blast_rows;
    if (!blast_unavailable) return Status::Error(blast_error);
    RawBlastRead refused;
    refused.unavailable = blast_error;
    return refused;
  }
  void Disconnect() override {
    ++disconnects;
    open = false;
  }

 private:
  static std::string Next(std::deque<std::string>* errors) {
    if (errors->empty()) return "";
    std::string e = errors->front();
    errors->pop_front();
    return e;
  }
};

class ReconnectingSourceTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  ScriptedDriver source_{clock_};
};

TEST_F(ReconnectingSourceTest, ConnectsOnceAndKeepsTheConnection) {
  for (int i = 0; i < 3; ++i) {
    SourceRead read = source_.Read();
    EXPECT_TRUE(read.ok) << read.error;
    EXPECT_DOUBLE_EQ(read.db_now_unix, 1709251200);
  }
  EXPECT_EQ(source_.connects, 1);
  EXPECT_EQ(source_.queries, 3);
}

TEST_F(ReconnectingSourceTest, FailureClosesAndBacksOffThenRecovers) {
  source_.query_errors = {"query: Lost connection to server during query (2013)"};
  SourceRead read = source_.Read();
  EXPECT_FALSE(read.ok);
  EXPECT_EQ(read.error, "query: Lost connection to server during query (2013)");
  EXPECT_FALSE(source_.open);

  // Within the first backoff step: no new connection, a fast and clear failure.
  clock_.Advance(0.2);
  read = source_.Read();
  EXPECT_FALSE(read.ok);
  EXPECT_EQ(read.error,
            "reconnecting in 0.3s: query: Lost connection to server during query (2013)");
  EXPECT_EQ(source_.connects, 1);

  clock_.Advance(0.3);
  read = source_.Read();
  EXPECT_TRUE(read.ok) << read.error;
  EXPECT_EQ(source_.connects, 2);
}

TEST_F(ReconnectingSourceTest, BackoffDoublesUpToThirtySeconds) {
  // Every connect fails; record how long the source waits before each attempt.
  source_.connect_errors = std::deque<std::string>(20, "connect to db:3306: refused");
  std::vector<double> waits;
  double last_attempt = clock_.MonotonicSeconds();
  source_.Read();
  while (source_.connects < 10) {
    clock_.Advance(0.25);
    const int before = source_.connects;
    SourceRead read = source_.Read();
    EXPECT_FALSE(read.ok);
    if (source_.connects != before) {
      waits.push_back(clock_.MonotonicSeconds() - last_attempt);
      last_attempt = clock_.MonotonicSeconds();
    } else {
      EXPECT_EQ(read.error.rfind("reconnecting in ", 0), 0u) << read.error;
    }
  }
  const std::vector<double> want = {0.5, 1, 2, 4, 8, 16, 30, 30, 30};
  ASSERT_EQ(waits.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(waits[i], want[i], 1e-9) << i;
}

TEST_F(ReconnectingSourceTest, SuccessResetsTheBackoff) {
  source_.connect_errors = {"e1", "e2", "e3"};
  source_.Read();
  clock_.Advance(0.5);
  source_.Read();
  clock_.Advance(1);
  source_.Read();
  clock_.Advance(2);
  ASSERT_TRUE(source_.Read().ok);
  // The next failure of a database that was answering retries every second.
  source_.query_errors = {"boom"};
  EXPECT_FALSE(source_.Read().ok);
  clock_.Advance(0.5);
  EXPECT_FALSE(source_.Read().ok);
  clock_.Advance(0.5);
  EXPECT_TRUE(source_.Read().ok);
}

// A database that was answering and goes away is most often restarting: its return
// is noticed within a second for the first minute, then the backoff doubles.
TEST_F(ReconnectingSourceTest, ADatabaseThatWasUpIsRetriedFastFirst) {
  ASSERT_TRUE(source_.Read().ok);
  source_.query_errors = {"lost"};
  source_.connect_errors = std::deque<std::string>(100, "connect to db:3306: refused");
  std::vector<double> attempts;
  const double start = clock_.MonotonicSeconds();
  source_.Read();
  while (source_.connects < 66) {
    clock_.Advance(0.25);
    const int before = source_.connects;
    source_.Read();
    if (source_.connects != before) attempts.push_back(clock_.MonotonicSeconds() - start);
  }
  // One attempt a second through the first 60 s, then the wait doubles.
  ASSERT_EQ(attempts.size(), 65u);
  EXPECT_NEAR(attempts[0], 1, 1e-9);
  EXPECT_NEAR(attempts[59], 60, 1e-9);
  EXPECT_NEAR(attempts[60] - attempts[59], 2, 1e-9);
  EXPECT_NEAR(attempts[61] - attempts[60], 4, 1e-9);
  EXPECT_NEAR(attempts[64] - attempts[63], 30, 1e-9);
}

TEST_F(ReconnectingSourceTest, UnparsableClockCountsAsAFailure) {
  source_.db_now = "garbage";
  SourceRead read = source_.Read();
  EXPECT_FALSE(read.ok);
  EXPECT_EQ(read.error, "the database clock did not read as a datetime: \"garbage\"");
  EXPECT_FALSE(source_.open);
}

TEST_F(ReconnectingSourceTest, MultiLineErrorsBecomeOneLine) {
  source_.connect_errors = {
      "connect: could not connect to server: Connection refused\n\tIs the server "
      "running on host \"127.0.0.1\"?\n"};
  EXPECT_EQ(source_.Read().error,
            "connect: could not connect to server: Connection refused Is the server "
            "running on host \"127.0.0.1\"?");
}

TEST_F(ReconnectingSourceTest, CloseDropsTheConnection) {
  ASSERT_TRUE(source_.Read().ok);
  source_.Close();
  EXPECT_FALSE(source_.open);
  ASSERT_TRUE(source_.Read().ok);  // no backoff after a deliberate close
  EXPECT_EQ(source_.connects, 2);
}

TEST_F(ReconnectingSourceTest, BlastRadiusNeedsTheConnectionOfARead) {
  const BlastRadiusRead before = source_.ReadBlastRadius();
  EXPECT_FALSE(before.ok);
  EXPECT_FALSE(before.unavailable);
  EXPECT_EQ(before.error, "not connected");
  EXPECT_EQ(source_.connects, 0);  // it never connects by itself
  EXPECT_EQ(source_.blast_queries, 0);

  ASSERT_TRUE(source_.Read().ok);
  source_.blast_rows.agents = {{std::string("42"), std::string("Up"), std::string("37")}};
  source_.blast_rows.jobs = {{std::string("42"), std::string("4")}};
  const BlastRadiusRead read = source_.ReadBlastRadius();
  ASSERT_TRUE(read.ok) << read.error;
  ASSERT_EQ(read.agents.size(), 1u);
  EXPECT_EQ(read.agents[0].count, 37u);
  ASSERT_EQ(read.jobs.size(), 1u);
  EXPECT_EQ(read.jobs[0].count, 4u);
  EXPECT_EQ(source_.connects, 1);
}

TEST_F(ReconnectingSourceTest, MissingGrantsKeepTheConnection) {
  ASSERT_TRUE(source_.Read().ok);
  source_.blast_error =
      "query: SELECT command denied to user 'exporter' for table 'host'";
  source_.blast_unavailable = true;
  const BlastRadiusRead read = source_.ReadBlastRadius();
  EXPECT_FALSE(read.ok);
  EXPECT_TRUE(read.unavailable);
  EXPECT_EQ(read.error, source_.blast_error);
  EXPECT_TRUE(source_.open);
  EXPECT_EQ(source_.disconnects, 0);
}

TEST_F(ReconnectingSourceTest, ABlastRadiusFailureReconnectsAtTheNextReadWithoutWaiting) {
  ASSERT_TRUE(source_.Read().ok);
  source_.blast_error = "query: Lost connection to server during query";
  const BlastRadiusRead read = source_.ReadBlastRadius();
  EXPECT_FALSE(read.ok);
  EXPECT_FALSE(read.unavailable);
  EXPECT_FALSE(source_.open);
  ASSERT_TRUE(source_.Read().ok);  // no backoff: the database answered the last read
  EXPECT_EQ(source_.connects, 2);
}

TEST(OneLineTest, CollapsesWhitespace) {
  EXPECT_EQ(OneLine("  a\n\n b\t\tc \r\n"), "a b c");
  EXPECT_EQ(OneLine(""), "");
  EXPECT_EQ(OneLine("\n"), "");
}

}  // namespace
}  // namespace msx
