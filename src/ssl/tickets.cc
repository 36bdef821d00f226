// Tickets (TLS 1.3, and TLS 1.2's RFC 5077 ones) sealed with a program's own
// keys, through SSL_CTX_set_tlsext_ticket_key_evp_cb(3) or its older form
// SSL_CTX_set_tlsext_ticket_key_cb (an HMAC_CTX instead of an EVP_MAC_CTX;
// nginx 1.22 uses it): nginx's ssl_session_ticket_key, HAProxy's and
// Apache's ticket keys, so that the workers of a server (and servers sharing
// the keys) resume each other's sessions. As in OpenSSL, the callback of the
// session context (the SSL's first SSL_CTX) is the one called.
//
// The ticket is laid out as RFC 5077 4 recommends and OpenSSL does: the
// key name (16 bytes), the IV (the cipher's IV length), the state encrypted
// with the cipher the callback set up, and an HMAC (the MAC it set up) over
// all that precedes it. The callback, with enc = 1, chooses the name, IV,
// cipher and MAC key (0: no ticket); with enc = 0 it finds them again from
// the name and IV (0: not its ticket, a full handshake; 2: fine, but renew).
// The older form's HMAC_CTX is deprecated in OpenSSL 3.0, still exported.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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

struct HmacCtxFree {
  void operator()(HMAC_CTX* h) const { HMAC_CTX_free(h); }
};

// The MAC the callback keys: an EVP_MAC_CTX, or an HMAC_CTX for the older
// callback.
class TicketMac {
 public:
  // Runs the session context's callback (enc 1: seal, 0: open): its answer.
  int run(SSL* s, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher, int enc) {
    SSL_CTX* ctx = s->session_ctx;
    if (ctx->ticket_key_cb != nullptr) {
      evp_ = new_hmac();
      return evp_ ? ctx->ticket_key_cb(s, name, iv, cipher, evp_.get(), enc) : -1;
    }
    if (ctx->ticket_key_legacy_cb != nullptr) {
      legacy_.reset(HMAC_CTX_new());
      return legacy_ ? ctx->ticket_key_legacy_cb(s, name, iv, cipher, legacy_.get(), enc) : -1;
    }
    return 0;
  }
  size_t size() const {
    return evp_ ? EVP_MAC_CTX_get_mac_size(evp_.get()) : legacy_ ? HMAC_size(legacy_.get()) : 0;
  }
  // The MAC of `data` into out (room for EVP_MAX_MD_SIZE): its length, 0 on error.
  size_t mac(const uint8_t* data, size_t len, uint8_t* out) {
    if (evp_) {
      size_t n = 0;
      return EVP_MAC_update(evp_.get(), data, len) == 1 &&
                     EVP_MAC_final(evp_.get(), out, &n, EVP_MAX_MD_SIZE) == 1
                 ? n
                 : 0;
    }
    unsigned n = 0;
    return legacy_ && HMAC_Update(legacy_.get(), data, len) == 1 &&
                   HMAC_Final(legacy_.get(), out, &n) == 1
               ? n
               : 0;
  }

 private:
  MacCtx evp_;
  std::unique_ptr<HMAC_CTX, HmacCtxFree> legacy_;
};

class CallbackTicketSealer final : public rapidtls::handshake::TicketSealer {
 public:
  rapidtls::Result<std::optional<rapidtls::ByteVec>> seal(
      rapidtls::Bytes state, rapidtls::handshake::ConnectionCallbacks& callbacks) override {
    SSL* s = rapidtls::ssl::ssl_of(callbacks);
    if (s == nullptr) return std::optional<rapidtls::ByteVec>();  // not an SSL's: no ticket
    CipherCtx cipher(EVP_CIPHER_CTX_new());
    TicketMac mac;
    if (!cipher) return std::optional<rapidtls::ByteVec>();
    unsigned char name[kKeyNameSize] = {};
    unsigned char iv[EVP_MAX_IV_LENGTH] = {};
    const int r = mac.run(s, name, iv, cipher.get(), 1);
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
    const size_t mac_len = mac.mac(out.data(), at, out.data() + at);
    if (mac_len == 0) return std::optional<rapidtls::ByteVec>();
    out.resize(at + mac_len);
    return std::optional<rapidtls::ByteVec>(std::move(out));
  }

  std::optional<rapidtls::ByteVec> open(
      rapidtls::Bytes ticket, rapidtls::handshake::ConnectionCallbacks& callbacks) override {
    SSL* s = rapidtls::ssl::ssl_of(callbacks);
    if (s == nullptr) return std::nullopt;
    CipherCtx cipher(EVP_CIPHER_CTX_new());
    TicketMac mac;
    if (!cipher || ticket.size() < kKeyNameSize + EVP_MAX_IV_LENGTH) return std::nullopt;
    unsigned char name[kKeyNameSize];
    unsigned char iv[EVP_MAX_IV_LENGTH];
    std::memcpy(name, ticket.data(), kKeyNameSize);
    std::memcpy(iv, ticket.data() + kKeyNameSize, EVP_MAX_IV_LENGTH);
    const int r = mac.run(s, name, iv, cipher.get(), 0);
    if (r <= 0) return std::nullopt;  // not one of its keys (or an error): a full handshake
    const int iv_len = EVP_CIPHER_CTX_get_iv_length(cipher.get());
    const size_t mac_len = mac.size();
    if (iv_len < 0 || iv_len > EVP_MAX_IV_LENGTH || mac_len == 0 ||
        ticket.size() <= kKeyNameSize + iv_len + mac_len) {
      return std::nullopt;
    }
    const size_t body_end = ticket.size() - mac_len;
    unsigned char want[EVP_MAX_MD_SIZE];
    size_t got_len = 0;
    if (mac_len > sizeof want || (got_len = mac.mac(ticket.data(), body_end, want)) != mac_len ||
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
