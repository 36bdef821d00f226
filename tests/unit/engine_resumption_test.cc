// TLS 1.3 resumption with a ticket's PSK (RFC 8446 2.2, 4.2.11, 4.6.1): the
// client offers a ticket from an earlier connection, the server takes it
// when it issued it, it is still valid and its hash is the suite's, checks
// the binder, and both skip the certificates; anything else falls back to a
// full handshake, except a binder that does not verify, which is fatal. The
// binder itself is checked against RFC 8448 section 4.
#include <gtest/gtest.h>

#include <algorithm>

#include "crypto/hash.h"
#include "engine_expect.h"
#include "engine_pair.h"
#include "handshake/common.h"
#include "handshake/extensions.h"
#include "handshake/messages.h"
#include "handshake_test_util.h"
#include "rfc8448_vectors.h"

namespace rapidtls::testing {
namespace {

using handshake::StoredTicket;

// A clock the test sets.
class TestClock final : public Clock {
 public:
  uint64_t now_ms() const override { return now; }
  uint64_t now = system_clock().now_ms();  // the test certificates are valid now
};

// A first connection's ticket (the server sends one by default).
// Empty (and a test failure) when the handshake fails.
StoredTicket first_ticket(std::shared_ptr<Config> ccfg, std::shared_ptr<Config> scfg) {
  Pair p(ccfg, scfg);
  if (!p.handshake()) {
    ADD_FAILURE() << "first handshake: " << describe(p.error());
    return {};
  }
  EXPECT_FALSE(p.client.session()->resumed);
  EXPECT_EQ(p.client.tickets().size(), 1u);
  return p.client.tickets().empty() ? StoredTicket{} : p.client.tickets().back();
}

// A client and a server config, and the ticket of a first connection between
// them (empty, and a test failure, when that failed).
struct Resumable {
  std::shared_ptr<Config> client = client_config();
  std::shared_ptr<Config> server = server_config();
  StoredTicket ticket;
  // A copy of the server's config, with its ticket key, to change.
  std::shared_ptr<Config> server_copy() const { return std::make_shared<Config>(*server); }
};
Resumable resumable() {
  Resumable r;
  r.ticket = first_ticket(r.client, r.server);
  return r;
}

handshake::ClientOptions resuming(const StoredTicket& t) {
  handshake::ClientOptions o{"localhost", ""};
  o.resume = t;
  return o;
}

TEST(Resumption, SecondConnectionResumesWithoutCertificates) {
  auto ccfg = client_config();
  auto scfg = server_config();
  scfg->tickets_to_send = 2;
  Pair first(ccfg, scfg);
  ASSERT_TRUE(first.handshake()) << describe(first.error());
  ASSERT_EQ(first.client.tickets().size(), 2u);
  const StoredTicket t = first.client.tickets().back();
  ASSERT_FALSE(t.ticket.empty());
  ASSERT_TRUE(t.peer_chain && !t.peer_chain->empty()) << "the ticket keeps the server's chain";

  Pair p(ccfg, scfg, resuming(t));
  size_t server_flight = 0;
  p.tamper = [&](Role from, ByteVec& bytes) {
    if (from == Role::server && server_flight == 0) server_flight = bytes.size();
  };
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_TRUE(p.client.session()->resumed);
  EXPECT_TRUE(p.server.session()->resumed);
  // The server was authenticated by the first connection: its chain and the
  // verification result carry over.
  EXPECT_EQ(p.client.session()->peer_chain.size(), t.peer_chain->size());
  EXPECT_EQ(p.client.session()->verify_result, 0);
  EXPECT_FALSE(p.server.session()->peer_scheme.has_value()) << "no CertificateVerify";
  // No Certificate and CertificateVerify: the server's first flight is far
  // smaller than its certificate alone.
  EXPECT_LT(server_flight, 400u);
  EXPECT_TRUE(ct_equal(p.client.session()->client_app_secret.bytes(),
                       p.server.session()->client_app_secret.bytes()));
  expect_transfer(p, Role::client, pattern(3000, 1));
  expect_transfer(p, Role::server, pattern(40000, 2));
  // A resumed connection gets a ticket of its own (one, whatever
  // tickets_to_send says), which resumes again.
  ASSERT_EQ(p.client.tickets().size(), 1u);
  const StoredTicket again = p.client.tickets().back();
  ASSERT_TRUE(again.peer_chain);
  EXPECT_FALSE(again.peer_chain->empty());
  Pair q(ccfg, scfg, resuming(again));
  ASSERT_TRUE(q.handshake()) << describe(q.error());
  EXPECT_TRUE(q.client.session()->resumed);
}

TEST(Resumption, FullHandshakeWhenTheServerDidNotIssueTheTicket) {
  auto ccfg = client_config();
  const StoredTicket t = first_ticket(ccfg, server_config());
  ASSERT_FALSE(t.ticket.empty());
  Pair p(ccfg, server_config(), resuming(t));  // another ticket key
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_FALSE(p.client.session()->resumed);
  EXPECT_FALSE(p.server.session()->resumed);
  EXPECT_TRUE(p.server.session()->peer_scheme.has_value() ||
              p.client.session()->peer_scheme.has_value())
      << "the server signed";
  expect_transfer(p, Role::client, pattern(100, 3));
}

// Whether the client's first flight carried the ticket; the handshake is
// expected to succeed unless `should_succeed` is false.
bool ticket_offered(Pair& p, const StoredTicket& t, bool should_succeed = true) {
  bool offered = false;
  p.tamper = [&](Role from, ByteVec& bytes) {
    if (from == Role::client && !offered) {
      offered =
          std::search(bytes.begin(), bytes.end(), t.ticket.begin(), t.ticket.end()) != bytes.end();
    }
  };
  const bool ok = p.handshake();
  EXPECT_EQ(ok, should_succeed) << describe(p.error());
  return offered;
}

TEST(Resumption, ServerRefusesATicketPastItsLifetime) {
  auto ccfg = client_config();
  auto scfg = server_config();
  TestClock client_clock;
  TestClock server_clock;
  ccfg->clock = &client_clock;
  scfg->clock = &server_clock;
  const StoredTicket t = first_ticket(ccfg, scfg);
  ASSERT_FALSE(t.ticket.empty());
  // The server's clock is past the issuer's lifetime (7200 s); the client's
  // is not, so it offers the ticket.
  server_clock.now += 7200 * 1000 + 1;
  Pair p(ccfg, scfg, resuming(t));
  EXPECT_TRUE(ticket_offered(p, t));
  EXPECT_FALSE(p.server.session()->resumed);
  EXPECT_FALSE(p.client.session()->resumed);
  // Within the lifetime it resumes.
  server_clock.now -= 2;
  Pair q(ccfg, scfg, resuming(t));
  ASSERT_TRUE(q.handshake()) << describe(q.error());
  EXPECT_TRUE(q.server.session()->resumed);
}

TEST(Resumption, ClientDoesNotOfferATicketPastItsLifetime) {
  auto ccfg = client_config();
  auto scfg = server_config();
  TestClock clock;
  ccfg->clock = &clock;
  const StoredTicket t = first_ticket(ccfg, scfg);
  ASSERT_FALSE(t.ticket.empty());
  ASSERT_EQ(t.lifetime_s, 7200u);
  clock.now += 7200 * 1000 + 1;
  Pair p(ccfg, scfg, resuming(t));
  EXPECT_FALSE(ticket_offered(p, t));
  EXPECT_FALSE(p.client.session()->resumed);
}

// A client that verifies does not resume a session whose server chain did
// not verify (the first connection did not check it), or was checked for
// another name: a resumption would not check it again.
TEST(Resumption, VerifyingClientResumesOnlyVerifiedSessions) {
  auto scfg = server_config();
  auto lax = client_config();
  lax->verify = handshake::VerifyMode::none;
  {
    handshake::ClientOptions o{"localhost", "wrong.example"};
    Pair p(lax, scfg, o);
    ASSERT_TRUE(p.handshake()) << describe(p.error());
    ASSERT_EQ(p.client.tickets().size(), 1u);
    const StoredTicket t = p.client.tickets().back();
    EXPECT_TRUE(t.verify_deferred) << "not checked by that connection, nor for its ticket";
    EXPECT_EQ(p.client.peer_verify_result(), 62) << "X509_V_ERR_HOSTNAME_MISMATCH";
    handshake::ClientOptions strict{"localhost", "wrong.example"};
    strict.resume = t;
    Pair q(client_config(), scfg, strict);
    EXPECT_FALSE(q.handshake()) << "a full handshake, whose verification fails";
    ASSERT_TRUE(q.client.error().has_value());
    EXPECT_EQ(q.client.error()->reason, SSL_R_CERTIFICATE_VERIFY_FAILED);
  }
  // Verified for localhost without being asked to: it resumes for localhost,
  // not for another name.
  Pair p(lax, scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  const StoredTicket t = p.client.tickets().back();
  EXPECT_TRUE(t.verify_deferred);
  Pair q(client_config(), scfg, resuming(t));
  ASSERT_TRUE(q.handshake()) << describe(q.error());
  EXPECT_TRUE(q.client.session()->resumed);
  handshake::ClientOptions other{"localhost", "other.example"};
  other.resume = t;
  Pair r(client_config(), scfg, other);
  EXPECT_FALSE(ticket_offered(r, t, /*should_succeed=*/false))
      << "not offered: checked for localhost; the full handshake then fails for other.example";
}

// A server that sends many tickets: the client keeps the latest few and
// stops taking them in (no key derivation, no memory) after its limit.
TEST(Resumption, ManyTicketsAreBounded) {
  auto scfg = server_config();
  scfg->tickets_to_send = 200;
  Pair p(client_config(), scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_EQ(p.client.tickets_received(), conn::kMaxTicketsPerConnection);
  EXPECT_EQ(p.client.tickets().size(), conn::kMaxStoredTickets);
  // The kept ones share one copy of the server's chain.
  ASSERT_TRUE(p.client.tickets().front().peer_chain);
  EXPECT_EQ(p.client.tickets().front().peer_chain, p.client.tickets().back().peer_chain);
  expect_transfer(p, Role::server, pattern(100, 10));
}

// A ticket too long to offer again is not kept.
class LongTicketIssuer final : public handshake::TicketIssuer {
 public:
  Result<handshake::NewSessionTicket> issue(const handshake::SuiteInfo&, const crypto::Secret&,
                                            const handshake::TicketPeer&, uint64_t,
                                            crypto::RandomSource&,
                                            handshake::ConnectionCallbacks&) override {
    handshake::NewSessionTicket nst;
    nst.ticket_lifetime = 60;
    nst.ticket_nonce = {1};
    nst.ticket.assign(65000, 0x42);
    return nst;
  }
  std::optional<handshake::TicketContents> open(Bytes, uint64_t,
                                                handshake::ConnectionCallbacks&) override {
    return std::nullopt;
  }
};

TEST(Resumption, TicketTooLongToOfferIsNotKept) {
  auto scfg = server_config();
  scfg->ticket_issuer = std::make_shared<LongTicketIssuer>();
  Pair p(client_config(), scfg);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_TRUE(p.client.tickets().empty());
  EXPECT_EQ(p.client.tickets_received(), 0u);
  expect_transfer(p, Role::server, pattern(100, 9));
}

TEST(Resumption, FullHandshakeWhenTheSuiteHashDiffers) {
  auto ccfg = client_config();
  auto scfg = server_config();
  scfg->cipher_suites = {0x1302};  // TLS_AES_256_GCM_SHA384
  const StoredTicket t = first_ticket(ccfg, scfg);
  ASSERT_EQ(t.suite, 0x1302);
  auto scfg2 = std::make_shared<Config>(*scfg);
  scfg2->cipher_suites = {0x1301};  // SHA-256: the ticket's PSK cannot be used
  Pair p(ccfg, scfg2, resuming(t));
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_FALSE(p.server.session()->resumed);
  EXPECT_EQ(static_cast<uint16_t>(p.client.session()->suite->suite), 0x1301);
}

// A server that asks for client certificates resumes as OpenSSL does: the
// ticket keeps the client's certificate and verify result, so a resumption
// shows the client of the first connection; a server that requires one
// resumes only sessions of clients that sent one.
TEST(Resumption, ServerAskingForClientCertificates) {
  const Resumable r = resumable();  // the client sent no certificate
  ASSERT_FALSE(r.ticket.ticket.empty());
  auto asks = r.server_copy();
  asks->verify = handshake::VerifyMode::peer;
  asks->trust = TestPki::get().trust();
  Pair p(r.client, asks, resuming(r.ticket));
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_TRUE(p.server.session()->resumed) << "optional: resumed, still without a client";
  EXPECT_TRUE(p.server.session()->peer_chain.empty());
  auto requires_one = r.server_copy();
  requires_one->verify = handshake::VerifyMode::require;
  requires_one->trust = TestPki::get().trust();
  auto ccfg = std::make_shared<Config>(*r.client);
  ccfg->certificates = {TestPki::get().leaf(KeyType::ecdsa_p256).certified()};
  Pair q(ccfg, requires_one, resuming(r.ticket));
  ASSERT_TRUE(q.handshake()) << describe(q.error());
  EXPECT_FALSE(q.server.session()->resumed) << "required: the session had no client certificate";
  ASSERT_EQ(q.server.session()->peer_chain.size(), 1u) << "a full handshake with the client's";
  // That connection's ticket keeps the client: it resumes, and the server
  // sees the client's certificate and verify result again.
  ASSERT_FALSE(q.client.tickets().empty());
  Pair again(ccfg, requires_one, resuming(q.client.tickets().back()));
  ASSERT_TRUE(again.handshake()) << describe(again.error());
  EXPECT_TRUE(again.server.session()->resumed);
  ASSERT_EQ(again.server.session()->peer_chain.size(), 1u);
  EXPECT_TRUE(ct_equal(again.server.session()->peer_chain[0].der(),
                       q.server.session()->peer_chain[0].der()));
  EXPECT_EQ(again.server.session()->verify_result, 0);
  // And its own ticket does too.
  ASSERT_FALSE(again.client.tickets().empty());
  Pair third(ccfg, requires_one, resuming(again.client.tickets().back()));
  ASSERT_TRUE(third.handshake()) << describe(third.error());
  EXPECT_TRUE(third.server.session()->resumed);
  EXPECT_EQ(third.server.session()->peer_chain.size(), 1u);
}

TEST(Resumption, BinderThatDoesNotVerifyIsFatal) {
  const Resumable r = resumable();
  ASSERT_FALSE(r.ticket.ticket.empty());
  Pair p(r.client, r.server, resuming(r.ticket));
  bool flipped = false;
  p.tamper = [&](Role from, ByteVec& bytes) {
    // The binder ends the ClientHello, the client's first record.
    if (from == Role::client && !flipped) {
      bytes.back() ^= 1;
      flipped = true;
    }
  };
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.server.error().has_value());
  EXPECT_EQ(p.server.error()->alert, Alert::decrypt_error);
  EXPECT_EQ(p.server.error()->reason, SSL_R_BINDER_DOES_NOT_VERIFY);
}

TEST(Resumption, ResumesAfterHelloRetryRequest) {
  const Resumable r = resumable();
  ASSERT_FALSE(r.ticket.ticket.empty());
  // The client's only key share is X25519; this server wants P-256.
  auto ccfg2 = std::make_shared<Config>(*r.client);
  ccfg2->groups = {handshake::NamedGroup::x25519, handshake::NamedGroup::secp256r1};
  ccfg2->client_key_shares = 1;
  auto scfg2 = r.server_copy();
  scfg2->groups = {handshake::NamedGroup::secp256r1};
  Pair p(ccfg2, scfg2, resuming(r.ticket));
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_TRUE(p.client.session()->hello_retry);
  EXPECT_TRUE(p.client.session()->resumed) << "the second ClientHello's binder covers the HRR";
  EXPECT_TRUE(p.server.session()->resumed);
  expect_transfer(p, Role::server, pattern(500, 4));
}

TEST(Resumption, TicketIsNotOfferedForAnotherName) {
  const Resumable r = resumable();
  ASSERT_FALSE(r.ticket.ticket.empty());
  handshake::ClientOptions o{"other.example", "localhost"};  // verified as localhost
  o.resume = r.ticket;
  Pair p(r.client, r.server, o);
  bool offered = false;
  p.tamper = [&](Role from, ByteVec& bytes) {
    // The ticket's bytes would appear in the ClientHello.
    if (from == Role::client && !offered) {
      offered = std::search(bytes.begin(), bytes.end(), r.ticket.ticket.begin(),
                            r.ticket.ticket.end()) != bytes.end();
    }
  };
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_FALSE(offered);
  EXPECT_FALSE(p.client.session()->resumed);
}

TEST(Resumption, ServerWithoutTicketsMakesFullHandshakes) {
  const Resumable r = resumable();
  ASSERT_FALSE(r.ticket.ticket.empty());
  auto scfg2 = r.server_copy();
  scfg2->ticket_issuer = nullptr;
  Pair p(r.client, scfg2, resuming(r.ticket));
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  EXPECT_FALSE(p.server.session()->resumed);
}

TEST(Resumption, ClientRejectsAnIdentityItDidNotOffer) {
  const Resumable r = resumable();
  ASSERT_FALSE(r.ticket.ticket.empty());
  // A server answering a resumption with selected_identity 1 (one was offered).
  auto scfg2 = r.server_copy();
  scfg2->test_hooks.server_hello_extensions = [](handshake::Extensions& exts) {
    for (auto& e : exts) {
      if (e.type == static_cast<uint16_t>(handshake::ExtensionType::pre_shared_key)) {
        e.body = handshake::encode_pre_shared_key_sh(1);
      }
    }
  };
  Pair p(r.client, scfg2, resuming(r.ticket));
  EXPECT_FALSE(p.handshake());
  ASSERT_TRUE(p.client.error().has_value());
  EXPECT_EQ(p.client.error()->alert, Alert::illegal_parameter);
  EXPECT_EQ(p.client.error()->reason, SSL_R_BAD_PSK_IDENTITY);
}

// Whether a server's first flight resumes: its ServerHello (the first
// record, plaintext) selects a PSK.
bool server_hello_selects_psk(Bytes flight) {
  if (flight.size() < 5 + 4 || flight[0] != 22) return false;
  const size_t len = size_t{flight[3]} << 8 | flight[4];
  if (flight.size() < 5 + len) return false;
  const Bytes msg = flight.subspan(5, len);
  auto sh = handshake::ServerHello::parse(msg.subspan(4));
  return sh.ok() && handshake::find_extension(sh->extensions,
                                              handshake::ExtensionType::pre_shared_key) != nullptr;
}

// Every single-bit change to a resuming ClientHello (and its record header)
// is refused or leads to a full handshake: the binder covers every byte
// before it, and a changed binder fails. Never a resumption, never a crash.
// The record header's version (bytes 1-2) is the exception: RFC 8446 5.1
// has it ignored, and the handshake resumes whatever it says.
TEST(Resumption, NoBitFlipOfAResumingClientHelloResumes) {
  const Resumable r = resumable();
  ASSERT_FALSE(r.ticket.ticket.empty());
  conn::Connection client(Role::client, r.client, resuming(r.ticket));
  ASSERT_TRUE(client.start().ok());
  const ByteVec hello(client.pending_output().begin(), client.pending_output().end());
  ASSERT_GT(hello.size(), r.ticket.ticket.size());
  {
    conn::Connection server(Role::server, r.server);
    ASSERT_TRUE(server.receive(hello).ok());
    ASSERT_TRUE(server_hello_selects_psk(server.pending_output())) << "the unchanged one resumes";
  }
  size_t refused = 0;
  size_t full = 0;
  for (size_t bit = 0; bit < hello.size() * 8; ++bit) {
    ByteVec changed = hello;
    changed[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    conn::Connection server(Role::server, r.server);
    if (!server.receive(changed).ok()) {
      ++refused;
      continue;
    }
    const bool record_version = bit / 8 == 1 || bit / 8 == 2;
    if (record_version) continue;
    ASSERT_FALSE(server_hello_selects_psk(server.pending_output()))
        << "bit " << bit << " changed, and the server resumed";
    ++full;
  }
  EXPECT_GT(refused, 0u);
  EXPECT_GT(full, 0u) << "some changes (the ticket's own bytes) give full handshakes";
}

// RFC 8448 section 4: the binder of the resumed ClientHello, from the PSK of
// the section 3 connection's ticket (its nonce is 00 00), over the
// ClientHello truncated before the binders list.
TEST(Resumption, Rfc8448_S4_Binder) {
  using crypto::HashAlg;
  const ByteVec res_master = from_hex(testvec::kRfc8448S3ResumptionMasterSecret);
  auto nst = handshake::NewSessionTicket::parse(
      testutil::body_of(from_hex(testvec::kRfc8448S3NewSessionTicket)));
  ASSERT_TRUE(nst.ok());
  auto psk =
      crypto::hkdf_expand_label(HashAlg::sha256, res_master, "resumption", nst->ticket_nonce, 32);
  ASSERT_TRUE(psk.ok());
  EXPECT_EQ(to_hex(psk->bytes()),
            "4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3");
  handshake::KeySchedule early(HashAlg::sha256);
  ASSERT_TRUE(early.init_early(psk->bytes()).ok());
  EXPECT_EQ(to_hex(early.early_secret().bytes()),
            "9b2188e9b2fc6d64d71dc329900e20bb41915000f678aa839cbb797cb7d8332c");
  const ByteVec ch = from_hex(testvec::kRfc8448S4ClientHello);
  const size_t binders_block = 2 + 1 + 32;
  auto th = crypto::hash(HashAlg::sha256, Bytes(ch).first(ch.size() - binders_block));
  ASSERT_TRUE(th.ok());
  EXPECT_TRUE(early.at_psk_early_secret(HashAlg::sha256));
  auto binder = handshake::detail::psk_binder(early, th->bytes());
  ASSERT_TRUE(binder.ok());
  EXPECT_EQ(to_hex(binder->bytes()),
            "3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d");
  // The handshake goes on from the schedule the binder was made with: still
  // at the PSK's Early Secret, whose key the binder key was derived with.
  EXPECT_TRUE(early.at_psk_early_secret(HashAlg::sha256));
  EXPECT_FALSE(early.at_psk_early_secret(HashAlg::sha384));
  EXPECT_EQ(to_hex(early.early_secret().bytes()),
            "9b2188e9b2fc6d64d71dc329900e20bb41915000f678aa839cbb797cb7d8332c");
  // A second binder from the same schedule (a ClientHello after a
  // HelloRetryRequest binds again) gives the same value for the same hash.
  auto again = handshake::detail::psk_binder(early, th->bytes());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(to_hex(again->bytes()), to_hex(binder->bytes()));
  handshake::KeySchedule no_psk(HashAlg::sha256);
  ASSERT_TRUE(no_psk.init_early({}).ok());
  EXPECT_FALSE(no_psk.at_psk_early_secret(HashAlg::sha256));
}

}  // namespace
}  // namespace rapidtls::testing
