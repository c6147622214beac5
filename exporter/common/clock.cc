#include "common/clock.h"

#include <chrono>

namespace msx {

double SystemClock::MonotonicSeconds() const {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double SystemClock::UnixSeconds() const {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace msx
