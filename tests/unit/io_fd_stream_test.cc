// io::FdStream over a socketpair: two Connections, one per thread, each
// driven by its own stream, exactly as over a TCP socket.
#include "io/fd_stream.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "engine_pair.h"

namespace rapidtls::testing {
namespace {

using handshake::Role;

struct SocketPair {
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    client = fds[0];
    server = fds[1];
  }
  ~SocketPair() {
    if (client >= 0) ::close(client);
    if (server >= 0) ::close(server);
  }
  int client = -1;
  int server = -1;
};

// Reads until close_notify; fails the test on an error.
ByteVec read_to_close(io::FdStream& s, size_t chunk) {
  ByteVec all, buf(chunk);
  for (;;) {
    auto n = s.read(buf);
    EXPECT_TRUE(n.ok()) << "reason " << (n.ok() ? 0 : n.error().reason);
    if (!n.ok() || *n == 0) return all;
    all.insert(all.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
}

// A 1 MiB upload, then a half-closed client reads the server's answer
// (RFC 8446 6.1: close_notify closes one direction only).
TEST(FdStream, LargeTransferBothWaysWithHalfClose) {
  SocketPair sp;
  const ByteVec up = pattern(1 << 20, 7), down = pattern(300001, 8);
  conn::Connection client(Role::client, client_config(), {"localhost", ""});
  conn::Connection server(Role::server, server_config());
  ByteVec server_got;
  std::thread st([&] {
    io::FdStream s(server, sp.server);
    ASSERT_TRUE(s.handshake().ok());
    server_got = read_to_close(s, 16384);
    ASSERT_TRUE(s.write_all(down).ok());
    ASSERT_TRUE(s.shutdown().ok());
  });
  io::FdStream c(client, sp.client);
  ASSERT_TRUE(c.handshake().ok());
  ASSERT_TRUE(c.write_all(up).ok());
  ASSERT_TRUE(c.shutdown().ok());
  const ByteVec client_got = read_to_close(c, 65536);
  st.join();
  EXPECT_TRUE(server_got == up);
  EXPECT_TRUE(client_got == down);
}

// Reads smaller than a record leave decrypted bytes and unread records
// buffered; nothing is lost or repeated, and a KeyUpdate in the middle of
// the stream is answered.
TEST(FdStream, SmallReadsAcrossKeyUpdate) {
  SocketPair sp;
  const ByteVec data = pattern(200003, 9);
  conn::Connection client(Role::client, client_config(), {"localhost", ""});
  conn::Connection server(Role::server, server_config());
  ByteVec server_got;
  std::thread st([&] {
    io::FdStream s(server, sp.server);
    ASSERT_TRUE(s.handshake().ok());
    server_got = read_to_close(s, 7);
    ASSERT_TRUE(s.write_all(as_bytes("done")).ok());
    ASSERT_TRUE(s.shutdown().ok());
  });
  io::FdStream c(client, sp.client);
  ASSERT_TRUE(c.write_all(Bytes(data).first(100000)).ok());
  ASSERT_TRUE(client.key_update(true).ok());
  ASSERT_TRUE(c.write_all(Bytes(data).subspan(100000)).ok());
  ASSERT_TRUE(c.shutdown().ok());
  // The server's reply comes under its updated keys.
  const ByteVec reply = read_to_close(c, 3);
  st.join();
  EXPECT_TRUE(server_got == data);
  EXPECT_EQ(std::string(reply.begin(), reply.end()), "done");
}

TEST(FdStream, EofWithoutCloseNotifyIsAnError) {
  SocketPair sp;
  conn::Connection client(Role::client, client_config(), {"localhost", ""});
  conn::Connection server(Role::server, server_config());
  std::thread st([&] {
    io::FdStream s(server, sp.server);
    ASSERT_TRUE(s.handshake().ok());
    ASSERT_TRUE(s.write_all(as_bytes("partial")).ok());
    ::shutdown(sp.server, SHUT_WR);  // the transport ends, no close_notify
  });
  io::FdStream c(client, sp.client);
  ASSERT_TRUE(c.handshake().ok());
  st.join();
  uint8_t buf[64];
  auto n = c.read(buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 7u);
  n = c.read(buf);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().reason, SSL_R_UNEXPECTED_EOF_WHILE_READING);
}

TEST(FdStream, EofDuringHandshakeIsAnError) {
  SocketPair sp;
  conn::Connection client(Role::client, client_config(), {"localhost", ""});
  ::close(sp.server);
  sp.server = -1;
  io::FdStream c(client, sp.client);
  Status s = c.handshake();
  ASSERT_FALSE(s.ok());
  // The ClientHello could not be sent (EPIPE) or its answer never came.
  EXPECT_TRUE(s.error().reason == ERR_R_SYS_LIB ||
              s.error().reason == SSL_R_UNEXPECTED_EOF_WHILE_READING);
}

// MSG_NOSIGNAL: writing to a peer that has gone is an error value, and the
// process is not killed by SIGPIPE.
TEST(FdStream, WriteToClosedPeerFailsWithoutSigpipe) {
  SocketPair sp;
  conn::Connection client(Role::client, client_config(), {"localhost", ""});
  conn::Connection server(Role::server, server_config());
  std::thread st([&] {
    io::FdStream s(server, sp.server);
    ASSERT_TRUE(s.handshake().ok());
  });
  io::FdStream c(client, sp.client);
  ASSERT_TRUE(c.handshake().ok());
  st.join();
  ::close(sp.server);
  sp.server = -1;
  const ByteVec big = pattern(1 << 20);
  Status s = c.write_all(big);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().reason, ERR_R_SYS_LIB);
  EXPECT_EQ(c.last_errno(), EPIPE);
}

TEST(FdStream, ReadTimeout) {
  SocketPair sp;
  conn::Connection client(Role::client, client_config(), {"localhost", ""});
  io::FdStream c(client, sp.client);
  c.set_read_timeout_ms(50);
  Status s = c.handshake();  // the "server" never answers
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().reason, SSL_R_READ_TIMEOUT_EXPIRED);
}

}  // namespace
}  // namespace rapidtls::testing
