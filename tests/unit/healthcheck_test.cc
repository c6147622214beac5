// PlanHealthcheck: which URL the healthcheck subcommand asks, and which credentials
// a web config makes it require. The request itself is tested against a running
// exporter in tests/integration/test_healthcheck.py.
#include "cli/healthcheck.h"

#include <gtest/gtest.h>

namespace msx {
namespace {

// The URL planned for `address`, or the error.
std::string Url(const std::string& address) {
  StatusOr<HealthcheckPlan> plan = PlanHealthcheck({}, WebConfig{}, address);
  return plan.ok() ? plan->url : "error: " + plan.status().message();
}

WebConfig TlsWeb(const std::string& client_auth_type) {
  WebConfig web;
  web.file = "web.yml";
  web.tls_enabled = true;
  web.tls.cert_file = "server.pem";
  web.tls.key_file = "server.key";
  web.tls.client_auth_type = client_auth_type;
  return web;
}

TEST(PlanHealthcheckTest, PlainHttpOnLoopbackForWildcardAddresses) {
  StatusOr<HealthcheckPlan> plan = PlanHealthcheck({}, WebConfig{}, ":9887");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->url, "http://127.0.0.1:9887/-/healthy");
  EXPECT_FALSE(plan->tls);
  EXPECT_FALSE(plan->basic_auth);
  EXPECT_EQ(Url("0.0.0.0:1"), "http://127.0.0.1:1/-/healthy");
  EXPECT_EQ(Url("[::]:9887"), "http://[::1]:9887/-/healthy");
  EXPECT_EQ(Url("10.0.0.5:9887"), "http://10.0.0.5:9887/-/healthy");
}

TEST(PlanHealthcheckTest, RejectsAddressesItCannotAsk) {
  EXPECT_EQ(Url(":0"),
            "error: cannot ask listen address \":0\": need HOST:PORT or :PORT");
  EXPECT_EQ(Url("nowhere").rfind("error: ", 0), 0u);
}

TEST(PlanHealthcheckTest, TlsWithoutClientCertificate) {
  StatusOr<HealthcheckPlan> plan =
      PlanHealthcheck({}, TlsWeb("NoClientCert"), "127.0.0.1:9443");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->url, "https://127.0.0.1:9443/-/healthy");
  EXPECT_TRUE(plan->tls);
  EXPECT_FALSE(plan->client_cert);
  // A certificate the server only asks for is sent when given.
  HealthcheckOptions options;
  options.client_cert_file = "client.pem";
  options.client_key_file = "client.key";
  plan = PlanHealthcheck(options, TlsWeb("VerifyClientCertIfGiven"), ":9443");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_TRUE(plan->client_cert);
}

TEST(PlanHealthcheckTest, RequiredClientCertificateMustBeGiven) {
  for (const char* type : {"RequireAnyClientCert", "RequireAndVerifyClientCert"}) {
    StatusOr<HealthcheckPlan> plan = PlanHealthcheck({}, TlsWeb(type), ":9443");
    ASSERT_FALSE(plan.ok()) << type;
    EXPECT_NE(plan.status().message().find("--client-cert-file"), std::string::npos)
        << plan.status().message();
    HealthcheckOptions options;
    options.client_cert_file = "client.pem";
    options.client_key_file = "client.key";
    plan = PlanHealthcheck(options, TlsWeb(type), ":9443");
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    EXPECT_TRUE(plan->client_cert);
  }
}

TEST(PlanHealthcheckTest, BasicAuthNeedsUserAndPasswordFile) {
  WebConfig web;
  web.file = "web.yml";
  web.basic_auth_users["prometheus"] = "$2y$10$hash";
  HealthcheckOptions options;
  options.username = "prometheus";
  StatusOr<HealthcheckPlan> plan = PlanHealthcheck(options, web, ":9887");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().message(),
            "web.yml has basic_auth_users: give --username and --password-file");
  options.password_file = "pass";
  plan = PlanHealthcheck(options, web, ":9887");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_TRUE(plan->basic_auth);
  EXPECT_FALSE(plan->tls);
}

}  // namespace
}  // namespace msx
