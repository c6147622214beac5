#include "http/web_config.h"

#include <crypt.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace msx {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kFile[] = "/etc/mshost_exporter/web.yml";

WebConfig Parse(const std::string& text) {
  StatusOr<WebConfig> config = ParseWebConfig(text, kFile);
  EXPECT_TRUE(config.ok()) << config.status().message();
  return config.ok() ? *config : WebConfig{};
}

std::string ParseError(const std::string& text) {
  StatusOr<WebConfig> config = ParseWebConfig(text, kFile);
  EXPECT_FALSE(config.ok()) << text;
  return config.status().message();
}

// From the exporter-toolkit test data (password carol123): an htpasswd-style $2y$
// hash made by another implementation than libcrypt.
constexpr char kCarolHash[] =
    "$2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu";

std::string Bcrypt(const std::string& prefix, const std::string& password) {
  const char* setting = crypt_gensalt(prefix.c_str(), 4, nullptr, 0);
  EXPECT_NE(setting, nullptr);
  const char* hash = crypt(password.c_str(), setting);
  EXPECT_NE(hash, nullptr);
  return hash;
}

TEST(WebConfigTest, EmptyFileMeansPlainHttpWithoutAuth) {
  const WebConfig config = Parse("");
  EXPECT_FALSE(config.tls_enabled);
  EXPECT_TRUE(config.basic_auth_users.empty());
  EXPECT_EQ(config.file, kFile);
  EXPECT_FALSE(Parse("tls_server_config:\nbasic_auth_users:\n").tls_enabled);
}

TEST(WebConfigTest, FullTlsConfigWithPathsRelativeToTheFile) {
  const WebConfig config = Parse(
      "tls_server_config:\n"
      "  cert_file: tls/server.crt\n"
      "  key_file: /abs/server.key\n"
      "  client_auth_type: RequireAndVerifyClientCert\n"
      "  client_ca_file: ca.pem\n"
      "  min_version: TLS13\n"
      "  max_version: TLS13\n");
  EXPECT_TRUE(config.tls_enabled);
  EXPECT_EQ(config.tls.cert_file, "/etc/mshost_exporter/tls/server.crt");
  EXPECT_EQ(config.tls.key_file, "/abs/server.key");
  EXPECT_EQ(config.tls.client_ca_file, "/etc/mshost_exporter/ca.pem");
  EXPECT_EQ(config.tls.client_auth_type, "RequireAndVerifyClientCert");
  EXPECT_EQ(config.tls.min_version, "TLS13");
  EXPECT_EQ(config.tls.max_version, "TLS13");
}

TEST(WebConfigTest, TlsDefaultsFollowExporterToolkit) {
  const WebConfig config =
      Parse("tls_server_config: {cert_file: a.pem, key_file: a.key}\n");
  EXPECT_TRUE(config.tls_enabled);
  EXPECT_EQ(config.tls.client_auth_type, "NoClientCert");
  EXPECT_EQ(config.tls.min_version, "TLS12");
  EXPECT_EQ(config.tls.max_version, "TLS13");
}

