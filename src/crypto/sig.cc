#include "crypto/sig.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>
#include <climits>

#include "crypto/x509.h"

namespace rapidtls::crypto {

// What a key is, as far as choosing a signature scheme goes.
enum class KeyKind : uint8_t { unknown, rsa, rsa_pss, p256, p384, p521, ed25519, ed448 };

namespace {

enum class Padding : uint8_t { none, pkcs1, pss };

enum class Digest : uint8_t { none, sha256, sha384, sha512 };

struct SchemeInfo {
  SignatureScheme scheme;
  const char* name;
  KeyKind kind;
  Digest digest;
  Padding padding;
};

// RFC 8446 4.2.3. EdDSA hashes internally, so it has no digest here.
constexpr std::array<SchemeInfo, 14> kSchemes = {{
    {SignatureScheme::rsa_pkcs1_sha256, "rsa_pkcs1_sha256", KeyKind::rsa, Digest::sha256,
     Padding::pkcs1},
    {SignatureScheme::rsa_pkcs1_sha384, "rsa_pkcs1_sha384", KeyKind::rsa, Digest::sha384,
     Padding::pkcs1},
    {SignatureScheme::rsa_pkcs1_sha512, "rsa_pkcs1_sha512", KeyKind::rsa, Digest::sha512,
     Padding::pkcs1},
    {SignatureScheme::ecdsa_secp256r1_sha256, "ecdsa_secp256r1_sha256", KeyKind::p256,
     Digest::sha256, Padding::none},
    {SignatureScheme::ecdsa_secp384r1_sha384, "ecdsa_secp384r1_sha384", KeyKind::p384,
     Digest::sha384, Padding::none},
    {SignatureScheme::ecdsa_secp521r1_sha512, "ecdsa_secp521r1_sha512", KeyKind::p521,
     Digest::sha512, Padding::none},
    {SignatureScheme::rsa_pss_rsae_sha256, "rsa_pss_rsae_sha256", KeyKind::rsa, Digest::sha256,
     Padding::pss},
    {SignatureScheme::rsa_pss_rsae_sha384, "rsa_pss_rsae_sha384", KeyKind::rsa, Digest::sha384,
     Padding::pss},
    {SignatureScheme::rsa_pss_rsae_sha512, "rsa_pss_rsae_sha512", KeyKind::rsa, Digest::sha512,
     Padding::pss},
    {SignatureScheme::ed25519, "ed25519", KeyKind::ed25519, Digest::none, Padding::none},
    {SignatureScheme::ed448, "ed448", KeyKind::ed448, Digest::none, Padding::none},
    {SignatureScheme::rsa_pss_pss_sha256, "rsa_pss_pss_sha256", KeyKind::rsa_pss, Digest::sha256,
     Padding::pss},
    {SignatureScheme::rsa_pss_pss_sha384, "rsa_pss_pss_sha384", KeyKind::rsa_pss, Digest::sha384,
     Padding::pss},
    {SignatureScheme::rsa_pss_pss_sha512, "rsa_pss_pss_sha512", KeyKind::rsa_pss, Digest::sha512,
     Padding::pss},
}};

// TLS 1.3 signing preference: EdDSA and ECDSA first (small and fast), then
// RSA-PSS with the shortest hash first, as other stacks order them.
constexpr std::array<SignatureScheme, 11> kTls13Preference = {
    SignatureScheme::ed25519,
    SignatureScheme::ed448,
    SignatureScheme::ecdsa_secp256r1_sha256,
    SignatureScheme::ecdsa_secp384r1_sha384,
    SignatureScheme::ecdsa_secp521r1_sha512,
    SignatureScheme::rsa_pss_rsae_sha256,
    SignatureScheme::rsa_pss_rsae_sha384,
    SignatureScheme::rsa_pss_rsae_sha512,
    SignatureScheme::rsa_pss_pss_sha256,
    SignatureScheme::rsa_pss_pss_sha384,
    SignatureScheme::rsa_pss_pss_sha512,
};

const SchemeInfo* find_scheme(SignatureScheme s) {
  for (const SchemeInfo& info : kSchemes) {
    if (info.scheme == s) return &info;
  }
  return nullptr;
}

// Fetched once per process.
const EVP_MD* md_for(Digest d) {
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  static EVP_MD* const kSha384 = EVP_MD_fetch(nullptr, "SHA2-384", nullptr);
  static EVP_MD* const kSha512 = EVP_MD_fetch(nullptr, "SHA2-512", nullptr);
  switch (d) {
    case Digest::sha256:
      return kSha256;
    case Digest::sha384:
      return kSha384;
    case Digest::sha512:
      return kSha512;
    case Digest::none:
      break;
  }
  return nullptr;
}

size_t digest_size(Digest d) {
  switch (d) {
    case Digest::sha256:
      return 32;
    case Digest::sha384:
      return 48;
    case Digest::sha512:
      return 64;
    case Digest::none:
      break;
  }
  return 0;
}

KeyKind ec_kind(const EVP_PKEY* key) {
  char name[64];
  size_t len = 0;
  if (EVP_PKEY_get_group_name(key, name, sizeof(name), &len) != 1) return KeyKind::unknown;
  int nid = OBJ_sn2nid(name);
  if (nid == NID_undef) nid = EC_curve_nist2nid(name);
  switch (nid) {
    case NID_X9_62_prime256v1:
      return KeyKind::p256;
    case NID_secp384r1:
      return KeyKind::p384;
    case NID_secp521r1:
      return KeyKind::p521;
    default:
      return KeyKind::unknown;
  }
}

KeyKind key_kind(const EVP_PKEY* key) {
  if (key == nullptr) return KeyKind::unknown;
  // RSA-PSS first: an RSASSA-PSS key is not an rsaEncryption key.
  if (EVP_PKEY_is_a(key, "RSA-PSS")) return KeyKind::rsa_pss;
  if (EVP_PKEY_is_a(key, "RSA")) return KeyKind::rsa;
  if (EVP_PKEY_is_a(key, "EC")) return ec_kind(key);
  if (EVP_PKEY_is_a(key, "ED25519")) return KeyKind::ed25519;
  if (EVP_PKEY_is_a(key, "ED448")) return KeyKind::ed448;
  return KeyKind::unknown;
}

// An RSASSA-PSS key may be restricted to one hash by its parameters.
bool pss_digest_allowed(const EVP_PKEY* key, Digest d) {
  char name[64];
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_MANDATORY_DIGEST, name, sizeof(name),
                                     &len) != 1 ||
      len == 0) {
    return true;  // unrestricted
  }
  const EVP_MD* md = md_for(d);
  return md != nullptr && EVP_MD_is_a(md, name);
}

