// mshost_exporter: flags, the chosen command, signals. Wiring only: the running
// system is runtime/, its web face web/, the other commands cli/.
//
// The flags keep Prometheus' dotted names (--config.file): CLI11 2.1 accepts any
// character but '=', ':', '{', space and newline after an option name's first one.
#include <malloc.h>
#include <pthread.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/healthcheck.h"
#include "common/duration.h"
#include "common/log.h"
#include "common/version.h"
#include "runtime/system.h"
#include "web/external_url.h"
#include "web/web_face.h"

namespace {

struct Flags {
  std::string config_file = "mshost_exporter.yml";
  // Empty: the config's web.listen_address (:9887).
  std::vector<std::string> listen_addresses;
  bool systemd_socket = false;
  std::string web_config_file;
  std::string external_url;  // "" = http://<hostname>:<port>
  std::string telemetry_path = "/metrics";
  bool disable_exporter_metrics = false;
  std::string log_level = "info";
  std::string log_format = "logfmt";
  std::string target;
  std::string observe = "4s";
  msx::HealthcheckOptions health;
  std::string health_listen_address;  // healthcheck asks one address
  std::string health_timeout = "2s";
};

// The environment variables behind the flags the server and `healthcheck` share: a
// container's HEALTHCHECK inherits its environment but not its command line, so
// settings given this way reach both (docs/operations.md).
constexpr const char* kConfigFileEnv = "MSHOST_EXPORTER_CONFIG_FILE";
constexpr const char* kListenAddressEnv = "MSHOST_EXPORTER_WEB_LISTEN_ADDRESS";
constexpr const char* kWebConfigFileEnv = "MSHOST_EXPORTER_WEB_CONFIG_FILE";

CLI::Validator DurationValidator() {
  return CLI::Validator(
      [](std::string& text) {
        return msx::ParseDurationSeconds(text) ? "" : "not a duration: " + text;
      },
      "DURATION");
}

// Blocks the signals main waits for, in this thread and so in every thread started
// after it (CivetWeb's, the pollers'): only sigwait() below sees them.
sigset_t BlockControlSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

int Serve(const Flags& flags) {
  // A bad flag stops the start before anything listens or polls.
  if (const auto url = msx::ResolveExternalUrl(flags.external_url, 0, ""); !url.ok()) {
    std::cerr << "mshost_exporter: " << url.status().message() << "\n";
    return msx::kExitBadConfig;
  }
  sigset_t signals = BlockControlSignals();
  // A scraper that hangs up mid-response must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);

  if (const std::string bad = msx::CheckRouteOptions({flags.telemetry_path});
      !bad.empty()) {
    std::cerr << "mshost_exporter: " << bad << "\n";
    return msx::kExitBadConfig;
  }
  std::optional<msx::Config> config = msx::LoadServerConfig(flags.config_file, std::cerr);
  if (!config) return msx::kExitBadConfig;
  msx::LogInfo("starting mshost_exporter", {{"version", MSX_VERSION},
                                            {"revision", msx::BuildRevision()},
                                            {"config", flags.config_file}});

  msx::WebOptions web_options;
  web_options.listen_addresses = flags.listen_addresses;
  if (web_options.listen_addresses.empty()) {
    web_options.listen_addresses = {config->listen_address};
  }
  web_options.systemd_socket = flags.systemd_socket;
  web_options.web_config_file = flags.web_config_file;

  msx::RouteOptions routes;
  routes.telemetry_path = flags.telemetry_path;
  routes.exporter_metrics = !flags.disable_exporter_metrics;

  msx::SystemClock clock;
  msx::System system(std::move(*config), flags.config_file, clock, msx::RealParts(clock),
                     msx::MakeAlertmanagerNotifier);
  msx::WebFace web(system, clock, routes);
  if (const msx::Status served = web.Serve(web_options); !served.ok()) {
    std::cerr << "mshost_exporter: " << served.message() << "\n";
    return msx::kExitCannotServe;
  }
  // Checked above: only the default (hostname and bound port) remains to fill in.
  const std::string external_url =
      *msx::ResolveExternalUrl(flags.external_url, web.port(), HostName());
  msx::LogInfo("external url", {{"url", external_url}});
  system.SetExternalUrl(external_url);
  system.Start();

  for (;;) {
    int received = 0;
    sigwait(&signals, &received);
    if (received != SIGHUP) break;
    msx::LogInfo("reloading configuration", {{"signal", "SIGHUP"}});
    (void)system.Reload();  // logs its own outcome
  }
  msx::LogInfo("stopping");
  // The server first: no handler may run while the pollers go away. A poll stuck in
  // a database call must not hold the exit past 2 s.
  web.Stop();
  if (!system.Stop(1.5)) {
    msx::LogWarn("a poll is still running; exiting without waiting for it");
    std::_Exit(0);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives each thread that allocates its own arena and keeps freed memory in it:
  // with 8 HTTP threads rendering a 5,000-node target, RSS grew to 185 MB (81 MB with
  // MALLOC_ARENA_MAX=1). Two arenas bound that growth and still let the HTTP threads
  // and the pollers allocate without all contending for one lock.
  mallopt(M_ARENA_MAX, 2);
  Flags flags;
  CLI::App cli{
      "Prometheus exporter and alerter for Apache CloudStack management "
      "servers (cloud.mshost)."};
  cli.set_version_flag("--version", msx::VersionText(MSX_VERSION));
  cli.add_option("--config.file", flags.config_file, "Configuration file")
      ->envname(kConfigFileEnv)
      ->capture_default_str();
  cli.add_option("--web.listen-address", flags.listen_addresses,
                 "Address to listen on, HOST:PORT or :PORT; repeat for several "
                 "(default: the config's web.listen_address, :9887). IPv4 only: "
                 "Debian's CivetWeb has no IPv6")
      ->allow_extra_args(false)
      ->take_all()
      ->envname(kListenAddressEnv);
  cli.add_flag("--web.systemd-socket", flags.systemd_socket,
               "Use the sockets systemd passes (socket activation) instead of "
               "--web.listen-address");
  cli.add_option("--web.config.file", flags.web_config_file,
                 "Web configuration file (TLS, basic auth; exporter-toolkit format)")
      ->envname(kWebConfigFileEnv);
  cli.add_option("--web.external-url", flags.external_url,
                 "The URL under which the exporter is reached from outside, for the "
                 "alerts' runbook links and generatorURL (default: "
                 "http://<hostname>:<port>)");
  cli.add_option("--web.telemetry-path", flags.telemetry_path,
                 "Path under which to expose the exporter's and the default target's "
                 "metrics")
      ->capture_default_str();
  cli.add_flag("--web.disable-exporter-metrics", flags.disable_exporter_metrics,
               "Leave the exporter's own metrics (process_*, mshost_exporter_*) out of "
               "the telemetry path");
  cli.add_option("--log.level", flags.log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  cli.add_option("--log.format", flags.log_format, "logfmt or json")
      ->check(CLI::IsMember({"logfmt", "json"}))
      ->capture_default_str();
  // Global flags may also follow a subcommand: `check --log.level=debug`.
  cli.fallthrough();

  CLI::App* check = cli.add_subcommand(
      "check",
      "Watch the target(s) for a few polls, print one line per node and exit "
      "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (Nagios plugin)");
  check->add_option("--config.file", flags.config_file, "Configuration file")
      ->capture_default_str();
  check->add_option("--target", flags.target, "Only this target (default: all)");
  check->add_option("--observe", flags.observe, "How long to watch (at least two polls)")
      ->check(DurationValidator())
      ->capture_default_str();

  CLI::App* check_config = cli.add_subcommand(
      "check-config", "Validate the configuration file and exit 0, or 2 with the errors");
  check_config->add_option("--config.file", flags.config_file, "Configuration file")
      ->capture_default_str();

  CLI::App* healthcheck = cli.add_subcommand(
      "healthcheck",
      "Ask the running exporter's /-/healthy as its web config requires (TLS, basic "
      "auth) and exit 0 healthy or 1 unhealthy (Docker HEALTHCHECK)");
  healthcheck->add_option("--config.file", flags.config_file,
                          "Configuration file, for web.listen_address")
      ->envname(kConfigFileEnv)
      ->capture_default_str();
  healthcheck->add_option("--web.listen-address", flags.health_listen_address,
                          "The exporter's listen address (default: the config's)")
      ->envname(kListenAddressEnv);
  healthcheck->add_option("--web.config.file", flags.web_config_file,
                          "The exporter's web configuration file")
      ->envname(kWebConfigFileEnv);
  healthcheck->add_option("--username", flags.health.username,
                          "Basic auth user, when the web config has basic_auth_users")
      ->envname("MSHOST_EXPORTER_HEALTHCHECK_USERNAME");
  healthcheck->add_option("--password-file", flags.health.password_file,
                          "File holding that user's password")
      ->envname("MSHOST_EXPORTER_HEALTHCHECK_PASSWORD_FILE");
  healthcheck->add_option("--client-cert-file", flags.health.client_cert_file,
                          "Client certificate (PEM), when the web config requires one")
      ->envname("MSHOST_EXPORTER_HEALTHCHECK_CLIENT_CERT_FILE");
  healthcheck->add_option("--client-key-file", flags.health.client_key_file,
                          "The client certificate's key (PEM)")
      ->envname("MSHOST_EXPORTER_HEALTHCHECK_CLIENT_KEY_FILE");
  healthcheck->add_option("--timeout", flags.health_timeout, "How long to wait for the answer")
      ->check(DurationValidator())
      ->capture_default_str();
  cli.require_subcommand(0, 1);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return cli.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    cli.exit(e);  // prints the message
    // A monitoring plugin reports its own failure as UNKNOWN, never as CRITICAL;
    // Docker reserves 2, so a health check that cannot run is unhealthy.
    if (check->parsed()) return static_cast<int>(msx::CheckCode::kUnknown);
    if (healthcheck->parsed()) return msx::kUnhealthy;
    return msx::kExitBadConfig;
  }

  if (const msx::Status logging = msx::SetupLogging(flags.log_level, flags.log_format);
      !logging.ok()) {
    std::cerr << "mshost_exporter: " << logging.message() << "\n";
    return msx::kExitBadConfig;
  }
  if (check_config->parsed()) {
    return msx::RunCheckConfig(flags.config_file, std::cout, std::cerr);
  }
  if (check->parsed()) {
    msx::CheckOptions options;
    options.target = flags.target;
    options.observe_seconds = *msx::ParseDurationSeconds(flags.observe);
    return msx::RunCheckCommand(flags.config_file, options, std::cout, std::cerr);
  }
  if (healthcheck->parsed()) {
    msx::HealthcheckOptions options = flags.health;
    options.config_file = flags.config_file;
    options.listen_address = flags.health_listen_address;
    options.web_config_file = flags.web_config_file;
    options.timeout_seconds = *msx::ParseDurationSeconds(flags.health_timeout);
    return msx::RunHealthcheck(options, std::cout);
  }
  return Serve(flags);
}
