#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <regex>
#include <string>

namespace msx {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kDir = std::string(MSX_TESTDATA_DIR) + "/config/";

ConfigLoad Load(const std::string& name) { return LoadConfig(kDir + name); }

std::string AllErrors(const ConfigLoad& result) {
  std::string out;
  for (const std::string& problem : result.config.status().problems()) out += problem + "\n";
  return out;
}

// The whole file as one target's config with ParseConfig, placed in the test data
// folder so relative password files resolve there.
ConfigLoad ParseTarget(const std::string& target_yaml) {
  return ParseConfig("targets:\n  - name: t\n" + target_yaml, kDir + "inline.yml");
}

// A problem "file:line:column: key: message" (ConfigError::ToString) taken apart
// again, so a test can check each part.
struct Problem {
  std::string text, file, key, message;
  int line = 0, column = 0;
};

Problem SplitProblem(const std::string& text) {
  Problem p;
  p.text = text;
  std::smatch m;
  static const std::regex kPlaced(R"(^(.*?):(\d+):(\d+): (.*)$)");
  static const std::regex kWholeFile(R"(^(.*?): (.*)$)");
  static const std::regex kKeyed(R"(^([^ :]+): (.*)$)");
  std::string rest;
  if (std::regex_match(text, m, kPlaced)) {
    p.file = m[1];
    p.line = std::stoi(m[2]);
    p.column = std::stoi(m[3]);
    rest = m[4];
  } else if (std::regex_match(text, m, kWholeFile)) {
    p.file = m[1];
    rest = m[2];
  }
  if (std::regex_match(rest, m, kKeyed)) {
    p.key = m[1];
    p.message = m[2];
  } else {
    p.message = rest;
  }
  return p;
}

TEST(ConfigLoaderTest, MinimalFileGetsEveryDefault) {
  ConfigLoad result = Load("minimal.yml");
  ASSERT_TRUE(result.config.ok()) << AllErrors(result);
  EXPECT_TRUE(result.warnings.empty());
  const Config& config = *result.config;
  EXPECT_EQ(config.file, kDir + "minimal.yml");
  EXPECT_EQ(config.poll_interval_seconds, 2);
  EXPECT_EQ(config.default_target, "prod");
  EXPECT_EQ(config.listen_address, ":9887");
  ASSERT_EQ(config.targets.size(), 1u);
  const TargetConfig& target = config.targets[0];
  EXPECT_EQ(target.name, "prod");
  EXPECT_EQ(target.database.driver, "mysql");
  EXPECT_EQ(target.database.host, "127.0.0.1");
  EXPECT_EQ(target.database.socket, "");
  EXPECT_EQ(target.database.port, 3306);
  EXPECT_EQ(target.database.user, "");
  EXPECT_EQ(target.database.password, "");
  EXPECT_FALSE(target.database.password_inline);
  EXPECT_EQ(target.database.name, "cloud");
  EXPECT_EQ(target.database.connect_timeout_seconds, 3);
  EXPECT_EQ(target.database.query_timeout_seconds, 3);
  EXPECT_EQ(target.database.tls.mode, TlsMode::kPreferred);
  EXPECT_EQ(target.database.tls.ca_file, "");
  // Unset: they follow each node's observed heartbeat interval.
  EXPECT_FALSE(target.heartbeat.stale_after_seconds.has_value());
  EXPECT_FALSE(target.heartbeat.dead_after_seconds.has_value());
  EXPECT_EQ(target.probe.kind, "tcp");
  EXPECT_EQ(target.probe.address, ProbeAddressSource::kServiceIp);
  EXPECT_FALSE(target.probe.fixed_port.has_value());
  EXPECT_TRUE(target.probe.overrides.empty());
  EXPECT_EQ(target.probe.timeout_seconds, 1);
  EXPECT_TRUE(target.labels.empty());
  EXPECT_TRUE(target.include_down_nodes);
  EXPECT_TRUE(config.alerting.alertmanagers.empty());
  EXPECT_EQ(config.alerting.resend_interval_seconds, 30);
}

TEST(ConfigLoaderTest, EveryAlertRuleHasTheContractDefaults) {
  ConfigLoad result = Load("minimal.yml");
  ASSERT_TRUE(result.config.ok()) << AllErrors(result);
  const auto& rules = result.config->alerting.rules;
  ASSERT_EQ(rules.size(), 9u);
  struct Expected {
    const char* name;
    double for_seconds;
    const char* severity;
  };
  for (const Expected& e : {Expected{"CloudStackMgmtServerUpNotRunning", 0, "critical"},
                            Expected{"CloudStackMgmtServerHeartbeatStale", 60, "warning"},
                            Expected{"CloudStackMgmtServerUnreachable", 60, "warning"},
                            Expected{"CloudStackMgmtServerStopUnfinished", 60, "warning"},
                            Expected{"CloudStackMgmtServerDownButRunning", 60, "warning"},
                            Expected{"CloudStackNoRunningMgmtServer", 0, "critical"},
                            Expected{"CloudStackMshostSourceDown", 60, "critical"},
                            Expected{"CloudStackMgmtServerFlapping", 0, "warning"},
                            Expected{"MshostExporterWatchdog", 0, "none"}}) {
    ASSERT_EQ(rules.count(e.name), 1u) << e.name;
    EXPECT_EQ(rules.at(e.name).for_seconds, e.for_seconds) << e.name;
    EXPECT_EQ(rules.at(e.name).severity, e.severity) << e.name;
  }
}

TEST(ConfigLoaderTest, FullFileReadsEveryKey) {
  ConfigLoad result = Load("full.yml");
  ASSERT_TRUE(result.config.ok()) << AllErrors(result);
  EXPECT_TRUE(result.warnings.empty());
  const Config& config = *result.config;
  EXPECT_EQ(config.poll_interval_seconds, 5);
  EXPECT_EQ(config.default_target, "prod");
  EXPECT_EQ(config.listen_address, "127.0.0.1:9999");
  ASSERT_EQ(config.targets.size(), 1u);
  const DatabaseConfig& db = config.targets[0].database;
  EXPECT_EQ(db.driver, "postgresql");
  EXPECT_EQ(db.host, "db.example.org");
  EXPECT_EQ(db.port, 6432);
  EXPECT_EQ(db.user, "exporter");
  EXPECT_EQ(db.password_file, kDir + "secrets/db.pass");
  EXPECT_EQ(db.password, "file-secret-7d3a");
  EXPECT_EQ(db.name, "cloudstack");
  EXPECT_EQ(db.connect_timeout_seconds, 1.5);
  EXPECT_EQ(db.query_timeout_seconds, 4);
  EXPECT_EQ(db.tls.mode, TlsMode::kVerifyFull);
  EXPECT_EQ(db.tls.ca_file, kDir + "certs/ca.pem");
  EXPECT_EQ(db.tls.cert_file, "/etc/ssl/client.pem");
  EXPECT_EQ(db.tls.key_file, kDir + "certs/client.key");
  const TargetConfig& target = config.targets[0];
  EXPECT_EQ(target.heartbeat.stale_after_seconds, 20);
  EXPECT_EQ(target.heartbeat.dead_after_seconds, 7);
  EXPECT_EQ(target.probe.kind, "http");
  EXPECT_EQ(target.probe.address, ProbeAddressSource::kName);
  EXPECT_EQ(target.probe.fixed_port, 8080);
  EXPECT_THAT(target.probe.overrides,
              ElementsAre(std::pair<const uint64_t, HostPort>(42, {"10.0.0.5", 9090}),
                          std::pair<const uint64_t, HostPort>(18446744073709551615ull,
                                                              {"::1", 8096})));
  EXPECT_EQ(target.probe.timeout_seconds, 0.25);
  EXPECT_THAT(
      target.labels,
      ElementsAre(std::pair<const std::string, std::string>("cloudstack", "prod-eu"),
                  std::pair<const std::string, std::string>("team", "infra")));
  EXPECT_THAT(config.alerting.alertmanagers,
              ElementsAre("http://127.0.0.1:9093", "https://am.example.org"));
  EXPECT_EQ(config.alerting.resend_interval_seconds, 60);
  const auto& rules = config.alerting.rules;
  EXPECT_EQ(rules.at("CloudStackMgmtServerUpNotRunning").for_seconds, 30);
  EXPECT_EQ(rules.at("CloudStackMgmtServerUpNotRunning").severity, "page");
  // Only the severity changed: `for` keeps the contract's default, not 0.
  EXPECT_EQ(rules.at("CloudStackMgmtServerHeartbeatStale").for_seconds, 60);
  EXPECT_EQ(rules.at("CloudStackMgmtServerHeartbeatStale").severity, "critical");
  EXPECT_EQ(rules.at("CloudStackMgmtServerUnreachable").for_seconds, 60);
}

TEST(ConfigLoaderTest, TwoTargetsWithDefaultTargetAndSocket) {
  ConfigLoad result = Load("two_targets.yml");
  ASSERT_TRUE(result.config.ok()) << AllErrors(result);
  const Config& config = *result.config;
  ASSERT_EQ(config.targets.size(), 2u);
  EXPECT_EQ(config.default_target, "staging");
  EXPECT_EQ(config.targets[0].database.host, "db1");
  EXPECT_EQ(config.targets[0].database.port, 3306);
  const TargetConfig* staging = config.FindTarget("staging");
  ASSERT_NE(staging, nullptr);
  EXPECT_EQ(staging, &config.targets[1]);
  EXPECT_EQ(staging->database.socket, "/var/run/postgresql");
  EXPECT_EQ(staging->database.host, "");  // socket replaces the default host
  EXPECT_EQ(staging->probe.kind, "none");
  EXPECT_EQ(config.FindTarget("Staging"), nullptr);
  EXPECT_EQ(config.FindTarget(""), nullptr);
}

TEST(ConfigLoaderTest, PostgresqlDefaultPortAndCrlfPasswordFile) {
  ConfigLoad result = Load("postgresql.yml");
  ASSERT_TRUE(result.config.ok()) << AllErrors(result);
  const DatabaseConfig& db = result.config->targets[0].database;
  EXPECT_EQ(db.port, 5432);
  EXPECT_EQ(db.password, "crlf secret");
  EXPECT_EQ(db.password_file, kDir + "db_crlf.pass");
}

TEST(ConfigLoaderTest, PasswordFileLosesExactlyOneTrailingNewline) {
  ConfigLoad two = ParseTarget("    database: {password_file: db_two_newlines.pass}\n");
  ASSERT_TRUE(two.config.ok()) << AllErrors(two);
  EXPECT_EQ(two.config->targets[0].database.password, "two newlines\n");
  ConfigLoad none = ParseTarget("    database: {password_file: db_no_newline.pass}\n");
  ASSERT_TRUE(none.config.ok()) << AllErrors(none);
  EXPECT_EQ(none.config->targets[0].database.password, "no newline");
}

TEST(ConfigLoaderTest, PasswordFileThatIsADirectoryIsAnError) {
  ConfigLoad result = ParseTarget("    database: {password_file: secrets}\n");
  ASSERT_EQ(result.config.status().problems().size(), 1u) << AllErrors(result);
  EXPECT_THAT(result.config.status().problems()[0], HasSubstr(": targets[0].database.password_file: "));
  EXPECT_THAT(result.config.status().problems()[0],
              HasSubstr("cannot read password file \"" + kDir + "secrets\""));
}

TEST(ConfigLoaderTest, PasswordFromEnvironment) {
  ASSERT_EQ(setenv("MSX_CONFIG_TEST_PASSWORD", "from env", 1), 0);
  ConfigLoad result =
      ParseTarget("    database: {password_env: MSX_CONFIG_TEST_PASSWORD}\n");
  unsetenv("MSX_CONFIG_TEST_PASSWORD");
  ASSERT_TRUE(result.config.ok()) << AllErrors(result);
  const DatabaseConfig& db = result.config->targets[0].database;
  EXPECT_EQ(db.password, "from env");
  EXPECT_EQ(db.password_env, "MSX_CONFIG_TEST_PASSWORD");
  EXPECT_TRUE(result.warnings.empty());
}

TEST(ConfigLoaderTest, InlinePasswordWorksWithAWarningThatHidesIt) {
  ConfigLoad result = ParseTarget("    database:\n      password: hunter2\n");
  ASSERT_TRUE(result.config.ok()) << AllErrors(result);
  EXPECT_EQ(result.config->targets[0].database.password, "hunter2");
  EXPECT_TRUE(result.config->targets[0].database.password_inline);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_THAT(result.warnings[0],
              HasSubstr("inline.yml:4:17: targets[0].database.password:"));
  EXPECT_THAT(result.warnings[0], HasSubstr("password_file"));
  EXPECT_THAT(result.warnings[0], Not(HasSubstr("hunter2")));
}

TEST(ConfigLoaderTest, RelativePathsResolveAgainstTheConfigFolder) {
  ConfigLoad nested =
      ParseConfig("targets:\n  - name: t\n    database: {tls: {ca_file: ../ca.pem}}\n",
                  "/etc/msx/conf.d/x.yml");
  ASSERT_TRUE(nested.config.ok()) << AllErrors(nested);
  EXPECT_EQ(nested.config->targets[0].database.tls.ca_file, "/etc/msx/ca.pem");
  ConfigLoad bare = ParseConfig(
      "targets:\n  - name: t\n    database: {tls: {ca_file: ca.pem}}\n", "x.yml");
  ASSERT_TRUE(bare.config.ok()) << AllErrors(bare);
  EXPECT_EQ(bare.config->targets[0].database.tls.ca_file, "ca.pem");
}

TEST(ConfigLoaderTest, EmptyValuesOfSectionsMeanDefaults) {
  ConfigLoad result = ParseConfig(
      "web:\ntargets:\n  - name: t\n    labels:\n    probe:\nalerting:\n  "
      "alertmanagers:\n",
      "x.yml");
  ASSERT_TRUE(result.config.ok()) << AllErrors(result);
  EXPECT_EQ(result.config->listen_address, ":9887");
  EXPECT_TRUE(result.config->targets[0].labels.empty());
}

TEST(ConfigLoaderTest, IncludeDownNodesIsTrueOrFalse) {
  ConfigLoad result = ParseTarget("    include_down_nodes: false\n");
  ASSERT_TRUE(result.config.ok()) << AllErrors(result);
  EXPECT_FALSE(result.config->targets[0].include_down_nodes);
  result = ParseTarget("    include_down_nodes: yes\n");
  ASSERT_EQ(result.config.status().problems().size(), 1u) << AllErrors(result);
  const Problem error = SplitProblem(result.config.status().problems()[0]);
  EXPECT_EQ(error.key, "targets[0].include_down_nodes");
  EXPECT_THAT(error.message, HasSubstr("must be true or false, not \"yes\""));
}

TEST(ConfigLoaderTest, EmptyScalarIsAnErrorNotADefault) {
  ConfigLoad result = ParseTarget("    database:\n      driver:\n");
  ASSERT_EQ(result.config.status().problems().size(), 1u) << AllErrors(result);
  EXPECT_EQ(result.config.status().problems()[0],
            kDir +
                "inline.yml:4:7: targets[0].database.driver: must be one of mysql, "
                "postgresql, not empty");
}

TEST(ConfigLoaderTest, ExampleFileLoads) {
  ASSERT_EQ(setenv("MSHOST_EXPORTER_DB_PASSWORD", "example", 1), 0);
  ConfigLoad result = LoadConfig(std::string(MSX_TESTDATA_DIR) +
                                   "/../../config/mshost_exporter.example.yml");
  unsetenv("MSHOST_EXPORTER_DB_PASSWORD");
  ASSERT_TRUE(result.config.ok()) << AllErrors(result);
  EXPECT_TRUE(result.warnings.empty());
  ASSERT_EQ(result.config->targets.size(), 1u);
  EXPECT_EQ(result.config->targets[0].database.password, "example");
}

TEST(ConfigLoaderTest, UnreadableFileIsOneError) {
  ConfigLoad result = Load("no-such-file.yml");
  EXPECT_FALSE(result.config.ok());
  ASSERT_EQ(result.config.status().problems().size(), 1u);
  EXPECT_EQ(result.config.status().problems()[0],
            kDir +
                "no-such-file.yml: cannot read the configuration file: No such file or "
                "directory");
}

TEST(ConfigLoaderTest, ErrorToString) {
  ConfigError error{"a.yml", 3, 7, "targets[0].name", "must not be empty"};
  EXPECT_EQ(error.ToString(), "a.yml:3:7: targets[0].name: must not be empty");
  error.key.clear();
  EXPECT_EQ(error.ToString(), "a.yml:3:7: must not be empty");
  error.line = 0;
  EXPECT_EQ(error.ToString(), "a.yml: must not be empty");
}

// One bad file, one problem: the error names the exact key and place.
struct BadFile {
  const char* file;
  const char* key;
  int line;
  int column;           // 0: not checked
  const char* message;  // a part of the message
};

class BadConfigFileTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(BadConfigFileTest, ReportsOneErrorAtTheKey) {
  const BadFile& bad = GetParam();
  ConfigLoad result = Load(bad.file);
  EXPECT_FALSE(result.config.ok());
  ASSERT_EQ(result.config.status().problems().size(), 1u) << AllErrors(result);
  const Problem error = SplitProblem(result.config.status().problems()[0]);
  EXPECT_EQ(error.file, kDir + bad.file);
  EXPECT_EQ(error.key, bad.key);
  EXPECT_EQ(error.line, bad.line) << error.text;
  if (bad.column != 0) {
    EXPECT_EQ(error.column, bad.column) << error.text;
  }
  EXPECT_THAT(error.message, HasSubstr(bad.message));
}

INSTANTIATE_TEST_SUITE_P(
    Files, BadConfigFileTest,
    ::testing::Values(
        BadFile{"bad_driver.yml", "targets[0].database.driver", 4, 15,
                "must be one of mysql, postgresql, not \"oracle\""},
        BadFile{"bad_unknown_key.yml", "targets[0].heartbeat.stale_afer", 4, 7,
                "unknown key; allowed here: stale_after, dead_after"},
        BadFile{"bad_unknown_top_key.yml", "poll_intervall", 1, 1,
                "allowed here: poll_interval, default_target, web, targets, alerting"},
        BadFile{"bad_duration_unit.yml", "poll_interval", 1, 16,
                "must be a duration like 2s, 500ms or 1m"},
        BadFile{"bad_poll_zero.yml", "poll_interval", 1, 16, "greater than 0s"},
        BadFile{"bad_port.yml", "targets[0].database.port", 4, 13,
                "a whole number from 1 to 65535, not \"70000\""},
        BadFile{"bad_port_type.yml", "targets[0].database.port", 4, 13, "not a list"},
        BadFile{"bad_host_and_socket.yml", "targets[0].database.socket", 5, 15,
                "either host or socket"},
        BadFile{"bad_two_passwords.yml", "targets[0].database.password_env", 5, 21,
                "conflicts with password_file"},
        BadFile{"bad_password_file_missing.yml", "targets[0].database.password_file", 4,
                22, "does-not-exist.pass\": No such file or directory"},
        BadFile{"bad_password_env_missing.yml", "targets[0].database.password_env", 4, 21,
                "environment variable MSX_CONFIG_TEST_SURELY_UNSET is not set"},
        BadFile{"bad_tls_mode.yml", "targets[0].database.tls.mode", 4, 19,
                "one of disabled, preferred, required, verify_ca, verify_full"},
        BadFile{"bad_timeout_zero.yml", "targets[0].database.query_timeout", 5, 22,
                "greater than 0s"},
        BadFile{"bad_dead_after.yml", "targets[0].heartbeat.dead_after", 5, 19,
                "dead_after (10s) must not be longer than stale_after (5s)"},
        BadFile{"bad_probe_kind.yml", "targets[0].probe.kind", 4, 13,
                "one of tcp, http, none"},
        BadFile{"bad_probe_port.yml", "targets[0].probe.port", 4, 13,
                "service_port or a whole number from 1 to 65535"},
        BadFile{"bad_probe_http_cluster_port.yml", "targets[0].probe.kind", 4, 13,
                "requires a client certificate"},
        BadFile{"bad_override_msid.yml", "targets[0].probe.overrides.-12", 5, 9,
                "unsigned 64-bit"},
        BadFile{"bad_override_value.yml", "targets[0].probe.overrides.12", 5, 15,
                "\"host:port\""},
        BadFile{"bad_label_reserved.yml", "targets[0].labels.severity", 4, 7, "reserved"},
        BadFile{"bad_label_name.yml", "targets[0].labels.cloud-stack", 4, 7,
                "not a valid label name"},
        BadFile{"bad_alertmanager_url.yml", "alerting.alertmanagers[1]", 6, 7,
                "http:// or https://"},
        BadFile{"bad_rule_name.yml", "alerting.rules.CloudStackMgmtServerDown", 5, 5,
                "must be one of CloudStackMgmtServerUpNotRunning, "
                "CloudStackMgmtServerHeartbeatStale, CloudStackMgmtServerUnreachable, "
                "CloudStackMgmtServerDownButRunning, CloudStackMgmtServerStopUnfinished, CloudStackNoRunningMgmtServer, "
                "CloudStackMshostSourceDown, CloudStackMgmtServerFlapping"},
        BadFile{"bad_rule_severity.yml",
                "alerting.rules.CloudStackMshostSourceDown.severity", 7, 17,
                "must not be empty"},
        BadFile{"bad_resend_interval.yml", "alerting.resend_interval", 4, 20,
                "not \"soon\""},
        BadFile{"bad_listen_address.yml", "web.listen_address", 2, 19, "HOST:PORT"},
        BadFile{"bad_default_target.yml", "default_target", 1, 17,
                "must name a configured target (prod, staging), not \"production\""},
        BadFile{"bad_duplicate_name.yml", "targets[2].name", 4, 11,
                "duplicate target name \"prod\" (also targets[0])"},
        BadFile{"bad_missing_name.yml", "targets[0].name", 2, 5, "required"},
        BadFile{"bad_empty_name.yml", "targets[0].name", 2, 11, "must not be empty"},
        BadFile{"bad_no_targets.yml", "targets", 1, 1, "required"},
        BadFile{"bad_empty_targets.yml", "targets", 1, 10, "at least one target"},
        BadFile{"bad_targets_mapping.yml", "targets", 2, 3, "must be a list"},
        BadFile{"bad_duplicate_key.yml", "targets[0].probe.kind", 5, 7, "duplicate key"},
        BadFile{"bad_empty.yml", "", 0, 0, "the file is empty"},
        BadFile{"bad_comments_only.yml", "", 0, 0, "the file is empty"},
        BadFile{"bad_not_mapping.yml", "", 1, 1, "must be a mapping"},
        BadFile{"bad_syntax.yml", "", 4, 0, "YAML syntax error"},
        BadFile{"bad_two_documents.yml", "", 4, 0, "only one YAML document"}),
    [](const ::testing::TestParamInfo<BadFile>& info) {
      std::string name = info.param.file;
      return name.substr(0, name.find('.'));
    });

TEST(ConfigLoaderTest, ReportsEveryProblemOfAFileInOrder) {
  ConfigLoad result = Load("bad_many.yml");
  EXPECT_FALSE(result.config.ok());
  std::vector<std::string> places;
  for (const std::string& problem : result.config.status().problems()) {
    const Problem error = SplitProblem(problem);
    places.push_back(std::to_string(error.line) + " " + error.key);
    EXPECT_THAT(problem, Not(HasSubstr("hunter2")));
  }
  EXPECT_THAT(
      places,
      ElementsAre("2 poll_interval", "3 default_target", "7 targets[0].database.driver",
                  "8 targets[0].database.port", "10 targets[0].database.password_file",
                  "12 targets[0].heartbeat.dead_after", "15 targets[0].probe.timout",
                  "16 targets[1].name", "18 targets[1].labels.target",
                  "20 alerting.alertmanagers[0]"))
      << AllErrors(result);
  EXPECT_THAT(result.config.status().problems()[1], HasSubstr("(prod)"));
}

TEST(ConfigLoaderTest, TargetThatIsNotAMappingIsOneError) {
  ConfigLoad result = ParseConfig("targets: [prod]\n", "x.yml");
  ASSERT_EQ(result.config.status().problems().size(), 1u) << AllErrors(result);
  EXPECT_EQ(result.config.status().problems()[0],
            "x.yml:1:11: targets[0]: must be a mapping (key: value), not \"prod\"");
}

TEST(ConfigLoaderTest, SplitHostPort) {
  std::string host;
  int port = -1;
  ASSERT_TRUE(SplitHostPort(":9887", &host, &port));
  EXPECT_EQ(host, "");
  EXPECT_EQ(port, 9887);
  ASSERT_TRUE(SplitHostPort("db.example.org:0", &host, &port));
  EXPECT_EQ(host, "db.example.org");
  EXPECT_EQ(port, 0);
  ASSERT_TRUE(SplitHostPort("[::1]:65535", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 65535);
  for (const char* bad : {"", "9887", "host:", "host:65536", "host:-1", "host:+1",
                          "::1:80", "[::1]80", "[::1", "host:8o"}) {
    EXPECT_FALSE(SplitHostPort(bad, &host, &port)) << bad;
  }
}

}  // namespace
}  // namespace msx
