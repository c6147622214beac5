#include "common/log.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "common/utf8.h"

namespace msx {
namespace {

// 2026-11-26T20:00:00.123Z
constexpr int64_t kUnixMs = 1795723200123;
constexpr char kLogfmtHead[] = "ts=2026-11-26T20:00:00.123Z level=";
constexpr char kJsonHead[] = "{\"ts\":\"2026-11-26T20:00:00.123Z\",\"level\":";

TEST(LogLineTest, LogfmtMessageAlone) {
  EXPECT_EQ(FormatLogLine(LogFormat::kLogfmt, kUnixMs, LogLevel::kInfo, "listening"),
            "ts=2026-11-26T20:00:00.123Z level=info msg=\"listening\"");
}

TEST(LogLineTest, JsonMessageAlone) {
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kUnixMs, LogLevel::kInfo, "stopping"),
            "{\"ts\":\"2026-11-26T20:00:00.123Z\",\"level\":\"info\","
            "\"msg\":\"stopping\"}");
}

TEST(LogLineTest, LogfmtFieldsFollowTheMessageInOrder) {
  EXPECT_EQ(FormatLogLine(LogFormat::kLogfmt, kUnixMs, LogLevel::kWarn, "poll failed",
                          {{"target", "prod"}, {"error", "timed out"}}),
            "ts=2026-11-26T20:00:00.123Z level=warn msg=\"poll failed\" target=prod "
            "error=\"timed out\"");
}

TEST(LogLineTest, JsonFieldsFollowTheMessageInOrder) {
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kUnixMs, LogLevel::kWarn, "poll failed",
                          {{"target", "prod"}, {"error", "timed out"}}),
            "{\"ts\":\"2026-11-26T20:00:00.123Z\",\"level\":\"warn\","
            "\"msg\":\"poll failed\",\"target\":\"prod\",\"error\":\"timed out\"}");
}

TEST(LogLineTest, EveryLevelByItsPrometheusName) {
  EXPECT_EQ(FormatLogLine(LogFormat::kLogfmt, kUnixMs, LogLevel::kDebug, "m"),
            std::string(kLogfmtHead) + "debug msg=\"m\"");
  EXPECT_EQ(FormatLogLine(LogFormat::kLogfmt, kUnixMs, LogLevel::kError, "m"),
            std::string(kLogfmtHead) + "error msg=\"m\"");
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kUnixMs, LogLevel::kDebug, "m"),
            std::string(kJsonHead) + "\"debug\",\"msg\":\"m\"}");
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kUnixMs, LogLevel::kError, "m"),
            std::string(kJsonHead) + "\"error\",\"msg\":\"m\"}");
}

// The bug that retired the text parser: a value that looks like more pairs.
TEST(LogLineTest, ValueThatLooksLikePairsIsOneField) {
  const std::string name = "prod cluster=eu";
  EXPECT_EQ(FormatLogLine(LogFormat::kLogfmt, kUnixMs, LogLevel::kWarn, "poll failed",
                          {{"target", name}, {"error", "x=1 y=\"2\""}}),
            std::string(kLogfmtHead) +
                "warn msg=\"poll failed\" target=\"prod cluster=eu\" "
                "error=\"x=1 y=\\\"2\\\"\"");
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kUnixMs, LogLevel::kWarn, "poll failed",
                          {{"target", name}, {"error", "x=1 y=\"2\""}}),
            std::string(kJsonHead) +
                "\"warn\",\"msg\":\"poll failed\",\"target\":\"prod cluster=eu\","
                "\"error\":\"x=1 y=\\\"2\\\"\"}");
}

