// Web config: the exporter-toolkit file behind --web.config.file (TLS and basic
// auth), parsed into plain values, the basic-auth check it configures, and the pin
// a client (the healthcheck subcommand) uses to recognise the server's certificate.
//
// Parsing is pure (text in, struct or error out); the server applies the result.
// WebConfig is a plain value. BasicAuthenticator is immutable after construction
// except for an internal cache guarded by a mutex: Check() is thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "common/status.h"

namespace msx {

struct TlsServerConfig {
  std::string cert_file;  // PEM, may hold the chain; resolved against the file's folder
  std::string key_file;   // PEM private key
  // NoClientCert | RequestClientCert | RequireAnyClientCert |
  // VerifyClientCertIfGiven | RequireAndVerifyClientCert (Go's tls.ClientAuthType)
  std::string client_auth_type = "NoClientCert";
  std::string client_ca_file;         // REQUIRED for the two Verify* types
  std::string min_version = "TLS12";  // TLS10 | TLS11 | TLS12 | TLS13
  std::string max_version = "TLS13";
};

struct WebConfig {
  std::string file;          // where it was read from, for messages
  bool tls_enabled = false;  // tls_server_config has cert_file and key_file
  TlsServerConfig tls;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
  // http_server_config.headers: added to every response.
  std::map<std::string, std::string> headers;
};

// Parses the web config `text`; `file` names it in messages and its folder is where
// relative paths resolve. On failure the status holds every problem of the file, each
// at its place ("web.yml:3:5: tls_server_config.client_auth_type: unknown value
// \"Bogus\"").
StatusOr<WebConfig> ParseWebConfig(const std::string& text, const std::string& file);

// Reads and parses the file at `path`.
StatusOr<WebConfig> LoadWebConfig(const std::string& path);

// The public-key pin of the first certificate in the PEM file `cert_file`, as
// libcurl's CURLOPT_PINNEDPUBLICKEY takes it: "sha256//" and the base64 SHA-256 of
// its SubjectPublicKeyInfo; an error when the file holds none.
StatusOr<std::string> CertificatePublicKeyPin(const std::string& cert_file);

// HTTP basic auth against bcrypt hashes ($2a$, $2b$, $2y$), computed with libcrypt.
// Successful checks are remembered (by a SHA-256 digest, never the password) so a
// scraper does not pay for bcrypt on every request.
class BasicAuthenticator {
 public:
  explicit BasicAuthenticator(std::map<std::string, std::string> users);

  bool enabled() const { return !users_.empty(); }

  // `authorization` is the Authorization header's value ("" when absent). True when
  // it carries Basic credentials of a configured user with the right password.
  bool Check(std::string_view authorization) const;

  // True when crypt(password, hash) reproduces `hash`, compared in constant time.
  static bool VerifyBcrypt(const std::string& password, const std::string& hash);

 private:
  static constexpr size_t kMaxCached = 256;

  const std::map<std::string, std::string> users_;
  mutable std::mutex mu_;
  mutable std::set<std::string> verified_;  // guarded by mu_
};

}  // namespace msx
