// The HTTP boundary: plain request/response values, an exact-path router, and a
// server that runs CivetWeb behind them.
//
// Only exporter/http/ includes CivetWeb: http_server.cc runs it, router.cc uses its URL
// decoder. Handlers are plain functions from HttpRequest to HttpResponse, so every
// route is unit-tested without sockets. The server calls handlers from CivetWeb's
// worker threads: handlers must be thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace msx {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string, not decoded further
  std::string query;   // raw, without '?'
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // The first value of a query parameter, URL-decoded; nullopt-like "" with
  // *found=false when absent.
  std::string QueryParam(const std::string& name, bool* found = nullptr) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::map<std::string, std::string> headers;  // extra headers (Allow, ...)
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Exact path match; an unknown path is 404, a known path with another method is 405
// with an Allow header. HEAD is answered wherever GET is: Serve() returns the GET
// response, body included, and the server sends its headers without the body.
// Handle() all routes before serving; Serve() is then safe from many threads.
class Router {
 public:
  void Handle(const std::string& method, const std::string& path, HttpHandler handler);
  HttpResponse Serve(const HttpRequest& req) const;

 private:
  std::map<std::string, std::map<std::string, HttpHandler>> routes_;  // path -> method
};

// The limits are fixed (docs/security.md says why each value); unit tests lower
// some. Each worker thread serves one connection at a time: the timeouts bound how
// long a client that sends slowly, or not at all, can hold one.
struct HttpServerOptions {
  // "HOST:PORT" or ":PORT"; port 0 = any free. One listening socket each.
  std::vector<std::string> listen_addresses = {":9887"};
  // Instead of listen_addresses, the sockets systemd passes (socket activation: the
  // sd_listen_fds protocol, LISTEN_PID and LISTEN_FDS, descriptors from 3). Each must
  // be a listening IPv4 TCP socket.
  bool systemd_socket = false;
  std::string web_config_file;  // exporter-toolkit web config (TLS, auth)
  // Connections served at once. Each idle or slow connection holds one worker
  // until a timeout below cuts it off, so up to this many minus those the scrapers
  // need cannot keep a new client waiting (docs/security.md). An idle worker costs
  // about 20 KiB. Lowered to fit the open-files limit.
  int threads = 640;
  int connection_queue = 16;  // accepted connections waiting for a thread
  // Connections the kernel holds before accept. Above the pool's idle crowd (about
  // 600) so that a burst of connections completes its handshakes at once: past the
  // backlog the kernel drops SYNs and clients retry after 1, 3, 7 s, longer than a
  // first connection waits for its request (docs/security.md).
  int listen_backlog = 1024;
  // A new connection's TLS handshake, and its first request line and headers, must
  // each complete within this however they trickle in; it also bounds each wait
  // to read a body or to write a response.
  int request_timeout_ms = 5000;
  // A kept-alive connection idle this long is closed; a next request's line and
  // headers must arrive within it.
  int keep_alive_timeout_ms = 500;
  size_t max_head_bytes = 16 * 1024;  // request line and headers; larger get 400
  size_t max_body_bytes = 64 * 1024;  // larger request bodies get 413
  // Receives CivetWeb's own error messages (one line each); may be empty.
  std::function<void(const std::string&)> log_error;
};

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // The port actually bound (useful with port 0): the first listening socket's.
  virtual int port() const = 0;
  // Every listening socket's port, in the order of the addresses (or descriptors).
  virtual std::vector<int> ports() const = 0;
  // Worker threads actually started (HttpServerOptions::threads, or fewer to fit
  // the open-files limit).
  virtual int threads() const = 0;
  // True when serving HTTPS (the web config has tls_server_config).
  virtual bool tls() const = 0;
  // Whether the last re-read of the web config succeeded (it is re-read when its
  // file, certificate or key changes); nullopt without a web config file.
  virtual std::optional<bool> WebConfigReloadSuccessful() const = 0;
  // TLS handshakes that failed (ended in a fatal alert) so far.
  virtual uint64_t TlsHandshakeFailures() const = 0;
  // Requests refused with an error page before reaching a handler, by status code:
  // malformed or oversized heads, heads that did not arrive in time, too many
  // headers, bodies too large.
  virtual std::map<int, uint64_t> RefusedByCode() const = 0;
  // Responses sent so far by status code (mshost_exporter_http_requests_total).
  virtual std::map<int, uint64_t> RequestsByCode() const = 0;
  // Stops accepting and waits for running handlers; safe to call twice.
  virtual void Stop() = 0;
};

// Starts serving `router` (which must outlive the server). With
// options.web_config_file set, reads it first: TLS, basic auth (guarding every
// path) and extra headers. A failure says why ("cannot listen on :9887: address in
// use", "web.yml:2:3: tls_server_config...").
StatusOr<std::unique_ptr<HttpServer>> StartHttpServer(const HttpServerOptions& options,
                                                      const Router& router);

}  // namespace msx
