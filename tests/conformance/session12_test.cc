// TLS 1.2 resumption through the API servers and clients use with OpenSSL
// (SSL_CTX_set_session_cache_mode(3), SSL_CTX_sess_set_new_cb(3),
// SSL_CTX_add_session(3), SSL_CTX_flush_sessions(3), SSL_set_session(3)):
// by RFC 5077 ticket (the default) or by session id from the server's
// internal cache (SSL_OP_NO_TICKET), or from a program's own cache through
// the new/get/remove callbacks with i2d/d2i, as nginx and HAProxy share
// sessions between workers. Run against OpenSSL's libssl and rapidtls alike.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "harness.h"
#include "session_util.h"

namespace conformance {
namespace {

class Session12 : public ::testing::Test {
 protected:
  CtxPtr cctx = MakeClientCtx(TLS1_2_VERSION);
  CtxPtr sctx = MakeServerCtx(TLS1_2_VERSION);

  // The client's session of a first connection, closed since.
  SessionPtr FirstSession() {
    SslPair first = Connect(cctx.get(), sctx.get(), nullptr);
    if (!first.client) return nullptr;
    EXPECT_EQ(SSL_session_reused(first.client.get()), 0);
    SessionPtr sess(SSL_get1_session(first.client.get()));
    Close(first);
    return sess;
  }
  // Whether a connection offering sess resumed (on both ends: they agree).
  bool Resumes(SSL_SESSION* sess, SSL_CTX* server_ctx = nullptr) {
    SslPair p = Connect(cctx.get(), server_ctx != nullptr ? server_ctx : sctx.get(), sess);
    if (!p.client) return false;
    const int client = SSL_session_reused(p.client.get());
    EXPECT_EQ(client, SSL_session_reused(p.server.get()));
    ExpectRoundTrip(p);
    Close(p);
    return client == 1;
  }
};

TEST_F(Session12, ClientCertificateKeptByTicketAndCache) {
  ExpectClientKnownAfterResumption(cctx.get(), sctx.get());
  CtxPtr cctx2 = MakeClientCtx(TLS1_2_VERSION);
  CtxPtr sctx2 = MakeServerCtx(TLS1_2_VERSION);
  SSL_CTX_set_options(sctx2.get(), SSL_OP_NO_TICKET);  // the session cache
  ExpectClientKnownAfterResumption(cctx2.get(), sctx2.get());
}

TEST_F(Session12, TicketResumes) {
  SessionPtr sess = FirstSession();
  ASSERT_NE(sess, nullptr);
  EXPECT_EQ(SSL_SESSION_get_protocol_version(sess.get()), TLS1_2_VERSION);
  EXPECT_EQ(SSL_SESSION_is_resumable(sess.get()), 1);
  EXPECT_EQ(SSL_SESSION_has_ticket(sess.get()), 1);
  EXPECT_GT(SSL_SESSION_get_ticket_lifetime_hint(sess.get()), 0u);
  EXPECT_EQ(SSL_SESSION_get_master_key(sess.get(), nullptr, 0), 48u);
  SslPair second = Connect(cctx.get(), sctx.get(), sess.get());
  ASSERT_TRUE(second.client);
  EXPECT_EQ(SSL_session_reused(second.client.get()), 1);
  EXPECT_EQ(SSL_session_reused(second.server.get()), 1);
  X509* peer = SSL_get1_peer_certificate(second.client.get());
  EXPECT_NE(peer, nullptr) << "the server's certificate, from the session";
  X509_free(peer);
  EXPECT_EQ(SSL_get_verify_result(second.client.get()), X509_V_OK);
  ExpectRoundTrip(second);
  // The resumed connection's session resumes again.
  SessionPtr again(SSL_get1_session(second.client.get()));
  Close(second);
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(Resumes(again.get()));
  // No session-id cache entry: the ticket carries the session.
  EXPECT_EQ(SSL_CTX_sess_number(sctx.get()), 0);
}

TEST_F(Session12, SessionIdFromTheInternalCache) {
  SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TICKET);
  SessionPtr sess = FirstSession();
  ASSERT_NE(sess, nullptr);
  EXPECT_EQ(SSL_SESSION_has_ticket(sess.get()), 0);
  unsigned id_len = 0;
  SSL_SESSION_get_id(sess.get(), &id_len);
  EXPECT_EQ(id_len, 32u);
  EXPECT_EQ(SSL_CTX_sess_number(sctx.get()), 1);
  EXPECT_TRUE(Resumes(sess.get()));
  EXPECT_TRUE(Resumes(sess.get()));
  EXPECT_EQ(SSL_CTX_sess_hits(sctx.get()), 2);
  EXPECT_EQ(SSL_CTX_sess_number(sctx.get()), 1);
  // Removed from the cache: a full handshake.
  SSL_CTX_flush_sessions(sctx.get(), 0);
  EXPECT_EQ(SSL_CTX_sess_number(sctx.get()), 0);
  EXPECT_FALSE(Resumes(sess.get()));
  EXPECT_GE(SSL_CTX_sess_misses(sctx.get()), 1);
}

TEST_F(Session12, CacheOffMeansNoSessionId) {
  SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(sctx.get(), SSL_SESS_CACHE_OFF);
  SessionPtr sess = FirstSession();
  ASSERT_NE(sess, nullptr);
  EXPECT_EQ(SSL_SESSION_is_resumable(sess.get()), 0);
  EXPECT_EQ(SSL_CTX_sess_number(sctx.get()), 0);
  EXPECT_FALSE(Resumes(sess.get()));
}

TEST_F(Session12, ClientWithNoTicketUsesTheSessionId) {
  SSL_CTX_set_options(cctx.get(), SSL_OP_NO_TICKET);
  SessionPtr sess = FirstSession();
  ASSERT_NE(sess, nullptr);
  EXPECT_EQ(SSL_SESSION_has_ticket(sess.get()), 0);
  EXPECT_EQ(SSL_SESSION_is_resumable(sess.get()), 1);
  EXPECT_TRUE(Resumes(sess.get()));
}

TEST_F(Session12, SessionIdContextMustMatch) {
  SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TICKET);
  static const unsigned char kA[] = "context-a";
  static const unsigned char kB[] = "context-b";
  ASSERT_EQ(SSL_CTX_set_session_id_context(sctx.get(), kA, sizeof kA - 1), 1);
  SessionPtr sess = FirstSession();
  ASSERT_NE(sess, nullptr);
  EXPECT_TRUE(Resumes(sess.get()));
  ASSERT_EQ(SSL_CTX_set_session_id_context(sctx.get(), kB, sizeof kB - 1), 1);
  EXPECT_FALSE(Resumes(sess.get()));
}

