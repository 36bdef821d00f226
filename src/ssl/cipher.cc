// SSL_CIPHER: the three TLS 1.3 suites, with OpenSSL's names and ids.
#include <openssl/ssl.h>

#include "ssl/internal.h"

namespace {

const ssl_cipher_st kCiphers[] = {
    {0x1301, "TLS_AES_128_GCM_SHA256", "TLSv1.3", 128},
    {0x1302, "TLS_AES_256_GCM_SHA384", "TLSv1.3", 256},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256", "TLSv1.3", 256},
    {0xc02b, "ECDHE-ECDSA-AES128-GCM-SHA256", "TLSv1.2", 128},
    {0xc02c, "ECDHE-ECDSA-AES256-GCM-SHA384", "TLSv1.2", 256},
    {0xc02f, "ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2", 128},
    {0xc030, "ECDHE-RSA-AES256-GCM-SHA384", "TLSv1.2", 256},
    {0xcca8, "ECDHE-RSA-CHACHA20-POLY1305", "TLSv1.2", 256},
    {0xcca9, "ECDHE-ECDSA-CHACHA20-POLY1305", "TLSv1.2", 256},
};

}  // namespace

namespace rapidtls::ssl {

const SSL_CIPHER* cipher_by_id(uint16_t id) {
  for (const auto& c : kCiphers) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

}  // namespace rapidtls::ssl

extern "C" {

const SSL_CIPHER* SSL_get_current_cipher(const SSL* s) {
  if (!s->conn || !s->conn->session()) return nullptr;
  const auto* session = s->conn->session();
  return rapidtls::ssl::cipher_by_id(session->suite12 != nullptr
                                         ? session->suite12->id
                                         : static_cast<uint16_t>(session->suite->suite));
}

const char* SSL_CIPHER_get_name(const SSL_CIPHER* c) {
  return c ? c->name : "(NONE)";
}
const char* SSL_CIPHER_standard_name(const SSL_CIPHER* c) {
  return c ? c->name : "(NONE)";
}
const char* SSL_CIPHER_get_version(const SSL_CIPHER* c) {
  return c ? c->protocol : "(NONE)";
}

int SSL_CIPHER_get_bits(const SSL_CIPHER* c, int* alg_bits) {
  if (c == nullptr) return 0;
  if (alg_bits != nullptr) *alg_bits = c->bits;
  return c->bits;
}

// OpenSSL's id: 0x03000000 | the two-byte suite.
uint32_t SSL_CIPHER_get_id(const SSL_CIPHER* c) {
  return 0x03000000u | c->id;
}
uint16_t SSL_CIPHER_get_protocol_id(const SSL_CIPHER* c) {
  return c->id;
}

}  // extern "C"
