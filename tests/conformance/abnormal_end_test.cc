// How connections end badly, as programs see it through SSL_get_error and the
// ERR queue (their messages are made of these): bytes that are not TLS (an
// HTTP request to a TLS server, an HTTP answer to a TLS client), the peer
// closing without close_notify (with and without
// SSL_OP_IGNORE_UNEXPECTED_EOF), during the handshake and after it, and a
// fatal alert from the peer. Both builds must give the same results.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstring>
#include <string>

#include "harness.h"

namespace conformance {
namespace {

// ret, SSL_get_error, and the first queued entry's library and reason.
std::string Outcome(SSL* s, int ret) {
  const int err = SSL_get_error(s, ret);
  const unsigned long e = ERR_peek_error();
  std::string out = "ret=" + std::to_string(ret) + " error=" + std::to_string(err);
  if (e != 0) {
    out +=
        " lib=" + std::to_string(ERR_GET_LIB(e)) + " reason=" + std::to_string(ERR_GET_REASON(e));
  }
  ERR_clear_error();
  return out;
}

void Feed(BIO* net, const char* bytes) {
  ASSERT_EQ(BIO_write(net, bytes, static_cast<int>(std::strlen(bytes))),
            static_cast<int>(std::strlen(bytes)));
}

std::string Expect(int ret, int err, int reason = -1) {
  std::string out = "ret=" + std::to_string(ret) + " error=" + std::to_string(err);
  if (reason >= 0) {
    out += " lib=" + std::to_string(ERR_LIB_SSL) + " reason=" + std::to_string(reason);
  }
  return out;
}

TEST(AbnormalEnd, HttpRequestToATlsServer) {
  Link l = MakeWiredLink(17 * 1024);
  Feed(l.server_net.get(), "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  ERR_clear_error();
  const int r = SSL_accept(l.server.get());
  EXPECT_EQ(Outcome(l.server.get(), r), Expect(-1, SSL_ERROR_SSL, SSL_R_HTTP_REQUEST));
}

TEST(AbnormalEnd, PostRequestToATlsServer) {
  Link l = MakeWiredLink(17 * 1024);
  Feed(l.server_net.get(), "POST / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  ERR_clear_error();
  const int r = SSL_accept(l.server.get());
  EXPECT_EQ(Outcome(l.server.get(), r), Expect(-1, SSL_ERROR_SSL, SSL_R_HTTP_REQUEST));
}

TEST(AbnormalEnd, ProxyRequestToATlsServer) {
  Link l = MakeWiredLink(17 * 1024);
  Feed(l.server_net.get(), "CONNECT example.com:443 HTTP/1.1\r\n\r\n");
  ERR_clear_error();
  const int r = SSL_accept(l.server.get());
  EXPECT_EQ(Outcome(l.server.get(), r), Expect(-1, SSL_ERROR_SSL, SSL_R_HTTPS_PROXY_REQUEST));
}

TEST(AbnormalEnd, HttpAnswerToATlsClient) {
  Link l = MakeWiredLink(17 * 1024);
  ERR_clear_error();
  ASSERT_EQ(SSL_connect(l.client.get()), -1);  // the ClientHello leaves
  ASSERT_EQ(SSL_get_error(l.client.get(), -1), SSL_ERROR_WANT_READ);
  Feed(l.client_net.get(), "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  const int r = SSL_connect(l.client.get());
  EXPECT_EQ(Outcome(l.client.get(), r), Expect(-1, SSL_ERROR_SSL, SSL_R_WRONG_VERSION_NUMBER));
}

TEST(AbnormalEnd, EofDuringTheHandshake) {
  Link l = MakeWiredLink(17 * 1024);
  ERR_clear_error();
  ASSERT_EQ(SSL_connect(l.client.get()), -1);
  BIO_shutdown_wr(l.client_net.get());  // the server closes without a word
  const int r = SSL_connect(l.client.get());
  EXPECT_EQ(Outcome(l.client.get(), r),
            Expect(-1, SSL_ERROR_SSL, SSL_R_UNEXPECTED_EOF_WHILE_READING));
}

TEST(AbnormalEnd, EofAfterTheHandshakeWithoutCloseNotify) {
  Link l = MakeBioPairLink(17 * 1024);
  ASSERT_EQ(Handshake(l), "");
  BIO_shutdown_wr(l.server_bio);  // the server's side closes, no close_notify
  char buf[16];
  ERR_clear_error();
  const int r = SSL_read(l.client.get(), buf, sizeof buf);
  // SSL_read says 0 here (SSL_ERROR_SSL tells it from a clean close).
  EXPECT_EQ(Outcome(l.client.get(), r),
            Expect(0, SSL_ERROR_SSL, SSL_R_UNEXPECTED_EOF_WHILE_READING));
}

TEST(AbnormalEnd, EofAfterTheHandshakeIgnoredWithTheOption) {
  Link l = MakeBioPairLink(17 * 1024);
  ASSERT_EQ(Handshake(l), "");
  SSL_set_options(l.client.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  BIO_shutdown_wr(l.server_bio);
  char buf[16];
  ERR_clear_error();
  const int r = SSL_read(l.client.get(), buf, sizeof buf);
  EXPECT_EQ(Outcome(l.client.get(), r), Expect(0, SSL_ERROR_ZERO_RETURN));
}

TEST(AbnormalEnd, FatalAlertFromThePeer) {
  // The client trusts nothing: it refuses the server's certificate with
  // unknown_ca, and the server reports the alert it received.
  CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
  ASSERT_TRUE(cctx);
  SSL_CTX_set_verify(cctx.get(), SSL_VERIFY_PEER, nullptr);
  CtxPtr sctx = MakeServerCtx();
  SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
  ASSERT_TRUE(p.client && p.server);
  std::string result = HandshakeSsl(p.client.get(), p.server.get());
  EXPECT_NE(result, "");
  ERR_clear_error();
  char buf[16];
  const int r = SSL_read(p.server.get(), buf, sizeof buf);
  EXPECT_EQ(Outcome(p.server.get(), r), Expect(-1, SSL_ERROR_SSL, SSL_R_TLSV1_ALERT_UNKNOWN_CA));
}

}  // namespace
}  // namespace conformance
