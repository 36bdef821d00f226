// The C interface's socket path: several records leave in one system call
// (docs/ARCHITECTURE.md, io/: several records per send), and
// nothing is lost doing so. The send() calls on the socket are counted
// (syscall_watch.h). And a record that arrives in pieces is read whole,
// however the pieces fall, on blocking and non-blocking sockets.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "conn/connection.h"
#include "handshake/config.h"
#include "io/fd_stream.h"
#include "io/transport.h"
#include "ssl/internal.h"
#include "syscall_watch.h"

namespace {

using ssltest::Ctx;
using ssltest::g_sends;
using ssltest::g_watched_fd;

// A stream socket pair whose first end sends into 4 MiB of buffers (as far as
// net.core.wmem_max and rmem_max allow).
bool RoomySocketPair(int fds[2]) {
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return false;
  const int big = 4 << 20;
  setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  return true;
}

TEST(SocketPath, SeveralRecordsLeaveInOneSystemCall) {
  Ctx ctx;
  int fds[2];
  // Room for the whole write, so the kernel takes each send whole.
  ASSERT_TRUE(RoomySocketPair(fds));
  SSL* c = SSL_new(ctx.client);
  SSL* s = SSL_new(ctx.server);
  SSL_set_fd(c, fds[0]);
  SSL_set_fd(s, fds[1]);
  std::thread server([s] { ASSERT_EQ(SSL_accept(s), 1); });
  ASSERT_EQ(SSL_connect(c), 1);
  server.join();

  std::vector<unsigned char> data(256 * 1024);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i * 131 + 7);
  ssltest::Watch(fds[0], -1);
  size_t written = 0;
  ASSERT_EQ(SSL_write_ex(c, data.data(), data.size(), &written), 1);
  g_watched_fd = -1;
  EXPECT_EQ(written, data.size());
  // 16 records of 2^14 bytes, three to a send: each send fits in one TCP
  // packet as Linux builds them (io::kStreamWriteMax), and a blocking socket
  // with room takes each whole.
  EXPECT_EQ(g_sends.load(), 6) << "records were not sent three to a system call";
  EXPECT_EQ(ssltest::g_send_max.load(), 3u * (5 + 16384 + 1 + 16));
  EXPECT_EQ(ssltest::g_fcntls.load(), 1) << "a blocking socket is asked once per call";
  EXPECT_LE(ssltest::g_send_max.load(), rapidtls::io::kStreamWriteMax);

  std::vector<unsigned char> got;
  unsigned char buf[65536];
  while (got.size() < data.size()) {
    size_t n = 0;
    ASSERT_EQ(SSL_read_ex(s, buf, sizeof buf, &n), 1);
    got.insert(got.end(), buf, buf + n);
  }
  EXPECT_EQ(got, data) << "every byte arrived once, in order";
  // The batch's 64 KiB buffer went back once its records had left: an idle
  // connection keeps at most a record's worth (ssl/io.cc kKeepSendBuffer).
  EXPECT_LE(c->conn->send_buffer_capacity(), 32u * 1024);
  SSL_free(c);
  SSL_free(s);
  close(fds[0]);
  close(fds[1]);
}

// With the peer's RFC 8449 record_size_limit the records are smaller, and a
// send still carries whole records, at most io::kStreamWriteMax of them: the
// C interface's server writes to an engine client that asks for records of at
// most 1000 bytes (999 of content), on a blocking and a non-blocking socket,
// in partial-write mode, where each call takes one such record (W11), and by
// SSL_sendfile, whose pieces are whole records of the peer's size too, also
// when the SSL_sendfile call is what negotiates (W4).
enum class WriteMode { blocking, non_blocking, partial, sendfile, sendfile_negotiates };
class SmallPeerRecords : public ::testing::TestWithParam<WriteMode> {};

