// Logging: one line per event on stderr, in logfmt or JSON (--log.format).
//
// An event is a fixed message and typed fields, given as such:
//   LogWarn("poll failed", {{"target", name}, {"msid", msid}, {"error", error}});
// which writes, in logfmt and in JSON:
//   ts=2026-11-26T20:00:00.123Z level=warn msg="poll failed" target=prod msid=7 ...
//   {"ts":"2026-11-26T...","level":"warn","msg":"poll failed","target":"prod",...}
// Log() encodes the message and the fields once, in the format SetupLogging chose, and
// hands the text to spdlog (used by log.cc alone), which filters by level and writes
// the line with ts and level in front. Nothing parses text back into fields, so a
// value may hold anything ("prod cluster=eu" stays one field). All text comes out as
// valid UTF-8: database text can hold any bytes, and JSON log pipelines reject a line
// that is not UTF-8. In JSON every value is a string, numbers and bools too: that is
// what the log has always written, and a field must not change type in a pipeline.
//
// Thread-safe: Log, LogDebug/Info/Warn/Error and LogEnabled may be called from any
// thread. SetupLogging and ScopedLogRedirect change where lines go and may run while
// other threads log (each line goes wholly to the old or the new place), but not
// while another thread changes it too: main calls SetupLogging once at start, tests
// redirect from their own thread.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "common/status.h"

namespace msx {

enum class LogFormat { kLogfmt, kJson };

// Prometheus' levels.
enum class LogLevel { kDebug, kInfo, kWarn, kError };

// One key and its value. A LogField refers to its key and to a string value without
// copying them, so build it in the logging call's argument list, as {"target", name},
// where both outlive the call; do not keep one. Keys are the code's own words
// ([A-Za-z0-9_.-], other bytes become '_'); ts, level and msg are taken by the line
// itself (not checked: a field of that name would be written twice).
class LogField {
 public:
  using Value = std::variant<std::string_view, int64_t, uint64_t, double, bool>;

  LogField(std::string_view key, std::string_view value) : key_(key), value_(value) {}
  // Without it a string literal would convert to bool, not to std::string_view.
  LogField(std::string_view key, const char* value)
      : key_(key), value_(std::string_view(value == nullptr ? "" : value)) {}
  // Every integer type (msid is uint64_t, counts are size_t, runid is int64_t).
  template <typename Integer,
            std::enable_if_t<
                std::is_integral_v<Integer> && !std::is_same_v<Integer, bool>, int> = 0>
  LogField(std::string_view key, Integer value)
      : key_(key),
        value_(std::is_signed_v<Integer> ? Value(static_cast<int64_t>(value))
                                         : Value(static_cast<uint64_t>(value))) {}
  // Written in the shortest form that reads back as the same double, always with a
  // '.' or an exponent ("10.0", "0.1", "1e+20"); NaN, +Inf and -Inf as Prometheus
  // writes them. Round first for fewer digits.
  LogField(std::string_view key, double value) : key_(key), value_(value) {}
  LogField(std::string_view key, bool value) : key_(key), value_(value) {}

  std::string_view key() const { return key_; }
  const Value& value() const { return value_; }

 private:
  std::string_view key_;
  Value value_;
};

// Writes msg and fields at `level`, unless the level is filtered out.
void Log(LogLevel level, std::string_view msg,
         std::initializer_list<LogField> fields = {});

inline void LogDebug(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kDebug, msg, fields);
}
inline void LogInfo(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, msg, fields);
}
inline void LogWarn(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarn, msg, fields);
}
inline void LogError(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, msg, fields);
}

// Whether a line at `level` would be written.
bool LogEnabled(LogLevel level);

// level: debug | info | warn | error; format: logfmt | json. Until it is called,
// lines go to stderr in logfmt at info. On a bad value returns why and leaves logging
// as it was.
Status SetupLogging(const std::string& level, const std::string& format);

// Where lines go and in which format; defined in log.cc.
struct LogDestination;

// Receives each line, without its newline, one line at a time.
using LogLineSink = std::function<void(std::string_view line)>;

// While it lives, lines at `level` and above go to `sink` in `format` instead of
// where they went before; the destructor puts the previous place back. For tests
// (tests/unit/log_capture.h) and the fuzz targets. Lines logged on other threads
// just before the destructor may still reach `sink`, so it must stay callable: own
// what it captures.
class ScopedLogRedirect {
 public:
  ScopedLogRedirect(LogFormat format, LogLevel level, LogLineSink sink);
  ~ScopedLogRedirect();
  ScopedLogRedirect(const ScopedLogRedirect&) = delete;
  ScopedLogRedirect& operator=(const ScopedLogRedirect&) = delete;

 private:
  std::shared_ptr<const LogDestination> previous_;
};

// The line Log writes, without the newline, for a given time: the encoding alone, so
// tests need no clock. unix_ms: milliseconds since the epoch (UTC).
std::string FormatLogLine(LogFormat format, int64_t unix_ms, LogLevel level,
                          std::string_view msg,
                          std::initializer_list<LogField> fields = {});

// `value` as a logfmt value: unchanged when it is one plain word, else quoted with
// \" \\ \n \r \t and \u00XX escapes. Empty becomes "". Log uses it for logfmt; the
// check command (app/check.cc) for its report lines.
std::string LogQuote(std::string_view value);

}  // namespace msx
