// Probe addresses: where to look for a node's process, given its mshost row and the
// target's `probe:` settings (CONTRACT.md, "Configuration").
//
// service_ip defaults to 127.0.0.1 in CloudStack, so on single-node installs the row
// points at the loopback address; probed from another host that is the wrong machine.
// The choice is therefore configurable (service_ip, name, a fixed host, or an explicit
// msid -> host:port override), and IsLoopbackAddress lets the poller flag it.
//
// Pure functions, thread-safe.
#pragma once

#include <string>

#include "config/config.h"
#include "source/source.h"

namespace msx {

struct ProbeAddress {
  std::string host;  // IP literal or name, without brackets
  int port = 0;
  std::string error;  // set when no usable address exists; host and port are then unset

  bool ok() const { return error.empty(); }
  // "host:port", "[::1]:9090" for IPv6 literals.
  std::string ToString() const;
};

// In order: probe.overrides[msid as decimal]; else address = service_ip | name
// (service_ip when the name is NULL or empty) | the fixed host, and port =
// service_port | the fixed number.
ProbeAddress ChooseProbeAddress(const MshostRow& row, const ProbeConfig& probe);

// 127.0.0.0/8, ::1 (and IPv4-mapped 127/8), "localhost" and names under ".localhost".
bool IsLoopbackAddress(const std::string& host);

}  // namespace msx
