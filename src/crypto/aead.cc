#include "crypto/aead.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <climits>
#include <cstring>

namespace rapidtls::crypto {
namespace {

// Fetched once per process; contexts keep their own references.
const EVP_CIPHER* cipher_for(AeadAlg alg) {
  static EVP_CIPHER* const kAes128Gcm = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static EVP_CIPHER* const kAes256Gcm = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  static EVP_CIPHER* const kChaCha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  switch (alg) {
    case AeadAlg::aes_128_gcm:
      return kAes128Gcm;
    case AeadAlg::aes_256_gcm:
      return kAes256Gcm;
    case AeadAlg::chacha20_poly1305:
      return kChaCha;
  }
  return nullptr;
}

Error bad_record_mac() {
  // Whatever libcrypto queued about the failure is not news to the caller.
  ERR_clear_error();
  return {Alert::bad_record_mac, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC};
}

bool fits_int(size_t n) {
  return n <= static_cast<size_t>(INT_MAX);
}

// One Update call; `out` may be null only for AAD.
bool update(EVP_CIPHER_CTX* ctx, uint8_t* out, Bytes in, int* written) {
  *written = 0;
  if (in.empty()) return true;
  return EVP_CipherUpdate(ctx, out, written, in.data(), static_cast<int>(in.size())) == 1;
}

}  // namespace

Result<AeadContext> AeadContext::create(AeadAlg alg, AeadDirection dir, Bytes key) {
  const EVP_CIPHER* cipher = cipher_for(alg);
  if (cipher == nullptr || key.size() != aead_key_size(alg)) return internal_error();
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return internal_error();
  // Keyed once here; the 12-byte nonce is both ciphers' default IV length.
  const int enc = dir == AeadDirection::seal ? 1 : 0;
  if (EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), nullptr, enc, nullptr) != 1 ||
      EVP_CIPHER_CTX_get_iv_length(ctx.get()) != static_cast<int>(kAeadNonceSize)) {
    return internal_error();
  }
  return AeadContext(alg, dir, std::move(ctx));
}

Status AeadContext::seal(Bytes nonce, Bytes aad, Bytes plain, Bytes trailer, uint8_t* out) {
  if (dir_ != AeadDirection::seal || !ctx_ || nonce.size() != kAeadNonceSize ||
      !fits_int(aad.size()) || !fits_int(plain.size() + trailer.size())) {
    return internal_error();
  }
  EVP_CIPHER_CTX* ctx = ctx_.get();
  // Only the nonce changes per record: no cipher, no key, no allocation.
  if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce.data(), 1, nullptr) != 1) {
    return internal_error();
  }
  int n = 0;
  size_t total = 0;
  if (!update(ctx, nullptr, aad, &n)) return internal_error();
  if (!update(ctx, out, plain, &n)) return internal_error();
  total += static_cast<size_t>(n);
  if (!update(ctx, out + total, trailer, &n)) return internal_error();
  total += static_cast<size_t>(n);
  if (EVP_CipherFinal_ex(ctx, out + total, &n) != 1) return internal_error();
  total += static_cast<size_t>(n);
  if (total != plain.size() + trailer.size() ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kAeadTagSize, out + total) != 1) {
    return internal_error();
  }
  return {};
}

Status AeadContext::open(Bytes nonce, Bytes aad, Bytes in, uint8_t* out) {
  const size_t n = in.size() >= kAeadTagSize ? in.size() - kAeadTagSize : 0;
  return open_split(nonce, aad, in, out, n, nullptr);
}

Status AeadContext::open_split(Bytes nonce, Bytes aad, Bytes in, uint8_t* head, size_t head_len,
                               uint8_t* tail) {
  if (dir_ != AeadDirection::open || !ctx_ || nonce.size() != kAeadNonceSize ||
      !fits_int(aad.size()) || !fits_int(in.size())) {
    return internal_error();
  }
  if (in.size() < kAeadTagSize) return bad_record_mac();
  const Bytes ciphertext = in.first(in.size() - kAeadTagSize);
  if (head_len > ciphertext.size() || (head_len < ciphertext.size() && tail == nullptr)) {
    return internal_error();
  }
  // Copied out first: SET_TAG wants a mutable pointer, and in-place decryption
  // must not be able to disturb it.
  uint8_t tag[kAeadTagSize];
  std::memcpy(tag, in.data() + ciphertext.size(), kAeadTagSize);

  EVP_CIPHER_CTX* ctx = ctx_.get();
  if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce.data(), 0, nullptr) != 1) {
    return internal_error();
  }
  int n = 0;
  size_t total = 0;
  if (!update(ctx, nullptr, aad, &n)) return internal_error();
  if (!update(ctx, head, ciphertext.first(head_len), &n)) return internal_error();
  total += static_cast<size_t>(n);
  const Bytes rest = ciphertext.subspan(head_len);
  if (!rest.empty()) {
    if (!update(ctx, tail, rest, &n)) return internal_error();
    total += static_cast<size_t>(n);
  }
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kAeadTagSize, tag) != 1) {
    return internal_error();
  }
  uint8_t final_block[16];
  if (EVP_CipherFinal_ex(ctx, final_block, &n) != 1) {
    // Unauthenticated plaintext must not be left behind for a careless caller.
    if (head_len > 0) secure_zero(MutBytes(head, head_len));
    if (!rest.empty()) secure_zero(MutBytes(tail, rest.size()));
    return bad_record_mac();
  }
  if (total != ciphertext.size() || n != 0) return internal_error();
  return {};
}

}  // namespace rapidtls::crypto
