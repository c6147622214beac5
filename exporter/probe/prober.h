// Prober: does a node's process answer where the target's `probe:` settings say it
// runs? This header holds those settings (ProbeConfig), the Prober interface and the
// probe-kind table's lookups (docs/configuration.md, "targets[N].probe").
//
// Kinds: tcp succeeds when a connection completes; http when the port answers a plain
// HTTP request with anything that starts like an HTTP reply, whatever its status;
// none has no Prober (MakeProber returns nullptr) and the verdicts rest on the
// heartbeat alone. CloudStack's cluster port speaks TLS and wants client
// certificates, so tcp is its probe; http suits the API port (docs/configuration.md,
// "Which port to probe").
//
// ProbeAll probes all of one poll's targets at once, on non-blocking sockets in one
// poll() loop (tcp_prober.h), under one deadline (start + timeout) shared by all: it
// returns when each has answered, failed or timed out, so N dead nodes cost one
// timeout and never delay the others' verdicts. Each target's poller owns its own
// Prober and calls it from its thread only; the implementations keep no state between
// calls.
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

#include "common/clock.h"
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
  std::unique_ptr<Prober> (*make)(const Clock&);
};

// The kind called `name`, or nullptr.
const ProbeKind* FindProbeKind(std::string_view name);
// "tcp, http, none": for messages.
std::string ProbeKindNames();

// The prober of probe.kind; nullptr for "none". REQUIRES: FindProbeKind(probe.kind).
// The prober measures its deadline and durations on `clock`, which must outlive it.
std::unique_ptr<Prober> MakeProber(const ProbeConfig& probe, const Clock& clock);

}  // namespace msx
