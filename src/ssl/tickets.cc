// TLS 1.3 tickets sealed with a program's own keys, through
// SSL_CTX_set_tlsext_ticket_key_evp_cb(3): nginx's ssl_session_ticket_key,
// HAProxy's and Apache's ticket keys, so that the workers of a server (and
// servers sharing the keys) resume each other's sessions.
//
// The ticket is laid out as RFC 5077 4 recommends and OpenSSL does: the
// key name (16 bytes), the IV (the cipher's IV length), the state encrypted
// with the cipher the callback set up, and an HMAC (the MAC it set up) over
// all that precedes it. The callback, with enc = 1, chooses the name, IV,
// cipher and MAC key (0: no ticket); with enc = 0 it finds them again from
// the name and IV (0: not its ticket, a full handshake; 2: fine, but renew).
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <memory>

#include "ssl/internal.h"

namespace {

constexpr size_t kKeyNameSize = 16;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* m) const { EVP_MAC_CTX_free(m); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

MacCtx new_hmac() {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  if (mac == nullptr) return nullptr;
  MacCtx ctx(EVP_MAC_CTX_new(mac));
  EVP_MAC_free(mac);  // the context keeps its own reference
  return ctx;
}

class CallbackTicketSealer final : public rapidtls::handshake::TicketSealer {
 public:
  rapidtls::Result<std::optional<rapidtls::ByteVec>> seal(rapidtls::Bytes state,
                                                          void* app) override {
    SSL* s = static_cast<SSL*>(app);
    auto* cb = s->ctx->ticket_key_cb;
    CipherCtx cipher(EVP_CIPHER_CTX_new());
    MacCtx mac = new_hmac();
    if (cb == nullptr || !cipher || !mac) return std::optional<rapidtls::ByteVec>();
    unsigned char name[kKeyNameSize] = {};
    unsigned char iv[EVP_MAX_IV_LENGTH] = {};
    const int r = cb(s, name, iv, cipher.get(), mac.get(), 1);
    if (r <= 0) return std::optional<rapidtls::ByteVec>();  // no ticket this time
    const int iv_len = EVP_CIPHER_CTX_get_iv_length(cipher.get());
    const int block = EVP_CIPHER_CTX_get_block_size(cipher.get());
    if (iv_len < 0 || iv_len > EVP_MAX_IV_LENGTH || block <= 0) {
      return std::optional<rapidtls::ByteVec>();
    }
    rapidtls::ByteVec out(kKeyNameSize + iv_len + state.size() + block + EVP_MAX_MD_SIZE);
    std::memcpy(out.data(), name, kKeyNameSize);
    std::memcpy(out.data() + kKeyNameSize, iv, iv_len);
    size_t at = kKeyNameSize + iv_len;
    int n = 0;
    if (EVP_EncryptUpdate(cipher.get(), out.data() + at, &n, state.data(),
                          static_cast<int>(state.size())) != 1) {
      return std::optional<rapidtls::ByteVec>();
    }
    at += n;
    if (EVP_EncryptFinal_ex(cipher.get(), out.data() + at, &n) != 1) {
      return std::optional<rapidtls::ByteVec>();
    }
    at += n;
    size_t mac_len = 0;
    if (EVP_MAC_update(mac.get(), out.data(), at) != 1 ||
        EVP_MAC_final(mac.get(), out.data() + at, &mac_len, out.size() - at) != 1) {
      return std::optional<rapidtls::ByteVec>();
    }
    out.resize(at + mac_len);
    return std::optional<rapidtls::ByteVec>(std::move(out));
  }

  std::optional<rapidtls::ByteVec> open(rapidtls::Bytes ticket, void* app) override {
    SSL* s = static_cast<SSL*>(app);
    auto* cb = s->ctx->ticket_key_cb;
    CipherCtx cipher(EVP_CIPHER_CTX_new());
    MacCtx mac = new_hmac();
    if (cb == nullptr || !cipher || !mac || ticket.size() < kKeyNameSize + EVP_MAX_IV_LENGTH) {
      return std::nullopt;
    }
    unsigned char name[kKeyNameSize];
    unsigned char iv[EVP_MAX_IV_LENGTH];
    std::memcpy(name, ticket.data(), kKeyNameSize);
    std::memcpy(iv, ticket.data() + kKeyNameSize, EVP_MAX_IV_LENGTH);
    const int r = cb(s, name, iv, cipher.get(), mac.get(), 0);
    if (r <= 0) return std::nullopt;  // not one of its keys (or an error): a full handshake
    const int iv_len = EVP_CIPHER_CTX_get_iv_length(cipher.get());
    const size_t mac_len = EVP_MAC_CTX_get_mac_size(mac.get());
    if (iv_len < 0 || iv_len > EVP_MAX_IV_LENGTH || mac_len == 0 ||
        ticket.size() <= kKeyNameSize + iv_len + mac_len) {
      return std::nullopt;
    }
    const size_t body_end = ticket.size() - mac_len;
    unsigned char want[EVP_MAX_MD_SIZE];
    size_t got_len = 0;
    if (mac_len > sizeof want || EVP_MAC_update(mac.get(), ticket.data(), body_end) != 1 ||
        EVP_MAC_final(mac.get(), want, &got_len, sizeof want) != 1 || got_len != mac_len ||
        CRYPTO_memcmp(want, ticket.data() + body_end, mac_len) != 0) {
      return std::nullopt;  // altered
    }
    const size_t ct_at = kKeyNameSize + iv_len;
    rapidtls::ByteVec plain(body_end - ct_at + EVP_MAX_BLOCK_LENGTH);
    int n = 0;
    int m = 0;
    if (EVP_DecryptUpdate(cipher.get(), plain.data(), &n, ticket.data() + ct_at,
                          static_cast<int>(body_end - ct_at)) != 1 ||
        EVP_DecryptFinal_ex(cipher.get(), plain.data() + n, &m) != 1) {
      rapidtls::secure_zero(plain);
      return std::nullopt;
    }
    plain.resize(static_cast<size_t>(n + m));
    return plain;
  }
};

}  // namespace

namespace rapidtls::ssl {

std::shared_ptr<handshake::TicketSealer> make_callback_ticket_sealer() {
  return std::make_shared<CallbackTicketSealer>();
}

}  // namespace rapidtls::ssl

extern "C" int SSL_CTX_set_tlsext_ticket_key_evp_cb(SSL_CTX* ctx,
                                                    int (*fp)(SSL*, unsigned char*, unsigned char*,
                                                              EVP_CIPHER_CTX*, EVP_MAC_CTX*, int)) {
  ctx->ticket_key_cb = fp;
  ctx->reset_ticket_issuer();  // the next connections seal with the program's keys
  return 1;
}
