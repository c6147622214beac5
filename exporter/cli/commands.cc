#include "cli/commands.h"

#include <chrono>
#include <thread>

#include "runtime/parts.h"
#include "common/clock.h"
#include "common/log.h"

namespace msx {
namespace {

void ReportErrors(const Status& status, std::ostream& err) {
  for (const std::string& problem : status.problems()) err << problem << "\n";
}

ConfigLoad LoadAndReport(const std::string& path, std::ostream& err) {
  ConfigLoad result = LoadConfig(path);
  for (const std::string& warning : result.warnings) err << "warning: " << warning << "\n";
  ReportErrors(result.config.status(), err);
  return result;
}

}  // namespace

std::optional<Config> LoadServerConfig(const std::string& path, std::ostream& err) {
  ConfigLoad result = LoadConfig(path);
  for (const std::string& warning : result.warnings) {
    LogWarn("configuration warning", {{"detail", warning}});
  }
  if (!result.config.ok()) {
    ReportErrors(result.config.status(), err);
    return std::nullopt;
  }
  return std::move(result.config).value();
}

int RunCheckConfig(const std::string& path, std::ostream& out, std::ostream& err) {
  if (!LoadAndReport(path, err).config.ok()) return kExitBadConfig;
  out << "config OK\n";
  return kExitOk;
}

int RunCheckCommand(const std::string& path, const CheckOptions& options,
                    std::ostream& out, std::ostream& err) {
  ConfigLoad loaded = LoadAndReport(path, err);
  if (!loaded.config.ok()) {
    // Nagios shows only standard output: name the first error there too.
    out << "UNKNOWN bad configuration: " << loaded.config.status().problems().front()
        << "\n";
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
