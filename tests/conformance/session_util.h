// Helpers of the session tests (session_test.cc: TLS 1.3; session12_test.cc:
// TLS 1.2): a connection that may offer a session, a clean close, a round
// trip, and the client-certificate case both versions share.
#pragma once

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "harness.h"

namespace conformance {

struct SessionFree {
  void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }
};
using SessionPtr = std::unique_ptr<SSL_SESSION, SessionFree>;

// A handshake between new SSL objects of the two contexts, the client
// offering `resume` (when not null), then a read on the client (a ticket of
// TLS 1.3 would come there; in TLS 1.2 it came in the handshake).
inline SslPair Connect(SSL_CTX* cctx, SSL_CTX* sctx, SSL_SESSION* resume) {
  SslPair p = MakeSslPairOn(cctx, sctx);
  if (!p.client) return {};
  SSL_set1_host(p.client.get(), "localhost");
  if (resume != nullptr && SSL_set_session(p.client.get(), resume) != 1) return {};
  if (const std::string e = HandshakeSsl(p.client.get(), p.server.get()); !e.empty()) {
    ADD_FAILURE() << e;
    return {};
  }
  uint8_t b[16];
  size_t n = 0;
  if (SSL_read_ex(p.client.get(), b, sizeof b, &n) == 1 ||
      SSL_get_error(p.client.get(), 0) != SSL_ERROR_WANT_READ) {
    ADD_FAILURE() << "the client's read after the handshake: " << ErrorQueueText();
    return {};
  }
  return p;
}

// Both ends send close_notify: OpenSSL drops the session of a connection
// freed without one.
inline void Close(SslPair& p) {
  ASSERT_GE(SSL_shutdown(p.client.get()), 0) << ErrorQueueText();
  ASSERT_GE(SSL_shutdown(p.server.get()), 0) << ErrorQueueText();
}

inline void ExpectRoundTrip(SslPair& p) {
  for (int dir = 0; dir < 2; ++dir) {
    SSL* from = dir == 0 ? p.client.get() : p.server.get();
    SSL* to = dir == 0 ? p.server.get() : p.client.get();
    const Bytes msg = Pattern(3000, static_cast<uint32_t>(dir + 11));
    size_t w = 0;
    ASSERT_EQ(SSL_write_ex(from, msg.data(), msg.size(), &w), 1) << ErrorQueueText();
    Bytes got;
    ASSERT_TRUE(DrainApp(to, got));
    EXPECT_EQ(got, msg);
  }
}

// A server that requires client certificates resumes the sessions of
// clients that sent one, and after the resumption still knows the client
// (the ticket, or the cached session, keeps its certificate).
inline void ExpectClientKnownAfterResumption(SSL_CTX* cctx, SSL_CTX* sctx) {
  UseTestIdentity(cctx);
  TrustTestIdentity(sctx);
  SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  // Without a session id context a server that verifies clients refuses to
  // resume (SSL_CTX_set_session_id_context(3)): first that, then with one.
  {
    SessionPtr sess;
    {
      SslPair first = Connect(cctx, sctx, nullptr);
      ASSERT_TRUE(first.client);
      sess.reset(SSL_get1_session(first.client.get()));
      Close(first);
    }
    SslPair p = MakeSslPairOn(cctx, sctx);
    ASSERT_TRUE(p.client);
    SSL_set1_host(p.client.get(), "localhost");
    ASSERT_EQ(SSL_set_session(p.client.get(), sess.get()), 1);
    const std::string e = HandshakeSsl(p.client.get(), p.server.get());
    if ((SSL_CTX_get_options(sctx) & SSL_OP_NO_TICKET) != 0) {
      // A session kept by the server (its cache) is not kept at all then.
      EXPECT_EQ(e, "");
      EXPECT_EQ(SSL_session_reused(p.server.get()), 0);
    } else {
      EXPECT_NE(e.find("session id context uninitialized"), std::string::npos) << e;
    }
    ERR_clear_error();
  }
  static const unsigned char kContext[] = "conformance";
  ASSERT_EQ(SSL_CTX_set_session_id_context(sctx, kContext, sizeof kContext - 1), 1);
  SessionPtr sess;
  {
    SslPair first = Connect(cctx, sctx, nullptr);
    ASSERT_TRUE(first.client);
    sess.reset(SSL_get1_session(first.client.get()));
    Close(first);
  }
  ASSERT_NE(sess, nullptr);
  SslPair second = Connect(cctx, sctx, sess.get());
  ASSERT_TRUE(second.client);
  EXPECT_EQ(SSL_session_reused(second.server.get()), 1);
  X509* peer = SSL_get1_peer_certificate(second.server.get());
  EXPECT_NE(peer, nullptr) << "the client's certificate, from the session";
  X509_free(peer);
  EXPECT_EQ(SSL_get_verify_result(second.server.get()), X509_V_OK);
  ExpectRoundTrip(second);
  Close(second);
}

}  // namespace conformance
