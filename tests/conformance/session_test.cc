// Sessions and TLS 1.3 resumption through the API a client uses with
// OpenSSL: the tickets a server sends arrive with the client's SSL_read after
// the handshake; SSL_get1_session then gives a resumable SSL_SESSION, which
// SSL_set_session offers on the next connection to the same server context;
// SSL_session_reused says whether it was taken (on both ends). With
// SSL_SESS_CACHE_CLIENT the new-session callback gets one session per ticket.
// A server context that did not issue the ticket, or one with
// SSL_OP_NO_TICKET, leads to full handshakes.
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <vector>

#include "harness.h"
#include "session_util.h"

namespace conformance {
namespace {

// A client and a server context for each test.
class Session : public ::testing::Test {
 protected:
  CtxPtr cctx = MakeClientCtx();
  CtxPtr sctx = MakeServerCtx();

  // The session of a first connection between them, closed since (null, and
  // a test failure, if it failed).
  SessionPtr FirstSession() {
    SslPair first = Connect(cctx.get(), sctx.get(), nullptr);
    if (!first.client) return nullptr;
    SessionPtr sess(SSL_get1_session(first.client.get()));
    Close(first);
    return sess;
  }
};

TEST_F(Session, Tls13TicketResumesOnTheNextConnection) {
  SessionPtr sess;
  {
    SslPair first = Connect(cctx.get(), sctx.get(), nullptr);
    ASSERT_TRUE(first.client);
    EXPECT_EQ(SSL_session_reused(first.client.get()), 0);
    sess.reset(SSL_get1_session(first.client.get()));
    ASSERT_NE(sess, nullptr);
    EXPECT_EQ(SSL_SESSION_is_resumable(sess.get()), 1) << "a ticket came with the read";
    EXPECT_EQ(SSL_SESSION_get_protocol_version(sess.get()), TLS1_3_VERSION);
    ASSERT_NE(SSL_SESSION_get0_cipher(sess.get()), nullptr);
    EXPECT_EQ(SSL_CIPHER_get_id(SSL_SESSION_get0_cipher(sess.get())),
              SSL_CIPHER_get_id(SSL_get_current_cipher(first.client.get())));
    EXPECT_GT(SSL_SESSION_get_timeout(sess.get()), 0);
    Close(first);
  }
  SslPair second = Connect(cctx.get(), sctx.get(), sess.get());
  ASSERT_TRUE(second.client);
  EXPECT_EQ(SSL_session_reused(second.client.get()), 1);
  EXPECT_EQ(SSL_session_reused(second.server.get()), 1);
  // The server was authenticated by the first connection; what the client
  // learnt of it then is still there.
  X509* peer = SSL_get1_peer_certificate(second.client.get());
  EXPECT_NE(peer, nullptr) << "the server's certificate, from the session";
  X509_free(peer);
  EXPECT_EQ(SSL_get_verify_result(second.client.get()), X509_V_OK);
  ExpectRoundTrip(second);
  // The resumed connection's session resumes too.
  SessionPtr again(SSL_get1_session(second.client.get()));
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(SSL_SESSION_is_resumable(again.get()), 1);
  Close(second);
  SslPair third = Connect(cctx.get(), sctx.get(), again.get());
  ASSERT_TRUE(third.client);
  EXPECT_EQ(SSL_session_reused(third.client.get()), 1);
}

TEST_F(Session, ClientCertificateKeptByTheTicket) {
  ExpectClientKnownAfterResumption(cctx.get(), sctx.get());
  CtxPtr cctx2 = MakeClientCtx();
  CtxPtr sctx2 = MakeServerCtx();
  SSL_CTX_set_options(sctx2.get(), SSL_OP_NO_TICKET);  // stateful tickets
  ExpectClientKnownAfterResumption(cctx2.get(), sctx2.get());
}

TEST_F(Session, AnotherServerContextMakesAFullHandshake) {
  SslPair first = Connect(cctx.get(), sctx.get(), nullptr);
  ASSERT_TRUE(first.client);
  SessionPtr sess(SSL_get1_session(first.client.get()));
  ASSERT_EQ(SSL_SESSION_is_resumable(sess.get()), 1);
  CtxPtr other = MakeServerCtx();  // its own ticket key
  SslPair second = Connect(cctx.get(), other.get(), sess.get());
  ASSERT_TRUE(second.client);
  EXPECT_EQ(SSL_session_reused(second.client.get()), 0);
  EXPECT_EQ(SSL_session_reused(second.server.get()), 0);
  ExpectRoundTrip(second);
}

TEST_F(Session, NoTicketOption) {
  SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TICKET);
  SessionPtr sess = FirstSession();
  ASSERT_NE(sess, nullptr) << "a session describes the connection all the same";
  SslPair second = Connect(cctx.get(), sctx.get(), sess.get());
  ASSERT_TRUE(second.client);
  // TLS 1.3 tickets then name a session in the server's cache (stateful),
  // and resume it.
  EXPECT_EQ(SSL_SESSION_is_resumable(sess.get()), 1);
  EXPECT_EQ(SSL_session_reused(second.client.get()), 1);
  EXPECT_EQ(SSL_session_reused(second.server.get()), 1);
  ExpectRoundTrip(second);
  EXPECT_GE(SSL_CTX_sess_number(sctx.get()), 1) << "the tickets' sessions are in the cache";
  // Without early data there is no replay to stop: it resumes again.
  SslPair third = Connect(cctx.get(), sctx.get(), sess.get());
  ASSERT_TRUE(third.client);
  EXPECT_EQ(SSL_session_reused(third.client.get()), 1);
  // Flushed from the cache, it no longer resumes.
  SSL_CTX_flush_sessions(sctx.get(), 0);
  SslPair fourth = Connect(cctx.get(), sctx.get(), sess.get());
  ASSERT_TRUE(fourth.client);
  EXPECT_EQ(SSL_session_reused(fourth.client.get()), 0);
}

TEST_F(Session, NoTicketOptionWithoutCache) {
  SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(sctx.get(), SSL_SESS_CACHE_OFF);
  SessionPtr sess = FirstSession();
  ASSERT_NE(sess, nullptr);
  // Stateful tickets come all the same, naming sessions kept nowhere.
  EXPECT_EQ(SSL_SESSION_is_resumable(sess.get()), 1);
  SslPair second = Connect(cctx.get(), sctx.get(), sess.get());
  ASSERT_TRUE(second.client);
  EXPECT_EQ(SSL_session_reused(second.client.get()), 0);
}

TEST_F(Session, TicketsIssuedBeforeNoTicketWasSetAreRefused) {
  SessionPtr sess = FirstSession();
  ASSERT_EQ(SSL_SESSION_is_resumable(sess.get()), 1);
  SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TICKET);
  SslPair second = Connect(cctx.get(), sctx.get(), sess.get());
  ASSERT_TRUE(second.client);
  EXPECT_EQ(SSL_session_reused(second.client.get()), 0);
  EXPECT_EQ(SSL_session_reused(second.server.get()), 0);
}

