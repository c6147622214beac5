#include "judge/interval.h"

#include <algorithm>
#include <array>
#include <cstddef>

namespace msx {

std::optional<double> IntervalEstimator::Observe(uint64_t msid, double db_now_unix,
                                                 double last_update_unix) {
  Track& track = nodes_[msid];
  bool changed = false;
  if (track.values.empty()) {
    track.values.push_back(last_update_unix);
  } else if (last_update_unix < track.values.back()) {
    // A clock stepped back: the old steps say nothing about the new ones.
    track.values.assign(1, last_update_unix);
    track.changed.clear();
    track.poll_times.clear();
  } else if (last_update_unix > track.values.back()) {
    changed = true;
    track.values.push_back(last_update_unix);
  }
  track.changed.push_back(changed);
  track.poll_times.push_back(db_now_unix);
  if (track.changed.size() > kWindow) {
    track.changed.pop_front();
    track.poll_times.pop_front();
  }
  while (track.values.size() > kWindow + 1) track.values.pop_front();

  if (changed) {
    if (std::optional<double> estimate = Compute(track)) track.estimate = estimate;
  }
  return track.estimate;
}

std::optional<double> IntervalEstimator::Compute(const Track& track) {
  if (track.values.size() < 3) return std::nullopt;
  // On the stack: this runs for every node at every new heartbeat (2,000 nodes a poll
  // at the largest sizes measured in BENCHMARKS.md).
  std::array<double, kWindow> steps;
  const size_t n = track.values.size() - 1;  // at most kWindow (values holds kWindow + 1)
  for (size_t i = 0; i < n; ++i) steps[i] = track.values[i + 1] - track.values[i];
  const auto begin = steps.begin();
  const auto end = steps.begin() + static_cast<std::ptrdiff_t>(n);
  // The first poll of the window has nothing to compare with.
  const bool every_poll_changed =
      std::all_of(track.changed.begin() + 1, track.changed.end(), [](bool c) { return c; });
  if (every_poll_changed) {
    const double shortest = *std::min_element(begin, end);
    const double poll_spacing = (track.poll_times.back() - track.poll_times.front()) /
                                static_cast<double>(track.poll_times.size() - 1);
    return std::min(shortest, poll_spacing);
  }
  std::array<double, kWindow> sorted = steps;
  const auto middle = sorted.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(sorted.begin(), middle, sorted.begin() + static_cast<std::ptrdiff_t>(n));
  const double median = *middle;
  double sum = 0;
  int count = 0;
  for (auto it = begin; it != end; ++it) {
    if (*it > 2 * median) continue;  // a gap, not a heartbeat
    sum += *it;
    ++count;
  }
  return sum / count;
}

std::optional<double> IntervalEstimator::Estimate(uint64_t msid) const {
  auto it = nodes_.find(msid);
  return it == nodes_.end() ? std::nullopt : it->second.estimate;
}

void IntervalEstimator::Retain(const std::set<uint64_t>& present) {
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    it = present.count(it->first) ? std::next(it) : nodes_.erase(it);
  }
}

}  // namespace msx
