#include "common/log.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <utility>

#include "common/time_format.h"
#include "common/utf8.h"

namespace msx {

// The format travels with the logger: a body encoded for one format must never get
// the other format's ts and level in front.
struct LogDestination {
  LogFormat format;
  std::shared_ptr<spdlog::logger> logger;
};

namespace {

spdlog::level::level_enum SpdlogLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      break;
  }
  return spdlog::level::err;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      break;
  }
  return "error";
}

// Only Log writes to the loggers, so only the four levels above arrive here.
LogLevel FromSpdlog(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return LogLevel::kDebug;
    case spdlog::level::info:
      return LogLevel::kInfo;
    case spdlog::level::warn:
      return LogLevel::kWarn;
    default:
      return LogLevel::kError;
  }
}

// JSON's escapes, which logfmt values share. `text` is valid UTF-8 already.
void AppendEscaped(std::string_view text, std::string* out) {
  for (char c : text) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          *out += buf;
        } else {
          *out += c;
        }
    }
  }
}

void AppendQuoted(std::string_view text, std::string* out) {
  *out += '"';
  AppendEscaped(text, out);
  *out += '"';
}

// A key stays one logfmt token, reads the same in both formats and is ASCII.
void AppendKey(std::string_view key, std::string* out) {
  if (key.empty()) {
    *out += '_';
    return;
  }
  for (char c : key) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    *out += keep ? c : '_';
  }
}

std::string DoubleText(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  const std::to_chars_result result = std::to_chars(buf, buf + sizeof(buf), value);
  std::string text(buf, result.ptr);
  // "10" would read as an integer: a double shows that it is one.
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

// A value as text, valid UTF-8.
std::string ValueText(const LogField::Value& value) {
  struct Visitor {
    std::string operator()(std::string_view text) const { return SanitizeUtf8(text); }
    std::string operator()(int64_t number) const { return std::to_string(number); }
    std::string operator()(uint64_t number) const { return std::to_string(number); }
    std::string operator()(double number) const { return DoubleText(number); }
    std::string operator()(bool flag) const { return flag ? "true" : "false"; }
  };
  return std::visit(Visitor{}, value);
}

// What Log hands to spdlog: the line from msg on. Its ts and level come from
// AppendHead, which the formatter runs.
std::string EncodeBody(LogFormat format, std::string_view msg,
                       std::initializer_list<LogField> fields) {
  const bool json = format == LogFormat::kJson;
  std::string body = json ? "\"msg\":" : "msg=";
  AppendQuoted(SanitizeUtf8(msg), &body);
  for (const LogField& field : fields) {
    const std::string value = ValueText(field.value());
    if (json) {
      body += ",\"";
      AppendKey(field.key(), &body);
      body += "\":";
      AppendQuoted(value, &body);
    } else {
      body += ' ';
      AppendKey(field.key(), &body);
      body += '=';
      body += LogQuote(value);
    }
  }
  if (json) body += '}';
  return body;
}

void AppendHead(LogFormat format, int64_t unix_ms, LogLevel level, std::string* out) {
  const std::string ts = FormatRfc3339Utc(static_cast<double>(unix_ms) / 1000, 3);
  if (format == LogFormat::kJson) {
    *out += "{\"ts\":\"" + ts + "\",\"level\":\"" + LevelName(level) + "\",";
  } else {
    *out += "ts=" + ts + " level=" + LevelName(level) + " ";
  }
}

class LineFormatter : public spdlog::formatter {
 public:
  explicit LineFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const int64_t unix_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch())
            .count();
    std::string line;
    AppendHead(format_, unix_ms, FromSpdlog(msg.level), &line);
    line.append(msg.payload.data(), msg.payload.size());
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_);
  }

 private:
  const LogFormat format_;
};

// Hands each formatted line to a LogLineSink; base_sink's mutex makes it one at a time.
class CallbackSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit CallbackSink(LogLineSink sink) : sink_(std::move(sink)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string_view line(formatted.data(), formatted.size());
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    sink_(line);
  }
  void flush_() override {}

 private:
  const LogLineSink sink_;
};

