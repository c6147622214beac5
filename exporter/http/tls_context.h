// Private to exporter/http/: applies a parsed tls_server_config to the OpenSSL
// context CivetWeb creates for its HTTPS port.
//
// CivetWeb's own TLS options cannot express Go's client_auth_type values or a
// maximum TLS version, so http_server.cc lets this code configure the whole context
// instead. Called once per server start from CivetWeb's start-up; no shared state.
#pragma once

#include <string>

#include "http/web_config.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace msx {

// Loads the certificate chain and key, sets the protocol range and the client
// certificate policy. Returns false with a one-line *error naming the file or key.
bool ConfigureServerTls(ssl_ctx_st* ctx, const TlsServerConfig& tls, std::string* error);

// ConfigureServerTls on a throwaway context: finds unreadable or mismatched files
// before CivetWeb starts. (CivetWeb 1.15 leaves its TLS library state broken after a
// start that fails in TLS setup, so such failures must not reach it.)
bool CheckServerTls(const TlsServerConfig& tls, std::string* error);

}  // namespace msx
