// The engine's calls back into an SSL (rapidtls::handshake::ConnectionCallbacks,
// which ssl_st implements): each mapped onto the OpenSSL callback set on the
// SSL or its context, with the SSL as OpenSSL passes it.
#include <openssl/x509.h>

#include <string>
#include <vector>

#include "ssl/internal.h"

namespace hs = rapidtls::handshake;
using rapidtls::ByteVec;

void ssl_st::on_message(bool sent, uint16_t version, uint8_t content_type, rapidtls::Bytes data) {
  if (msg_callback == nullptr) return;
  msg_callback(sent ? 1 : 0, version, content_type, data.data(), data.size(), this,
               msg_callback_arg);
}

void ssl_st::on_key_log(std::string_view line) {
  if (ctx->keylog == nullptr) return;
  const std::string terminated(line);
  ctx->keylog(this, terminated.c_str());
}

int ssl_st::on_verify(hs::VerifyCallback callback, int preverify_ok, X509_STORE_CTX* x) {
  // The callback finds the SSL where OpenSSL puts it.
  X509_STORE_CTX_set_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx(), this);
  return callback(preverify_ok, x);
}

const X509_VERIFY_PARAM* ssl_st::verify_parameters() const {
  return rapidtls::ssl::params_for_verify(this);
}

// A client's certificate callback (SSL_CTX_set_cert_cb), as OpenSSL calls it
// when a server asks for a certificate: a certificate and key it (or the
// program before) set on the SSL (SSL_use_certificate, SSL_use_PrivateKey)
// are sent; 0 ends the handshake (internal_error, SSL_R_CALLBACK_FAILED); a
// retry (< 0) would need a handshake that can pause here, which rapidtls's
// cannot: it ends it too.
rapidtls::Result<std::optional<hs::CertifiedKey>> ssl_st::on_certificate_request() {
  if (ctx->cert_cb == nullptr) return std::optional<hs::CertifiedKey>();
  if (ctx->cert_cb(this, ctx->cert_cb_arg) <= 0) {
    return rapidtls::Error{rapidtls::Alert::internal_error, SSL_R_CALLBACK_FAILED};
  }
  if (own_certs) {
    std::vector<hs::CertifiedKey> set = own_certs->certified(ctx->extra_chain);
    if (!set.empty()) return std::optional<hs::CertifiedKey>(std::move(set.front()));
  }
  return std::optional<hs::CertifiedKey>();
}

// SSL_CTX_set_client_cert_cb: asked when a server wants a certificate and
// none is set; what it returns is used (and freed), as in OpenSSL. A retry
// (< 0) cannot pause rapidtls's handshake: no certificate then.
std::optional<hs::CertifiedKey> ssl_st::supply_client_certificate() {
  if (ctx->client_cert_cb == nullptr) return std::nullopt;
  X509* x = nullptr;
  EVP_PKEY* k = nullptr;
  const int r = ctx->client_cert_cb(this, &x, &k);
  std::optional<hs::CertifiedKey> out;
  if (r == 1 && x != nullptr && k != nullptr) {
    auto cert = rapidtls::crypto::Certificate::from_x509(x);
    auto private_key = rapidtls::crypto::PrivateKey::from_evp(k);
    if (private_key.ok() && private_key->matches(cert)) {
      out = hs::CertifiedKey{{std::move(cert)},
                             std::make_shared<hs::KeySigner>(std::move(private_key).value())};
    }
  }
  X509_free(x);
  EVP_PKEY_free(k);
  return out;
}

// SSL_CTX_set_alpn_select_cb: the offer in its wire form, the answer copied.
std::optional<ByteVec> ssl_st::on_select_alpn(const std::vector<ByteVec>& offered) {
  if (ctx->alpn_select == nullptr) return std::nullopt;
  ByteVec wire;
  for (const auto& p : offered) {
    wire.push_back(static_cast<uint8_t>(p.size()));
    wire.insert(wire.end(), p.begin(), p.end());
  }
  const unsigned char* out = nullptr;
  unsigned char out_len = 0;
  const int r = ctx->alpn_select(this, &out, &out_len, wire.data(),
                                 static_cast<unsigned>(wire.size()), ctx->alpn_select_arg);
  if (r != SSL_TLSEXT_ERR_OK || out == nullptr || out_len == 0) return std::nullopt;
  return ByteVec(out, out + out_len);
}

