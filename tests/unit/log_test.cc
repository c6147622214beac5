#include "common/log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "common/utf8.h"

namespace msx {
namespace {

// 2026-11-26T20:00:00.123Z
constexpr int64_t kUnixMs = 1795723200123;

TEST(LogLineTest, LogfmtPlainSentence) {
  EXPECT_EQ(FormatLogLine(LogFormat::kLogfmt, kUnixMs, "info", "listening"),
            "ts=2026-11-26T20:00:00.123Z level=info msg=\"listening\"");
}

TEST(LogLineTest, LogfmtKeepsPairsAfterTheSentence) {
  EXPECT_EQ(FormatLogLine(LogFormat::kLogfmt, kUnixMs, "warn",
                          "poll failed target=prod error=\"timed out\""),
            "ts=2026-11-26T20:00:00.123Z level=warn msg=\"poll failed\" target=prod "
            "error=\"timed out\"");
}

TEST(LogLineTest, JsonTurnsPairsIntoFields) {
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kUnixMs, "warn",
                          "poll failed target=prod error=\"timed out\""),
            "{\"ts\":\"2026-11-26T20:00:00.123Z\",\"level\":\"warn\","
            "\"msg\":\"poll failed\",\"target\":\"prod\",\"error\":\"timed out\"}");
}

TEST(LogLineTest, UnquotedValueWithSpacesStaysOneField) {
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kUnixMs, "error",
                          "read failed error=Can't connect to server (111)"),
            "{\"ts\":\"2026-11-26T20:00:00.123Z\",\"level\":\"error\","
            "\"msg\":\"read failed\",\"error\":\"Can't connect to server (111)\"}");
}

TEST(LogLineTest, EscapesQuotesBackslashesAndNewlines) {
  std::string payload = "bad \"name\"\nnext\\line";
  EXPECT_EQ(FormatLogLine(LogFormat::kLogfmt, kUnixMs, "info", payload),
            "ts=2026-11-26T20:00:00.123Z level=info "
            "msg=\"bad \\\"name\\\"\\nnext\\\\line\"");
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kUnixMs, "info", payload),
            "{\"ts\":\"2026-11-26T20:00:00.123Z\",\"level\":\"info\","
            "\"msg\":\"bad \\\"name\\\"\\nnext\\\\line\"}");
}

TEST(LogLineTest, ControlCharactersBecomeUnicodeEscapes) {
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kUnixMs, "info", std::string("a\x01z")),
            "{\"ts\":\"2026-11-26T20:00:00.123Z\",\"level\":\"info\","
            "\"msg\":\"a\\u0001z\"}");
}

// A node name from the database may hold any bytes (Latin-1, truncated sequences);
// JSON log pipelines reject a line that is not UTF-8.
TEST(LogLineTest, InvalidUtf8BecomesReplacementCharactersInBothFormats) {
  for (LogFormat format : {LogFormat::kJson, LogFormat::kLogfmt}) {
    const std::string line =
        FormatLogLine(format, 0, "warn", "row skipped name=caf\xE9 error=\xC3");
    EXPECT_NE(line.find("caf\xEF\xBF\xBD"), std::string::npos) << line;
    EXPECT_EQ(SanitizeUtf8(line), line);
  }
}

TEST(LogLineTest, QuotedValueRoundTripsThroughLogQuote) {
  std::string value = "say \"hi\"\n";
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kUnixMs, "info", "x v=" + LogQuote(value)),
            "{\"ts\":\"2026-11-26T20:00:00.123Z\",\"level\":\"info\",\"msg\":\"x\","
            "\"v\":\"say \\\"hi\\\"\\n\"}");
}

TEST(LogLineTest, EqualsSignInsideAWordIsNotAPair) {
  // Only a word that starts a token can be a key.
  EXPECT_EQ(FormatLogLine(LogFormat::kLogfmt, kUnixMs, "info", "1+1=2 is true"),
            "ts=2026-11-26T20:00:00.123Z level=info msg=\"1+1=2 is true\"");
}

TEST(LogQuoteTest, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(LogQuote("prod"), "prod");
  EXPECT_EQ(LogQuote("127.0.0.1:9090"), "127.0.0.1:9090");
  EXPECT_EQ(LogQuote(""), "\"\"");
  EXPECT_EQ(LogQuote("two words"), "\"two words\"");
  EXPECT_EQ(LogQuote("a=b"), "\"a=b\"");
  EXPECT_EQ(LogQuote("tab\there"), "\"tab\\there\"");
}

TEST(SetupLoggingTest, RejectsUnknownLevelAndFormat) {
  std::string error;
  EXPECT_FALSE(SetupLogging("verbose", "logfmt", &error));
  EXPECT_NE(error.find("verbose"), std::string::npos);
  EXPECT_FALSE(SetupLogging("info", "xml", &error));
  EXPECT_NE(error.find("xml"), std::string::npos);
}

TEST(SetupLoggingTest, InstallsLevelOnDefaultLogger) {
  std::string error;
  ASSERT_TRUE(SetupLogging("warn", "json", &error)) << error;
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
  ASSERT_TRUE(SetupLogging("debug", "logfmt", &error)) << error;
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
  ASSERT_TRUE(SetupLogging("info", "logfmt", &error)) << error;  // as main's default
}

TEST(LogFormatterTest, FormatsThroughSpdlog) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_formatter(MakeLogFormatter(LogFormat::kJson));
  spdlog::logger logger("test", sink);
  logger.error("probe failed msid={} error={}", 42, LogQuote("connection refused"));
  std::string line = out.str();
  EXPECT_EQ(line.rfind("{\"ts\":\"", 0), 0u) << line;
  EXPECT_NE(line.find("\"level\":\"error\",\"msg\":\"probe failed\",\"msid\":\"42\","
                      "\"error\":\"connection refused\"}\n"),
            std::string::npos)
      << line;
}

}  // namespace
}  // namespace msx
