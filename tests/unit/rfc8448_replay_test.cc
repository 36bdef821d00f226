// RFC 8448 traces replayed byte for byte through the engine, client side and
// server side: section 3 (simple 1-RTT) and section 5 (HelloRetryRequest).
// The trace's randoms and private keys are injected through the Config's
// RandomSource; the server's CertificateVerify comes from a signer that
// checks what it is asked to sign against the trace's signature (RSA-PSS is
// randomised, so the trace's bytes cannot be made again); the tickets come
// from an issuer that returns the trace's NewSessionTicket. Where the trace's
// implementation (NSS) chose a different set of extensions than rapidtls
// would, test hooks put the trace's extension list in place: the ClientHello
// extensions, the EncryptedExtensions, and section 5's HelloRetryRequest
// (which carries NSS's cookie). Everything else — record framing, message
// coalescing, the key schedule, Finished, the record protection — is the
// engine's own, and every byte it sends is compared with the trace.
#include <gtest/gtest.h>

#include <deque>

#include "conn/connection.h"
#include "handshake/exporter.h"
#include "handshake/messages.h"
#include "handshake_test_util.h"
#include "rfc8448_vectors.h"

namespace rapidtls::testing {
namespace {

using namespace rapidtls::testvec;
using handshake::Config;
using handshake::Role;

// Hands out the trace's random values in the order the engine asks for them.
class ScriptedRandom final : public crypto::RandomSource {
 public:
  explicit ScriptedRandom(std::vector<ByteVec> values) : values_(values.begin(), values.end()) {}
  void fill(MutBytes out) override {
    if (values_.empty() || values_.front().size() != out.size()) {
      mismatch_ = true;
      std::fill(out.begin(), out.end(), 0);
      return;
    }
    std::copy(values_.front().begin(), values_.front().end(), out.begin());
    values_.pop_front();
  }
  bool all_used_as_scripted() const { return values_.empty() && !mismatch_; }

 private:
  std::deque<ByteVec> values_;
  bool mismatch_ = false;
};

class FixedClock final : public Clock {
 public:
  uint64_t now_ms() const override { return 1500000000000; }
};
const FixedClock kClock;

// The body of a whole handshake message (4-byte header removed).
Bytes body_of(const ByteVec& msg) {
  return Bytes(msg).subspan(4);
}

// The random of a ClientHello or ServerHello message.
ByteVec random_of(const ByteVec& hello) {
  return ByteVec(hello.begin() + 6, hello.begin() + 38);
}

handshake::Extensions extensions_of_client_hello(const char* msg) {
  auto ch = handshake::ClientHello::parse(body_of(from_hex(msg)));
  EXPECT_TRUE(ch.ok());
  return ch.ok() ? ch->extensions : handshake::Extensions{};
}

// Signs by returning the trace's signature, after checking with the trace
// certificate's public key that it is the signature of what the engine asks
// to be signed.
class TraceSigner final : public handshake::Signer {
 public:
  TraceSigner(crypto::Certificate cert, ByteVec cv_message)
      : cert_(std::move(cert)), cv_(*handshake::CertificateVerify::parse(body_of(cv_message))) {}
  std::vector<crypto::SignatureScheme> schemes() const override {
    return {static_cast<crypto::SignatureScheme>(cv_.algorithm)};
  }
  Result<ByteVec> sign(crypto::SignatureScheme scheme, Bytes content) override {
    auto key = crypto::PublicKey::from_certificate(cert_);
    if (!key.ok() || static_cast<uint16_t>(scheme) != cv_.algorithm) return internal_error();
    RTLS_TRY(key->verify(scheme, content, cv_.signature));
    ++calls;
    return cv_.signature;
  }
  int calls = 0;

 private:
  crypto::Certificate cert_;
  handshake::CertificateVerify cv_;
};

class TraceTicketIssuer final : public handshake::TicketIssuer {
 public:
  explicit TraceTicketIssuer(const char* nst) : nst_(from_hex(nst)) {}
  Result<handshake::NewSessionTicket> issue(const handshake::SuiteInfo&, const crypto::Secret&,
                                            const handshake::TicketPeer&, uint64_t,
                                            crypto::RandomSource&,
                                            handshake::ConnectionCallbacks&) override {
    return handshake::NewSessionTicket::parse(body_of(nst_));
  }
  std::optional<handshake::TicketContents> open(Bytes, uint64_t,
                                                handshake::ConnectionCallbacks&) override {
    return std::nullopt;
  }

