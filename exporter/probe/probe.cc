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
  std::string out;
  for (const ProbeKind& kind : kProbeKinds) {
    if (!out.empty()) out += ", ";
    out += kind.name;
  }
  return out;
}

std::unique_ptr<Prober> MakeProber(const ProbeConfig& probe) {
  const ProbeKind* kind = FindProbeKind(probe.kind);
  return kind->make ? kind->make() : nullptr;
}

}  // namespace msx
