// The file that runs CivetWeb (router.cc only borrows its URL decoder): it turns its
// connections into HttpRequest values for the Router and writes HttpResponse values
// back.
#include <CivetServer.h>
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

#include "common/log.h"
#include "http/http.h"
#include "http/tls_context.h"
#include "http/web_config.h"

namespace msx {
namespace {

// An IPv4 literal as it is; a name as its first IPv4 address (CivetWeb takes
// addresses only).
bool ResolveIpv4(const std::string& host, std::string* address) {
  in_addr literal{};
  if (inet_pton(AF_INET, host.c_str(), &literal) == 1) {
    *address = host;
    return true;
  }
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    return false;
  }
  char text[INET_ADDRSTRLEN];
  const auto* ipv4 = reinterpret_cast<const sockaddr_in*>(found->ai_addr);
  const bool ok = inet_ntop(AF_INET, &ipv4->sin_addr, text, sizeof(text)) != nullptr;
  freeaddrinfo(found);
  if (ok) *address = text;
  return ok;
}

// ":9887" -> "9887" (every IPv4 interface), "127.0.0.1:0" -> "127.0.0.1:0",
// "localhost:9887" -> "127.0.0.1:9887", "[::1]:9887" as is where CivetWeb has
// IPv6. An "s" suffix makes the port HTTPS.
struct ListenSpec {
  std::string host;       // "" for every interface
  std::string port_spec;  // CivetWeb's listening_ports entry
};

StatusOr<ListenSpec> CivetListeningPort(const std::string& address, bool tls) {
  const size_t colon = address.rfind(':');
  const std::string port = colon == std::string::npos ? "" : address.substr(colon + 1);
  const bool numeric = !port.empty() && port.size() <= 5 &&
                       std::all_of(port.begin(), port.end(),
                                   [](unsigned char c) { return std::isdigit(c); });
  if (!numeric || std::stoi(port) > 65535) {
    return Status::Error("invalid listen address \"" + address +
                         "\": want HOST:PORT or :PORT");
  }
  std::string host = address.substr(0, colon);
  if (!host.empty() && host.front() == '[') {
    if (mg_check_feature(MG_FEATURES_IPV6) == 0) {
      return Status::Error("invalid listen address \"" + address +
                           "\": this CivetWeb is built without IPv6 (Debian's 1.15 is); "
                           "listen on IPv4, e.g. :PORT for every IPv4 interface");
    }
  } else if (!host.empty() && !ResolveIpv4(host, &host)) {
    return Status::Error("invalid listen address \"" + address + "\": cannot resolve \"" +
                         host + "\" to an IPv4 address");
  }
  return ListenSpec{host, (host.empty() ? "" : host + ":") + port + (tls ? "s" : "")};
}

// The descriptors systemd passes (sd_listen_fds(3)): LISTEN_PID must be this
// process, LISTEN_FDS counts them from descriptor 3. Unsets both, as sd_listen_fds(1)
// does, so that no child takes them for its own.
StatusOr<std::vector<int>> SystemdSockets() {
  std::vector<int> fds;
  const char* pid = std::getenv("LISTEN_PID");
  const char* count = std::getenv("LISTEN_FDS");
  if (pid == nullptr || count == nullptr) {
    return Status::Error(
        "--web.systemd-socket: no sockets passed (LISTEN_PID and LISTEN_FDS are "
        "not set: start the exporter from a systemd .socket unit)");
  }
  const std::string pid_text = pid, count_text = count;
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
  if (pid_text != std::to_string(getpid())) {
    return Status::Error("--web.systemd-socket: LISTEN_PID is " + pid_text +
                         ", not this process: the sockets are another process's");
  }
  const int n = std::atoi(count_text.c_str());
  if (n < 1 || n > 64 || count_text != std::to_string(n)) {
    return Status::Error("--web.systemd-socket: LISTEN_FDS is \"" + count_text +
                         "\", want 1 to 64");
  }
  for (int fd = 3; fd < 3 + n; ++fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    int listening = 0, type = 0;
    socklen_t size = sizeof(int);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) != 0) {
      return Status::Error("--web.systemd-socket: descriptor " + std::to_string(fd) +
                           " is not a socket: " + std::strerror(errno));
    }
    if (address.ss_family != AF_INET || type != SOCK_STREAM || listening == 0) {
      return Status::Error(
          "--web.systemd-socket: descriptor " + std::to_string(fd) +
          " is not a listening IPv4 TCP socket (ListenStream=HOST:PORT with an IPv4 "
          "address; this CivetWeb has no IPv6 and no Unix sockets)");
    }
    fds.push_back(fd);
  }
  return fds;
}

