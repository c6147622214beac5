#include "probe/probe_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>

namespace msx {
namespace {

ProbeAddress Error(std::string message) {
  ProbeAddress address;
  address.error = std::move(message);
  return address;
}

}  // namespace

std::string HostPort::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

ProbeAddress ChooseProbeAddress(const MshostRow& row, const ProbeConfig& probe) {
  const auto override_it = probe.overrides.find(row.msid);
  if (override_it != probe.overrides.end()) return {override_it->second, ""};

  ProbeAddress out;
  HostPort& address = out.address;
  switch (probe.address) {
    case ProbeAddressSource::kServiceIp:
      address.host = row.service_ip;
      break;
    case ProbeAddressSource::kName:
      address.host = row.name.value_or("");
      if (address.host.empty()) address.host = row.service_ip;
      break;
    case ProbeAddressSource::kFixedHost:
      address.host = probe.fixed_host;
      break;
  }
  if (address.host.empty()) return Error("no address to probe: service_ip is empty");

  if (probe.fixed_port) {
    address.port = *probe.fixed_port;
  } else if (row.service_port < 1 || row.service_port > 65535) {
    return Error("service_port " + std::to_string(row.service_port) + " is not a port");
  } else {
    address.port = static_cast<int>(row.service_port);
  }
  return out;
}

bool IsLoopbackAddress(const std::string& host) {
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  std::string name = host;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (!name.empty() && name.back() == '.') name.pop_back();
  // RFC 6761: localhost and every name under it resolve to loopback.
  const std::string kSuffix = ".localhost";
  return name == "localhost" ||
         (name.size() > kSuffix.size() &&
          name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0);
}

}  // namespace msx