TEST_P(SmallPeerRecords, SendsCarryWholeRecordsUpToTheCap) {
  const bool non_blocking = GetParam() == WriteMode::non_blocking;
  const bool partial = GetParam() == WriteMode::partial;
  const bool negotiates = GetParam() == WriteMode::sendfile_negotiates;
  const bool sendfile = GetParam() == WriteMode::sendfile || negotiates;
  Ctx ctx;
  int fds[2];
  ASSERT_TRUE(RoomySocketPair(fds));
  int sndbuf = 0;
  socklen_t len = sizeof sndbuf;
  ASSERT_EQ(getsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, &len), 0);
  if (non_blocking && sndbuf < 4 * 65536) {
    close(fds[0]);
    close(fds[1]);
    GTEST_SKIP() << "the send buffer is capped at " << sndbuf
                 << " bytes (net.core.wmem_max): a non-blocking write would be cut by the "
                    "socket's room, not by the per-send cap under test";
  }

  auto cfg = std::make_shared<rapidtls::handshake::Config>();
  cfg->verify = rapidtls::handshake::VerifyMode::none;
  cfg->record_size_limit = 1000;
  rapidtls::conn::Connection client(rapidtls::handshake::Role::client, cfg, {"localhost", ""});
  const size_t total = 256 * 1024;
  std::vector<uint8_t> got(total);
  bool client_ok = false;
  std::thread peer([&] {
    rapidtls::io::FdStream stream(client, fds[1]);
    size_t have = 0;
    if (stream.handshake().ok()) {
      while (have < total) {
        auto n = stream.read(rapidtls::MutBytes(got.data() + have, total - have));
        if (!n.ok() || *n == 0) break;
        have += *n;
      }
    }
    client_ok = have == total;
    // A peer that gave up must not leave the server waiting on it.
    if (!client_ok) shutdown(fds[1], SHUT_RDWR);
  });
  // However the test ends, the peer thread ends too (and is joined).
  struct Join {
    std::thread& t;
    int fd;
    ~Join() {
      if (t.joinable()) {
        shutdown(fd, SHUT_RDWR);
        t.join();
      }
    }
  } join{peer, fds[0]};

  SSL* s = SSL_new(ctx.server);
  SSL_set_fd(s, fds[0]);
  if (negotiates) {
    SSL_set_accept_state(s);  // the first SSL_sendfile makes the handshake
  } else {
    ASSERT_EQ(SSL_accept(s), 1) << "handshake";
  }
  if (non_blocking) {
    ASSERT_EQ(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
  }
  if (partial) SSL_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE);
  size_t calls = 0;
  std::vector<unsigned char> data(total);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i * 7 + 1);
  std::unique_ptr<FILE, decltype(&fclose)> file(sendfile ? tmpfile() : nullptr, &fclose);
  if (sendfile) {
    ASSERT_NE(file, nullptr);
    ASSERT_EQ(fwrite(data.data(), 1, data.size(), file.get()), data.size());
    ASSERT_EQ(fflush(file.get()), 0);
  }
  ssltest::Watch(fds[0], sendfile ? fileno(file.get()) : -1);
  const size_t record = 5 + 999 + 1 + 16;  // header, content, inner type, tag
  ssltest::g_send_unit = record;
  size_t off = 0;
  while (off < total) {
    size_t w = 0;
    if (sendfile) {
      const ossl_ssize_t r =
          SSL_sendfile(s, fileno(file.get()), static_cast<off_t>(off), total - off, 0);
      ASSERT_GT(r, 0) << "a blocking socket takes it all";
      off += static_cast<size_t>(r);
      ++calls;
      continue;
    }
    if (SSL_write_ex(s, data.data() + off, total - off, &w) == 1) {
      if (partial) {
        ASSERT_EQ(w, std::min<size_t>(999, total - off)) << "W11: one record per call";
      }
      off += w;
      ++calls;
      continue;
    }
    ASSERT_EQ(SSL_get_error(s, -1), SSL_ERROR_WANT_WRITE) << "only a full socket stops it";
    pollfd p{fds[0], POLLOUT, 0};
    poll(&p, 1, 1000);
  }
  g_watched_fd = -1;
  peer.join();
  ASSERT_TRUE(client_ok) << "the engine client read everything";
  EXPECT_TRUE(std::equal(got.begin(), got.end(), data.begin())) << "every byte once, in order";
  EXPECT_LE(ssltest::g_send_max.load(), rapidtls::io::kStreamWriteMax);
  if (!non_blocking && !negotiates) {
    // Every send ends on a record's end, but the one with the stream's last,
    // shorter record (a non-blocking socket may take part of a send; a
    // handshake's sends are any size).
    EXPECT_EQ(ssltest::g_sends_off_unit.load(), 1) << "a send ended inside a record";
  }
  if (sendfile) {
    // Each piece is as many whole records as one send takes (63 of 999
    // bytes), the first too when the call negotiated; the last is the rest.
    const std::vector<size_t> pieces = ssltest::PreadSizes();
    ASSERT_FALSE(pieces.empty());
    for (size_t i = 0; i + 1 < pieces.size(); ++i) {
      EXPECT_EQ(pieces[i], 63u * 999) << "piece " << i;
    }
    EXPECT_EQ(ssltest::g_pread_bytes.load(), total) << "each byte of the file read once";
  }
  EXPECT_EQ(ssltest::g_send_max.load() % record, 0u) << "a send ends on a record's end";
  if (partial) {
    EXPECT_EQ(calls, (total + 998) / 999);
    EXPECT_EQ(ssltest::g_send_max.load(), record) << "one record per call, one send each";
  } else {
    EXPECT_EQ(ssltest::g_send_max.load(), (rapidtls::io::kStreamWriteMax / record) * record)
        << "as many whole records as fit";
  }
  SSL_free(s);
  close(fds[0]);
  close(fds[1]);
}

