#include "probe/probe_address.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace msx {
namespace {

using test::MakeRow;

MshostRow Row() {
  MshostRow row = MakeRow(42);
  row.service_ip = "10.1.2.3";
  row.service_port = 9090;
  row.name = "ms1.example.org";
  return row;
}

TEST(ProbeAddressTest, DefaultsToServiceIpAndPort) {
  const ProbeAddress a = ChooseProbeAddress(Row(), ProbeConfig{});
  ASSERT_TRUE(a.ok()) << a.error;
  EXPECT_EQ(a.host, "10.1.2.3");
  EXPECT_EQ(a.port, 9090);
  EXPECT_EQ(a.ToString(), "10.1.2.3:9090");
}

TEST(ProbeAddressTest, NameAndFixedPort) {
  ProbeConfig probe;
  probe.address = "name";
  probe.port = "8080";
  const ProbeAddress a = ChooseProbeAddress(Row(), probe);
  EXPECT_EQ(a.ToString(), "ms1.example.org:8080");
}

TEST(ProbeAddressTest, NameFallsBackToServiceIpWhenNullOrEmpty) {
  ProbeConfig probe;
  probe.address = "name";
  MshostRow row = Row();
  row.name.reset();
  EXPECT_EQ(ChooseProbeAddress(row, probe).host, "10.1.2.3");
  row.name = "";
  EXPECT_EQ(ChooseProbeAddress(row, probe).host, "10.1.2.3");
}

TEST(ProbeAddressTest, FixedHost) {
  ProbeConfig probe;
  probe.address = "gateway.internal";
  EXPECT_EQ(ChooseProbeAddress(Row(), probe).ToString(), "gateway.internal:9090");
  probe.address = "[fd00::5]";
  EXPECT_EQ(ChooseProbeAddress(Row(), probe).host, "fd00::5");
  EXPECT_EQ(ChooseProbeAddress(Row(), probe).ToString(), "[fd00::5]:9090");
}

TEST(ProbeAddressTest, OverrideByMsidWins) {
  ProbeConfig probe;
  probe.address = "name";
  probe.port = "8080";
  probe.overrides["42"] = "192.168.0.7:9443";
  probe.overrides["43"] = "unused:1";
  const ProbeAddress a = ChooseProbeAddress(Row(), probe);
  EXPECT_EQ(a.host, "192.168.0.7");
  EXPECT_EQ(a.port, 9443);
}

TEST(ProbeAddressTest, OverrideKeyIsTheExactUnsignedDecimal) {
  MshostRow row = Row();
  row.msid = 18446744073709551615ull;  // does not fit a signed 64-bit integer
  ProbeConfig probe;
  probe.overrides["18446744073709551615"] = "[::1]:9090";
  const ProbeAddress a = ChooseProbeAddress(row, probe);
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.ToString(), "[::1]:9090");
}

TEST(ProbeAddressTest, BadOverrideIsAnErrorNamingTheKey) {
  ProbeConfig probe;
  probe.overrides["42"] = "no-port";
  const ProbeAddress a = ChooseProbeAddress(Row(), probe);
  EXPECT_FALSE(a.ok());
  EXPECT_NE(a.error.find("probe.overrides[\"42\"]"), std::string::npos) << a.error;
}

TEST(ProbeAddressTest, UnusableRowValuesAreErrors) {
  MshostRow row = Row();
  row.service_port = 0;
  EXPECT_FALSE(ChooseProbeAddress(row, ProbeConfig{}).ok());
  row.service_port = 70000;
  EXPECT_FALSE(ChooseProbeAddress(row, ProbeConfig{}).ok());
  row = Row();
  row.service_ip = "";
  EXPECT_FALSE(ChooseProbeAddress(row, ProbeConfig{}).ok());
  ProbeConfig probe;
  probe.port = "http";
  EXPECT_FALSE(ChooseProbeAddress(Row(), probe).ok());
}

TEST(ProbeAddressTest, MalformedOverridesAreErrors) {
  for (const char* bad : {"host", ":80", "host:0", "host:65536", "::1:80", "[::1]"}) {
    ProbeConfig probe;
    probe.overrides["42"] = bad;
    EXPECT_FALSE(ChooseProbeAddress(Row(), probe).ok()) << bad;
  }
}

TEST(ProbeAddressTest, Loopback) {
  for (const char* host :
       {"127.0.0.1", "127.1.2.3", "127.255.255.255", "::1", "::ffff:127.0.0.1",
        "localhost", "LocalHost", "localhost.", "ms1.localhost"}) {
    EXPECT_TRUE(IsLoopbackAddress(host)) << host;
  }
  for (const char* host :
       {"128.0.0.1", "10.0.0.1", "0.0.0.0", "::", "::2", "fd00::1", "::ffff:10.0.0.1",
        "localhost.example.org", "mylocalhost", "127.0.0.1.example.org", ""}) {
    EXPECT_FALSE(IsLoopbackAddress(host)) << host;
  }
}

}  // namespace
}  // namespace msx
