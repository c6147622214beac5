// Probes against real sockets on 127.0.0.1 (ports chosen by the kernel). These are
// the only unit tests that use real time: poll() timeouts cannot be faked, so the
// timeouts here are short and the bounds generous.
#include "probe/tcp_prober.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "probe/prober.h"

namespace msx {
namespace {

int BoundSocket() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ADD_FAILURE() << "bind 127.0.0.1:0 failed: " << errno;
  }
  return fd;
}

int PortOf(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

// A listening socket that never accepts: the kernel completes handshakes anyway.
class Listener {
 public:
  explicit Listener(int backlog = 16) : fd_(BoundSocket()) { listen(fd_, backlog); }
  ~Listener() { close(fd_); }
  int port() const { return PortOf(fd_); }
  int fd() const { return fd_; }

 private:
  int fd_;
};

// A port nothing listens on: bound and never listening, so a connection is refused.
// The socket stays bound until the test program ends: a port that was released could
// be handed out again at once, to a Listener of the same test or as the ephemeral
// port of a probe's own connection (which then connects to itself), and the probe
// would succeed (seen under a loaded machine).
int ClosedPort() {
  static std::vector<int>& held = *new std::vector<int>;
  const int fd = BoundSocket();
  held.push_back(fd);
  return PortOf(fd);
}

// Accepts connections, reads the request and answers each with `reply` (nothing if
// empty), then closes. Records the first request.
class ReplyServer {
 public:
  explicit ReplyServer(std::string reply) : reply_(std::move(reply)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~ReplyServer() {
    // Wakes the blocked accept() (Linux) so the thread ends.
    shutdown(listener_.fd(), SHUT_RDWR);
    thread_.join();
  }
  int port() const { return listener_.port(); }
  std::string first_request() {
    std::lock_guard<std::mutex> lock(mu_);
    return first_request_;
  }

 private:
  void Serve() {
    while (true) {
      const int conn = accept(listener_.fd(), nullptr, nullptr);
      if (conn < 0) return;
      std::string request;
      char buffer[256];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = recv(conn, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (first_request_.empty()) first_request_ = request;
      }
      if (!reply_.empty()) send(conn, reply_.data(), reply_.size(), MSG_NOSIGNAL);
      close(conn);
    }
  }

  Listener listener_;
  const std::string reply_;
  std::mutex mu_;
  std::string first_request_;
  std::thread thread_;
};

size_t OpenFdCount() {
  size_t count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count;
}

std::vector<ProbeResult> Probe(const std::string& kind,
                               const std::vector<ProbeTarget>& targets,
                               double timeout_seconds = 2) {
  static const SystemClock clock;
  ProbeConfig config;
  config.kind = kind;
  std::unique_ptr<Prober> prober = MakeProber(config, clock);
  EXPECT_NE(prober, nullptr);
  return prober->ProbeAll(targets, timeout_seconds);
}

ProbeResult ProbeOne(const std::string& kind, const ProbeTarget& target,
                     double timeout_seconds = 2) {
  std::vector<ProbeResult> results = Probe(kind, {target}, timeout_seconds);
  EXPECT_EQ(results.size(), 1u);
  return results.empty() ? ProbeResult{} : results[0];
}

TEST(ProbeKindTest, Table) {
  const FakeClock clock;
  for (const char* kind : {"tcp", "http"}) {
    ProbeConfig config;
    config.kind = kind;
    EXPECT_NE(MakeProber(config, clock), nullptr) << kind;
  }
  ProbeConfig none;
  none.kind = "none";
  EXPECT_EQ(MakeProber(none, clock), nullptr);
}

// Every kind times its probes on the clock it was given, not on one of its own: on a
// clock that does not move, a probe that took real time lasted 0 s.
TEST(ProbeKindTest, ProbersReadTheInjectedClock) {
  const FakeClock clock;
  Listener listener;
  ReplyServer server("HTTP/1.0 404 Not Found\r\n\r\n");
  for (const auto& [kind, port] :
       {std::make_pair("tcp", listener.port()), std::make_pair("http", server.port())}) {
    ProbeConfig config;
    config.kind = kind;
    const std::vector<ProbeResult> results =
        MakeProber(config, clock)->ProbeAll({{"127.0.0.1", port}}, 5);
    ASSERT_EQ(results.size(), 1u) << kind;
    EXPECT_TRUE(results[0].success) << kind << ": " << results[0].error;
    EXPECT_EQ(results[0].duration_seconds, 0) << kind;
  }
}

TEST(TcpProberTest, ListeningPortSucceeds) {
  Listener listener;
  const ProbeResult r = ProbeOne("tcp", {"127.0.0.1", listener.port()});
  EXPECT_TRUE(r.success) << r.error;
  EXPECT_EQ(r.error, "");
  EXPECT_GE(r.duration_seconds, 0);
  EXPECT_LT(r.duration_seconds, 1);
}

TEST(TcpProberTest, ClosedPortIsRefused) {
  const ProbeResult r = ProbeOne("tcp", {"127.0.0.1", ClosedPort()});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "connection refused");
}

TEST(TcpProberTest, InvalidPortFailsWithoutConnecting) {
  EXPECT_EQ(ProbeOne("tcp", {"127.0.0.1", 0}).error, "invalid port 0");
  EXPECT_EQ(ProbeOne("tcp", {"127.0.0.1", 65536}).error, "invalid port 65536");
  EXPECT_EQ(ProbeOne("tcp", {"", 80}).error, "no host to probe");
}

TEST(TcpProberTest, EmptyTargetListReturnsAtOnce) {
  EXPECT_TRUE(Probe("tcp", {}).empty());
}

TEST(TcpProberTest, ManyTargetsAtOnceInInputOrder) {
  std::vector<std::unique_ptr<Listener>> listeners;
  std::vector<ProbeTarget> targets;
  std::vector<bool> open;
  for (int i = 0; i < 40; ++i) {
    const bool is_open = i % 3 != 1;
    if (is_open) {
      listeners.push_back(std::make_unique<Listener>());
      targets.push_back({"127.0.0.1", listeners.back()->port()});
    } else {
      targets.push_back({"127.0.0.1", ClosedPort()});
    }
    open.push_back(is_open);
  }
  const std::vector<ProbeResult> results = Probe("tcp", targets);
  ASSERT_EQ(results.size(), targets.size());
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].success, open[i]) << i << ": " << results[i].error;
    if (!open[i]) {
      EXPECT_EQ(results[i].error, "connection refused") << i;
    }
  }
}