// A session whose server chain did not verify (the first connection did not
// ask), offered by a client that verifies, for the same wrong name.
TEST_F(Session, UnverifiedSessionAndAVerifyingClient) {
  SSL_CTX_set_verify(cctx.get(), SSL_VERIFY_NONE, nullptr);
  SslPair first = MakeSslPairOn(cctx.get(), sctx.get());
  ASSERT_TRUE(first.client);
  SSL_set1_host(first.client.get(), "wrong.example");
  ASSERT_EQ(HandshakeSsl(first.client.get(), first.server.get()), "");
  uint8_t b[16];
  size_t n = 0;
  ASSERT_EQ(SSL_read_ex(first.client.get(), b, sizeof b, &n), 0);  // takes the tickets in
  EXPECT_EQ(SSL_get_verify_result(first.client.get()), X509_V_ERR_HOSTNAME_MISMATCH);
  SessionPtr sess(SSL_get1_session(first.client.get()));
  ASSERT_EQ(SSL_SESSION_is_resumable(sess.get()), 1);
  Close(first);

  SSL_CTX_set_verify(cctx.get(), SSL_VERIFY_PEER, nullptr);
  SslPair second = MakeSslPairOn(cctx.get(), sctx.get());
  ASSERT_TRUE(second.client);
  SSL_set1_host(second.client.get(), "wrong.example");
  ASSERT_EQ(SSL_set_session(second.client.get(), sess.get()), 1);
  const std::string outcome = HandshakeSsl(second.client.get(), second.server.get());
  EXPECT_EQ(SSL_get_verify_result(second.client.get()), X509_V_ERR_HOSTNAME_MISMATCH);
  if (kOracle) {
    // OpenSSL 3.0 resumes it: the handshake succeeds and the result says the
    // name did not match.
    EXPECT_EQ(outcome, "");
    EXPECT_EQ(SSL_session_reused(second.client.get()), 1);
  } else {
    // rapidtls does not offer it: the full handshake verifies and fails
    // (README.md, deliberate differences).
    EXPECT_NE(outcome, "");
    EXPECT_EQ(SSL_session_reused(second.client.get()), 0);
  }
}

