#include "probe/tcp_prober.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

namespace msx {
namespace {

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

struct Lookup {
  int gai_error = 0;  // 0: addresses are set
  int sys_errno = 0;  // for EAI_SYSTEM
  std::vector<Address> addresses;
};

// flags: AI_NUMERICHOST to accept IP literals only (no DNS). Ports are set later.
Lookup Resolve(const std::string& host, int flags) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags;
  addrinfo* list = nullptr;
  Lookup lookup;
  lookup.gai_error = getaddrinfo(host.c_str(), nullptr, &hints, &list);
  lookup.sys_errno = errno;
  if (lookup.gai_error != 0) return lookup;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    Address address;
    std::memcpy(&address.storage, ai->ai_addr, ai->ai_addrlen);
    address.length = ai->ai_addrlen;
    lookup.addresses.push_back(address);
  }
  freeaddrinfo(list);
  return lookup;
}

void SetPort(Address& address, int port) {
  if (address.storage.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&address.storage)->sin_port = htons(port);
  } else if (address.storage.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&address.storage)->sin6_port = htons(port);
  }
}

std::string ErrnoText(int err) {
  switch (err) {
    case ECONNREFUSED:
      return "connection refused";
    case ETIMEDOUT:
      return "timeout";
    case EHOSTUNREACH:
      return "host unreachable";
    case ENETUNREACH:
      return "network unreachable";
    case ECONNRESET:
      return "connection reset";
    case EPIPE:
      return "connection closed";
  }
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(text[0]));
  return text;
}

std::string ResolveErrorText(const std::string& host, const Lookup& lookup) {
  switch (lookup.gai_error) {
    case EAI_NONAME:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
      return "no such host: " + host;
    case EAI_AGAIN:
      return "name resolution failed (temporary): " + host;
    case EAI_SYSTEM:
      return "name resolution failed: " + host + ": " + ErrnoText(lookup.sys_errno);
  }
  if (lookup.addresses.empty() && lookup.gai_error == 0)
    return "no address for host: " + host;
  return "name resolution failed: " + host + ": " + gai_strerror(lookup.gai_error);
}

// Lets resolver threads wake the poll() loop. Shared by the call and its resolver
// threads: the last owner closes it, so a thread that outlives the call never writes
// into a descriptor that was closed and reused.
class WakePipe {
 public:
  WakePipe() {
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0) {
      read_fd_ = fds[0];
      write_fd_ = fds[1];
    }
  }
  ~WakePipe() {
    if (read_fd_ >= 0) close(read_fd_);
    if (write_fd_ >= 0) close(write_fd_);
  }
  WakePipe(const WakePipe&) = delete;
  WakePipe& operator=(const WakePipe&) = delete;

  bool ok() const { return read_fd_ >= 0; }
  int read_fd() const { return read_fd_; }
  void Wake() {
    const char byte = 1;
    // A full pipe already wakes the loop: a failed write loses nothing.
    [[maybe_unused]] ssize_t n = write(write_fd_, &byte, 1);
  }
  void Drain() {
    char buffer[64];
    while (read(read_fd_, buffer, sizeof(buffer)) > 0) {
    }
  }

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

// One name's lookup, filled in by its resolver thread.
struct PendingLookup {
  std::mutex mu;
  bool done = false;  // guarded by mu, like lookup
  Lookup lookup;
};

void StartResolverThread(const std::string& host, std::shared_ptr<PendingLookup> pending,
                         std::shared_ptr<WakePipe> wake) {
  std::thread([host, pending, wake] {
    Lookup lookup = Resolve(host, 0);
    {
      std::lock_guard<std::mutex> lock(pending->mu);
      pending->lookup = std::move(lookup);
      pending->done = true;
    }
    wake->Wake();
  }).detach();
}

