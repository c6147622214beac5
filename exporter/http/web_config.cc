#include "http/web_config.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "common/paths.h"
#include "common/read_file.h"

namespace msx {
namespace {

// Every problem of one file, each at its place ("web.yml:3:5: key: message"), so one
// attempt shows them all (like the main configuration).
class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}
  void Add(const YAML::Mark& mark, const std::string& key, const std::string& what) {
    messages_.push_back(file_ + ":" + std::to_string(mark.line + 1) + ":" +
                        std::to_string(mark.column + 1) + ": " + key + ": " + what);
  }
  // Without a key: a YAML syntax error.
  void AddSyntax(const YAML::Mark& mark, const std::string& what) {
    messages_.push_back(file_ + ":" + std::to_string(mark.line + 1) + ":" +
                        std::to_string(mark.column + 1) + ": " + what);
  }
  bool empty() const { return messages_.empty(); }
  Status status() const { return Status::Errors(messages_); }

 private:
  std::string file_;
  std::vector<std::string> messages_;
};

std::optional<std::string> Scalar(const YAML::Node& node, const std::string& key,
                                  Problems* problems) {
  if (!node.IsScalar()) {
    problems->Add(node.Mark(), key, "must be a string");
    return std::nullopt;
  }
  return node.Scalar();
}

bool RequireMap(const YAML::Node& node, const std::string& key, Problems* problems) {
  if (node.IsMap()) return true;
  problems->Add(node.Mark(), key, "must be a mapping");
  return false;
}

bool IsOneOf(const std::string& value, std::initializer_list<const char*> allowed) {
  for (const char* candidate : allowed) {
    if (value == candidate) return true;
  }
  return false;
}

int TlsVersionRank(const std::string& v) {
  if (v == "TLS10") return 10;
  if (v == "TLS11") return 11;
  if (v == "TLS12") return 12;
  if (v == "TLS13") return 13;
  return 0;
}

// exporter-toolkit options this exporter does not implement: rejected by name rather
// than silently ignored, so nobody believes they are in effect.
bool IsUnsupportedTlsKey(const std::string& key) {
  return IsOneOf(key, {"cert", "key", "client_ca", "cipher_suites", "curve_preferences",
                       "prefer_server_cipher_suites", "client_allowed_sans"});
}

// The checks across keys, once every key was read without a problem.
void CheckTls(const YAML::Node& node, const TlsServerConfig& tls, Problems* problems) {
  const std::string prefix = "tls_server_config";
  if (tls.cert_file.empty()) problems->Add(node.Mark(), prefix, "missing cert_file");
  if (tls.key_file.empty()) problems->Add(node.Mark(), prefix, "missing key_file");
  if (TlsVersionRank(tls.min_version) > TlsVersionRank(tls.max_version)) {
    problems->Add(node.Mark(), prefix,
                  "min_version " + tls.min_version + " is above max_version " +
                      tls.max_version);
  }
  const bool verifies = IsOneOf(
      tls.client_auth_type, {"VerifyClientCertIfGiven", "RequireAndVerifyClientCert"});
  if (verifies && tls.client_ca_file.empty()) {
    problems->Add(node.Mark(), prefix + ".client_ca_file",
                  "required with client_auth_type " + tls.client_auth_type);
  }
  if (!tls.client_ca_file.empty() && tls.client_auth_type == "NoClientCert") {
    problems->Add(node.Mark(), prefix + ".client_ca_file",
                  "set, but client_auth_type is NoClientCert (set a client_auth_type)");
  }
}

