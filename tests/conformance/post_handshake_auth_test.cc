// TLS 1.3 post-handshake client authentication (RFC 8446 4.6.2) through
// OpenSSL's API: the client offers it (SSL_set_post_handshake_auth), the
// server asks after the handshake (SSL_VERIFY_POST_HANDSHAKE,
// SSL_verify_client_post_handshake); the request leaves with the server's
// next write, the client answers inside its read, and the server's next read
// takes and verifies the answer. Python's ssl module
// (verify_client_post_handshake) works this way.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>

#include "harness.h"

namespace conformance {
namespace {

constexpr int kPostHandshakeRequire =
    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT | SSL_VERIFY_POST_HANDSHAKE;

struct PhaLink {
  CtxPtr cctx = MakeClientCtx();
  CtxPtr sctx = MakeServerCtx();
  SslPair p;
};

void Connect(PhaLink& l, bool client_offers, bool client_has_certificate, int version) {
  l.cctx = MakeClientCtx(version);
  l.sctx = MakeServerCtx(version);
  if (client_has_certificate) UseTestIdentity(l.cctx.get());
  TrustTestIdentity(l.sctx.get());
  SSL_CTX_set_verify(l.sctx.get(), kPostHandshakeRequire, nullptr);
  l.p = MakeSslPairOn(l.cctx.get(), l.sctx.get());
  ASSERT_TRUE(l.p.client && l.p.server);
  SSL_set_post_handshake_auth(l.p.client.get(), client_offers ? 1 : 0);
  ASSERT_EQ(HandshakeSsl(l.p.client.get(), l.p.server.get()), "");
}

// Server writes (carrying the request), client reads (and answers), client
// writes, server reads (taking the answer). The server's read result.
int Exchange(PhaLink& l) {
  char b[8];
  EXPECT_EQ(SSL_write(l.p.server.get(), "ok", 2), 2);
  EXPECT_EQ(SSL_read(l.p.client.get(), b, sizeof b), 2) << ErrorQueueText();
  EXPECT_EQ(SSL_write(l.p.client.get(), "has", 3), 3);
  return SSL_read(l.p.server.get(), b, sizeof b);
}

TEST(PostHandshakeAuth, ClientCertificateAfterTheHandshake) {
  PhaLink l;
  Connect(l, true, true, TLS1_3_VERSION);
  EXPECT_EQ(SSL_get1_peer_certificate(l.p.server.get()), nullptr)
      << "SSL_VERIFY_POST_HANDSHAKE: no certificate asked during the handshake";
  ERR_clear_error();
  ASSERT_EQ(SSL_verify_client_post_handshake(l.p.server.get()), 1) << ErrorQueueText();
  EXPECT_EQ(Exchange(l), 3) << ErrorQueueText();
  X509* peer = SSL_get1_peer_certificate(l.p.server.get());
  EXPECT_NE(peer, nullptr);
  X509_free(peer);
  EXPECT_EQ(SSL_get_verify_result(l.p.server.get()), X509_V_OK);
  // A second request works as the first.
  ASSERT_EQ(SSL_verify_client_post_handshake(l.p.server.get()), 1) << ErrorQueueText();
  EXPECT_EQ(Exchange(l), 3) << ErrorQueueText();
}

TEST(PostHandshakeAuth, ClientWithoutCertificateFailsARequiringServer) {
  PhaLink l;
  Connect(l, true, false, TLS1_3_VERSION);
  ASSERT_EQ(SSL_verify_client_post_handshake(l.p.server.get()), 1);
  ERR_clear_error();
  const int r = Exchange(l);
  EXPECT_LE(r, 0);
  EXPECT_EQ(SSL_get_error(l.p.server.get(), r), SSL_ERROR_SSL);
  EXPECT_EQ(FirstErrorReason(), SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) << ErrorQueueText();
  ERR_clear_error();
}

TEST(PostHandshakeAuth, RefusedWhenTheClientDidNotOffer) {
  PhaLink l;
  Connect(l, false, true, TLS1_3_VERSION);
  ERR_clear_error();
  EXPECT_EQ(SSL_verify_client_post_handshake(l.p.server.get()), 0);
  EXPECT_EQ(FirstErrorReason(), SSL_R_EXTENSION_NOT_RECEIVED) << ErrorQueueText();
  ERR_clear_error();
}

TEST(PostHandshakeAuth, RefusedInTls12AndOnAClient) {
  PhaLink l;
  Connect(l, true, true, TLS1_2_VERSION);
  ERR_clear_error();
  EXPECT_EQ(SSL_verify_client_post_handshake(l.p.server.get()), 0);
  EXPECT_EQ(FirstErrorReason(), SSL_R_WRONG_SSL_VERSION) << ErrorQueueText();
  ERR_clear_error();
  PhaLink l13;
  Connect(l13, true, true, TLS1_3_VERSION);
  EXPECT_EQ(SSL_verify_client_post_handshake(l13.p.client.get()), 0);
  EXPECT_EQ(FirstErrorReason(), SSL_R_NOT_SERVER) << ErrorQueueText();
  ERR_clear_error();
}

}  // namespace
}  // namespace conformance
