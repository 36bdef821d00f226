// Hostile input: malformed, oversized and out-of-order records and messages.
// Each case asserts the alert RFC 8446 names and the OpenSSL reason, and that
// the peer hears about it; none may crash or hang.
#include <gtest/gtest.h>

#include "engine_expect.h"
#include "engine_forge.h"
#include "handshake/types.h"
#include "handshake_test_util.h"

namespace rapidtls::testing {
namespace {

using handshake::HandshakeType;

// A connected pair, ready for forged application-phase records.
struct Connected {
  Connected() : p(client_config(), server_config()) {
    EXPECT_TRUE(p.handshake()) << describe(p.error());
  }
  // Keys that the server will accept from "the client".
  RecordKeys client_app_keys() {
    return RecordKeys(0x1301, keylog_secret(p.client_keylog, "CLIENT_TRAFFIC_SECRET_0"));
  }
  // Feeds bytes to the server and pumps its answer back.
  void to_server(const ByteVec& wire) {
    (void)p.server.receive(wire);
    uint8_t buf[4096];
    for (size_t n; (n = p.server.read_app(buf)) > 0;) {
      p.server_received.insert(p.server_received.end(), buf, buf + n);
    }
    p.pump();
  }
  Pair p;
};

TEST(HostileRecords, UnknownContentTypeIsUnexpectedMessage) {
  Connected c;
  c.to_server({99, 0x03, 0x03, 0x00, 0x01, 0x00});
  expect_failure(c.p, Role::server, Alert::unexpected_message, SSL_R_UNEXPECTED_RECORD);
}

TEST(HostileRecords, UnknownContentTypeDuringHandshake) {
  Pair p(client_config(), server_config());
  ASSERT_TRUE(p.client.start().ok());
  p.tamper = [](Role from, ByteVec& bytes) {
    if (from == Role::client) bytes[0] = 99;
  };
  EXPECT_FALSE(p.pump());
  expect_failure(p, Role::server, Alert::unexpected_message, SSL_R_UNEXPECTED_RECORD);
}

TEST(HostileRecords, OversizedCiphertextIsRecordOverflow) {
  Connected c;
  // RFC 8446 5.2: TLSCiphertext.length MUST NOT exceed 2^14 + 256.
  c.to_server({kAppData, 0x03, 0x03, 0x41, 0x01});
  expect_failure(c.p, Role::server, Alert::record_overflow, SSL_R_ENCRYPTED_LENGTH_TOO_LONG);
}

TEST(HostileRecords, OversizedPlaintextRecordIsRecordOverflow) {
  Pair p(client_config(), server_config());
  ByteVec rec = {kHandshake, 0x03, 0x03, 0x40, 0x01};  // 2^14 + 1 bytes of plaintext
  rec.resize(5 + 16385, 0);
  (void)p.server.receive(rec);
  p.pump();
  expect_failure(p, Role::server, Alert::record_overflow, SSL_R_DATA_LENGTH_TOO_LONG);
}

TEST(HostileRecords, OversizedInnerPlaintextIsRecordOverflow) {
  Connected c;
  auto keys = c.client_app_keys();
  c.to_server(keys.seal(kAppData, pattern(16385)));
  expect_failure(c.p, Role::server, Alert::record_overflow, SSL_R_DATA_LENGTH_TOO_LONG);
}

TEST(HostileRecords, ExactlyMaximumInnerPlaintextAccepted) {
  Connected c;
  auto keys = c.client_app_keys();
  c.to_server(keys.seal(kAppData, pattern(16384)));
  EXPECT_FALSE(c.p.error()) << describe(c.p.error());
  EXPECT_EQ(c.p.server_received, pattern(16384));
}

// RFC 8449 4: once both sides support record_size_limit, a record whose
// TLS 1.3 inner plaintext (content and type) exceeds the limit we advertised
// is record_overflow; one at the limit is accepted.
TEST(HostileRecords, RecordOverAdvertisedSizeLimitIsRecordOverflow) {
  auto ccfg = client_config();
  ccfg->record_size_limit = 16385;
  auto scfg = server_config();
  scfg->record_size_limit = 64;
  Pair p(ccfg, scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  RecordKeys keys(0x1301, keylog_secret(p.client_keylog, "CLIENT_TRAFFIC_SECRET_0"));
  uint8_t buf[256];
  ASSERT_TRUE(p.server.receive(keys.seal(kAppData, pattern(63))).ok());
  EXPECT_EQ(p.server.read_app(buf), 63u) << "63 bytes and the type: 64, the limit";
  ASSERT_FALSE(p.server.error()) << describe(p.server.error());
  (void)p.server.receive(keys.seal(kAppData, pattern(64)));
  EXPECT_EQ(p.server.read_app(buf), 0u);
  p.pump();
  expect_failure(p, Role::server, Alert::record_overflow, SSL_R_DATA_LENGTH_TOO_LONG);
}

// Without the peer's record_size_limit, ours is not in force (the peer never
// learnt it): a full record is accepted.
TEST(HostileRecords, SizeLimitNotInForceWhenThePeerDidNotOfferIt) {
  auto scfg = server_config();
  scfg->record_size_limit = 64;
  Pair p(client_config(), scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  RecordKeys keys(0x1301, keylog_secret(p.client_keylog, "CLIENT_TRAFFIC_SECRET_0"));
  uint8_t buf[2000];
  ASSERT_TRUE(p.server.receive(keys.seal(kAppData, pattern(1000))).ok());
  EXPECT_EQ(p.server.read_app(buf), 1000u);
  EXPECT_FALSE(p.server.error()) << describe(p.server.error());
}

TEST(HostileRecords, TruncatedCiphertextIsBadRecordMac) {
  Connected c;
  ByteVec rec = {kAppData, 0x03, 0x03, 0x00, 0x0a};
  rec.resize(5 + 10, 0x55);  // shorter than a tag
  c.to_server(rec);
  expect_failure(c.p, Role::server, Alert::bad_record_mac,
                 SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
}

TEST(HostileRecords, FlippedCiphertextBitIsBadRecordMac) {
  Connected c;
  ASSERT_TRUE(c.p.client.send_app(pattern(100)).ok());
  c.p.tamper = [](Role from, ByteVec& bytes) {
    if (from == Role::client) bytes[20] ^= 0x01;
  };
  c.p.pump();
  expect_failure(c.p, Role::server, Alert::bad_record_mac,
                 SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
  EXPECT_TRUE(c.p.server_received.empty());
}

TEST(HostileRecords, ReplayedRecordIsBadRecordMac) {
  Connected c;
  ASSERT_TRUE(c.p.client.send_app(pattern(100)).ok());
  c.p.tamper = [](Role from, ByteVec& bytes) {
    if (from == Role::client) {
      ByteVec twice = bytes;
      twice.insert(twice.end(), bytes.begin(), bytes.end());
      bytes = twice;
    }
  };
  c.p.pump();
  expect_failure(c.p, Role::server, Alert::bad_record_mac,
                 SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
  EXPECT_EQ(c.p.server_received, pattern(100));  // delivered once, not twice
}

TEST(HostileRecords, AllZeroInnerPlaintextIsUnexpectedMessage) {
  Connected c;
  auto keys = c.client_app_keys();
  // RFC 8446 5.4: no non-zero byte means no content type.
  c.to_server(keys.seal(0, ByteVec(10, 0)));
  expect_failure(c.p, Role::server, Alert::unexpected_message, SSL_R_UNEXPECTED_RECORD);
}

TEST(HostileRecords, ZeroLengthHandshakeRecordIsUnexpectedMessage) {
  Connected c;
  auto keys = c.client_app_keys();
  c.to_server(keys.seal(kHandshake, {}));
  expect_failure(c.p, Role::server, Alert::unexpected_message, SSL_R_BAD_LENGTH);
}

TEST(HostileRecords, InterleavedHandshakeFragmentIsUnexpectedMessage) {
  Connected c;
  auto keys = c.client_app_keys();
  // Half a KeyUpdate, then application data.
  ByteVec wire = keys.seal(kHandshake, ByteVec{24, 0, 0});
  ByteVec app = keys.seal(kAppData, pattern(10));
  wire.insert(wire.end(), app.begin(), app.end());
  c.to_server(wire);
  expect_failure(c.p, Role::server, Alert::unexpected_message, SSL_R_UNEXPECTED_RECORD);
}

TEST(HostileRecords, ChangeCipherSpecAfterHandshakeIsUnexpectedMessage) {
  Connected c;
  c.to_server({kCcs, 0x03, 0x03, 0x00, 0x01, 0x01});
  expect_failure(c.p, Role::server, Alert::unexpected_message, SSL_R_UNEXPECTED_CCS_MESSAGE);
}

// As OpenSSL 3.0 (tests/conformance/hostile_hello_test.cc): unexpected_message.
TEST(HostileRecords, AlertOfWrongLengthIsUnexpectedMessage) {
  Connected c;
  auto keys = c.client_app_keys();
  c.to_server(keys.seal(kAlert, ByteVec{2, 40, 0}));
  expect_failure(c.p, Role::server, Alert::unexpected_message, SSL_R_INVALID_ALERT);
}

TEST(HostileRecords, FatalAlertFromPeerStopsTheConnection) {
  Connected c;
  auto keys = c.client_app_keys();
  c.to_server(keys.seal(kAlert, ByteVec{2, 40}));
  ASSERT_TRUE(c.p.server.error());
  EXPECT_TRUE(c.p.server.error_from_peer());
  EXPECT_EQ(c.p.server.error()->alert, Alert::handshake_failure);
  EXPECT_EQ(c.p.server.error()->reason, SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
  // The error sticks: later calls report it and send nothing.
  auto w = c.p.server.send_app(pattern(10));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().reason, SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
  EXPECT_FALSE(c.p.server.wants_write());
}

TEST(HostileLimits, ThirtyTwoEmptyRecordsAcceptedThirtyThreeRefused) {
  Connected c;
  auto keys = c.client_app_keys();
  ByteVec wire;
  for (int i = 0; i < conn::kMaxEmptyRecords; ++i) {
    ByteVec r = keys.seal(kAppData, {});
    wire.insert(wire.end(), r.begin(), r.end());
  }
  c.to_server(wire);
  EXPECT_FALSE(c.p.server.error()) << describe(c.p.server.error());
  c.to_server(keys.seal(kAppData, {}));
  expect_failure(c.p, Role::server, Alert::unexpected_message, SSL_R_RECORD_TOO_SMALL);
}

TEST(HostileLimits, TooManyKeyUpdatesWithoutDataRefused) {
  Connected c;
  for (int i = 0; i < conn::kMaxKeyUpdates; ++i) ASSERT_TRUE(c.p.client.key_update(false).ok());
  ASSERT_TRUE(c.p.pump()) << describe(c.p.error());
  ASSERT_TRUE(c.p.client.key_update(false).ok());
  c.p.pump();
  expect_failure(c.p, Role::server, Alert::unexpected_message, SSL_R_TOO_MANY_KEY_UPDATES);
}

TEST(HostileLimits, OversizedHandshakeMessageRefused) {
  Pair p(client_config(), server_config());
  // A ClientHello header announcing 2^17 + 1 bytes.
  (void)p.server.receive(ByteVec{kHandshake, 0x03, 0x01, 0x00, 0x04, 0x01, 0x02, 0x00, 0x01});
  p.pump();
  expect_failure(p, Role::server, Alert::illegal_parameter, SSL_R_EXCESSIVE_MESSAGE_SIZE);
}

TEST(HostileMessages, BadLengthInsideClientHelloIsDecodeError) {
  Pair p(client_config(), server_config());
  ASSERT_TRUE(p.client.start().ok());
  p.tamper = [](Role from, ByteVec& bytes) {
    // Record header (5), handshake header (4), version (2), random (32),
    // session id length: claim more than there is.
    if (from == Role::client) bytes[5 + 4 + 2 + 32] = 0xff;
  };
  EXPECT_FALSE(p.pump());
  expect_failure(p, Role::server, Alert::decode_error, SSL_R_LENGTH_MISMATCH);
}

TEST(HostileMessages, FinishedInsteadOfClientHelloIsUnexpectedMessage) {
  Pair p(client_config(), server_config());
  ByteVec fin = {kHandshake, 0x03, 0x03, 0x00, 0x24, 20, 0x00, 0x00, 0x20};
  fin.resize(5 + 36, 0);
  (void)p.server.receive(fin);
  p.pump();
  expect_failure(p, Role::server, Alert::unexpected_message, SSL_R_UNEXPECTED_MESSAGE);
}

TEST(HostileMessages, ServerMessagesOutOfOrderAreUnexpectedMessage) {
  Pair p(client_config(), server_config());
  alter_server_flight(p, [](std::vector<ByteVec>& m) { std::swap(m[0], m[1]); });
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::client, Alert::unexpected_message, SSL_R_UNEXPECTED_MESSAGE);
}

TEST(HostileMessages, WrongServerFinishedIsDecryptError) {
  Pair p(client_config(), server_config());
  alter_server_flight(
      p, [](std::vector<ByteVec>& m) { find_message(m, HandshakeType::finished).back() ^= 0x80; });
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::client, Alert::decrypt_error, SSL_R_DIGEST_CHECK_FAILED);
}

TEST(HostileMessages, BadCertificateVerifyIsDecryptError) {
  Pair p(client_config(), server_config());
  alter_server_flight(p, [](std::vector<ByteVec>& m) {
    find_message(m, HandshakeType::certificate_verify).back() ^= 0x01;
  });
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::client, Alert::decrypt_error, SSL_R_BAD_SIGNATURE);
}

TEST(HostileMessages, CertificateVerifyWithUnofferedSchemeIsIllegalParameter) {
  Pair p(client_config(), server_config());
  alter_server_flight(p, [](std::vector<ByteVec>& m) {
    ByteVec& cv = find_message(m, HandshakeType::certificate_verify);
    cv[4] = 0x04;  // rsa_pkcs1_sha256: never valid in TLS 1.3 CertificateVerify
    cv[5] = 0x01;
  });
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::client, Alert::illegal_parameter, SSL_R_WRONG_SIGNATURE_TYPE);
}

TEST(HostileMessages, EmptyServerCertificateIsDecodeError) {
  Pair p(client_config(), server_config());
  alter_server_flight(p, [](std::vector<ByteVec>& m) {
    find_message(m, HandshakeType::certificate) = ByteVec{11, 0, 0, 4, 0, 0, 0, 0};
  });
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::client, Alert::decode_error, SSL_R_NO_CERTIFICATES_RETURNED);
}

TEST(HostileMessages, UnsolicitedExtensionInEncryptedExtensions) {
  auto scfg = server_config();
  scfg->test_hooks.encrypted_extensions = [](handshake::Extensions& e) {
    e.push_back({static_cast<uint16_t>(handshake::ExtensionType::early_data), {}});
  };
  Pair p(client_config(), scfg);
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::client, Alert::unsupported_extension, SSL_R_UNSOLICITED_EXTENSION);
}

TEST(HostileMessages, KeyShareInEncryptedExtensionsIsIllegalParameter) {
  auto scfg = server_config();
  scfg->test_hooks.encrypted_extensions = [](handshake::Extensions& e) {
    e.push_back({static_cast<uint16_t>(handshake::ExtensionType::key_share), {0, 0x1d, 0, 1, 9}});
  };
  Pair p(client_config(), scfg);
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::client, Alert::illegal_parameter, SSL_R_BAD_EXTENSION);
}

TEST(HostileMessages, KeyChangeNotOnRecordBoundary) {
  Pair p(client_config(), server_config());
  p.tamper = [](Role from, ByteVec& bytes) {
    if (from != Role::server) return;
    auto records = split_records(bytes);
    // Append the start of another message to the ServerHello record.
    records[0].body.insert(records[0].body.end(), {8, 0, 0, 2, 0, 0});
    bytes = join_records(records);
  };
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::client, Alert::unexpected_message, SSL_R_NOT_ON_RECORD_BOUNDARY);
}

