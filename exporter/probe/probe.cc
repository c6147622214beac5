// The probe-kind table (prober.h): tcp and http are built on ProbeSockets
// (tcp_prober.h, http_prober.cc); none has no prober, which turns probing off.
// FindProbeKind and ProbeKindNames serve the configuration loader, MakeProber the
// parts factory (runtime/parts.h).
#include "common/names.h"
#include "probe/prober.h"
#include "probe/tcp_prober.h"

namespace msx {
namespace {

// The probe-kind table: a new kind is one file and one line here.
constexpr ProbeKind kProbeKinds[] = {
    {"tcp", NewTcpProber},
    {"http", NewHttpProber},
    {"none", nullptr},
};

}  // namespace

const ProbeKind* FindProbeKind(std::string_view name) {
  for (const ProbeKind& kind : kProbeKinds) {
    if (name == kind.name) return &kind;
  }
  return nullptr;
}

std::string ProbeKindNames() {
  return JoinNames(kProbeKinds, [](const ProbeKind& kind) { return kind.name; });
}

std::unique_ptr<Prober> MakeProber(const ProbeConfig& probe, const Clock& clock) {
  const ProbeKind* kind = FindProbeKind(probe.kind);
  return kind->make ? kind->make(clock) : nullptr;
}

}  // namespace msx
