// A server with several certificates (RSA and ECDSA side by side, as nginx
// and HAProxy configure them): which one each client gets in TLS 1.3 (the
// client's signature_algorithms, in its order) and TLS 1.2 (the suite, and
// RFC 8422 5.1.1's curve rule); and the certificate_authorities a server
// names in its CertificateRequest (RFC 5246 7.4.4, RFC 8446 4.2.4).
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include "engine_expect.h"
#include "handshake/certificate_choice.h"
#include "handshake/extensions.h"
#include "handshake/messages12.h"
#include "handshake/suites12.h"
#include "handshake_test_util.h"

namespace rapidtls::testing {
namespace {

using crypto::NamedGroup;
using crypto::SignatureScheme;
using testutil::fails_with;

constexpr uint16_t kEcdheRsaAes128 = 0xc02f;    // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
constexpr uint16_t kEcdheEcdsaAes128 = 0xc02b;  // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256

// A server holding a certificate of each type, in this order.
std::shared_ptr<Config> server_with(std::initializer_list<KeyType> types) {
  auto cfg = server_config(*types.begin());
  cfg->certificates.clear();
  for (KeyType t : types) cfg->certificates.push_back(TestPki::get().leaf(t).certified());
  return cfg;
}

std::shared_ptr<Config> client_offering(std::vector<SignatureScheme> schemes,
                                        uint16_t version = handshake::kTls13) {
  auto cfg = client_config();
  cfg->signature_schemes = std::move(schemes);
  cfg->min_version = cfg->max_version = version;
  return cfg;
}

// The handshake completes and the client saw the leaf of type `want`, which
// the server records as the one it sent.
void expect_certificate(const std::shared_ptr<Config>& ccfg, const std::shared_ptr<Config>& scfg,
                        KeyType want) {
  Pair p(ccfg, scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  const auto& leaf = TestPki::get().leaf(want).chain.front();
  ASSERT_FALSE(p.client.session()->peer_chain.empty());
  EXPECT_TRUE(ct_equal(p.client.session()->peer_chain.front().der(), leaf.der()))
      << "wanted " << key_type_name(want);
  const auto& sent = p.server.session()->own_certificate;
  ASSERT_TRUE(sent.has_value());
  EXPECT_TRUE(ct_equal(scfg->certificates[*sent].chain.front().der(), leaf.der()));
}

TEST(CertificateChoice, Tls13_RsaPssOnlyClientGetsRsa) {
  expect_certificate(client_offering({SignatureScheme::rsa_pss_rsae_sha256}),
                     server_with({KeyType::ecdsa_p256, KeyType::rsa2048}), KeyType::rsa2048);
}

TEST(CertificateChoice, Tls13_EcdsaOnlyClientGetsEcdsa) {
  expect_certificate(client_offering({SignatureScheme::ecdsa_secp256r1_sha256}),
                     server_with({KeyType::rsa2048, KeyType::ecdsa_p256}), KeyType::ecdsa_p256);
}

TEST(CertificateChoice, Tls13_BothFollowTheClientsOrder) {
  const auto scfg = server_with({KeyType::rsa2048, KeyType::ecdsa_p256});
  expect_certificate(client_offering({SignatureScheme::ecdsa_secp256r1_sha256,
                                      SignatureScheme::rsa_pss_rsae_sha256}),
                     scfg, KeyType::ecdsa_p256);
  expect_certificate(client_offering({SignatureScheme::rsa_pss_rsae_sha256,
                                      SignatureScheme::ecdsa_secp256r1_sha256}),
                     scfg, KeyType::rsa2048);
  // Our default client (ECDSA first, as OpenSSL's and browsers') gets ECDSA.
  auto ccfg = client_config();
  ccfg->min_version = handshake::kTls13;
  expect_certificate(ccfg, scfg, KeyType::ecdsa_p256);
}

// RFC 8446 4.2.3: in TLS 1.3 an ECDSA scheme names the curve; a P-384
// certificate cannot answer a client that takes only P-256 signatures.
TEST(CertificateChoice, Tls13_EcdsaSchemeFixesTheCurve) {
  expect_certificate(client_offering({SignatureScheme::ecdsa_secp256r1_sha256,
                                      SignatureScheme::rsa_pss_rsae_sha256}),
                     server_with({KeyType::ecdsa_p384, KeyType::rsa2048}), KeyType::rsa2048);
  expect_certificate(client_offering({SignatureScheme::ecdsa_secp384r1_sha384,
                                      SignatureScheme::rsa_pss_rsae_sha256}),
                     server_with({KeyType::rsa2048, KeyType::ecdsa_p384}), KeyType::ecdsa_p384);
}

TEST(CertificateChoice, Tls13_Ed25519AndRsaPss) {
  const auto scfg = server_with({KeyType::rsa2048, KeyType::rsa_pss2048, KeyType::ed25519});
  expect_certificate(client_offering({SignatureScheme::ed25519}), scfg, KeyType::ed25519);
  expect_certificate(client_offering({SignatureScheme::rsa_pss_pss_sha256}), scfg,
                     KeyType::rsa_pss2048);
  expect_certificate(client_offering({SignatureScheme::rsa_pss_rsae_sha256}), scfg,
                     KeyType::rsa2048);
}

TEST(CertificateChoice, Tls13_NoCertificateFitsFails) {
  Pair p(client_offering({SignatureScheme::ecdsa_secp256r1_sha256}),
         server_with({KeyType::rsa2048, KeyType::ecdsa_p384}));
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.server.error().has_value());
  EXPECT_EQ(p.server.error()->reason, SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM);
  EXPECT_EQ(p.server.error()->alert, Alert::handshake_failure);
}

std::shared_ptr<Config> tls12_client(std::vector<uint16_t> suites) {
  auto cfg = client_config();
  cfg->max_version = handshake::kTls12;
  cfg->cipher_suites12 = std::move(suites);
  return cfg;
}

// TLS 1.2: the suite names the certificate's type.
TEST(CertificateChoice, Tls12_TheSuiteDecides) {
  const auto scfg = server_with({KeyType::ecdsa_p256, KeyType::rsa2048});
  expect_certificate(tls12_client({kEcdheRsaAes128}), scfg, KeyType::rsa2048);
  expect_certificate(tls12_client({kEcdheEcdsaAes128}), scfg, KeyType::ecdsa_p256);
  // Both: our preference (ECDHE-ECDSA first, as kDefaultSuites12).
  expect_certificate(tls12_client({kEcdheRsaAes128, kEcdheEcdsaAes128}), scfg, KeyType::ecdsa_p256);
  // Our preference among suites with a certificate: RSA first on this server.
  auto rsa_first = server_with({KeyType::ecdsa_p256, KeyType::rsa2048});
  rsa_first->cipher_suites12 = {kEcdheRsaAes128, kEcdheEcdsaAes128};
  expect_certificate(tls12_client({kEcdheEcdsaAes128, kEcdheRsaAes128}), rsa_first,
                     KeyType::rsa2048);
}

TEST(CertificateChoice, Tls12_SchemesLeaveOnlyRsa) {
  auto ccfg = tls12_client({kEcdheEcdsaAes128, kEcdheRsaAes128});
  ccfg->signature_schemes = {SignatureScheme::rsa_pss_rsae_sha256};
  expect_certificate(ccfg, server_with({KeyType::ecdsa_p256, KeyType::rsa2048}), KeyType::rsa2048);
}

// RFC 8422 5.1.1: an ECDSA certificate whose curve the client did not list
// in supported_groups is unusable; the RSA one is taken instead.
TEST(CertificateChoice, Tls12_EcdsaCurveTheClientLacksGivesRsa) {
  auto ccfg = tls12_client({kEcdheEcdsaAes128, kEcdheRsaAes128});
  ccfg->groups = {NamedGroup::x25519, NamedGroup::secp256r1};
  expect_certificate(ccfg, server_with({KeyType::ecdsa_p384, KeyType::rsa2048}), KeyType::rsa2048);
  // The same client with P-384 listed gets the ECDSA certificate.
  ccfg->groups.push_back(NamedGroup::secp384r1);
  expect_certificate(ccfg, server_with({KeyType::ecdsa_p384, KeyType::rsa2048}),
                     KeyType::ecdsa_p384);
}

TEST(CertificateChoice, Tls12_NoSuiteWithACertificateFails) {
  Pair p(tls12_client({kEcdheRsaAes128}), server_with({KeyType::ecdsa_p256}));
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.server.error().has_value());
  EXPECT_EQ(p.server.error()->reason, SSL_R_NO_SHARED_CIPHER);
}

// The chooser alone: a certificate without a signer or chain is skipped.
TEST(CertificateChoice, IncompleteCertificatesAreSkipped) {
  Config cfg;
  cfg.certificates.push_back({TestPki::get().leaf(KeyType::ecdsa_p256).chain, nullptr});
  cfg.certificates.push_back(TestPki::get().leaf(KeyType::rsa2048).certified());
  const auto c = handshake::detail::choose_certificate13(
      cfg, {static_cast<uint16_t>(SignatureScheme::ecdsa_secp256r1_sha256),
            static_cast<uint16_t>(SignatureScheme::rsa_pss_rsae_sha256)});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->index, 1u);
  EXPECT_EQ(c->scheme, SignatureScheme::rsa_pss_rsae_sha256);
  ASSERT_NE(cfg.certificate(), nullptr);
  EXPECT_EQ(cfg.certificate(), &cfg.certificates[1]);
}

