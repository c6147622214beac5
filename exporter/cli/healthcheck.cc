#include "cli/healthcheck.h"

#include <curl/curl.h>

#include <cmath>

#include "common/read_file.h"
#include "config/config.h"

namespace msx {
namespace {

constexpr size_t kMaxPasswordFileBytes = 64 << 10;

std::string StripOneNewline(std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

// The answer's body is not needed: only its status.
size_t Discard(char* /*data*/, size_t size, size_t count, void* /*user*/) {
  return size * count;
}

}  // namespace

StatusOr<HealthcheckPlan> PlanHealthcheck(const HealthcheckOptions& options,
                                          const WebConfig& web,
                                          const std::string& listen_address) {
  std::string host;
  int port = 0;
  if (!SplitHostPort(listen_address, &host, &port) || port == 0) {
    return Status::Error("cannot ask listen address \"" + listen_address +
                         "\": need HOST:PORT or :PORT");
  }
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";

  HealthcheckPlan plan;
  plan.tls = web.tls_enabled;
  plan.url = std::string(plan.tls ? "https" : "http") + "://" + host + ":" +
             std::to_string(port) + "/-/healthy";
  if (!web.basic_auth_users.empty()) {
    if (options.username.empty() || options.password_file.empty()) {
      return Status::Error(web.file +
                           " has basic_auth_users: give --username and --password-file");
    }
    plan.basic_auth = true;
  }
  const std::string& auth_type = web.tls.client_auth_type;
  if (plan.tls && (auth_type == "RequireAnyClientCert" ||
                   auth_type == "RequireAndVerifyClientCert")) {
    if (options.client_cert_file.empty() || options.client_key_file.empty()) {
      return Status::Error(web.file + " requires a client certificate (" + auth_type +
                           "): give --client-cert-file and --client-key-file");
    }
  }
  plan.client_cert = plan.tls && !options.client_cert_file.empty();
  return plan;
}

int RunHealthcheck(const HealthcheckOptions& options, std::ostream& out) {
  auto unhealthy = [&out](const std::string& why) {
    out << "unhealthy: " << why << "\n";
    return kUnhealthy;
  };
  std::string listen_address = options.listen_address;
  if (listen_address.empty()) {
    ConfigLoad loaded = LoadConfig(options.config_file);
    if (!loaded.config.ok()) return unhealthy(loaded.config.status().message());
    listen_address = loaded.config->listen_address;
  }
  WebConfig web;
  if (!options.web_config_file.empty()) {
    StatusOr<WebConfig> loaded = LoadWebConfig(options.web_config_file);
    if (!loaded.ok()) return unhealthy(loaded.status().message());
    web = std::move(loaded).value();
  }
  StatusOr<HealthcheckPlan> planned = PlanHealthcheck(options, web, listen_address);
  if (!planned.ok()) return unhealthy(planned.status().message());
  const HealthcheckPlan& plan = *planned;

  std::string password;
  if (plan.basic_auth) {
    StatusOr<std::string> content =
        ReadFileAtMost(options.password_file, kMaxPasswordFileBytes);
    if (!content.ok()) {
      return unhealthy("cannot read password file " + options.password_file + ": " +
                       content.status().message());
    }
    password = StripOneNewline(std::move(content).value());
  }
  std::string pin;
  if (plan.tls) {
    StatusOr<std::string> pinned = CertificatePublicKeyPin(web.tls.cert_file);
    if (!pinned.ok()) return unhealthy(pinned.status().message());
    pin = *pinned;
  }

  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return unhealthy("cannot initialise libcurl");
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return unhealthy("cannot initialise libcurl");
  char curl_error[CURL_ERROR_SIZE] = "";
  const long timeout_ms = std::lround(options.timeout_seconds * 1000);
  curl_easy_setopt(curl, CURLOPT_URL, plan.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "mshost_exporter-healthcheck");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
  if (plan.tls) {
    // The certificate names a host the check does not use (it asks loopback); the
    // pin, the key the server was configured with, stands for both checks.
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(curl, CURLOPT_PINNEDPUBLICKEY, pin.c_str());
  }
  if (plan.client_cert) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, options.client_cert_file.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, options.client_key_file.c_str());
  }
  if (plan.basic_auth) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, options.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, password.c_str());
  }
  const CURLcode result = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (result != CURLE_OK) {
    return unhealthy(plan.url + ": " +
                     (curl_error[0] != '\0' ? curl_error : curl_easy_strerror(result)));
  }
  if (status != 200) {
    return unhealthy(plan.url + " answered " + std::to_string(status));
  }
  out << "healthy: " << plan.url << " answered 200\n";
  return kHealthy;
}

}  // namespace msx
