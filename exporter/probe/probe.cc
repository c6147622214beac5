// The probe-kind table: adding a kind is one file and one line here.
#include "probe/prober.h"
#include "probe/tcp_prober.h"

namespace msx {
namespace {

struct ProbeKind {
  const char* name;
  std::unique_ptr<Prober> (*make)(const Clock&);
};

constexpr ProbeKind kProbeKinds[] = {
    {"tcp", NewTcpProber},
    {"http", NewHttpProber},
};

}  // namespace

std::unique_ptr<Prober> MakeProber(const ProbeConfig& probe, const Clock& clock) {
  for (const ProbeKind& kind : kProbeKinds) {
    if (probe.kind == kind.name) return kind.make(clock);
  }
  return nullptr;  // "none"; the config loader rejects any other kind
}

}  // namespace msx