// ---- certificate_authorities ------------------------------------------------------------------

ByteVec subject_der(const crypto::Certificate& c) {
  const unsigned char* der = nullptr;
  size_t len = 0;
  EXPECT_EQ(X509_NAME_get0_der(X509_get_subject_name(c.raw()), &der, &len), 1);
  return ByteVec(der, der + len);
}

class CaNames : public ::testing::TestWithParam<uint16_t> {};

TEST_P(CaNames, ServerNamesReachTheClient) {
  auto ccfg = client_config();
  ccfg->min_version = ccfg->max_version = GetParam();
  // The names are there when the client is asked for its certificate.
  struct AskedForCertificate final : handshake::ConnectionCallbacks {
    const conn::Connection* client = nullptr;
    std::vector<ByteVec> seen;
    std::optional<handshake::CertifiedKey> supply_client_certificate() override {
      seen = client->peer_ca_names();
      return TestPki::get().leaf(KeyType::ecdsa_p256).certified();
    }
  } asked;
  auto scfg = server_config();
  scfg->verify = handshake::VerifyMode::require;
  scfg->trust = ccfg->trust;
  const std::vector<ByteVec> names = {subject_der(TestPki::get().ca()),
                                      subject_der(TestPki::get().untrusted_leaf().chain[0])};
  scfg->client_ca_names = names;
  Pair p(ccfg, scfg);
  asked.client = &p.client;
  p.client_callbacks.next = &asked;
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_EQ(asked.seen, names);
  EXPECT_EQ(p.client.peer_ca_names(), names);
  EXPECT_FALSE(p.server.session()->peer_chain.empty());
}