INSTANTIATE_TEST_SUITE_P(Modes, SmallPeerRecords,
                         ::testing::Values(WriteMode::blocking, WriteMode::non_blocking,
                                           WriteMode::partial, WriteMode::sendfile,
                                           WriteMode::sendfile_negotiates),
                         [](const ::testing::TestParamInfo<WriteMode>& i) {
                           switch (i.param) {
                             case WriteMode::blocking:
                               return std::string("Blocking");
                             case WriteMode::non_blocking:
                               return std::string("NonBlocking");
                             case WriteMode::sendfile:
                               return std::string("Sendfile");
                             case WriteMode::sendfile_negotiates:
                               return std::string("SendfileNegotiates");
                             case WriteMode::partial:
                               break;
                           }
                           return std::string("PartialWrite");
                         });

// A client and a server on two socket pairs, with the test in the middle: it
// relays the handshake, then hands the server the client's records in
// whatever pieces it likes (`to_server`), with `from_client` the other end.
struct Relayed {
  int client_end[2] = {-1, -1};  // [0]: the client's socket, [1]: the relay's
  int server_end[2] = {-1, -1};  // [0]: the server's socket, [1]: the relay's
  SSL* c = nullptr;
  SSL* s = nullptr;

  explicit Relayed(const Ctx& ctx) {
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, client_end), 0);
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, server_end), 0);
    // A blocking read can never hang the test for long.
    const timeval tv{10, 0};
    setsockopt(server_end[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    c = SSL_new(ctx.client);
    s = SSL_new(ctx.server);
    SSL_set_fd(c, client_end[0]);
    SSL_set_fd(s, server_end[0]);
    std::atomic<bool> stop{false};
    std::thread relay([&] {
      unsigned char buf[16384];
      while (!stop) {
        pollfd p[2] = {{client_end[1], POLLIN, 0}, {server_end[1], POLLIN, 0}};
        if (poll(p, 2, 20) <= 0) continue;
        for (int i = 0; i < 2; ++i) {
          if ((p[i].revents & POLLIN) == 0) continue;
          const ssize_t n = read(p[i].fd, buf, sizeof buf);
          if (n <= 0) return;
          const int to = i == 0 ? server_end[1] : client_end[1];
          EXPECT_EQ(write(to, buf, static_cast<size_t>(n)), n);
        }
      }
    });
    std::thread server([this] { EXPECT_EQ(SSL_accept(s), 1); });
    EXPECT_EQ(SSL_connect(c), 1);
    server.join();  // it has read the client's Finished: nothing is left to relay
    stop = true;
    relay.join();
  }
  ~Relayed() {
    SSL_free(c);
    SSL_free(s);
    for (int fd : {client_end[0], client_end[1], server_end[0], server_end[1]}) close(fd);
  }
  // The bytes of one record the client sealed for `data`.
  std::vector<unsigned char> record_for(const std::vector<unsigned char>& data) {
    EXPECT_EQ(SSL_write(c, data.data(), static_cast<int>(data.size())),
              static_cast<int>(data.size()));
    std::vector<unsigned char> rec(data.size() + 5 + 1 + 16);  // TLS 1.3 overhead
    size_t got = 0;
    while (got < rec.size()) {
      const ssize_t n = read(client_end[1], rec.data() + got, rec.size() - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    EXPECT_EQ(got, rec.size());
    return rec;
  }
  // Everything the client has sent since the handshake, `n` bytes of it.
  std::vector<unsigned char> take_from_client(size_t n) {
    std::vector<unsigned char> out(n);
    size_t got = 0;
    while (got < n) {
      const ssize_t r = read(client_end[1], out.data() + got, n - got);
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    EXPECT_EQ(got, n);
    return out;
  }
  void to_server(const unsigned char* p, size_t n) {
    EXPECT_EQ(write(server_end[1], p, n), static_cast<ssize_t>(n));
  }
};

std::vector<unsigned char> pattern(size_t n) {
  std::vector<unsigned char> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<unsigned char>(i * 7 + 1);
  return v;
}

TEST(SocketPath, RecordInPiecesOnANonBlockingSocketIsReadWhenWhole) {
  Ctx ctx;
  Relayed r(ctx);
  ASSERT_EQ(SSL_version(r.c), TLS1_3_VERSION);
  const std::vector<unsigned char> data = pattern(100);
  const std::vector<unsigned char> rec = r.record_for(data);
  const int fl = fcntl(r.server_end[0], F_GETFL);
  ASSERT_EQ(fcntl(r.server_end[0], F_SETFL, fl | O_NONBLOCK), 0);
  unsigned char buf[4096];
  // Nothing, then the header alone, then the header and part of the body:
  // each time WANT_READ, nothing delivered, nothing lost.
  size_t sent = 0;
  for (const size_t upto : {size_t{0}, size_t{5}, size_t{40}}) {
    r.to_server(rec.data() + sent, upto - sent);
    sent = upto;
    ERR_clear_error();
    EXPECT_EQ(SSL_read(r.s, buf, sizeof buf), -1) << upto;
    EXPECT_EQ(SSL_get_error(r.s, -1), SSL_ERROR_WANT_READ) << upto;
    EXPECT_EQ(SSL_pending(r.s), 0);
  }
  r.to_server(rec.data() + 40, rec.size() - 40);
  ASSERT_EQ(SSL_read(r.s, buf, sizeof buf), static_cast<int>(data.size()));
  EXPECT_EQ(std::vector<unsigned char>(buf, buf + data.size()), data);
  EXPECT_EQ(SSL_read(r.s, buf, sizeof buf), -1);
  EXPECT_EQ(SSL_get_error(r.s, -1), SSL_ERROR_WANT_READ);
}

TEST(SocketPath, RecordInPiecesOnABlockingSocketIsReadWholeOnce) {
  Ctx ctx;
  Relayed r(ctx);
  const std::vector<unsigned char> a = pattern(100), b = pattern(3000);
  const std::vector<unsigned char> ra = r.record_for(a), rb = r.record_for(b);
  // The first record's header, later its body with the second's header and
  // part of its body, later the rest: every byte once, in order, in reads
  // that each return one record's data (reads block meanwhile).
  std::thread feeder([&] {
    using namespace std::chrono_literals;
    r.to_server(ra.data(), 5);
    std::this_thread::sleep_for(20ms);
    std::vector<unsigned char> mid(ra.begin() + 5, ra.end());
    mid.insert(mid.end(), rb.begin(), rb.begin() + 1000);
    r.to_server(mid.data(), mid.size());
    std::this_thread::sleep_for(20ms);
    r.to_server(rb.data() + 1000, rb.size() - 1000);
  });
  std::vector<unsigned char> buf(8192);
  const int got_a = SSL_read(r.s, buf.data(), static_cast<int>(buf.size()));
  const std::vector<unsigned char> read_a(buf.begin(), buf.begin() + std::max(got_a, 0));
  const int got_b = SSL_read(r.s, buf.data(), static_cast<int>(buf.size()));
  const std::vector<unsigned char> read_b(buf.begin(), buf.begin() + std::max(got_b, 0));
  feeder.join();
  EXPECT_EQ(read_a, a);
  EXPECT_EQ(read_b, b);
}

TEST(SocketPath, EndOfStreamInsideARecordIsAnErrorNotAHang) {
  Ctx ctx;
  Relayed r(ctx);
  const std::vector<unsigned char> rec = r.record_for(pattern(100));
  r.to_server(rec.data(), 30);  // header and part of the body, then the end
  shutdown(r.server_end[1], SHUT_WR);
  unsigned char buf[4096];
  ERR_clear_error();
  // As OpenSSL 3.0 (conformance AbnormalEnd.*): 0, and SSL_ERROR_SSL.
  EXPECT_EQ(SSL_read(r.s, buf, sizeof buf), 0);
  EXPECT_EQ(SSL_get_error(r.s, 0), SSL_ERROR_SSL);
  EXPECT_EQ(ERR_GET_REASON(ERR_peek_error()), SSL_R_UNEXPECTED_EOF_WHILE_READING);
}

// A stream of full records (the reader takes each next header along and may
// poll before sleeping) arriving in pieces that fall anywhere: inside a
// header, a body, a tag. Every byte arrives once, in order.
TEST(SocketPath, StreamOfFullRecordsInOddPiecesArrivesWhole) {
  Ctx ctx;
  Relayed r(ctx);
  const std::vector<unsigned char> data = pattern(4 * 16384 + 1000);
  ASSERT_EQ(SSL_write(r.c, data.data(), static_cast<int>(data.size())),
            static_cast<int>(data.size()));
  // Five records: four full ones and 1,000 bytes, each with 22 bytes around it.
  const std::vector<unsigned char> wire = r.take_from_client(data.size() + 5 * 22);
  std::thread feeder([&] {
    using namespace std::chrono_literals;
    size_t at = 0;
    for (const size_t piece : {size_t{3}, size_t{16390}, size_t{2}, size_t{9000}, size_t{7399},
                               size_t{16406}, size_t{20}, size_t{30000}}) {
      const size_t n = std::min(piece, wire.size() - at);
      r.to_server(wire.data() + at, n);
      at += n;
      std::this_thread::sleep_for(5ms);
    }
    r.to_server(wire.data() + at, wire.size() - at);
  });
  std::vector<unsigned char> got;
  std::vector<unsigned char> buf(65536);
  while (got.size() < data.size()) {
    const int n = SSL_read(r.s, buf.data(), static_cast<int>(buf.size()));
    if (n <= 0) break;
    got.insert(got.end(), buf.begin(), buf.begin() + n);
  }
  feeder.join();
  EXPECT_EQ(got, data) << "every byte once, in order";
}

// A KeyUpdate asking for one back, and behind it the first bytes of the next
// record: the read answers the KeyUpdate before it waits for the rest, and
// the data then arrives under the new keys.
TEST(SocketPath, KeyUpdateIsAnsweredBeforeTheReadWaitsForTheNextRecord) {
  Ctx ctx;
  Relayed r(ctx);
  ASSERT_EQ(SSL_version(r.c), TLS1_3_VERSION);
  ASSERT_EQ(SSL_key_update(r.c, SSL_KEY_UPDATE_REQUESTED), 1);
  const std::vector<unsigned char> data = pattern(300);
  ASSERT_EQ(SSL_write(r.c, data.data(), static_cast<int>(data.size())),
            static_cast<int>(data.size()));
  // KeyUpdate: 5 + 5 (message) + 1 + 16; the data record: 5 + 300 + 1 + 16.
  const size_t key_update = 27;
  const std::vector<unsigned char> wire = r.take_from_client(key_update + 322);
  const int fl = fcntl(r.server_end[0], F_GETFL);
  ASSERT_EQ(fcntl(r.server_end[0], F_SETFL, fl | O_NONBLOCK), 0);
  r.to_server(wire.data(), key_update + 5);
  unsigned char buf[4096];
  ERR_clear_error();
  EXPECT_EQ(SSL_read(r.s, buf, sizeof buf), -1);
  EXPECT_EQ(SSL_get_error(r.s, -1), SSL_ERROR_WANT_READ);
  pollfd p{r.server_end[1], POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 0), 1) << "the server's own KeyUpdate has left";
  r.to_server(wire.data() + key_update + 5, wire.size() - key_update - 5);
  ASSERT_EQ(SSL_read(r.s, buf, sizeof buf), static_cast<int>(data.size())) << "new keys work";
  EXPECT_EQ(std::vector<unsigned char>(buf, buf + data.size()), data);
}

}  // namespace
