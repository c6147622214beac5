// ReconnectingSource: the connection life cycle every database driver shares.
//
// A driver supplies three steps (Connect, Query, Disconnect) on one connection it
// owns; this class decides when to call them. It keeps at most one connection, and
// after any failure it drops that connection and waits before connecting again,
// 0.5 s doubling to 30 s, so a database that is down or overloaded sees one attempt
// per backoff step rather than one per poll. A database that was answering and went
// away is most often restarting: for the first kFastRetryWindowSeconds of such an
// outage the wait stays at kFastRetrySeconds, so its return is noticed within a
// second or two, and only then doubles. While it waits, Read() fails at once with
// "reconnecting in 2.0s: <the last error>". A success resets the backoff.
//
// Like every MshostSource it is used from one thread (the target's poller) and is
// not thread-safe. The clock must outlive it.
#pragma once

#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "source/parse.h"
#include "source/source.h"

namespace msx {

class ReconnectingSource : public MshostSource {
 public:
  static constexpr double kFirstBackoffSeconds = 0.5;
  static constexpr double kMaxBackoffSeconds = 30;
  static constexpr double kFastRetrySeconds = 1;
  static constexpr double kFastRetryWindowSeconds = 60;

  explicit ReconnectingSource(const Clock& clock) : clock_(clock) {}

  SourceRead Read() final;
  // On the connection the last Read() left open; fails at once without one. A
  // failure that is not a missing table or grant closes the connection, so the next
  // Read() starts afresh (without waiting: the database answered that Read()).
  BlastRadiusRead ReadBlastRadius() final;
  void Close() final;

 protected:
  // Opens the connection and prepares the session. A failure says why in one line
  // (no secrets); the driver may leave a half-open connection for Disconnect() to
  // release.
  virtual Status Connect() = 0;
  // One round trip on the connection Connect() opened. Same error rules.
  virtual StatusOr<RawRead> Query() = 0;
  // The two statements of parse.h (kAgentsQuery, kJobsQuery) on the open connection.
  // A missing table or a refused grant is a read with `unavailable` set; any other
  // failure is an error.
  virtual StatusOr<RawBlastRead> QueryBlastRadius() = 0;
  // Releases the connection, if any. Must be safe to call at any time, twice.
  virtual void Disconnect() = 0;

 private:
  SourceRead Fail(const std::string& error);

  const Clock& clock_;
  bool connected_ = false;
  double backoff_seconds_ = 0;  // 0: the last attempt succeeded (or none was made)
  double retry_at_ = 0;         // monotonic seconds
  bool ever_read_ = false;      // a read has succeeded
  double outage_since_ = -1;    // monotonic seconds of the first failure; -1 when up
  std::string last_error_;
};

// Collapses every run of whitespace (newlines, tabs) into one space and trims, so a
// client library's multi-line message fits one log line and one label value.
std::string OneLine(const std::string& text);

}  // namespace msx
