// Prober: is anything listening where a management server should be?
//
// ProbeAll probes every target of one poll in parallel and returns when all have
// answered or timed out, so one dead node never delays the others' verdicts. Called
// from one poller thread at a time; implementations keep no shared state.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "config/config.h"

namespace msx {

struct ProbeTarget {
  std::string host;  // IP literal or name
  int port = 0;
};

struct ProbeResult {
  bool success = false;
  double duration_seconds = 0;
  std::string error;  // "connection refused", "timeout", "no such host"...
};

class Prober {
 public:
  virtual ~Prober() = default;
  // Result i belongs to targets[i].
  virtual std::vector<ProbeResult> ProbeAll(const std::vector<ProbeTarget>& targets,
                                            double timeout_seconds) = 0;
};

// The probe-kind table. Returns nullptr for kind "none". The prober measures its
// deadline and durations on `clock`, which must outlive it.
std::unique_ptr<Prober> MakeProber(const ProbeConfig& probe, const Clock& clock);

}  // namespace msx
