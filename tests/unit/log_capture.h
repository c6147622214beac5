// LogCapture: what the code under test logs, for tests that check a problem is
// logged once and not once per poll or try.
//
// While a LogCapture lives, spdlog's default logger writes logfmt lines into it; the
// destructor puts the previous logger back. Thread-safe: code under test may log
// from its own threads while the test reads or waits for a line.
#pragma once

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/log.h"

namespace msx {
namespace test {

class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()), sink_(std::make_shared<Sink>()) {
    sink_->set_formatter(MakeLogFormatter(LogFormat::kLogfmt));
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink_));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // The lines logged so far that contain every one of `parts`
  // (e.g. {"msg=\"probe failing\"", "msid=2"}).
  std::vector<std::string> Lines(const std::vector<std::string>& parts) const {
    std::lock_guard<std::mutex> lock(sink_->lines_mu);
    return Matching(parts);
  }

  // Waits up to timeout_seconds for a line with every one of `parts`; returns the
  // matching lines (empty after the timeout).
  std::vector<std::string> WaitForLines(const std::vector<std::string>& parts,
                                        double timeout_seconds) const {
    std::unique_lock<std::mutex> lock(sink_->lines_mu);
    sink_->added.wait_for(lock, std::chrono::duration<double>(timeout_seconds),
                          [&] { return !Matching(parts).empty(); });
    return Matching(parts);
  }

  std::string Text() const {
    std::lock_guard<std::mutex> lock(sink_->lines_mu);
    std::string text;
    for (const std::string& line : sink_->lines) text += line + "\n";
    return text;
  }

 private:
  struct Sink : spdlog::sinks::base_sink<std::mutex> {
    std::mutex lines_mu;
    std::condition_variable added;
    std::vector<std::string> lines;  // guarded by lines_mu

    void sink_it_(const spdlog::details::log_msg& msg) override {
      spdlog::memory_buf_t formatted;
      formatter_->format(msg, formatted);
      std::string line(formatted.data(), formatted.size());
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
        line.pop_back();
      {
        std::lock_guard<std::mutex> lock(lines_mu);
        lines.push_back(std::move(line));
      }
      added.notify_all();
    }
    void flush_() override {}
  };

  // REQUIRES: sink_->lines_mu held.
  std::vector<std::string> Matching(const std::vector<std::string>& parts) const {
    std::vector<std::string> found;
    for (const std::string& line : sink_->lines) {
      bool all = true;
      for (const std::string& part : parts)
        all = all && line.find(part) != std::string::npos;
      if (all) found.push_back(line);
    }
    return found;
  }

  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<Sink> sink_;
};

}  // namespace test
}  // namespace msx
