// Client and server engines joined in memory: every suite x group x server
// key type, mutual TLS, HelloRetryRequest, KeyUpdate, sizes of writes.
#include <gtest/gtest.h>

#include <tuple>

#include "engine_expect.h"
#include "handshake/exporter.h"
#include "handshake_test_util.h"

namespace rapidtls::testing {
namespace {

using crypto::NamedGroup;

using MatrixParam = std::tuple<uint16_t, NamedGroup, KeyType>;

class HandshakeMatrix : public ::testing::TestWithParam<MatrixParam> {};

TEST_P(HandshakeMatrix, CompletesAndCarriesDataBothWays) {
  const auto [suite, group, key] = GetParam();
  auto ccfg = client_config();
  auto scfg = server_config(key);
  ccfg->cipher_suites = {suite};
  ccfg->groups = {group};
  scfg->groups = {group};
  Pair p(ccfg, scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  const auto* cs = p.client.session();
  const auto* ss = p.server.session();
  ASSERT_NE(cs, nullptr);
  ASSERT_NE(ss, nullptr);
  EXPECT_EQ(static_cast<uint16_t>(cs->suite->suite), suite);
  EXPECT_EQ(cs->group, group);
  EXPECT_EQ(ss->group, group);
  EXPECT_FALSE(cs->hello_retry);
  EXPECT_EQ(cs->verify_result, 0);
  ASSERT_EQ(cs->peer_chain.size(), 1u);
  EXPECT_TRUE(ct_equal(cs->peer_chain[0].der(), TestPki::get().leaf(key).chain[0].der()));
  expect_transfer(p, Role::client, pattern(1000, 1));
  expect_transfer(p, Role::server, pattern(40000, 2));
}

std::string matrix_name(const ::testing::TestParamInfo<MatrixParam>& info) {
  const auto [suite, group, key] = info.param;
  std::string s = suite == 0x1301 ? "Aes128Gcm" : suite == 0x1302 ? "Aes256Gcm" : "ChaCha20";
  s += group == NamedGroup::x25519 ? "_X25519" : group == NamedGroup::secp256r1 ? "_P256" : "_P384";
  return s + "_" + key_type_name(key);
}

INSTANTIATE_TEST_SUITE_P(
    AllSuitesGroupsKeys, HandshakeMatrix,
    ::testing::Combine(::testing::Values(uint16_t{0x1301}, uint16_t{0x1302}, uint16_t{0x1303}),
                       ::testing::Values(NamedGroup::x25519, NamedGroup::secp256r1,
                                         NamedGroup::secp384r1),
                       ::testing::Values(KeyType::ecdsa_p256, KeyType::ecdsa_p384, KeyType::rsa2048,
                                         KeyType::rsa_pss2048, KeyType::ed25519)),
    matrix_name);

class MutualTls : public ::testing::TestWithParam<KeyType> {};

TEST_P(MutualTls, ClientCertificateVerifiedByServer) {
  auto ccfg = client_config();
  ccfg->certificates = {TestPki::get().leaf(GetParam()).certified()};
  auto scfg = server_config();
  scfg->trust = TestPki::get().trust();
  scfg->verify = handshake::VerifyMode::require;
  Pair p(ccfg, scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  ASSERT_EQ(p.server.session()->peer_chain.size(), 1u);
  EXPECT_TRUE(ct_equal(p.server.session()->peer_chain[0].der(),
                       TestPki::get().leaf(GetParam()).chain[0].der()));
  EXPECT_TRUE(p.server.session()->peer_scheme.has_value());
  expect_transfer(p, Role::client, pattern(5000, 3));
}

INSTANTIATE_TEST_SUITE_P(ClientKeyTypes, MutualTls,
                         ::testing::Values(KeyType::ecdsa_p256, KeyType::ecdsa_p384,
                                           KeyType::rsa2048, KeyType::rsa_pss2048,
                                           KeyType::ed25519),
                         [](const auto& param_info) { return key_type_name(param_info.param); });

TEST(MutualTlsPolicy, ClientWithoutCertificateRefusedWhenRequired) {
  auto scfg = server_config();
  scfg->trust = TestPki::get().trust();
  scfg->verify = handshake::VerifyMode::require;
  Pair p(client_config(), scfg);
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.server.error());
  EXPECT_EQ(p.server.error()->alert, Alert::certificate_required);
  EXPECT_EQ(p.server.error()->reason, SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE);
  // The client learns it from the alert (reason = 1000 + alert, as OpenSSL).
  ASSERT_TRUE(p.client.error());
  EXPECT_TRUE(p.client.error_from_peer());
  EXPECT_EQ(p.client.error()->reason, 1000 + 116);
}

TEST(MutualTlsPolicy, ClientWithoutCertificateAcceptedWhenOptional) {
  auto scfg = server_config();
  scfg->trust = TestPki::get().trust();
  scfg->verify = handshake::VerifyMode::peer;
  Pair p(client_config(), scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_TRUE(p.server.session()->peer_chain.empty());
}

TEST(HelloRetryRequest, ServerAsksForAnotherGroup) {
  for (bool compat : {true, false}) {
    auto ccfg = client_config();
    ccfg->groups = {NamedGroup::secp256r1, NamedGroup::x25519};
    ccfg->client_key_shares = 1;
    ccfg->middlebox_compat = compat;
    auto scfg = server_config();
    scfg->groups = {NamedGroup::x25519};
    Pair p(ccfg, scfg);
    ASSERT_TRUE(p.handshake()) << describe(p.error()) << " compat=" << compat;
    EXPECT_TRUE(p.client.session()->hello_retry);
    EXPECT_TRUE(p.server.session()->hello_retry);
    EXPECT_EQ(p.client.session()->group, NamedGroup::x25519);
    expect_transfer(p, Role::server, pattern(100, 4));
  }
}

TEST(HelloRetryRequest, NoCommonGroupFails) {
  auto ccfg = client_config();
  ccfg->groups = {NamedGroup::secp384r1};
  auto scfg = server_config();
  scfg->groups = {NamedGroup::x25519};
  Pair p(ccfg, scfg);
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.server.error());
  EXPECT_EQ(p.server.error()->alert, Alert::handshake_failure);
  EXPECT_EQ(p.server.error()->reason, SSL_R_NO_SUITABLE_KEY_SHARE) << "OpenSSL's reason";
}

TEST(Negotiation, NoCommonSuiteFails) {
  auto ccfg = client_config();
  ccfg->cipher_suites = {0x1301};
  auto scfg = server_config();
  scfg->cipher_suites = {0x1303};
  Pair p(ccfg, scfg);
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.server.error());
  EXPECT_EQ(p.server.error()->alert, Alert::handshake_failure);
  EXPECT_EQ(p.server.error()->reason, SSL_R_NO_SHARED_CIPHER);
}

TEST(Negotiation, AlpnChosenByServerPreference) {
  auto ccfg = client_config();
  ccfg->alpn = {ByteVec{'h', '2'}, ByteVec{'h', 't', 't', 'p', '/', '1', '.', '1'}};
  auto scfg = server_config();
  scfg->alpn = {ByteVec{'h', 't', 't', 'p', '/', '1', '.', '1'}};
  Pair p(ccfg, scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_EQ(p.client.session()->alpn, scfg->alpn[0]);
  EXPECT_EQ(p.server.session()->alpn, scfg->alpn[0]);
}

TEST(Negotiation, AlpnWithoutOverlapFails) {
  auto ccfg = client_config();
  ccfg->alpn = {ByteVec{'h', '2'}};
  auto scfg = server_config();
  scfg->alpn = {ByteVec{'x'}};
  Pair p(ccfg, scfg);
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.server.error());
  EXPECT_EQ(p.server.error()->alert, Alert::no_application_protocol);
}

// A ClientHello that cannot be encoded (an ALPN name over RFC 7301's 255
// bytes) fails the client's start with internal_error, and nothing with a
// wrong length byte leaves (only the alert); a fitting 255-byte name works.
TEST(Negotiation, AlpnNameTooLongForItsLengthByteFailsTheClientAndSendsNothing) {
  auto ccfg = client_config();
  ccfg->alpn = {ByteVec(256, 'a')};
  conn::Connection client(handshake::Role::client, ccfg, {"localhost", ""});
  const Status s = client.start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), (Error{Alert::internal_error, SSL_R_LENGTH_TOO_LONG}));
  // What leaves is the fatal internal_error alert alone, no ClientHello.
  const Bytes out = client.pending_output();
  ASSERT_EQ(out.size(), 7u);
  EXPECT_EQ(out[0], 21);
  EXPECT_EQ(out[5], 2);
  EXPECT_EQ(out[6], static_cast<uint8_t>(Alert::internal_error));