// on_certificate_request comes first when a server asks: its certificate
// goes out over the configured one (and supply_client_certificate is not
// asked); an error ends the handshake with its alert and reason.
TEST_P(CaNames, CertificateRequestHookChoosesOrEnds) {
  auto ccfg = client_config();
  ccfg->min_version = ccfg->max_version = GetParam();
  ccfg->certificates = {TestPki::get().leaf(KeyType::ecdsa_p256).certified()};
  struct Hook final : handshake::ConnectionCallbacks {
    int requests = 0;
    int supplies = 0;
    std::optional<Error> refuse;
    Result<std::optional<handshake::CertifiedKey>> on_certificate_request() override {
      ++requests;
      if (refuse) return *refuse;
      return std::optional<handshake::CertifiedKey>(
          TestPki::get().leaf(KeyType::rsa2048).certified());
    }
    std::optional<handshake::CertifiedKey> supply_client_certificate() override {
      ++supplies;
      return std::nullopt;
    }
  } hook;
  auto scfg = server_config();
  scfg->verify = handshake::VerifyMode::require;
  scfg->trust = ccfg->trust;
  Pair p(ccfg, scfg);
  p.client_callbacks.next = &hook;
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_EQ(hook.requests, 1);
  EXPECT_EQ(hook.supplies, 0);
  ASSERT_FALSE(p.server.session()->peer_chain.empty());
  const Bytes got = p.server.session()->peer_chain[0].der();
  const auto want = TestPki::get().leaf(KeyType::rsa2048).certified();
  const Bytes want_der = want.chain[0].der();
  EXPECT_EQ(ByteVec(got.begin(), got.end()), ByteVec(want_der.begin(), want_der.end()))
      << "the hook's certificate, not the configured one";

  Hook refusing;
  refusing.refuse = Error{Alert::internal_error, SSL_R_CALLBACK_FAILED};
  Pair q(ccfg, scfg);
  q.client_callbacks.next = &refusing;
  EXPECT_FALSE(q.handshake());
  EXPECT_EQ(refusing.requests, 1);
  expect_failure(q, Role::client, Alert::internal_error, SSL_R_CALLBACK_FAILED);
}

