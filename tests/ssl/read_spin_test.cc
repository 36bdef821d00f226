// How a reader waits on a socket (io::ReadSpin): a blocking reader in a
// stream of full-size records polls briefly before it sleeps; a reader of
// small records, or of a non-blocking socket, never polls; and whatever it
// does, every byte arrives once, in order. poll() calls on the reader's
// socket are counted (syscall_watch.h); the tests themselves wait with select().
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "syscall_watch.h"

namespace {

using ssltest::Ctx;
using ssltest::g_polls;

// What the last stream() saw of the reader's waits (syscall_watch.h).
int g_waits_after_short_seen = 0;
int g_unpolled_after_short_seen = 0;
int g_short_sleeps_seen = 0;

struct TcpLink {
  int client = -1;
  int server = -1;
  SSL* c = nullptr;
  SSL* s = nullptr;
  explicit TcpLink(const Ctx& ctx) {
    const int l = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    EXPECT_EQ(bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(l, 1), 0);
    EXPECT_EQ(getsockname(l, reinterpret_cast<sockaddr*>(&a), &len), 0);
    client = socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    server = accept(l, nullptr, nullptr);
    close(l);
    // A blocking read can never hang the test for long.
    const timeval tv{10, 0};
    setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    c = SSL_new(ctx.client);
    s = SSL_new(ctx.server);
    SSL_set_fd(c, client);
    SSL_set_fd(s, server);
    std::thread t([this] { EXPECT_EQ(SSL_accept(s), 1); });
    EXPECT_EQ(SSL_connect(c), 1);
    t.join();
  }
  ~TcpLink() {
    SSL_free(c);
    SSL_free(s);
    close(client);
    close(server);
  }
};

std::vector<unsigned char> pattern(size_t n) {
  std::vector<unsigned char> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<unsigned char>(i * 2654435761u >> 13);
  return v;
}

// Writes `data` in pieces of `piece` bytes from a second thread, `gap_us`
// apart (busy-waiting); the reader here reads it all with SSL_read_ex
// (blocking, or select() between tries). *polls: the poll() calls made on the
// reader's socket meanwhile.
std::vector<unsigned char> stream(TcpLink& l, const std::vector<unsigned char>& data, size_t piece,
                                  bool nonblocking_reader, int* polls, int gap_us = 0) {
  std::thread writer([&] {
    for (size_t off = 0; off < data.size(); off += piece) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(gap_us);
      while (std::chrono::steady_clock::now() < until) {
      }
      size_t w = 0;
      const size_t n = std::min(piece, data.size() - off);
      ASSERT_EQ(SSL_write_ex(l.c, data.data() + off, n, &w), 1);
      ASSERT_EQ(w, n);
    }
  });
  if (nonblocking_reader) fcntl(l.server, F_SETFL, fcntl(l.server, F_GETFL) | O_NONBLOCK);
  ssltest::Watch(l.server, -1);
  std::vector<unsigned char> got;
  std::vector<unsigned char> buf(1 << 20);
  for (int guard = 0; guard < 10000000 && got.size() < data.size(); ++guard) {
    size_t n = 0;
    if (SSL_read_ex(l.s, buf.data(), buf.size(), &n) == 1) {
      got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
      continue;
    }
    const int e = SSL_get_error(l.s, 0);
    if (!nonblocking_reader || e != SSL_ERROR_WANT_READ) {
      ADD_FAILURE() << "SSL_read_ex failed: " << e;
      break;
    }
    fd_set r;
    FD_ZERO(&r);
    FD_SET(l.server, &r);
    timeval tv{10, 0};
    if (select(l.server + 1, &r, nullptr, nullptr, &tv) != 1) {
      ADD_FAILURE() << "no data for 10 s";
      break;
    }
  }
  *polls = g_polls.load();
  g_waits_after_short_seen = ssltest::g_waits_after_short.load();
  g_unpolled_after_short_seen = ssltest::g_unpolled_after_short.load();
  g_short_sleeps_seen = ssltest::g_short_sleeps.load();
  ssltest::Watch(-1, -1);
  writer.join();
  return got;
}

TEST(ReadSpin, BlockingReaderOfAStreamPollsAndGetsEveryByte) {
  Ctx ctx;
  TcpLink l(ctx);
  const auto data = pattern(16 << 20);
  // One full record per write, 30 us apart: the reader, waiting about that
  // long for each, learns that polling pays. What is checked is the rule,
  // on the waits this machine produced: after a sleep surely short (under
  // half the longest poll) the next wait polls before it sleeps. A loaded
  // machine can stretch every sleep past that for a whole stream; five get
  // a chance, a quarter second apart (CTest runs this test alone,
  // RUN_SERIAL, and before the wrk load test). The policy's numbers are
  // ReadSpinPolicy.* (tests/unit/io_read_spin_test.cc).
  int polls = 0;
  int checked = 0;
  int unpolled = 0;
  int short_sleeps = 0;
  for (int attempt = 0; attempt < 5 && checked == 0; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(250));
    EXPECT_EQ(stream(l, data, 16384, /*nonblocking_reader=*/false, &polls, /*gap_us=*/30), data);
    checked = g_waits_after_short_seen;
    unpolled = g_unpolled_after_short_seen;
    short_sleeps = g_short_sleeps_seen;
  }
  if (checked == 0) {
    GTEST_SKIP() << "in 5 streams no wait followed a sleep under " << ssltest::kShortSleepNs / 1000
                 << " us (" << short_sleeps
                 << " such sleeps): this machine is too loaded to show polling";
  }
  EXPECT_EQ(unpolled, 0) << "of " << checked << " waits after a short sleep";
  EXPECT_GT(polls, 0) << "a reader of full records on loopback never polled before sleeping";
}

TEST(ReadSpin, BlockingReaderOfSmallRecordsNeverPolls) {
  Ctx ctx;
  TcpLink l(ctx);
  const auto data = pattern(2 << 20);
  int polls = -1;
  EXPECT_EQ(stream(l, data, 1000, /*nonblocking_reader=*/false, &polls), data);
  EXPECT_EQ(polls, 0) << "records of 1000 bytes are not a stream of full records";
}

TEST(ReadSpin, NonBlockingReaderNeverPolls) {
  Ctx ctx;
  TcpLink l(ctx);
  const auto data = pattern(32 << 20);
  int polls = -1;
  EXPECT_EQ(stream(l, data, 1 << 20, /*nonblocking_reader=*/true, &polls), data);
  EXPECT_EQ(polls, 0) << "a non-blocking socket's caller waits in its own loop";
}

TEST(ReadSpin, SocketMadeNonBlockingMidStreamReturnsWantRead) {
  Ctx ctx;
  TcpLink l(ctx);
  const auto data = pattern(8 << 20);
  int polls = 0;
  EXPECT_EQ(stream(l, data, 1 << 20, /*nonblocking_reader=*/false, &polls), data);
  fcntl(l.server, F_SETFL, fcntl(l.server, F_GETFL) | O_NONBLOCK);
  unsigned char buf[100];
  size_t n = 0;
  EXPECT_EQ(SSL_read_ex(l.s, buf, sizeof buf, &n), 0);
  EXPECT_EQ(SSL_get_error(l.s, 0), SSL_ERROR_WANT_READ) << "nothing to read: no waiting";
  // And blocking again: the next stream arrives whole.
  fcntl(l.server, F_SETFL, fcntl(l.server, F_GETFL) & ~O_NONBLOCK);
  EXPECT_EQ(stream(l, data, 1 << 20, /*nonblocking_reader=*/false, &polls), data);
}

}  // namespace
