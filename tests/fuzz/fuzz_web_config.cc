// Fuzz target: web config text (--web.config.file) → ParseWebConfig and LoadWebConfig
// (exporter/http/web_config.h).
//
// The input is the YAML text itself, so the corpus is readable web config files.
// Whatever the text, parsing must return (no crash, exception, hang or leak) and keep
// web_config.h's promises: on failure an empty WebConfig and one error naming the
// file; on success only settings the server can apply (checked here independently of
// the parser's code). Basic-auth checks are not fuzzed here: every one costs a bcrypt.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <string>

#include "fuzz_check.h"
#include "http/web_config.h"

namespace msx {
namespace {

constexpr char kFile[] = "/etc/mshost_exporter/web.yml";
constexpr char kFolder[] = "/etc/mshost_exporter/";

bool IsOneOf(const std::string& value, std::initializer_list<const char*> choices) {
  return std::find(choices.begin(), choices.end(), value) != choices.end();
}

int VersionRank(const std::string& version) {
  if (version == "TLS10") return 10;
  if (version == "TLS11") return 11;
  if (version == "TLS12") return 12;
  if (version == "TLS13") return 13;
  return 0;
}

// A path from the file is absolute, or resolved against the file's folder.
bool IsResolved(const std::string& path, const std::string& folder) {
  return path.empty() || path[0] == '/' || path.rfind(folder, 0) == 0;
}

void CheckParsed(const WebConfig& config, const std::string& file,
                 const std::string& folder) {
  FUZZ_CHECK(config.file == file, config.file);
  const TlsServerConfig& tls = config.tls;
  FUZZ_CHECK(IsOneOf(tls.client_auth_type,
                     {"NoClientCert", "RequestClientCert", "RequireAnyClientCert",
                      "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"}),
             tls.client_auth_type);
  FUZZ_CHECK(VersionRank(tls.min_version) > 0 && VersionRank(tls.max_version) > 0,
             tls.min_version + ".." + tls.max_version);
  for (const std::string* path : {&tls.cert_file, &tls.key_file, &tls.client_ca_file}) {
    FUZZ_CHECK(IsResolved(*path, folder), *path);
  }
  if (config.tls_enabled) {
    FUZZ_CHECK(!tls.cert_file.empty() && !tls.key_file.empty(), "TLS without cert/key");
    FUZZ_CHECK(VersionRank(tls.min_version) <= VersionRank(tls.max_version),
               tls.min_version + " > " + tls.max_version);
    if (IsOneOf(tls.client_auth_type,
                {"VerifyClientCertIfGiven", "RequireAndVerifyClientCert"})) {
      FUZZ_CHECK(!tls.client_ca_file.empty(), "verifying without client_ca_file");
    }
  } else {
    // Client-certificate settings without TLS would silently do nothing.
    FUZZ_CHECK(tls.client_ca_file.empty() && tls.client_auth_type == "NoClientCert",
               "client certificate settings without TLS");
  }
  for (const auto& [user, hash] : config.basic_auth_users) {
    FUZZ_CHECK(user.find(':') == std::string::npos, user);
    FUZZ_CHECK(hash.rfind("$2a$", 0) == 0 || hash.rfind("$2b$", 0) == 0 ||
                   hash.rfind("$2y$", 0) == 0,
               hash);
  }
  for (const auto& [name, value] : config.headers) {
    FUZZ_CHECK(
        IsOneOf(name, {"Content-Security-Policy", "Strict-Transport-Security",
                       "X-Content-Type-Options", "X-Frame-Options", "X-XSS-Protection"}),
        name);
  }
}

void CheckOutcome(const StatusOr<WebConfig>& config, const std::string& file,
                  const std::string& folder) {
  if (config.ok()) {
    CheckParsed(*config, file, folder);
    return;
  }
  FUZZ_CHECK(!config.status().problems().empty(), "a failure without a problem");
  for (const std::string& problem : config.status().problems()) {
    FUZZ_CHECK(problem.rfind(file + ":", 0) == 0, problem);
  }
}

// LoadWebConfig reads a real file: the text goes to a temporary one, removed at once.
void CheckLoad(const std::string& text) {
  const char* tmpdir = std::getenv("TMPDIR");
  const std::string folder = std::string(tmpdir != nullptr ? tmpdir : "/tmp");
  std::string path = folder + "/msx-fuzz-web-XXXXXX";
  const int fd = mkstemp(path.data());
  FUZZ_CHECK(fd >= 0, "mkstemp " + path);
  const bool written =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (written) {
    const StatusOr<WebConfig> config = LoadWebConfig(path);
    CheckOutcome(config, path, folder + "/");
  }
  unlink(path.c_str());
}

}  // namespace
}  // namespace msx

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const msx::StatusOr<msx::WebConfig> config = msx::ParseWebConfig(text, msx::kFile);
  msx::CheckOutcome(config, msx::kFile, msx::kFolder);
  msx::CheckLoad(text);
  return 0;
}
