// OCSP stapling through the engine (RFC 6066 8; TLS 1.3: RFC 8446 4.4.2.1):
// a client that asks gets the server's response (TLS 1.2: a CertificateStatus
// message after the Certificate; TLS 1.3: the end-entity CertificateEntry's
// status_request extension) and checks it; a client that does not ask gets
// nothing. Hostile servers: a status the client did not ask for, a malformed
// one, a second one.
#include <gtest/gtest.h>

#include "engine_expect.h"
#include "handshake/messages12.h"
#include "handshake_test_util.h"

namespace rapidtls::testing {
namespace {

using handshake::HandshakeType;

const ByteVec kResponse = {0x30, 0x03, 0x0a, 0x01, 0x00};

struct Ocsp {
  std::shared_ptr<Config> ccfg = client_config();
  std::shared_ptr<Config> scfg = server_config();
  int staple_calls = 0;
  int check_calls = 0;
  ByteVec checked;
  int check_answer = 1;
  Result<std::optional<ByteVec>> staple_answer = std::optional<ByteVec>(kResponse);

  struct Client final : handshake::ConnectionCallbacks {
    Ocsp* o;
    explicit Client(Ocsp* owner) : o(owner) {}
    int on_ocsp_response(Bytes r) override {
      ++o->check_calls;
      o->checked.assign(r.begin(), r.end());
      return o->check_answer;
    }
  } client{this};
  struct Server final : handshake::ConnectionCallbacks {
    Ocsp* o;
    explicit Server(Ocsp* owner) : o(owner) {}
    Result<std::optional<ByteVec>> on_ocsp_staple(size_t certificate) override {
      ++o->staple_calls;
      EXPECT_EQ(certificate, 0u);
      return o->staple_answer;
    }
  } server{this};

  explicit Ocsp(uint16_t version, bool ask = true) {
    ccfg->max_version = version;
    ccfg->request_ocsp = ask;
  }
  Ocsp(const Ocsp&) = delete;
  Ocsp& operator=(const Ocsp&) = delete;
  // Puts this test's callbacks behind the Pair's.
  void attach(Pair& p) {
    p.client_callbacks.next = &client;
    p.server_callbacks.next = &server;
  }
};

class OcspBoth : public ::testing::TestWithParam<uint16_t> {};

TEST_P(OcspBoth, TheClientGetsTheStapledResponse) {
  Ocsp o(GetParam());
  Pair p(o.ccfg, o.scfg);
  o.attach(p);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_EQ(p.client.session()->version, GetParam());
  EXPECT_EQ(o.staple_calls, 1);
  EXPECT_EQ(o.check_calls, 1);
  EXPECT_EQ(o.checked, kResponse);
  EXPECT_EQ(p.client.session()->ocsp_response, kResponse);
  EXPECT_EQ(p.server.session()->ocsp_response, kResponse);
  expect_transfer(p, Role::server, pattern(100, 1));
}

TEST_P(OcspBoth, NothingWhenTheClientDoesNotAsk) {
  Ocsp o(GetParam(), /*ask=*/false);
  Pair p(o.ccfg, o.scfg);
  o.attach(p);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_EQ(o.staple_calls, 0);
  EXPECT_EQ(o.check_calls, 0);
  EXPECT_TRUE(p.client.session()->ocsp_response.empty());
}

TEST_P(OcspBoth, NoResponseToStaple) {
  Ocsp o(GetParam());
  o.staple_answer = std::optional<ByteVec>();
  Pair p(o.ccfg, o.scfg);
  o.attach(p);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_EQ(o.check_calls, 1) << "the client checks that none came";
  EXPECT_TRUE(o.checked.empty());
}

TEST_P(OcspBoth, TheClientRefusesTheResponse) {
  Ocsp o(GetParam());
  o.check_answer = 0;
  Pair p(o.ccfg, o.scfg);
  o.attach(p);
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::client, Alert::bad_certificate_status_response,
                 SSL_R_INVALID_STATUS_RESPONSE);
  o.check_answer = -1;
  Pair q(o.ccfg, o.scfg);
  o.attach(q);
  EXPECT_FALSE(q.handshake());
  expect_failure(q, Role::client, Alert::internal_error, SSL_R_OCSP_CALLBACK_FAILURE);
}

TEST_P(OcspBoth, TheServersCallbackFails) {
  Ocsp o(GetParam());
  o.staple_answer = Error{Alert::internal_error, SSL_R_CLIENTHELLO_TLSEXT};
  Pair p(o.ccfg, o.scfg);
  o.attach(p);
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::server, Alert::internal_error, SSL_R_CLIENTHELLO_TLSEXT);
}

INSTANTIATE_TEST_SUITE_P(Versions, OcspBoth,
                         ::testing::Values(handshake::kTls13, handshake::kTls12),
                         [](const ::testing::TestParamInfo<uint16_t>& p) {
                           return std::string(p.param == handshake::kTls12 ? "Tls12" : "Tls13");
                         });

