// Probe values: where a liveness probe goes and what it found. Plain values.
#pragma once

#include <string>

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

}  // namespace msx
