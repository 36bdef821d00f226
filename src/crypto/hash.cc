#include "crypto/hash.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace rapidtls::crypto {
namespace {

// Fetched once per process: an explicit fetch avoids the implicit lookup that
// EVP_get_digestbyname-style calls do on every use.
const EVP_MD* md_for(HashAlg alg) {
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  static EVP_MD* const kSha384 = EVP_MD_fetch(nullptr, "SHA2-384", nullptr);
  return alg == HashAlg::sha256 ? kSha256 : kSha384;
}

// An HMAC context per hash with the digest already set. Setting the digest by
// name fetches it again, so each call duplicates this prototype instead and
// only supplies the key.
EVP_MAC_CTX* make_hmac_prototype(const char* digest) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return nullptr;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);  // the context keeps its own reference
  if (ctx == nullptr) return nullptr;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(ctx, params) != 1) {
    EVP_MAC_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

const EVP_MAC_CTX* hmac_prototype(HashAlg alg) {
  static EVP_MAC_CTX* const kSha256 = make_hmac_prototype("SHA2-256");
  static EVP_MAC_CTX* const kSha384 = make_hmac_prototype("SHA2-384");
  return alg == HashAlg::sha256 ? kSha256 : kSha384;
}

// Keys `ctx` with `key`. A null key means "keep the previous key" (what
// HmacKey::mac_parts relies on); an empty key is valid HMAC, so it is passed
// as a non-null pointer.
bool set_hmac_key(EVP_MAC_CTX* ctx, Bytes key) {
  static const uint8_t kEmpty = 0;
  const uint8_t* key_data = key.empty() ? &kEmpty : key.data();
  return EVP_MAC_init(ctx, key_data, key.size(), nullptr) == 1;
}

// A context for `key`: the prototype duplicated, then keyed.
EvpMacCtxPtr keyed_hmac(HashAlg alg, Bytes key) {
  const EVP_MAC_CTX* proto = hmac_prototype(alg);
  if (proto == nullptr) return nullptr;
  EvpMacCtxPtr ctx(EVP_MAC_CTX_dup(proto));
  if (!ctx || !set_hmac_key(ctx.get(), key)) return nullptr;
  return ctx;
}

// RFC 8446 7.1 HkdfLabel: struct { uint16 length; opaque label<7..255>;
// opaque context<0..255>; }, label = "tls13 " + Label. Returns its size, 0
// when a field is too long.
using HkdfLabelBuf = std::array<uint8_t, 2 + 1 + 255 + 1 + 255>;
size_t hkdf_label(std::string_view label, Bytes context, size_t length, HkdfLabelBuf& info) {
  static constexpr std::string_view kPrefix = "tls13 ";
  const size_t full_label = kPrefix.size() + label.size();
  if (full_label > 255 || context.size() > 255 || length > 0xffff) return 0;
  size_t n = 0;
  info[n++] = static_cast<uint8_t>(length >> 8);
  info[n++] = static_cast<uint8_t>(length);
  info[n++] = static_cast<uint8_t>(full_label);
  std::memcpy(info.data() + n, kPrefix.data(), kPrefix.size());
  n += kPrefix.size();
  if (!label.empty()) std::memcpy(info.data() + n, label.data(), label.size());
  n += label.size();
  info[n++] = static_cast<uint8_t>(context.size());
  if (!context.empty()) std::memcpy(info.data() + n, context.data(), context.size());
  n += context.size();
  return n;
}

}  // namespace

// --- Hash --------------------------------------------------------------------

Result<Hash> Hash::create(HashAlg alg) {
  const EVP_MD* md = md_for(alg);
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (md == nullptr || !ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1) {
    return internal_error();
  }
  return Hash(alg, std::move(ctx));
}

Hash::Hash(const Hash& o) : alg_(o.alg_), failed_(o.failed_) {
  if (!o.ctx_) return;
  ctx_.reset(EVP_MD_CTX_new());
  if (!ctx_ || EVP_MD_CTX_copy_ex(ctx_.get(), o.ctx_.get()) != 1) failed_ = true;
}

Hash& Hash::operator=(const Hash& o) {
  if (this != &o) *this = Hash(o);
  return *this;
}

Hash::~Hash() = default;

void Hash::update(Bytes data) {
  if (failed_ || data.empty()) return;
  if (!ctx_ || EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) failed_ = true;
}

Result<Secret> Hash::current() const {
  if (failed_ || !ctx_) return internal_error();
  // Finalising consumes a context, so finish a copy and keep the running state.
  EvpMdCtxPtr copy(EVP_MD_CTX_new());
  if (!copy || EVP_MD_CTX_copy_ex(copy.get(), ctx_.get()) != 1) return internal_error();
  Secret out;
  out.resize(hash_size(alg_));
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(copy.get(), out.data(), &len) != 1 || len != out.size()) {
    return internal_error();
  }
  return out;
}

// --- One-shot functions --------------------------------------------------------

Result<Secret> hash(HashAlg alg, Bytes data) {
  const EVP_MD* md = md_for(alg);
  if (md == nullptr) return internal_error();
  Secret out;
  out.resize(hash_size(alg));
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1 ||
      len != out.size()) {
    return internal_error();
  }
  return out;
}

