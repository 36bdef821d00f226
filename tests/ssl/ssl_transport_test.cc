// The C interface's socket path: several records leave in one system call
// (issue 3, "on a socket several records leave in one system call"), and
// nothing is lost doing so. The send() calls on the socket are counted
// (syscall_watch.h).
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "syscall_watch.h"

namespace {

using ssltest::Ctx;
using ssltest::g_sends;
using ssltest::g_watched_fd;

TEST(SocketPath, SeveralRecordsLeaveInOneSystemCall) {
  Ctx ctx;
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  // Room for the whole write, so the kernel takes it in one call.
  const int big = 4 << 20;
  setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  SSL* c = SSL_new(ctx.client);
  SSL* s = SSL_new(ctx.server);
  SSL_set_fd(c, fds[0]);
  SSL_set_fd(s, fds[1]);
  std::thread server([s] { ASSERT_EQ(SSL_accept(s), 1); });
  ASSERT_EQ(SSL_connect(c), 1);
  server.join();

  std::vector<unsigned char> data(256 * 1024);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i * 131 + 7);
  g_sends = 0;
  g_watched_fd = fds[0];
  size_t written = 0;
  ASSERT_EQ(SSL_write_ex(c, data.data(), data.size(), &written), 1);
  g_watched_fd = -1;
  EXPECT_EQ(written, data.size());
  // 16 records of 2^14 bytes; a blocking socket with room takes them in one
  // send (two if the batch boundary falls inside).
  EXPECT_LE(g_sends.load(), 2) << "records were sent one system call each";
  EXPECT_GE(g_sends.load(), 1);

  std::vector<unsigned char> got;
  unsigned char buf[65536];
  while (got.size() < data.size()) {
    size_t n = 0;
    ASSERT_EQ(SSL_read_ex(s, buf, sizeof buf, &n), 1);
    got.insert(got.end(), buf, buf + n);
  }
  EXPECT_EQ(got, data) << "every byte arrived once, in order";
  SSL_free(c);
  SSL_free(s);
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
