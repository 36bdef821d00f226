// AEAD seal/open with a context keyed once per traffic key; each record only
// sets its nonce. Sealing writes straight into the caller's output buffer (the
// one copy of the write path); opening may be done in place.
#pragma once

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/ptr.h"

namespace rapidtls::crypto {

enum class AeadAlg : uint8_t { aes_128_gcm, aes_256_gcm, chacha20_poly1305 };

constexpr size_t kAeadNonceSize = 12;
constexpr size_t kAeadTagSize = 16;
constexpr size_t aead_key_size(AeadAlg a) {
  return a == AeadAlg::aes_128_gcm ? 16 : 32;
}

enum class AeadDirection : uint8_t { seal, open };

class AeadContext {
 public:
  // key.size() must be aead_key_size(alg).
  static Result<AeadContext> create(AeadAlg alg, AeadDirection dir, Bytes key);
  AeadContext(AeadContext&&) noexcept = default;
  AeadContext& operator=(AeadContext&&) noexcept = default;

  AeadAlg alg() const { return alg_; }

  // Encrypts plain || trailer (the trailer is TLS 1.3's inner content type and
  // padding; it may be empty) and appends the tag. `out` must hold
  // plain.size() + trailer.size() + kAeadTagSize bytes; it must not overlap
  // plain or trailer unless out == plain.data().
  Status seal(Bytes nonce, Bytes aad, Bytes plain, Bytes trailer, uint8_t* out);

  // Decrypts ciphertext||tag into out (out may equal in.data()); `out` holds
  // in.size() - kAeadTagSize bytes. A bad tag or a too-short input fails with
  // {bad_record_mac, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC}.
  Status open(Bytes nonce, Bytes aad, Bytes in, uint8_t* out);
  // The same, the plaintext in two places: its first head_len bytes into
  // `head`, the rest into `tail` (which may be null when nothing is left for
  // it). On a bad tag both are zeroed.
  Status open_split(Bytes nonce, Bytes aad, Bytes in, uint8_t* head, size_t head_len,
                    uint8_t* tail);

 private:
  AeadContext(AeadAlg alg, AeadDirection dir, EvpCipherCtxPtr ctx)
      : alg_(alg), dir_(dir), ctx_(std::move(ctx)) {}
  AeadAlg alg_;
  AeadDirection dir_;
  EvpCipherCtxPtr ctx_;
};

}  // namespace rapidtls::crypto