Result<Secret> hmac(HashAlg alg, Bytes key, Bytes data) {
  RTLS_ASSIGN(HmacKey k, HmacKey::create(alg, key));
  return k.mac(data);
}

// --- HmacKey -------------------------------------------------------------------

Result<HmacKey> HmacKey::create(HashAlg alg, Bytes key) {
  EvpMacCtxPtr ctx = keyed_hmac(alg, key);
  if (!ctx) return internal_error();
  return HmacKey(alg, std::move(ctx));
}

HmacKey::~HmacKey() = default;

Status HmacKey::rekey(Bytes key) {
  if (!ctx_ || !set_hmac_key(ctx_.get(), key)) return internal_error();
  return {};
}

bool HmacKey::mac_parts(std::initializer_list<Bytes> parts, uint8_t* out) {
  // Without a key, EVP_MAC_init restarts HMAC from the key set at creation.
  if (!ctx_ || EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1) return false;
  for (Bytes part : parts) {
    if (!part.empty() && EVP_MAC_update(ctx_.get(), part.data(), part.size()) != 1) return false;
  }
  size_t len = 0;
  if (EVP_MAC_final(ctx_.get(), out, &len, hash_size(alg_)) != 1) return false;
  return len == hash_size(alg_);
}

Result<Secret> HmacKey::mac(Bytes data) {
  Secret out;
  out.resize(hash_size(alg_));
  if (!mac_parts({data}, out.data())) return internal_error();
  return out;
}

Status HmacKey::expand_into(Bytes info, MutBytes out) {
  const size_t hash_len = hash_size(alg_);
  const size_t length = out.size();
  if (length > 255 * hash_len) return internal_error();
  // RFC 5869 2.3: T(i) = HMAC(PRK, T(i-1) || info || i), T(0) empty.
  std::array<uint8_t, Secret::kMaxSize> block{};
  Bytes previous;
  size_t done = 0;
  for (unsigned counter = 1; done < length; ++counter) {
    const uint8_t counter_byte[1] = {static_cast<uint8_t>(counter)};
    if (!mac_parts({previous, info, Bytes(counter_byte)}, block.data())) {
      secure_zero(MutBytes(block));
      secure_zero(out);
      return internal_error();
    }
    size_t n = std::min(hash_len, length - done);
    std::memcpy(out.data() + done, block.data(), n);
    done += n;
    previous = Bytes(block.data(), hash_len);
  }
  secure_zero(MutBytes(block));
  return {};
}

Status HmacKey::expand_label_into(std::string_view label, Bytes context, MutBytes out) {
  HkdfLabelBuf info;
  const size_t n = hkdf_label(label, context, out.size(), info);
  if (n == 0) return internal_error();
  return expand_into(Bytes(info.data(), n), out);
}

Result<Secret> HmacKey::expand_label(std::string_view label, Bytes context, size_t length) {
  if (length > Secret::kMaxSize) return internal_error();
  Secret out;
  out.resize(length);
  RTLS_TRY(expand_label_into(label, context, MutBytes(out.data(), length)));
  return out;
}

// --- HKDF ------------------------------------------------------------------------

// HKDF is composed from HMAC rather than run through EVP_KDF "HKDF": the KDF
// route parses digest and mode parameters (and re-fetches the digest) on every
// call, while the key schedule runs ~15 of these per handshake. A caller that
// expands one secret several times keeps an HmacKey instead of calling these.

Result<Secret> hkdf_extract(HashAlg alg, Bytes salt, Bytes ikm) {
  // RFC 5869 2.2: a missing salt is HashLen zero bytes.
  static constexpr std::array<uint8_t, Secret::kMaxSize> kZeros{};
  if (salt.empty()) salt = Bytes(kZeros.data(), hash_size(alg));
  return hmac(alg, salt, ikm);
}

Status hkdf_expand_into(HashAlg alg, Bytes prk, Bytes info, MutBytes out) {
  RTLS_ASSIGN(HmacKey k, HmacKey::create(alg, prk));
  return k.expand_into(info, out);
}

Result<Secret> hkdf_expand(HashAlg alg, Bytes prk, Bytes info, size_t length) {
  if (length > Secret::kMaxSize) return internal_error();
  Secret out;
  out.resize(length);
  RTLS_TRY(hkdf_expand_into(alg, prk, info, MutBytes(out.data(), length)));
  return out;
}

Result<Secret> hkdf_expand_label(HashAlg alg, Bytes secret, std::string_view label, Bytes context,
                                 size_t length) {
  if (length > Secret::kMaxSize) return internal_error();
  Secret out;
  out.resize(length);
  RTLS_TRY(hkdf_expand_label_into(alg, secret, label, context, MutBytes(out.data(), length)));
  return out;
}

Status hkdf_expand_label_into(HashAlg alg, Bytes secret, std::string_view label, Bytes context,
                              MutBytes out) {
  RTLS_ASSIGN(HmacKey k, HmacKey::create(alg, secret));
  return k.expand_label_into(label, context, out);
}

}  // namespace rapidtls::crypto
