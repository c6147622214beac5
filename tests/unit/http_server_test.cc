// The server over real loopback sockets: framing, keep-alive, limits, basic auth and
// TLS. Ports are always 0 (the kernel picks); certificates are made by the openssl
// CLI at test time.
#include <arpa/inet.h>
#include <crypt.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "http/http.h"

namespace msx {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// A blocking loopback connection, plain or TLS, with a receive timeout so that a
// broken server fails the test instead of hanging it.
class Connection {
 public:
  explicit Connection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Connection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    close(fd_);
  }

  bool connected() const { return connected_; }

  // Returns false when the handshake fails. cert/key: a client certificate.
  bool StartTls(const std::string& cert = "", const std::string& key = "",
                int max_version = 0) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (max_version != 0) SSL_CTX_set_max_proto_version(ctx_, max_version);
    if (!cert.empty()) {
      SSL_CTX_use_certificate_file(ctx_, cert.c_str(), SSL_FILETYPE_PEM);
      SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM);
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    const bool ok = SSL_connect(ssl_) == 1;
    ERR_clear_error();
    return ok;
  }

  void Send(const std::string& data) {
    if (ssl_ != nullptr) {
      SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    } else {
      ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    }
  }

  // Reads one response; `head` means no body follows the headers. status 0 when the
  // connection closed or timed out first.
  RawResponse Read(bool head = false) {
    RawResponse response;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return response;
    }
    const std::string head_text = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    size_t line_end = head_text.find("\r\n");
    const std::string status_line = head_text.substr(0, line_end);
    response.status = std::stoi(status_line.substr(status_line.find(' ') + 1, 3));
    while (line_end != std::string::npos) {
      const size_t start = line_end + 2;
      line_end = head_text.find("\r\n", start);
      const std::string line = head_text.substr(start, line_end - start);
      const size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      response.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    if (head) return response;
    if (response.headers.count("content-length") == 0) {  // ends when the server closes
      while (Fill()) {
      }
      response.body = std::move(buffer_);
      buffer_.clear();
      return response;
    }
    const size_t length = std::stoul(response.headers["content-length"]);
    while (buffer_.size() < length) {
      if (!Fill()) return RawResponse{};
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

 private:
  bool Fill() {
    char chunk[4096];
    const int n = ssl_ != nullptr ? SSL_read(ssl_, chunk, sizeof(chunk))
                                  : static_cast<int>(recv(fd_, chunk, sizeof(chunk), 0));
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

std::string Get(const std::string& path, const std::string& extra_headers = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extra_headers + "\r\n";
}

RawResponse RoundTrip(int port, const std::string& request) {
  Connection conn(port);
  conn.Send(request);
  return conn.Read();
}

class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/msx_http_test_XXXXXX";
    if (mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = name;
  }
  ~TempDir() {
    std::error_code ignored;  // a folder left in /tmp is no test failure
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
    return path_ + "/" + name;
  }

 private:
  std::string path_;
};

// A self-signed EC certificate and key for CN=localhost in `dir`, as name.pem and
// name.key.
void MakeCertificate(const TempDir& dir, const std::string& name) {
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=localhost -keyout '" +
      dir.path() + "/" + name + ".key' -out '" + dir.path() + "/" + name +
      ".pem' 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() {
    router_.Handle("GET", "/metrics", [](const HttpRequest&) {
      HttpResponse response;
      response.content_type = "text/plain; version=0.0.4; charset=utf-8";
      response.body = "hello\n";
      return response;
    });
    router_.Handle("POST", "/echo", [](const HttpRequest& req) {
      HttpResponse response;
      const auto agent = req.headers.find("x-test");
      response.body = req.method + " " + req.path + "?" + req.query + " " +
                      (agent == req.headers.end() ? "-" : agent->second) + " " + req.body;
      return response;
    });
    router_.Handle("GET", "/throw", [](const HttpRequest&) -> HttpResponse {
      throw std::runtime_error("boom");
    });
  }

  std::unique_ptr<HttpServer> Start(HttpServerOptions options = {}) {
    if (options.listen_addresses == std::vector<std::string>{":9887"}) {
      options.listen_addresses = {"127.0.0.1:0"};
    }
    StatusOr<std::unique_ptr<HttpServer>> server = StartHttpServer(options, router_);
    EXPECT_TRUE(server.ok()) << server.status().message();
    if (!server.ok()) return nullptr;
    EXPECT_GT((*server)->port(), 0);
    return std::move(server).value();
  }

  // The error of a start that must fail.
  std::string StartError(const HttpServerOptions& options) {
    StatusOr<std::unique_ptr<HttpServer>> server = StartHttpServer(options, router_);
    EXPECT_FALSE(server.ok());
    return server.status().message();
  }

  Router router_;
};

TEST_F(HttpServerTest, ServesRouteWithContentTypeAndLength) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  RawResponse response = RoundTrip(server->port(), Get("/metrics"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(response.headers["content-length"], "6");
  EXPECT_EQ(response.body, "hello\n");
  EXPECT_FALSE(server->tls());
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(RoundTrip(server->port(), Get("/metrics/x")).status, 404);
  EXPECT_EQ(RoundTrip(server->port(), Get("/nope")).status, 404);
  RawResponse response =
      RoundTrip(server->port(), "DELETE /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers["allow"], "GET, HEAD");
}

TEST_F(HttpServerTest, PassesMethodPathQueryHeadersAndBody) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  const RawResponse response = RoundTrip(
      server->port(),
      "POST /echo?target=a%20b HTTP/1.1\r\nHost: t\r\nX-Test: one\r\nx-test: two\r\n"
      "Content-Length: 4\r\n\r\nbody");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "POST /echo?target=a%20b one, two body");
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  Connection conn(server->port());
  ASSERT_TRUE(conn.connected());
  for (int i = 0; i < 3; ++i) {
    conn.Send(Get("/metrics"));
    const RawResponse response = conn.Read();
    EXPECT_EQ(response.status, 200) << "request " << i;
    EXPECT_EQ(response.body, "hello\n");
  }
  // HEAD: the GET's headers, no body, and the connection stays usable.
  conn.Send("HEAD /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
  RawResponse head = conn.Read(/*head=*/true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["content-length"], "6");
  conn.Send(Get("/nope"));
  EXPECT_EQ(conn.Read().status, 404);
}

TEST_F(HttpServerTest, TooLargeBodyIs413) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  auto server = Start(options);
  ASSERT_NE(server, nullptr);
  // Announced too large: refused before reading, and the connection is given up.
  Connection conn(server->port());
  conn.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n" +
            std::string(1000, 'z'));
  RawResponse refused = conn.Read();
  EXPECT_EQ(refused.status, 413);
  EXPECT_EQ(refused.headers["connection"], "close");
  EXPECT_THAT(refused.body, HasSubstr("request body larger than 1024 bytes"));
  // Chunked, so only reading finds out.
  std::string chunk(2000, 'x');
  char size[16];
  std::snprintf(size, sizeof(size), "%zx", chunk.size());
  EXPECT_EQ(
      RoundTrip(server->port(),
                "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
                    std::string(size) + "\r\n" + chunk + "\r\n0\r\n\r\n")
          .status,
      413);
  // At the limit is fine.
  const RawResponse ok = RoundTrip(
      server->port(), "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1024\r\n\r\n" +
                          std::string(1024, 'y'));
  EXPECT_EQ(ok.status, 200);
}

