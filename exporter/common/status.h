// Status and StatusOr<T>: the one way a function says that it failed and why, in the
// spirit of leveldb's Status and Abseil's StatusOr (docs/architecture.md, "Errors").
//
// A Status is ok, or carries one or more problems, each a one-line message that is
// safe to log (no secrets). Several problems exist because a user's file should be
// answered with every mistake in it at once (the configuration, the web config), not
// one per attempt. A StatusOr<T> holds a T exactly when its status is ok.
//
// Exceptions from libraries (yaml-cpp, libpqxx, std::) are caught where the library
// is called and turned into a Status there; nothing above that throws. Values are
// plain data: thread-safe to copy and read from several threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace msx {

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  static Status Ok() { return Status(); }
  // REQUIRES: message is not empty.
  static Status Error(std::string message) {
    Status status;
    status.problems_.push_back(std::move(message));
    return status;
  }
  // Ok when `messages` is empty.
  static Status Errors(std::vector<std::string> messages) {
    Status status;
    status.problems_ = std::move(messages);
    return status;
  }

  bool ok() const { return problems_.empty(); }
  // Every problem, in the order found.
  const std::vector<std::string>& problems() const { return problems_; }
  // The problems on one line, "; "-separated: for a log line or a metric's reason.
  std::string message() const {
    std::string out;
    for (const std::string& problem : problems_) {
      out += (out.empty() ? "" : "; ") + problem;
    }
    return out;
  }
  // The same status with `context` before each problem ("web.yml: ...").
  Status Prefixed(const std::string& context) const {
    Status out = *this;
    for (std::string& problem : out.problems_) problem = context + problem;
    return out;
  }

 private:
  std::vector<std::string> problems_;
};

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit, like absl
  // REQUIRES: !status.ok() (an ok status without a value is a bug).
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok());
    if (status_.ok()) status_ = Status::Error("internal error: ok status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok().
  const T& value() const& { return *value_; }
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }
  const T& operator*() const& { return *value_; }
  T& operator*() & { return *value_; }
  const T* operator->() const { return &*value_; }
  T* operator->() { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace msx