TEST_F(Session, TimeoutIsTheTicketLifetime) {
  EXPECT_EQ(SSL_CTX_get_timeout(sctx.get()), 7200) << "OpenSSL's default";
  EXPECT_EQ(SSL_CTX_set_timeout(sctx.get(), 100), 7200) << "the previous timeout";
  EXPECT_EQ(SSL_CTX_get_timeout(sctx.get()), 100);
  SessionPtr sess = FirstSession();
  ASSERT_EQ(SSL_SESSION_is_resumable(sess.get()), 1);
  EXPECT_EQ(SSL_SESSION_get_ticket_lifetime_hint(sess.get()), 100u);
  EXPECT_EQ(SSL_SESSION_get_timeout(sess.get()), 7200) << "the client context's timeout";
  // RFC 8446 4.6.1: at most seven days.
  (void)SSL_CTX_set_timeout(sctx.get(), 30L * 24 * 3600);
  sess = FirstSession();
  ASSERT_EQ(SSL_SESSION_is_resumable(sess.get()), 1);
  EXPECT_EQ(SSL_SESSION_get_ticket_lifetime_hint(sess.get()), 604800u);
  SslPair again = Connect(cctx.get(), sctx.get(), sess.get());
  ASSERT_TRUE(again.client);
  EXPECT_EQ(SSL_session_reused(again.client.get()), 1);
}

