// The `healthcheck` subcommand: asks a running exporter's /-/healthy the way its web
// config requires, for Docker's HEALTHCHECK and other liveness probes that should
// not need curl (docs/operations.md, "The healthcheck subcommand").
//
// It reads the same files the server was started with: the listen address from
// --web.listen-address or the configuration's web.listen_address, TLS and the need
// for credentials from --web.config.file. The web config holds only bcrypt hashes,
// so a password (and a client certificate, when the server requires one) is given
// separately. Over TLS the server must present the public key of the web config's
// cert_file: the check talks to loopback, where no host name would match, and must
// not hand a password to whatever else listens there.
//
// PlanHealthcheck is pure; RunHealthcheck does the I/O (files, one HTTP request with
// libcurl). One command per process; nothing is shared between threads.
#pragma once

#include <ostream>
#include <string>

#include "common/status.h"
#include "http/web_config.h"

namespace msx {

// Docker's HEALTHCHECK codes: 0 healthy, 1 unhealthy (2 is reserved there). A check
// that cannot run (bad flags, unreadable files) is unhealthy as well.
inline constexpr int kHealthy = 0;
inline constexpr int kUnhealthy = 1;

struct HealthcheckOptions {
  std::string config_file;       // read for web.listen_address when listen_address is ""
  std::string listen_address;    // the server's --web.listen-address
  std::string web_config_file;   // the server's --web.config.file; "" = plain HTTP
  std::string username;          // basic auth, when the web config has users
  std::string password_file;     // one trailing newline is dropped
  std::string client_cert_file;  // PEM, when the server requires a client certificate
  std::string client_key_file;
  double timeout_seconds = 2;
};

// What RunHealthcheck will ask, decided from the flags and the files' contents.
struct HealthcheckPlan {
  std::string url;  // e.g. "https://127.0.0.1:9887/-/healthy"
  bool tls = false;
  bool basic_auth = false;
  bool client_cert = false;
};

// REQUIRES: listen_address is the address the server listens on ("HOST:PORT" or
// ":PORT"). A wildcard or empty host is asked on loopback (127.0.0.1, or ::1 for
// "[::]"). An error when the address is unusable, when the web config has
// basic_auth_users but no username or password file is given, or when it requires a
// client certificate (RequireAnyClientCert, RequireAndVerifyClientCert) and none is
// given.
StatusOr<HealthcheckPlan> PlanHealthcheck(const HealthcheckOptions& options,
                                          const WebConfig& web,
                                          const std::string& listen_address);

// One line on `out` ("healthy: ... answered 200" or "unhealthy: why") and kHealthy
// or kUnhealthy.
int RunHealthcheck(const HealthcheckOptions& options, std::ostream& out);

}  // namespace msx
