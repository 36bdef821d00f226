// One client SSL_CTX used for several handshakes with the same server: a
// library may keep what it verified (rapidtls keeps successful chain
// verifications per SSL_CTX), but a change of the trust settings between the
// handshakes must take effect in the next one, exactly as when every chain is
// verified afresh.
#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include "harness.h"

namespace conformance {
namespace {

// A new client and server on the given contexts, joined by a BIO pair;
// returns Handshake's result and leaves the client's verify result in *result.
std::string HandshakeOn(SSL_CTX* client_ctx, SSL_CTX* server_ctx, const char* host, long* result) {
  auto [client, server] = MakeSslPairOn(client_ctx, server_ctx);
  if (!client || !server) return "SSL_new / BIO_new_bio_pair";
  if (SSL_set1_host(client.get(), host) != 1) return "SSL_set1_host";
  std::string out = HandshakeSsl(client.get(), server.get());
  *result = SSL_get_verify_result(client.get());
  ERR_clear_error();
  return out;
}

TEST(VerifyReuse, RepeatedHandshakesLeaveNothingOnTheErrorQueue) {
  // Each handshake succeeds without a trace: a stray entry on the thread's queue
  // would make SSL_get_error report SSL_ERROR_SSL for the next WANT_READ.
  for (const int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    CtxPtr cctx = MakeClientCtx(version);
    CtxPtr sctx = MakeServerCtx(version);
    for (int i = 0; i < 3; ++i) {
      auto [client, server] = MakeSslPairOn(cctx.get(), sctx.get());
      ASSERT_TRUE(client && server);
      ASSERT_EQ(SSL_set1_host(client.get(), "localhost"), 1);
      ERR_clear_error();
      ASSERT_EQ(HandshakeSsl(client.get(), server.get()), "") << version << " round " << i;
      EXPECT_EQ(ERR_peek_error(), 0u) << version << " round " << i << ": " << ErrorQueueText();
      unsigned char buf[16];
      size_t n = 0;
      const int rc = SSL_read_ex(client.get(), buf, sizeof buf, &n);
      EXPECT_EQ(SSL_get_error(client.get(), rc), SSL_ERROR_WANT_READ)
          << "round " << i << ": nothing to read is WANT_READ; " << ErrorQueueText();
      ERR_clear_error();
    }
  }
}

TEST(VerifyReuse, RepeatedHandshakesOnOneContextVerify) {
  CtxPtr cctx = MakeClientCtx();
  CtxPtr sctx = MakeServerCtx();
  for (int i = 0; i < 3; ++i) {
    long result = -1;
    EXPECT_EQ(HandshakeOn(cctx.get(), sctx.get(), "localhost", &result), "") << "round " << i;
    EXPECT_EQ(result, X509_V_OK);
  }
  long result = -1;
  EXPECT_NE(HandshakeOn(cctx.get(), sctx.get(), "other.example", &result), "")
      << "the same chain for another host name is refused";
  EXPECT_EQ(result, X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST(VerifyReuse, CrlCheckTurnedOnInTheStoreTakesEffect) {
  CtxPtr cctx = MakeClientCtx();
  CtxPtr sctx = MakeServerCtx();
  long result = -1;
  ASSERT_EQ(HandshakeOn(cctx.get(), sctx.get(), "localhost", &result), "");
  ASSERT_EQ(result, X509_V_OK);
  // There is no CRL for the test CA, so with CRL checks the chain fails.
  ASSERT_EQ(X509_STORE_set_flags(SSL_CTX_get_cert_store(cctx.get()), X509_V_FLAG_CRL_CHECK), 1);
  EXPECT_NE(HandshakeOn(cctx.get(), sctx.get(), "localhost", &result), "");
  EXPECT_EQ(result, X509_V_ERR_UNABLE_TO_GET_CRL);
}

}  // namespace
}  // namespace conformance
