// SSL_get_error over a BIO method that never clears its retry flags, as HAProxy's
// (ha_ssl_read / ha_ssl_write in its ssl_sock.c): a read that finds nothing sets
// "retry, read", a write that finds the socket full sets "retry, write", and a call
// that moves bytes leaves the flags as they were. One BIO serves both directions
// (SSL_set_bio(ssl, bio, bio)), so after a read has waited and a write has waited it
// says both "read" and "write". OpenSSL decides by what the call was doing: a write
// that stopped is WANT_WRITE, a read that stopped WANT_READ (SSL_get_error checks
// BIO_should_write first for a write, BIO_should_read first for a read).
//
// HAProxy 2.6 takes an SSL_write's WANT_READ for a handshake under way: it stops
// writing until the socket becomes readable, which a client downloading a response
// never makes it (tests/dropin/haproxy.sh stalled when the socket filled up), and an
// SSL_read's WANT_WRITE likewise.
#include <gtest/gtest.h>

#include "harness.h"

namespace conformance {
namespace {

// A filter whose read and write pass on to the next BIO and, when it has to wait,
// set the retry flags for that direction without clearing the other one; a call
// that moves bytes touches no flag.
int StickyWrite(BIO* b, const char* in, int len) {
  BIO* next = BIO_next(b);
  if (next == nullptr) return 0;
  const int n = BIO_write(next, in, len);
  if (n > 0) return n;
  if (BIO_should_retry(next)) {
    BIO_set_retry_write(b);
    return -1;
  }
  BIO_clear_retry_flags(b);
  return n;
}

int StickyRead(BIO* b, char* out, int len) {
  BIO* next = BIO_next(b);
  if (next == nullptr) return 0;
  const int n = BIO_read(next, out, len);
  if (n > 0) return n;
  if (BIO_should_retry(next)) {
    BIO_set_retry_read(b);
    return -1;
  }
  BIO_clear_retry_flags(b);
  return n;
}

long StickyCtrl(BIO* b, int cmd, long num, void* ptr) {
  BIO* next = BIO_next(b);
  return next == nullptr ? 0 : BIO_ctrl(next, cmd, num, ptr);
}

int StickyCreate(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

const BIO_METHOD* StickyMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_FILTER, "sticky retry flags");
    BIO_meth_set_write(m, StickyWrite);
    BIO_meth_set_read(m, StickyRead);
    BIO_meth_set_ctrl(m, StickyCtrl);
    BIO_meth_set_create(m, StickyCreate);
    return m;
  }();
  return method;
}

const char* Name(int version) {
  return version == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2";
}

// The server reads (nothing there: WANT_READ, the BIO says "read"), then writes
// more than the pair holds in HAProxy's modes (partial writes, moving buffer). Each
// write that stops must say WANT_WRITE. The writer goes on only after WANT_WRITE,
// as HAProxy does (WANT_READ would make it wait for the peer to send), reading again
// between its writes, and the client must get every byte.
TEST(WritePath, W8_WantWriteThroughABioWithAStaleReadRetryFlag) {
  for (const int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    SCOPED_TRACE(Name(version));
    Link l = MakeFilteredLink(4096, StickyMethod(), version);
    ASSERT_EQ(Handshake(l), "");
    SSL* server = l.server.get();
    SSL_set_mode(server, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    unsigned char byte = 0;
    int rc = SSL_read(server, &byte, 1);
    ASSERT_EQ(rc, -1);
    ASSERT_EQ(SSL_get_error(server, rc), SSL_ERROR_WANT_READ);
    ASSERT_TRUE(BIO_should_read(l.server_bio)) << "the filter keeps its read flag";

    const Bytes data = Pattern(256 * 1024);
    Bytes got;
    size_t off = 0;
    int stops = 0;
    for (int i = 0; i < 10000 && off < data.size(); ++i) {
      rc = SSL_write(server, data.data() + off, static_cast<int>(data.size() - off));
      if (rc > 0) {
        off += static_cast<size_t>(rc);
        continue;
      }
      ++stops;
      ASSERT_TRUE(BIO_should_read(l.server_bio) && BIO_should_write(l.server_bio))
          << "the filter says both read and write";
      ASSERT_EQ(SSL_get_error(server, rc), SSL_ERROR_WANT_WRITE)
          << "W8: a stopped write is WANT_WRITE whatever else the BIO says; at " << off;
      ASSERT_TRUE(DrainApp(l.client.get(), got)) << ErrorQueueText();
      // The server reads between writes, and finds nothing.
      rc = SSL_read(server, &byte, 1);
      ASSERT_EQ(rc, -1);
      ASSERT_EQ(SSL_get_error(server, rc), SSL_ERROR_WANT_READ);
    }
    ASSERT_TRUE(DrainApp(l.client.get(), got));
    EXPECT_GT(stops, 0) << "the pair filled up";
    EXPECT_EQ(off, data.size());
    EXPECT_EQ(Sha256Hex(got), Sha256Hex(data)) << "W12: every byte arrived once, in order";
  }
}

// The other way round: a write has waited (the BIO says "write"), then a read finds
// nothing. It must say WANT_READ: WANT_WRITE would send the caller to wait for a
// socket it can write to, and it would spin, or (HAProxy) take it for a handshake.
TEST(GetError, WantReadThroughABioWithAStaleWriteRetryFlag) {
  for (const int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    SCOPED_TRACE(Name(version));
    Link l = MakeFilteredLink(4096, StickyMethod(), version);
    ASSERT_EQ(Handshake(l), "");
    SSL* server = l.server.get();
    const Bytes data = Pattern(64 * 1024);
    int rc = SSL_write(server, data.data(), static_cast<int>(data.size()));
    ASSERT_EQ(rc, -1);
    ASSERT_EQ(SSL_get_error(server, rc), SSL_ERROR_WANT_WRITE);
    ASSERT_TRUE(BIO_should_write(l.server_bio)) << "the filter keeps its write flag";

    unsigned char buf[256];
    rc = SSL_read(server, buf, sizeof buf);
    ASSERT_EQ(rc, -1);
    ASSERT_TRUE(BIO_should_read(l.server_bio) && BIO_should_write(l.server_bio))
        << "the filter says both read and write";
    EXPECT_EQ(SSL_get_error(server, rc), SSL_ERROR_WANT_READ)
        << "a read that the BIO stopped is WANT_READ, whatever else the BIO says";

    // The write still completes, intact.
    Bytes got;
    rc = WriteAllRetrying(server, data, [&] { DrainApp(l.client.get(), got); });
    ASSERT_EQ(rc, static_cast<int>(data.size())) << ErrorQueueText();
    ASSERT_TRUE(DrainApp(l.client.get(), got));
    EXPECT_EQ(Sha256Hex(got), Sha256Hex(data)) << "W12: every byte arrived once, in order";
  }
}

}  // namespace
}  // namespace conformance