  auto fits = client_config();
  fits->alpn = {ByteVec(255, 'a')};
  auto scfg = server_config();
  scfg->alpn = {ByteVec(255, 'a')};
  Pair p(fits, scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_EQ(p.client.session()->alpn, ByteVec(255, 'a'));
}

TEST(Negotiation, ServerNameSeenByServer) {
  Pair p(client_config(), server_config());
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_EQ(p.server.session()->server_name, "localhost");
}

TEST(Tickets, ClientKeepsServerTickets) {
  auto scfg = server_config();
  scfg->tickets_to_send = 2;
  Pair p(client_config(), scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  ASSERT_EQ(p.client.tickets().size(), 2u);
  EXPECT_FALSE(p.client.tickets()[0].ticket.empty());
  EXPECT_EQ(p.client.tickets()[0].psk.size(), 32u);
  EXPECT_FALSE(ct_equal(p.client.tickets()[0].psk.bytes(), p.client.tickets()[1].psk.bytes()));
}

TEST(KeyUpdate, BothDirectionsWithAndWithoutRequest) {
  Pair p(client_config(), server_config());
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  const crypto::Secret c0 = p.client.session()->client_app_secret;
  ASSERT_TRUE(p.client.key_update(/*request_peer_update=*/true).ok());
  expect_transfer(p, Role::client, pattern(3000, 5));
  // update_requested: the server answered with its own KeyUpdate.
  EXPECT_FALSE(ct_equal(p.client.session()->client_app_secret.bytes(), c0.bytes()));
  EXPECT_TRUE(ct_equal(p.client.session()->server_app_secret.bytes(),
                       p.server.session()->server_app_secret.bytes()));
  expect_transfer(p, Role::server, pattern(3000, 6));
  ASSERT_TRUE(p.server.key_update(false).ok());
  expect_transfer(p, Role::server, pattern(20000, 7));
  expect_transfer(p, Role::client, pattern(20000, 8));
  EXPECT_TRUE(ct_equal(p.client.session()->server_app_secret.bytes(),
                       p.server.session()->server_app_secret.bytes()));
  EXPECT_TRUE(ct_equal(p.client.session()->client_app_secret.bytes(),
                       p.server.session()->client_app_secret.bytes()));
}

// The exporter gives the same bytes before and after a KeyUpdate, and the
// update leaves neither the Master Secret nor the transcript hash behind:
// with them the replaced traffic secrets could be derived again.
TEST(KeyUpdate, ExporterSettlesAndForgetsTheMasterSecret) {
  Pair p(client_config(), server_config());
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  const ByteVec context_bytes = pattern(20, 3);
  const Bytes context(context_bytes);
  auto export_from = [&](const conn::Connection& c) {
    ByteVec out(64);
    EXPECT_TRUE(handshake::export_keying_material(*c.session(), "EXPERIMENTAL test", &context,
                                                  MutBytes(out))
                    .ok());
    return out;
  };
  const ByteVec before = export_from(p.client);
  EXPECT_EQ(export_from(p.server), before);
  EXPECT_EQ(p.client.session()->master_secret.size(), 32u) << "kept until the keys change";
  ASSERT_TRUE(p.client.key_update(/*request_peer_update=*/true).ok());
  expect_transfer(p, Role::client, pattern(3000, 5));
  expect_transfer(p, Role::server, pattern(3000, 6));
  for (const conn::Connection* c : {&p.client, &p.server}) {
    EXPECT_TRUE(c->session()->master_secret.empty());
    EXPECT_TRUE(c->session()->exporter_transcript.empty());
    EXPECT_EQ(c->session()->exporter_secret.size(), 32u);
    EXPECT_EQ(export_from(*c), before) << "RFC 8446 7.5: the exporter does not follow KeyUpdate";
  }
}

class WriteSizes : public ::testing::TestWithParam<size_t> {};

TEST_P(WriteSizes, ArriveWholeAndInOrder) {
  Pair p(client_config(), server_config());
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  expect_transfer(p, Role::client, pattern(GetParam(), 9));
  expect_transfer(p, Role::server, pattern(GetParam(), 10));
}

INSTANTIATE_TEST_SUITE_P(Sizes, WriteSizes,
                         ::testing::Values(0, 1, 16383, 16384, 16385, 65536, 1 << 20));

TEST(Records, ExactlyTwoToTheFourteenFitsOneRecord) {
  Pair p(client_config(), server_config());
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  ASSERT_FALSE(p.client.wants_write());
  ASSERT_TRUE(p.client.send_app(pattern(16384)).ok());
  // header + 2^14 + inner type + tag
  EXPECT_EQ(p.client.pending_output().size(), 5u + 16384 + 1 + 16);
  ASSERT_TRUE(p.client.send_app(pattern(16385)).ok());
  EXPECT_EQ(p.client.pending_output().size(), 2 * (5u + 16384 + 1 + 16) + (5 + 1 + 1 + 16));
}

// One write to a stream transport takes whole records, as many as fit.
TEST(Records, BytesPerWriteAreWholeRecordsThatFit) {
  Pair p(client_config(), server_config());
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  const size_t record = 5 + 16384 + 1 + 16;
  EXPECT_EQ(p.client.sealed_size(16384), record);
  EXPECT_EQ(p.client.app_bytes_per_write(65000), 3u * 16384);
  EXPECT_EQ(p.client.app_bytes_per_write(3 * record), 3u * 16384);
  EXPECT_EQ(p.client.app_bytes_per_write(3 * record - 1), 2u * 16384);
  // Never less than one record, however small the limit.
  EXPECT_EQ(p.client.app_bytes_per_write(100), 16384u);
  EXPECT_EQ(p.client.app_bytes_per_write(0), 16384u);
  EXPECT_LE(p.client.sealed_size(p.client.app_bytes_per_write(65000)), 65000u);
}

// With the peer's RFC 8449 limit the records are smaller, and more of them fit.
TEST(Records, BytesPerWriteFollowTheRecordSizeLimit) {
  auto ccfg = client_config();
  ccfg->record_size_limit = 1000;
  Pair p(ccfg, server_config());
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  const size_t record = 5 + 999 + 1 + 16;  // 999 bytes of content + inner type + tag
  EXPECT_EQ(p.server.sealed_size(999), record);
  EXPECT_EQ(p.server.app_bytes_per_write(65000), (65000 / record) * 999);
  EXPECT_LE(p.server.sealed_size(p.server.app_bytes_per_write(65000)), 65000u);
  EXPECT_GT(p.server.sealed_size(p.server.app_bytes_per_write(65000) + 999), 65000u);
}

TEST(Close, CloseNotifyEndsReadingButNotWriting) {
  Pair p(client_config(), server_config());
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  ASSERT_TRUE(p.client.close().ok());
  ASSERT_TRUE(p.pump()) << describe(p.error());
  EXPECT_TRUE(p.server.peer_closed());
  EXPECT_TRUE(p.client.close_sent());
  // After our close_notify we may not write...
  auto after = p.client.send_app(pattern(10));
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().reason, SSL_R_PROTOCOL_IS_SHUTDOWN);
  // ...but in TLS 1.3 the peer's write side stays open (RFC 8446 6.1).
  expect_transfer(p, Role::server, pattern(10, 11));
}

TEST(KeyLog, BothSidesLogTheSameFiveSecrets) {
  Pair p(client_config(), server_config());
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  ASSERT_EQ(p.client_keylog.size(), 5u);
  std::vector<std::string> c = p.client_keylog, s = p.server_keylog;
  std::sort(c.begin(), c.end());
  std::sort(s.begin(), s.end());
  EXPECT_EQ(c, s);
  const std::string random = to_hex(p.client.client_random());
  for (const auto& line : c) EXPECT_NE(line.find(" " + random + " "), std::string::npos) << line;
}

TEST(Memory, IdleConnectionHoldsNoRecordBuffers) {
  Pair p(client_config(), server_config());
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  expect_transfer(p, Role::client, pattern(100000, 12));
  p.client.release_buffers();
  p.server.release_buffers();
  EXPECT_FALSE(p.client.wants_write());
  EXPECT_EQ(p.client.app_pending(), 0u);
}

// RFC 8449: a client that accepts only small records gets only small records.
TEST(RecordSizeLimit, ServerHonoursClientLimit) {
  auto ccfg = client_config();
  ccfg->record_size_limit = 1000;
  Pair p(ccfg, server_config());
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  ASSERT_TRUE(p.server.send_app(pattern(5000, 13)).ok());
  // 999 bytes of content + inner type + tag = 1016 bytes of record body.
  Bytes out = p.server.pending_output();
  size_t records = 0;
  while (out.size() >= 5) {
    const size_t len = size_t{out[3]} << 8 | out[4];
    EXPECT_LE(len, 999u + 1 + 16);
    out = out.subspan(5 + len);
    ++records;
  }
  EXPECT_EQ(records, 6u);  // ceil(5000 / 999)
  ASSERT_TRUE(p.pump()) << describe(p.error());
  EXPECT_EQ(p.client_received, pattern(5000, 13));
  expect_transfer(p, Role::server, pattern(3000, 14));
}

TEST(RecordSizeLimit, TooSmallLimitIsIllegalParameter) {
  auto ccfg = client_config();
  ccfg->record_size_limit = 63;
  Pair p(ccfg, server_config());
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.server.error());
  EXPECT_EQ(p.server.error()->alert, Alert::illegal_parameter);
}