// CivetWeb would drop headers past its table, Connection: close among them here,
// and keep the connection open as if the client had not asked to close it.
TEST_F(HttpServerTest, TooManyHeadersIs431) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  auto headers = [](int n) {
    std::string text;
    for (int i = 0; i < n; ++i) text += "X-H" + std::to_string(i) + ": v\r\n";
    return text;
  };
  // Host and 62 more: at the limit.
  EXPECT_EQ(RoundTrip(server->port(), Get("/metrics", headers(62))).status, 200);
  for (int extra : {63, 200}) {
    RawResponse refused = RoundTrip(
        server->port(), Get("/metrics", headers(extra) + "Connection: close\r\n"));
    EXPECT_EQ(refused.status, 431) << extra;
    EXPECT_EQ(refused.headers["connection"], "close") << extra;
    EXPECT_THAT(refused.body, HasSubstr("more than 63 request headers")) << extra;
  }
  EXPECT_EQ(server->RequestsByCode()[431], 2u);
}

TEST_F(HttpServerTest, OversizedRequestHeadIs400AndClosed) {
  HttpServerOptions options;
  options.max_head_bytes = 2048;
  auto server = Start(options);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(RoundTrip(server->port(),
                      Get("/metrics", "X-Big: " + std::string(1500, 'a') + "\r\n"))
                .status,
            200);
  Connection conn(server->port());
  conn.Send(Get("/metrics", "X-Big: " + std::string(3000, 'a') + "\r\n"));
  RawResponse refused = conn.Read();
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.headers["connection"], "close");
  conn.Send(Get("/metrics"));
  EXPECT_EQ(conn.Read().status, 0);  // closed
  // A request line alone over the limit as well.
  EXPECT_EQ(RoundTrip(server->port(), Get("/" + std::string(3000, 'p'))).status, 400);
}