bool is_ecdsa(KeyKind k) {
  return k == KeyKind::p256 || k == KeyKind::p384 || k == KeyKind::p521;
}

bool key_compatible(const EVP_PKEY* key, KeyKind kind, SignatureScheme scheme, SchemeRules rules) {
  const SchemeInfo* info = find_scheme(scheme);
  if (info == nullptr || key == nullptr) return false;  // null: a moved-from key
  if (kind == KeyKind::unknown) return false;
  // TLS 1.2: an ECDSA scheme is a hash with ECDSA on any of our curves.
  const bool any_curve = rules == SchemeRules::tls12 && is_ecdsa(kind) && is_ecdsa(info->kind);
  if (kind != info->kind && !any_curve) return false;
  if (info->padding == Padding::pss) {
    // RFC 8017 9.1.1 with sLen = hLen: emLen >= 2 * hLen + 2, where
    // emLen = ceil((modBits - 1) / 8).
    const int bits = EVP_PKEY_get_bits(key);
    const size_t em_len = bits > 1 ? static_cast<size_t>(bits - 1 + 7) / 8 : 0;
    if (em_len < 2 * digest_size(info->digest) + 2) return false;
    if (kind == KeyKind::rsa_pss && !pss_digest_allowed(key, info->digest)) return false;
  }
  return true;
}

