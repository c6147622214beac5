#include "common/time_format.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>

namespace msx {
namespace {

constexpr int64_t kFirstSecond = -62167219200;  // 0000-01-01T00:00:00Z
constexpr int64_t kLastSecond = 253402300799;   // 9999-12-31T23:59:59Z

}  // namespace

std::string FormatRfc3339Utc(double unix_seconds, int fraction_digits) {
  fraction_digits = std::clamp(fraction_digits, 0, 9);
  int64_t scale = 1;
  for (int i = 0; i < fraction_digits; ++i) scale *= 10;
  if (std::isnan(unix_seconds)) unix_seconds = 0;
  // Clamped as a double first: converting one beyond int64_t's range is undefined.
  unix_seconds = std::clamp(unix_seconds, static_cast<double>(kFirstSecond),
                            static_cast<double>(kLastSecond + 1));
  const double whole = std::floor(unix_seconds);
  int64_t seconds = static_cast<int64_t>(whole);
  int64_t fraction = std::llround((unix_seconds - whole) * static_cast<double>(scale));
  if (fraction == scale) {  // .9996 with 3 digits is the next second's .000
    ++seconds;
    fraction = 0;
  }
  if (seconds > kLastSecond) {
    seconds = kLastSecond;
    fraction = scale - 1;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  int length = std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d",
                             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                             tm.tm_min, tm.tm_sec);
  if (fraction_digits > 0) {
    length += std::snprintf(text + length, sizeof(text) - length, ".%0*lld",
                            fraction_digits, static_cast<long long>(fraction));
  }
  std::snprintf(text + length, sizeof(text) - length, "Z");
  return text;
}

}  // namespace msx
