#include "cli/commands.h"

#include <chrono>
#include <thread>

#include "runtime/parts.h"
#include "common/clock.h"
#include "common/log.h"

namespace msx {
namespace {

void ReportErrors(const ConfigResult& result, std::ostream& err) {
  for (const ConfigError& error : result.errors) err << error.ToString() << "\n";
}

ConfigResult LoadAndReport(const std::string& path, std::ostream& err) {
  ConfigResult result = LoadConfig(path);
  for (const std::string& warning : result.warnings)
    err << "warning: " << warning << "\n";
  ReportErrors(result, err);
  return result;
}

}  // namespace

std::optional<Config> LoadServerConfig(const std::string& path, std::ostream& err) {
  ConfigResult result = LoadConfig(path);
  for (const std::string& warning : result.warnings) {
    LogWarn("configuration warning", {{"detail", warning}});
  }
  ReportErrors(result, err);
  return std::move(result.config);
}

int RunCheckConfig(const std::string& path, std::ostream& out, std::ostream& err) {
  if (!LoadAndReport(path, err).config) return kExitBadConfig;
  out << "config OK\n";
  return kExitOk;
}

int RunCheckCommand(const std::string& path, const CheckOptions& options,
                    std::ostream& out, std::ostream& err) {
  ConfigResult loaded = LoadAndReport(path, err);
  if (!loaded.config) {
    // Nagios shows only standard output: name the first error there too.
    out << "UNKNOWN bad configuration: "
        << (loaded.errors.empty() ? path : loaded.errors.front().ToString()) << "\n";
    return static_cast<int>(CheckCode::kUnknown);
  }
  SystemClock clock;
  CheckReport report =
      RunCheck(*loaded.config, options, clock, RealParts(clock), [](double seconds) {
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
      });
  for (const std::string& line : report.lines) out << line << "\n";
  return static_cast<int>(report.code);
}

}  // namespace msx