// RFC 8446 4.2.10: a server that declines early data skips the client's 0-RTT
// records (here: junk standing in for them) and completes the handshake.
// RFC 8446 4.2.10: in the first ClientHello only (not after a HelloRetryRequest).
std::shared_ptr<Config> offering_early_data(std::shared_ptr<Config> ccfg) {
  auto first = std::make_shared<bool>(true);
  ccfg->test_hooks.client_hello_extensions = [first](handshake::Extensions& e) {
    if (*first) e.push_back({static_cast<uint16_t>(handshake::ExtensionType::early_data), {}});
    *first = false;
  };
  return ccfg;
}

// After the client's first flight, `records` records of 1000 junk bytes.
void add_early_data_junk(Pair& p, size_t records) {
  auto first = std::make_shared<bool>(true);
  p.tamper = [first, records](Role from, ByteVec& bytes) {
    if (from != Role::client || !*first) return;
    *first = false;
    for (size_t i = 0; i < records; ++i) {
      ByteVec junk = pattern(1000, static_cast<uint32_t>(i));
      bytes.insert(bytes.end(), {23, 0x03, 0x03, 0x03, 0xe8});
      bytes.insert(bytes.end(), junk.begin(), junk.end());
    }
  };
}

TEST(EarlyData, DeclinedEarlyDataIsSkipped) {
  Pair p(offering_early_data(client_config()), server_config());
  add_early_data_junk(p, 5);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  expect_transfer(p, Role::client, pattern(20000, 15));
}

