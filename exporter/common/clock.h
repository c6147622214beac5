// Clock: the one source of "now", and of waiting for a later time, in the exporter.
//
// Like leveldb's Env, time is injected: every part that reads the time or waits
// for it takes a Clock& (main.cc makes one SystemClock for the whole program), so
// unit tests drive time with FakeClock and never sleep. SystemClock is the only
// code that reads the real clocks: clock.cc is the one file that asks std::chrono's
// steady and system clocks for the time, and timeouts handed to the system (a
// prober's poll()) are computed from a Clock's readings. What cannot take a Clock says so
// where it waits: libcurl's and the database drivers' network timeouts run on real time.
//
// Waiting: SleepUntil() blocks until a monotonic deadline or until its Interrupt is
// signaled, whichever comes first. An Interrupt is how Stop() ends a wait at once
// (a poller between cycles, a notifier between retries), and how App::Stop() learns
// that stopping finished before its deadline.
//
// Thread-safety: SystemClock, FakeClock and Interrupt are thread-safe. Any number of
// threads may wait on one Clock, and on one Interrupt; an Interrupt must outlive the
// SleepUntil() calls that wait on it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <vector>

namespace msx {

// Ends SleepUntil() calls early. Signal() is sticky: a SleepUntil() that starts
// after it returns at once, until Reset().
class Interrupt {
 public:
  Interrupt() = default;
  Interrupt(const Interrupt&) = delete;
  Interrupt& operator=(const Interrupt&) = delete;

  // Wakes every SleepUntil() waiting on this interrupt, now and until Reset().
  void Signal();
  // Makes SleepUntil() wait again, for a thread started anew after a stop.
  void Reset();
  // Never blocks: for loops that check between steps, and libcurl's progress callback.
  bool signaled() const { return signaled_.load(); }

 private:
  friend class SystemClock;
  friend class FakeClock;

  std::mutex mu_;
  // Notified on Signal(), and by FakeClock::Advance() for its sleepers.
  std::condition_variable cv_;
  std::atomic<bool> signaled_{false};  // written under mu_
};

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds on a monotonic clock: for durations and scheduling.
  virtual double MonotonicSeconds() const = 0;
  // Seconds since the Unix epoch (UTC): only for timestamps shown to users.
  virtual double UnixSeconds() const = 0;
  // Blocks until MonotonicSeconds() >= monotonic_deadline_seconds (true) or until
  // `interrupt` is signaled (false; also when it was signaled before the call, even
  // if the deadline has passed). A deadline in the past returns true at once; an
  // infinite one waits for the interrupt alone.
  virtual bool SleepUntil(double monotonic_deadline_seconds,
                          Interrupt& interrupt) const = 0;
};

class SystemClock : public Clock {
 public:
  double MonotonicSeconds() const override;
  double UnixSeconds() const override;
  bool SleepUntil(double monotonic_deadline_seconds, Interrupt& interrupt) const override;
};

// A clock that moves only when the test says so. Starts at monotonic 1000 s and
// Unix time 1'700'000'000 s. Its SleepUntil() ends only by Advance() past the
// deadline or by the interrupt, never by real time passing.
class FakeClock : public Clock {
 public:
  FakeClock() = default;
  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;
  ~FakeClock() override;  // REQUIRES: no thread in SleepUntil()

  double MonotonicSeconds() const override { return mono_.load(); }
  double UnixSeconds() const override { return unix_.load(); }
  bool SleepUntil(double monotonic_deadline_seconds, Interrupt& interrupt) const override;

  // Moves both clocks forward. Returns once every thread in SleepUntil() has seen
  // the new time: those whose deadline came are on their way out (no longer counted
  // by sleepers()), the others wait on. So a test can tell "not yet" from "not
  // noticed yet" without waiting in real time. May be called from any thread that is
  // not itself in SleepUntil(), including a fake's callback on a thread under test.
  void Advance(double seconds);

  // How many threads are in SleepUntil() and have not been released.
  size_t sleepers() const;
  // Blocks until at least `count` threads are in SleepUntil(). False after
  // `safety_timeout_real_seconds` of real time: a bound for a broken test, never
  // the thing a passing test waits for.
  bool WaitForSleepers(size_t count, double safety_timeout_real_seconds) const;

 private:
  // One thread in SleepUntil(). Its fields are guarded by interrupt->mu_.
  struct Sleeper {
    Interrupt* interrupt;
    double deadline_seconds;
    bool released = false;         // SleepUntil() decided to return
    bool recheck_pending = false;  // Advance() waits for it to look at the new time
  };

  // Lock order: mu_, then an Interrupt's mu_. A sleeper holds only its Interrupt's
  // mu_ while it waits, so Advance() can hold mu_ while it waits for each sleeper.
  mutable std::mutex mu_;
  mutable std::condition_variable sleepers_changed_;
  mutable std::vector<Sleeper*> sleepers_;  // guarded by mu_
  std::atomic<double> mono_{1000.0};        // written under mu_
  std::atomic<double> unix_{1'700'000'000.0};
};

}  // namespace msx