// RFC 8446 4.2.3: RSA-PSS with MGF1 over the same hash and a salt as long as
// the hash; PKCS #1 v1.5 for the rsa_pkcs1_* schemes.
bool set_padding(EVP_PKEY_CTX* pctx, const SchemeInfo& info) {
  switch (info.padding) {
    case Padding::none:
      return true;
    case Padding::pkcs1:
      return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    case Padding::pss:
      return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md_for(info.digest)) == 1;
  }
  return false;
}

int no_password(char*, int, int, void*) {
  return 0;
}  // never prompt on a terminal

// The first private key in a PEM stream (PKCS #8 or traditional), or null.
EvpPkeyPtr read_private_key(BIO* bio) {
  if (bio == nullptr) return nullptr;
  EvpPkeyPtr key(PEM_read_bio_PrivateKey_ex(bio, nullptr, no_password, nullptr, nullptr, nullptr));
  ERR_clear_error();
  return key;
}

Error pem_error() {
  return {Alert::internal_error, ERR_R_PEM_LIB};
}

}  // namespace

const char* scheme_name(SignatureScheme s) {
  const SchemeInfo* info = find_scheme(s);
  return info != nullptr ? info->name : "unknown_scheme";
}

bool scheme_allowed_in_tls13_cert_verify(SignatureScheme s) {
  const SchemeInfo* info = find_scheme(s);
  return info != nullptr && info->padding != Padding::pkcs1;
}

// --- PublicKey -----------------------------------------------------------------

PublicKey::PublicKey(EvpPkeyPtr key) : key_(std::move(key)), kind_(key_kind(key_.get())) {}

Result<PublicKey> PublicKey::from_certificate(const Certificate& cert) {
  EvpPkeyPtr key(cert.raw() != nullptr ? X509_get_pubkey(cert.raw()) : nullptr);
  if (!key) {
    ERR_clear_error();
    return Error{Alert::bad_certificate, SSL_R_UNABLE_TO_FIND_PUBLIC_KEY_PARAMETERS};
  }
  return PublicKey(std::move(key));
}

bool PublicKey::compatible(SignatureScheme scheme, SchemeRules rules) const {
  return key_compatible(key_.get(), kind_, scheme, rules);
}

uint16_t PublicKey::ec_group_id() const {
  switch (kind_) {
    case KeyKind::p256:
      return 0x0017;
    case KeyKind::p384:
      return 0x0018;
    case KeyKind::p521:
      return 0x0019;
    default:
      return 0;
  }
}

Status PublicKey::verify(SignatureScheme scheme, Bytes message, Bytes signature,
                         SchemeRules rules) const {
  if (!compatible(scheme, rules))
    return Error{Alert::illegal_parameter, SSL_R_WRONG_SIGNATURE_TYPE};
  const SchemeInfo& info = *find_scheme(scheme);
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), &pctx, md_for(info.digest), nullptr, key_.get()) != 1 ||
      !set_padding(pctx, info)) {
    return internal_error();
  }
  // 0 is a wrong signature, < 0 a malformed one (e.g. bad DER); both are the
  // peer's fault.
  if (EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                       message.size()) != 1) {
    ERR_clear_error();
    return Error{Alert::decrypt_error, SSL_R_BAD_SIGNATURE};
  }
  return {};
}

// --- PrivateKey ----------------------------------------------------------------

PrivateKey::PrivateKey(EvpPkeyPtr key) : key_(std::move(key)), kind_(key_kind(key_.get())) {
  SignatureScheme scheme;
  switch (kind_) {
    case KeyKind::p256:
      scheme = SignatureScheme::ecdsa_secp256r1_sha256;
      break;
    case KeyKind::p384:
      scheme = SignatureScheme::ecdsa_secp384r1_sha384;
      break;
    case KeyKind::p521:
      scheme = SignatureScheme::ecdsa_secp521r1_sha512;
      break;
    default:
      return;
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), md_for(find_scheme(scheme)->digest)) != 1) {
    ERR_clear_error();  // EVP_DigestSign does the signing then
    return;
  }
  sign_ctx_ = std::move(ctx);
  sign_ctx_scheme_ = scheme;
}