// The port an IPv4 socket is bound to; 0 when unknown.
int BoundPort(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      address.sin_family != AF_INET) {
    return 0;
  }
  return ntohs(address.sin_port);
}

// The IPv4 address an IPv4 socket is bound to, "" for every interface.
std::string BoundHost(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  char text[INET_ADDRSTRLEN];
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      address.sin_addr.s_addr == htonl(INADDR_ANY) ||
      inet_ntop(AF_INET, &address.sin_addr, text, sizeof(text)) == nullptr) {
    return "";
  }
  return text;
}

// CivetWeb opens its listening sockets itself and takes none from outside. To
// serve a socket systemd passed, it is started on a loopback placeholder port per
// socket, and each placeholder's descriptor is then made the passed socket with
// dup2(): CivetWeb's accept loop polls and accepts on that descriptor number, and
// so takes its connections from then on. Returns the placeholders' descriptors in
// the order of `ports`, found among this process's sockets by their bound port.
StatusOr<std::vector<int>> FindListeningDescriptors(const std::vector<int>& ports) {
  std::vector<int> fds;
  for (int port : ports) {
    int found = -1;
    for (int fd = 0; fd < 65536 && found < 0; ++fd) {
      int listening = 0;
      socklen_t size = sizeof(listening);
      if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0) {
        if (errno == EBADF && fd > 4096) break;
        continue;
      }
      if (listening != 0 && BoundPort(fd) == port) found = fd;
    }
    if (found < 0) {
      return Status::Error("--web.systemd-socket: cannot find CivetWeb's placeholder socket");
    }
    fds.push_back(found);
  }
  return fds;
}