// `file` is the web config's own path: relative paths in it resolve next to it.
void ParseTls(const YAML::Node& node, const std::string& file, WebConfig* out,
              Problems* problems) {
  const std::string prefix = "tls_server_config";
  if (node.IsNull() || !RequireMap(node, prefix, problems)) return;
  TlsServerConfig& tls = out->tls;
  bool keys_ok = true;
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    const std::string path = prefix + "." + key;
    const YAML::Node& value = entry.second;
    std::string* file_setting = key == "cert_file"        ? &tls.cert_file
                                : key == "key_file"       ? &tls.key_file
                                : key == "client_ca_file" ? &tls.client_ca_file
                                                          : nullptr;
    if (file_setting != nullptr) {
      std::optional<std::string> text = Scalar(value, path, problems);
      keys_ok = keys_ok && text;
      if (text) *file_setting = ResolveNextToFile(file, *text);
    } else if (key == "client_auth_type") {
      std::optional<std::string> text = Scalar(value, path, problems);
      if (text && !IsOneOf(*text, {"NoClientCert", "RequestClientCert",
                                   "RequireAnyClientCert", "VerifyClientCertIfGiven",
                                   "RequireAndVerifyClientCert"})) {
        problems->Add(value.Mark(), path,
                      "unknown value \"" + *text +
                          "\" (NoClientCert, RequestClientCert, "
                          "RequireAnyClientCert, VerifyClientCertIfGiven or "
                          "RequireAndVerifyClientCert)");
        text.reset();
      }
      keys_ok = keys_ok && text;
      if (text) tls.client_auth_type = *text;
    } else if (key == "min_version" || key == "max_version") {
      std::optional<std::string> version = Scalar(value, path, problems);
      if (version && TlsVersionRank(*version) == 0) {
        problems->Add(value.Mark(), path,
                      "unknown TLS version \"" + *version +
                          "\" (TLS10, TLS11, TLS12 or TLS13)");
        version.reset();
      }
      keys_ok = keys_ok && version;
      if (version) (key == "min_version" ? tls.min_version : tls.max_version) = *version;
    } else if (IsUnsupportedTlsKey(key)) {
      problems->Add(entry.first.Mark(), path, "not supported by mshost_exporter");
    } else {
      problems->Add(entry.first.Mark(), path, "unknown key");
    }
  }
  // A key that did not parse would make the checks across keys say wrong things.
  if (!keys_ok) return;

  // Like exporter-toolkit: no certificate and no key means plain HTTP.
  if (tls.cert_file.empty() && tls.key_file.empty()) {
    if (tls.client_ca_file.empty() && tls.client_auth_type == "NoClientCert") return;
    problems->Add(node.Mark(), prefix,
                  "client certificate settings need cert_file and key_file");
    return;
  }
  CheckTls(node, tls, problems);
  out->tls_enabled = true;
}

void ParseUsers(const YAML::Node& node, WebConfig* out, Problems* problems) {
  const std::string prefix = "basic_auth_users";
  if (node.IsNull() || !RequireMap(node, prefix, problems)) return;
  for (const auto& entry : node) {
    const std::string user = entry.first.Scalar();
    const std::string path = prefix + "." + user;
    if (user.find(':') != std::string::npos) {
      problems->Add(entry.first.Mark(), path,
                    "a user name cannot contain ':' (basic auth splits there)");
      continue;
    }
    const std::optional<std::string> hash = Scalar(entry.second, path, problems);
    if (!hash) continue;
    if (hash->rfind("$2a$", 0) != 0 && hash->rfind("$2b$", 0) != 0 &&
        hash->rfind("$2y$", 0) != 0) {
      problems->Add(entry.second.Mark(), path,
                    "not a bcrypt hash (expected $2a$, $2b$ or $2y$...)");
      continue;
    }
    out->basic_auth_users[user] = *hash;
  }
}

// The headers exporter-toolkit allows in http_server_config.headers.
bool IsAllowedHeader(const std::string& name) {
  return IsOneOf(name, {"Content-Security-Policy", "Strict-Transport-Security",
                        "X-Content-Type-Options", "X-Frame-Options", "X-XSS-Protection"});
}

void ParseHttpServer(const YAML::Node& node, WebConfig* out, Problems* problems) {
  const std::string prefix = "http_server_config";
  if (!RequireMap(node, prefix, problems)) return;
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    const std::string path = prefix + "." + key;
    if (key != "headers") {
      problems->Add(entry.first.Mark(), path,
                    key == "http2" ? "not supported by mshost_exporter (HTTP/1.1 only)"
                                   : "unknown key");
      continue;
    }
    if (!RequireMap(entry.second, path, problems)) continue;
    for (const auto& header : entry.second) {
      const std::string name = header.first.Scalar();
      if (!IsAllowedHeader(name)) {
        problems->Add(header.first.Mark(), path + "." + name,
                      "not an allowed header (Content-Security-Policy, "
                      "Strict-Transport-Security, X-Content-Type-Options, "
                      "X-Frame-Options, X-XSS-Protection)");
        continue;
      }
      std::optional<std::string> value = Scalar(header.second, path + "." + name, problems);
      if (value) out->headers[name] = *value;
    }
  }
}

std::string Sha256(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), length);
}

