#include "test_pki.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdlib>

namespace rapidtls::testing {
namespace {

EVP_PKEY* make_key(KeyType t) {
  switch (t) {
    case KeyType::ecdsa_p256:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    case KeyType::ecdsa_p384:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
    case KeyType::ecdsa_p521:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521");
    case KeyType::rsa2048:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
    case KeyType::rsa_pss2048: {
      // EVP_PKEY_Q_keygen takes a size only for "RSA"; RSA-PSS goes the long way.
      EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA-PSS", nullptr);
      EVP_PKEY* key = nullptr;
      if (ctx == nullptr || EVP_PKEY_keygen_init(ctx) != 1 ||
          EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) != 1 || EVP_PKEY_keygen(ctx, &key) != 1) {
        key = nullptr;
      }
      EVP_PKEY_CTX_free(ctx);
      return key;
    }
    case KeyType::ed25519:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  return nullptr;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) std::abort();
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// Makes a certificate for `key` signed by `issuer_key` (self-signed when
// issuer is null), valid from now + from_days to now + to_days.
X509* make_cert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, bool is_ca,
                long from_days, long to_days) {
  static long serial = 1;
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), from_days * 86400);
  X509_gmtime_adj(X509_getm_notAfter(x), to_days * 86400);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
  X509* issuer_cert = issuer ? issuer : x;
  if (is_ca) {
    add_ext(x, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(x, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x, issuer_cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    add_ext(x, issuer_cert, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  const EVP_MD* md = EVP_PKEY_is_a(issuer_key, "ED25519") ? nullptr : EVP_sha256();
  if (X509_sign(x, issuer_key, md) == 0) std::abort();
  return x;
}

Leaf make_leaf(KeyType t, X509* ca, EVP_PKEY* ca_key, long from_days, long to_days) {
  EVP_PKEY* key = make_key(t);
  if (key == nullptr) std::abort();
  X509* cert = make_cert(key, "localhost", ca, ca_key, false, from_days, to_days);
  Leaf leaf;
  leaf.chain.push_back(crypto::Certificate::from_x509(cert));
  auto pk = crypto::PrivateKey::from_evp(key);
  if (!pk.ok()) std::abort();
  leaf.signer = std::make_shared<handshake::KeySigner>(std::move(pk).value());
  X509_free(cert);
  EVP_PKEY_free(key);
  return leaf;
}

}  // namespace

const char* key_type_name(KeyType t) {
  switch (t) {
    case KeyType::ecdsa_p256:
      return "EcdsaP256";
    case KeyType::ecdsa_p384:
      return "EcdsaP384";
    case KeyType::ecdsa_p521:
      return "EcdsaP521";
    case KeyType::rsa2048:
      return "Rsa2048";
    case KeyType::rsa_pss2048:
      return "RsaPss2048";
    case KeyType::ed25519:
      return "Ed25519";
  }
  return "?";
}

const TestPki& TestPki::get() {
  static const TestPki* pki = new TestPki();
  return *pki;
}

namespace {
struct CaParts {
  EVP_PKEY* key;
  X509* cert;
};
CaParts make_ca(const char* cn) {
  EVP_PKEY* key = make_key(KeyType::ecdsa_p256);
  return {key, make_cert(key, cn, nullptr, key, true, -1, 36500)};
}
}  // namespace

TestPki::TestPki() {
  CaParts ca = make_ca("rapidtls test CA");
  ca_.emplace(crypto::Certificate::from_x509(ca.cert));
  trust_ = std::make_shared<crypto::TrustStore>();
  if (!trust_->add_certificate(*ca_).ok()) std::abort();
  for (KeyType t : {KeyType::ecdsa_p256, KeyType::ecdsa_p384, KeyType::ecdsa_p521, KeyType::rsa2048,
                    KeyType::rsa_pss2048, KeyType::ed25519}) {
    leaves_.emplace_back(t, make_leaf(t, ca.cert, ca.key, -1, 36500));
  }
  expired_ = make_leaf(KeyType::ecdsa_p256, ca.cert, ca.key, -30, -1);
  CaParts other = make_ca("rapidtls untrusted CA");
  untrusted_ = make_leaf(KeyType::ecdsa_p256, other.cert, other.key, -1, 36500);
  for (CaParts* p : {&ca, &other}) {
    X509_free(p->cert);
    EVP_PKEY_free(p->key);
  }
}

const Leaf& TestPki::leaf(KeyType t) const {
  for (const auto& [type, leaf] : leaves_) {
    if (type == t) return leaf;
  }
  std::abort();
}

}  // namespace rapidtls::testing
