// Hashes, HMAC and HKDF (RFC 5869, RFC 8446 7.1) over libcrypto. The EVP_MD,
// EVP_MAC and EVP_KDF objects are fetched once per process.
#pragma once

#include <string_view>

#include "common/result.h"
#include "crypto/ptr.h"
#include "crypto/secret.h"

namespace rapidtls::crypto {

enum class HashAlg : uint8_t { sha256, sha384 };

constexpr size_t hash_size(HashAlg h) {
  return h == HashAlg::sha256 ? 32 : 48;
}

// A running hash (the handshake transcript). Copyable: copying forks the state.
class Hash {
 public:
  static Result<Hash> create(HashAlg alg);
  Hash(const Hash& o);
  Hash& operator=(const Hash& o);
  Hash(Hash&&) noexcept = default;
  Hash& operator=(Hash&&) noexcept = default;
  ~Hash();

  HashAlg alg() const { return alg_; }
  // A failure here is remembered and reported by current().
  void update(Bytes data);
  // The digest of everything so far; the running state is unchanged.
  Result<Secret> current() const;

 private:
  Hash(HashAlg alg, EvpMdCtxPtr ctx) : alg_(alg), ctx_(std::move(ctx)) {}
  HashAlg alg_ = HashAlg::sha256;
  EvpMdCtxPtr ctx_;
  bool failed_ = false;
};

Result<Secret> hash(HashAlg alg, Bytes data);
Result<Secret> hmac(HashAlg alg, Bytes key, Bytes data);

// RFC 5869 HKDF-Extract(salt, IKM). An empty salt means HashLen zero bytes.
Result<Secret> hkdf_extract(HashAlg alg, Bytes salt, Bytes ikm);
// RFC 5869 HKDF-Expand(PRK, info, L), L <= Secret::kMaxSize.
Result<Secret> hkdf_expand(HashAlg alg, Bytes prk, Bytes info, size_t length);
// The same into `out`, L = out.size() <= 255 * HashLen (RFC 5869 2.3).
Status hkdf_expand_into(HashAlg alg, Bytes prk, Bytes info, MutBytes out);
// RFC 8446 7.1 HKDF-Expand-Label(Secret, Label, Context, Length); `label`
// without the "tls13 " prefix, which is added here (at most 249 bytes).
Result<Secret> hkdf_expand_label(HashAlg alg, Bytes secret, std::string_view label, Bytes context,
                                 size_t length);
// The same into `out` (Length = out.size(), at most 255 * HashLen).
Status hkdf_expand_label_into(HashAlg alg, Bytes secret, std::string_view label, Bytes context,
                              MutBytes out);

}  // namespace rapidtls::crypto
