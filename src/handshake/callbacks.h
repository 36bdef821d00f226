// The calls a connection and its handshakes make out to the application that
// owns the connection (issue 13): one virtual function per callback, typed,
// each defaulting to what happens when the application sets none. The C
// interface's SSL implements it; a native user overrides what it needs. A
// Connection never owns its callbacks (Connection::set_callbacks).
//
// What is the same for every connection of a configuration (its certificates,
// trust, suites) stays in Config; what reaches back into the one connection
// (its SSL, its application state) is here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "handshake/config.h"
#include "handshake/messages.h"

namespace rapidtls::handshake {

class ConnectionCallbacks {
 public:
  virtual ~ConnectionCallbacks() = default;

  // Whether on_message wants to be called. Asked before each record that
  // carries no application data: false spares the tracing work.
  virtual bool traces_messages() const { return false; }
  // Each handshake message, alert and change_cipher_spec the connection sends
  // (sent = true) or receives, whole and in the clear: the C interface's
  // SSL_CTX_set_msg_callback. content_type is RFC 8446's.
  virtual void on_message(bool /*sent*/, uint16_t /*version*/, uint8_t /*content_type*/,
                          Bytes /*data*/) {}

  // Whether on_key_log wants the secrets: false spares formatting them (and
  // deriving the exporter secret only a key log shows).
  virtual bool logs_keys() const { return false; }
  // One NSS key-log line per secret (SSLKEYLOGFILE format), without newline.
  virtual void on_key_log(std::string_view /*line*/) {}

  // Runs the configuration's verify callback (Config::verify_callback, set)
  // at one step of the peer chain's verification; its answer decides. The
  // callback belongs to the configuration, as the verification does: one the
  // application swaps while a chain is being verified applies to the next.
  // Override to hand the callback what it needs in the store context (the C
  // interface puts the SSL where OpenSSL does).
  virtual int on_verify(VerifyCallback callback, int preverify_ok, X509_STORE_CTX* ctx) {
    return callback(preverify_ok, ctx);
  }
  // Verification parameters of the connection (the C interface's
  // SSL_get0_param), copied in before each verification; null: none. Chains
  // verified with them skip the verified-chain cache.
  virtual const X509_VERIFY_PARAM* verify_parameters() const { return nullptr; }

  // A client asked for a certificate, before Config's is looked at: may
  // choose the one to send (a value), leave it to Config and then
  // supply_client_certificate (nullopt), or end the handshake (an error). The
  // C interface's SSL_CTX_set_cert_cb on a client.
  virtual Result<std::optional<CertifiedKey>> on_certificate_request() {
    return std::optional<CertifiedKey>();
  }
  // A client asked for a certificate and Config has none: may supply one
  // (none: an empty Certificate goes out). The C interface's
  // SSL_CTX_set_client_cert_cb.
  virtual std::optional<CertifiedKey> supply_client_certificate() { return std::nullopt; }

  // Whether on_select_alpn chooses a server's protocol; false: the first of
  // Config::alpn the client offered.
  virtual bool selects_alpn() const { return false; }
  // A server's choice among the client's offer; nullopt: no protocol (and no
  // alert, as OpenSSL's SSL_TLSEXT_ERR_NOACK).
  virtual std::optional<ByteVec> on_select_alpn(const std::vector<ByteVec>& /*offered*/) {
    return std::nullopt;
  }

  // Whether on_client_hello wants a server's first ClientHello.
  virtual bool hooks_client_hello() const { return false; }
  // A server's hook on each first ClientHello, before anything is chosen,
  // with the message and its SNI host name (empty when none was sent): the C
  // interface's client hello, servername and certificate callbacks. It may
  // hand back another configuration (another certificate, verification,
  // suites), or an error that ends the handshake with its alert.
  virtual Result<ClientHelloDecision> on_client_hello(const ClientHello& /*hello*/,
                                                      const std::string& /*server_name*/) {
    return ClientHelloDecision{};
  }

  // OCSP stapling (RFC 6066 8; TLS 1.3: RFC 8446 4.4.2.1). A client that
  // asked (Config::request_ocsp) checks the stapled response (empty: none
  // came) once the server's certificate is in: > 0 goes on, 0 fails with
  // bad_certificate_status_response, < 0 with internal_error (the C
  // interface's client status callback). By default it goes on.
  virtual int on_ocsp_response(Bytes /*response*/) { return 1; }
  // A server whose client asked: the DER OCSPResponse to send with the
  // certificate it chose (an index into Config::certificates), none, or an
  // error that ends the handshake. By default none.
  virtual Result<std::optional<ByteVec>> on_ocsp_staple(size_t /*certificate*/) {
    return std::optional<ByteVec>();
  }
};

// What a connection calls when it is given no callbacks: every default.
inline ConnectionCallbacks& no_callbacks() {
  static ConnectionCallbacks none;
  return none;
}

}  // namespace rapidtls::handshake