std::shared_ptr<const LogDestination> MakeDestination(LogFormat format, LogLevel level,
                                                      spdlog::sink_ptr sink) {
  auto logger = std::make_shared<spdlog::logger>("mshost_exporter", std::move(sink));
  logger->set_formatter(std::make_unique<LineFormatter>(format));
  logger->set_level(SpdlogLevel(level));
  return std::make_shared<const LogDestination>(
      LogDestination{format, std::move(logger)});
}

std::shared_ptr<const LogDestination> StderrDestination(LogFormat format,
                                                        LogLevel level) {
  return MakeDestination(format, level,
                         std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

// The current destination. Log takes its own reference, so a destination replaced
// while a line is on its way stays alive until that line is written.
class CurrentDestination {
 public:
  static CurrentDestination& Get() {
    // Never destroyed: threads may still log while static destructors run at exit.
    static CurrentDestination* const current = new CurrentDestination();
    return *current;
  }

  std::shared_ptr<const LogDestination> Load() const {
    std::lock_guard<std::mutex> lock(mu_);
    return destination_;
  }

  std::shared_ptr<const LogDestination> Exchange(
      std::shared_ptr<const LogDestination> destination) {
    std::lock_guard<std::mutex> lock(mu_);
    std::swap(destination_, destination);
    return destination;
  }

 private:
  CurrentDestination()
      : destination_(StderrDestination(LogFormat::kLogfmt, LogLevel::kInfo)) {}

  mutable std::mutex mu_;
  std::shared_ptr<const LogDestination> destination_;  // guarded by mu_
};

}  // namespace

std::string LogQuote(std::string_view value) {
  bool plain = !value.empty();
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' ||
        static_cast<unsigned char>(c) < 0x20) {
      plain = false;
      break;
    }
  }
  if (plain) return std::string(value);
  std::string quoted;
  AppendQuoted(value, &quoted);
  return quoted;
}

void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  const std::shared_ptr<const LogDestination> destination =
      CurrentDestination::Get().Load();
  const spdlog::level::level_enum spdlog_level = SpdlogLevel(level);
  if (!destination->logger->should_log(spdlog_level)) return;
  const std::string body = EncodeBody(destination->format, msg, fields);
  // The string_view overload: the body is finished text, not a format string.
  destination->logger->log(spdlog_level, spdlog::string_view_t(body.data(), body.size()));
}

bool LogEnabled(LogLevel level) {
  return CurrentDestination::Get().Load()->logger->should_log(SpdlogLevel(level));
}

std::string FormatLogLine(LogFormat format, int64_t unix_ms, LogLevel level,
                          std::string_view msg, std::initializer_list<LogField> fields) {
  std::string line;
  AppendHead(format, unix_ms, level, &line);
  line += EncodeBody(format, msg, fields);
  return line;
}

Status SetupLogging(const std::string& level, const std::string& format) {
  static const std::pair<const char*, LogLevel> kLevels[] = {{"debug", LogLevel::kDebug},
                                                             {"info", LogLevel::kInfo},
                                                             {"warn", LogLevel::kWarn},
                                                             {"error", LogLevel::kError}};
  const LogLevel* chosen = nullptr;
  for (const auto& [name, value] : kLevels) {
    if (level == name) chosen = &value;
  }
  if (chosen == nullptr) {
    return Status::Error("unknown log level \"" + level +
                         "\" (want debug, info, warn or error)");
  }
  LogFormat log_format;
  if (format == "logfmt") {
    log_format = LogFormat::kLogfmt;
  } else if (format == "json") {
    log_format = LogFormat::kJson;
  } else {
    return Status::Error("unknown log format \"" + format + "\" (want logfmt or json)");
  }
  CurrentDestination::Get().Exchange(StderrDestination(log_format, *chosen));
  return Status::Ok();
}

ScopedLogRedirect::ScopedLogRedirect(LogFormat format, LogLevel level, LogLineSink sink)
    : previous_(CurrentDestination::Get().Exchange(MakeDestination(
          format, level, std::make_shared<CallbackSink>(std::move(sink))))) {}

ScopedLogRedirect::~ScopedLogRedirect() { CurrentDestination::Get().Exchange(previous_); }

}  // namespace msx
