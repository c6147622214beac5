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
  EXPECT_EQ(a.address.host, "10.1.2.3");
  EXPECT_EQ(a.address.port, 9090);
  EXPECT_EQ(a.address.ToString(), "10.1.2.3:9090");
}

TEST(ProbeAddressTest, NameAndFixedPort) {
  ProbeConfig probe;
  probe.address = ProbeAddressSource::kName;
  probe.fixed_port = 8080;
  const ProbeAddress a = ChooseProbeAddress(Row(), probe);
  EXPECT_EQ(a.address.ToString(), "ms1.example.org:8080");
}

TEST(ProbeAddressTest, NameFallsBackToServiceIpWhenNullOrEmpty) {
  ProbeConfig probe;
  probe.address = ProbeAddressSource::kName;
  MshostRow row = Row();
  row.name.reset();
  EXPECT_EQ(ChooseProbeAddress(row, probe).address.host, "10.1.2.3");
  row.name = "";
  EXPECT_EQ(ChooseProbeAddress(row, probe).address.host, "10.1.2.3");
}

TEST(ProbeAddressTest, FixedHost) {
  ProbeConfig probe;
  probe.address = ProbeAddressSource::kFixedHost;
  probe.fixed_host = "gateway.internal";
  EXPECT_EQ(ChooseProbeAddress(Row(), probe).address.ToString(), "gateway.internal:9090");
  probe.fixed_host = "fd00::5";
  EXPECT_EQ(ChooseProbeAddress(Row(), probe).address.ToString(), "[fd00::5]:9090");
}

TEST(ProbeAddressTest, OverrideByMsidWins) {
  ProbeConfig probe;
  probe.address = ProbeAddressSource::kName;
  probe.fixed_port = 8080;
  probe.overrides[42] = {"192.168.0.7", 9443};
  probe.overrides[43] = {"unused", 1};
  const ProbeAddress a = ChooseProbeAddress(Row(), probe);
  EXPECT_EQ(a.address.host, "192.168.0.7");
  EXPECT_EQ(a.address.port, 9443);
}

TEST(ProbeAddressTest, OverrideKeyIsTheExactUnsignedDecimal) {
  MshostRow row = Row();
  row.msid = 18446744073709551615ull;  // does not fit a signed 64-bit integer
  ProbeConfig probe;
  probe.overrides[18446744073709551615ull] = {"::1", 9090};
  const ProbeAddress a = ChooseProbeAddress(row, probe);
  EXPECT_EQ(a.address.host, "::1");
  EXPECT_EQ(a.address.ToString(), "[::1]:9090");
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
