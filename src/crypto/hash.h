// Hashes, HMAC and HKDF (RFC 5869, RFC 8446 7.1) over libcrypto. The EVP_MD,
// EVP_MAC and EVP_KDF objects are fetched once per process.
#pragma once

#include <initializer_list>
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

// An HMAC key set up once in a libcrypto context (RFC 2104: the padded key's
// two blocks hashed once) for several MACs under it, such as RFC 5869's PRK
// expanded into several labels. Each MAC restarts the context from the
// prepared key (EVP_MAC_init without a key) instead of keying a new one.
// Move-only and owned by one connection: it is never shared between threads.
// Its destruction cleanses libcrypto's copy of the key state.
class HmacKey {
 public:
  static Result<HmacKey> create(HashAlg alg, Bytes key);
  HmacKey(HmacKey&&) noexcept = default;
  HmacKey& operator=(HmacKey&&) noexcept = default;
  ~HmacKey();

  HashAlg alg() const { return alg_; }
  // Replaces the key, reusing the libcrypto context (no new allocation).
  Status rekey(Bytes key);
  // HMAC(key, data).
  Result<Secret> mac(Bytes data);
  // RFC 5869 HKDF-Expand(PRK = this key, info, L = out.size() <= 255 * HashLen).
  Status expand_into(Bytes info, MutBytes out);
  // RFC 8446 7.1 HKDF-Expand-Label(Secret = this key, Label, Context, Length);
  // `label` without the "tls13 " prefix.
  Status expand_label_into(std::string_view label, Bytes context, MutBytes out);
  Result<Secret> expand_label(std::string_view label, Bytes context, size_t length);

 private:
  HmacKey(HashAlg alg, EvpMacCtxPtr ctx) : alg_(alg), ctx_(std::move(ctx)) {}
  // HMAC(key, parts[0] || ... || parts[n-1]) into out (hash_size(alg_) bytes).
  bool mac_parts(std::initializer_list<Bytes> parts, uint8_t* out);
  HashAlg alg_;
  EvpMacCtxPtr ctx_;
};

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
