// W5 and W18 with each of the three methods (TLS_method, TLS_client_method,
// TLS_server_method): a method says which side an SSL may be, but starts no
// role by itself. Until SSL_set_connect_state / SSL_set_accept_state (or
// SSL_connect / SSL_accept), SSL_write and SSL_read fail with
// SSL_R_UNINITIALIZED and send nothing; once the role is set, the same write
// negotiates and its data arrives once.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "harness.h"

namespace conformance {
namespace {

enum class Method { any, client, server };

const SSL_METHOD* MethodOf(Method m) {
  switch (m) {
    case Method::client:
      return TLS_client_method();
    case Method::server:
      return TLS_server_method();
    default:
      return TLS_method();
  }
}

class WriteMethods : public ::testing::TestWithParam<Method> {};

TEST_P(WriteMethods, W5_WriteAndReadWithoutRoleFail) {
  CtxPtr ctx(SSL_CTX_new(MethodOf(GetParam())));
  ASSERT_TRUE(ctx);
  SslPtr s(SSL_new(ctx.get()));
  BIO* ours = nullptr;
  BIO* peer = nullptr;
  ASSERT_EQ(BIO_new_bio_pair(&ours, 4096, &peer, 4096), 1);
  BioPtr peer_owner(peer);
  SSL_set_bio(s.get(), ours, ours);
  // Before a role, OpenSSL counts an SSL as a server unless its method is
  // the client's.
  EXPECT_EQ(SSL_is_server(s.get()), GetParam() == Method::client ? 0 : 1);
  const Bytes data = Pattern(100);
  ERR_clear_error();
  int rc = SSL_write(s.get(), data.data(), static_cast<int>(data.size()));
  EXPECT_EQ(rc, -1) << "W5";
  EXPECT_EQ(SSL_get_error(s.get(), rc), SSL_ERROR_SSL) << "W5";
  EXPECT_EQ(FirstErrorReason(), SSL_R_UNINITIALIZED) << "W5: " << ErrorQueueText();
  EXPECT_EQ(BIO_ctrl_pending(peer), 0u) << "W5: nothing was sent (no ClientHello)";
  ERR_clear_error();
  unsigned char buf[16];
  rc = SSL_read(s.get(), buf, sizeof buf);
  EXPECT_EQ(rc, -1);
  EXPECT_EQ(FirstErrorReason(), SSL_R_UNINITIALIZED) << ErrorQueueText();
  EXPECT_EQ(BIO_ctrl_pending(peer), 0u);
  ERR_clear_error();
}

TEST_P(WriteMethods, W18_RoleSetAfterFailedWriteThenWriteNegotiates) {
  if (GetParam() == Method::server) GTEST_SKIP() << "a client-side write needs a client method";
  CtxPtr cctx(SSL_CTX_new(MethodOf(GetParam())));
  ASSERT_TRUE(cctx);
  TrustTestIdentity(cctx.get());
  CtxPtr sctx = MakeServerCtx();
  SslPair p = MakeSslPairOn(cctx.get(), sctx.get(), 4096);
  ASSERT_TRUE(p.client && p.server);
  // MakeSslPairOn set the roles: start from none, as a program that forgot.
  SslPtr client(SSL_new(cctx.get()));
  BIO* c = nullptr;
  BIO* srv = nullptr;
  ASSERT_EQ(BIO_new_bio_pair(&c, 4096, &srv, 4096), 1);
  SSL_set_bio(client.get(), c, c);
  SSL_set_bio(p.server.get(), srv, srv);
  SSL_set1_host(client.get(), "localhost");
  const Bytes data = Pattern(2000, 18);
  EXPECT_EQ(SSL_write(client.get(), data.data(), static_cast<int>(data.size())), -1) << "W5";
  EXPECT_EQ(BIO_ctrl_pending(srv), 0u) << "W5: nothing was sent";
  ERR_clear_error();
  SSL_set_connect_state(client.get());
  int rc = -1;
  Bytes got;
  for (int i = 0; i < 100 && rc != 2000; ++i) {
    rc = SSL_write(client.get(), data.data(), static_cast<int>(data.size()));
    DrainApp(p.server.get(), got);
  }
  EXPECT_EQ(rc, 2000) << "W18: " << ErrorQueueText();
  ASSERT_TRUE(DrainApp(p.server.get(), got));
  EXPECT_EQ(got, data) << "W18: the data arrives exactly once";
}

INSTANTIATE_TEST_SUITE_P(Methods, WriteMethods,
                         ::testing::Values(Method::any, Method::client, Method::server),
                         [](const ::testing::TestParamInfo<Method>& i) {
                           switch (i.param) {
                             case Method::client:
                               return "TLS_client_method";
                             case Method::server:
                               return "TLS_server_method";
                             default:
                               return "TLS_method";
                           }
                         });

}  // namespace
}  // namespace conformance