TEST(LogLineTest, MessageThatLooksLikePairsStaysTheMessage) {
  EXPECT_EQ(FormatLogLine(LogFormat::kLogfmt, kUnixMs, LogLevel::kInfo,
                          "1+1=2 target=lab is true"),
            std::string(kLogfmtHead) + "info msg=\"1+1=2 target=lab is true\"");
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kUnixMs, LogLevel::kInfo,
                          "1+1=2 target=lab is true"),
            std::string(kJsonHead) + "\"info\",\"msg\":\"1+1=2 target=lab is true\"}");
}

TEST(LogLineTest, EscapesQuotesBackslashesAndLineBreaks) {
  const std::string text = "bad \"name\"\nnext\\line\r\tend";
  const std::string escaped = "\"bad \\\"name\\\"\\nnext\\\\line\\r\\tend\"";
  EXPECT_EQ(
      FormatLogLine(LogFormat::kLogfmt, kUnixMs, LogLevel::kInfo, text, {{"name", text}}),
      std::string(kLogfmtHead) + "info msg=" + escaped + " name=" + escaped);
  EXPECT_EQ(
      FormatLogLine(LogFormat::kJson, kUnixMs, LogLevel::kInfo, text, {{"name", text}}),
      std::string(kJsonHead) + "\"info\",\"msg\":" + escaped + ",\"name\":" + escaped +
          "}");
}

TEST(LogLineTest, ControlCharactersBecomeUnicodeEscapes) {
  const std::string text("a\x01z\x1f", 4);
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kUnixMs, LogLevel::kInfo, text,
                          {{"v", std::string("\0", 1)}}),
            std::string(kJsonHead) +
                "\"info\",\"msg\":\"a\\u0001z\\u001f\",\"v\":\"\\u0000\"}");
  EXPECT_EQ(FormatLogLine(LogFormat::kLogfmt, kUnixMs, LogLevel::kInfo, text,
                          {{"v", std::string("\0", 1)}}),
            std::string(kLogfmtHead) + "info msg=\"a\\u0001z\\u001f\" v=\"\\u0000\"");
}

TEST(LogLineTest, LogfmtQuotesAValueOnlyWhenNeeded) {
  EXPECT_EQ(FormatLogLine(LogFormat::kLogfmt, kUnixMs, LogLevel::kInfo, "m",
                          {{"address", "127.0.0.1:9090"}, {"empty", ""}, {"eq", "a=b"}}),
            std::string(kLogfmtHead) +
                "info msg=\"m\" address=127.0.0.1:9090 empty=\"\" eq=\"a=b\"");
}

// A node name from the database may hold any bytes (Latin-1, truncated sequences);
// JSON log pipelines reject a line that is not UTF-8.
TEST(LogLineTest, InvalidUtf8BecomesReplacementCharactersInBothFormats) {
  for (LogFormat format : {LogFormat::kJson, LogFormat::kLogfmt}) {
    const std::string line =
        FormatLogLine(format, 0, LogLevel::kWarn, "row skipped \xFF",
                      {{"name", "caf\xE9"}, {"error", "\xC3"}, {"ok", "caf\xC3\xA9"}});
    EXPECT_NE(line.find("caf\xEF\xBF\xBD"), std::string::npos) << line;
    EXPECT_NE(line.find("skipped \xEF\xBF\xBD"), std::string::npos) << line;
    EXPECT_NE(line.find("caf\xC3\xA9"), std::string::npos) << line;  // valid: kept
    EXPECT_EQ(SanitizeUtf8(line), line);
  }
}

TEST(LogLineTest, KeysStayOneAsciiToken) {
  EXPECT_EQ(FormatLogLine(LogFormat::kLogfmt, kUnixMs, LogLevel::kInfo, "m",
                          {{"a b=\"c\"\n", 1}, {"caf\xE9", 2}, {"", 3}, {"x.y-z_1", 4}}),
            std::string(kLogfmtHead) + "info msg=\"m\" a_b__c__=1 caf_=2 _=3 x.y-z_1=4");
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kUnixMs, LogLevel::kInfo, "m",
                          {{"a b", 1}, {"", 3}}),
            std::string(kJsonHead) + "\"info\",\"msg\":\"m\",\"a_b\":\"1\",\"_\":\"3\"}");
}