TEST(TcpProberTest, ClosesEverySocket) {
  Listener listener(128);  // room for every connection this test leaves unaccepted
  const std::vector<ProbeTarget> targets = {
      {"127.0.0.1", listener.port()}, {"127.0.0.1", ClosedPort()}, {"127.0.0.1", 0}};
  Probe("tcp", targets);  // warm-up: descriptors a library opens once
  const size_t before = OpenFdCount();
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(Probe("tcp", targets)[0].success);
    // The listener never answers, so the http probe also leaves by its timeout.
    EXPECT_FALSE(Probe("http", targets, 0.05)[0].success);
  }
  EXPECT_EQ(OpenFdCount(), before);
}

// A listener whose accept queue is full drops new handshakes, so connecting to it
// hangs: the loopback stand-in for a host that does not answer.
class BlackHole {
 public:
  BlackHole() : listener_(0) {
    for (int i = 0; i < 4; ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(listener_.port());
      connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
      fillers_.push_back(fd);
    }
    // The last filler must still be waiting, or the kernel accepts more than we think.
    pollfd p{fillers_.back(), POLLOUT, 0};
    works_ = poll(&p, 1, 200) == 0;
  }
  ~BlackHole() {
    for (int fd : fillers_) close(fd);
  }
  bool works() const { return works_; }
  int port() const { return listener_.port(); }

 private:
  Listener listener_;
  std::vector<int> fillers_;
  bool works_ = false;
};

TEST(TcpProberTest, UnansweredConnectTimesOutWithoutDelayingOthers) {
  BlackHole hole;
  if (!hole.works())
    GTEST_SKIP() << "this kernel does not drop handshakes to a full queue";
  Listener listener;
  const std::vector<ProbeTarget> targets = {{"127.0.0.1", hole.port()},
                                            {"127.0.0.1", hole.port()},
                                            {"127.0.0.1", listener.port()},
                                            {"127.0.0.1", hole.port()}};
  SystemClock clock;
  const double start = clock.MonotonicSeconds();
  const std::vector<ProbeResult> results = Probe("tcp", targets, 0.3);
  const double elapsed = clock.MonotonicSeconds() - start;
  ASSERT_EQ(results.size(), 4u);
  for (size_t i : {0u, 1u, 3u}) {
    EXPECT_FALSE(results[i].success);
    EXPECT_EQ(results[i].error, "timeout");
    EXPECT_GE(results[i].duration_seconds, 0.29);
  }
  EXPECT_TRUE(results[2].success) << results[2].error;
  EXPECT_LT(results[2].duration_seconds, 0.25);
  // One shared deadline, not one per target.
  EXPECT_LT(elapsed, 0.3 * 2);
}

// --- more targets than descriptors -------------------------------------------------

// The lowest descriptor number free now: with the open files limit set to it, no
// descriptor can be opened (the limit bounds numbers, not a count).
rlim_t LowestFreeDescriptor() {
  const int fd = dup(0);
  close(fd);
  return static_cast<rlim_t>(fd);
}