// Standard base64 (RFC 4648), padding optional; what follows the first '=' is ignored.
// False on any other character, whitespace included.
bool DecodeBase64(std::string_view in, std::string* out) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out->clear();
  in = in.substr(0, in.find('='));
  // EVP_DecodeBlock would skip leading and trailing whitespace and read '=' anywhere
  // as zero bits: check the characters here so that only the alphabet gets through.
  if (in.find_first_not_of(kAlphabet) != std::string_view::npos) return false;
  if (in.size() > static_cast<size_t>(std::numeric_limits<int>::max()) - 3) return false;
  // It takes whole 4-character blocks only, and counts the bytes it decodes from the
  // padding: pad the last block, then drop one byte for each '=' added.
  std::string padded(in);
  const size_t padding = (4 - padded.size() % 4) % 4;
  padded.append(padding, '=');
  out->resize(padded.size() / 4 * 3);
  const int length =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out->data()),
                      reinterpret_cast<const unsigned char*>(padded.data()),
                      static_cast<int>(padded.size()));
  if (length < 0) {
    out->clear();
    return false;
  }
  out->resize(static_cast<size_t>(length) - padding);
  return true;
}

// Spent on unknown users so that a wrong name costs as much as a wrong password and
// timing does not tell which user names exist.
constexpr char kDecoyHash[] =
    "$2b$10$nh8yex9N0XJgIiajzrNKu.mQoj9HAquFDIzrUGzfvnQlJqEEaj8HO";

}  // namespace

StatusOr<WebConfig> ParseWebConfig(const std::string& text, const std::string& file) {
  WebConfig out;
  out.file = file;
  Problems problems(file);
  try {
    const YAML::Node root = YAML::Load(text);
    if (root.IsNull()) return out;  // an empty file: no TLS, no auth
    if (RequireMap(root, "(document)", &problems)) {
      for (const auto& entry : root) {
        const std::string key = entry.first.Scalar();
        if (key == "tls_server_config") {
          ParseTls(entry.second, file, &out, &problems);
        } else if (key == "basic_auth_users") {
          ParseUsers(entry.second, &out, &problems);
        } else if (key == "http_server_config") {
          ParseHttpServer(entry.second, &out, &problems);
        } else {
          problems.Add(entry.first.Mark(), key, "unknown key");
        }
      }
    }
  } catch (const YAML::Exception& e) {
    problems.AddSyntax(e.mark, e.msg);
  }
  if (!problems.empty()) return problems.status();
  return out;
}

StatusOr<WebConfig> LoadWebConfig(const std::string& path) {
  constexpr size_t kMaxWebConfigBytes = 1 << 20;  // a real one is a few hundred bytes
  StatusOr<std::string> text = ReadFileAtMost(path, kMaxWebConfigBytes);
  if (!text.ok()) {
    return Status::Error(path + ": cannot read the web config file: " +
                         text.status().message());
  }
  return ParseWebConfig(*text, path);
}

BasicAuthenticator::BasicAuthenticator(std::map<std::string, std::string> users)
    : users_(std::move(users)) {}

bool BasicAuthenticator::VerifyBcrypt(const std::string& password,
                                      const std::string& hash) {
  auto data = std::make_unique<crypt_data>();  // ~32 KiB: not for the stack
  const char* result =
      crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof(*data));
  if (result == nullptr) return false;
  const size_t length = std::char_traits<char>::length(result);
  return length == hash.size() && CRYPTO_memcmp(result, hash.data(), length) == 0;
}

bool BasicAuthenticator::Check(std::string_view authorization) const {
  constexpr std::string_view kScheme = "Basic ";
  if (authorization.size() < kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    // The scheme name is case-insensitive (RFC 7617).
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return false;
    }
  }
  std::string credentials;
  if (!DecodeBase64(authorization.substr(kScheme.size()), &credentials)) return false;
  const size_t colon = credentials.find(':');
  if (colon == std::string::npos) return false;
  const std::string user = credentials.substr(0, colon);
  const std::string password = credentials.substr(colon + 1);

  const auto it = users_.find(user);
  if (it == users_.end()) {
    VerifyBcrypt(password, kDecoyHash);
    return false;
  }
  const std::string key = Sha256(user + '\0' + it->second + '\0' + password);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (verified_.count(key) > 0) return true;
  }
  if (!VerifyBcrypt(password, it->second)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (verified_.size() >= kMaxCached) verified_.clear();
  verified_.insert(key);
  return true;
}

}  // namespace msx
