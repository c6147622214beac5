// Clock: the one source of "now" for the exporter.
//
// Every part that needs time takes a Clock& in its constructor, so tests drive time
// with FakeClock instead of sleeping. SystemClock is the only code that reads the
// real clocks (clock.cc). Both are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace msx {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds on a monotonic clock: for durations and scheduling.
  virtual double MonotonicSeconds() const = 0;
  // Seconds since the Unix epoch (UTC): only for timestamps shown to users.
  virtual double UnixSeconds() const = 0;
};

class SystemClock : public Clock {
 public:
  double MonotonicSeconds() const override;
  double UnixSeconds() const override;
};

// A clock that moves only when the test says so. Starts at monotonic 1000 s and
// Unix time 1'700'000'000 s.
class FakeClock : public Clock {
 public:
  double MonotonicSeconds() const override { return mono_.load(); }
  double UnixSeconds() const override { return unix_.load(); }
  void Advance(double seconds) {
    mono_ = mono_.load() + seconds;
    unix_ = unix_.load() + seconds;
  }

 private:
  std::atomic<double> mono_{1000.0};
  std::atomic<double> unix_{1'700'000'000.0};
};

}  // namespace msx
