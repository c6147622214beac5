// Timestamps as text: the one formatter of Unix times for logs and wire formats, so
// every timestamp the exporter writes is RFC 3339 in UTC and rounds the same way.
// Thread-safe (a pure function).
#pragma once

#include <string>

namespace msx {

// `unix_seconds` as RFC 3339 in UTC with `fraction_digits` (0 to 9) digits after the
// seconds: "2023-11-14T22:13:20.123Z" for 3, "2023-11-14T22:13:20Z" for 0. Rounds to
// the nearest last digit; a double holds today's times to about 0.25 µs, so up to 6
// digits are exact. RFC 3339 has 4-digit years: times before year 0 or after 9999
// (garbage from a database, NaN) come out as the first or last instant it can write,
// NaN as the epoch.
std::string FormatRfc3339Utc(double unix_seconds, int fraction_digits);

}  // namespace msx
