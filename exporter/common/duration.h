// Durations as users write them in the config and on the command line, in the
// Prometheus style: "1h30m", "2s", "500ms", "0s". Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>

namespace msx {

// Parses a Prometheus-style duration into seconds. Accepts units ms, s, m, h, d, w,
// combined largest first ("1m30s"). Returns nullopt on anything else (no unit, a
// negative value, garbage).
std::optional<double> ParseDurationSeconds(const std::string& text);

// Formats seconds as the shortest Prometheus-style duration ("1m30s", "500ms").
std::string FormatDurationSeconds(double seconds);

}  // namespace msx