TEST_F(Session12, AnotherServerContextDoesNotKnowTheTicket) {
  SessionPtr sess = FirstSession();
  ASSERT_NE(sess, nullptr);
  CtxPtr other = MakeServerCtx(TLS1_2_VERSION);
  EXPECT_FALSE(Resumes(sess.get(), other.get()));
}

TEST_F(Session12, CacheSizeEvictsTheOldest) {
  SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_sess_set_cache_size(sctx.get(), 2);
  SessionPtr a = FirstSession();
  SessionPtr b = FirstSession();
  SessionPtr c = FirstSession();
  ASSERT_TRUE(a && b && c);
  const long kept = SSL_CTX_sess_number(sctx.get());
  const long evicted = SSL_CTX_sess_cache_full(sctx.get());
  EXPECT_LE(kept, 2);
  EXPECT_GE(evicted, 1);
  if (!kOracle) {
    // A deliberate difference: OpenSSL 3.0 evicts when the count including
    // the session being added reaches the limit, so it keeps one session
    // fewer than the limit, and here it evicted the newest (c) and kept b
    // (seen in this test's oracle run: 1 session, 2 evictions, c not
    // resumed). rapidtls keeps the `limit` newest.
    EXPECT_EQ(kept, 2);
    EXPECT_EQ(evicted, 1);
    EXPECT_TRUE(Resumes(c.get()));
  }
  EXPECT_FALSE(Resumes(a.get())) << "the oldest went";
}

#if defined(CONFORMANCE_IMPL_RAPIDTLS)
// Robustness (rapidtls only: what OpenSSL does with a cached session whose
// id changes is not documented): a session whose id a program changed after
// adding it is still evicted cleanly when the cache is full.
TEST_F(Session12, SessionWhoseIdChangedIsStillEvicted) {
  SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_sess_set_cache_size(sctx.get(), 1);
  SessionPtr mine(SSL_SESSION_new());
  static const unsigned char kId[] = "0123456789abcdef0123456789abcdef";
  static const unsigned char kOther[] = "fedcba9876543210fedcba9876543210";
  ASSERT_EQ(SSL_SESSION_set1_id(mine.get(), kId, 32), 1);
  ASSERT_EQ(SSL_CTX_add_session(sctx.get(), mine.get()), 1);
  ASSERT_EQ(SSL_SESSION_set1_id(mine.get(), kOther, 32), 1);
  SessionPtr next = FirstSession();  // its session evicts ours
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(SSL_CTX_sess_number(sctx.get()), 1);
  EXPECT_EQ(SSL_CTX_sess_cache_full(sctx.get()), 1);
  EXPECT_TRUE(Resumes(next.get()));
}
#endif

