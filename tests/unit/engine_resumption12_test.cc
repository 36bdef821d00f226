// TLS 1.2 resumption through the engine (RFC 5246 7.3 abbreviated handshake,
// RFC 5077 tickets, RFC 7627 5.3): a client resumes by ticket or by session
// id from the server's cache, without certificates; everything the server
// cannot or must not resume falls back to a full handshake, except a
// session with the extended master secret offered without it (an attack,
// RFC 7627 5.3), which fails. Hostile answers are refused by the client.
#include <gtest/gtest.h>

#include <map>

#include "engine_expect.h"
#include "handshake/messages12.h"
#include "handshake_test_util.h"

namespace rapidtls::testing {
namespace {

using handshake::StoredTicket;

class TestClock final : public Clock {
 public:
  uint64_t now_ms() const override { return now; }
  uint64_t now = system_clock().now_ms();
};

// A server session cache in memory, counting what it is asked.
class MapCache final : public handshake::SessionCache12 {
 public:
  std::optional<StoredTicket> find(Bytes id, handshake::ConnectionCallbacks&) override {
    ++finds;
    auto it = sessions.find(ByteVec(id.begin(), id.end()));
    if (it == sessions.end()) return std::nullopt;
    return it->second;
  }
  void add(const StoredTicket& s, handshake::ConnectionCallbacks&) override {
    sessions[s.session_id] = s;
  }
  std::map<ByteVec, StoredTicket> sessions;
  int finds = 0;
};

std::shared_ptr<Config> tls12(std::shared_ptr<Config> cfg) {
  cfg->max_version = handshake::kTls12;
  return cfg;
}

handshake::ClientOptions resuming(const StoredTicket& t, std::string name = "localhost") {
  handshake::ClientOptions o{std::move(name), "localhost"};
  o.resume = t;
  return o;
}

// The session a first full handshake left the client (a test failure, and
// an empty session, when there is none).
StoredTicket first_session(std::shared_ptr<Config> ccfg, std::shared_ptr<Config> scfg) {
  Pair p(ccfg, scfg);
  if (!p.handshake()) {
    ADD_FAILURE() << "first handshake: " << describe(p.error());
    return {};
  }
  EXPECT_FALSE(p.client.session()->resumed);
  EXPECT_FALSE(p.server.session()->resumed);
  if (p.client.tickets().size() != 1) {
    ADD_FAILURE() << "sessions kept: " << p.client.tickets().size();
    return {};
  }
  return p.client.tickets().back();
}

// The size of the first batch of bytes the server sends.
size_t resume(Pair& p) {
  size_t server_flight = 0;
  p.tamper = [&](Role from, ByteVec& bytes) {
    if (from == Role::server && server_flight == 0) server_flight = bytes.size();
  };
  EXPECT_TRUE(p.handshake()) << describe(p.error());
  return server_flight;
}

TEST(Resumption12, TicketResumesWithoutCertificates) {
  auto ccfg = tls12(client_config());
  auto scfg = tls12(server_config());
  const StoredTicket t = first_session(ccfg, scfg);
  EXPECT_EQ(t.version, handshake::kTls12);
  EXPECT_FALSE(t.ticket.empty());
  EXPECT_TRUE(t.session_id.empty()) << "a ticket names the session: no id (as OpenSSL)";
  EXPECT_TRUE(t.extended_master_secret);
  EXPECT_EQ(t.lifetime_s, 7200u) << "the ticket_lifetime_hint";
  EXPECT_EQ(t.psk.size(), 48u) << "the master secret";
  ASSERT_TRUE(t.peer_chain);
  EXPECT_FALSE(t.peer_chain->empty());

  Pair p(ccfg, scfg, resuming(t));
  const size_t server_flight = resume(p);
  ASSERT_TRUE(p.client.session() && p.server.session());
  EXPECT_TRUE(p.client.session()->resumed);
  EXPECT_TRUE(p.server.session()->resumed);
  EXPECT_LT(server_flight, 300u) << "ServerHello, ChangeCipherSpec, Finished: no certificate";
  EXPECT_FALSE(p.client.session()->peer_scheme.has_value()) << "no ServerKeyExchange";
  EXPECT_EQ(p.client.session()->peer_chain.size(), t.peer_chain->size());
  EXPECT_EQ(p.client.session()->verify_result, 0);
  EXPECT_TRUE(ct_equal(p.client.session()->master_secret.bytes(), t.psk.bytes()));
  EXPECT_TRUE(ct_equal(p.server.session()->master_secret.bytes(), t.psk.bytes()));
  // New randoms, so new keys: data flows both ways.
  expect_transfer(p, Role::client, pattern(2000, 1));
  expect_transfer(p, Role::server, pattern(40000, 2));
  EXPECT_EQ(p.client_keylog, p.server_keylog);
  // Nothing new to keep: the resumed session stays the one to offer.
  EXPECT_TRUE(p.client.tickets().empty());
  // And it resumes again.
  Pair q(ccfg, scfg, resuming(t));
  resume(q);
  EXPECT_TRUE(q.client.session() && q.client.session()->resumed);
}

TEST(Resumption12, SessionIdResumesFromTheServerCache) {
  auto ccfg = tls12(client_config());
  auto scfg = tls12(server_config());
  scfg->ticket_issuer = nullptr;  // no tickets: the cache
  auto cache = std::make_shared<MapCache>();
  scfg->session_cache12 = cache;
  const StoredTicket t = first_session(ccfg, scfg);
  EXPECT_TRUE(t.ticket.empty());
  ASSERT_EQ(t.session_id.size(), 32u);
  ASSERT_EQ(cache->sessions.size(), 1u);
  EXPECT_EQ(cache->sessions.begin()->first, t.session_id);
  EXPECT_TRUE(ct_equal(cache->sessions.begin()->second.psk.bytes(), t.psk.bytes()));

  Pair p(ccfg, scfg, resuming(t));
  EXPECT_LT(resume(p), 300u);
  EXPECT_TRUE(p.client.session()->resumed);
  EXPECT_TRUE(p.server.session()->resumed);
  EXPECT_EQ(p.server.session()->session_id, t.session_id);
  EXPECT_EQ(cache->sessions.size(), 1u) << "a resumption adds nothing";
  expect_transfer(p, Role::client, pattern(100, 3));
  expect_transfer(p, Role::server, pattern(100, 4));
}

// A client offering TLS 1.3 too puts the TLS 1.2 session's id in
// legacy_session_id; a TLS 1.2 server resumes it.
TEST(Resumption12, ClientOfferingBothVersionsResumes) {
  auto ccfg = client_config();
  auto scfg = tls12(server_config());
  scfg->ticket_issuer = nullptr;
  scfg->session_cache12 = std::make_shared<MapCache>();
  const StoredTicket t = first_session(ccfg, scfg);
  ASSERT_EQ(t.session_id.size(), 32u);
  Pair p(ccfg, scfg, resuming(t));
  resume(p);
  EXPECT_TRUE(p.client.session()->resumed);
  // The ticket form too.
  auto scfg2 = tls12(server_config());
  const StoredTicket t2 = first_session(ccfg, scfg2);
  ASSERT_FALSE(t2.ticket.empty());
  Pair q(ccfg, scfg2, resuming(t2));
  resume(q);
  EXPECT_TRUE(q.client.session()->resumed);
}

// The same session offered to a server that speaks TLS 1.3: a full TLS 1.3
// handshake (the id is echoed as RFC 8446 4.1.3 says).
TEST(Resumption12, Tls13ServerIgnoresTheSession) {
  auto ccfg = client_config();
  auto scfg = tls12(server_config());
  const StoredTicket t = first_session(ccfg, scfg);
  Pair p(ccfg, server_config(), resuming(t));
  resume(p);
  EXPECT_EQ(p.client.session()->version, handshake::kTls13);
  EXPECT_FALSE(p.client.session()->resumed);
}

TEST(Resumption12, ClientWithoutTicketsGetsASessionId) {
  auto ccfg = tls12(client_config());
  ccfg->session_tickets12 = false;
  auto scfg = tls12(server_config());
  scfg->session_cache12 = std::make_shared<MapCache>();
  const StoredTicket t = first_session(ccfg, scfg);
  EXPECT_TRUE(t.ticket.empty());
  EXPECT_EQ(t.session_id.size(), 32u);
  Pair p(ccfg, scfg, resuming(t));
  resume(p);
  EXPECT_TRUE(p.client.session()->resumed);
}

TEST(Resumption12, NothingToResumeWithoutCacheOrTickets) {
  auto ccfg = tls12(client_config());
  auto scfg = tls12(server_config());
  scfg->ticket_issuer = nullptr;
  Pair p(ccfg, scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_TRUE(p.server.session()->session_id.empty());
  EXPECT_TRUE(p.client.tickets().empty()) << "nothing the server could resume";
}

// Each case: a session the server must not resume. The handshake is a full
// one, and data flows.
void expect_full_handshake(std::shared_ptr<Config> ccfg, std::shared_ptr<Config> scfg,
                           handshake::ClientOptions options) {
  Pair p(ccfg, scfg, std::move(options));
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_FALSE(p.client.session()->resumed);
  EXPECT_FALSE(p.server.session()->resumed);
  EXPECT_TRUE(p.client.session()->peer_scheme.has_value()) << "the server signed";
  expect_transfer(p, Role::client, pattern(100, 5));
}

TEST(Resumption12, UnknownTicketIsAFullHandshake) {
  auto ccfg = tls12(client_config());
  const StoredTicket t = first_session(ccfg, tls12(server_config()));
  expect_full_handshake(ccfg, tls12(server_config()), resuming(t));  // another ticket key
}

TEST(Resumption12, UnknownSessionIdIsAFullHandshake) {
  auto ccfg = tls12(client_config());
  auto scfg = tls12(server_config());
  scfg->ticket_issuer = nullptr;
  auto cache = std::make_shared<MapCache>();
  scfg->session_cache12 = cache;
  const StoredTicket t = first_session(ccfg, scfg);
  cache->sessions.clear();
  Pair p(ccfg, scfg, resuming(t));
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_FALSE(p.client.session()->resumed);
  EXPECT_NE(p.server.session()->session_id, t.session_id) << "a new session, a new id";
  EXPECT_EQ(cache->finds, 1);
}

TEST(Resumption12, SuiteNoLongerOfferedIsAFullHandshake) {
  auto ccfg = tls12(client_config());
  ccfg->cipher_suites12 = {0xc02b};
  auto scfg = tls12(server_config());
  const StoredTicket t = first_session(ccfg, scfg);
  ASSERT_EQ(t.suite, 0xc02b);
  auto ccfg2 = tls12(client_config());
  ccfg2->cipher_suites12 = {0xc02c};  // the client's own check lets it through: forced
  StoredTicket forced = t;
  forced.suite = 0xc02c;  // the client offers it, the server's session says 0xc02b
  // The client would not offer a session whose suite it no longer offers.
  Pair p(ccfg2, scfg, resuming(t));
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_FALSE(p.client.session()->resumed);
  // Offered anyway (a client keeping no such check): the server refuses.
  expect_full_handshake(ccfg2, scfg, resuming(forced));
}

// RFC 6066 3: not for another server name.
TEST(Resumption12, AnotherServerNameIsAFullHandshake) {
  auto ccfg = tls12(client_config());
  auto scfg = tls12(server_config());
  StoredTicket t = first_session(ccfg, scfg);
  t.server_name = "other.example";  // so that the client offers it
  expect_full_handshake(ccfg, scfg, resuming(t, "other.example"));
}

TEST(Resumption12, AnotherSessionIdContextIsAFullHandshake) {
  auto ccfg = tls12(client_config());
  auto scfg = tls12(server_config());
  scfg->session_id_context = {1, 2, 3};
  const StoredTicket t = first_session(ccfg, scfg);
  auto other = std::make_shared<Config>(*scfg);  // the same ticket key
  other->session_id_context = {4, 5, 6};
  expect_full_handshake(ccfg, other, resuming(t));
  Pair p(ccfg, scfg, resuming(t));
  resume(p);
  EXPECT_TRUE(p.server.session()->resumed) << "the same context resumes";
}

TEST(Resumption12, ExpiredTicketIsAFullHandshake) {
  auto clock = std::make_shared<TestClock>();
  auto ccfg = tls12(client_config());
  auto scfg = tls12(server_config());
  scfg->clock = clock.get();
  scfg->ticket_issuer = handshake::make_sealing_ticket_issuer(*scfg->rng, 60);
  StoredTicket t = first_session(ccfg, scfg);
  EXPECT_EQ(t.lifetime_s, 60u);
  t.lifetime_s = 0;  // the client does not know: the server decides
  clock->now += 61'000;
  expect_full_handshake(ccfg, scfg, resuming(t));
}

TEST(Resumption12, ServerRequiringACertificateResumesOnlySessionsWithOne) {
  auto ccfg = tls12(client_config());
  auto scfg = tls12(server_config());
  const StoredTicket t = first_session(ccfg, scfg);
  auto strict = std::make_shared<Config>(*scfg);
  strict->verify = handshake::VerifyMode::require;
  strict->trust = TestPki::get().trust();
  ccfg->certificates = {TestPki::get().leaf(KeyType::ecdsa_p256).certified()};
  expect_full_handshake(ccfg, strict, resuming(t));
}

// RFC 7627 5.3: a session made with the extended master secret, offered in a
// ClientHello without the extension, is refused with handshake_failure.
TEST(Resumption12, SessionWithExtendedMasterSecretOfferedWithoutIt) {
  auto ccfg = tls12(client_config());
  auto scfg = tls12(server_config());
  const StoredTicket t = first_session(ccfg, scfg);
  auto stripped = std::make_shared<Config>(*ccfg);
  stripped->test_hooks.client_hello_extensions = [](handshake::Extensions& exts) {
    std::erase_if(exts, [](const handshake::Extension& e) {
      return e.type == static_cast<uint16_t>(handshake::ExtensionType::extended_master_secret);
    });
  };
  Pair p(stripped, scfg, resuming(t));
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.server.error());
  EXPECT_EQ(p.server.error()->alert, Alert::handshake_failure);
  EXPECT_EQ(p.server.error()->reason, SSL_R_INCONSISTENT_EXTMS);
}

// A client never offers a session without the extended master secret.
TEST(Resumption12, ClientDoesNotOfferSessionWithoutExtendedMasterSecret) {
  auto ccfg = tls12(client_config());
  auto scfg = tls12(server_config());
  scfg->ticket_issuer = nullptr;
  auto cache = std::make_shared<MapCache>();
  scfg->session_cache12 = cache;
  StoredTicket t = first_session(ccfg, scfg);
  t.extended_master_secret = false;
  Pair p(ccfg, scfg, resuming(t));
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_FALSE(p.client.session()->resumed);
  EXPECT_EQ(cache->finds, 0) << "no session id offered";
}

// A server that "resumes" an id the client made up for TLS 1.3 (RFC 8446
// D.4), which it never offered as a TLS 1.2 session: illegal_parameter.
TEST(Resumption12, ServerEchoingAnIdNotOfferedIsRefused) {
  class AnyId final : public handshake::SessionCache12 {
   public:
    explicit AnyId(StoredTicket s) : s_(std::move(s)) {}
    std::optional<StoredTicket> find(Bytes id, handshake::ConnectionCallbacks&) override {
      StoredTicket s = s_;
      s.session_id.assign(id.begin(), id.end());
      return s;
    }
    void add(const StoredTicket&, handshake::ConnectionCallbacks&) override {}

   private:
    StoredTicket s_;
  };
  auto scfg = tls12(server_config());
  scfg->ticket_issuer = nullptr;
  auto cache = std::make_shared<MapCache>();
  scfg->session_cache12 = cache;
  const StoredTicket real = first_session(tls12(client_config()), scfg);
  ASSERT_EQ(cache->sessions.size(), 1u);
  scfg->session_cache12 = std::make_shared<AnyId>(cache->sessions.begin()->second);
  Pair p(client_config(), scfg);  // offers TLS 1.3 too: a random legacy_session_id
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.client.error());
  EXPECT_EQ(p.client.error()->alert, Alert::illegal_parameter);
  EXPECT_EQ(p.client.error()->reason, SSL_R_INVALID_SESSION_ID);
  (void)real;
}

// A resumption whose ServerHello names another suite than the session's.
TEST(Resumption12, ServerResumingWithAnotherSuiteIsRefused) {
  auto ccfg = tls12(client_config());
  auto scfg = tls12(server_config());
  scfg->ticket_issuer = nullptr;
  auto cache = std::make_shared<MapCache>();
  scfg->session_cache12 = cache;
  const StoredTicket t = first_session(ccfg, scfg);
  ASSERT_EQ(cache->sessions.size(), 1u);
  // The server's record of the session says another suite.
  StoredTicket& kept = cache->sessions.begin()->second;
  kept.suite = kept.suite == 0xc02b ? 0xc02c : 0xc02b;
  Pair p(ccfg, scfg, resuming(t));
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.client.error());
  EXPECT_EQ(p.client.error()->alert, Alert::illegal_parameter);
  EXPECT_EQ(p.client.error()->reason, SSL_R_OLD_SESSION_CIPHER_NOT_RETURNED);
}

