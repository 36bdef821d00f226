// handshake::ConnectionCallbacks (issue 13): the calls a connection makes back
// into its application, each reached through the interface a test overrides,
// and none made when the interface says it does not want them.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "engine_expect.h"

namespace rapidtls::testing {
namespace {

constexpr uint8_t kHandshake = 22;  // RFC 8446 5.1 ContentType

// Records what on_message sees: (sent, content type, handshake type or 0).
struct Trace final : handshake::ConnectionCallbacks {
  bool wanted = true;
  std::vector<std::tuple<bool, uint8_t, uint8_t>> seen;
  bool traces_messages() const override { return wanted; }
  void on_message(bool sent, uint16_t, uint8_t content_type, Bytes data) override {
    seen.emplace_back(sent, content_type, content_type == kHandshake ? data[0] : 0);
  }
};

TEST(ConnectionCallbacks, MessageTraceSeesEachHandshakeMessage) {
  Pair p(client_config(), server_config());
  Trace client, server;
  p.client_callbacks.next = &client;
  p.server_callbacks.next = &server;
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  // RFC 8446 2: ClientHello out; ServerHello, EncryptedExtensions,
  // Certificate, CertificateVerify, Finished in; Finished out; then the
  // server's NewSessionTicket in (4.6.1).
  using T = std::tuple<bool, uint8_t, uint8_t>;
  const std::vector<T> hs_client = {T{true, kHandshake, 1},   T{false, kHandshake, 2},
                                    T{false, kHandshake, 8},  T{false, kHandshake, 11},
                                    T{false, kHandshake, 15}, T{false, kHandshake, 20},
                                    T{true, kHandshake, 20},  T{false, kHandshake, 4}};
  std::vector<T> client_handshake;
  for (const T& t : client.seen) {
    if (std::get<1>(t) == kHandshake) client_handshake.push_back(t);
  }
  EXPECT_EQ(client_handshake, hs_client);
  // The server sees the same messages the other way round (and then sends
  // its ticket: NewSessionTicket, 4).
  ASSERT_FALSE(server.seen.empty());
  EXPECT_EQ(server.seen.front(), (T{false, kHandshake, 1}));
  EXPECT_NE(std::find(server.seen.begin(), server.seen.end(), T{true, kHandshake, 4}),
            server.seen.end());
}

TEST(ConnectionCallbacks, NoMessageTraceWhenNotWanted) {
  Pair p(client_config(), server_config());
  Trace client;
  client.wanted = false;
  p.client_callbacks.next = &client;
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_TRUE(client.seen.empty());
}

// A connection without callbacks: every default (no key log, no trace).
TEST(ConnectionCallbacks, ConnectionsWithoutCallbacksHandshake) {
  conn::Connection client(Role::client, client_config(), {"localhost", ""});
  conn::Connection server(Role::server, server_config());
  ASSERT_TRUE(client.start().ok());
  for (int i = 0; i < 8 && (client.wants_write() || server.wants_write()); ++i) {
    for (auto [from, to] : {std::pair{&client, &server}, std::pair{&server, &client}}) {
      const ByteVec out(from->pending_output().begin(), from->pending_output().end());
      from->consume_output(out.size());
      Bytes rest(out);
      while (!rest.empty()) {
        auto taken = to->receive(rest);
        ASSERT_TRUE(taken.ok());
        rest = rest.subspan(*taken);
      }
    }
  }
  EXPECT_TRUE(client.handshake_done());
  EXPECT_TRUE(server.handshake_done());
}

struct KeyLog final : handshake::ConnectionCallbacks {
  bool wanted = true;
  int lines = 0;
  bool logs_keys() const override { return wanted; }
  void on_key_log(std::string_view) override { ++lines; }
};

TEST(ConnectionCallbacks, KeyLogOnlyWhenWanted) {
  for (const bool wanted : {true, false}) {
    KeyLog log;
    log.wanted = wanted;
    Pair p(client_config(), server_config());
    p.client.set_callbacks(&log);  // in place of the Pair's own
    ASSERT_TRUE(p.handshake()) << describe(p.error());
    // TLS 1.3: two handshake secrets, two application secrets, the exporter.
    EXPECT_EQ(log.lines, wanted ? 5 : 0) << wanted;
  }
}

struct AlpnChooser final : handshake::ConnectionCallbacks {
  int calls = 0;
  std::vector<ByteVec> offered;
  std::optional<ByteVec> answer;
  bool selects_alpn() const override { return true; }
  std::optional<ByteVec> on_select_alpn(const std::vector<ByteVec>& o) override {
    ++calls;
    offered = o;
    return answer;
  }
};

class CallbacksBoth : public ::testing::TestWithParam<uint16_t> {};

// RFC 7301 3.2: the server's callback chooses, over the configured preference.
TEST_P(CallbacksBoth, AlpnSelectChoosesOverTheConfiguredList) {
  auto ccfg = client_config();
  ccfg->max_version = GetParam();
  ccfg->alpn = {ByteVec{'h', '2'}, ByteVec{'x'}};
  auto scfg = server_config();
  scfg->alpn = {ByteVec{'h', '2'}};
  AlpnChooser chooser;
  chooser.answer = ByteVec{'x'};
  Pair p(ccfg, scfg);
  p.server_callbacks.next = &chooser;
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_EQ(chooser.calls, 1);
  EXPECT_EQ(chooser.offered, ccfg->alpn);
  EXPECT_EQ(p.client.session()->alpn, ByteVec{'x'});
  // nullopt: no protocol, and no alert.
  AlpnChooser none;
  Pair q(ccfg, scfg);
  q.server_callbacks.next = &none;
  ASSERT_TRUE(q.handshake()) << describe(q.error());
  EXPECT_EQ(none.calls, 1);
  EXPECT_TRUE(q.client.session()->alpn.empty());
}

struct HelloHook final : handshake::ConnectionCallbacks {
  int calls = 0;
  std::string name;
  Result<handshake::ClientHelloDecision> answer = handshake::ClientHelloDecision{};
  bool hooks_client_hello() const override { return true; }
  Result<handshake::ClientHelloDecision> on_client_hello(const handshake::ClientHello&,
                                                         const std::string& n) override {
    ++calls;
    name = n;
    return answer;
  }
};

TEST_P(CallbacksBoth, ClientHelloHookSeesTheNameAndCanEndTheHandshake) {
  auto ccfg = client_config();
  ccfg->max_version = GetParam();
  HelloHook hook;
  Pair p(ccfg, server_config());
  p.server_callbacks.next = &hook;
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_EQ(hook.calls, 1);
  EXPECT_EQ(hook.name, "localhost");

  HelloHook refuse;
  refuse.answer = Error{Alert::unrecognized_name, SSL_R_CALLBACK_FAILED};
  Pair q(ccfg, server_config());
  q.server_callbacks.next = &refuse;
  EXPECT_FALSE(q.handshake());
  EXPECT_EQ(refuse.calls, 1);
  expect_failure(q, Role::server, Alert::unrecognized_name, SSL_R_CALLBACK_FAILED);
}

// Config::verify_callback decides each step, run through on_verify.
int g_verify_steps = 0;
int CountAndRefuse(int, X509_STORE_CTX*) {
  ++g_verify_steps;
  return 0;
}

struct VerifyThrough final : handshake::ConnectionCallbacks {
  int calls = 0;
  int on_verify(handshake::VerifyCallback callback, int ok, X509_STORE_CTX* ctx) override {
    ++calls;
    return callback(ok, ctx);
  }
};

TEST_P(CallbacksBoth, VerifyCallbackRunsThroughTheConnectionsCallbacks) {
  auto ccfg = client_config();
  ccfg->max_version = GetParam();
  ccfg->verify_callback = CountAndRefuse;
  g_verify_steps = 0;
  VerifyThrough through;
  Pair p(ccfg, server_config());
  p.client_callbacks.next = &through;
  EXPECT_FALSE(p.handshake());
  EXPECT_GT(through.calls, 0);
  EXPECT_EQ(g_verify_steps, through.calls);
  ASSERT_TRUE(p.client.error().has_value());
  EXPECT_EQ(p.client.error()->reason, SSL_R_CERTIFICATE_VERIFY_FAILED);
}

// A server's ticket issuer and TLS 1.2 session cache get the connection's
// callbacks (where the C interface finds its SSL).
struct SeesCallbacks final : handshake::TicketIssuer, handshake::SessionCache12 {
  std::vector<const handshake::ConnectionCallbacks*> issued, added;
  Result<handshake::NewSessionTicket> issue(const handshake::SuiteInfo&, const crypto::Secret&,
                                            const handshake::TicketPeer&, uint64_t,
                                            crypto::RandomSource&,
                                            handshake::ConnectionCallbacks& callbacks) override {
    issued.push_back(&callbacks);
    return handshake::NewSessionTicket{};  // declined: none sent
  }
  std::optional<handshake::TicketContents> open(Bytes, uint64_t,
                                                handshake::ConnectionCallbacks&) override {
    return std::nullopt;
  }
  std::optional<handshake::StoredTicket> find(Bytes, handshake::ConnectionCallbacks&) override {
    return std::nullopt;
  }
  void add(const handshake::StoredTicket&, handshake::ConnectionCallbacks& callbacks) override {
    added.push_back(&callbacks);
  }
};

TEST_P(CallbacksBoth, TicketIssuerAndSessionCacheGetTheConnectionsCallbacks) {
  auto ccfg = client_config();
  ccfg->max_version = GetParam();
  ccfg->session_tickets12 = false;  // TLS 1.2: a session id, kept in the cache
  auto seen = std::make_shared<SeesCallbacks>();
  auto scfg = server_config();
  scfg->ticket_issuer = std::shared_ptr<handshake::TicketIssuer>(seen, seen.get());
  scfg->session_cache12 = std::shared_ptr<handshake::SessionCache12>(seen, seen.get());
  Pair p(ccfg, scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  const std::vector<const handshake::ConnectionCallbacks*> server = {&p.server_callbacks};
  if (GetParam() == handshake::kTls13) {
    EXPECT_EQ(seen->issued, server);
    EXPECT_TRUE(seen->added.empty());
  } else {
    EXPECT_EQ(seen->added, server);
    EXPECT_TRUE(seen->issued.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Versions, CallbacksBoth,
                         ::testing::Values(handshake::kTls13, handshake::kTls12),
                         [](const ::testing::TestParamInfo<uint16_t>& p) {
                           return std::string(p.param == handshake::kTls12 ? "Tls12" : "Tls13");
                         });

}  // namespace
}  // namespace rapidtls::testing