// The program's own cache, as nginx's shared cache: sessions leave through
// the new-session callback as bytes (i2d) and come back through the
// get-session callback (d2i, *copy = 0); the internal cache is off.
std::map<std::string, Bytes>* g_store = nullptr;
int g_removed = 0;

std::string Key(const unsigned char* id, unsigned len) {
  return std::string(reinterpret_cast<const char*>(id), len);
}

int StoreSession(SSL*, SSL_SESSION* sess) {
  unsigned len = 0;
  const unsigned char* id = SSL_SESSION_get_id(sess, &len);
  const int n = i2d_SSL_SESSION(sess, nullptr);
  if (n <= 0) return 0;
  Bytes der(static_cast<size_t>(n));
  unsigned char* p = der.data();
  if (i2d_SSL_SESSION(sess, &p) != n) return 0;
  (*g_store)[Key(id, len)] = der;
  return 0;  // the session's reference is not kept
}

SSL_SESSION* FetchSession(SSL*, const unsigned char* id, int len, int* copy) {
  auto it = g_store->find(Key(id, static_cast<unsigned>(len)));
  if (it == g_store->end()) return nullptr;
  const unsigned char* p = it->second.data();
  *copy = 0;  // the new session's reference is the library's
  return d2i_SSL_SESSION(nullptr, &p, static_cast<long>(it->second.size()));
}

void RemoveSession(SSL_CTX*, SSL_SESSION* sess) {
  unsigned len = 0;
  const unsigned char* id = SSL_SESSION_get_id(sess, &len);
  g_removed += static_cast<int>(g_store->erase(Key(id, len)));
}