TEST(LogLineTest, NumbersAndBools) {
  const std::string logfmt =
      FormatLogLine(LogFormat::kLogfmt, kUnixMs, LogLevel::kInfo, "m",
                    {{"msid", uint64_t{345049103441}},
                     {"max", std::numeric_limits<uint64_t>::max()},
                     {"min", std::numeric_limits<int64_t>::min()},
                     {"port", 9887},
                     {"nodes", size_t{2}},
                     {"neg", -1},
                     {"tls", true},
                     {"ok", false}});
  EXPECT_EQ(logfmt, std::string(kLogfmtHead) +
                        "info msg=\"m\" msid=345049103441 max=18446744073709551615 "
                        "min=-9223372036854775808 port=9887 nodes=2 neg=-1 tls=true "
                        "ok=false");
  // JSON keeps every value a string, as the log always wrote it.
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kUnixMs, LogLevel::kInfo, "m",
                          {{"msid", uint64_t{345049103441}}, {"neg", -1}, {"tls", true}}),
            std::string(kJsonHead) +
                "\"info\",\"msg\":\"m\",\"msid\":\"345049103441\",\"neg\":\"-1\","
                "\"tls\":\"true\"}");
}

TEST(LogLineTest, DoublesShowTheyAreDoubles) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(FormatLogLine(LogFormat::kLogfmt, kUnixMs, LogLevel::kInfo, "m",
                          {{"a", 10.0},
                           {"b", 0.1},
                           {"c", -2.5},
                           {"d", 1e20},
                           {"e", std::numeric_limits<double>::quiet_NaN()},
                           {"f", inf},
                           {"g", -inf}}),
            std::string(kLogfmtHead) +
                "info msg=\"m\" a=10.0 b=0.1 c=-2.5 d=1e+20 e=NaN f=+Inf g=-Inf");
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kUnixMs, LogLevel::kInfo, "m",
                          {{"down_seconds", 42.0}}),
            std::string(kJsonHead) + "\"info\",\"msg\":\"m\",\"down_seconds\":\"42.0\"}");
}

TEST(LogQuoteTest, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(LogQuote("prod"), "prod");
  EXPECT_EQ(LogQuote("127.0.0.1:9090"), "127.0.0.1:9090");
  EXPECT_EQ(LogQuote(""), "\"\"");
  EXPECT_EQ(LogQuote("two words"), "\"two words\"");
  EXPECT_EQ(LogQuote("a=b"), "\"a=b\"");
  EXPECT_EQ(LogQuote("tab\there"), "\"tab\\there\"");
}

// Lines a ScopedLogRedirect delivered. Unguarded: the sink runs on the thread that
// logs, and these tests log from their own thread only.
struct Delivered {
  std::vector<std::string> lines;

  LogLineSink Sink() {
    return [this](std::string_view line) { lines.emplace_back(line); };
  }
};

// The same text as FormatLogLine, after a timestamp this test does not read.
TEST(LogTest, WritesThroughTheRedirectWithTheTimestampInFront) {
  Delivered delivered;
  {
    const ScopedLogRedirect redirect(LogFormat::kJson, LogLevel::kDebug,
                                     delivered.Sink());
    LogError("probe failed", {{"msid", 42}, {"error", "connection refused"}});
  }
  ASSERT_EQ(delivered.lines.size(), 1u);
  const std::string& line = delivered.lines[0];
  const std::string ts_prefix = "{\"ts\":\"";
  const size_t ts_length = std::string("2026-11-26T20:00:00.123Z").size();
  ASSERT_EQ(line.rfind(ts_prefix, 0), 0u) << line;
  EXPECT_EQ(line[ts_prefix.size() + ts_length - 1], 'Z') << line;
  EXPECT_EQ(line.substr(ts_prefix.size() + ts_length),
            "\",\"level\":\"error\",\"msg\":\"probe failed\",\"msid\":\"42\","
            "\"error\":\"connection refused\"}")
      << line;
}