// Lowers this process's open files limit (the soft one) for the test's lifetime.
class OpenFilesLimit {
 public:
  explicit OpenFilesLimit(rlim_t soft) {
    getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit lowered = saved_;
    lowered.rlim_cur = soft;
    EXPECT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
  }
  ~OpenFilesLimit() { setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_{};
};

// Half open (a listener that never accepts, so each connect completes into its
// queue), half closed; expects exactly that.
void ExpectAllProbed(const std::vector<ProbeResult>& results, size_t count) {
  ASSERT_EQ(results.size(), count);
  for (size_t i = 0; i < count; ++i) {
    EXPECT_EQ(results[i].success, i % 2 == 0) << i << ": " << results[i].error;
    if (i % 2 == 1) {
      EXPECT_EQ(results[i].error, "connection refused") << i;
    }
  }
}

std::vector<ProbeTarget> HalfOpenTargets(const Listener& listener, size_t count) {
  const int closed = ClosedPort();
  std::vector<ProbeTarget> targets;
  for (size_t i = 0; i < count; ++i) {
    targets.push_back({"127.0.0.1", i % 2 == 0 ? listener.port() : closed});
  }
  return targets;
}

TEST(TcpProberTest, MoreTargetsThanTheSocketBudgetAreAllProbed) {
  Listener listener(128);
  SystemClock clock;
  ExpectAllProbed(ProbeSockets(HalfOpenTargets(listener, 60), 2, nullptr, clock,
                               /*max_open_sockets=*/4),
                  60);
}

TEST(TcpProberTest, OutOfDescriptorsWaitsForOneInsteadOfFailing) {
  Listener listener(128);
  const std::vector<ProbeTarget> targets = HalfOpenTargets(listener, 60);
  std::vector<ProbeResult> results;
  {
    // Room for a handful of sockets: far fewer than targets, and fewer than the
    // budget the prober computes from the limit (the minimum), so socket() itself
    // fails with EMFILE.
    OpenFilesLimit limit(LowestFreeDescriptor() + 3);
    SystemClock clock;
    results = ProbeSockets(targets, 2, nullptr, clock);
  }
  ExpectAllProbed(results, 60);
}

TEST(TcpProberTest, NoDescriptorAtAllTimesOutNamingTheLimit) {
  Listener listener;
  std::vector<ProbeResult> results;
  {
    SystemClock clock;
    // UndefinedBehaviorSanitizer's first check of a virtual call through Clock& needs a
    // file descriptor of its own (it tests that the object's memory is readable
    // through a pipe); without one it reports a false "invalid vptr". A round with no
    // targets makes that first check while descriptors are still free.
    ProbeSockets({}, 0.1, nullptr, clock);
    OpenFilesLimit limit(LowestFreeDescriptor());
    results = ProbeSockets({{"127.0.0.1", listener.port()}}, 0.1, nullptr, clock);
  }
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].success);
  EXPECT_EQ(
      results[0].error.rfind("timeout waiting for a free file descriptor (open files "
                             "limit ",
                             0),
      0u)
      << results[0].error;
}

TEST(TcpProberTest, ResolvesNames) {
  Listener listener;
  const ProbeResult r = ProbeOne("tcp", {"localhost", listener.port()});
  EXPECT_TRUE(r.success) << r.error;
}

TEST(TcpProberTest, UnknownNameFailsClearlyAndOthersStillSucceed) {
  Listener listener;
  // .invalid never resolves (RFC 6761); without DNS the lookup may time out instead.
  const std::vector<ProbeResult> results =
      Probe("tcp", {{"no-such-host.invalid", 9090}, {"127.0.0.1", listener.port()}}, 1);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0].success);
  EXPECT_TRUE(results[0].error == "no such host: no-such-host.invalid" ||
              results[0].error == "timeout resolving no-such-host.invalid")
      << results[0].error;
  EXPECT_TRUE(results[1].success) << results[1].error;
}

TEST(HttpProberTest, HttpReplyIsAlive) {
  ReplyServer server("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  const ProbeResult r = ProbeOne("http", {"127.0.0.1", server.port()});
  EXPECT_TRUE(r.success) << r.error;
  EXPECT_EQ(server.first_request().rfind("GET / HTTP/1.0\r\n", 0), 0u)
      << server.first_request();
}

TEST(HttpProberTest, OtherProtocolIsNotAlive) {
  ReplyServer server("SSH-2.0-OpenSSH_9.2\r\n");
  const ProbeResult r = ProbeOne("http", {"127.0.0.1", server.port()});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "not an HTTP reply");
}

TEST(HttpProberTest, TlsPortIsNamed) {
  ReplyServer server(std::string("\x15\x03\x01\x00\x02\x02\x46", 7));
  const ProbeResult r = ProbeOne("http", {"127.0.0.1", server.port()});
  EXPECT_FALSE(r.success);
  EXPECT_NE(r.error.find("TLS"), std::string::npos) << r.error;
}

TEST(HttpProberTest, CloseWithoutReplyIsNotAlive) {
  ReplyServer server("");
  const ProbeResult r = ProbeOne("http", {"127.0.0.1", server.port()});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "connection closed without a reply");
}

TEST(HttpProberTest, SilentServerTimesOut) {
  Listener listener;  // handshakes complete, nobody ever reads or answers
  const ProbeResult r = ProbeOne("http", {"127.0.0.1", listener.port()}, 0.2);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "timeout waiting for a reply");
}

TEST(HttpProberTest, RefusedAndAliveTogether) {
  ReplyServer server("HTTP/1.0 200 OK\r\n\r\n");
  const std::vector<ProbeResult> results =
      Probe("http", {{"127.0.0.1", ClosedPort()}, {"127.0.0.1", server.port()}});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].error, "connection refused");
  EXPECT_TRUE(results[1].success) << results[1].error;
}

}  // namespace
}  // namespace msx
