// The program's commands behind main.cc's flags: loading the configuration the way
// every command reports it, `check-config` and `check`. They write to the streams
// they are given, so tests run them without a process; main.cc only picks one.
// Not thread-safe (one command per process).
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "cli/check.h"
#include "config/config.h"

namespace msx {

// Exit codes of the server and of check-config.
inline constexpr int kExitOk = 0;
inline constexpr int kExitCannotServe = 1;  // cannot listen, bad web config
inline constexpr int kExitBadConfig = 2;    // bad configuration or usage

// Loads `path` for the server. On errors writes each as "file:line:column: key:
// message" to `err` and returns nullopt; warnings (an inline password...) go to the
// log, where the rest of the server's output is.
std::optional<Config> LoadServerConfig(const std::string& path, std::ostream& err);

// `check-config`: "config OK" on `out` and 0, or the errors on `err` and 2.
int RunCheckConfig(const std::string& path, std::ostream& out, std::ostream& err);

// `check`: the report's lines on `out` and its Nagios code (CheckCode). A bad
// configuration is UNKNOWN (3): a plugin reports its own failure as UNKNOWN.
int RunCheckCommand(const std::string& path, const CheckOptions& options,
                    std::ostream& out, std::ostream& err);

}  // namespace msx