// TLS 1.2: the server's flight is one plaintext record; f edits its messages.
void alter_server_flight12(Pair& p, std::function<void(std::vector<ByteVec>&)> f) {
  p.tamper = [f, done = false](Role from, ByteVec& bytes) mutable {
    if (from != Role::server || done) return;
    auto records = split_records(bytes);
    ASSERT_FALSE(records.empty());
    ASSERT_EQ(records[0].type, 22);
    auto messages = split_messages(records[0].body);
    f(messages);
    ByteVec joined;
    for (const auto& m : messages) joined.insert(joined.end(), m.begin(), m.end());
    records[0].body = joined;
    bytes = join_records(records);
    done = true;
  };
}

ByteVec certificate_status(Bytes body) {
  ByteVec msg;
  EXPECT_TRUE(handshake::write_handshake(
                  msg, static_cast<HandshakeType>(handshake::kCertificateStatus), body)
                  .ok());
  return msg;
}

// A CertificateStatus after a ServerHello without status_request.
TEST(OcspHostile, Tls12StatusNotAcknowledgedIsUnexpected) {
  Ocsp o(handshake::kTls12, /*ask=*/false);
  Pair p(o.ccfg, o.scfg);
  o.attach(p);
  alter_server_flight12(p, [](std::vector<ByteVec>& m) {
    ASSERT_GE(m.size(), 3u);
    m.insert(m.begin() + 2,
             certificate_status(handshake::encode_certificate_status(kResponse).value()));
  });
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::client, Alert::unexpected_message, SSL_R_UNEXPECTED_MESSAGE);
}

// Acknowledged, then twice, or malformed.
TEST(OcspHostile, Tls12SecondStatusIsUnexpected) {
  Ocsp o(handshake::kTls12);
  Pair p(o.ccfg, o.scfg);
  o.attach(p);
  alter_server_flight12(p, [](std::vector<ByteVec>& m) {
    ASSERT_GE(m.size(), 4u);
    ASSERT_EQ(m[2][0], handshake::kCertificateStatus);
    m.insert(m.begin() + 3, m[2]);
  });
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::client, Alert::unexpected_message, SSL_R_UNEXPECTED_MESSAGE);
}

TEST(OcspHostile, Tls12MalformedStatusIsDecodeError) {
  for (const ByteVec& body : {ByteVec{2, 0, 0, 1, 0}, ByteVec{1, 0, 0, 0}, ByteVec{1, 0, 0, 5, 1},
                              ByteVec{1}, ByteVec{}}) {
    Ocsp o(handshake::kTls12);
    Pair p(o.ccfg, o.scfg);
    o.attach(p);
    alter_server_flight12(p, [&body](std::vector<ByteVec>& m) {
      ASSERT_GE(m.size(), 4u);
      m[2] = certificate_status(body);
    });
    EXPECT_FALSE(p.handshake());
    expect_failure(p, Role::client, Alert::decode_error, SSL_R_LENGTH_MISMATCH);
  }
}

// TLS 1.3: a status_request in a CertificateEntry the client did not ask for.
TEST(OcspHostile, Tls13UnsolicitedStatusIsUnsupportedExtension) {
  Ocsp o(handshake::kTls13, /*ask=*/false);
  Pair p(o.ccfg, o.scfg);
  o.attach(p);
  alter_server_flight(p, [](std::vector<ByteVec>& messages) {
    ByteVec& cert = find_message(messages, HandshakeType::certificate);
    auto parsed = handshake::CertificateMsg::parse(Bytes(cert).subspan(4));
    ASSERT_TRUE(parsed.ok());
    parsed->certificate_list[0].extensions.push_back(
        {static_cast<uint16_t>(handshake::ExtensionType::status_request),
         handshake::encode_certificate_status(kResponse).value()});
    cert.clear();
    EXPECT_TRUE(parsed->serialize(cert).ok());
  });
  EXPECT_FALSE(p.handshake());
  expect_failure(p, Role::client, Alert::unsupported_extension, SSL_R_UNSOLICITED_EXTENSION);
}

TEST(OcspCodec, StatusRequestAndCertificateStatus) {
  EXPECT_EQ(handshake::encode_status_request_ch(), (ByteVec{1, 0, 0, 0, 0}));
  auto ok = handshake::parse_status_request_ch(ByteVec{1, 0, 4, 0, 2, 9, 9, 0, 0});
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(*ok);
  auto other = handshake::parse_status_request_ch(ByteVec{2, 7});
  ASSERT_TRUE(other.ok()) << "an unknown status type is ignored";
  EXPECT_FALSE(*other);
  for (const ByteVec& bad : {ByteVec{}, ByteVec{1}, ByteVec{1, 0, 0}, ByteVec{1, 0, 2, 0, 0, 0, 0},
                             ByteVec{1, 0, 0, 0, 0, 0}, ByteVec{1, 0, 3, 0, 2, 9, 0, 0}}) {
    EXPECT_FALSE(handshake::parse_status_request_ch(bad).ok());
  }
  const ByteVec status = handshake::encode_certificate_status(kResponse).value();
  EXPECT_EQ(status, (ByteVec{1, 0, 0, 5, 0x30, 0x03, 0x0a, 0x01, 0x00}));
  auto back = handshake::parse_certificate_status(status);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, kResponse);
}

}  // namespace
}  // namespace rapidtls::testing
