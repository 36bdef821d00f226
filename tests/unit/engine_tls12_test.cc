// TLS 1.2 through the engine, both ends in memory: every suite with a key of
// its kind, each group; version negotiation and downgrade protection; secure
// renegotiation from either side; mutual TLS.
#include <gtest/gtest.h>

#include <tuple>

#include "engine_expect.h"
#include "handshake/suites12.h"
#include "handshake_test_util.h"

namespace rapidtls::testing {
namespace {

using crypto::NamedGroup;

std::shared_ptr<Config> tls12_only(std::shared_ptr<Config> cfg) {
  cfg->max_version = handshake::kTls12;
  return cfg;
}

using Param = std::tuple<uint16_t, NamedGroup>;
class Tls12Matrix : public ::testing::TestWithParam<Param> {};

TEST_P(Tls12Matrix, HandshakeAndDataBothWays) {
  const auto [suite, group] = GetParam();
  const auto* info = handshake::suite12_info(suite);
  ASSERT_NE(info, nullptr);
  auto ccfg = tls12_only(client_config());
  ccfg->cipher_suites12 = {suite};
  ccfg->groups = {group};
  auto scfg = server_config(info->auth == handshake::Auth12::ecdsa ? KeyType::ecdsa_p256
                                                                   : KeyType::rsa2048);
  if (info->auth == handshake::Auth12::ecdsa && group != NamedGroup::secp256r1) {
    // RFC 8422 5.1.1: the P-256 certificate's curve is offered as well; the
    // server takes `group` for the key exchange.
    ccfg->groups.push_back(NamedGroup::secp256r1);
    scfg->groups = {group};
  }
  Pair p(ccfg, scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  ASSERT_NE(p.client.session(), nullptr);
  EXPECT_EQ(p.client.session()->version, handshake::kTls12);
  EXPECT_EQ(p.client.session()->suite12, info);
  EXPECT_EQ(p.server.session()->suite12, info);
  EXPECT_EQ(p.client.session()->group, group);
  EXPECT_TRUE(p.client.session()->extended_master_secret);
  EXPECT_TRUE(p.client.session()->secure_renegotiation);
  EXPECT_TRUE(ct_equal(p.client.session()->master_secret.bytes(),
                       p.server.session()->master_secret.bytes()));
  EXPECT_EQ(p.client.session()->master_secret.size(), 48u);
  expect_transfer(p, Role::client, pattern(1000, 1));
  expect_transfer(p, Role::server, pattern(70000, 2));
  // The key log has the NSS line for TLS 1.2 on both sides.
  ASSERT_EQ(p.client_keylog.size(), 1u);
  EXPECT_EQ(p.client_keylog, p.server_keylog);
  EXPECT_EQ(p.client_keylog[0].rfind("CLIENT_RANDOM ", 0), 0u);
}

std::string tls12_name(const ::testing::TestParamInfo<Param>& info) {
  std::string s = handshake::suite12_info(std::get<0>(info.param))->name;
  for (auto& c : s) {
    if (c == '-') c = '_';
  }
  const NamedGroup group = std::get<1>(info.param);
  return s + (group == NamedGroup::x25519      ? "_X25519"
              : group == NamedGroup::secp256r1 ? "_P256"
                                               : "_P384");
}

INSTANTIATE_TEST_SUITE_P(
    AllSuitesGroups, Tls12Matrix,
    ::testing::Combine(::testing::Values(uint16_t{0xc02b}, uint16_t{0xc02c}, uint16_t{0xc02f},
                                         uint16_t{0xc030}, uint16_t{0xcca8}, uint16_t{0xcca9}),
                       ::testing::Values(NamedGroup::x25519, NamedGroup::secp256r1,
                                         NamedGroup::secp384r1)),
    tls12_name);

TEST(Tls12Versions, ClientLimitedTo12MeetsServerOf13) {
  Pair p(tls12_only(client_config()), server_config());
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_EQ(p.server.session()->version, handshake::kTls12);
}

TEST(Tls12Versions, ServerLimitedTo12MeetsClientOf13) {
  Pair p(client_config(), tls12_only(server_config()));
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_EQ(p.client.session()->version, handshake::kTls12);
  EXPECT_EQ(p.server.session()->version, handshake::kTls12);
}

TEST(Tls12Versions, BothAllowing13Choose13) {
  Pair p(client_config(), server_config());
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_EQ(p.client.session()->version, handshake::kTls13);
}

TEST(Tls12Versions, ClientRequiring13RefusesServerOf12) {
  auto ccfg = client_config();
  ccfg->min_version = handshake::kTls13;
  Pair p(ccfg, tls12_only(server_config()));
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.server.error());
  EXPECT_EQ(p.server.error()->alert, Alert::protocol_version);
}

// RFC 8446 4.1.3: a TLS 1.3-capable server that negotiates 1.2 marks its
// random; a client that offered 1.3 then refuses (an attacker stripped 1.3).
TEST(Tls12Versions, DowngradeSentinelDetected) {
  auto ccfg = client_config();
  // The client offers 1.3 but the attacker removed supported_versions.
  ccfg->test_hooks.client_hello_extensions = [](handshake::Extensions& exts) {
    std::erase_if(exts, [](const handshake::Extension& e) {
      return e.type == static_cast<uint16_t>(handshake::ExtensionType::supported_versions);
    });
  };
  Pair p(ccfg, server_config());
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.client.error());
  EXPECT_EQ(p.client.error()->alert, Alert::illegal_parameter);
  EXPECT_EQ(p.client.error()->reason, SSL_R_INAPPROPRIATE_FALLBACK);
}

TEST(Tls12Renegotiation, ClientInitiated) {
  auto scfg = tls12_only(server_config());
  scfg->allow_client_renegotiation = true;
  Pair p(tls12_only(client_config()), scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  const ByteVec first_master(p.client.session()->master_secret.bytes().begin(),
                             p.client.session()->master_secret.bytes().end());
  ASSERT_TRUE(p.client.renegotiate().ok());
  EXPECT_TRUE(p.client.renegotiating());
  // Application data keeps flowing while the renegotiation runs.
  ASSERT_TRUE(p.server.send_app(pattern(500, 3)).ok());
  ASSERT_TRUE(p.pump()) << describe(p.error());
  EXPECT_FALSE(p.client.renegotiating());
  EXPECT_EQ(p.client.handshakes_completed(), 2);
  EXPECT_EQ(p.server.handshakes_completed(), 2);
  EXPECT_EQ(p.client_received, pattern(500, 3));
  EXPECT_FALSE(ct_equal(first_master, p.client.session()->master_secret.bytes()))
      << "new keys after the renegotiation";
  expect_transfer(p, Role::client, pattern(20000, 4));
  expect_transfer(p, Role::server, pattern(20000, 5));
}

TEST(Tls12Renegotiation, ServerInitiatedByHelloRequest) {
  Pair p(tls12_only(client_config()), tls12_only(server_config()));
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  ASSERT_TRUE(p.server.renegotiate().ok());
  ASSERT_TRUE(p.pump()) << describe(p.error());
  EXPECT_EQ(p.client.handshakes_completed(), 2);
  EXPECT_EQ(p.server.handshakes_completed(), 2);
  expect_transfer(p, Role::client, pattern(3000, 6));
}

TEST(Tls12Renegotiation, ClientInitiatedRefusedByDefault) {
  Pair p(tls12_only(client_config()), tls12_only(server_config()));
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  ASSERT_TRUE(p.client.renegotiate().ok());
  p.pump();
  // The server declines with a no_renegotiation warning and goes on; the
  // client, whose renegotiation failed, ends the connection as OpenSSL does.
  EXPECT_EQ(p.server.handshakes_completed(), 1);
  ASSERT_TRUE(p.client.error());
  EXPECT_EQ(p.client.error()->alert, Alert::handshake_failure);
  EXPECT_EQ(p.client.error()->reason, SSL_R_NO_RENEGOTIATION);
}

TEST(Tls12Renegotiation, NotIn13) {
  Pair p(client_config(), server_config());
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_FALSE(p.client.renegotiate().ok());
}

TEST(Tls12MutualTls, ClientCertificateVerified) {
  auto ccfg = tls12_only(client_config());
  ccfg->certificates = {TestPki::get().leaf(KeyType::ecdsa_p256).certified()};
  auto scfg = tls12_only(server_config());
  scfg->trust = TestPki::get().trust();
  scfg->verify = handshake::VerifyMode::require;
  Pair p(ccfg, scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  ASSERT_EQ(p.server.session()->peer_chain.size(), 1u);
  EXPECT_TRUE(p.server.session()->peer_scheme.has_value());
  expect_transfer(p, Role::client, pattern(100, 8));
}

TEST(Tls12MutualTls, MissingClientCertificateRefused) {
  auto scfg = tls12_only(server_config());
  scfg->trust = TestPki::get().trust();
  scfg->verify = handshake::VerifyMode::require;
  Pair p(tls12_only(client_config()), scfg);
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.server.error());
  EXPECT_EQ(p.server.error()->reason, SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE);
}

TEST(Tls12Hostile, WrongCertificateFailsVerification) {
  auto scfg = tls12_only(server_config());
  scfg->certificates = {TestPki::get().untrusted_leaf().certified()};
  Pair p(tls12_only(client_config()), scfg);
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.client.error());
  EXPECT_EQ(p.client.error()->alert, Alert::unknown_ca);
}

TEST(Tls12Hostile, TamperedRecordIsBadRecordMac) {
  Pair p(tls12_only(client_config()), tls12_only(server_config()));
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  ASSERT_TRUE(p.client.send_app(pattern(100)).ok());
  p.tamper = [](Role from, ByteVec& bytes) {
    if (from == Role::client) bytes[30] ^= 1;
  };
  p.pump();
  ASSERT_TRUE(p.server.error());
  EXPECT_EQ(p.server.error()->alert, Alert::bad_record_mac);
  EXPECT_TRUE(p.server_received.empty());
}

}  // namespace
}  // namespace rapidtls::testing