TEST(WebConfigTest, RelativePathsOfAFileInTheWorkingDirectory) {
  StatusOr<WebConfig> config =
      ParseWebConfig("tls_server_config: {cert_file: a.pem, key_file: a.key}\n", "web.yml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->tls.cert_file, "a.pem");
}

TEST(WebConfigTest, EveryClientAuthTypeIsAccepted) {
  for (const char* type : {"NoClientCert", "RequestClientCert", "RequireAnyClientCert"}) {
    EXPECT_EQ(Parse(std::string("tls_server_config: {cert_file: a, key_file: b, "
                                "client_auth_type: ") +
                    type + "}\n")
                  .tls.client_auth_type,
              type);
  }
  for (const char* type : {"VerifyClientCertIfGiven", "RequireAndVerifyClientCert"}) {
    EXPECT_EQ(Parse(std::string("tls_server_config: {cert_file: a, key_file: b, "
                                "client_ca_file: c, client_auth_type: ") +
                    type + "}\n")
                  .tls.client_auth_type,
              type);
  }
}

TEST(WebConfigTest, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(ParseError("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                       "  client_auth_type: Bogus\n"),
            std::string(kFile) +
                ":4:21: tls_server_config.client_auth_type: unknown value \"Bogus\" "
                "(NoClientCert, RequestClientCert, RequireAnyClientCert, "
                "VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
  EXPECT_THAT(ParseError("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                         "  min_version: TLS14\n"),
              StartsWith(std::string(kFile) + ":4:16: tls_server_config.min_version: "
                                              "unknown TLS version \"TLS14\""));
  EXPECT_THAT(ParseError("basic_auth_user:\n  a: b\n"),
              StartsWith(std::string(kFile) + ":1:1: basic_auth_user: unknown key"));
  EXPECT_THAT(ParseError("tls_server_config:\n  certfile: a\n"),
              HasSubstr(":2:3: tls_server_config.certfile: unknown key"));
  EXPECT_THAT(
      ParseError("tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n"),
      HasSubstr("tls_server_config.cipher_suites: not supported"));
  EXPECT_THAT(ParseError("tls_server_config: [a]\n"),
              HasSubstr("tls_server_config: must be a mapping"));
  EXPECT_THAT(ParseError("tls_server_config:\n  cert_file: [a]\n"),
              HasSubstr("tls_server_config.cert_file: must be a string"));
  EXPECT_THAT(ParseError("key: [unclosed\n"), StartsWith(std::string(kFile) + ":"));
}

TEST(WebConfigTest, InconsistentTlsSettingsAreErrors) {
  EXPECT_THAT(ParseError("tls_server_config:\n  cert_file: a\n"),
              HasSubstr("tls_server_config: missing key_file"));
  EXPECT_THAT(ParseError("tls_server_config:\n  key_file: a\n"),
              HasSubstr("tls_server_config: missing cert_file"));
  EXPECT_THAT(ParseError("tls_server_config: {cert_file: a, key_file: b, "
                         "min_version: TLS13, max_version: TLS12}\n"),
              HasSubstr("min_version TLS13 is above max_version TLS12"));
  EXPECT_THAT(ParseError("tls_server_config: {cert_file: a, key_file: b, "
                         "client_auth_type: RequireAndVerifyClientCert}\n"),
              HasSubstr("tls_server_config.client_ca_file: required"));
  EXPECT_THAT(ParseError("tls_server_config: {cert_file: a, key_file: b, "
                         "client_ca_file: c}\n"),
              HasSubstr("client_auth_type is NoClientCert"));
  EXPECT_THAT(ParseError("tls_server_config: {client_auth_type: RequireAnyClientCert}\n"),
              HasSubstr("need cert_file and key_file"));
}

TEST(WebConfigTest, BasicAuthUsersMustBeBcrypt) {
  const WebConfig config =
      Parse(std::string("basic_auth_users:\n  carol: ") + kCarolHash +
            "\n  \"dave\": '$2a$04$abcdefghijklmnopqrstuu'\n");
  EXPECT_EQ(config.basic_auth_users.size(), 2u);
  EXPECT_EQ(config.basic_auth_users.at("carol"), kCarolHash);
  EXPECT_THAT(ParseError("basic_auth_users:\n  alice: secret\n"),
              HasSubstr(":2:10: basic_auth_users.alice: not a bcrypt hash"));
  EXPECT_THAT(ParseError("basic_auth_users:\n  alice: $1$md5$crypt\n"),
              HasSubstr("not a bcrypt hash"));
  EXPECT_THAT(
      ParseError(std::string("basic_auth_users:\n  \"a:b\": ") + kCarolHash + "\n"),
      HasSubstr("cannot contain ':'"));
}

TEST(WebConfigTest, HttpServerHeaders) {
  const WebConfig config = Parse(
      "http_server_config:\n  headers:\n    Strict-Transport-Security: max-age=60\n");
  EXPECT_EQ(config.headers.at("Strict-Transport-Security"), "max-age=60");
  EXPECT_THAT(ParseError("http_server_config:\n  headers:\n    Set-Cookie: a\n"),
              HasSubstr("http_server_config.headers.Set-Cookie: not an allowed header"));
  EXPECT_THAT(ParseError("http_server_config:\n  http2: true\n"),
              HasSubstr("http_server_config.http2: not supported"));
}

TEST(WebConfigTest, DocumentedExampleLoads) {
  const std::string path = std::string(MSX_TESTDATA_DIR) + "/web/web.yml";
  StatusOr<WebConfig> loaded = LoadWebConfig(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const WebConfig& config = *loaded;
  EXPECT_EQ(config.file, path);
  EXPECT_TRUE(config.tls_enabled);
  EXPECT_EQ(config.tls.cert_file, std::string(MSX_TESTDATA_DIR) + "/web/server.crt");
  EXPECT_EQ(config.tls.client_ca_file,
            std::string(MSX_TESTDATA_DIR) + "/web/clients-ca.crt");
  EXPECT_EQ(config.tls.client_auth_type, "RequireAndVerifyClientCert");
  EXPECT_EQ(config.basic_auth_users.at("prometheus"), kCarolHash);
  EXPECT_EQ(config.headers.at("Strict-Transport-Security"), "max-age=31536000");
}

// Like the main configuration: one attempt shows every mistake, each at its place.
TEST(WebConfigTest, ReportsEveryProblemOfAFile) {
  StatusOr<WebConfig> config = ParseWebConfig(
      "tls_server_config:\n  cert_file: a.pem\n  key_file: a.key\n  min_version: TLS9\n"
      "basic_auth_users:\n  alice: plain\nbogus: 1\n",
      kFile);
  ASSERT_FALSE(config.ok());
  ASSERT_EQ(config.status().problems().size(), 3u) << config.status().message();
  EXPECT_THAT(config.status().problems()[0],
              StartsWith(std::string(kFile) + ":4:16: tls_server_config.min_version: "));
  EXPECT_THAT(config.status().problems()[1],
              StartsWith(std::string(kFile) + ":6:10: basic_auth_users.alice: "));
  EXPECT_THAT(config.status().problems()[2],
              StartsWith(std::string(kFile) + ":7:1: bogus: unknown key"));
}

TEST(WebConfigTest, LoadReportsUnreadableFile) {
  StatusOr<WebConfig> config = LoadWebConfig("/nonexistent/web.yml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "/nonexistent/web.yml: cannot read the web config file: No such file or "
            "directory");
}

TEST(BasicAuthenticatorTest, VerifiesBcryptVariants) {
  EXPECT_TRUE(BasicAuthenticator::VerifyBcrypt("carol123", kCarolHash));
  EXPECT_FALSE(BasicAuthenticator::VerifyBcrypt("carol1234", kCarolHash));
  EXPECT_FALSE(BasicAuthenticator::VerifyBcrypt("", kCarolHash));
  for (const char* prefix : {"$2a$", "$2b$", "$2y$"}) {
    const std::string hash = Bcrypt(prefix, "pässword");
    EXPECT_THAT(hash, StartsWith(prefix));
    EXPECT_TRUE(BasicAuthenticator::VerifyBcrypt("pässword", hash)) << hash;
    EXPECT_FALSE(BasicAuthenticator::VerifyBcrypt("password", hash)) << hash;
  }
  EXPECT_FALSE(BasicAuthenticator::VerifyBcrypt("x", "$2b$04$short"));
  EXPECT_FALSE(BasicAuthenticator::VerifyBcrypt("x", ""));
}

TEST(BasicAuthenticatorTest, ChecksAuthorizationHeader) {
  const BasicAuthenticator auth({{"carol", kCarolHash}, {"al", Bcrypt("$2b$", "p:w")}});
  EXPECT_TRUE(auth.enabled());
  // carol:carol123
  EXPECT_TRUE(auth.Check("Basic Y2Fyb2w6Y2Fyb2wxMjM="));
  EXPECT_TRUE(auth.Check("Basic Y2Fyb2w6Y2Fyb2wxMjM="));  // now from the cache
  EXPECT_TRUE(auth.Check("basic Y2Fyb2w6Y2Fyb2wxMjM="));  // scheme is case-insensitive
  // carol:carol1234, dave:carol123
  EXPECT_FALSE(auth.Check("Basic Y2Fyb2w6Y2Fyb2wxMjM0"));
  EXPECT_FALSE(auth.Check("Basic ZGF2ZTpjYXJvbDEyMw=="));
  // al:p:w (a password may contain ':')
  EXPECT_TRUE(auth.Check("Basic YWw6cDp3"));
  EXPECT_FALSE(auth.Check(""));
  EXPECT_FALSE(auth.Check("Basic"));
  EXPECT_FALSE(auth.Check("Bearer Y2Fyb2w6Y2Fyb2wxMjM="));
  EXPECT_FALSE(auth.Check("Basic !!!!"));
  EXPECT_FALSE(auth.Check("Basic Y2Fyb2w="));  // "carol": no colon
}

TEST(BasicAuthenticatorTest, DecodesBase64WithOrWithoutPadding) {
  const BasicAuthenticator auth({{"carol", kCarolHash}, {"bo", Bcrypt("$2b$", "pw12")}});
  // carol:carol123 (one '=' of padding) and bo:pw12 (two), with and without it; what
  // follows the first '=' is not read.
  for (const char* accepted : {"Basic Y2Fyb2w6Y2Fyb2wxMjM", "Basic Ym86cHcxMg==",
                               "Basic Ym86cHcxMg", "Basic Y2Fyb2w6Y2Fyb2wxMjM=ignored"}) {
    EXPECT_TRUE(auth.Check(accepted)) << accepted;
  }
  // bo:pw13, then whitespace and characters outside the alphabet, also at either end.
  for (const char* refused :
       {"Basic Ym86cHcxMw", "Basic  Y2Fyb2w6Y2Fyb2wxMjM=", "Basic Y2Fyb2w6Y2Fyb2wxMjM\n",
        "Basic Y2Fyb2w6Y2Fyb2wxMjM-",
        "Basic Y2Fyb2w6Y2Fy b2wxMjM=", "Basic Y2Fyb2w6Y2Fyb2wxMjM\xc3\xa9"}) {
    EXPECT_FALSE(auth.Check(refused)) << refused;
  }
}

TEST(BasicAuthenticatorTest, NoUsersMeansDisabled) {
  EXPECT_FALSE(BasicAuthenticator({}).enabled());
}

}  // namespace
}  // namespace msx
