#include "runtime/parts.h"

namespace msx {

PartsFactory RealParts(const Clock& clock) {
  return [&clock](const TargetConfig& target) {
    return TargetParts{MakeSource(target.database, clock), MakeProber(target.probe, clock)};
  };
}

}  // namespace msx
