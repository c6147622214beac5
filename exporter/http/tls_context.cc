#include "http/tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "http/web_config.h"

namespace msx {
namespace {

// The oldest OpenSSL error of this thread, consumed, or a fallback.
std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

int ProtocolVersion(const std::string& name) {
  if (name == "TLS10") return TLS1_VERSION;
  if (name == "TLS11") return TLS1_1_VERSION;
  if (name == "TLS12") return TLS1_2_VERSION;
  return TLS1_3_VERSION;
}

// Go's RequestClientCert and RequireAnyClientCert ask for a certificate but do not
// verify it.
int AcceptAnyCertificate(int /*preverified*/, X509_STORE_CTX* /*store*/) { return 1; }

}  // namespace

Status ConfigureServerTls(ssl_ctx_st* ctx, const TlsServerConfig& tls) {
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1) {
    return Status::Error("tls_server_config.cert_file " + tls.cert_file + ": " + OpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status::Error("tls_server_config.key_file " + tls.key_file + ": " + OpenSslError());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return Status::Error("tls_server_config.key_file " + tls.key_file + " does not match cert_file " +
             tls.cert_file);
  }
  if (SSL_CTX_set_min_proto_version(ctx, ProtocolVersion(tls.min_version)) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, ProtocolVersion(tls.max_version)) != 1) {
    return Status::Error("tls_server_config.min_version/max_version: " + OpenSslError());
  }
  // Without a session id context OpenSSL refuses to resume sessions once peer
  // verification is on.
  static const unsigned char kSessionContext[] = "mshost_exporter";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);

  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, tls.client_ca_file.c_str(), nullptr) != 1) {
      return Status::Error("tls_server_config.client_ca_file " + tls.client_ca_file + ": " +
               OpenSslError());
    }
    // The list of acceptable issuers sent to clients; ownership passes to ctx.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
    if (names == nullptr) {
      ERR_clear_error();
      return Status::Error("tls_server_config.client_ca_file " + tls.client_ca_file +
               ": no certificates in it");
    }
    SSL_CTX_set_client_CA_list(ctx, names);
  }

  const std::string& type = tls.client_auth_type;
  if (type == "RequestClientCert") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, AcceptAnyCertificate);
  } else if (type == "RequireAnyClientCert") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       AcceptAnyCertificate);
  } else if (type == "VerifyClientCertIfGiven") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else if (type == "RequireAndVerifyClientCert") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return Status::Ok();
}

Status CheckServerTls(const TlsServerConfig& tls) {
  return LoadServerCertificate(tls).status();
}

StatusOr<std::string> CertificatePublicKeyPin(const std::string& cert_file) {
  ERR_clear_error();
  BIO* bio = BIO_new_file(cert_file.c_str(), "r");
  X509* cert =
      bio != nullptr ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  if (bio != nullptr) BIO_free(bio);
  if (cert == nullptr) {
    return Status::Error("no certificate in " + cert_file + ": " + OpenSslError());
  }
  unsigned char* der = nullptr;
  const int der_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  X509_free(cert);
  if (der_len <= 0) {
    return Status::Error("cannot encode the public key of " + cert_file + ": " +
                         OpenSslError());
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(der_len), digest);
  OPENSSL_free(der);
  unsigned char base64[4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1];
  EVP_EncodeBlock(base64, digest, SHA256_DIGEST_LENGTH);
  return "sha256//" + std::string(reinterpret_cast<const char*>(base64));
}

StatusOr<std::shared_ptr<ssl_ctx_st>> LoadServerCertificate(const TlsServerConfig& tls) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Status::Error("cannot create a TLS context: " + OpenSslError());
  std::shared_ptr<ssl_ctx_st> holder(ctx, SSL_CTX_free);
  if (Status configured = ConfigureServerTls(ctx, tls); !configured.ok()) return configured;
  return holder;
}

bool UseServerCertificate(ssl_st* ssl, ssl_ctx_st* certificate) {
  X509* cert = SSL_CTX_get0_certificate(certificate);
  EVP_PKEY* key = SSL_CTX_get0_privatekey(certificate);
  STACK_OF(X509)* chain = nullptr;
  if (cert == nullptr || key == nullptr ||
      SSL_CTX_get0_chain_certs(certificate, &chain) != 1) {
    return false;
  }
  return SSL_use_cert_and_key(ssl, cert, key, chain, 1) == 1;
}

void OnEveryHandshake(ssl_ctx_st* ctx, int (*callback)(ssl_st*, void*), void* arg) {
  SSL_CTX_set_cert_cb(ctx, callback, arg);
}

namespace {

int FailureCounterIndex() {
  static const int index =
      SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// A fatal alert, sent or received, before the handshake finished: the handshake
// failed (no or an untrusted client certificate, no common protocol version, a
// client that rejects the server's certificate).
void OnTlsEvent(const SSL* ssl, int where, int value) {
  if ((where & SSL_CB_ALERT) == 0 || (value >> 8) != SSL3_AL_FATAL || !SSL_in_init(ssl)) {
    return;
  }
  auto* failures = static_cast<std::atomic<uint64_t>*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), FailureCounterIndex()));
  if (failures != nullptr) ++*failures;
}

}  // namespace

void CountFailedHandshakes(ssl_ctx_st* ctx, std::atomic<uint64_t>* failures) {
  SSL_CTX_set_ex_data(ctx, FailureCounterIndex(), failures);
  SSL_CTX_set_info_callback(ctx, &OnTlsEvent);
}

}  // namespace msx
