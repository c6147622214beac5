#include "common/duration.h"

#include <cctype>
#include <cmath>
#include <cstdint>

namespace msx {

std::optional<double> ParseDurationSeconds(const std::string& text) {
  // Largest first: units must appear in this order, each at most once.
  static const struct {
    const char* name;
    double seconds;
  } kUnits[] = {{"w", 604800}, {"d", 86400}, {"h", 3600},
                {"m", 60},     {"s", 1},     {"ms", 0.001}};
  if (text.empty()) return std::nullopt;
  double total = 0;
  size_t pos = 0;
  int last_unit = -1;
  while (pos < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[pos]))) return std::nullopt;
    uint64_t value = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      value = value * 10 + static_cast<uint64_t>(text[pos] - '0');
      if (value > 1'000'000'000ULL) return std::nullopt;
      ++pos;
    }
    int unit = -1;
    if (text.compare(pos, 2, "ms") == 0) {
      unit = 5;  // before "m", which would otherwise take its first letter
    } else {
      for (int i = 0; i < 5; ++i) {
        if (pos < text.size() && text[pos] == kUnits[i].name[0]) unit = i;
      }
    }
    if (unit <= last_unit) return std::nullopt;
    pos += unit == 5 ? 2 : 1;
    last_unit = unit;
    total += static_cast<double>(value) * kUnits[unit].seconds;
  }
  return total;
}

std::string FormatDurationSeconds(double seconds) {
  if (seconds <= 0) return "0s";
  int64_t ms = static_cast<int64_t>(std::llround(seconds * 1000));
  if (ms % 1000 != 0 && ms < 1000) return std::to_string(ms) + "ms";
  std::string out;
  int64_t s = ms / 1000;
  if (s >= 3600) {
    out += std::to_string(s / 3600) + "h";
    s %= 3600;
  }
  if (s >= 60) {
    out += std::to_string(s / 60) + "m";
    s %= 60;
  }
  if (s > 0) out += std::to_string(s) + "s";
  if (ms % 1000 != 0) out += std::to_string(ms % 1000) + "ms";
  return out.empty() ? "0s" : out;
}

}  // namespace msx