Result<PrivateKey> PrivateKey::from_pem(Bytes pem) {
  if (pem.size() > INT_MAX) return pem_error();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr key = read_private_key(bio.get());
  if (!key) return pem_error();
  return PrivateKey(std::move(key));
}

Result<PrivateKey> PrivateKey::from_pem_file(const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "rb"));
  if (!bio) {
    ERR_clear_error();
    return Error{Alert::internal_error, ERR_R_SYS_LIB};
  }
  EvpPkeyPtr key = read_private_key(bio.get());
  if (!key) return pem_error();
  return PrivateKey(std::move(key));
}

Result<PrivateKey> PrivateKey::from_evp(EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_up_ref(key) != 1) return internal_error();
  return PrivateKey(EvpPkeyPtr(key));
}

bool PrivateKey::compatible(SignatureScheme scheme, SchemeRules rules) const {
  return key_compatible(key_.get(), kind_, scheme, rules);
}

std::vector<SignatureScheme> PrivateKey::tls13_schemes() const {
  std::vector<SignatureScheme> out;
  for (SignatureScheme s : kTls13Preference) {
    if (compatible(s)) out.push_back(s);
  }
  return out;
}

std::vector<SignatureScheme> PrivateKey::tls12_schemes() const {
  std::vector<SignatureScheme> out;
  for (SignatureScheme s : kTls13Preference) {
    if (compatible(s, SchemeRules::tls12)) out.push_back(s);
  }
  for (SignatureScheme s : {SignatureScheme::rsa_pkcs1_sha256, SignatureScheme::rsa_pkcs1_sha384,
                            SignatureScheme::rsa_pkcs1_sha512}) {
    if (compatible(s, SchemeRules::tls12)) out.push_back(s);
  }
  return out;
}

Result<ByteVec> PrivateKey::sign(SignatureScheme scheme, Bytes message, SchemeRules rules) const {
  // Asking for a scheme the key cannot do is a bug in the caller's selection.
  if (!compatible(scheme, rules)) return Error{Alert::internal_error, SSL_R_WRONG_SIGNATURE_TYPE};
  if (sign_ctx_ && scheme == sign_ctx_scheme_) return sign_prepared(message);
  const SchemeInfo& info = *find_scheme(scheme);
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, md_for(info.digest), nullptr, key_.get()) != 1 ||
      !set_padding(pctx, info)) {
    return internal_error();
  }
  const int max_size = EVP_PKEY_get_size(key_.get());
  if (max_size <= 0) return internal_error();
  ByteVec sig(static_cast<size_t>(max_size));
  size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1) {
    return internal_error();
  }
  sig.resize(len);  // DER ECDSA signatures vary in length
  return sig;
}

Result<ByteVec> PrivateKey::sign_prepared(Bytes message) const {
  const Digest digest = find_scheme(sign_ctx_scheme_)->digest;
  uint8_t hash[EVP_MAX_MD_SIZE];
  unsigned int hash_len = 0;
  if (EVP_Digest(message.data(), message.size(), hash, &hash_len, md_for(digest), nullptr) != 1 ||
      hash_len != digest_size(digest)) {
    return internal_error();
  }
  // A copy per signature: the shared context is never used itself.
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_dup(sign_ctx_.get()));
  const int max_size = EVP_PKEY_get_size(key_.get());
  if (!ctx || max_size <= 0) return internal_error();
  ByteVec sig(static_cast<size_t>(max_size));
  size_t len = sig.size();
  if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, hash, hash_len) != 1) return internal_error();
  sig.resize(len);  // DER ECDSA signatures vary in length
  return sig;
}

bool PrivateKey::matches(const Certificate& cert) const {
  const EVP_PKEY* pub = cert.raw() != nullptr ? X509_get0_pubkey(cert.raw()) : nullptr;
  return pub != nullptr && key_ && EVP_PKEY_eq(pub, key_.get()) == 1;
}

}  // namespace rapidtls::crypto
