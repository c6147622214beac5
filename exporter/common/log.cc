#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <utility>
#include <vector>

#include "common/utf8.h"

namespace msx {
namespace {

struct SplitMessage {
  std::string msg;
  std::vector<std::pair<std::string, std::string>> fields;
};

bool IsKeyChar(char c, bool first) {
  if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return true;
  return !first && (std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-');
}

// Length of "key" when text[pos..] starts with key=, else 0.
size_t KeyLength(std::string_view text, size_t pos) {
  size_t end = pos;
  while (end < text.size() && IsKeyChar(text[end], end == pos)) ++end;
  if (end == pos || end >= text.size() || text[end] != '=') return 0;
  return end - pos;
}

// Reads a value at text[*pos..]: a quoted string (logfmt escapes) or a word.
std::string ReadValue(std::string_view text, size_t* pos) {
  std::string value;
  size_t i = *pos;
  if (i < text.size() && text[i] == '"') {
    for (++i; i < text.size() && text[i] != '"'; ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) {
        char e = text[++i];
        value += e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
      } else {
        value += text[i];
      }
    }
    if (i < text.size()) ++i;  // closing quote
  } else {
    while (i < text.size() && text[i] != ' ') value += text[i++];
  }
  *pos = i;
  return value;
}

// The sentence ends where the first " key=" begins.
SplitMessage Split(std::string_view payload) {
  SplitMessage out;
  size_t start = std::string_view::npos;
  for (size_t i = 0; i < payload.size(); ++i) {
    if ((i == 0 || payload[i - 1] == ' ') && KeyLength(payload, i) > 0) {
      start = i;
      break;
    }
  }
  std::string_view sentence = payload.substr(0, start);
  while (!sentence.empty() && sentence.back() == ' ') sentence.remove_suffix(1);
  out.msg = std::string(sentence);
  size_t pos = start;
  while (pos < payload.size()) {
    if (payload[pos] == ' ') {
      ++pos;
      continue;
    }
    size_t key_len = KeyLength(payload, pos);
    if (key_len > 0) {
      std::string key(payload.substr(pos, key_len));
      pos += key_len + 1;
      out.fields.emplace_back(std::move(key), ReadValue(payload, &pos));
    } else {
      // A stray word: part of the previous value (an unquoted text with spaces).
      out.fields.back().second += ' ' + ReadValue(payload, &pos);
    }
  }
  return out;
}

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

std::string Quoted(std::string_view text) {
  std::string out = "\"";
  AppendEscaped(text, &out);
  out += '"';
  return out;
}

std::string FormatTimestamp(int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec, static_cast<int>(unix_ms % 1000));
  return buf;
}

// Prometheus' levels: spdlog's trace and critical fold into their neighbours.
const char* LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    default:
      return "error";
  }
}

class LineFormatter : public spdlog::formatter {
 public:
  explicit LineFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    int64_t unix_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch())
            .count();
    std::string line =
        FormatLogLine(format_, unix_ms, LevelName(msg.level),
                      std::string_view(msg.payload.data(), msg.payload.size()));
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_);
  }

 private:
  const LogFormat format_;
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
  return plain ? std::string(value) : Quoted(value);
}

std::string FormatLogLine(LogFormat format, int64_t unix_ms, std::string_view level,
                          std::string_view payload) {
  // Database text (node names, error messages) can hold any bytes; a log line must
  // stay valid UTF-8, or a JSON log pipeline rejects it.
  const std::string clean = SanitizeUtf8(payload);
  SplitMessage split = Split(clean);
  std::string ts = FormatTimestamp(unix_ms);
  std::string line;
  if (format == LogFormat::kJson) {
    line = "{\"ts\":" + Quoted(ts) + ",\"level\":" + Quoted(level) +
           ",\"msg\":" + Quoted(split.msg);
    for (const auto& [key, value] : split.fields) {
      line += ',' + Quoted(key) + ':' + Quoted(value);
    }
    line += '}';
  } else {
    line = "ts=" + ts + " level=" + std::string(level) + " msg=" + Quoted(split.msg);
    for (const auto& [key, value] : split.fields) {
      line += ' ' + key + '=' + LogQuote(value);
    }
  }
  return line;
}

std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format) {
  return std::make_unique<LineFormatter>(format);
}

bool SetupLogging(const std::string& level, const std::string& format,
                  std::string* error) {
  static const std::pair<const char*, spdlog::level::level_enum> kLevels[] = {
      {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},
      {"error", spdlog::level::err}};
  const spdlog::level::level_enum* chosen = nullptr;
  for (const auto& [name, value] : kLevels) {
    if (level == name) chosen = &value;
  }
  if (chosen == nullptr) {
    *error = "unknown log level \"" + level + "\" (want debug, info, warn or error)";
    return false;
  }
  LogFormat log_format;
  if (format == "logfmt") {
    log_format = LogFormat::kLogfmt;
  } else if (format == "json") {
    log_format = LogFormat::kJson;
  } else {
    *error = "unknown log format \"" + format + "\" (want logfmt or json)";
    return false;
  }
  auto logger = std::make_shared<spdlog::logger>(
      "mshost_exporter", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_formatter(MakeLogFormatter(log_format));
  logger->set_level(*chosen);
  spdlog::set_default_logger(std::move(logger));
  return true;
}

}  // namespace msx
