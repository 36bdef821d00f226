// io::write_app, the one write loop of SSL_write, SSL_sendfile and
// FdStream::write_all, driven directly: over a BIO pair that fills up, with
// a full pair's reservation, in partial mode, over a socket, and with a
// connection that refuses to send. Every byte the caller gave arrives once,
// in order (W12).
#include "io/app_write.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine_pair.h"

namespace rapidtls::testing {
namespace {

// A handshaken pair of connections, the client writing into one end of a BIO
// pair of `size` bytes and the server reading the other end.
struct BioPairWriter {
  explicit BioPairWriter(size_t size) : pair(client_config(), server_config()) {
    EXPECT_TRUE(pair.handshake());
    EXPECT_EQ(BIO_new_bio_pair(&client_end, size, &server_end, size), 1);
  }
  ~BioPairWriter() {
    BIO_free(client_end);
    BIO_free(server_end);
  }
  io::Transport transport() const { return io::Transport{nullptr, client_end, -1}; }

  // Moves what the pair holds into the server and reads its application data.
  void drain() {
    for (;;) {
      MutBytes room = pair.server.receive_buffer(record::kMaxRecord);
      const int n = BIO_read(server_end, room.data(), static_cast<int>(room.size()));
      if (n <= 0) break;
      ASSERT_TRUE(pair.server.commit_received(static_cast<size_t>(n)).ok());
      uint8_t buf[4096];
      for (size_t got; (got = pair.server.read_app(buf)) > 0;) {
        received.insert(received.end(), buf, buf + got);
      }
    }
  }

  Pair pair;
  BIO* client_end = nullptr;
  BIO* server_end = nullptr;
  ByteVec received;
};

// A pair smaller than a record: each call stops with WANT_WRITE once it is
// full, with at most one record sealed and waiting (as OpenSSL holds one),
// and the repeated call resumes where the last one stopped.
TEST(AppWrite, SmallBioPairStopsWithOneRecordWaitingAndLosesNothing) {
  BioPairWriter w(4096);
  conn::Connection& c = w.pair.client;
  const ByteVec data = pattern(100'003, 3);
  io::AppWrite progress;
  int stops = 0;
  for (;;) {
    const io::IoResult r = io::write_app(c, w.transport(), data, progress, {});
    if (r.status == io::IoStatus::done) break;
    ASSERT_EQ(r.status, io::IoStatus::want_write);
    ++stops;
    EXPECT_LE(c.pending_output().size(), c.sealed_size(c.send_fragment()));
    EXPECT_LE(progress.sealed, data.size());
    w.drain();
    ASSERT_LT(stops, 1000);
  }
  w.drain();
  EXPECT_GT(stops, 20);  // 100 KB through 4 KiB: the pair filled again and again
  EXPECT_EQ(progress.sealed, data.size());
  EXPECT_TRUE(w.received == data);
}

// A pair that one record fills exactly: the record after it is reserved, not
// sealed aside; the repeated call seals it straight into the pair.
TEST(AppWrite, FullBioPairReservesTheNextRecord) {
  conn::Connection* c = nullptr;
  size_t record_wire = 0;
  {
    // The wire size of a full record under the negotiated suite.
    Pair probe(client_config(), server_config());
    ASSERT_TRUE(probe.handshake());
    record_wire = probe.client.sealed_size(probe.client.send_fragment());
  }
  BioPairWriter w(record_wire);
  c = &w.pair.client;
  const size_t step = c->send_fragment();
  const ByteVec data = pattern(3 * step + 5, 4);
  io::AppWrite progress;
  io::IoResult r = io::write_app(*c, w.transport(), data, progress, {});
  ASSERT_EQ(r.status, io::IoStatus::want_write);
  EXPECT_EQ(progress.sealed, step);    // one record went straight into the pair
  EXPECT_EQ(progress.reserved, step);  // the next is promised, not sealed
  EXPECT_EQ(c->pending_output().size(), 0u);
  w.drain();
  r = io::write_app(*c, w.transport(), data, progress, {});
  ASSERT_EQ(r.status, io::IoStatus::want_write);
  EXPECT_EQ(progress.sealed, 2 * step);
  EXPECT_EQ(progress.reserved, step);
  for (int i = 0; i < 10 && r.status != io::IoStatus::done; ++i) {
    w.drain();
    r = io::write_app(*c, w.transport(), data, progress, {});
  }
  ASSERT_EQ(r.status, io::IoStatus::done);
  EXPECT_EQ(progress.reserved, 0u);
  w.drain();
  EXPECT_TRUE(w.received == data);
}

// Partial mode (SSL_MODE_ENABLE_PARTIAL_WRITE, W11): done after one record.
TEST(AppWrite, PartialModeIsDoneAfterOneRecord) {
  BioPairWriter w(1 << 20);
  conn::Connection& c = w.pair.client;
  const ByteVec data = pattern(50'000, 5);
  io::AppWrite progress;
  const io::IoResult r = io::write_app(c, w.transport(), data, progress, {/*partial=*/true});
  ASSERT_EQ(r.status, io::IoStatus::done);
  EXPECT_EQ(progress.sealed, c.send_fragment());
  w.drain();
  EXPECT_TRUE(w.received == ByteVec(data.begin(), data.begin() + c.send_fragment()));
}

// A blocking socket takes everything in batches of whole records.
TEST(AppWrite, BlockingSocketTakesAllOfIt) {
  Pair pair(client_config(), server_config());
  ASSERT_TRUE(pair.handshake());
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  const int big = 4 << 20;
  ASSERT_EQ(::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big), 0);
  const ByteVec data = pattern(200'000, 6);
  io::AppWrite progress;
  const io::IoResult r = io::write_app(pair.client, io::Transport{nullptr, nullptr, fds[0]}, data,
                                       progress, {false, /*blocking=*/true});
  EXPECT_EQ(r.status, io::IoStatus::done);
  EXPECT_EQ(progress.sealed, data.size());
  ::shutdown(fds[0], SHUT_WR);
  ByteVec received;
  for (;;) {
    MutBytes room = pair.server.receive_buffer(record::kMaxRecord);
    const ssize_t n = ::read(fds[1], room.data(), room.size());
    if (n <= 0) break;
    ASSERT_TRUE(pair.server.commit_received(static_cast<size_t>(n)).ok());
    uint8_t buf[4096];
    for (size_t got; (got = pair.server.read_app(buf)) > 0;) {
      received.insert(received.end(), buf, buf + got);
    }
  }
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_TRUE(received == data);
}

// A connection that may no longer send (its close_notify went out) fails the
// write with the engine's reason, and nothing is counted as taken.
TEST(AppWrite, ConnectionThatClosedFailsWithItsReason) {
  BioPairWriter w(1 << 16);
  conn::Connection& c = w.pair.client;
  ASSERT_TRUE(c.close().ok());
  const ByteVec data = pattern(10, 7);
  io::AppWrite progress;
  const io::IoResult r = io::write_app(c, w.transport(), data, progress, {});
  ASSERT_EQ(r.status, io::IoStatus::failed);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->reason, SSL_R_PROTOCOL_IS_SHUTDOWN);
  EXPECT_EQ(progress.sealed, 0u);
}

}  // namespace
}  // namespace rapidtls::testing