// The sockets one round may hold at once; never fewer than a few, so a process
// that is short of descriptors still probes, slowly.
size_t SocketBudget(size_t max_open_sockets) {
  constexpr size_t kMinimum = 8;
  if (max_open_sockets > 0) return max_open_sockets;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return SIZE_MAX;
  }
  const size_t allowed = static_cast<size_t>(limit.rlim_cur);
  return allowed > kReservedDescriptors + kMinimum ? allowed - kReservedDescriptors
                                                   : kMinimum;
}

bool OutOfDescriptors(int err) { return err == EMFILE || err == ENFILE; }

// kWaiting: has its addresses, waits for a descriptor to connect with.
enum class Phase { kResolving, kWaiting, kConnecting, kWriting, kReading, kDone };

struct Probe {
  std::string host;
  int port = 0;
  Phase phase = Phase::kResolving;
  std::shared_ptr<PendingLookup> pending;  // while kResolving
  std::vector<Address> addresses;
  size_t next_address = 0;
  int fd = -1;
  std::string last_connect_error;  // of the previous address, if any
  size_t written = 0;
  std::string reply;
  ProbeResult result;
};

// One ProbeSockets call.
class Round {
 public:
  Round(const Conversation* conversation, const Clock& clock, size_t max_open_sockets)
      : conversation_(conversation),
        clock_(clock),
        socket_budget_(SocketBudget(max_open_sockets)) {}

  std::vector<ProbeResult> Run(const std::vector<ProbeTarget>& targets,
                               double timeout_seconds) {
    start_ = clock_.MonotonicSeconds();
    const double deadline = start_ + timeout_seconds;
    probes_.resize(targets.size());
    for (size_t i = 0; i < targets.size(); ++i) Begin(probes_[i], targets[i]);

    std::vector<pollfd> fds;
    std::vector<size_t> owners;  // probe index per entry of fds; kWakeOwner for the pipe
    while (true) {
      StartWaitingProbes();
      fds.clear();
      owners.clear();
      bool waiting_for_lookups = false;
      bool waiting_for_descriptors = false;
      for (size_t i = 0; i < probes_.size(); ++i) {
        const Phase phase = probes_[i].phase;
        if (phase == Phase::kResolving && !waiting_for_lookups) {
          fds.push_back({wake_->read_fd(), POLLIN, 0});
          owners.push_back(kWakeOwner);
          waiting_for_lookups = true;
        }
        waiting_for_descriptors = waiting_for_descriptors || phase == Phase::kWaiting;
        if (phase == Phase::kConnecting || phase == Phase::kWriting) {
          fds.push_back({probes_[i].fd, POLLOUT, 0});
          owners.push_back(i);
        } else if (phase == Phase::kReading) {
          fds.push_back({probes_[i].fd, POLLIN, 0});
          owners.push_back(i);
        }
      }
      const double remaining = deadline - clock_.MonotonicSeconds();
      if ((fds.empty() && !waiting_for_descriptors) || remaining <= 0) break;
      // Probes wait for descriptors that other parts of the exporter hold: look
      // again soon, as nothing here will wake the loop when those are closed.
      const double wait_seconds =
          fds.empty() ? std::min(remaining, kDescriptorRetrySeconds) : remaining;
      const int n =
          poll(fds.data(), fds.size(), static_cast<int>(std::ceil(wait_seconds * 1000)));
      if (n < 0 && errno != EINTR) {
        FinishAll("poll: " + ErrnoText(errno));
        break;
      }
      for (size_t k = 0; n > 0 && k < fds.size(); ++k) {
        if (fds[k].revents == 0) continue;
        if (owners[k] == kWakeOwner) {
          wake_->Drain();
          CollectLookups();
          continue;
        }
        Probe& probe = probes_[owners[k]];
        if (probe.fd != fds[k].fd) continue;  // finished meanwhile
        switch (probe.phase) {
          case Phase::kConnecting:
            OnConnectDone(probe);
            break;
          case Phase::kWriting:
            WriteRequest(probe);
            break;
          case Phase::kReading:
            ReadReply(probe);
            break;
          default:
            break;
        }
      }
    }

    std::vector<ProbeResult> results;
    for (Probe& probe : probes_) {
      if (probe.phase != Phase::kDone) Finish(probe, false, TimeoutText(probe));
      results.push_back(probe.result);
    }
    return results;
  }