// A session kept as bytes (i2d_SSL_SESSION) and read back (d2i_SSL_SESSION)
// resumes: what a client that keeps sessions across runs does.
TEST_F(Session, BytesRoundTripResumes) {
  SessionPtr sess = FirstSession();
  ASSERT_EQ(SSL_SESSION_is_resumable(sess.get()), 1);
  const int len = i2d_SSL_SESSION(sess.get(), nullptr);
  ASSERT_GT(len, 0);
  Bytes der(static_cast<size_t>(len));
  unsigned char* w = der.data();
  ASSERT_EQ(i2d_SSL_SESSION(sess.get(), &w), len);
  EXPECT_EQ(w, der.data() + len) << "i2d moves the pointer on";
  unsigned char* fresh = nullptr;
  ASSERT_EQ(i2d_SSL_SESSION(sess.get(), &fresh), len) << "i2d allocates when *pp is null";
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(Bytes(fresh, fresh + len), der);
  OPENSSL_free(fresh);

  const unsigned char* r = der.data();
  SSL_SESSION* slot = nullptr;
  SessionPtr back(d2i_SSL_SESSION(&slot, &r, len));
  ASSERT_NE(back, nullptr) << ErrorQueueText();
  EXPECT_EQ(slot, back.get()) << "d2i stores the session in *a";
  EXPECT_EQ(r, der.data() + len) << "d2i moves the pointer past what it read";
  EXPECT_EQ(SSL_SESSION_is_resumable(back.get()), 1);
  EXPECT_EQ(SSL_SESSION_get_protocol_version(back.get()), TLS1_3_VERSION);
  EXPECT_EQ(SSL_SESSION_get0_cipher(back.get()), SSL_SESSION_get0_cipher(sess.get()));
  EXPECT_NE(SSL_SESSION_get0_peer(back.get()), nullptr) << "the server's certificate";
  sess.reset();
  SslPair next = Connect(cctx.get(), sctx.get(), back.get());
  ASSERT_TRUE(next.client);
  EXPECT_EQ(SSL_session_reused(next.client.get()), 1);
  X509* peer = SSL_get1_peer_certificate(next.client.get());
  EXPECT_NE(peer, nullptr);
  X509_free(peer);
}

// Through BIOs: i2d_SSL_SESSION_bio / d2i_SSL_SESSION_bio frame by the
// DER header, and a second session after the first is read on its own.
TEST_F(Session, BioRoundTripAndNextSession) {
  SessionPtr a = FirstSession();
  SessionPtr b = FirstSession();
  ASSERT_EQ(SSL_SESSION_is_resumable(a.get()), 1);
  BioPtr mem(BIO_new(BIO_s_mem()));
  ASSERT_EQ(i2d_SSL_SESSION_bio(mem.get(), a.get()), 1);
  ASSERT_EQ(i2d_SSL_SESSION_bio(mem.get(), b.get()), 1);
  SessionPtr a2(d2i_SSL_SESSION_bio(mem.get(), nullptr));
  ASSERT_NE(a2, nullptr) << ErrorQueueText();
  SessionPtr b2(d2i_SSL_SESSION_bio(mem.get(), nullptr));
  ASSERT_NE(b2, nullptr) << ErrorQueueText();
  for (SSL_SESSION* s : {a2.get(), b2.get()}) {
    SslPair next = Connect(cctx.get(), sctx.get(), s);
    ASSERT_TRUE(next.client);
    EXPECT_EQ(SSL_session_reused(next.client.get()), 1);
  }
  // From one buffer holding both: d2i takes the first and moves past it.
  Bytes both;
  for (SSL_SESSION* s : {a.get(), b.get()}) {
    const int len = i2d_SSL_SESSION(s, nullptr);
    ASSERT_GT(len, 0);
    const size_t at = both.size();
    both.resize(at + static_cast<size_t>(len));
    unsigned char* w = both.data() + at;
    ASSERT_EQ(i2d_SSL_SESSION(s, &w), len);
  }
  const unsigned char* r = both.data();
  SSL_SESSION* slot = SSL_SESSION_new();  // d2i replaces what *a held
  ASSERT_NE(d2i_SSL_SESSION(&slot, &r, static_cast<long>(both.size())), nullptr);
  SessionPtr first(slot);
  const long rest = static_cast<long>(both.data() + both.size() - r);
  EXPECT_EQ(rest, i2d_SSL_SESSION(b.get(), nullptr));
  SessionPtr second(d2i_SSL_SESSION(nullptr, &r, rest));
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(r, both.data() + both.size());
}

