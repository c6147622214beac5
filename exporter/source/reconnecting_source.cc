#include "source/reconnecting_source.h"

#include <algorithm>
#include <cstdio>

namespace msx {

SourceRead ReconnectingSource::Read() {
  if (!connected_) {
    const double wait = retry_at_ - clock_.MonotonicSeconds();
    if (backoff_seconds_ > 0 && wait > 0) {
      char prefix[48];
      std::snprintf(prefix, sizeof prefix, "reconnecting in %.1fs: ", wait);
      SourceRead read;
      read.error = prefix + last_error_;
      return read;
    }
    if (Status connected = Connect(); !connected.ok()) return Fail(connected.message());
    connected_ = true;
  }
  StatusOr<RawRead> raw = Query();
  if (!raw.ok()) return Fail(raw.status().message());
  SourceRead read = ParseRead(*raw);
  // A clock that does not parse means the session is not what we set up (e.g. a
  // proxy in between): start over like after any other failure.
  if (!read.ok) return Fail(read.error);
  backoff_seconds_ = 0;
  ever_read_ = true;
  outage_since_ = -1;
  return read;
}

BlastRadiusRead ReconnectingSource::ReadBlastRadius() {
  BlastRadiusRead read;
  if (!connected_) {
    read.error = "not connected";
    return read;
  }
  StatusOr<RawBlastRead> raw = QueryBlastRadius();
  if (!raw.ok()) {
    Close();
    read.error = OneLine(raw.status().message());
    return read;
  }
  if (raw->unavailable) {
    read.unavailable = true;
    read.error = OneLine(*raw->unavailable);
    return read;
  }
  return ParseBlastRadius(*raw);
}

void ReconnectingSource::Close() {
  Disconnect();
  connected_ = false;
}

SourceRead ReconnectingSource::Fail(const std::string& error) {
  Close();
  const double now = clock_.MonotonicSeconds();
  if (outage_since_ < 0) outage_since_ = now;
  if (ever_read_ && now - outage_since_ < kFastRetryWindowSeconds) {
    backoff_seconds_ = kFastRetrySeconds;
  } else {
    backoff_seconds_ = backoff_seconds_ == 0
                           ? kFirstBackoffSeconds
                           : std::min(2 * backoff_seconds_, kMaxBackoffSeconds);
  }
  retry_at_ = now + backoff_seconds_;
  last_error_ = OneLine(error);
  SourceRead read;
  read.error = last_error_;
  return read;
}

std::string OneLine(const std::string& text) {
  std::string out;
  bool pending_space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

}  // namespace msx
