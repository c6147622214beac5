/* A stand-in for "libssl.so" that lets Debian 12's CivetWeb serve HTTPS.
 *
 * Debian's libcivetweb 1.15 is built for the OpenSSL 1.1 API and loads OpenSSL at
 * run time with dlopen("libssl.so"), then looks up SSL_get_peer_certificate, which
 * OpenSSL 3 no longer exports (it became a macro for SSL_get1_peer_certificate).
 * The lookup fails: CivetWeb refuses the first HTTPS start and crashes on the first
 * connection of a later one. http_server.cc loads this library (soname
 * "libssl.so") before CivetWeb asks, so the dynamic loader hands it to CivetWeb:
 * it exports the missing function and CivetWeb finds every other one in its
 * dependency, the real libssl.so.3. */
#include <openssl/ssl.h>

#undef SSL_get_peer_certificate

X509 *SSL_get_peer_certificate(const SSL *ssl);

/* As in OpenSSL 1.1, the caller owns a reference (CivetWeb frees it). */
X509 *SSL_get_peer_certificate(const SSL *ssl) { return SSL_get1_peer_certificate(ssl); }
