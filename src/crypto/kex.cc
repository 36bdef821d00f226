#include "crypto/kex.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include <array>

namespace rapidtls::crypto {
namespace {

constexpr size_t kX25519Size = 32;
constexpr size_t kMaxScalarSize = 66;  // P-521
// A RandomSource that keeps producing out-of-range scalars is broken; give up
// rather than loop forever. A rejection is rare: the scalar's bits beyond the
// order's are cleared first (P-521: 7 of its 66 bytes' 528 bits).
constexpr int kMaxScalarAttempts = 64;

Error bad_key_share() {
  ERR_clear_error();
  return {Alert::illegal_parameter, SSL_R_BAD_KEY_SHARE};
}

struct EcCurve {
  NamedGroup group;
  int nid;
  const char* name;   // OpenSSL's group name for OSSL_PKEY_PARAM_GROUP_NAME
  size_t field_len;   // bytes per coordinate and per private scalar
  size_t order_bits;  // the bit length of the group order
};

constexpr std::array<EcCurve, 3> kCurves = {{
    {NamedGroup::secp256r1, NID_X9_62_prime256v1, "prime256v1", 32, 256},
    {NamedGroup::secp384r1, NID_secp384r1, "secp384r1", 48, 384},
    {NamedGroup::secp521r1, NID_secp521r1, "secp521r1", 66, 521},
}};
static_assert(kCurves[2].field_len == kMaxScalarSize);

const EcCurve* find_curve(NamedGroup g) {
  for (const EcCurve& c : kCurves) {
    if (c.group == g) return &c;
  }
  return nullptr;
}

// Built once per curve; EC_POINT_mul and friends only read the group.
const EC_GROUP* ec_group(const EcCurve& curve) {
  static EC_GROUP* const kGroups[] = {
      EC_GROUP_new_by_curve_name_ex(nullptr, nullptr, kCurves[0].nid),
      EC_GROUP_new_by_curve_name_ex(nullptr, nullptr, kCurves[1].nid),
      EC_GROUP_new_by_curve_name_ex(nullptr, nullptr, kCurves[2].nid),
  };
  return kGroups[&curve - kCurves.data()];
}

size_t ec_point_size(const EcCurve& curve) {
  return 1 + 2 * curve.field_len;
}

// An EC EVP_PKEY from its group name, public point and (for a key pair) scalar.
EvpPkeyPtr ec_pkey_from_data(const EcCurve& curve, Bytes pub, const BIGNUM* priv) {
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve.name, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub.data(),
                                       pub.size()) != 1 ||
      (priv != nullptr && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1)) {
    return nullptr;
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* key = nullptr;
  const int selection = priv != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
  if (EVP_PKEY_fromdata(ctx.get(), &key, selection, params.get()) != 1) return nullptr;
  return EvpPkeyPtr(key);
}

// The scalar d as a constant-time BIGNUM, or null when it is not in [1, order).
BignumPtr ec_scalar(const EcCurve& curve, Bytes priv) {
  BignumPtr d(BN_secure_new());
  if (!d || BN_bin2bn(priv.data(), static_cast<int>(priv.size()), d.get()) == nullptr) {
    return nullptr;
  }
  BN_set_flags(d.get(), BN_FLG_CONSTTIME);
  const BIGNUM* order = EC_GROUP_get0_order(ec_group(curve));
  if (order == nullptr || BN_is_zero(d.get()) || BN_cmp(d.get(), order) >= 0) return nullptr;
  return d;
}

// A context that imports X25519 keys (EVP_PKEY_fromdata), one per thread.
// EVP_PKEY_new_raw_*_key_ex makes a context per key, looking the algorithm up
// by name each time: four times per handshake, ~1.6 us each. The context keeps
// no key material between imports.
EVP_PKEY_CTX* x25519_import_ctx() {
  thread_local const EvpPkeyCtxPtr ctx = [] {
    EvpPkeyCtxPtr c(EVP_PKEY_CTX_new_from_name(nullptr, "X25519", nullptr));
    if (c && EVP_PKEY_fromdata_init(c.get()) != 1) c.reset();
    return c;
  }();
  return ctx.get();
}

// An X25519 EVP_PKEY from a raw private key (the public key is computed) or,
// when `priv` is empty, from a raw public key.
EvpPkeyPtr x25519_import(Bytes priv, Bytes pub) {
  EVP_PKEY_CTX* ctx = x25519_import_ctx();
  if (ctx == nullptr) return nullptr;
  const bool is_private = !priv.empty();
  const Bytes raw = is_private ? priv : pub;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(
                             is_private ? OSSL_PKEY_PARAM_PRIV_KEY : OSSL_PKEY_PARAM_PUB_KEY,
                             const_cast<uint8_t*>(raw.data()), raw.size()),
                         OSSL_PARAM_construct_end()};
  EVP_PKEY* key = nullptr;
  const int selection = is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
  if (EVP_PKEY_fromdata(ctx, &key, selection, params) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return EvpPkeyPtr(key);
}

// The X25519 key pair for a 32-byte private key.
bool x25519_keypair(Bytes priv, EvpPkeyPtr* key, ByteVec* pub) {
  if (priv.size() != kX25519Size) return false;
  *key = x25519_import(priv, {});
  if (!*key) return false;
  pub->assign(kX25519Size, 0);
  size_t len = pub->size();
  return EVP_PKEY_get_raw_public_key(key->get(), pub->data(), &len) == 1 && len == kX25519Size;
}

// The EC key pair for scalar d: the public point d*G, then an EVP_PKEY from
// both halves (EC_KEY is deprecated in OpenSSL 3).
bool ec_keypair(const EcCurve& curve, const BIGNUM* d, EvpPkeyPtr* key, ByteVec* pub) {
  const EC_GROUP* group = ec_group(curve);
  if (group == nullptr) return false;
  BnCtxPtr bn_ctx(BN_CTX_secure_new());
  EcPointPtr point(EC_POINT_new(group));
  if (!bn_ctx || !point ||
      EC_POINT_mul(group, point.get(), d, nullptr, nullptr, bn_ctx.get()) != 1) {
    return false;
  }
  // RFC 8446 4.2.8.2: the uncompressed form 0x04 || X || Y.
  pub->assign(ec_point_size(curve), 0);
  if (EC_POINT_point2oct(group, point.get(), POINT_CONVERSION_UNCOMPRESSED, pub->data(),
                         pub->size(), bn_ctx.get()) != pub->size()) {
    return false;
  }
  *key = ec_pkey_from_data(curve, *pub, d);
  return *key != nullptr;
}

}  // namespace

