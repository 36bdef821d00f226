// SSL_CIPHER: the three TLS 1.3 suites and the TLS 1.2 ones, with OpenSSL's
// names and ids; the lists of an SSL_CTX and an SSL (SSL_get_ciphers).
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <cstdio>
#include <cstring>

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

bool is_tls13(const SSL_CIPHER* c) {
  return (c->id & 0xff00) == 0x1300;
}
bool is_ecdsa(const SSL_CIPHER* c) {
  return c->id == 0xc02b || c->id == 0xc02c || c->id == 0xcca9;
}
bool is_chacha(const SSL_CIPHER* c) {
  return c->id == 0x1303 || c->id == 0xcca8 || c->id == 0xcca9;
}

// The suites a context or an SSL offers, TLS 1.3 first, within its versions.
STACK_OF(SSL_CIPHER) * make_stack(const std::vector<uint16_t>& suites13,
                                  const std::vector<uint16_t>& suites12, int min_version,
                                  int max_version) {
  STACK_OF(SSL_CIPHER)* sk = sk_SSL_CIPHER_new_null();
  if (sk == nullptr) return nullptr;
  const bool with13 = max_version == 0 || max_version >= TLS1_3_VERSION;
  const bool with12 = min_version == 0 || min_version <= TLS1_2_VERSION;
  for (uint16_t id : suites13) {
    const SSL_CIPHER* c = rapidtls::ssl::cipher_by_id(id);
    if (with13 && c != nullptr) sk_SSL_CIPHER_push(sk, c);
  }
  for (uint16_t id : suites12) {
    const SSL_CIPHER* c = rapidtls::ssl::cipher_by_id(id);
    if (with12 && c != nullptr) sk_SSL_CIPHER_push(sk, c);
  }
  return sk;
}

// Keeps *slot when it already lists the same suites (a pointer handed out
// stays valid while the settings do not change); else replaces it.
STACK_OF(SSL_CIPHER) * refresh(STACK_OF(SSL_CIPHER) * *slot, STACK_OF(SSL_CIPHER) * fresh) {
  if (*slot != nullptr && fresh != nullptr &&
      sk_SSL_CIPHER_num(*slot) == sk_SSL_CIPHER_num(fresh)) {
    bool same = true;
    for (int i = 0; i < sk_SSL_CIPHER_num(fresh) && same; ++i) {
      same = sk_SSL_CIPHER_value(*slot, i) == sk_SSL_CIPHER_value(fresh, i);
    }
    if (same) {
      sk_SSL_CIPHER_free(fresh);
      return *slot;
    }
  }
  sk_SSL_CIPHER_free(*slot);
  *slot = fresh;
  return fresh;
}

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

int SSL_CIPHER_is_aead(const SSL_CIPHER*) {
  return 1;  // every suite rapidtls has is an AEAD one
}

int SSL_CIPHER_get_cipher_nid(const SSL_CIPHER* c) {
  if (c == nullptr) return NID_undef;
  if (is_chacha(c)) return NID_chacha20_poly1305;
  return c->bits == 128 ? NID_aes_128_gcm : NID_aes_256_gcm;
}

// AEAD suites have no separate MAC digest (OpenSSL: NID_undef).
int SSL_CIPHER_get_digest_nid(const SSL_CIPHER*) {
  return NID_undef;
}

int SSL_CIPHER_get_kx_nid(const SSL_CIPHER* c) {
  if (c == nullptr) return NID_undef;
  return is_tls13(c) ? NID_kx_any : NID_kx_ecdhe;
}

int SSL_CIPHER_get_auth_nid(const SSL_CIPHER* c) {
  if (c == nullptr) return NID_undef;
  if (is_tls13(c)) return NID_auth_any;
  return is_ecdsa(c) ? NID_auth_ecdsa : NID_auth_rsa;
}

const EVP_MD* SSL_CIPHER_get_handshake_digest(const SSL_CIPHER* c) {
  if (c == nullptr) return nullptr;
  // SHA-384 for the AES-256 suites, SHA-256 for the others.
  return c->bits == 256 && !is_chacha(c) ? EVP_sha384() : EVP_sha256();
}

// The line OpenSSL's SSL_CIPHER_description(3) writes: name, version, key
// exchange, authentication, encryption, MAC, in its column widths.
char* SSL_CIPHER_description(const SSL_CIPHER* c, char* buf, int size) {
  constexpr int kLen = 128;
  if (buf == nullptr) {
    buf = static_cast<char*>(OPENSSL_malloc(kLen));
    if (buf == nullptr) return nullptr;
    size = kLen;
  } else if (size < kLen) {
    return nullptr;
  }
  if (c == nullptr) {
    std::snprintf(buf, static_cast<size_t>(size), "%s", "(NONE)\n");
    return buf;
  }
  const bool v13 = is_tls13(c);
  char enc[32];
  std::snprintf(enc, sizeof enc, "%s(%d)", is_chacha(c) ? "CHACHA20/POLY1305" : "AESGCM", c->bits);
  std::snprintf(buf, static_cast<size_t>(size), "%-30s %-7s Kx=%-8s Au=%-5s Enc=%-22s Mac=%-4s\n",
                c->name, c->protocol, v13 ? "any" : "ECDH",
                v13 ? "any" : (is_ecdsa(c) ? "ECDSA" : "RSA"), enc, "AEAD");
  return buf;
}

// SSL_CIPHER_find: the suite with these two bytes (RFC 8446 B.4, RFC 5246
// A.5), if rapidtls has it.
const SSL_CIPHER* SSL_CIPHER_find(SSL*, const unsigned char* ptr) {
  return rapidtls::ssl::cipher_by_id(static_cast<uint16_t>(ptr[0] << 8 | ptr[1]));
}

STACK_OF(SSL_CIPHER) * SSL_CTX_get_ciphers(const SSL_CTX* ctx) {
  SSL_CTX* self = const_cast<SSL_CTX*>(ctx);
  std::lock_guard<std::mutex> lock(self->cipher_stack_mutex);
  return refresh(&self->cipher_stack,
                 make_stack(ctx->suites, ctx->suites12, ctx->min_version, ctx->max_version));
}

STACK_OF(SSL_CIPHER) * SSL_get_ciphers(const SSL* s) {
  SSL* self = const_cast<SSL*>(s);
  return refresh(&self->cipher_stack,
                 make_stack(s->own_suites ? *s->own_suites : s->ctx->suites,
                            s->own_suites12 ? *s->own_suites12 : s->ctx->suites12,
                            s->own_versions ? s->min_version : s->ctx->min_version,
                            s->own_versions ? s->max_version : s->ctx->max_version));
}

const char* SSL_get_cipher_list(const SSL* s, int n) {
  STACK_OF(SSL_CIPHER)* sk = SSL_get_ciphers(s);
  if (sk == nullptr || n < 0 || n >= sk_SSL_CIPHER_num(sk)) return nullptr;
  return sk_SSL_CIPHER_value(sk, n)->name;
}

}  // extern "C"