// Opens and at once closes a TCP connection to the server, which wakes CivetWeb's
// accept loop. `host` is the listen address's host part ("" for every interface).
void Knock(const std::string& host, int port) {
  const bool v6 = !host.empty() && host.front() == '[';
  sockaddr_storage storage{};
  socklen_t length;
  if (v6) {
    auto* addr = reinterpret_cast<sockaddr_in6*>(&storage);
    addr->sin6_family = AF_INET6;
    addr->sin6_port = htons(static_cast<uint16_t>(port));
    const std::string literal = host.substr(1, host.size() - 2);
    if (literal == "::" || inet_pton(AF_INET6, literal.c_str(), &addr->sin6_addr) != 1) {
      addr->sin6_addr = in6addr_loopback;
    }
    length = sizeof(*addr);
  } else {
    auto* addr = reinterpret_cast<sockaddr_in*>(&storage);
    addr->sin_family = AF_INET;
    addr->sin_port = htons(static_cast<uint16_t>(port));
    if (host.empty() || host == "0.0.0.0" ||
        inet_pton(AF_INET, host.c_str(), &addr->sin_addr) != 1) {
      addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    length = sizeof(*addr);
  }
  const int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  connect(fd, reinterpret_cast<sockaddr*>(&storage), length);
  close(fd);
}

// Called in a worker thread as its connection closes: gives the kernel back the
// pages of the thread's stack below the current frame. Hundreds of workers each
// touch a few pages serving a connection (request parsing, error pages, TLS); kept,
// a crowd of connections would leave its mark on RSS for the life of the process.
// Nothing below the stack pointer is live; a page of margin covers the red zone and
// the call to madvise itself.
void ReleaseUnusedStack() {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* low = nullptr;
  size_t size = 0;
  const bool known = pthread_attr_getstack(&attr, &low, &size) == 0;
  pthread_attr_destroy(&attr);
  if (!known) return;
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  // This frame, on the thread's stack even where a sanitizer keeps locals elsewhere.
  const uintptr_t current = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(low) + page - 1) & ~(page - 1);
  const uintptr_t top = reinterpret_cast<uintptr_t>(low) + size;
  if (current < begin + 2 * page || current >= top) return;
  const uintptr_t end = (current & ~(page - 1)) - page;
  if (end <= begin) return;
  madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

// Each connection the server holds is a descriptor: raises the soft limit on open
// files to the hard one when it is lower than `wanted` (as Go programs do at start)
// and returns the soft limit in force.
rlim_t RaiseOpenFileLimit(rlim_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < wanted && limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur;
}

// CivetWeb keeps the first MG_MAX_HEADERS headers of a request and silently drops
// the rest, Content-Length, Transfer-Encoding or Connection among them: the body
// would then be read as the next request. A request that fills the table may have
// lost some, so it is refused.
constexpr int kMaxHeaders = MG_MAX_HEADERS - 1;

// Descriptors kept for everything but client connections: the log, database
// connections, probes, Alertmanager, listening sockets.
constexpr int kReservedDescriptors = 128;
// Fewer workers than this and the server is not worth starting.
constexpr int kMinThreads = 8;

class CivetHttpServer final : public HttpServer {
  // What a re-read of the web config may change while the server runs.
  struct Live {
    WebConfig web;
    std::shared_ptr<const BasicAuthenticator> auth;
    std::shared_ptr<ssl_ctx_st> certificate;  // null: the one configured at start
  };

  // What identifies a file's content cheaply: a rename (certbot) changes the inode,
  // a rewrite the size or the modification time.
  struct FileStamp {
    bool exists = false;
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileStamp& o) const {
      return std::tie(exists, device, inode, size, mtime_ns) ==
             std::tie(o.exists, o.device, o.inode, o.size, o.mtime_ns);
    }
  };

 public:
  CivetHttpServer(const Router& router, HttpServerOptions options, WebConfig web)
      : router_(router),
        options_(std::move(options)),
        web_(std::move(web)),
        live_(std::make_shared<const Live>(
            Live{web_, std::make_shared<const BasicAuthenticator>(web_.basic_auth_users),
                 nullptr})),
        stamps_(Stamps(web_)) {}

  ~CivetHttpServer() override { Stop(); }

  Status Start() {
    std::vector<int> systemd_fds;
    if (options_.systemd_socket) {
      StatusOr<std::vector<int>> passed = SystemdSockets();
      if (!passed.ok()) return passed.status();
      systemd_fds = *passed;
    }
    // CivetWeb listens on each of a comma-separated list.
    std::string ports_spec;
    const std::vector<std::string> placeholders(systemd_fds.size(), "127.0.0.1:0");
    const std::vector<std::string>& addresses =
        options_.systemd_socket ? placeholders : options_.listen_addresses;
    if (addresses.empty()) return Status::Error("no listen address");
    for (const std::string& address : addresses) {
      StatusOr<ListenSpec> spec = CivetListeningPort(address, web_.tls_enabled);
      if (!spec.ok()) return spec.status();
      hosts_.push_back(spec->host);
      ports_spec += (ports_spec.empty() ? "" : ",") + spec->port_spec;
    }
    if (web_.tls_enabled) {
      if (Status tls = CheckServerTls(web_.tls); !tls.ok()) return tls.Prefixed(web_.file + ": ");
    }
    // Every worker may hold a connection; the queue and the rest of the process
    // (log, database connections, probes) need descriptors too.
    const rlim_t open_files = RaiseOpenFileLimit(static_cast<rlim_t>(
        options_.threads + options_.connection_queue + kReservedDescriptors));
    threads_ = options_.threads;
    if (open_files > 0 && static_cast<rlim_t>(threads_ + options_.connection_queue +
                                              kReservedDescriptors) > open_files) {
      threads_ = std::max<int>(kMinThreads, static_cast<int>(open_files) -
                                                options_.connection_queue -
                                                kReservedDescriptors);
    }
    const std::vector<std::string> civet_options = {
        "listening_ports",
        ports_spec,
        "num_threads",
        std::to_string(std::max(1, threads_)),
        "connection_queue",
        std::to_string(std::max(1, options_.connection_queue)),
        "listen_backlog",
        std::to_string(std::max(1, options_.listen_backlog)),
        "request_timeout_ms",
        std::to_string(options_.request_timeout_ms),
        "enable_keep_alive",
        "yes",
        "keep_alive_timeout_ms",
        std::to_string(options_.keep_alive_timeout_ms),
        "max_request_size",
        std::to_string(options_.max_head_bytes),
        // Without it a keep-alive response waits ~40 ms for the client's delayed ACK
        // (Nagle), which is most of a scrape.
        "tcp_nodelay",
        "1",
    };
    CivetCallbacks callbacks;
    callbacks.begin_request = &CivetHttpServer::OnBeginRequest;
    callbacks.log_message = &CivetHttpServer::OnLogMessage;
    callbacks.http_error = &CivetHttpServer::OnHttpError;
    callbacks.connection_closed = [](const mg_connection*) { ReleaseUnusedStack(); };
    if (web_.tls_enabled) callbacks.init_ssl = &CivetHttpServer::OnInitSsl;
    starting_ = true;
    try {
      server_ = std::make_unique<CivetServer>(civet_options, &callbacks, this);
    } catch (const std::exception& e) {
      starting_ = false;
      if (!tls_error_.empty()) return Status::Error(web_.file + ": " + tls_error_);
      // CivetWeb's exception says little; its log said why.
      std::string joined;
      for (const std::string& address : addresses) {
        joined += (joined.empty() ? "" : ", ") + address;
      }
      return Status::Error("cannot listen on " + joined + ": " +
                           (startup_error_.empty() ? e.what() : startup_error_));
    }
    starting_ = false;
    ports_ = server_->getListeningPorts();
    if (options_.systemd_socket) {
      StatusOr<std::vector<int>> found = FindListeningDescriptors(ports_);
      if (!found.ok()) {
        Stop();
        return found.status();
      }
      const std::vector<int>& placeholder_fds = *found;
      for (size_t i = 0; i < systemd_fds.size(); ++i) {
        if (dup2(systemd_fds[i], placeholder_fds[i]) < 0) {
          const Status failed =
              Status::Error(std::string("--web.systemd-socket: dup2: ") + std::strerror(errno));
          Stop();
          return failed;
        }
        close(systemd_fds[i]);
        // The accept loop may be waiting in poll() on the placeholder, which poll
        // keeps alive: a knock on it ends that wait, so that the loop polls the
        // passed socket now rather than at its next 2-second turn.
        Knock("127.0.0.1", ports_[i]);
        ports_[i] = BoundPort(placeholder_fds[i]);
        hosts_[i] = BoundHost(placeholder_fds[i]);
      }
    }
    return Status::Ok();
  }

  int port() const override { return ports_.empty() ? 0 : ports_.front(); }
  std::vector<int> ports() const override { return ports_; }
  int threads() const override { return threads_; }
  bool tls() const override { return web_.tls_enabled; }

  std::map<int, uint64_t> RequestsByCode() const override {
    std::lock_guard<std::mutex> lock(counts_mu_);
    return counts_;
  }

  void Stop() override {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (server_ == nullptr) return;
    // CivetWeb's accept loop sees the stop flag only when poll() returns: on a new
    // connection or every 2 seconds. Knocking until it has stopped makes Stop()
    // take milliseconds. A knock that comes before the flag is an empty connection
    // that a worker closes at once.
    std::atomic<bool> stopped{false};
    std::thread waker([&] {
      while (!stopped) {
        for (size_t i = 0; i < ports_.size() && i < hosts_.size(); ++i) {
          Knock(hosts_[i], ports_[i]);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
    server_->close();  // joins CivetWeb's threads
    stopped = true;
    waker.join();
    server_.reset();
  }

 private:
  static CivetHttpServer* Self(const mg_connection* conn) {
    const mg_context* ctx = mg_get_context(conn);
    if (ctx == nullptr) return nullptr;
    auto* civet = static_cast<CivetServer*>(mg_get_user_data(ctx));
    if (civet == nullptr) return nullptr;
    return static_cast<CivetHttpServer*>(const_cast<void*>(civet->getUserContext()));
  }

  static int OnBeginRequest(mg_connection* conn) {
    CivetHttpServer* self = Self(conn);
    return self == nullptr ? 0 : self->Serve(conn);
  }

  static int OnLogMessage(const mg_connection* conn, const char* message) {
    CivetHttpServer* self = conn == nullptr ? nullptr : Self(conn);
    if (self == nullptr) return 0;
    if (self->starting_ && self->startup_error_.empty()) self->startup_error_ = message;
    if (self->options_.log_error) self->options_.log_error(message);
    return 1;  // never CivetWeb's own logging (to stderr or files)
  }

  // CivetWeb calls this while the CivetServer is being constructed: user_data is
  // that CivetServer, whose user context (this server) is already set.
  static int OnInitSsl(void* ssl_ctx, void* user_data) {
    auto* civet = static_cast<CivetServer*>(user_data);
    auto* self =
        static_cast<CivetHttpServer*>(const_cast<void*>(civet->getUserContext()));
    if (Status tls = ConfigureServerTls(static_cast<ssl_ctx_st*>(ssl_ctx), self->web_.tls);
        !tls.ok()) {
      self->tls_error_ = tls.message();
      return -1;
    }
    OnEveryHandshake(static_cast<ssl_ctx_st*>(ssl_ctx), &CivetHttpServer::OnHandshake,
                     self);
    CountFailedHandshakes(static_cast<ssl_ctx_st*>(ssl_ctx), &self->tls_failures_);
    return 1;  // the context is complete: CivetWeb must not load certificates itself
  }

  // Before the certificate is sent: a rotated certificate is used from the first
  // handshake after its files changed.
  static int OnHandshake(ssl_st* ssl, void* arg) {
    auto* self = static_cast<CivetHttpServer*>(arg);
    const std::shared_ptr<const Live> live = self->Current();
    if (live->certificate == nullptr) return 1;  // the one loaded at start
    return UseServerCertificate(ssl, live->certificate.get()) ? 1 : 0;
  }

  uint64_t TlsHandshakeFailures() const override { return tls_failures_.load(); }

  std::map<int, uint64_t> RefusedByCode() const override {
    std::lock_guard<std::mutex> lock(counts_mu_);
    return refused_;
  }

  // CivetWeb is about to send an error page: a request it refused before any
  // handler (malformed, head too large or too slow) or one refused here by
  // mg_send_http_error (too many headers, body too large).
  static int OnHttpError(mg_connection* conn, int status, const char* /*message*/) {
    if (CivetHttpServer* self = Self(conn)) {
      std::lock_guard<std::mutex> lock(self->counts_mu_);
      ++self->refused_[status];
    }
    return 1;  // CivetWeb's own error page
  }

  std::optional<bool> WebConfigReloadSuccessful() const override {
    if (web_.file.empty()) return std::nullopt;
    return web_config_ok_.load();
  }

  // The web config file and, with TLS, its certificate and key files.
  static std::vector<FileStamp> Stamps(const WebConfig& web) {
    std::vector<std::string> files = {web.file};
    if (web.tls_enabled) {
      files.push_back(web.tls.cert_file);
      files.push_back(web.tls.key_file);
    }
    std::vector<FileStamp> stamps;
    for (const std::string& file : files) {
      FileStamp stamp;
      struct stat info {};
      if (!file.empty() && stat(file.c_str(), &info) == 0) {
        stamp.exists = true;
        stamp.device = info.st_dev;
        stamp.inode = info.st_ino;
        stamp.size = info.st_size;
        stamp.mtime_ns =
            static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
      }
      stamps.push_back(stamp);
    }
    return stamps;
  }

  // The web config in force, re-read first when its file, certificate or key
  // changed (exporter-toolkit reads it per request; a few stat() calls do here). A
  // file that cannot be read or used keeps the last good configuration, says why
  // once and sets WebConfigReloadSuccessful() false until a good one comes.
  std::shared_ptr<const Live> Current() {
    if (!web_.file.empty()) {
      std::lock_guard<std::mutex> reload(reload_mu_);
      const std::shared_ptr<const Live> live = LiveNow();
      const std::vector<FileStamp> now = Stamps(live->web);
      if (!(now == stamps_)) {
        stamps_ = now;
        Reload(*live);
      }
    }
    return LiveNow();
  }

  std::shared_ptr<const Live> LiveNow() const {
    std::lock_guard<std::mutex> lock(live_mu_);
    return live_;
  }

  // REQUIRES: reload_mu_ held.
  void Reload(const Live& old) {
    std::shared_ptr<ssl_ctx_st> certificate = old.certificate;
    StatusOr<WebConfig> loaded = LoadWebConfig(web_.file);
    Status status = loaded.status();
    if (loaded.ok() && loaded->tls_enabled && web_.tls_enabled) {
      StatusOr<std::shared_ptr<ssl_ctx_st>> fresh = LoadServerCertificate(loaded->tls);
      status = fresh.status().Prefixed(loaded->file + ": ");
      if (fresh.ok()) certificate = *fresh;
    }
    if (!status.ok()) {
      web_config_ok_ = false;
      LogError("cannot reload the web config; keeping the last good one",
               {{"file", web_.file}, {"error", status.message()}});
      return;
    }
    const WebConfig& next = *loaded;
    // The port's kind and the client certificate policy are the TLS context's,
    // which CivetWeb made once: they wait for a restart.
    const TlsServerConfig& was = web_.tls;
    const TlsServerConfig& is = next.tls;
    if (next.tls_enabled != web_.tls_enabled ||
        (next.tls_enabled &&
         std::tie(was.client_auth_type, was.client_ca_file, was.min_version,
                  was.max_version) != std::tie(is.client_auth_type, is.client_ca_file,
                                               is.min_version, is.max_version))) {
      LogWarn(
          "web config: TLS on or off, client_auth_type, client_ca_file or the TLS "
          "versions changed; restart the exporter to apply them (users, headers and "
          "the certificate are applied now)",
          {{"file", web_.file}});
    }
    stamps_ = Stamps(next);
    auto live = std::make_shared<const Live>(
        Live{next, std::make_shared<const BasicAuthenticator>(next.basic_auth_users),
             next.tls_enabled && web_.tls_enabled ? certificate : nullptr});
    {
      std::lock_guard<std::mutex> lock(live_mu_);
      live_ = std::move(live);
    }
    web_config_ok_ = true;
    LogInfo("web config reloaded", {{"file", web_.file}});
  }

  int Serve(mg_connection* conn) {
    const std::shared_ptr<const Live> live = Current();
    const BasicAuthenticator& auth = *live->auth;
    const mg_request_info* info = mg_get_request_info(conn);
    HttpRequest req;
    req.method = info->request_method != nullptr ? info->request_method : "";
    req.path = info->local_uri != nullptr ? info->local_uri : "";
    req.query = info->query_string != nullptr ? info->query_string : "";
    for (int i = 0; i < info->num_headers; ++i) {
      std::string name = info->http_headers[i].name;
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      const std::string value = info->http_headers[i].value;
      auto [it, inserted] = req.headers.emplace(name, value);
      if (!inserted) it->second += ", " + value;  // repeated header: one list (RFC 9110)
    }

    // A body announced too large is refused before anything else, unread.
    const bool too_large =
        info->content_length > static_cast<long long>(options_.max_body_bytes);
    HttpResponse response;
    // Counted before the answer goes out: a client that has read it sees it counted.
    auto count = [this](int status) {
      std::lock_guard<std::mutex> lock(counts_mu_);
      ++counts_[status];
    };
    if (info->num_headers > kMaxHeaders) {
      // mg_send_http_error closes the connection: what follows cannot be framed.
      response.status = 431;
      count(response.status);
      mg_send_http_error(conn, 431, "more than %d request headers\n", kMaxHeaders);
    } else if (!too_large && auth.enabled() &&
               !auth.Check(Header(req, "authorization"))) {
      response.status = 401;
      response.body = "Unauthorized\n";
      response.headers["WWW-Authenticate"] = "Basic realm=\"mshost_exporter\"";
      count(response.status);
      Send(conn, response, req.method == "HEAD", live->web.headers);
    } else if (too_large || !ReadBody(conn, &req.body)) {
      // mg_send_http_error also makes CivetWeb close the connection instead of
      // reading the rest of the body only to throw it away.
      response.status = 413;
      count(response.status);
      mg_send_http_error(conn, 413, "request body larger than %zu bytes\n",
                         options_.max_body_bytes);
    } else {
      try {
        response = router_.Serve(req);
      } catch (const std::exception& e) {
        response = HttpResponse{};
        response.status = 500;
        response.body = std::string("internal error: ") + e.what() + "\n";
      }
      count(response.status);
      Send(conn, response, req.method == "HEAD", live->web.headers);
    }
    return response.status;
  }

  static std::string Header(const HttpRequest& req, const std::string& name) {
    const auto it = req.headers.find(name);
    return it == req.headers.end() ? "" : it->second;
  }

  // False when the body turns out larger than the limit (chunked bodies announce
  // no length).
  bool ReadBody(mg_connection* conn, std::string* body) const {
    char buffer[8192];
    for (;;) {
      const int n = mg_read(conn, buffer, sizeof(buffer));
      if (n <= 0) return true;
      if (body->size() + static_cast<size_t>(n) > options_.max_body_bytes) return false;
      body->append(buffer, static_cast<size_t>(n));
    }
  }

  void Send(mg_connection* conn, const HttpResponse& response, bool head,
            const std::map<std::string, std::string>& extra_headers) const {
    mg_response_header_start(conn, response.status);
    mg_response_header_add(conn, "Content-Type", response.content_type.c_str(), -1);
    const std::string length = std::to_string(response.body.size());
    mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
    for (const auto& [name, value] : extra_headers) {
      mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
    }
    for (const auto& [name, value] : response.headers) {
      mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
    }
    mg_response_header_send(conn);
    if (!head && !response.body.empty()) {
      mg_write(conn, response.body.data(), response.body.size());
    }
  }

  const Router& router_;
  const HttpServerOptions options_;
  const WebConfig web_;  // as read at start: the listening sockets and TLS context
  mutable std::mutex live_mu_;
  std::shared_ptr<const Live> live_;  // guarded by live_mu_
  std::mutex reload_mu_;              // one re-read at a time
  std::vector<FileStamp> stamps_;     // guarded by reload_mu_
  std::atomic<bool> web_config_ok_{true};
  // Written during start-up only, from the starting thread.
  std::atomic<bool> starting_{false};
  std::string startup_error_;  // CivetWeb's first complaint
  std::string tls_error_;
  std::vector<std::string> hosts_;  // resolved host per listening socket, "" for all
  std::vector<int> ports_;          // bound port per listening socket
  int threads_ = 0;

  std::mutex stop_mu_;
  std::unique_ptr<CivetServer> server_;  // guarded by stop_mu_ after Start()

  mutable std::mutex counts_mu_;
  std::map<int, uint64_t> counts_;   // guarded by counts_mu_
  std::map<int, uint64_t> refused_;  // guarded by counts_mu_
  std::atomic<uint64_t> tls_failures_{0};
};

// Loads the two shim libraries (civetweb_ssl_shim.c) so that CivetWeb's
// dlopen("libssl.so") and dlopen("libcrypto.so") find them, then lets CivetWeb load
// OpenSSL, once for the life of the process: done per server instead, CivetWeb
// would unload OpenSSL's configuration modules for the whole process whenever its
// last HTTPS server stops. Without the shims CivetWeb is never asked: a half-loaded
// OpenSSL would crash it on the first HTTPS connection.
Status PrepareCivetwebTls() {
  static std::once_flag once;
  static std::string problem;  // written once, under call_once
  std::call_once(once, [] {
    std::vector<std::string> folders;
    char exe[4096];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
      std::string dir(exe, static_cast<size_t>(n));
      dir.erase(dir.rfind('/'));
      folders.push_back(dir + "/civetweb_ssl");
      folders.push_back(dir + "/" MSX_SHIMS_FROM_BINARY);  // where they are installed
    }
    folders.push_back(MSX_CIVETWEB_SSL_DIR);
    for (const std::string& folder : folders) {
      void* ssl = dlopen((folder + "/libssl.so").c_str(), RTLD_NOW | RTLD_LOCAL);
      void* crypto = dlopen((folder + "/libcrypto.so").c_str(), RTLD_NOW | RTLD_LOCAL);
      if (ssl != nullptr && crypto != nullptr) {
        // Both stay loaded for the life of the process.
        if ((mg_init_library(MG_FEATURES_TLS) & MG_FEATURES_TLS) == 0) {
          problem = "CivetWeb could not load OpenSSL through " + folder;
        }
        return;
      }
      if (ssl != nullptr) dlclose(ssl);
      if (crypto != nullptr) dlclose(crypto);
    }
    problem =
        "HTTPS needs libssl.so and libcrypto.so from the build's civetweb_ssl/ "
        "folder (see docs/http.md); looked in";
    for (const std::string& folder : folders) problem += " " + folder;
  });
  return problem.empty() ? Status::Ok() : Status::Error(problem);
}

}  // namespace

StatusOr<std::unique_ptr<HttpServer>> StartHttpServer(const HttpServerOptions& options,
                                                      const Router& router) {
  WebConfig web;
  if (!options.web_config_file.empty()) {
    StatusOr<WebConfig> loaded = LoadWebConfig(options.web_config_file);
    if (!loaded.ok()) return loaded.status();
    web = std::move(loaded).value();
  }
  if (web.tls_enabled) {
    if (Status tls = PrepareCivetwebTls(); !tls.ok()) return tls;
  }
  auto server = std::make_unique<CivetHttpServer>(router, options, std::move(web));
  if (Status started = server->Start(); !started.ok()) return started;
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace msx