// SSL_CTX_set_client_hello_cb, SSL_CTX_set_tlsext_servername_callback, then
// SSL_CTX_set_cert_cb (as OpenSSL orders them): their answers mapped onto the
// engine's decision. SSL_set_SSL_CTX in the first, or certificates set on the
// SSL in the second, switch the rest of the handshake to that configuration.
rapidtls::Result<hs::ClientHelloDecision> ssl_st::on_client_hello(const hs::ClientHello& hello,
                                                                  const std::string& name) {
  SSL_CTX* before = ctx;
  hs::ClientHelloDecision d;
  received_sni = name;
  if (auto* cb = before->client_hello_cb) {
    // SSL_client_hello_get0_* read the message while the callback runs.
    client_hello = &hello;
    int alert = SSL_AD_INTERNAL_ERROR;
    in_client_hello_hook = true;
    const int r = cb(this, &alert, before->client_hello_arg);
    in_client_hello_hook = false;
    client_hello = nullptr;
    // A retry would need a handshake that can pause here: an error.
    if (r != SSL_CLIENT_HELLO_SUCCESS) {
      return rapidtls::Error{static_cast<rapidtls::Alert>(alert), SSL_R_CALLBACK_FAILED};
    }
  }
  if (auto* cb = ctx->servername_cb) {
    int alert = SSL_AD_UNRECOGNIZED_NAME;
    in_client_hello_hook = true;
    const int r = cb(this, &alert, ctx->servername_arg);
    in_client_hello_hook = false;
    if (r == SSL_TLSEXT_ERR_ALERT_FATAL) {
      return rapidtls::Error{static_cast<rapidtls::Alert>(alert), SSL_R_CALLBACK_FAILED};
    }
    d.acknowledge_sni = r != SSL_TLSEXT_ERR_NOACK;
  }
  // The certificate callback of the context in use now. A retry (< 0) would
  // need a handshake that can pause here, which rapidtls's cannot: it fails
  // as an error does.
  // So does a CA list set on the SSL by any of the callbacks
  // (SSL_set_client_CA_list in a servername callback).
  bool own_certificate = client_ca != nullptr;
  if (auto* certificate_cb = ctx->cert_cb) {
    in_client_hello_hook = true;
    const int r = certificate_cb(this, ctx->cert_cb_arg);
    in_client_hello_hook = false;
    if (r <= 0) return rapidtls::Error{rapidtls::Alert::internal_error, SSL_R_CERT_CB_ERROR};
    // Whatever it set on the SSL applies from here (made again: cheap).
    own_certificate = own_certificate || own_certs.has_value() || verify_store != nullptr;
  }
  if (ctx != before || own_certificate) d.config = ctx->config(this);
  return d;
}

// SSL_CTX_set_tlsext_status_cb on a client: the response it checks is what
// SSL_get_tlsext_status_ocsp_resp shows while it runs.
int ssl_st::on_ocsp_response(rapidtls::Bytes response) {
  if (ctx->status_cb == nullptr) return 1;
  const std::vector<uint8_t> seen(response.begin(), response.end());
  ocsp_seen = &seen;
  const int r = ctx->status_cb(this, ctx->status_arg);
  ocsp_seen = nullptr;
  return r;
}

// SSL_CTX_set_tlsext_status_cb on a server: it sees the certificate chosen
// (SSL_get_certificate) and sets the response (SSL_set_tlsext_status_ocsp_resp).
rapidtls::Result<std::optional<ByteVec>> ssl_st::on_ocsp_staple(size_t index) {
  if (ctx->status_cb == nullptr) return std::optional<ByteVec>();
  const auto& chosen = conn->config()->certificates;
  status_cert = index < chosen.size() && !chosen[index].chain.empty()
                    ? chosen[index].chain.front().raw()
                    : nullptr;
  ocsp_to_staple.reset();
  const int r = ctx->status_cb(this, ctx->status_arg);
  status_cert = nullptr;
  // SSL_TLSEXT_ERR_OK: the response set (if any) goes; NOACK: none;
  // ALERT_FATAL: the handshake fails (as OpenSSL, with internal_error).
  if (r == SSL_TLSEXT_ERR_ALERT_FATAL) {
    return rapidtls::Error{rapidtls::Alert::internal_error, SSL_R_CLIENTHELLO_TLSEXT};
  }
  std::optional<ByteVec> out;
  if (r == SSL_TLSEXT_ERR_OK && ocsp_to_staple) out = std::move(*ocsp_to_staple);
  ocsp_to_staple.reset();
  return out;
}
