#include "probe/probe_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <optional>

namespace msx {
namespace {

// probe.port when it is a number: decimal digits only, 1..65535.
std::optional<int> ParsePort(const std::string& text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(),
                   [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  const int port = std::stoi(text);
  if (port < 1 || port > 65535) return std::nullopt;
  return port;
}

ProbeAddress Error(std::string message) {
  ProbeAddress address;
  address.error = std::move(message);
  return address;
}

}  // namespace

std::string ProbeAddress::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

ProbeAddress ChooseProbeAddress(const MshostRow& row, const ProbeConfig& probe) {
  const auto override_it = probe.overrides.find(std::to_string(row.msid));
  if (override_it != probe.overrides.end()) {
    ProbeAddress address;
    if (!SplitHostPort(override_it->second, &address.host, &address.port) ||
        address.host.empty() || address.port == 0) {
      return Error("probe.overrides[\"" + override_it->first + "\"]: \"" +
                   override_it->second + "\" is not host:port");
    }
    return address;
  }

  ProbeAddress address;
  if (probe.address == "service_ip") {
    address.host = row.service_ip;
  } else if (probe.address == "name") {
    address.host = row.name.value_or("");
    if (address.host.empty()) address.host = row.service_ip;
  } else {
    address.host = probe.address;
    // Users write IPv6 hosts in URL style too.
    if (address.host.size() > 2 && address.host.front() == '[' &&
        address.host.back() == ']') {
      address.host = address.host.substr(1, address.host.size() - 2);
    }
  }
  if (address.host.empty()) return Error("no address to probe: service_ip is empty");

  if (probe.port == "service_port") {
    if (row.service_port < 1 || row.service_port > 65535) {
      return Error("service_port " + std::to_string(row.service_port) + " is not a port");
    }
    address.port = static_cast<int>(row.service_port);
  } else {
    const std::optional<int> port = ParsePort(probe.port);
    if (!port) return Error("probe.port: \"" + probe.port + "\" is not a port");
    address.port = *port;
  }
  return address;
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