 private:
  static constexpr size_t kWakeOwner = static_cast<size_t>(-1);
  static constexpr double kDescriptorRetrySeconds = 0.01;

  void Begin(Probe& probe, const ProbeTarget& target) {
    probe.host = target.host;
    probe.port = target.port;
    if (target.port < 1 || target.port > 65535) {
      return Finish(probe, false, "invalid port " + std::to_string(target.port));
    }
    if (target.host.empty()) return Finish(probe, false, "no host to probe");
    Lookup literal = Resolve(target.host, AI_NUMERICHOST);
    if (literal.gai_error == 0) return Connect(probe, std::move(literal.addresses));

    if (!wake_) wake_ = std::make_shared<WakePipe>();
    if (!wake_->ok())
      return Finish(probe, false, "cannot create a pipe: " + ErrnoText(errno));
    std::shared_ptr<PendingLookup>& pending = lookups_[target.host];
    if (!pending) {
      pending = std::make_shared<PendingLookup>();
      try {
        StartResolverThread(target.host, pending, wake_);
      } catch (const std::system_error& e) {
        pending.reset();
        return Finish(probe, false,
                      std::string("cannot start a resolver thread: ") + e.what());
      }
    }
    probe.pending = pending;
  }

  void CollectLookups() {
    for (Probe& probe : probes_) {
      if (probe.phase != Phase::kResolving) continue;
      Lookup lookup;
      {
        std::lock_guard<std::mutex> lock(probe.pending->mu);
        if (!probe.pending->done) continue;
        lookup = probe.pending->lookup;
      }
      probe.pending.reset();
      if (lookup.gai_error != 0 || lookup.addresses.empty()) {
        Finish(probe, false, ResolveErrorText(probe.host, lookup));
      } else {
        Connect(probe, std::move(lookup.addresses));
      }
    }
  }

  void Connect(Probe& probe, std::vector<Address> addresses) {
    for (Address& address : addresses) SetPort(address, probe.port);
    probe.addresses = std::move(addresses);
    probe.next_address = 0;
    ConnectNextAddress(probe);
  }

  // Probes that wait for a descriptor go in target order while there are free ones.
  void StartWaitingProbes() {
    for (Probe& probe : probes_) {
      if (open_sockets_ >= socket_budget_) return;
      if (probe.phase != Phase::kWaiting) continue;
      ConnectNextAddress(probe);
      if (probe.phase == Phase::kWaiting) return;  // the process is out of them
    }
  }

