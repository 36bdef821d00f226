// Signature schemes: which keys go with which schemes, sign/verify round trips
// for every supported scheme, and the errors a bad or mismatched signature gives.
// Keys and certificates are in tests/data (see tests/data/README.md).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <atomic>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "crypto/sig.h"
#include "crypto/x509.h"

namespace rapidtls::crypto {
namespace {

using S = SignatureScheme;

const Error kBadSignature = {Alert::decrypt_error, SSL_R_BAD_SIGNATURE};
const Error kWrongType = {Alert::illegal_parameter, SSL_R_WRONG_SIGNATURE_TYPE};

constexpr S kAllSchemes[] = {
    S::rsa_pkcs1_sha256,
    S::rsa_pkcs1_sha384,
    S::rsa_pkcs1_sha512,
    S::ecdsa_secp256r1_sha256,
    S::ecdsa_secp384r1_sha384,
    S::ecdsa_secp521r1_sha512,
    S::rsa_pss_rsae_sha256,
    S::rsa_pss_rsae_sha384,
    S::rsa_pss_rsae_sha512,
    S::ed25519,
    S::ed448,
    S::rsa_pss_pss_sha256,
    S::rsa_pss_pss_sha384,
    S::rsa_pss_pss_sha512,
};

std::string data_path(const std::string& name) {
  return std::string(RAPIDTLS_TEST_DATA) + "/" + name;
}

struct KeyCase {
  const char* name;              // tests/data/<name>.key and <name>.pem
  std::vector<S> compatible;     // every scheme the key can use
  std::vector<S> tls13_schemes;  // what tls13_schemes() must return, in order
};

const std::vector<KeyCase>& key_cases() {
  static const std::vector<KeyCase> cases = {
      {"rsa2048",
       {S::rsa_pkcs1_sha256, S::rsa_pkcs1_sha384, S::rsa_pkcs1_sha512, S::rsa_pss_rsae_sha256,
        S::rsa_pss_rsae_sha384, S::rsa_pss_rsae_sha512},
       {S::rsa_pss_rsae_sha256, S::rsa_pss_rsae_sha384, S::rsa_pss_rsae_sha512}},
      // RSA-PSS with SHA-512 and a 64-byte salt needs a modulus of at least
      // 2 * 64 + 2 bytes (RFC 8017 9.1.1): a 1024-bit key is too small.
      {"rsa1024",
       {S::rsa_pkcs1_sha256, S::rsa_pkcs1_sha384, S::rsa_pkcs1_sha512, S::rsa_pss_rsae_sha256,
        S::rsa_pss_rsae_sha384},
       {S::rsa_pss_rsae_sha256, S::rsa_pss_rsae_sha384}},
      {"rsapss2048",
       {S::rsa_pss_pss_sha256, S::rsa_pss_pss_sha384, S::rsa_pss_pss_sha512},
       {S::rsa_pss_pss_sha256, S::rsa_pss_pss_sha384, S::rsa_pss_pss_sha512}},
      // An RSASSA-PSS key whose parameters pin SHA-256.
      {"rsapss_sha256", {S::rsa_pss_pss_sha256}, {S::rsa_pss_pss_sha256}},
      {"p256", {S::ecdsa_secp256r1_sha256}, {S::ecdsa_secp256r1_sha256}},
      {"p384", {S::ecdsa_secp384r1_sha384}, {S::ecdsa_secp384r1_sha384}},
      {"ed25519", {S::ed25519}, {S::ed25519}},
  };
  return cases;
}

PrivateKey load_private(const std::string& name) {
  auto key = PrivateKey::from_pem_file(data_path(name + ".key"));
  EXPECT_TRUE(key.ok()) << name;
  return std::move(key).value();
}

Certificate load_cert(const std::string& name) {
  auto chain = Certificate::chain_from_pem_file(data_path(name + ".pem"));
  EXPECT_TRUE(chain.ok()) << name;
  return chain->front();
}

PublicKey load_public(const std::string& name) {
  auto key = PublicKey::from_certificate(load_cert(name));
  EXPECT_TRUE(key.ok()) << name;
  return std::move(key).value();
}

// A PublicKey for a bare EVP_PKEY, through a certificate shell around it.
PublicKey public_of(EVP_PKEY* pkey) {
  X509Ptr x(X509_new());
  EXPECT_TRUE(x && X509_set_pubkey(x.get(), pkey) == 1);
  auto key = PublicKey::from_certificate(Certificate::from_x509(x.get()));
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

const ByteVec kMessage = [] {
  // Shaped like RFC 8446 4.4.3 signed content: 64 spaces, context, 0, hash.
  std::string m(64, ' ');
  m += "TLS 1.3, server CertificateVerify";
  m.push_back('\0');
  m.append(32, '\xab');
  return ByteVec(m.begin(), m.end());
}();

class SigKey : public ::testing::TestWithParam<KeyCase> {};

TEST_P(SigKey, CompatibleTable) {
  const KeyCase& c = GetParam();
  const PrivateKey priv = load_private(c.name);
  const PublicKey pub = load_public(c.name);
  const std::set<S> expected(c.compatible.begin(), c.compatible.end());
  for (S s : kAllSchemes) {
    EXPECT_EQ(priv.compatible(s), expected.count(s) == 1) << c.name << " " << scheme_name(s);
    EXPECT_EQ(pub.compatible(s), expected.count(s) == 1) << c.name << " " << scheme_name(s);
  }
}

TEST_P(SigKey, Tls13SchemesInPreferenceOrder) {
  const KeyCase& c = GetParam();
  EXPECT_EQ(load_private(c.name).tls13_schemes(), c.tls13_schemes);
}

TEST_P(SigKey, KeyMatchesItsOwnCertificateOnly) {
  const KeyCase& c = GetParam();
  const PrivateKey priv = load_private(c.name);
  EXPECT_TRUE(priv.matches(load_cert(c.name)));
  EXPECT_FALSE(priv.matches(load_cert(std::string(c.name) == "p256" ? "p384" : "p256")));
}

TEST_P(SigKey, SignVerifyRoundTripForEveryScheme) {
  const KeyCase& c = GetParam();
  const PrivateKey priv = load_private(c.name);
  const PublicKey pub = load_public(c.name);
  for (S s : c.compatible) {
    auto sig = priv.sign(s, kMessage);
    ASSERT_TRUE(sig.ok()) << scheme_name(s);
    EXPECT_TRUE(pub.verify(s, kMessage, *sig).ok()) << scheme_name(s);
  }
}

TEST_P(SigKey, FlippedBitIsBadSignature) {
  const KeyCase& c = GetParam();
  const PrivateKey priv = load_private(c.name);
  const PublicKey pub = load_public(c.name);
  for (S s : c.compatible) {
    auto sig = priv.sign(s, kMessage);
    ASSERT_TRUE(sig.ok());
    for (size_t at : {size_t{0}, sig->size() / 2, sig->size() - 1}) {
      ByteVec bad = *sig;
      bad[at] ^= 0x01;
      Status st = pub.verify(s, kMessage, bad);
      ASSERT_FALSE(st.ok()) << scheme_name(s) << " byte " << at;
      EXPECT_EQ(st.error(), kBadSignature) << scheme_name(s) << " byte " << at;
    }
    ByteVec other_message = kMessage;
    other_message[70] ^= 0x80;
    Status st = pub.verify(s, other_message, *sig);
    ASSERT_FALSE(st.ok()) << scheme_name(s);
    EXPECT_EQ(st.error(), kBadSignature);
  }
}

TEST_P(SigKey, TruncatedOrEmptySignatureIsBadSignature) {
  const KeyCase& c = GetParam();
  const PrivateKey priv = load_private(c.name);
  const PublicKey pub = load_public(c.name);
  const S s = c.compatible.front();
  auto sig = priv.sign(s, kMessage);
  ASSERT_TRUE(sig.ok());
  for (Bytes bad : {Bytes(*sig).first(sig->size() - 1), Bytes()}) {
    Status st = pub.verify(s, kMessage, bad);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error(), kBadSignature);
  }
}

TEST_P(SigKey, IncompatibleSchemeIsWrongSignatureType) {
  const KeyCase& c = GetParam();
  const PrivateKey priv = load_private(c.name);
  const PublicKey pub = load_public(c.name);
  const std::set<S> ok(c.compatible.begin(), c.compatible.end());
  auto sig = priv.sign(c.compatible.front(), kMessage);
  ASSERT_TRUE(sig.ok());
  for (S s : kAllSchemes) {
    if (ok.count(s)) continue;
    Status st = pub.verify(s, kMessage, *sig);
    ASSERT_FALSE(st.ok()) << scheme_name(s);
    EXPECT_EQ(st.error(), kWrongType) << scheme_name(s);
    EXPECT_FALSE(priv.sign(s, kMessage).ok()) << scheme_name(s);
  }
}

INSTANTIATE_TEST_SUITE_P(Keys, SigKey, ::testing::ValuesIn(key_cases()),
                         [](const ::testing::TestParamInfo<KeyCase>& p) {
                           return std::string(p.param.name);
                         });

TEST(Signature, RsaSchemesDoNotVerifyEachOther) {
  // Same key, different padding or hash: the signature must not verify.
  const PrivateKey priv = load_private("rsa2048");
  const PublicKey pub = load_public("rsa2048");
  auto pss256 = priv.sign(S::rsa_pss_rsae_sha256, kMessage);
  auto pkcs256 = priv.sign(S::rsa_pkcs1_sha256, kMessage);
  ASSERT_TRUE(pss256.ok() && pkcs256.ok());
  EXPECT_EQ(pub.verify(S::rsa_pss_rsae_sha384, kMessage, *pss256).error(), kBadSignature);
  EXPECT_EQ(pub.verify(S::rsa_pkcs1_sha256, kMessage, *pss256).error(), kBadSignature);
  EXPECT_EQ(pub.verify(S::rsa_pss_rsae_sha256, kMessage, *pkcs256).error(), kBadSignature);
}

TEST(Signature, RsaPssUsesRandomSaltsAndHashLengthSalt) {
  // Two PSS signatures of one message differ (random salt) and both verify.
  const PrivateKey priv = load_private("rsa2048");
  const PublicKey pub = load_public("rsa2048");
  auto a = priv.sign(S::rsa_pss_rsae_sha384, kMessage);
  auto b = priv.sign(S::rsa_pss_rsae_sha384, kMessage);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(pub.verify(S::rsa_pss_rsae_sha384, kMessage, *b).ok());
  // A PSS signature with a salt shorter than the hash is refused (RFC 8446
  // 4.2.3: the salt length MUST equal the digest length).
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  ASSERT_EQ(
      EVP_DigestSignInit_ex(ctx.get(), &pctx, "SHA384", nullptr, nullptr, priv.raw(), nullptr), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 20), 1);
  ByteVec short_salt(256);
  size_t len = short_salt.size();
  ASSERT_EQ(EVP_DigestSign(ctx.get(), short_salt.data(), &len, kMessage.data(), kMessage.size()),
            1);
  short_salt.resize(len);
  EXPECT_EQ(pub.verify(S::rsa_pss_rsae_sha384, kMessage, short_salt).error(), kBadSignature);
}

TEST(Signature, EcdsaSignatureIsDer) {
  // TLS carries ECDSA signatures as DER-encoded Ecdsa-Sig-Value (RFC 8446
  // 4.2.3): SEQUENCE { INTEGER r, INTEGER s }.
  const PrivateKey priv = load_private("p256");
  auto sig = priv.sign(S::ecdsa_secp256r1_sha256, kMessage);
  ASSERT_TRUE(sig.ok());
  ASSERT_GE(sig->size(), 8u);
  EXPECT_EQ((*sig)[0], 0x30);
  EXPECT_EQ((*sig)[1], sig->size() - 2);
  EXPECT_EQ((*sig)[2], 0x02);
  // Raw r || s (64 bytes) is not accepted.
  const ByteVec raw(64, 0x11);
  EXPECT_EQ(load_public("p256").verify(S::ecdsa_secp256r1_sha256, kMessage, raw).error(),
            kBadSignature);
}

// An ECDSA key signs its TLS 1.3 scheme through a context prepared once and
// copied per signature; the copies are independent (ECDSA draws a fresh k
// each time) and the key is shared by threads signing at once.
TEST(Signature, EcdsaPreparedContextSignsRepeatedlyAndAcrossThreads) {
  for (const auto& [name, scheme] : {std::pair{"p256", S::ecdsa_secp256r1_sha256},
                                     std::pair{"p384", S::ecdsa_secp384r1_sha384}}) {
    const PrivateKey priv = load_private(name);
    const PublicKey pub = load_public(name);
    auto first = priv.sign(scheme, kMessage);
    auto second = priv.sign(scheme, kMessage);
    ASSERT_TRUE(first.ok() && second.ok()) << name;
    EXPECT_NE(*first, *second) << name << ": a fresh k per signature";
    EXPECT_TRUE(pub.verify(scheme, kMessage, *first).ok()) << name;
    EXPECT_TRUE(pub.verify(scheme, kMessage, *second).ok()) << name;
    // The signature covers this message only.
    ByteVec other = kMessage;
    other.back() ^= 1;
    EXPECT_EQ(pub.verify(scheme, other, *first).error(), kBadSignature) << name;

    constexpr int kThreads = 4;
    constexpr int kEach = 25;
    std::atomic<int> good{0};
    std::vector<std::thread> threads;
    const S each_scheme = scheme;  // (clang 14 captures no structured binding)
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kEach; ++i) {
          auto sig = priv.sign(each_scheme, kMessage);
          if (sig.ok() && pub.verify(each_scheme, kMessage, *sig).ok()) ++good;
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(good.load(), kThreads * kEach) << name;
  }
  // TLS 1.2 lets a P-256 key sign with another hash: the other path, still valid.
  const PrivateKey p256 = load_private("p256");
  auto sig = p256.sign(S::ecdsa_secp384r1_sha384, kMessage, SchemeRules::tls12);
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(load_public("p256")
                  .verify(S::ecdsa_secp384r1_sha384, kMessage, *sig, SchemeRules::tls12)
                  .ok());
}

TEST(Signature, Ed25519_Rfc8032_Test1) {
  // RFC 8032 7.1 TEST 1: Ed25519 is deterministic, so the signature of the
  // empty message is a known answer.
  const ByteVec secret =
      from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  EvpPkeyPtr pkey(
      EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, secret.data(), secret.size()));
  ASSERT_TRUE(pkey);
  ByteVec pub_raw(32);
  size_t pub_len = pub_raw.size();
  ASSERT_EQ(EVP_PKEY_get_raw_public_key(pkey.get(), pub_raw.data(), &pub_len), 1);
  EXPECT_EQ(to_hex(pub_raw), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");

  auto priv = PrivateKey::from_evp(pkey.get());
  ASSERT_TRUE(priv.ok());
  auto sig = priv->sign(S::ed25519, {});
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(to_hex(*sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
            "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(public_of(pkey.get()).verify(S::ed25519, {}, *sig).ok());
}

TEST(Signature, FromEvpSharesTheKey) {
  EvpPkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  ASSERT_TRUE(pkey);
  auto priv = PrivateKey::from_evp(pkey.get());
  ASSERT_TRUE(priv.ok());
  EXPECT_EQ(priv->raw(), pkey.get());
  pkey.reset();  // the PrivateKey holds its own reference
  auto sig = priv->sign(S::ecdsa_secp384r1_sha384, kMessage);
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(public_of(priv->raw()).verify(S::ecdsa_secp384r1_sha384, kMessage, *sig).ok());
  EXPECT_FALSE(PrivateKey::from_evp(nullptr).ok());
}

TEST(Signature, FromPemParsesAKeyAndRejectsGarbage) {
  const std::string pem =
      "-----BEGIN PRIVATE KEY-----\n"
      "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
      "-----END PRIVATE KEY-----\n";  // RFC 8032 TEST 1 key as PKCS #8
  auto key = PrivateKey::from_pem(as_bytes(pem));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->tls13_schemes(), std::vector<S>{S::ed25519});
  auto sig = key->sign(S::ed25519, {});
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(to_hex(*sig).substr(0, 16), "e5564300c360ac72");  // RFC 8032 TEST 1

  EXPECT_FALSE(PrivateKey::from_pem(as_bytes("not a key")).ok());
  EXPECT_FALSE(PrivateKey::from_pem({}).ok());
  EXPECT_FALSE(PrivateKey::from_pem_file(data_path("does-not-exist.key")).ok());
  // A certificate is not a private key.
  EXPECT_FALSE(PrivateKey::from_pem_file(data_path("p256.pem")).ok());
}

TEST(Signature, SchemeNamesAndTls13Allowance) {
  EXPECT_STREQ(scheme_name(S::rsa_pss_rsae_sha256), "rsa_pss_rsae_sha256");
  EXPECT_STREQ(scheme_name(S::ecdsa_secp384r1_sha384), "ecdsa_secp384r1_sha384");
  EXPECT_STREQ(scheme_name(S::ed25519), "ed25519");
  EXPECT_STREQ(scheme_name(static_cast<S>(0x0201)), "unknown_scheme");
  // RFC 8446 4.2.3: rsa_pkcs1_* only for certificates, never CertificateVerify.
  for (S s : kAllSchemes) {
    const bool pkcs1 =
        s == S::rsa_pkcs1_sha256 || s == S::rsa_pkcs1_sha384 || s == S::rsa_pkcs1_sha512;
    EXPECT_EQ(scheme_allowed_in_tls13_cert_verify(s), !pkcs1) << scheme_name(s);
  }
  EXPECT_FALSE(scheme_allowed_in_tls13_cert_verify(static_cast<S>(0x0201)));  // rsa_pkcs1_sha1
}

}  // namespace
}  // namespace rapidtls::crypto
