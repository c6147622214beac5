// Private to exporter/http/: applies a parsed tls_server_config to the OpenSSL
// context CivetWeb creates for its HTTPS port.
//
// CivetWeb's own TLS options cannot express Go's client_auth_type values or a
// maximum TLS version, so http_server.cc lets this code configure the whole context
// instead. Called once per server start from CivetWeb's start-up; no shared state.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "http/web_config.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX
struct ssl_st;      // OpenSSL's SSL

namespace msx {

// Loads the certificate chain and key, sets the protocol range and the client
// certificate policy. A failure names the file or key in one line.
Status ConfigureServerTls(ssl_ctx_st* ctx, const TlsServerConfig& tls);

// ConfigureServerTls on a throwaway context: finds unreadable or mismatched files
// before CivetWeb starts. (CivetWeb 1.15 leaves its TLS library state broken after a
// start that fails in TLS setup, so such failures must not reach it.)
Status CheckServerTls(const TlsServerConfig& tls);

// A context that only holds tls's certificate chain and key (loaded and checked as
// ConfigureServerTls does), for UseServerCertificate.
StatusOr<std::shared_ptr<ssl_ctx_st>> LoadServerCertificate(const TlsServerConfig& tls);

// Makes `ssl` (a connection in its handshake) present the chain and key held by
// `certificate` instead of its context's. False when they cannot be set.
bool UseServerCertificate(ssl_st* ssl, ssl_ctx_st* certificate);

// Calls `callback(ssl, arg)` at every handshake on `ctx`, before the server's
// certificate is sent (OpenSSL's certificate callback; 1 = go on, 0 = fail).
void OnEveryHandshake(ssl_ctx_st* ctx, int (*callback)(ssl_st*, void*), void* arg);

// Adds one to *failures for every handshake on `ctx` that ends in a fatal alert,
// sent or received. `failures` must outlive the context.
void CountFailedHandshakes(ssl_ctx_st* ctx, std::atomic<uint64_t>* failures);

}  // namespace msx
