// The TLS 1.2 PRF through libcrypto's EVP_KDF "TLS1-PRF". That KDF takes the
// label as part of the seed (RFC 5246 5: PRF(secret, label, seed) =
// P_<hash>(secret, label + seed)); in OpenSSL 3.0 the "seed" parameter may be
// given several times in one call and the parts are concatenated, so the
// label, randoms and hashes are passed as they are, never copied together.
#include "crypto/prf12.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <array>
#include <initializer_list>

namespace rapidtls::crypto {
namespace {

// RFC 5246 8.1: master_secret is 48 bytes; 7.4.9: verify_data_length is 12
// for every cipher suite rapidtls knows.
constexpr size_t kMasterSecretSize = 48;
constexpr size_t kVerifyDataSize = 12;
// RFC 5246 6.3: the largest key block an AEAD suite needs is two 32-byte keys
// and two 12-byte IVs; this holds any cut Secret can hold.
constexpr size_t kMaxKeyBlock = 2 * Secret::kMaxSize;

// Fetched once per process; each derivation gets its own context.
EVP_KDF* tls1_prf() {
  static EVP_KDF* const kKdf = EVP_KDF_fetch(nullptr, "TLS1-PRF", nullptr);
  return kKdf;
}

OSSL_PARAM octets(const char* key, Bytes b) {
  // A null pointer would read as "absent"; an empty part is a valid one.
  static const uint8_t kEmpty = 0;
  const void* data = b.empty() ? &kEmpty : b.data();
  return OSSL_PARAM_construct_octet_string(key, const_cast<void*>(data), b.size());
}

// PRF(secret, label, seed_parts[0] || seed_parts[1] || ...) into out.
Status prf(HashAlg alg, Bytes secret, std::string_view label, std::initializer_list<Bytes> seed,
           MutBytes out) {
  if (out.empty()) return {};
  EVP_KDF* kdf = tls1_prf();
  if (kdf == nullptr || seed.size() > 3) return internal_error();
  EvpKdfCtxPtr ctx(EVP_KDF_CTX_new(kdf));
  if (!ctx) return internal_error();
  char* digest = const_cast<char*>(alg == HashAlg::sha256 ? "SHA256" : "SHA384");
  // digest, secret, label, up to three seed parts, end.
  std::array<OSSL_PARAM, 7> params;
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = octets(OSSL_KDF_PARAM_SECRET, secret);
  params[n++] = octets(OSSL_KDF_PARAM_SEED, as_bytes(label));
  for (Bytes part : seed) params[n++] = octets(OSSL_KDF_PARAM_SEED, part);
  params[n] = OSSL_PARAM_construct_end();
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params.data()) != 1) {
    return internal_error();
  }
  return {};
}

}  // namespace

Status tls12_prf(HashAlg alg, Bytes secret, std::string_view label, Bytes seed, MutBytes out) {
  return prf(alg, secret, label, {seed}, out);
}

Result<Secret> tls12_master_secret(HashAlg alg, Bytes pre_master, Bytes client_random,
                                   Bytes server_random, bool extended, Bytes session_hash) {
  Secret out;
  out.resize(kMasterSecretSize);
  const MutBytes dest(out.data(), out.size());
  // RFC 7627 4: with the extension the seed is the session hash alone.
  if (extended) {
    RTLS_TRY(prf(alg, pre_master, "extended master secret", {session_hash}, dest));
  } else {
    RTLS_TRY(prf(alg, pre_master, "master secret", {client_random, server_random}, dest));
  }
  return out;
}

Result<KeyBlock12> tls12_key_block(HashAlg alg, Bytes master, Bytes client_random,
                                   Bytes server_random, size_t key_len, size_t iv_len) {
  const size_t total = 2 * (key_len + iv_len);
  if (key_len > Secret::kMaxSize || iv_len > Secret::kMaxSize || total > kMaxKeyBlock) {
    return internal_error();
  }
  std::array<uint8_t, kMaxKeyBlock> block{};
  // RFC 5246 6.3: note the order, server_random first.
  Status s = prf(alg, master, "key expansion", {server_random, client_random},
                 MutBytes(block.data(), total));
  if (!s) {
    secure_zero(MutBytes(block));
    return s.error();
  }
  // client_write_MAC_key and server_write_MAC_key are empty for AEAD suites
  // (RFC 5246 6.2.3.3), so the block is: client key, server key, client IV,
  // server IV.
  const Bytes b(block.data(), total);
  KeyBlock12 keys;
  keys.client_key.assign(b.subspan(0, key_len));
  keys.server_key.assign(b.subspan(key_len, key_len));
  keys.client_iv.assign(b.subspan(2 * key_len, iv_len));
  keys.server_iv.assign(b.subspan(2 * key_len + iv_len, iv_len));
  secure_zero(MutBytes(block));
  return keys;
}

Result<Secret> tls12_verify_data(HashAlg alg, Bytes master, bool client, Bytes transcript_hash) {
  Secret out;
  out.resize(kVerifyDataSize);
  RTLS_TRY(prf(alg, master, client ? "client finished" : "server finished", {transcript_hash},
               MutBytes(out.data(), out.size())));
  return out;
}

}  // namespace rapidtls::crypto