class ExternalCache : public Session12 {
 protected:
  void SetUp() override {
    g_store = &store;
    g_removed = 0;
    SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(sctx.get(), SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(sctx.get(), StoreSession);
    SSL_CTX_sess_set_get_cb(sctx.get(), FetchSession);
    SSL_CTX_sess_set_remove_cb(sctx.get(), RemoveSession);
  }
  void TearDown() override { g_store = nullptr; }
  std::map<std::string, Bytes> store;
};

TEST_F(ExternalCache, SessionsGoOutAndComeBack) {
  SessionPtr sess = FirstSession();
  ASSERT_NE(sess, nullptr);
  ASSERT_EQ(store.size(), 1u) << "the new-session callback stored it";
  EXPECT_EQ(SSL_CTX_sess_number(sctx.get()), 0) << "no internal store";
  EXPECT_TRUE(Resumes(sess.get()));
  EXPECT_EQ(SSL_CTX_sess_cb_hits(sctx.get()), 1);
  // Another server context with the same callbacks and id context shares
  // the sessions (nginx's workers each have their own SSL_CTX).
  CtxPtr other = MakeServerCtx(TLS1_2_VERSION);
  SSL_CTX_set_options(other.get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(other.get(), SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
  SSL_CTX_sess_set_new_cb(other.get(), StoreSession);
  SSL_CTX_sess_set_get_cb(other.get(), FetchSession);
  EXPECT_TRUE(Resumes(sess.get(), other.get()));
  // Gone from the program's cache: a full handshake, whose new session is stored.
  store.clear();
  EXPECT_FALSE(Resumes(sess.get()));
  EXPECT_EQ(store.size(), 1u);
}

TEST_F(ExternalCache, InternalStoreKeepsWhatTheCallbackFound) {
  // Without NO_INTERNAL_STORE, a session the get callback found joins the
  // internal cache, and SSL_CTX_remove_session hands it to the remove callback.
  SSL_CTX_set_session_cache_mode(sctx.get(),
                                 SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL_LOOKUP);
  SessionPtr sess = FirstSession();
  ASSERT_NE(sess, nullptr);
  ASSERT_EQ(store.size(), 1u);
  EXPECT_EQ(SSL_CTX_sess_number(sctx.get()), 1);
  SSL_CTX_flush_sessions(sctx.get(), 0);
  EXPECT_EQ(g_removed, 1) << "the remove callback saw it";
  EXPECT_EQ(SSL_CTX_sess_number(sctx.get()), 0);
  EXPECT_TRUE(store.empty());
}

// SSL_CTX_add_session / SSL_CTX_remove_session with the server's own
// session (SSL_get1_session on the server).
TEST_F(Session12, AddAndRemoveSession) {
  SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TICKET);
  SessionPtr client_sess;
  SessionPtr server_sess;
  {
    SslPair first = Connect(cctx.get(), sctx.get(), nullptr);
    ASSERT_TRUE(first.client);
    client_sess.reset(SSL_get1_session(first.client.get()));
    Close(first);
  }
  ASSERT_EQ(SSL_CTX_sess_number(sctx.get()), 1);
  // The cache's entries through flush with a time far ahead: all expired.
  SSL_CTX_flush_sessions(sctx.get(), static_cast<long>(time(nullptr)) + 1000000);
  EXPECT_EQ(SSL_CTX_sess_number(sctx.get()), 0);
  EXPECT_FALSE(Resumes(client_sess.get()));
  // A full handshake put a new session in; remove it by the object.
  ASSERT_EQ(SSL_CTX_sess_number(sctx.get()), 1);
  SessionPtr again;
  {
    SslPair p = Connect(cctx.get(), sctx.get(), nullptr);
    ASSERT_TRUE(p.client);
    server_sess.reset(SSL_get1_session(p.server.get()));
    again.reset(SSL_get1_session(p.client.get()));
    Close(p);
  }
  ASSERT_NE(server_sess, nullptr);
  EXPECT_EQ(SSL_CTX_sess_number(sctx.get()), 2);
  EXPECT_EQ(SSL_SESSION_get_protocol_version(server_sess.get()), TLS1_2_VERSION);
  unsigned sid = 0, cid = 0;
  const unsigned char* s_id = SSL_SESSION_get_id(server_sess.get(), &sid);
  const unsigned char* c_id = SSL_SESSION_get_id(again.get(), &cid);
  ASSERT_EQ(sid, 32u);
  ASSERT_EQ(cid, sid);
  EXPECT_EQ(Key(s_id, sid), Key(c_id, cid)) << "both ends name the session alike";
  // Removed by its id (the server's session object names it).
  EXPECT_EQ(SSL_CTX_remove_session(sctx.get(), server_sess.get()), 1);
  EXPECT_EQ(SSL_CTX_remove_session(sctx.get(), server_sess.get()), 0) << "no longer there";
  EXPECT_EQ(SSL_CTX_sess_number(sctx.get()), 1);
  EXPECT_FALSE(Resumes(again.get()));
  // Put back, it resumes; added twice, the second time adds nothing.
  EXPECT_EQ(SSL_CTX_add_session(sctx.get(), server_sess.get()), 1);
  EXPECT_EQ(SSL_CTX_add_session(sctx.get(), server_sess.get()), 0);
  EXPECT_TRUE(Resumes(again.get()));
}

TEST_F(Session12, ClientNewSessionCallbackGetsTheSession) {
  static std::vector<SSL_SESSION*>* kept = nullptr;
  std::vector<SSL_SESSION*> sessions;
  kept = &sessions;
  SSL_CTX_set_session_cache_mode(cctx.get(), SSL_SESS_CACHE_CLIENT);
  SSL_CTX_sess_set_new_cb(cctx.get(), [](SSL*, SSL_SESSION* s) {
    kept->push_back(s);
    return 1;
  });
  {
    SslPair first = Connect(cctx.get(), sctx.get(), nullptr);
    ASSERT_TRUE(first.client);
    Close(first);
  }
  ASSERT_EQ(sessions.size(), 1u) << "one session per TLS 1.2 handshake";
  EXPECT_EQ(SSL_SESSION_is_resumable(sessions[0]), 1);
  EXPECT_TRUE(Resumes(sessions[0]));
  EXPECT_EQ(sessions.size(), 1u) << "a resumption without a new ticket brings none";
  for (SSL_SESSION* s : sessions) SSL_SESSION_free(s);
  kept = nullptr;
}

TEST_F(Session12, BytesRoundTripResumes) {
  for (bool tickets : {true, false}) {
    SCOPED_TRACE(tickets ? "ticket" : "session id");
    if (!tickets) SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TICKET);
    SessionPtr sess = FirstSession();
    ASSERT_NE(sess, nullptr);
    const int n = i2d_SSL_SESSION(sess.get(), nullptr);
    ASSERT_GT(n, 0);
    Bytes der(static_cast<size_t>(n));
    unsigned char* p = der.data();
    ASSERT_EQ(i2d_SSL_SESSION(sess.get(), &p), n);
    const unsigned char* q = der.data();
    SessionPtr back(d2i_SSL_SESSION(nullptr, &q, n));
    ASSERT_NE(back, nullptr) << ErrorQueueText();
    EXPECT_EQ(SSL_SESSION_get_protocol_version(back.get()), TLS1_2_VERSION);
    EXPECT_TRUE(Resumes(back.get()));
  }
}

// A TLS 1.2 session offered by a client that allows TLS 1.3 too, to a
// server that speaks only TLS 1.2: resumed.
TEST_F(Session12, ClientAllowingTls13ResumesWithTls12Server) {
  SessionPtr sess = FirstSession();
  ASSERT_NE(sess, nullptr);
  CtxPtr both = MakeClientCtx(TLS1_2_VERSION);
  ASSERT_EQ(SSL_CTX_set_max_proto_version(both.get(), TLS1_3_VERSION), 1);
  SslPair p = Connect(both.get(), sctx.get(), sess.get());
  ASSERT_TRUE(p.client);
  EXPECT_EQ(SSL_session_reused(p.client.get()), 1);
  EXPECT_EQ(SSL_version(p.client.get()), TLS1_2_VERSION);
  Close(p);
}

// SSL_CTX_set_timeout(3) on a server: a cached session older than the timeout
// is not resumed (counted by SSL_CTX_sess_timeouts, not by the hits).
TEST_F(Session12, CachedSessionExpiresAfterTheTimeout) {
  SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TICKET);
  EXPECT_EQ(SSL_CTX_set_timeout(sctx.get(), 1), 7200) << "OpenSSL's default for TLS";
  SessionPtr sess = FirstSession();
  ASSERT_NE(sess, nullptr);
  ASSERT_EQ(SSL_CTX_sess_number(sctx.get()), 1);
  sleep(2);  // timeouts are whole seconds
  EXPECT_FALSE(Resumes(sess.get()));
  EXPECT_EQ(SSL_CTX_sess_timeouts(sctx.get()), 1);
  EXPECT_EQ(SSL_CTX_sess_hits(sctx.get()), 0);
}