// A server whose record of the session has another master secret: the
// Finished messages do not verify (decrypt_error), nothing is accepted.
TEST(Resumption12, WrongMasterSecretFailsTheFinished) {
  auto ccfg = tls12(client_config());
  auto scfg = tls12(server_config());
  scfg->ticket_issuer = nullptr;
  auto cache = std::make_shared<MapCache>();
  scfg->session_cache12 = cache;
  const StoredTicket t = first_session(ccfg, scfg);
  ASSERT_EQ(cache->sessions.size(), 1u);
  cache->sessions.begin()->second.psk = crypto::Secret(ByteVec(48, 7));
  Pair p(ccfg, scfg, resuming(t));
  EXPECT_FALSE(p.handshake());
  EXPECT_FALSE(p.client.handshake_done());
  EXPECT_TRUE(p.client.error().has_value());
}

// RFC 5077 3.3: a zero-length ticket means none; a malformed
// NewSessionTicket is a decode_error.
TEST(Resumption12, DeclinedTicketLeavesNothingToResume) {
  class Declining final : public handshake::TicketIssuer {
   public:
    Result<handshake::NewSessionTicket> issue(const handshake::SuiteInfo&, const crypto::Secret&,
                                              const handshake::TicketPeer&, uint64_t,
                                              crypto::RandomSource&,
                                              handshake::ConnectionCallbacks&) override {
      return handshake::NewSessionTicket{};
    }
    std::optional<handshake::TicketContents> open(Bytes, uint64_t,
                                                  handshake::ConnectionCallbacks&) override {
      return std::nullopt;
    }
    bool issues12() const override { return true; }
    Result<handshake::NewSessionTicket12> issue12(const StoredTicket&, uint64_t,
                                                  crypto::RandomSource&,
                                                  handshake::ConnectionCallbacks&) override {
      handshake::NewSessionTicket12 nst;
      nst.lifetime_hint = 100;
      return nst;  // no ticket
    }
  };
  auto ccfg = tls12(client_config());
  auto scfg = tls12(server_config());
  scfg->ticket_issuer = std::make_shared<Declining>();
  Pair p(ccfg, scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_TRUE(p.client.tickets().empty());
  expect_transfer(p, Role::server, pattern(100, 6));
}

TEST(Resumption12, NewSessionTicketCodec) {
  handshake::NewSessionTicket12 nst;
  nst.lifetime_hint = 0x01020304;
  nst.ticket = {9, 8, 7};
  ByteVec msg;
  EXPECT_TRUE(nst.serialize(msg).ok());
  EXPECT_EQ(msg, (ByteVec{4, 0, 0, 9, 1, 2, 3, 4, 0, 3, 9, 8, 7}));
  auto back = handshake::NewSessionTicket12::parse(Bytes(msg).subspan(4));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->lifetime_hint, 0x01020304u);
  EXPECT_EQ(back->ticket, nst.ticket);
  for (const ByteVec& bad : {ByteVec{}, ByteVec{0, 0, 0}, ByteVec{0, 0, 0, 1, 0, 2, 5},
                             ByteVec{0, 0, 0, 1, 0, 1, 5, 6}}) {
    auto r = handshake::NewSessionTicket12::parse(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().alert, Alert::decode_error);
  }
}

}  // namespace
}  // namespace rapidtls::testing
