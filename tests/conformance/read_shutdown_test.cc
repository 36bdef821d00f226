// What a user of SSL_write relies on from the pages it refers to: SSL_get_error codes,
// SSL_read_ex/SSL_peek_ex, SSL_pending/SSL_has_pending, SSL_shutdown, and the mode bits.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>

#include "harness.h"

namespace conformance {
namespace {

Link Connected(size_t pair_size = 4096) {
  Link l = MakeBioPairLink(pair_size);
  std::string failure = Handshake(l);
  EXPECT_EQ(failure, "");
  return l;
}

TEST(GetError, NoneOnSuccess) {
  Link l = Connected();
  unsigned char byte = 'x';
  int rc = SSL_write(l.client.get(), &byte, 1);
  ASSERT_EQ(rc, 1);
  EXPECT_EQ(SSL_get_error(l.client.get(), rc), SSL_ERROR_NONE)
      << "SSL_get_error of a positive return is SSL_ERROR_NONE";
}

TEST(GetError, WantReadOnEmptyNonBlockingRead) {
  SocketLink l = MakeSocketLink(SocketPair(/*non_blocking=*/true));
  ASSERT_EQ(HandshakeSsl(l.client.get(), l.server.get(), l.fds.a.fd, l.fds.b.fd), "");
  unsigned char buf[16];
  size_t got = 7;
  int rc = SSL_read_ex(l.server.get(), buf, sizeof buf, &got);
  EXPECT_EQ(rc, 0) << "a read with nothing to read fails";
  EXPECT_EQ(SSL_get_error(l.server.get(), rc), SSL_ERROR_WANT_READ)
      << "on a non-blocking socket that is SSL_ERROR_WANT_READ";
}

TEST(GetError, ZeroReturnAfterCloseNotify) {
  Link l = Connected();
  ASSERT_EQ(SSL_shutdown(l.client.get()), 0) << "close_notify sent, none received yet";
  unsigned char buf[16];
  size_t got = 0;
  int rc = SSL_read_ex(l.server.get(), buf, sizeof buf, &got);
  EXPECT_EQ(rc, 0) << "the read after close_notify returns no data";
  EXPECT_EQ(SSL_get_error(l.server.get(), rc), SSL_ERROR_ZERO_RETURN)
      << "SSL_ERROR_ZERO_RETURN means the peer closed cleanly";
  EXPECT_TRUE(SSL_get_shutdown(l.server.get()) & SSL_RECEIVED_SHUTDOWN)
      << "SSL_get_shutdown records the received close_notify";
}

TEST(GetError, UnexpectedEofIsSslErrorInOpenSsl3) {
  // OpenSSL 3.0 reports an EOF without close_notify as SSL_ERROR_SSL with
  // SSL_R_UNEXPECTED_EOF_WHILE_READING (1.1.1 said SSL_ERROR_SYSCALL).
  SocketLink l = MakeSocketLink(SocketPair(/*non_blocking=*/true));
  ASSERT_EQ(HandshakeSsl(l.client.get(), l.server.get(), l.fds.a.fd, l.fds.b.fd), "");
  // Half-close: the server sees EOF. (A close() with unread tickets in the client's
  // receive queue would make the server see ECONNRESET instead.)
  ASSERT_EQ(shutdown(l.fds.a.fd, SHUT_WR), 0);
  ERR_clear_error();
  unsigned char buf[16];
  size_t got = 0;
  int rc = SSL_read_ex(l.server.get(), buf, sizeof buf, &got);
  EXPECT_EQ(rc, 0) << "EOF without close_notify fails the read";
  EXPECT_EQ(SSL_get_error(l.server.get(), rc), SSL_ERROR_SSL) << "as a fatal error";
  EXPECT_EQ(FirstErrorReason(), SSL_R_UNEXPECTED_EOF_WHILE_READING) << ErrorQueueText();
}

TEST(ReadPath, PeekExDoesNotConsume) {
  Link l = Connected();
  Bytes data = Pattern(100, 21);
  ASSERT_EQ(SSL_write(l.client.get(), data.data(), 100), 100);
  Bytes peeked(100);
  size_t n = 0;
  ASSERT_EQ(SSL_peek_ex(l.server.get(), peeked.data(), peeked.size(), &n), 1);
  peeked.resize(n);
  EXPECT_EQ(peeked, data) << "SSL_peek_ex returns the data";
  Bytes got;
  ASSERT_TRUE(DrainApp(l.server.get(), got));
  EXPECT_EQ(got, data) << "and SSL_read_ex then returns the same data: peek consumed nothing";
}

TEST(ReadPath, PendingCountsUnreadBytesOfTheRecord) {
  Link l = Connected();
  Bytes data = Pattern(1000, 22);
  ASSERT_EQ(SSL_write(l.client.get(), data.data(), 1000), 1000);
  unsigned char buf[10];
  size_t n = 0;
  ASSERT_EQ(SSL_read_ex(l.server.get(), buf, sizeof buf, &n), 1);
  EXPECT_EQ(n, 10u) << "the read returns what was asked for";
  EXPECT_EQ(SSL_pending(l.server.get()), 990) << "SSL_pending: the rest of the record";
  EXPECT_EQ(SSL_has_pending(l.server.get()), 1) << "SSL_has_pending agrees";
  Bytes got(buf, buf + n);
  ASSERT_TRUE(DrainApp(l.server.get(), got));
  EXPECT_EQ(SSL_pending(l.server.get()), 0) << "SSL_pending: nothing left";
  EXPECT_EQ(got, data) << "all bytes, once, in order";
}

TEST(ReadPath, SmallReadsReassembleEverything) {
  Link l = Connected(512);
  Bytes data = Pattern(50000, 23);
  Bytes got;
  int rc = WriteAllRetrying(l.client.get(), data, [&] {
    unsigned char buf[7];  // reads far smaller than a record
    for (int i = 0; i < 10000; ++i) {
      int r = SSL_read(l.server.get(), buf, sizeof buf);
      if (r <= 0) break;
      got.insert(got.end(), buf, buf + r);
    }
  });
  ASSERT_EQ(rc, 50000) << ErrorQueueText();
  ASSERT_TRUE(DrainApp(l.server.get(), got));
  EXPECT_EQ(Sha256Hex(got), Sha256Hex(data)) << "every byte arrives exactly once";
}

// A non-blocking socket link, the handshake done, and the client's two
// records of 100 bytes (`first`, then `second`) waiting at the server's socket.
// `before_handshake` may set options on the link first.
SocketLink TwoRecordsWaiting(const Bytes& first, const Bytes& second,
                             const std::function<void(SocketLink&)>& before_handshake = {}) {
  SocketLink l = MakeSocketLink(SocketPair(/*non_blocking=*/true));
  if (before_handshake) before_handshake(l);
  EXPECT_EQ(HandshakeSsl(l.client.get(), l.server.get(), l.fds.a.fd, l.fds.b.fd), "");
  EXPECT_EQ(SSL_write(l.client.get(), first.data(), 100), 100);
  EXPECT_EQ(SSL_write(l.client.get(), second.data(), 100), 100);
  EXPECT_TRUE(WaitFd(l.fds.b.fd, /*for_write=*/false));
  return l;
}

// A program that polls the socket and calls SSL_read once per wake-up relies
// on this (OpenSSL's default, read_ahead off): a record not yet handed over
// is still in the kernel, so poll() still says readable.
TEST(ReadPath, RecordNotHandedOverIsStillInTheSocketForPoll) {
  const Bytes first = Pattern(100, 31);
  const Bytes second = Pattern(100, 32);
  SocketLink l = TwoRecordsWaiting(first, second);
  unsigned char buf[100];
  size_t n = 0;
  ASSERT_EQ(SSL_read_ex(l.server.get(), buf, sizeof buf, &n), 1) << ErrorQueueText();
  EXPECT_EQ(Bytes(buf, buf + n), first);
  EXPECT_EQ(SSL_pending(l.server.get()), 0);
  EXPECT_TRUE(WaitFd(l.fds.b.fd, /*for_write=*/false, /*timeout_ms=*/200))
      << "the second record was taken from the socket but not handed over";
  ASSERT_EQ(SSL_read_ex(l.server.get(), buf, sizeof buf, &n), 1) << ErrorQueueText();
  EXPECT_EQ(Bytes(buf, buf + n), second);
}

// SSL_CTX_set_read_ahead: the reader may take everything the socket has;
// SSL_has_pending then says a record is buffered that SSL_pending does not count.
TEST(ReadPath, ReadAheadTakesLaterRecordsAndHasPendingSaysSo) {
  const Bytes first = Pattern(100, 36);
  const Bytes second = Pattern(100, 37);
  SocketLink l = TwoRecordsWaiting(first, second, [](SocketLink& s) {
    EXPECT_EQ(SSL_CTX_get_read_ahead(s.server_ctx.get()), 0) << "off by default";
    EXPECT_EQ(SSL_get_read_ahead(s.server.get()), 0);
    SSL_set_read_ahead(s.server.get(), 1);
    EXPECT_EQ(SSL_get_read_ahead(s.server.get()), 1);
    SSL_CTX_set_read_ahead(s.server_ctx.get(), 1);
    EXPECT_EQ(SSL_CTX_get_read_ahead(s.server_ctx.get()), 1);
  });
  unsigned char buf[100];
  size_t n = 0;
  ASSERT_EQ(SSL_read_ex(l.server.get(), buf, sizeof buf, &n), 1) << ErrorQueueText();
  EXPECT_EQ(Bytes(buf, buf + n), first);
  EXPECT_EQ(SSL_pending(l.server.get()), 0);
  EXPECT_EQ(SSL_has_pending(l.server.get()), 1) << "the second record is buffered";
  EXPECT_FALSE(WaitFd(l.fds.b.fd, /*for_write=*/false, /*timeout_ms=*/50))
      << "nothing is left in the socket";
  ASSERT_EQ(SSL_read_ex(l.server.get(), buf, sizeof buf, &n), 1) << ErrorQueueText();
  EXPECT_EQ(Bytes(buf, buf + n), second);
  EXPECT_EQ(SSL_has_pending(l.server.get()), 0);
}

// Read-ahead holds in the handshake too: a TLS 1.3 server whose client's
// Finished and first application record wait together at its socket takes
// both in the handshake's reads, so the record is buffered (SSL_has_pending)
// and the socket is empty once SSL_do_handshake is done.
TEST(ReadPath, ReadAheadTakesTheRecordAfterTheClientsFinishedInTheHandshake) {
  SocketLink l = MakeSocketLink(SocketPair(/*non_blocking=*/true));
  SSL_set_read_ahead(l.server.get(), 1);
  SSL* c = l.client.get();
  SSL* sv = l.server.get();
  // The client sends its hello, the server its flight, the client its
  // Finished (its handshake is then done), and then 100 bytes.
  int rc = 0;
  for (int i = 0; i < 50 && rc != 1; ++i) {
    rc = SSL_do_handshake(c);
    if (rc != 1) {
      ASSERT_EQ(SSL_get_error(c, rc), SSL_ERROR_WANT_READ) << ErrorQueueText();
      const int s = SSL_do_handshake(sv);
      ASSERT_NE(s, 1) << "the server cannot be done before the client's Finished";
      ASSERT_EQ(SSL_get_error(sv, s), SSL_ERROR_WANT_READ) << ErrorQueueText();
      WaitFd(l.fds.a.fd, /*for_write=*/false, 200);
    }
  }
  ASSERT_EQ(rc, 1) << ErrorQueueText();
  const Bytes data = Pattern(100, 40);
  ASSERT_EQ(SSL_write(c, data.data(), 100), 100);
  ASSERT_TRUE(WaitFd(l.fds.b.fd, /*for_write=*/false));
  usleep(20000);  // both flights in the server's socket
  ASSERT_EQ(SSL_do_handshake(sv), 1) << ErrorQueueText();
  EXPECT_EQ(SSL_has_pending(sv), 1) << "the application record was read with the Finished";
  EXPECT_FALSE(WaitFd(l.fds.b.fd, /*for_write=*/false, /*timeout_ms=*/50))
      << "nothing is left in the socket";
  unsigned char buf[100];
  size_t n = 0;
  ASSERT_EQ(SSL_read_ex(sv, buf, sizeof buf, &n), 1) << ErrorQueueText();
  EXPECT_EQ(Bytes(buf, buf + n), data);
}

// With room for both, a read from a socket hands over one record, in both
// libraries: without read-ahead the second one is still in the kernel.
TEST(ReadPath, OneReadWithRoomForTwoRecordsOverASocket) {
  const Bytes first = Pattern(100, 33);
  const Bytes second = Pattern(100, 34);
  SocketLink l = TwoRecordsWaiting(first, second);
  unsigned char buf[1000];
  size_t n = 0;
  ASSERT_EQ(SSL_read_ex(l.server.get(), buf, sizeof buf, &n), 1) << ErrorQueueText();
  EXPECT_EQ(Bytes(buf, buf + n), first);
  EXPECT_EQ(SSL_has_pending(l.server.get()), 0) << "nothing of the second record is buffered";
  ASSERT_EQ(SSL_read_ex(l.server.get(), buf, sizeof buf, &n), 1) << ErrorQueueText();
  EXPECT_EQ(Bytes(buf, buf + n), second);
  EXPECT_EQ(SSL_read_ex(l.server.get(), buf, sizeof buf, &n), 0);
  EXPECT_EQ(SSL_get_error(l.server.get(), 0), SSL_ERROR_WANT_READ);
}

// Over a BIO pair OpenSSL still hands over one record per call; rapidtls
// (deliberately, README) opens every whole record that fits straight from
// the pair's buffer into the caller's. Either way every byte arrives once.
TEST(ReadPath, OneReadWithRoomForTwoRecordsOverABioPair) {
  Link l = Connected(4096);
  const Bytes first = Pattern(100, 38);
  const Bytes second = Pattern(100, 39);
  ASSERT_EQ(SSL_write(l.client.get(), first.data(), 100), 100);
  ASSERT_EQ(SSL_write(l.client.get(), second.data(), 100), 100);
  unsigned char buf[1000];
  size_t n = 0;
  ASSERT_EQ(SSL_read_ex(l.server.get(), buf, sizeof buf, &n), 1) << ErrorQueueText();
  Bytes got(buf, buf + n);
  EXPECT_EQ(n, kOracle ? 100u : 200u);
  if (n < 200) {
    ASSERT_EQ(SSL_read_ex(l.server.get(), buf, sizeof buf, &n), 1) << ErrorQueueText();
    got.insert(got.end(), buf, buf + n);
  }
  Bytes want = first;
  want.insert(want.end(), second.begin(), second.end());
  EXPECT_EQ(got, want);
  EXPECT_EQ(SSL_read_ex(l.server.get(), buf, sizeof buf, &n), 0);
  EXPECT_EQ(SSL_get_error(l.server.get(), 0), SSL_ERROR_WANT_READ);
}

// Through a BIO pair of an odd size, so records straddle the end of its ring
// buffer: writes and reads of many sizes both ways, with KeyUpdates asked for
// on the way (TLS 1.3 records without application data among the data).
TEST(ReadPath, BioPairTransferOfManySizesWithKeyUpdates) {
  Link l = Connected(40009);
  const Bytes data = Pattern(3 << 20, 35);
  Bytes got;
  size_t sent = 0;
  size_t step = 1;
  size_t retry_len = 0;  // a write to repeat after WANT_WRITE
  size_t read_size = 7;
  Bytes buf(70000);
  for (int round = 0; round < 100000 && got.size() < data.size(); ++round) {
    if (sent < data.size()) {
      if (retry_len == 0) {
        step = (step * 7919 + 13) % 70001 + 1;
        retry_len = std::min(step, data.size() - sent);
      }
      size_t w = 0;
      if (SSL_write_ex(l.client.get(), data.data() + sent, retry_len, &w) == 1) {
        ASSERT_EQ(w, retry_len);
        sent += w;
        retry_len = 0;
        if (round % 5 == 0) {
          ASSERT_EQ(SSL_key_update(l.client.get(), SSL_KEY_UPDATE_REQUESTED), 1);
        }
      } else {
        // Retried next round with the same arguments (W12).
        ASSERT_EQ(SSL_get_error(l.client.get(), 0), SSL_ERROR_WANT_WRITE) << ErrorQueueText();
      }
    }
    for (int reads = 0; reads < 8; ++reads) {
      read_size = (read_size * 31 + 5) % buf.size() + 1;
      size_t n = 0;
      if (SSL_read_ex(l.server.get(), buf.data(), read_size, &n) != 1) {
        ASSERT_EQ(SSL_get_error(l.server.get(), 0), SSL_ERROR_WANT_READ) << ErrorQueueText();
        break;
      }
      got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    }
    // The client reads the server's KeyUpdate answers.
    size_t n = 0;
    while (SSL_read_ex(l.client.get(), buf.data(), buf.size(), &n) == 1) {
      ADD_FAILURE() << "the server sent no application data";
    }
  }
  EXPECT_EQ(sent, data.size());
  EXPECT_EQ(Sha256Hex(got), Sha256Hex(data)) << "every byte once, in order";
}

TEST(Shutdown, WriteAfterOwnCloseNotifyFails) {
  Link l = Connected();
  ASSERT_EQ(SSL_shutdown(l.client.get()), 0);
  ERR_clear_error();
  unsigned char byte = 'x';
  int rc = SSL_write(l.client.get(), &byte, 1);
  EXPECT_EQ(rc, -1) << "a write after our close_notify fails";
  EXPECT_EQ(SSL_get_error(l.client.get(), rc), SSL_ERROR_SSL) << "not retryable";
  EXPECT_EQ(FirstErrorReason(), SSL_R_PROTOCOL_IS_SHUTDOWN)
      << "OpenSSL 3.0: SSL_R_PROTOCOL_IS_SHUTDOWN; " << ErrorQueueText();
  ERR_clear_error();
  size_t written = 0;
  EXPECT_EQ(SSL_write_ex(l.client.get(), &byte, 1, &written), 0) << "SSL_write_ex too";
  ERR_clear_error();
  // The peer gets the close_notify and nothing after it.
  unsigned char buf[16];
  size_t got = 0;
  rc = SSL_read_ex(l.server.get(), buf, sizeof buf, &got);
  EXPECT_EQ(SSL_get_error(l.server.get(), rc), SSL_ERROR_ZERO_RETURN)
      << "the peer reads no data, only the close_notify";
}

TEST(Shutdown, PeerCloseNotifyLeavesOurWriteSideOpenInTls13) {
  Link l = Connected();
  ASSERT_EQ(SSL_shutdown(l.client.get()), 0);
  unsigned char buf[64];
  size_t got = 0;
  int rc = SSL_read_ex(l.server.get(), buf, sizeof buf, &got);
  ASSERT_EQ(SSL_get_error(l.server.get(), rc), SSL_ERROR_ZERO_RETURN);
  Bytes data = Pattern(10, 24);
  EXPECT_EQ(SSL_write(l.server.get(), data.data(), 10), 10)
      << "TLS 1.3: after the peer's close_notify our write side stays open";
  rc = SSL_read_ex(l.client.get(), buf, sizeof buf, &got);
  EXPECT_EQ(rc, 1) << "the half-closed client still reads";
  EXPECT_EQ(Bytes(buf, buf + got), data) << "and gets exactly the bytes written";
}

TEST(Shutdown, BidirectionalShutdownCompletes) {
  Link l = Connected();
  EXPECT_EQ(SSL_shutdown(l.client.get()), 0) << "first call: close_notify sent";
  unsigned char buf[16];
  size_t got = 0;
  int rc = SSL_read_ex(l.server.get(), buf, sizeof buf, &got);
  ASSERT_EQ(SSL_get_error(l.server.get(), rc), SSL_ERROR_ZERO_RETURN);
  EXPECT_EQ(SSL_shutdown(l.server.get()), 1)
      << "the server has received and now sent close_notify: done";
  EXPECT_EQ(SSL_shutdown(l.client.get()), 1)
      << "second call on the client reads the server's close_notify: done";
  EXPECT_EQ(SSL_get_shutdown(l.client.get()), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN)
      << "both directions closed";
}

TEST(Modes, DefaultModeIsAutoRetry) {
  CtxPtr ctx = MakeClientCtx();
  EXPECT_EQ(SSL_CTX_get_mode(ctx.get()), static_cast<long>(SSL_MODE_AUTO_RETRY))
      << "OpenSSL 3.0 contexts start with SSL_MODE_AUTO_RETRY only";
  SslPtr ssl(SSL_new(ctx.get()));
  EXPECT_EQ(SSL_get_mode(ssl.get()), static_cast<long>(SSL_MODE_AUTO_RETRY))
      << "W10: partial writes are off by default";
}

TEST(Modes, SetModeAddsBitsAndClearModeRemovesThem) {
  CtxPtr ctx = MakeClientCtx();
  SslPtr ssl(SSL_new(ctx.get()));
  const long both = SSL_MODE_AUTO_RETRY | SSL_MODE_ENABLE_PARTIAL_WRITE;
  EXPECT_EQ(SSL_set_mode(ssl.get(), SSL_MODE_ENABLE_PARTIAL_WRITE), both)
      << "SSL_set_mode ORs the bits in and returns the new mask";
  EXPECT_EQ(SSL_get_mode(ssl.get()), both) << "SSL_get_mode reads it back";
  EXPECT_EQ(SSL_clear_mode(ssl.get(), SSL_MODE_ENABLE_PARTIAL_WRITE),
            static_cast<long>(SSL_MODE_AUTO_RETRY))
      << "SSL_clear_mode removes the bits and returns the new mask";
}

TEST(Modes, ContextModeIsCopiedAtSslNew) {
  CtxPtr ctx = MakeClientCtx();
  SslPtr before(SSL_new(ctx.get()));
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SslPtr after(SSL_new(ctx.get()));
  const long want =
      SSL_MODE_AUTO_RETRY | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
  EXPECT_EQ(SSL_get_mode(after.get()), want) << "W11/W13: an SSL takes the context's mode";
  EXPECT_EQ(SSL_get_mode(before.get()), static_cast<long>(SSL_MODE_AUTO_RETRY))
      << "an SSL made earlier keeps its own mode";
}

}  // namespace
}  // namespace conformance
