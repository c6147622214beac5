// LogThrottle: lets an event through to the log at most once per interval and counts
// what it held back, for errors someone outside can cause at any rate (a client that
// fails TLS handshakes in a loop must not fill the disk). Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>

#include "common/clock.h"

namespace msx {

class LogThrottle {
 public:
  // `clock` must outlive the throttle.
  LogThrottle(const Clock& clock, double interval_seconds)
      : clock_(clock), interval_seconds_(interval_seconds) {}

  // True when this event may be logged now; then *held_back is how many events were
  // refused since the last one let through (to be logged with it).
  bool Allow(uint64_t* held_back) {
    std::lock_guard<std::mutex> lock(mu_);
    const double now = clock_.MonotonicSeconds();
    if (passed_any_ && now - last_passed_ < interval_seconds_) {
      ++held_back_;
      return false;
    }
    passed_any_ = true;
    last_passed_ = now;
    *held_back = held_back_;
    held_back_ = 0;
    return true;
  }

 private:
  const Clock& clock_;
  const double interval_seconds_;
  std::mutex mu_;
  bool passed_any_ = false;  // guarded by mu_
  double last_passed_ = 0;   // guarded by mu_
  uint64_t held_back_ = 0;   // guarded by mu_
};

}  // namespace msx
