// The write rules over real sockets: blocking and non-blocking AF_UNIX socketpairs and
// TCP over 127.0.0.1 with small kernel buffers (W7, W8, W9, W10, W16).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>
#include <csignal>
#include <thread>

#include "harness.h"

namespace conformance {
namespace {

// Blocking write of `total` bytes while a second thread reads them.
void BlockingWriteReturnsWhenAllWritten(FdPair fds, size_t total) {
  SocketLink l = MakeSocketLink(std::move(fds));
  ASSERT_EQ(HandshakeBlocking(l), "");
  Bytes data = Pattern(total, 7);
  Bytes got;
  std::thread reader([&] { got = ReadExactly(l.server.get(), total); });
  int rc = SSL_write(l.client.get(), data.data(), static_cast<int>(data.size()));
  if (rc <= 0) shutdown(l.fds.a.fd, SHUT_RDWR);  // never leave the reader waiting
  reader.join();
  EXPECT_EQ(rc, static_cast<int>(total))
      << "W7: a blocking write returns once, when everything is written; " << ErrorQueueText();
  EXPECT_EQ(got.size(), total) << "W7: all bytes arrive";
  EXPECT_EQ(Sha256Hex(got), Sha256Hex(data)) << "W7: each byte exactly once";
}

TEST(WritePath, W7_BlockingSocketpairWriteReturnsWhenAllWritten) {
  BlockingWriteReturnsWhenAllWritten(SocketPair(/*non_blocking=*/false, 8192), 1 << 20);
}

TEST(WritePath, W7_BlockingTcpWriteReturnsWhenAllWritten) {
  BlockingWriteReturnsWhenAllWritten(TcpLoopback(/*non_blocking=*/false, 4096), 1 << 20);
}

// Non-blocking write of `total` bytes: WANT_WRITE, then poll and retry (W8, W9, W10).
void NonBlockingWriteWithPoll(FdPair fds, size_t total) {
  SocketLink l = MakeSocketLink(std::move(fds));
  ASSERT_EQ(HandshakeSsl(l.client.get(), l.server.get(), l.fds.a.fd, l.fds.b.fd), "");
  Bytes data = Pattern(total, 8);
  Bytes got;
  int rc = -1;
  int want_write = 0;
  for (int i = 0; i < 100000; ++i) {
    rc = SSL_write(l.client.get(), data.data(), static_cast<int>(data.size()));
    if (rc > 0) break;
    int err = SSL_get_error(l.client.get(), rc);
    ASSERT_EQ(err, SSL_ERROR_WANT_WRITE)
        << "W8: a non-blocking socket that is full gives WANT_WRITE; " << ErrorQueueText();
    ++want_write;
    ASSERT_TRUE(DrainApp(l.server.get(), got));
    WaitFd(l.fds.a.fd, /*for_write=*/true, 100);  // W9: select/poll, then repeat the call
  }
  EXPECT_GT(want_write, 0) << "W8: the small socket buffers forced WANT_WRITE";
  EXPECT_EQ(rc, static_cast<int>(total)) << "W9/W10: the repeated call finishes the whole write";
  for (int i = 0; i < 1000 && got.size() < total; ++i) {
    WaitFd(l.fds.b.fd, /*for_write=*/false, 100);
    ASSERT_TRUE(DrainApp(l.server.get(), got));
  }
  EXPECT_EQ(Sha256Hex(got), Sha256Hex(data)) << "W12: every byte arrives exactly once";
}

TEST(WritePath, W9_NonBlockingSocketpairRetryAfterPoll) {
  NonBlockingWriteWithPoll(SocketPair(/*non_blocking=*/true, 4096), 1 << 20);
}

TEST(WritePath, W9_NonBlockingTcpRetryAfterPoll) {
  NonBlockingWriteWithPoll(TcpLoopback(/*non_blocking=*/true, 4096), 1 << 20);
}

TEST(WritePath, W8_WantReadOnNonBlockingSocketWhileWriteNegotiates) {
  FdPair fds = SocketPair(/*non_blocking=*/true);
  SocketLink l = MakeSocketLink(std::move(fds));
  Bytes data = Pattern(100);
  int rc = SSL_write(l.client.get(), data.data(), static_cast<int>(data.size()));
  EXPECT_EQ(rc, -1) << "W8: the write stops while the handshake waits for the peer";
  EXPECT_EQ(SSL_get_error(l.client.get(), rc), SSL_ERROR_WANT_READ)
      << "W8: on a non-blocking socket the write asks to read";
}

// W16: the peer closed its socket. OpenSSL's socket BIO writes with write(2), so the
// kernel raises SIGPIPE (observed: once per failed write); rapidtls deliberately does not
// (it sends with MSG_NOSIGNAL). Either way the failure is SSL_ERROR_SYSCALL with EPIPE.
volatile std::sig_atomic_t g_sigpipes = 0;

TEST(WritePath, W16_PeerClosedSocketIsFatalSyscallError) {
  SocketLink l = MakeSocketLink(SocketPair(/*non_blocking=*/true));
  ASSERT_EQ(HandshakeSsl(l.client.get(), l.server.get(), l.fds.a.fd, l.fds.b.fd), "");
  l.fds.b.Close();  // the peer goes away without a close_notify

  struct sigaction record {};
  struct sigaction previous {};
  record.sa_handler = [](int) { g_sigpipes = g_sigpipes + 1; };
  sigemptyset(&record.sa_mask);
  ASSERT_EQ(sigaction(SIGPIPE, &record, &previous), 0);
  g_sigpipes = 0;

  Bytes data = Pattern(1000);
  ERR_clear_error();
  errno = 0;
  int rc = SSL_write(l.client.get(), data.data(), static_cast<int>(data.size()));
  int saved_errno = errno;
  int err = SSL_get_error(l.client.get(), rc);
  int again = SSL_write(l.client.get(), data.data(), static_cast<int>(data.size()));
  int again_err = SSL_get_error(l.client.get(), again);
  sigaction(SIGPIPE, &previous, nullptr);

  EXPECT_LE(rc, 0) << "W16: writing to a closed connection fails";
  EXPECT_EQ(err, SSL_ERROR_SYSCALL) << "W16: SSL_get_error says it is a fatal I/O error";
  EXPECT_EQ(saved_errno, EPIPE) << "W16: errno tells which (EPIPE)";
  EXPECT_NE(err, SSL_ERROR_WANT_WRITE) << "W16: and not a retryable one";
  EXPECT_LE(again, 0) << "W16/W17: a second write fails too";
  EXPECT_EQ(again_err, SSL_ERROR_SYSCALL) << "W16: still the same fatal error";
  if (kOracle) {
    // OpenSSL 3.0 (documented difference): write(2) on the socket raises SIGPIPE.
    EXPECT_GE(g_sigpipes, 1) << "OpenSSL 3.0 raises SIGPIPE on a write to a closed socket";
  } else {
    // rapidtls (documented difference): never raises SIGPIPE.
    EXPECT_EQ(g_sigpipes, 0) << "rapidtls must not raise SIGPIPE";
  }
}

}  // namespace
}  // namespace conformance
