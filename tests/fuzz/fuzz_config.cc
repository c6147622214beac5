// Fuzz target: configuration text → ParseConfig and LoadConfig (exporter/config/).
//
// The input is the YAML text itself, so the corpus is a folder of readable
// configuration files and a crash reproducer opens in any editor. Whatever the text,
// loading must return (no crash, exception, hang or leak) and keep config.h's
// promises: a Config only when there are no errors, every error naming the file and
// sorted by place, and a returned Config complete and valid (the checks below restate
// docs/configuration.md's rules independently of the loader's code).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <set>
#include <string>
#include <utility>

#include "config/config.h"
#include "fuzz_check.h"

namespace msx {
namespace {

// Relative paths in the input resolve against tests/testdata/config/, so seeds that
// name secrets/db.pass reach the "password read" path.
const std::string kConfigPath = std::string(MSX_FUZZ_TESTDATA_DIR) + "/config/fuzz.yml";
constexpr char kPasswordEnv[] = "MSX_FUZZ_PASSWORD";
constexpr char kEnvSecret[] = "fuzz-env-secret-4f1c";
// tests/testdata/config/secrets/db.pass. Not made of words: "full secret" once
// appeared in a message as YAML folded "verify_full" and "secrets/db.pass" together.
constexpr char kFileSecret[] = "file-secret-7d3a";

// Reading /dev/zero, /dev/stdin or /proc/kmsg as a password file never ends: that is
// the user's choice of file, not a parsing bug, so such inputs are not run.
bool NamesSpecialFiles(const std::string& text) {
  for (const char* prefix : {"/dev", "/proc", "/sys"}) {
    if (text.find(prefix) != std::string::npos) return true;
  }
  return false;
}

bool IsOneOf(const std::string& value, std::initializer_list<const char*> choices) {
  return std::find(choices.begin(), choices.end(), value) != choices.end();
}

bool IsPositiveFinite(double seconds) { return std::isfinite(seconds) && seconds > 0; }

void CheckTarget(const TargetConfig& target) {
  const std::string where = "target \"" + target.name + "\": ";
  FUZZ_CHECK(!target.name.empty(), where + "empty name");
  const DatabaseConfig& db = target.database;
  FUZZ_CHECK(FindDriver(db.driver) != nullptr, where + db.driver);
  FUZZ_CHECK(db.host.empty() != db.socket.empty(), where + "host xor socket");
  FUZZ_CHECK(db.port >= 1 && db.port <= 65535, where + std::to_string(db.port));
  FUZZ_CHECK(!db.name.empty(), where + "database name");
  FUZZ_CHECK(IsPositiveFinite(db.connect_timeout_seconds), where + "connect_timeout");
  FUZZ_CHECK(IsPositiveFinite(db.query_timeout_seconds), where + "query_timeout");
  FUZZ_CHECK(db.tls.mode >= TlsMode::kDisabled && db.tls.mode <= TlsMode::kVerifyFull,
             where + "tls.mode");
  FUZZ_CHECK(db.tls.cert_file.empty() == db.tls.key_file.empty(), where + "cert/key");

  const HeartbeatConfig& hb = target.heartbeat;
  FUZZ_CHECK(!hb.stale_after_seconds || (std::isfinite(*hb.stale_after_seconds) &&
                                          *hb.stale_after_seconds >= 0),
             where + "stale_after");
  FUZZ_CHECK(!hb.dead_after_seconds || (std::isfinite(*hb.dead_after_seconds) &&
                                         *hb.dead_after_seconds >= 0),
             where + "dead_after");
  FUZZ_CHECK(!hb.stale_after_seconds || !hb.dead_after_seconds ||
                 *hb.dead_after_seconds <= *hb.stale_after_seconds,
             where + "dead_after > stale_after");

  const ProbeConfig& probe = target.probe;
  FUZZ_CHECK(FindProbeKind(probe.kind) != nullptr, where + probe.kind);
  FUZZ_CHECK((probe.address == ProbeAddressSource::kFixedHost) != probe.fixed_host.empty(),
             where + "probe.address");
  FUZZ_CHECK(!probe.fixed_port || (*probe.fixed_port >= 1 && *probe.fixed_port <= 65535),
             where + "probe.port");
  FUZZ_CHECK(IsPositiveFinite(probe.timeout_seconds), where + "probe.timeout");
  for (const auto& [msid, address] : probe.overrides) {
    FUZZ_CHECK(!address.host.empty() && address.port >= 1 && address.port <= 65535,
               where + "override of " + std::to_string(msid));
  }
  for (const auto& [name, value] : target.labels) {
    FUZZ_CHECK(!name.empty() && name.rfind("__", 0) != 0 &&
                   !IsOneOf(name, {"alertname", "severity", "target", "msid", "name"}),
               where + "label " + name);
  }
}

void CheckConfig(const Config& config, const std::string& file) {
  FUZZ_CHECK(config.file == file, config.file);
  FUZZ_CHECK(IsPositiveFinite(config.poll_interval_seconds), "poll_interval");
  std::string host;
  int port = 0;
  FUZZ_CHECK(SplitHostPort(config.listen_address, &host, &port), config.listen_address);
  FUZZ_CHECK(!config.targets.empty(), "a Config without targets");
  std::set<std::string> names;
  for (const TargetConfig& target : config.targets) {
    CheckTarget(target);
    FUZZ_CHECK(names.insert(target.name).second, "duplicate target " + target.name);
  }
  FUZZ_CHECK(config.FindTarget(config.default_target) != nullptr,
             "default_target " + config.default_target);

  const AlertingConfig& alerting = config.alerting;
  FUZZ_CHECK(IsPositiveFinite(alerting.resend_interval_seconds), "resend_interval");
  for (const std::string& url : alerting.alertmanagers) {
    FUZZ_CHECK(url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0, url);
  }
  FUZZ_CHECK(alerting.rules.size() == DefaultAlertRules().size(),
             "rules: " + std::to_string(alerting.rules.size()));
  for (const auto& [name, rule] : alerting.rules) {
    FUZZ_CHECK(name.rfind("CloudStack", 0) == 0 || name.rfind("MshostExporter", 0) == 0, name);
    FUZZ_CHECK(std::isfinite(rule.for_seconds) && rule.for_seconds >= 0, name);
    FUZZ_CHECK(!rule.severity.empty(), name);
  }
}

// The place of a problem "file:line:column: ..." ({0, 0} for a problem of the whole
// file, "file: ...").
std::pair<long, long> PlaceOf(const std::string& problem, const std::string& file) {
  long line = 0, column = 0;
  std::sscanf(problem.c_str() + file.size(), ":%ld:%ld:", &line, &column);
  return {line, column};
}

void CheckResult(const ConfigLoad& result, const std::string& file,
                 const std::string& text) {
  const std::vector<std::string>& problems = result.config.status().problems();
  FUZZ_CHECK(result.config.ok() == problems.empty(), "config and errors disagree");
  for (const std::string& problem : problems) {
    FUZZ_CHECK(problem.rfind(file + ":", 0) == 0, problem);
    FUZZ_CHECK(problem.size() > file.size() + 2, problem);
    const auto [line, column] = PlaceOf(problem, file);
    FUZZ_CHECK(line >= 0 && column >= 0, problem);
  }
  FUZZ_CHECK(std::is_sorted(problems.begin(), problems.end(),
                            [&file](const std::string& a, const std::string& b) {
                              return PlaceOf(a, file) < PlaceOf(b, file);
                            }),
             "errors not sorted by place");
  // Secrets the loader resolved must never be echoed into a message (unless the
  // text itself spells them out, which makes them no secret).
  for (const char* secret : {kEnvSecret, kFileSecret}) {
    if (text.find(secret) != std::string::npos) continue;
    for (const std::string& problem : problems) {
      FUZZ_CHECK(problem.find(secret) == std::string::npos, problem);
    }
    if (!result.config.ok()) continue;
    for (const std::string& warning : result.warnings) {
      FUZZ_CHECK(warning.find(secret) == std::string::npos, warning);
    }
  }
  if (result.config.ok()) CheckConfig(*result.config, file);
}

// LoadConfig reads a real file: the text goes to a temporary one, removed at once.
void CheckLoadConfig(const std::string& text) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string path =
      std::string(tmpdir != nullptr ? tmpdir : "/tmp") + "/msx-fuzz-config-XXXXXX";
  const int fd = mkstemp(path.data());
  FUZZ_CHECK(fd >= 0, "mkstemp " + path);
  const bool written =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (written) CheckResult(LoadConfig(path), path, text);
  unlink(path.c_str());
}

}  // namespace
}  // namespace msx

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool env_set = setenv(msx::kPasswordEnv, msx::kEnvSecret, 1) == 0;
  (void)env_set;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (msx::NamesSpecialFiles(text)) return 0;
  msx::CheckResult(msx::ParseConfig(text, msx::kConfigPath), msx::kConfigPath, text);
  msx::CheckLoadConfig(text);
  return 0;
}
