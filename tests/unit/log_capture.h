// LogCapture: what the code under test logs, for tests that check a problem is
// logged once and not once per poll or try.
//
// While a LogCapture lives, lines at info and above are written in logfmt into it
// (a ScopedLogRedirect); the destructor puts the previous destination back.
// Thread-safe: code under test may log from its own threads while the test reads or
// waits for a line.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"

namespace msx {
namespace test {

class LogCapture {
 public:
  LogCapture()
      : lines_(std::make_shared<Store>()),
        redirect_(LogFormat::kLogfmt, LogLevel::kInfo,
                  [lines = lines_](std::string_view line) { lines->Add(line); }) {}
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // The lines logged so far that contain every one of `parts`
  // (e.g. {"msg=\"probe failing\"", "msid=2"}).
  std::vector<std::string> Lines(const std::vector<std::string>& parts) const {
    std::lock_guard<std::mutex> lock(lines_->mu);
    return Matching(parts);
  }

  // Waits up to timeout_seconds for a line with every one of `parts`; returns the
  // matching lines (empty after the timeout).
  std::vector<std::string> WaitForLines(const std::vector<std::string>& parts,
                                        double timeout_seconds) const {
    std::unique_lock<std::mutex> lock(lines_->mu);
    lines_->added.wait_for(lock, std::chrono::duration<double>(timeout_seconds),
                           [&] { return !Matching(parts).empty(); });
    return Matching(parts);
  }

  std::string Text() const {
    std::lock_guard<std::mutex> lock(lines_->mu);
    std::string text;
    for (const std::string& line : lines_->lines) text += line + "\n";
    return text;
  }

 private:
  // Shared with the redirect's sink, which a line logged on another thread while the
  // LogCapture goes away may still reach.
  struct Store {
    std::mutex mu;
    std::condition_variable added;
    std::vector<std::string> lines;  // guarded by mu

    void Add(std::string_view line) {
      {
        std::lock_guard<std::mutex> lock(mu);
        lines.emplace_back(line);
      }
      added.notify_all();
    }
  };

  // REQUIRES: lines_->mu held.
  std::vector<std::string> Matching(const std::vector<std::string>& parts) const {
    std::vector<std::string> found;
    for (const std::string& line : lines_->lines) {
      bool all = true;
      for (const std::string& part : parts)
        all = all && line.find(part) != std::string::npos;
      if (all) found.push_back(line);
    }
    return found;
  }

  const std::shared_ptr<Store> lines_;
  const ScopedLogRedirect redirect_;  // after lines_: it feeds them
};

}  // namespace test
}  // namespace msx
