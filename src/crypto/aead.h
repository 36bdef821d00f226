// AEAD seal/open with a context keyed once per traffic key; each record only
// sets its nonce. Sealing writes straight into the caller's output buffer (the
// one copy of the write path); opening may be done in place.
//
// Two ways into libcrypto, same cipher implementation: by default a context
// calls the functions of the provider implementation that EVP_CIPHER_fetch
// chose, taken from that provider's dispatch table (OSSL_PROVIDER_query_
// operation), which skips the EVP_CIPHER_CTX layer; per record that layer costs
// more than sealing 64 bytes does (it asks the provider for the IV length on
// every nonce and turns each tag ctrl into a parameter lookup). Where that
// table cannot be used (an implementation not found exactly once by name), or
// with RAPIDTLS_AEAD=evp in the environment, contexts use EVP_CIPHER_CTX.
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

// Which way a context calls libcrypto (see above); `automatic` is the
// provider's functions when they are available and not turned off.
enum class AeadPath : uint8_t { automatic, provider, evp };

// One provider implementation's functions (aead.cc).
struct AeadProvider;

// Whether the provider's functions can be used for `alg` in this process.
bool aead_provider_path_available(AeadAlg alg);

class AeadContext {
 public:
  // key.size() must be aead_key_size(alg). AeadPath::provider fails when
  // that path is not available.
  static Result<AeadContext> create(AeadAlg alg, AeadDirection dir, Bytes key,
                                    AeadPath path = AeadPath::automatic);
  AeadContext(AeadContext&& other) noexcept;
  AeadContext& operator=(AeadContext&& other) noexcept;
  ~AeadContext();

  AeadAlg alg() const { return alg_; }
  // The path this context took (never `automatic`).
  AeadPath path() const { return prov_ != nullptr ? AeadPath::provider : AeadPath::evp; }

  // Encrypts plain || trailer (the trailer is TLS 1.3's inner content type and
  // padding; it may be empty) and appends the tag. `out` must hold
  // plain.size() + trailer.size() + kAeadTagSize bytes; it must either not
  // overlap plain and trailer at all, or start exactly at plain.data().
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
  AeadContext(AeadAlg alg, AeadDirection dir) : alg_(alg), dir_(dir) {}

  // The steps of one record, on whichever path this context took.
  bool set_nonce(Bytes nonce);
  bool update(uint8_t* out, Bytes in, size_t* written);  // out null: AAD
  bool finish(uint8_t* out, size_t room, size_t* written);
  bool tag(uint8_t* tag, bool get);

  AeadAlg alg_;
  AeadDirection dir_;
  const AeadProvider* prov_ = nullptr;  // the provider path: its functions...
  void* algctx_ = nullptr;              // ...and this context's own state, owned
  EvpCipherCtxPtr ctx_;                 // the EVP path
};

}  // namespace rapidtls::crypto
