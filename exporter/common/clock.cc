#include "common/clock.h"

#include <algorithm>
#include <cassert>
#include <chrono>

namespace msx {
namespace {

// A deadline further away than this waits for the interrupt alone: a steady_clock
// time_point (int64 nanoseconds) would overflow near 292 years.
constexpr double kForeverSeconds = 100.0 * 365 * 24 * 3600;

}  // namespace

void Interrupt::Signal() {
  std::lock_guard<std::mutex> lock(mu_);
  signaled_ = true;
  // Under the lock: a waiter that returns may destroy this object at once.
  cv_.notify_all();
}

void Interrupt::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  signaled_ = false;
}

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

bool SystemClock::SleepUntil(double monotonic_deadline_seconds,
                             Interrupt& interrupt) const {
  std::unique_lock<std::mutex> lock(interrupt.mu_);
  const auto signaled = [&interrupt] { return interrupt.signaled_.load(); };
  // Also catches NaN, like FakeClock (no time reaches it).
  if (!(monotonic_deadline_seconds - MonotonicSeconds() < kForeverSeconds)) {
    interrupt.cv_.wait(lock, signaled);
    return false;
  }
  // MonotonicSeconds() is steady_clock's count, so the deadline is its time_point.
  const std::chrono::steady_clock::time_point deadline(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(monotonic_deadline_seconds)));
  return !interrupt.cv_.wait_until(lock, deadline, signaled);
}

FakeClock::~FakeClock() { assert(sleepers_.empty()); }

bool FakeClock::SleepUntil(double monotonic_deadline_seconds,
                           Interrupt& interrupt) const {
  Sleeper self{&interrupt, monotonic_deadline_seconds};
  {
    std::lock_guard<std::mutex> lock(mu_);
    sleepers_.push_back(&self);
  }
  sleepers_changed_.notify_all();

  bool reached = false;
  {
    std::unique_lock<std::mutex> lock(interrupt.mu_);
    while (true) {
      const bool signaled = interrupt.signaled_.load();
      reached = !signaled && mono_.load() >= monotonic_deadline_seconds;
      self.released = signaled || reached;
      if (self.recheck_pending) {
        self.recheck_pending = false;
        interrupt.cv_.notify_all();  // Advance() waits for this answer
      }
      if (self.released) break;
      interrupt.cv_.wait(lock);
    }
  }

  // Not under interrupt.mu_: the lock order is mu_ first.
  {
    std::lock_guard<std::mutex> lock(mu_);
    sleepers_.erase(std::find(sleepers_.begin(), sleepers_.end(), &self));
  }
  sleepers_changed_.notify_all();
  return reached;
}

void FakeClock::Advance(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  mono_ = mono_.load() + seconds;
  unix_ = unix_.load() + seconds;
  // Holding mu_ keeps every registered Sleeper (and its Interrupt) alive: a sleeper
  // unregisters under mu_ before SleepUntil() returns.
  for (Sleeper* sleeper : sleepers_) {
    std::unique_lock<std::mutex> sleeper_lock(sleeper->interrupt->mu_);
    if (sleeper->released) continue;
    sleeper->recheck_pending = true;
    sleeper->interrupt->cv_.notify_all();
    sleeper->interrupt->cv_.wait(sleeper_lock,
                                 [sleeper] { return !sleeper->recheck_pending; });
  }
}

size_t FakeClock::sleepers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::count_if(sleepers_.begin(), sleepers_.end(), [](const Sleeper* sleeper) {
    std::lock_guard<std::mutex> sleeper_lock(sleeper->interrupt->mu_);
    return !sleeper->released;
  });
}

bool FakeClock::WaitForSleepers(size_t count, double safety_timeout_real_seconds) const {
  std::unique_lock<std::mutex> lock(mu_);
  return sleepers_changed_.wait_for(
      lock, std::chrono::duration<double>(safety_timeout_real_seconds), [this, count] {
        return static_cast<size_t>(std::count_if(
                   sleepers_.begin(), sleepers_.end(), [](const Sleeper* sleeper) {
                     std::lock_guard<std::mutex> sleeper_lock(sleeper->interrupt->mu_);
                     return !sleeper->released;
                   })) >= count;
      });
}

}  // namespace msx