TEST_F(Session, PemRoundTripResumes) {
  SessionPtr sess = FirstSession();
  ASSERT_EQ(SSL_SESSION_is_resumable(sess.get()), 1);
  BioPtr mem(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_SSL_SESSION(mem.get(), sess.get()), 1);
  char* text = nullptr;
  const long n = BIO_get_mem_data(mem.get(), &text);
  ASSERT_GT(n, 0);
  EXPECT_EQ(
      std::string(text, static_cast<size_t>(n)).rfind("-----BEGIN SSL SESSION PARAMETERS-----", 0),
      0u);
  SessionPtr back(PEM_read_bio_SSL_SESSION(mem.get(), nullptr, nullptr, nullptr));
  ASSERT_NE(back, nullptr) << ErrorQueueText();
  SslPair next = Connect(cctx.get(), sctx.get(), back.get());
  ASSERT_TRUE(next.client);
  EXPECT_EQ(SSL_session_reused(next.client.get()), 1);
}

// Hostile bytes: every truncation is refused, and no single-byte change
// crashes d2i (what it makes of it, if anything, is freed).
TEST_F(Session, BytesTruncatedOrChangedAreHandled) {
  SessionPtr sess = FirstSession();
  const int len = i2d_SSL_SESSION(sess.get(), nullptr);
  ASSERT_GT(len, 0);
  Bytes der(static_cast<size_t>(len));
  unsigned char* w = der.data();
  ASSERT_EQ(i2d_SSL_SESSION(sess.get(), &w), len);
  for (int n = 1; n < len; ++n) {
    const unsigned char* r = der.data();
    SSL_SESSION* got = d2i_SSL_SESSION(nullptr, &r, n);
    EXPECT_EQ(got, nullptr) << "truncated to " << n << " of " << len << " bytes";
    SSL_SESSION_free(got);
    EXPECT_EQ(r, der.data()) << "a refused read does not move the pointer";
  }
  for (int i = 0; i < len; ++i) {
    Bytes changed = der;
    changed[static_cast<size_t>(i)] ^= 0x5a;
    const unsigned char* r = changed.data();
    SSL_SESSION_free(d2i_SSL_SESSION(nullptr, &r, len));
  }
  ERR_clear_error();
}

std::vector<SSL_SESSION*>* g_new_sessions = nullptr;

int KeepNewSession(SSL*, SSL_SESSION* sess) {
  g_new_sessions->push_back(sess);
  return 1;  // the callback keeps the reference
}

// While it lives, a client context caches client sessions with
// KeepNewSession, which collects them here; then they are freed.
class NewSessions {
 public:
  explicit NewSessions(SSL_CTX* cctx) {
    SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT);
    SSL_CTX_sess_set_new_cb(cctx, KeepNewSession);
    g_new_sessions = &sessions;
  }
  ~NewSessions() {
    g_new_sessions = nullptr;
    for (SSL_SESSION* s : sessions) SSL_SESSION_free(s);
  }
  NewSessions(const NewSessions&) = delete;
  NewSessions& operator=(const NewSessions&) = delete;
  std::vector<SSL_SESSION*> sessions;  // every session the callback kept, in order
};

TEST_F(Session, NewSessionCallbackGetsOneSessionPerTicket) {
  SSL_CTX_set_num_tickets(sctx.get(), 3);
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(cctx.get()), SSL_SESS_CACHE_SERVER)
      << "OpenSSL's default";
  NewSessions kept(cctx.get());
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(cctx.get()), SSL_SESS_CACHE_CLIENT);
  EXPECT_EQ(SSL_CTX_sess_get_new_cb(cctx.get()), &KeepNewSession);
  std::vector<SSL_SESSION*>& sessions = kept.sessions;
  {
    SslPair first = Connect(cctx.get(), sctx.get(), nullptr);
    ASSERT_TRUE(first.client);
    Close(first);
  }
  ASSERT_EQ(sessions.size(), 3u) << "one per NewSessionTicket";
  const std::vector<SSL_SESSION*> from_first = sessions;
  for (SSL_SESSION* s : from_first) EXPECT_EQ(SSL_SESSION_is_resumable(s), 1);
  // Each resumes, also after the connection that made it is gone (and each
  // resumed connection's tickets reach the callback too).
  for (SSL_SESSION* s : from_first) {
    SslPair next = Connect(cctx.get(), sctx.get(), s);
    ASSERT_TRUE(next.client);
    EXPECT_EQ(SSL_session_reused(next.client.get()), 1);
    Close(next);
  }
  // A resumed connection gets one new ticket (OpenSSL's server sends one then).
  EXPECT_EQ(sessions.size(), 3u + 3u);
}