// SSL_SESSION_set1_id_context(3): a server session whose id context is
// changed and put back in the cache is not resumed under the context's own
// id context; set back, it is. Longer than SSL_MAX_SID_CTX_LENGTH: refused.
TEST_F(Session12, SessionIdContextOfTheCachedSession) {
  SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TICKET);
  static const unsigned char kA[] = "context-a";
  static const unsigned char kB[] = "context-b";
  ASSERT_EQ(SSL_CTX_set_session_id_context(sctx.get(), kA, sizeof kA - 1), 1);
  SessionPtr client_sess;
  SessionPtr server_sess;
  {
    SslPair p = Connect(cctx.get(), sctx.get(), nullptr);
    ASSERT_TRUE(p.client);
    client_sess.reset(SSL_get1_session(p.client.get()));
    server_sess.reset(SSL_get1_session(p.server.get()));
    Close(p);
  }
  ASSERT_NE(server_sess, nullptr);
  unsigned len = 0;
  const unsigned char* got = SSL_SESSION_get0_id_context(server_sess.get(), &len);
  ASSERT_EQ(len, sizeof kA - 1);
  EXPECT_EQ(Key(got, len), Key(kA, sizeof kA - 1));
  ASSERT_EQ(SSL_CTX_remove_session(sctx.get(), server_sess.get()), 1);
  ASSERT_EQ(SSL_SESSION_set1_id_context(server_sess.get(), kB, sizeof kB - 1), 1);
  got = SSL_SESSION_get0_id_context(server_sess.get(), &len);
  EXPECT_EQ(Key(got, len), Key(kB, sizeof kB - 1));
  ASSERT_EQ(SSL_CTX_add_session(sctx.get(), server_sess.get()), 1);
  EXPECT_FALSE(Resumes(client_sess.get())) << "the cached session's id context is another";
  ASSERT_EQ(SSL_CTX_remove_session(sctx.get(), server_sess.get()), 1);
  ASSERT_EQ(SSL_SESSION_set1_id_context(server_sess.get(), kA, sizeof kA - 1), 1);
  ASSERT_EQ(SSL_CTX_add_session(sctx.get(), server_sess.get()), 1);
  EXPECT_TRUE(Resumes(client_sess.get()));
  unsigned char too_long[SSL_MAX_SID_CTX_LENGTH + 1] = {};
  ERR_clear_error();
  EXPECT_EQ(SSL_SESSION_set1_id_context(server_sess.get(), too_long, sizeof too_long), 0);
  EXPECT_EQ(FirstErrorReason(), SSL_R_SSL_SESSION_ID_CONTEXT_TOO_LONG);
  ERR_clear_error();
}

}  // namespace
}  // namespace conformance
