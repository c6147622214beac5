// Probe addresses: where to look for a node's process, given its mshost row and the
// target's `probe:` settings (docs/configuration.md).
//
// service_ip defaults to 127.0.0.1 in CloudStack, so on single-node installs the row
// points at the loopback address; probed from another host that is the wrong machine.
// The choice is therefore configurable (service_ip, name, a fixed host, or an explicit
// msid -> host:port override), and IsLoopbackAddress lets the poller flag it.
//
// Pure functions, thread-safe.
#pragma once

#include <string>

#include "model/rows.h"
#include "probe/prober.h"

namespace msx {

struct ProbeAddress {
  HostPort address;   // set when error is empty
  std::string error;  // set when no usable address exists

  bool ok() const { return error.empty(); }
};

// In order: probe.overrides[msid]; else address = service_ip | name (service_ip when
// the name is NULL or empty) | the fixed host, and port = service_port | the fixed
// number.
ProbeAddress ChooseProbeAddress(const MshostRow& row, const ProbeConfig& probe);

// 127.0.0.0/8, ::1 (and IPv4-mapped 127/8), "localhost" and names under ".localhost".
bool IsLoopbackAddress(const std::string& host);

}  // namespace msx