TEST_F(Session, NewSessionCallbackGetsEveryTicketOfOneRead) {
  SSL_CTX_set_num_tickets(sctx.get(), 12);  // more than rapidtls keeps per connection
  NewSessions kept(cctx.get());
  std::vector<SSL_SESSION*>& sessions = kept.sessions;
  SslPair first = Connect(cctx.get(), sctx.get(), nullptr);
  ASSERT_TRUE(first.client);
  EXPECT_EQ(sessions.size(), 12u);
  // The first and the last resume.
  Close(first);
  for (SSL_SESSION* s : {sessions.front(), sessions.back()}) {
    SslPair next = Connect(cctx.get(), sctx.get(), s);
    ASSERT_TRUE(next.client);
    EXPECT_EQ(SSL_session_reused(next.client.get()), 1);
    Close(next);
  }
}

// With read-ahead on a socket the tickets and the answer come in one read,
// and the records are opened as that SSL_read hands the data over: the
// callback gets each ticket by the time the read returns.
TEST_F(Session, NewSessionCallbackWithReadAhead) {
  SSL_CTX_set_read_ahead(cctx.get(), 1);
  NewSessions kept(cctx.get());
  FdPair fds = SocketPair(/*non_blocking=*/true);
  SslPtr client(SSL_new(cctx.get()));
  SslPtr server(SSL_new(sctx.get()));
  ASSERT_TRUE(client && server);
  SSL_set1_host(client.get(), "localhost");
  SSL_set_fd(client.get(), fds.a.fd);
  SSL_set_fd(server.get(), fds.b.fd);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());
  ASSERT_EQ(HandshakeSsl(client.get(), server.get(), fds.a.fd, fds.b.fd), "");
  const Bytes msg = Pattern(500, 3);
  size_t w = 0;
  ASSERT_EQ(SSL_write_ex(server.get(), msg.data(), msg.size(), &w), 1);
  ASSERT_TRUE(WaitFd(fds.a.fd, /*for_write=*/false));
  Bytes got(4096);
  size_t n = 0;
  ASSERT_EQ(SSL_read_ex(client.get(), got.data(), got.size(), &n), 1) << ErrorQueueText();
  got.resize(n);
  EXPECT_EQ(got, msg);
  EXPECT_EQ(kept.sessions.size(), 2u) << "both tickets, by the read that brought them";
}

TEST_F(Session, SetSessionAfterTheHandshakeBeganIsRefused) {
  SessionPtr sess = FirstSession();
  ASSERT_NE(sess, nullptr);
  SslPair second = MakeSslPairOn(cctx.get(), sctx.get());
  ASSERT_TRUE(second.client);
  ASSERT_EQ(SSL_do_handshake(second.client.get()), -1);  // the ClientHello went
  ASSERT_EQ(SSL_get_error(second.client.get(), -1), SSL_ERROR_WANT_READ);
  if (kOracle) {
    // OpenSSL 3.0 takes it (its ClientHello is already out without it).
    EXPECT_EQ(SSL_set_session(second.client.get(), sess.get()), 1);
  } else {
    // rapidtls refuses it: the offer could no longer change (README.md).
    EXPECT_EQ(SSL_set_session(second.client.get(), sess.get()), 0);
    ERR_clear_error();
  }
  EXPECT_EQ(HandshakeSsl(second.client.get(), second.server.get()), "");
  EXPECT_EQ(SSL_session_reused(second.client.get()), 0);
}

}  // namespace
}  // namespace conformance