TEST_F(HttpServerTest, HandlerExceptionIs500AndCountsByCode) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  const RawResponse response = RoundTrip(server->port(), Get("/throw"));
  EXPECT_EQ(response.status, 500);
  EXPECT_THAT(response.body, HasSubstr("boom"));
  RoundTrip(server->port(), Get("/metrics"));
  RoundTrip(server->port(), Get("/metrics"));
  const std::map<int, uint64_t> counts = server->RequestsByCode();
  EXPECT_EQ(counts.at(200), 2u);
  EXPECT_EQ(counts.at(500), 1u);
}

TEST_F(HttpServerTest, StopIsIdempotentAndClosesThePort) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  server->Stop();
  server->Stop();
  EXPECT_FALSE(Connection(port).connected());
}

TEST_F(HttpServerTest, ListenErrorsAreOneLine) {
  auto first = Start();
  ASSERT_NE(first, nullptr);
  std::string error;
  HttpServerOptions options;
  options.listen_addresses = {"127.0.0.1:" + std::to_string(first->port())};
  error = StartError(options);
  EXPECT_THAT(error, StartsWith("cannot listen on 127.0.0.1:"));
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;

  for (const char* bad : {"9887", "127.0.0.1", "127.0.0.1:http", ":99999", ""}) {
    options.listen_addresses = {bad};
    error = StartError(options);
    EXPECT_THAT(error, HasSubstr("invalid listen address")) << bad;
  }
}