TEST(HostileMessages, KeyUpdateWithBadValueIsIllegalParameter) {
  Connected c;
  auto keys = c.client_app_keys();
  c.to_server(keys.seal(kHandshake, ByteVec{24, 0, 0, 1, 2}));
  expect_failure(c.p, Role::server, Alert::illegal_parameter, SSL_R_BAD_KEY_UPDATE);
}

TEST(HostileMessages, PostHandshakeCertificateRequestIsUnexpected) {
  Connected c;
  RecordKeys server_keys(0x1301, keylog_secret(c.p.server_keylog, "SERVER_TRAFFIC_SECRET_0"),
                         /*first_seq=*/1);  // after one NewSessionTicket record
  (void)c.p.client.receive(
      server_keys.seal(kHandshake, ByteVec{13, 0, 0, 11, 0, 0, 8, 0, 13, 0, 4, 0, 2, 4, 3}));
  uint8_t buf[64];
  EXPECT_EQ(c.p.client.read_app(buf), 0u);  // with open_on_read, the record is opened here
  c.p.pump();
  expect_failure(c.p, Role::client, Alert::unexpected_message, SSL_R_UNEXPECTED_MESSAGE);
}

TEST(HostileCertificates, UntrustedIssuerIsUnknownCa) {
  auto scfg = server_config();
  scfg->certificates = {TestPki::get().untrusted_leaf().certified()};
  Pair p(client_config(), scfg);
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::client, Alert::unknown_ca, SSL_R_CERTIFICATE_VERIFY_FAILED);
  EXPECT_NE(p.client.error()->reason, 0);
}

TEST(HostileCertificates, ExpiredIsCertificateExpired) {
  auto scfg = server_config();
  scfg->certificates = {TestPki::get().expired_leaf().certified()};
  Pair p(client_config(), scfg);
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::client, Alert::certificate_expired, SSL_R_CERTIFICATE_VERIFY_FAILED);
}

TEST(HostileCertificates, WrongHostIsBadCertificate) {
  Pair p(client_config(), server_config(), {"example.com", ""});
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::client, Alert::bad_certificate, SSL_R_CERTIFICATE_VERIFY_FAILED);
}

TEST(HostileCertificates, UndecodableCertificateIsBadCertificate) {
  Pair p(client_config(), server_config());
  alter_server_flight(p, [](std::vector<ByteVec>& m) {
    ByteVec& cert = find_message(m, HandshakeType::certificate);
    cert[4 + 1 + 3 + 3] ^= 0xff;  // the first byte of the DER (SEQUENCE tag)
  });
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::client, Alert::bad_certificate, ERR_R_ASN1_LIB);
}

}  // namespace
}  // namespace rapidtls::testing