bool group_supported(NamedGroup g) {
  return g == NamedGroup::x25519 || find_curve(g) != nullptr;
}

const char* group_name(NamedGroup g) {
  switch (g) {
    case NamedGroup::secp256r1:
      return "secp256r1";
    case NamedGroup::secp384r1:
      return "secp384r1";
    case NamedGroup::secp521r1:
      return "secp521r1";
    case NamedGroup::x25519:
      return "x25519";
    case NamedGroup::x448:
      return "x448";
  }
  return "unknown_group";
}

Result<KeyShare> KeyShare::generate(NamedGroup group, RandomSource& rng) {
  if (group == NamedGroup::x25519) {
    // RFC 7748 5: any 32 bytes are a private key (clamping is done on use).
    std::array<uint8_t, kX25519Size> priv;
    rng.fill(MutBytes(priv));
    auto share = from_private(group, Bytes(priv));
    secure_zero(MutBytes(priv));
    return share;
  }
  const EcCurve* curve = find_curve(group);
  if (curve == nullptr) return internal_error();
  // Rejection sampling keeps d uniform in [1, order) (FIPS 186-4 B.4.2).
  std::array<uint8_t, kMaxScalarSize> buf;
  MutBytes priv(buf.data(), curve->field_len);
  for (int attempt = 0; attempt < kMaxScalarAttempts; ++attempt) {
    rng.fill(priv);
    // The bits above the order's length can only make d too large.
    priv[0] &= static_cast<uint8_t>(0xff >> (8 * curve->field_len - curve->order_bits));
    BignumPtr d = ec_scalar(*curve, priv);
    secure_zero(priv);
    if (!d) continue;
    EvpPkeyPtr key;
    ByteVec pub;
    if (!ec_keypair(*curve, d.get(), &key, &pub)) return internal_error();
    return KeyShare(group, std::move(key), std::move(pub));
  }
  return internal_error();
}

Result<KeyShare> KeyShare::from_private(NamedGroup group, Bytes private_key) {
  EvpPkeyPtr key;
  ByteVec pub;
  if (group == NamedGroup::x25519) {
    if (!x25519_keypair(private_key, &key, &pub)) return internal_error();
    return KeyShare(group, std::move(key), std::move(pub));
  }
  const EcCurve* curve = find_curve(group);
  if (curve == nullptr || private_key.size() != curve->field_len) return internal_error();
  BignumPtr d = ec_scalar(*curve, private_key);
  if (!d || !ec_keypair(*curve, d.get(), &key, &pub)) return internal_error();
  return KeyShare(group, std::move(key), std::move(pub));
}

namespace {

// The peer's public key as an EVP_PKEY, or null when it is malformed or
// invalid (RFC 8446 4.2.8.2: wrong length, not uncompressed, not on the curve).
EvpPkeyPtr parse_peer(NamedGroup group, Bytes peer) {
  if (group == NamedGroup::x25519) {
    if (peer.size() != kX25519Size) return nullptr;
    return x25519_import({}, peer);
  }
  const EcCurve* curve = find_curve(group);
  if (curve == nullptr || peer.size() != ec_point_size(*curve) || peer[0] != 0x04) {
    return nullptr;
  }
  // Import decodes the point and refuses one that is off the curve; the quick
  // check also rules out the point at infinity. The curves have cofactor 1,
  // so that is a full public key validation.
  EvpPkeyPtr key = ec_pkey_from_data(*curve, peer, nullptr);
  if (!key) return nullptr;
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) return nullptr;
  return key;
}

bool all_zero(Bytes b) {
  uint8_t acc = 0;
  for (uint8_t c : b) acc |= c;  // no early exit: the secret's bytes stay private
  return acc == 0;
}

}  // namespace

Result<Secret> KeyShare::derive(Bytes peer_public) const {
  if (!key_) return internal_error();
  EvpPkeyPtr peer = parse_peer(group_, peer_public);
  if (!peer) return bad_key_share();
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
  // The peer was validated above, so set_peer need not validate it again.
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer_ex(ctx.get(), peer.get(), 0) != 1) {
    return internal_error();
  }
  Secret out;
  out.resize(Secret::kMaxSize);
  size_t len = out.size();
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1) {
    // libcrypto's X25519 refuses an all-zero result (a low-order peer point).
    if (group_ == NamedGroup::x25519) return bad_key_share();
    return internal_error();
  }
  out.resize(len);
  // RFC 8446 7.4.2 / RFC 7748 6.1: an all-zero X25519 secret must be rejected.
  if (group_ == NamedGroup::x25519 && all_zero(out.bytes())) return bad_key_share();
  return out;
}

}  // namespace rapidtls::crypto