TEST(EarlyData, DeclinedEarlyDataSkippedAcrossHelloRetryRequest) {
  auto ccfg = offering_early_data(client_config());
  ccfg->groups = {NamedGroup::secp256r1, NamedGroup::x25519};
  auto scfg = server_config();
  scfg->groups = {NamedGroup::x25519};
  Pair p(ccfg, scfg);
  add_early_data_junk(p, 3);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_TRUE(p.server.session()->hello_retry);
  expect_transfer(p, Role::client, pattern(100, 16));
}

TEST(EarlyData, TooMuchSkippedEarlyDataFails) {
  Pair p(offering_early_data(client_config()), server_config());
  add_early_data_junk(p, conn::kMaxSkippedEarlyData / 1005 + 1);
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.server.error());
  EXPECT_EQ(p.server.error()->reason, SSL_R_TOO_MUCH_EARLY_DATA);
}

TEST(EarlyData, JunkWithoutAnOfferIsBadRecordMac) {
  Pair p(client_config(), server_config());
  add_early_data_junk(p, 1);
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.server.error());
  EXPECT_EQ(p.server.error()->alert, Alert::bad_record_mac);
}

}  // namespace
}  // namespace rapidtls::testing

namespace rapidtls::testing {
namespace {

// With verification off the handshake goes on whatever the chain, and the
// result (what SSL_get_verify_result reports) is computed when asked.
TEST(DeferredVerification, ResultComputedOnRequest) {
  for (bool trusted : {true, false}) {
    auto ccfg = client_config();
    ccfg->verify = handshake::VerifyMode::none;
    auto scfg = server_config();
    if (!trusted) scfg->certificates = {TestPki::get().untrusted_leaf().certified()};
    Pair p(ccfg, scfg);
    ASSERT_TRUE(p.handshake()) << "trusted=" << trusted;
    EXPECT_TRUE(p.client.session()->verify_deferred) << "not checked during the handshake";
    const long result = p.client.peer_verify_result();
    EXPECT_FALSE(p.client.session()->verify_deferred);
    if (trusted) {
      EXPECT_EQ(result, 0);  // X509_V_OK
    } else {
      EXPECT_NE(result, 0) << "an untrusted issuer is reported";
    }
    EXPECT_EQ(p.client.peer_verify_result(), result) << "computed once";
  }
}

}  // namespace
}  // namespace rapidtls::testing