  // Tries the remaining addresses in order until one connects or is in progress;
  // waits (kWaiting) when no descriptor is free.
  void ConnectNextAddress(Probe& probe) {
    while (probe.next_address < probe.addresses.size()) {
      if (open_sockets_ >= socket_budget_) {
        probe.phase = Phase::kWaiting;
        return;
      }
      const Address& address = probe.addresses[probe.next_address];
      probe.fd = socket(address.storage.ss_family,
                        SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (probe.fd < 0 && OutOfDescriptors(errno)) {
        probe.phase = Phase::kWaiting;
        return;
      }
      ++probe.next_address;
      if (probe.fd < 0) {
        probe.last_connect_error = ErrnoText(errno);
        continue;
      }
      ++open_sockets_;
      if (connect(probe.fd, reinterpret_cast<const sockaddr*>(&address.storage),
                  address.length) == 0) {
        return OnConnected(probe);
      }
      if (errno == EINPROGRESS) {
        probe.phase = Phase::kConnecting;
        return;
      }
      probe.last_connect_error = ErrnoText(errno);
      CloseSocket(probe);
    }
    Finish(probe, false,
           probe.last_connect_error.empty() ? "no address to connect to"
                                            : probe.last_connect_error);
  }

  void OnConnectDone(Probe& probe) {
    int err = 0;
    socklen_t length = sizeof(err);
    if (getsockopt(probe.fd, SOL_SOCKET, SO_ERROR, &err, &length) != 0) err = errno;
    if (err == 0) return OnConnected(probe);
    probe.last_connect_error = ErrnoText(err);
    CloseSocket(probe);
    ConnectNextAddress(probe);
  }

  void OnConnected(Probe& probe) {
    if (conversation_ == nullptr) return Finish(probe, true, "");
    probe.phase = Phase::kWriting;
    WriteRequest(probe);
  }

  void WriteRequest(Probe& probe) {
    const std::string& request = conversation_->request;
    while (probe.written < request.size()) {
      const ssize_t n = send(probe.fd, request.data() + probe.written,
                             request.size() - probe.written, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // wait for POLLOUT
        if (errno == EINTR) continue;
        return Finish(probe, false, ErrnoText(errno));
      }
      probe.written += static_cast<size_t>(n);
    }
    probe.phase = Phase::kReading;
  }

  void ReadReply(Probe& probe) {
    char buffer[512];
    const ssize_t n = recv(probe.fd, buffer, sizeof(buffer), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      return Finish(probe, false, ErrnoText(errno));
    }
    probe.reply.append(buffer, static_cast<size_t>(n));
    const std::optional<ReplyVerdict> verdict = conversation_->judge(probe.reply, n == 0);
    if (verdict) return Finish(probe, verdict->success, verdict->error);
    if (n == 0)
      Finish(probe, false, "connection closed");  // a judge that breaks its promise
  }

  std::string TimeoutText(const Probe& probe) const {
    switch (probe.phase) {
      case Phase::kResolving:
        return "timeout resolving " + probe.host;
      case Phase::kWaiting:
        return "timeout waiting for a free file descriptor (open files limit " +
               std::to_string(OpenFilesLimit()) + ")";
      case Phase::kWriting:
      case Phase::kReading:
        return "timeout waiting for a reply";
      default:
        return "timeout";
    }
  }

  static long OpenFilesLimit() {
    rlimit limit{};
    return getrlimit(RLIMIT_NOFILE, &limit) == 0 ? static_cast<long>(limit.rlim_cur) : -1;
  }

  void CloseSocket(Probe& probe) {
    if (probe.fd >= 0) {
      close(probe.fd);
      --open_sockets_;
    }
    probe.fd = -1;
  }

  void Finish(Probe& probe, bool success, std::string error) {
    CloseSocket(probe);
    probe.pending.reset();
    probe.phase = Phase::kDone;
    probe.result.success = success;
    probe.result.error = success ? "" : std::move(error);
    probe.result.duration_seconds = clock_.MonotonicSeconds() - start_;
  }

  void FinishAll(const std::string& error) {
    for (Probe& probe : probes_) {
      if (probe.phase != Phase::kDone) Finish(probe, false, error);
    }
  }

  const Conversation* conversation_;
  const Clock& clock_;
  const size_t socket_budget_;
  size_t open_sockets_ = 0;  // probe sockets open now
  double start_ = 0;
  std::vector<Probe> probes_;
  std::shared_ptr<WakePipe> wake_;  // only when some target is a name
  std::map<std::string, std::shared_ptr<PendingLookup>> lookups_;  // one thread per name
};

class TcpProber : public Prober {
 public:
  explicit TcpProber(const Clock& clock) : clock_(clock) {}

  std::vector<ProbeResult> ProbeAll(const std::vector<ProbeTarget>& targets,
                                    double timeout_seconds) override {
    return ProbeSockets(targets, timeout_seconds, nullptr, clock_);
  }

 private:
  const Clock& clock_;
};

}  // namespace

std::vector<ProbeResult> ProbeSockets(const std::vector<ProbeTarget>& targets,
                                      double timeout_seconds,
                                      const Conversation* conversation,
                                      const Clock& clock, size_t max_open_sockets) {
  return Round(conversation, clock, max_open_sockets).Run(targets, timeout_seconds);
}

std::unique_ptr<Prober> NewTcpProber(const Clock& clock) {
  return std::make_unique<TcpProber>(clock);
}

}  // namespace msx