 private:
  ByteVec nst_;
};

crypto::Certificate trace_certificate(const char* cert_msg) {
  auto msg = handshake::CertificateMsg::parse(body_of(from_hex(cert_msg)));
  EXPECT_TRUE(msg.ok());
  return *crypto::Certificate::from_der(msg->certificate_list.at(0).cert_data);
}

ByteVec take_output(conn::Connection& c) {
  ByteVec out(c.pending_output().begin(), c.pending_output().end());
  c.consume_output(out.size());
  return out;
}

ByteVec concat(const ByteVec& a, const ByteVec& b) {
  ByteVec out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// The key-log line's secret for `label`, or empty.
std::string logged(const std::vector<std::string>& lines, const std::string& label) {
  for (const auto& l : lines) {
    if (l.rfind(label + " ", 0) == 0) return l.substr(l.rfind(' ') + 1);
  }
  return "";
}

// Collects a connection's key-log lines.
struct KeyLog final : handshake::ConnectionCallbacks {
  std::vector<std::string> lines;
  bool logs_keys() const override { return true; }
  void on_key_log(std::string_view line) override { lines.emplace_back(line); }
};

std::shared_ptr<Config> base_config(ScriptedRandom* rng) {
  auto cfg = std::make_shared<Config>();
  cfg->rng = rng;
  cfg->clock = &kClock;
  cfg->middlebox_compat = false;         // the traces use an empty legacy_session_id
  cfg->min_version = handshake::kTls13;  // the traces' clients offer TLS 1.3 only
  cfg->cipher_suites = {0x1301, 0x1303, 0x1302};
  return cfg;
}

void expect_secrets(const std::vector<std::string>& log, const char* c_hs, const char* s_hs,
                    const char* c_ap, const char* s_ap) {
  EXPECT_EQ(logged(log, "CLIENT_HANDSHAKE_TRAFFIC_SECRET"), to_hex(from_hex(c_hs)));
  EXPECT_EQ(logged(log, "SERVER_HANDSHAKE_TRAFFIC_SECRET"), to_hex(from_hex(s_hs)));
  EXPECT_EQ(logged(log, "CLIENT_TRAFFIC_SECRET_0"), to_hex(from_hex(c_ap)));
  EXPECT_EQ(logged(log, "SERVER_TRAFFIC_SECRET_0"), to_hex(from_hex(s_ap)));
}

TEST(Rfc8448Replay, S3_Client) {
  ScriptedRandom rng(
      {random_of(from_hex(kRfc8448S3ClientHello)), from_hex(kRfc8448S3ClientPrivateX25519)});
  KeyLog keylog;
  auto cfg = base_config(&rng);
  bool our_key_share_matched = false;
  cfg->test_hooks.client_hello_extensions = [&](handshake::Extensions& exts) {
    const auto trace = extensions_of_client_hello(kRfc8448S3ClientHello);
    const auto* ours = handshake::find_extension(exts, handshake::ExtensionType::key_share);
    const auto* theirs = handshake::find_extension(trace, handshake::ExtensionType::key_share);
    our_key_share_matched = ours && theirs && ours->body == theirs->body;
    exts = trace;
  };
  conn::Connection client(Role::client, cfg, {"server", ""});
  client.set_callbacks(&keylog);
  ASSERT_TRUE(client.start().ok());
  EXPECT_TRUE(our_key_share_matched) << "the injected private key gives the trace's key share";
  EXPECT_EQ(to_hex(take_output(client)), to_hex(from_hex(kRfc8448S3ClientHelloRecord)));

  auto r = client.receive(concat(from_hex(kRfc8448S3ServerHelloRecord),
                                 from_hex(kRfc8448S3ServerEncryptedFlightRecord)));
  ASSERT_TRUE(r.ok()) << testutil::describe(r.error());
  ASSERT_TRUE(client.handshake_done());
  EXPECT_EQ(to_hex(take_output(client)), to_hex(from_hex(kRfc8448S3ClientFinishedRecord)));
  expect_secrets(keylog.lines, kRfc8448S3ClientHandshakeTrafficSecret,
                 kRfc8448S3ServerHandshakeTrafficSecret, kRfc8448S3ClientApplicationTrafficSecret,
                 kRfc8448S3ServerApplicationTrafficSecret);
  EXPECT_EQ(logged(keylog.lines, "EXPORTER_SECRET"),
            to_hex(from_hex(kRfc8448S3ExporterMasterSecret)));
  // What SSL_export_keying_material starts from, derived when asked.
  auto exporter = handshake::exporter_master_secret(*client.session());
  ASSERT_TRUE(exporter.ok());
  EXPECT_EQ(to_hex(exporter->bytes()), to_hex(from_hex(kRfc8448S3ExporterMasterSecret)));
  EXPECT_EQ(to_hex(client.session()->resumption_secret.bytes()),
            to_hex(from_hex(kRfc8448S3ResumptionMasterSecret)));
  EXPECT_TRUE(rng.all_used_as_scripted());

  ASSERT_TRUE(client.receive(from_hex(kRfc8448S3NewSessionTicketRecord)).ok());
  ASSERT_EQ(client.tickets().size(), 1u);
  auto nst = handshake::NewSessionTicket::parse(body_of(from_hex(kRfc8448S3NewSessionTicket)));
  EXPECT_EQ(client.tickets()[0].ticket, nst->ticket);

  ASSERT_TRUE(client.send_app(from_hex(kRfc8448S3AppDataPayload)).ok());
  EXPECT_EQ(to_hex(take_output(client)), to_hex(from_hex(kRfc8448S3ClientAppDataRecord)));
  ASSERT_TRUE(client.receive(from_hex(kRfc8448S3ServerAppDataRecord)).ok());
  ByteVec got(100);
  got.resize(client.read_app(got));
  EXPECT_EQ(got, from_hex(kRfc8448S3AppDataPayload));

  ASSERT_TRUE(client.close().ok());
  EXPECT_EQ(to_hex(take_output(client)), to_hex(from_hex(kRfc8448S3ClientAlertRecord)));
  ASSERT_TRUE(client.receive(from_hex(kRfc8448S3ServerAlertRecord)).ok());
  EXPECT_TRUE(client.peer_closed());
}

TEST(Rfc8448Replay, S3_Server) {
  ScriptedRandom rng(
      {random_of(from_hex(kRfc8448S3ServerHello)), from_hex(kRfc8448S3ServerPrivateX25519)});
  KeyLog keylog;
  auto cfg = base_config(&rng);
  cfg->groups = {crypto::NamedGroup::x25519};
  auto cert = trace_certificate(kRfc8448S3Certificate);
  auto signer = std::make_shared<TraceSigner>(cert, from_hex(kRfc8448S3CertificateVerify));
  cfg->certificates = {handshake::CertifiedKey{{cert}, signer}};
  cfg->ticket_issuer = std::make_shared<TraceTicketIssuer>(kRfc8448S3NewSessionTicket);
  cfg->tickets_to_send = 1;
  cfg->test_hooks.encrypted_extensions = [](handshake::Extensions& exts) {
    exts = handshake::EncryptedExtensions::parse(body_of(from_hex(kRfc8448S3EncryptedExtensions)))
               ->extensions;
  };
  conn::Connection server(Role::server, cfg);
  server.set_callbacks(&keylog);

  ASSERT_TRUE(server.receive(from_hex(kRfc8448S3ClientHelloRecord)).ok())
      << testutil::describe(*server.error());
  EXPECT_EQ(to_hex(take_output(server)),
            to_hex(concat(from_hex(kRfc8448S3ServerHelloRecord),
                          from_hex(kRfc8448S3ServerEncryptedFlightRecord))));
  EXPECT_EQ(signer->calls, 1) << "the CertificateVerify content matched the trace's signature";
  EXPECT_TRUE(rng.all_used_as_scripted());

  ASSERT_TRUE(server.receive(from_hex(kRfc8448S3ClientFinishedRecord)).ok());
  ASSERT_TRUE(server.handshake_done());
  EXPECT_EQ(to_hex(take_output(server)), to_hex(from_hex(kRfc8448S3NewSessionTicketRecord)));
  expect_secrets(keylog.lines, kRfc8448S3ClientHandshakeTrafficSecret,
                 kRfc8448S3ServerHandshakeTrafficSecret, kRfc8448S3ClientApplicationTrafficSecret,
                 kRfc8448S3ServerApplicationTrafficSecret);
  EXPECT_EQ(to_hex(server.session()->resumption_secret.bytes()),
            to_hex(from_hex(kRfc8448S3ResumptionMasterSecret)));

  ASSERT_TRUE(server.receive(from_hex(kRfc8448S3ClientAppDataRecord)).ok());
  ByteVec got(100);
  got.resize(server.read_app(got));
  EXPECT_EQ(got, from_hex(kRfc8448S3AppDataPayload));
  ASSERT_TRUE(server.send_app(from_hex(kRfc8448S3AppDataPayload)).ok());
  EXPECT_EQ(to_hex(take_output(server)), to_hex(from_hex(kRfc8448S3ServerAppDataRecord)));
  ASSERT_TRUE(server.receive(from_hex(kRfc8448S3ClientAlertRecord)).ok());
  EXPECT_TRUE(server.peer_closed());
  ASSERT_TRUE(server.close().ok());
  EXPECT_EQ(to_hex(take_output(server)), to_hex(from_hex(kRfc8448S3ServerAlertRecord)));
}

TEST(Rfc8448Replay, S5_HelloRetryRequest_Client) {
  ScriptedRandom rng({random_of(from_hex(kRfc8448S5ClientHello1)),
                      from_hex(kRfc8448S5ClientPrivateX25519),
                      from_hex(kRfc8448S5ClientPrivateP256)});
  KeyLog keylog;
  auto cfg = base_config(&rng);
  cfg->groups = {crypto::NamedGroup::x25519, crypto::NamedGroup::secp256r1};
  int hellos = 0;
  bool shares_matched = true;
  cfg->test_hooks.client_hello_extensions = [&](handshake::Extensions& exts) {
    const auto trace =
        extensions_of_client_hello(hellos == 0 ? kRfc8448S5ClientHello1 : kRfc8448S5ClientHello2);
    const auto* ours = handshake::find_extension(exts, handshake::ExtensionType::key_share);
    const auto* theirs = handshake::find_extension(trace, handshake::ExtensionType::key_share);
    shares_matched = shares_matched && ours && theirs && ours->body == theirs->body;
    // The cookie is NSS's, echoed by the client from the HelloRetryRequest.
    const auto* our_cookie = handshake::find_extension(exts, handshake::ExtensionType::cookie);
    const auto* their_cookie = handshake::find_extension(trace, handshake::ExtensionType::cookie);
    shares_matched = shares_matched && (our_cookie == nullptr) == (their_cookie == nullptr) &&
                     (!our_cookie || our_cookie->body == their_cookie->body);
    exts = trace;
    ++hellos;
  };
  conn::Connection client(Role::client, cfg, {"server", ""});
  client.set_callbacks(&keylog);
  ASSERT_TRUE(client.start().ok());
  EXPECT_EQ(to_hex(take_output(client)), to_hex(from_hex(kRfc8448S5ClientHello1Record)));
  ASSERT_TRUE(client.receive(from_hex(kRfc8448S5HelloRetryRequestRecord)).ok());
  EXPECT_EQ(to_hex(take_output(client)), to_hex(from_hex(kRfc8448S5ClientHello2Record)));
  EXPECT_EQ(hellos, 2);
  EXPECT_TRUE(shares_matched) << "key shares and the echoed cookie are the trace's";

  auto r = client.receive(concat(from_hex(kRfc8448S5ServerHelloRecord),
                                 from_hex(kRfc8448S5ServerEncryptedFlightRecord)));
  ASSERT_TRUE(r.ok()) << testutil::describe(r.error());
  ASSERT_TRUE(client.handshake_done());
  EXPECT_TRUE(client.session()->hello_retry);
  EXPECT_EQ(to_hex(take_output(client)), to_hex(from_hex(kRfc8448S5ClientFinishedRecord)));
  expect_secrets(keylog.lines, kRfc8448S5ClientHandshakeTrafficSecret,
                 kRfc8448S5ServerHandshakeTrafficSecret, kRfc8448S5ClientApplicationTrafficSecret,
                 kRfc8448S5ServerApplicationTrafficSecret);
  EXPECT_EQ(logged(keylog.lines, "EXPORTER_SECRET"),
            to_hex(from_hex(kRfc8448S5ExporterMasterSecret)));
  // After a HelloRetryRequest too.
  auto exporter = handshake::exporter_master_secret(*client.session());
  ASSERT_TRUE(exporter.ok());
  EXPECT_EQ(to_hex(exporter->bytes()), to_hex(from_hex(kRfc8448S5ExporterMasterSecret)));
  EXPECT_EQ(to_hex(client.session()->resumption_secret.bytes()),
            to_hex(from_hex(kRfc8448S5ResumptionMasterSecret)));
  EXPECT_TRUE(rng.all_used_as_scripted());

  ASSERT_TRUE(client.close().ok());
  EXPECT_EQ(to_hex(take_output(client)), to_hex(from_hex(kRfc8448S5ClientAlertRecord)));
  ASSERT_TRUE(client.receive(from_hex(kRfc8448S5ServerAlertRecord)).ok());
  EXPECT_TRUE(client.peer_closed());
}

TEST(Rfc8448Replay, S5_HelloRetryRequest_Server) {
  ScriptedRandom rng(
      {random_of(from_hex(kRfc8448S5ServerHello)), from_hex(kRfc8448S5ServerPrivateP256)});
  KeyLog keylog;
  auto cfg = base_config(&rng);
  cfg->groups = {crypto::NamedGroup::secp256r1};
  auto cert = trace_certificate(kRfc8448S5Certificate);
  auto signer = std::make_shared<TraceSigner>(cert, from_hex(kRfc8448S5CertificateVerify));
  cfg->certificates = {handshake::CertifiedKey{{cert}, signer}};
  cfg->tickets_to_send = 0;  // the section 5 trace has no NewSessionTicket
  cfg->test_hooks.hello_retry_extensions = [](handshake::Extensions& exts) {
    exts =
        handshake::ServerHello::parse(body_of(from_hex(kRfc8448S5HelloRetryRequest)))->extensions;
  };
  cfg->test_hooks.encrypted_extensions = [](handshake::Extensions& exts) {
    exts = handshake::EncryptedExtensions::parse(body_of(from_hex(kRfc8448S5EncryptedExtensions)))
               ->extensions;
  };
  conn::Connection server(Role::server, cfg);
  server.set_callbacks(&keylog);

  ASSERT_TRUE(server.receive(from_hex(kRfc8448S5ClientHello1Record)).ok());
  EXPECT_EQ(to_hex(take_output(server)), to_hex(from_hex(kRfc8448S5HelloRetryRequestRecord)));
  auto r = server.receive(from_hex(kRfc8448S5ClientHello2Record));
  ASSERT_TRUE(r.ok()) << testutil::describe(r.error());
  EXPECT_EQ(to_hex(take_output(server)),
            to_hex(concat(from_hex(kRfc8448S5ServerHelloRecord),
                          from_hex(kRfc8448S5ServerEncryptedFlightRecord))));
  EXPECT_EQ(signer->calls, 1);
  EXPECT_TRUE(rng.all_used_as_scripted());

  ASSERT_TRUE(server.receive(from_hex(kRfc8448S5ClientFinishedRecord)).ok());
  ASSERT_TRUE(server.handshake_done());
  EXPECT_TRUE(server.session()->hello_retry);
  EXPECT_FALSE(server.wants_write());
  expect_secrets(keylog.lines, kRfc8448S5ClientHandshakeTrafficSecret,
                 kRfc8448S5ServerHandshakeTrafficSecret, kRfc8448S5ClientApplicationTrafficSecret,
                 kRfc8448S5ServerApplicationTrafficSecret);

  ASSERT_TRUE(server.receive(from_hex(kRfc8448S5ClientAlertRecord)).ok());
  EXPECT_TRUE(server.peer_closed());
  ASSERT_TRUE(server.close().ok());
  EXPECT_EQ(to_hex(take_output(server)), to_hex(from_hex(kRfc8448S5ServerAlertRecord)));
}

}  // namespace
}  // namespace rapidtls::testing
