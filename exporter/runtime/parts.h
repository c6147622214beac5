// TargetParts: the two edges of one target that touch the outside world, the
// database source and the liveness prober, made by a factory so that the App and
// `check` run on real drivers and unit tests on fakes (test_util.h).
#pragma once

#include <functional>
#include <memory>

#include "common/clock.h"
#include "config/config.h"
#include "probe/prober.h"
#include "source/source.h"

namespace msx {

struct TargetParts {
  std::unique_ptr<MshostSource> source;  // never null
  std::unique_ptr<Prober> prober;        // null when probe.kind is none
};

using PartsFactory = std::function<TargetParts(const TargetConfig&)>;

// MakeSource and MakeProber. `clock` must outlive the factory and what it makes.
PartsFactory RealParts(const Clock& clock);

}  // namespace msx