TEST_P(CaNames, NoneConfiguredNoneSent) {
  auto ccfg = client_config();
  ccfg->min_version = ccfg->max_version = GetParam();
  ccfg->certificates = {TestPki::get().leaf(KeyType::ecdsa_p256).certified()};
  auto scfg = server_config();
  scfg->verify = handshake::VerifyMode::require;
  scfg->trust = ccfg->trust;
  Pair p(ccfg, scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_TRUE(p.client.peer_ca_names().empty());
}

INSTANTIATE_TEST_SUITE_P(Versions, CaNames, ::testing::Values(handshake::kTls12, handshake::kTls13),
                         [](const auto& p) {
                           return std::string(p.param == handshake::kTls12 ? "Tls12" : "Tls13");
                         });

// RFC 8446 4.2.4: DistinguishedName authorities<3..2^16-1>, each
// DistinguishedName<1..2^16-1>, a DER Name; OpenSSL answers anything else
// with decode_error.
TEST(CaNames, Rfc8446_4_2_4_MalformedListsFail) {
  const Error bad{Alert::decode_error, SSL_R_CA_DN_LENGTH_MISMATCH};
  const ByteVec name = subject_der(TestPki::get().ca());
  const auto list = [](std::initializer_list<ByteVec> names) {
    return handshake::encode_certificate_authorities(names);
  };
  auto ok = handshake::parse_certificate_authorities(list({name, name}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 2u);
  EXPECT_EQ(ok->front(), name);

  EXPECT_TRUE(fails_with(handshake::parse_certificate_authorities({}), bad));
  EXPECT_TRUE(fails_with(handshake::parse_certificate_authorities(list({})), bad));  // empty list
  const ByteVec empty_name = {0x00, 0x02, 0x00, 0x00};
  EXPECT_TRUE(fails_with(handshake::parse_certificate_authorities(empty_name), bad));
  ByteVec short_list = list({name});
  short_list.pop_back();  // the name runs past the list
  EXPECT_TRUE(fails_with(handshake::parse_certificate_authorities(short_list), bad));
  ByteVec trailing = list({name});
  trailing.push_back(0);  // after the list
  EXPECT_TRUE(fails_with(handshake::parse_certificate_authorities(trailing), bad));
  EXPECT_TRUE(fails_with(handshake::parse_certificate_authorities(list({{0x01, 0x02, 0x03}})),
                         bad));  // not DER
  ByteVec padded = name;
  padded.push_back(0);  // a DER Name, then a byte
  EXPECT_TRUE(fails_with(handshake::parse_certificate_authorities(list({padded})), bad));
  ByteVec cut = name;
  cut.pop_back();  // DER cut short
  EXPECT_TRUE(fails_with(handshake::parse_certificate_authorities(list({cut})), bad));
  // Each truncation of a good list fails.
  const ByteVec good = list({name, name});
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(handshake::parse_certificate_authorities(Bytes(good).first(n)).ok()) << n;
  }
}

// RFC 5246 7.4.4: in TLS 1.2 the list may be empty; each name is one DER
// Name of at least a byte.
TEST(CaNames, Rfc5246_7_4_4_CertificateRequestNames) {
  const ByteVec name = subject_der(TestPki::get().ca());
  handshake::CertificateRequest12 cr;
  cr.certificate_types = {64, 1};
  cr.signature_algorithms = {0x0403};
  cr.certificate_authorities = {name};
  ByteVec msg;
  EXPECT_TRUE(cr.serialize(msg).ok());
  auto back = handshake::CertificateRequest12::parse(testutil::body_of(msg));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->certificate_authorities, cr.certificate_authorities);
  EXPECT_TRUE(handshake::check_distinguished_names(back->certificate_authorities).ok());
  EXPECT_TRUE(handshake::check_distinguished_names({}).ok());
  const auto bad = handshake::check_distinguished_names({name, {0x30, 0x00, 0x00}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), (Error{Alert::decode_error, SSL_R_CA_DN_LENGTH_MISMATCH}));
  cr.certificate_authorities = {ByteVec{}};  // an empty name
  msg.clear();
  EXPECT_TRUE(cr.serialize(msg).ok());
  EXPECT_FALSE(handshake::CertificateRequest12::parse(testutil::body_of(msg)).ok());
}

}  // namespace
}  // namespace rapidtls::testing
