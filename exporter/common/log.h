// Logging: one line per event on stderr, in logfmt or JSON (--log.format).
//
// Code logs through spdlog's free functions (spdlog::info, spdlog::warn, ...). A
// message is a human sentence first, then key=value pairs:
//   spdlog::warn("poll failed target={} error={}", name, LogQuote(error));
// The formatter splits the sentence from the pairs, so both formats stay readable:
//   ts=2026-11-26T20:00:00.123Z level=warn msg="poll failed" target=prod error="..."
//   {"ts":"2026-11-26T20:00:00.123Z","level":"warn","msg":"poll failed","target":...}
// A word after the pairs that is not key=value belongs to the value before it, so an
// unquoted error text with spaces still ends up in one field.
//
// SetupLogging replaces spdlog's default logger once at start, before any thread
// runs; after that, logging is thread-safe (spdlog's _mt sink).
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace msx {

enum class LogFormat { kLogfmt, kJson };

// level: debug | info | warn | error; format: logfmt | json. On a bad value returns
// false, sets *error and leaves logging as it was.
bool SetupLogging(const std::string& level, const std::string& format,
                  std::string* error);

// The formatter SetupLogging installs, for any sink.
std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format);

// One line without the newline. level is the name to print ("info"); payload is the
// message as code wrote it. unix_ms: milliseconds since the epoch (UTC).
std::string FormatLogLine(LogFormat format, int64_t unix_ms, std::string_view level,
                          std::string_view payload);

// `value` as a logfmt value: unchanged when it is one plain word, else quoted with
// \" \\ \n \r \t and \u00XX escapes. Empty becomes "".
std::string LogQuote(std::string_view value);

}  // namespace msx
