// A peer that resets the TCP connection during the handshake: the
// handshake fails at once, never hangs, and reports it the way OpenSSL does
// (SSL_ERROR_SYSCALL with errno ECONNRESET, nothing on the error queue) on
// either side, for a blocking and a non-blocking socket; later calls fail too.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "harness.h"

namespace conformance {
namespace {

// Closes fd with a TCP reset (SO_LINGER with a zero timeout).
void Reset(int fd) {
  linger l{1, 0};
  ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
  ASSERT_EQ(close(fd), 0);
}

// Waits (2 s at most) until fd has something to read: the peer's flight.
void WaitReadable(int fd) {
  ASSERT_TRUE(WaitFd(fd, /*for_write=*/false, 2000)) << "nothing came";
}

struct Outcome {
  int rc = 0;
  int error = 0;
  int err_no = 0;
  unsigned long queued = 0;
};

// SSL_do_handshake until it stops with something other than a retry (a few
// rounds at most: the peer is gone).
Outcome HandshakeUntilFailure(SSL* s) {
  Outcome o;
  for (int i = 0; i < 50; ++i) {
    errno = 0;
    ERR_clear_error();
    o.rc = SSL_do_handshake(s);
    o.err_no = errno;
    o.error = SSL_get_error(s, o.rc);
    o.queued = ERR_peek_error();
    if (o.error != SSL_ERROR_WANT_READ && o.error != SSL_ERROR_WANT_WRITE) break;
    usleep(10000);
  }
  return o;
}

class HandshakeReset : public ::testing::TestWithParam<bool> {};  // non-blocking

TEST_P(HandshakeReset, ServerResetsAfterTheClientHello) {
  FdPair fds = TcpLoopback(/*non_blocking=*/GetParam());
  CtxPtr cctx = MakeClientCtx();
  SslPtr client(SSL_new(cctx.get()));
  ASSERT_TRUE(client);
  SSL_set_fd(client.get(), fds.a.fd);
  SSL_set_connect_state(client.get());
  if (GetParam()) {
    // Non-blocking: the ClientHello goes, then a retry.
    const int rc = SSL_do_handshake(client.get());
    ASSERT_EQ(rc, -1);
    ASSERT_EQ(SSL_get_error(client.get(), rc), SSL_ERROR_WANT_READ);
  }
  // The "server" takes the ClientHello (when the client blocks, it is sent
  // as the client starts below: read it from a thread-free side by waiting).
  if (GetParam()) {
    WaitReadable(fds.b.fd);
    unsigned char hello[4096];
    ASSERT_GT(read(fds.b.fd, hello, sizeof hello), 0);
    Reset(fds.b.fd);
    fds.b.fd = -1;
  } else {
    // Blocking client: reset before it writes; its write or its read fails.
    Reset(fds.b.fd);
    fds.b.fd = -1;
  }
  const Outcome o = HandshakeUntilFailure(client.get());
  EXPECT_EQ(o.rc, -1);
  EXPECT_EQ(o.error, SSL_ERROR_SYSCALL) << "a reset is a system error";
  EXPECT_TRUE(o.err_no == ECONNRESET || o.err_no == EPIPE) << "errno " << o.err_no;
  EXPECT_EQ(o.queued, 0u) << "nothing on the error queue: " << ErrorQueueText();
  // The connection stays failed.
  unsigned char b[8];
  size_t n = 0;
  EXPECT_EQ(SSL_read_ex(client.get(), b, sizeof b, &n), 0);
  EXPECT_NE(SSL_get_error(client.get(), 0), SSL_ERROR_NONE);
  ERR_clear_error();
}

TEST_P(HandshakeReset, ClientResetsAfterTheServerFlight) {
  FdPair fds = TcpLoopback(/*non_blocking=*/true);
  CtxPtr cctx = MakeClientCtx();
  CtxPtr sctx = MakeServerCtx();
  SslPtr client(SSL_new(cctx.get()));
  SslPtr server(SSL_new(sctx.get()));
  ASSERT_TRUE(client && server);
  SSL_set_fd(client.get(), fds.a.fd);
  SSL_set_fd(server.get(), fds.b.fd);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());
  ASSERT_EQ(SSL_do_handshake(client.get()), -1);  // ClientHello out
  WaitReadable(fds.b.fd);
  int rc = SSL_do_handshake(server.get());  // the server's flight out; it waits
  ASSERT_EQ(rc, -1);
  ASSERT_EQ(SSL_get_error(server.get(), rc), SSL_ERROR_WANT_READ);
  WaitReadable(fds.a.fd);
  Reset(fds.a.fd);  // the client vanishes with the flight unread
  fds.a.fd = -1;
  if (!GetParam()) {
    // The server's socket made blocking (with its 10 s timeout): the read
    // fails at once all the same.
    SetNonBlocking(fds.b.fd, false);
  }
  WaitReadable(fds.b.fd);
  const Outcome o = HandshakeUntilFailure(server.get());
  EXPECT_EQ(o.rc, -1);
  EXPECT_EQ(o.error, SSL_ERROR_SYSCALL);
  EXPECT_EQ(o.err_no, ECONNRESET) << "errno " << o.err_no;
  EXPECT_EQ(o.queued, 0u) << ErrorQueueText();
  ERR_clear_error();
}

INSTANTIATE_TEST_SUITE_P(Sockets, HandshakeReset, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return std::string(p.param ? "NonBlocking" : "Blocking");
                         });

}  // namespace
}  // namespace conformance
