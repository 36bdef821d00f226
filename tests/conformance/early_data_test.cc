// 0-RTT settings on a server (SSL_CTX_set_max_early_data(3)), as nginx's
// ssl_early_data on makes them: taken and reported, and a server reading
// with SSL_read_early_data completes the handshake with a client that sent
// no early data (SSL_READ_EARLY_DATA_FINISH, nothing read), then works as
// usual. OpenSSL and rapidtls alike (rapidtls rejects any early data a client
// offers; its clients send none).
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>

#include "harness.h"

namespace conformance {
namespace {

TEST(EarlyData, SettingsAreKeptAndReported) {
  CtxPtr sctx = MakeServerCtx();
  EXPECT_EQ(SSL_CTX_get_recv_max_early_data(sctx.get()), 16384u) << "OpenSSL's default";
  ASSERT_EQ(SSL_CTX_set_max_early_data(sctx.get(), 16384), 1);
  ASSERT_EQ(SSL_CTX_set_recv_max_early_data(sctx.get(), 8192), 1);
  EXPECT_EQ(SSL_CTX_get_max_early_data(sctx.get()), 16384u);
  EXPECT_EQ(SSL_CTX_get_recv_max_early_data(sctx.get()), 8192u);
  SslPtr s(SSL_new(sctx.get()));
  ASSERT_TRUE(s);
  EXPECT_EQ(SSL_get_max_early_data(s.get()), 16384u) << "from the context at SSL_new";
  ASSERT_EQ(SSL_set_max_early_data(s.get(), 100), 1);
  EXPECT_EQ(SSL_get_max_early_data(s.get()), 100u);
  EXPECT_EQ(SSL_get_early_data_status(s.get()), SSL_EARLY_DATA_NOT_SENT);
}

TEST(EarlyData, ReadEarlyDataThenAnOrdinaryConnection) {
  CtxPtr sctx = MakeServerCtx();
  CtxPtr cctx = MakeClientCtx();
  ASSERT_EQ(SSL_CTX_set_max_early_data(sctx.get(), 16384), 1);
  SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
  ASSERT_TRUE(p.client && p.server);
  SSL_set1_host(p.client.get(), "localhost");
  char buf[64];
  size_t n = 99;
  int r = SSL_READ_EARLY_DATA_ERROR;
  for (int i = 0; i < 20 && r != SSL_READ_EARLY_DATA_FINISH; ++i) {
    const int c = SSL_do_handshake(p.client.get());
    if (c != 1) {
      ASSERT_EQ(SSL_get_error(p.client.get(), c), SSL_ERROR_WANT_READ) << ErrorQueueText();
    }
    r = SSL_read_early_data(p.server.get(), buf, sizeof buf, &n);
    if (r == SSL_READ_EARLY_DATA_ERROR) {
      ASSERT_EQ(SSL_get_error(p.server.get(), 0), SSL_ERROR_WANT_READ) << ErrorQueueText();
    }
  }
  ASSERT_EQ(r, SSL_READ_EARLY_DATA_FINISH);
  EXPECT_EQ(n, 0u) << "no early data";
  ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "");
  EXPECT_EQ(SSL_get_early_data_status(p.server.get()), SSL_EARLY_DATA_NOT_SENT);
  const std::string msg = "after the handshake";
  size_t w = 0;
  ASSERT_EQ(SSL_write_ex(p.client.get(), msg.data(), msg.size(), &w), 1);
  Bytes got;
  ASSERT_TRUE(DrainApp(p.server.get(), got));
  EXPECT_EQ(std::string(got.begin(), got.end()), msg);
}

}  // namespace
}  // namespace conformance