TEST_F(HttpServerTest, BasicAuthGuardsEveryPath) {
  TempDir dir;
  const char* hash = crypt("s3cret", crypt_gensalt("$2b$", 4, nullptr, 0));
  ASSERT_NE(hash, nullptr);
  HttpServerOptions options;
  options.web_config_file =
      dir.Write("web.yml", std::string("basic_auth_users:\n  alice: ") + hash + "\n");
  auto server = Start(options);
  ASSERT_NE(server, nullptr);

  RawResponse response = RoundTrip(server->port(), Get("/metrics"));
  EXPECT_EQ(response.status, 401);
  EXPECT_THAT(response.headers["www-authenticate"], StartsWith("Basic"));
  // Unknown paths too: nothing about the routes leaks without credentials.
  EXPECT_EQ(RoundTrip(server->port(), Get("/nope")).status, 401);
  // alice:wrong, bob:s3cret, alice:s3cret
  EXPECT_EQ(RoundTrip(server->port(),
                      Get("/metrics", "Authorization: Basic YWxpY2U6d3Jvbmc=\r\n"))
                .status,
            401);
  EXPECT_EQ(RoundTrip(server->port(),
                      Get("/metrics", "Authorization: Basic Ym9iOnMzY3JldA==\r\n"))
                .status,
            401);
  response = RoundTrip(server->port(),
                       Get("/metrics", "Authorization: Basic YWxpY2U6czNjcmV0\r\n"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello\n");
}

TEST_F(HttpServerTest, WebConfigHeadersAreAdded) {
  TempDir dir;
  HttpServerOptions options;
  options.web_config_file = dir.Write(
      "web.yml", "http_server_config:\n  headers:\n    X-Frame-Options: deny\n");
  auto server = Start(options);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(RoundTrip(server->port(), Get("/metrics")).headers["x-frame-options"],
            "deny");
}

TEST_F(HttpServerTest, BadWebConfigIsAnErrorNamingTheFile) {
  TempDir dir;
  HttpServerOptions options;
  options.listen_addresses = {"127.0.0.1:0"};
  options.web_config_file =
      dir.Write("web.yml", "tls_server_config:\n  cert_file: x.pem\n");
  std::string error;
  error = StartError(options);
  EXPECT_THAT(error, HasSubstr(options.web_config_file));
  EXPECT_THAT(error, HasSubstr("missing key_file"));

  options.web_config_file = dir.path() + "/absent.yml";
  error = StartError(options);
  EXPECT_THAT(error, HasSubstr("absent.yml"));

  // Parses, but the certificate file does not exist: found when TLS starts.
  options.web_config_file = dir.Write(
      "web2.yml", "tls_server_config:\n  cert_file: none.pem\n  key_file: none.key\n");
  error = StartError(options);
  EXPECT_THAT(error, HasSubstr("web2.yml"));
  EXPECT_THAT(error, HasSubstr(dir.path() + "/none.pem"));
}

TEST_F(HttpServerTest, ServesHttpsWithRelativeCertificatePaths) {
  TempDir dir;
  MakeCertificate(dir, "server");
  HttpServerOptions options;
  options.web_config_file = dir.Write(
      "web.yml", "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n");
  auto server = Start(options);
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(server->tls());

  Connection conn(server->port());
  ASSERT_TRUE(conn.StartTls());
  conn.Send(Get("/metrics"));
  RawResponse response = conn.Read();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello\n");
  conn.Send(Get("/metrics"));  // keep-alive over TLS
  EXPECT_EQ(conn.Read().status, 200);

  // Plain HTTP to the TLS port gets no HTTP answer.
  EXPECT_EQ(RoundTrip(server->port(), Get("/metrics")).status, 0);
}

TEST_F(HttpServerTest, TlsMinVersionIsEnforced) {
  TempDir dir;
  MakeCertificate(dir, "server");
  HttpServerOptions options;
  options.web_config_file =
      dir.Write("web.yml",
                "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
                "  min_version: TLS13\n");
  auto server = Start(options);
  ASSERT_NE(server, nullptr);
  EXPECT_FALSE(Connection(server->port()).StartTls("", "", TLS1_2_VERSION));
  EXPECT_TRUE(Connection(server->port()).StartTls("", "", TLS1_3_VERSION));
}

TEST_F(HttpServerTest, RequireAndVerifyClientCert) {
  TempDir dir;
  MakeCertificate(dir, "server");
  MakeCertificate(dir, "client");    // trusted: its own CA
  MakeCertificate(dir, "stranger");  // not trusted
  HttpServerOptions options;
  options.web_config_file = dir.Write(
      "web.yml",
      "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
      "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: client.pem\n");
  auto server = Start(options);
  ASSERT_NE(server, nullptr);

  Connection trusted(server->port());
  ASSERT_TRUE(trusted.StartTls(dir.path() + "/client.pem", dir.path() + "/client.key"));
  trusted.Send(Get("/metrics"));
  EXPECT_EQ(trusted.Read().status, 200);

  // With TLS 1.3 the client learns of the rejection on its first read.
  for (const std::string& who : {std::string(""), std::string("stranger")}) {
    Connection conn(server->port());
    const bool handshake = who.empty() ? conn.StartTls()
                                       : conn.StartTls(dir.path() + "/" + who + ".pem",
                                                       dir.path() + "/" + who + ".key");
    if (handshake) {
      conn.Send(Get("/metrics"));
      EXPECT_EQ(conn.Read().status, 0) << who;
    }
  }
}

TEST_F(HttpServerTest, RequireAnyClientCertAcceptsUntrustedCertificates) {
  TempDir dir;
  MakeCertificate(dir, "server");
  MakeCertificate(dir, "stranger");
  HttpServerOptions options;
  options.web_config_file =
      dir.Write("web.yml",
                "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
                "  client_auth_type: RequireAnyClientCert\n");
  auto server = Start(options);
  ASSERT_NE(server, nullptr);

  Connection with_cert(server->port());
  ASSERT_TRUE(
      with_cert.StartTls(dir.path() + "/stranger.pem", dir.path() + "/stranger.key"));
  with_cert.Send(Get("/metrics"));
  EXPECT_EQ(with_cert.Read().status, 200);

  Connection without(server->port());
  if (without.StartTls()) {
    without.Send(Get("/metrics"));
    EXPECT_EQ(without.Read().status, 0);
  }
}

}  // namespace
}  // namespace msx
