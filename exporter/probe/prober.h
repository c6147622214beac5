// Prober: is anything listening where a management server should be? With the
// target's `probe:` settings and the probe-kind table.
//
// ProbeAll probes every target of one poll in parallel and returns when all have
// answered or timed out, so one dead node never delays the others' verdicts. Called
// from one poller thread at a time; implementations keep no shared state.
//
// Adding a probe kind: one file with its factory and one line in kProbeKinds
// (probe.cc). The configuration loader asks FindProbeKind(), so there is no second
// list to keep in step.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "model/probe_result.h"

namespace msx {

// A host (IP literal or name, IPv6 without brackets) and a port 1..65535.
struct HostPort {
  std::string host;
  int port = 0;

  // "host:port", "[::1]:9090" for IPv6 literals.
  std::string ToString() const;
  auto Tie() const { return std::tie(host, port); }
  bool operator==(const HostPort& o) const { return Tie() == o.Tie(); }
};

// Where a node's probe goes unless overridden (docs/configuration.md, probe.address).
enum class ProbeAddressSource { kServiceIp, kName, kFixedHost };

struct ProbeConfig {
  std::string kind = "tcp";  // a name of kProbeKinds
  ProbeAddressSource address = ProbeAddressSource::kServiceIp;
  std::string fixed_host;         // the host when address is kFixedHost
  std::optional<int> fixed_port;  // nullopt: the row's service_port
  std::map<uint64_t, HostPort> overrides;  // by msid
  double timeout_seconds = 1;

  auto Tie() const {
    return std::tie(kind, address, fixed_host, fixed_port, overrides, timeout_seconds);
  }
  bool operator==(const ProbeConfig& o) const { return Tie() == o.Tie(); }
};

class Prober {
 public:
  virtual ~Prober() = default;
  // Result i belongs to targets[i].
  virtual std::vector<ProbeResult> ProbeAll(const std::vector<ProbeTarget>& targets,
                                            double timeout_seconds) = 0;
};

// One line of the probe-kind table.
struct ProbeKind {
  const char* name;  // probe.kind
  // nullptr for kind "none" (probing off).
  std::unique_ptr<Prober> (*make)();
};

// The kind called `name`, or nullptr.
const ProbeKind* FindProbeKind(std::string_view name);
// "tcp, http, none": for messages.
std::string ProbeKindNames();

// The prober of probe.kind; nullptr for "none". REQUIRES: FindProbeKind(probe.kind).
std::unique_ptr<Prober> MakeProber(const ProbeConfig& probe);

}  // namespace msx