TEST(LogTest, RedirectFiltersByLevel) {
  Delivered delivered;
  {
    const ScopedLogRedirect redirect(LogFormat::kLogfmt, LogLevel::kWarn,
                                     delivered.Sink());
    EXPECT_FALSE(LogEnabled(LogLevel::kInfo));
    EXPECT_TRUE(LogEnabled(LogLevel::kWarn));
    LogDebug("d");
    LogInfo("i");
    LogWarn("w", {{"target", "prod cluster=eu"}});
    LogError("e");
  }
  ASSERT_EQ(delivered.lines.size(), 2u);
  EXPECT_NE(delivered.lines[0].find(" level=warn msg=\"w\" target=\"prod cluster=eu\""),
            std::string::npos)
      << delivered.lines[0];
  EXPECT_NE(delivered.lines[1].find(" level=error msg=\"e\""), std::string::npos)
      << delivered.lines[1];
}

// Format braces in a message or a value are text: nothing formats them.
TEST(LogTest, BracesAreNotAFormatString) {
  Delivered delivered;
  {
    const ScopedLogRedirect redirect(LogFormat::kLogfmt, LogLevel::kInfo,
                                     delivered.Sink());
    LogInfo("series {loopback=\"true\"} {}", {{"v", "{:>10}"}});
  }
  ASSERT_EQ(delivered.lines.size(), 1u);
  EXPECT_NE(delivered.lines[0].find("msg=\"series {loopback=\\\"true\\\"} {}\" v={:>10}"),
            std::string::npos)
      << delivered.lines[0];
}

TEST(LogTest, RedirectsNestAndPutThePreviousBack) {
  Delivered outer;
  Delivered inner;
  {
    const ScopedLogRedirect outer_redirect(LogFormat::kLogfmt, LogLevel::kInfo,
                                           outer.Sink());
    LogInfo("one");
    {
      const ScopedLogRedirect inner_redirect(LogFormat::kJson, LogLevel::kInfo,
                                             inner.Sink());
      LogInfo("two");
    }
    LogInfo("three");
  }
  ASSERT_EQ(outer.lines.size(), 2u);
  EXPECT_NE(outer.lines[0].find("msg=\"one\""), std::string::npos);
  EXPECT_NE(outer.lines[1].find("msg=\"three\""), std::string::npos);
  ASSERT_EQ(inner.lines.size(), 1u);
  EXPECT_NE(inner.lines[0].find("\"msg\":\"two\"}"), std::string::npos);
}

TEST(SetupLoggingTest, RejectsUnknownLevelAndFormat) {
  const Status level = SetupLogging("verbose", "logfmt");
  EXPECT_FALSE(level.ok());
  EXPECT_NE(level.message().find("verbose"), std::string::npos);
  const Status format = SetupLogging("info", "xml");
  EXPECT_FALSE(format.ok());
  EXPECT_NE(format.message().find("xml"), std::string::npos);
}

TEST(SetupLoggingTest, InstallsTheLevel) {
  ASSERT_TRUE(SetupLogging("warn", "json").ok());
  EXPECT_FALSE(LogEnabled(LogLevel::kInfo));
  EXPECT_TRUE(LogEnabled(LogLevel::kWarn));
  ASSERT_TRUE(SetupLogging("debug", "logfmt").ok());
  EXPECT_TRUE(LogEnabled(LogLevel::kDebug));
  ASSERT_TRUE(SetupLogging("info", "logfmt").ok());  // as main's default
  EXPECT_FALSE(LogEnabled(LogLevel::kDebug));
  EXPECT_TRUE(LogEnabled(LogLevel::kInfo));
}

}  // namespace
}  // namespace msx