namespace rapidtls::testing {
namespace {

class SettableClock final : public Clock {
 public:
  uint64_t now_ms() const override { return now_ms_; }
  uint64_t now_ms_ = 1893456000000;  // 2030-01-01, inside the test certificates' validity
};

// A client config with a verified-chain cache (Config::verify_cache) reuses the
// first verification of the server's chain for later handshakes, within the
// cache's TTL on the config's clock, and a chain it has not seen is checked.
TEST(VerifiedChainCache, LaterHandshakesReuseTheVerification) {
  SettableClock clock;
  auto ccfg = client_config();
  ccfg->clock = &clock;
  ccfg->verify_cache = std::make_shared<crypto::VerifiedChainCache>();
  auto scfg = server_config();
  for (int i = 0; i < 3; ++i) {
    Pair p(ccfg, scfg);
    ASSERT_TRUE(p.handshake()) << describe(p.error());
    EXPECT_EQ(p.client.session()->verify_result, 0);
  }
  EXPECT_EQ(ccfg->verify_cache->misses(), 1u);
  EXPECT_EQ(ccfg->verify_cache->hits(), 2u);

  clock.now_ms_ += crypto::VerifiedChainCache::kDefaultTtlSeconds * 1000;
  {
    Pair p(ccfg, scfg);
    ASSERT_TRUE(p.handshake()) << describe(p.error());
  }
  EXPECT_EQ(ccfg->verify_cache->misses(), 2u) << "verified again once the TTL has passed";

  // A server with a chain from an untrusted CA still fails, with the alert of
  // a fresh verification.
  auto untrusted = server_config();
  untrusted->certificates = {TestPki::get().untrusted_leaf().certified()};
  Pair bad(ccfg, untrusted);
  EXPECT_FALSE(bad.handshake());
  ASSERT_TRUE(bad.error().has_value());
  EXPECT_EQ(bad.error()->alert, Alert::unknown_ca);
  EXPECT_EQ(ccfg->verify_cache->hits(), 2u);
}

// The wrong host for a cached chain: not a hit, the handshake fails.
TEST(VerifiedChainCache, AnotherHostIsCheckedAgain) {
  auto ccfg = client_config();
  ccfg->verify_cache = std::make_shared<crypto::VerifiedChainCache>();
  auto scfg = server_config();
  {
    Pair p(ccfg, scfg, {"localhost", "localhost"});
    ASSERT_TRUE(p.handshake()) << describe(p.error());
  }
  Pair p(ccfg, scfg, {"localhost", "other.example"});
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.error().has_value());
  EXPECT_EQ(p.error()->alert, Alert::bad_certificate);
  EXPECT_EQ(ccfg->verify_cache->hits(), 0u);
}

}  // namespace
}  // namespace rapidtls::testing
