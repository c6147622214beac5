#include "app/parts.h"

#include <cassert>

namespace msx {

PartsFactory RealParts(const Clock& clock) {
  return [&clock](const TargetConfig& target) {
    TargetParts parts{MakeSource(target.database, clock),
                      MakeProber(target.probe, clock)};
    // The config loader accepts only drivers MakeSource knows.
    assert(parts.source != nullptr);
    return parts;
  };
}

}  // namespace msx
