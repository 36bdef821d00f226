// What SSL_read_ex does to the caller's buffer beyond the bytes it returns.
// OpenSSL decrypts into its own record buffer and copies out exactly the
// bytes it reports, so the rest of the caller's buffer is never written: a
// program that zeroes a buffer, reads sizeof - 1 bytes and prints it as a C
// string, or that keeps data of its own after the part it reads into, relies
// on that. Records opened straight into the caller's buffer must keep it too:
// no TLS 1.3 content-type byte or padding after the data, no KeyUpdate or
// ticket that carried no application data, no plaintext of a record whose
// tag did not verify.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness.h"

namespace conformance {
namespace {

constexpr unsigned char kFill = 0xAA;

// The first index at or after `from` where `buf` does not hold kFill, or -1.
long FirstChanged(const Bytes& buf, size_t from) {
  for (size_t i = from; i < buf.size(); ++i) {
    if (buf[i] != kFill) return static_cast<long>(i);
  }
  return -1;
}

Link Connected(size_t pair_size = 65536) {
  Link l = MakeBioPairLink(pair_size);
  EXPECT_EQ(Handshake(l), "");
  return l;
}

// A read with room to spare writes the record's data and nothing after it.
TEST(ReadBuffer, NothingIsWrittenPastTheBytesReturned) {
  Link l = Connected();
  const Bytes data = Pattern(100, 81);
  ASSERT_EQ(SSL_write(l.client.get(), data.data(), 100), 100);
  Bytes buf(1000, kFill);
  size_t n = 0;
  ASSERT_EQ(SSL_read_ex(l.server.get(), buf.data(), buf.size(), &n), 1) << ErrorQueueText();
  ASSERT_EQ(n, 100u);
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + 100), data);
  EXPECT_EQ(FirstChanged(buf, n), -1) << "the byte after the data was overwritten (0x" << std::hex
                                      << int{buf[n]} << ": the TLS 1.3 inner content type)";
}

// The C-string idiom: zero the buffer, read one byte less than it holds.
TEST(ReadBuffer, ZeroedBufferStaysTerminatedAfterTheData) {
  Link l = Connected();
  const char msg[] = "GET / HTTP/1.0\r\n\r\n";
  ASSERT_EQ(SSL_write(l.client.get(), msg, sizeof msg - 1), static_cast<int>(sizeof msg - 1));
  char buf[256] = {};
  const int r = SSL_read(l.server.get(), buf, sizeof buf - 1);
  ASSERT_EQ(r, static_cast<int>(sizeof msg - 1)) << ErrorQueueText();
  EXPECT_STREQ(buf, msg) << "the string read is followed by a stray byte";
}

// Over a socket (the direct path of read_app, not the BIO pair's).
TEST(ReadBuffer, NothingIsWrittenPastTheBytesReturnedOverASocket) {
  SocketLink l = MakeSocketLink(SocketPair(/*non_blocking=*/true));
  ASSERT_EQ(HandshakeSsl(l.client.get(), l.server.get(), l.fds.a.fd, l.fds.b.fd), "");
  const Bytes data = Pattern(300, 82);
  ASSERT_EQ(SSL_write(l.client.get(), data.data(), 300), 300);
  ASSERT_TRUE(WaitFd(l.fds.b.fd, /*for_write=*/false));
  Bytes buf(4096, kFill);
  size_t n = 0;
  int rc = 0;
  for (int i = 0; i < 1000; ++i) {
    rc = SSL_read_ex(l.server.get(), buf.data(), buf.size(), &n);
    if (rc == 1 || SSL_get_error(l.server.get(), rc) != SSL_ERROR_WANT_READ) break;
    WaitFd(l.fds.b.fd, false, 100);
  }
  ASSERT_EQ(rc, 1) << ErrorQueueText();
  ASSERT_EQ(n, 300u);
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + 300), data);
  EXPECT_EQ(FirstChanged(buf, n), -1);
}

// A KeyUpdate alone: the read has nothing to return and writes nothing.
TEST(ReadBuffer, KeyUpdateAloneLeavesTheBufferUntouched) {
  Link l = Connected();
  ASSERT_EQ(SSL_key_update(l.client.get(), SSL_KEY_UPDATE_NOT_REQUESTED), 1);
  // OpenSSL sends it at the next handshake call; rapidtls at once (this flushes).
  ASSERT_EQ(SSL_do_handshake(l.client.get()), 1) << ErrorQueueText();
  ASSERT_GT(BIO_ctrl_pending(l.server_bio), 0u) << "the KeyUpdate is on its way";
  Bytes buf(1000, kFill);
  size_t n = 0;
  const int rc = SSL_read_ex(l.server.get(), buf.data(), buf.size(), &n);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(SSL_get_error(l.server.get(), rc), SSL_ERROR_WANT_READ) << ErrorQueueText();
  EXPECT_EQ(FirstChanged(buf, 0), -1) << "the KeyUpdate was decrypted into the caller's buffer";
  // Data after it still arrives.
  const Bytes data = Pattern(50, 83);
  ASSERT_EQ(SSL_write(l.client.get(), data.data(), 50), 50);
  ASSERT_EQ(SSL_read_ex(l.server.get(), buf.data(), buf.size(), &n), 1) << ErrorQueueText();
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + static_cast<long>(n)), data);
}

// A TLS 1.3 client's first read after the handshake: the server's tickets
// arrive before its data, and nothing of them may be left in the buffer
// (an HTTPS client printing the response as a C string would print them).
TEST(ReadBuffer, TicketsBeforeTheDataLeaveNoTrace) {
  Link l = Connected();
  const char reply[] = "HTTP/1.0 200 OK\r\n\r\nhello";
  ASSERT_EQ(SSL_write(l.server.get(), reply, sizeof reply - 1), static_cast<int>(sizeof reply - 1));
  char buf[1024] = {};
  const int r = SSL_read(l.client.get(), buf, sizeof buf - 1);
  ASSERT_EQ(r, static_cast<int>(sizeof reply - 1)) << ErrorQueueText();
  EXPECT_STREQ(buf, reply) << "bytes of a NewSessionTicket follow the data read";
}

// A record whose tag does not verify: the read fails and no byte of its
// unauthenticated plaintext is left in the caller's buffer. OpenSSL, which
// decrypts into its own buffer, leaves the caller's untouched; rapidtls
// (deliberately, README) decrypts a large record straight into the caller's
// buffer and zeroes what it wrote there when the tag fails.
TEST(ReadBuffer, RecordFailingItsTagLeavesNoPlaintext) {
  Link l = MakeWiredLink(65536);
  ASSERT_EQ(Handshake(l), "");
  l.Pump();
  const Bytes data = Pattern(1000, 84);
  ASSERT_EQ(SSL_write(l.client.get(), data.data(), 1000), 1000);
  l.tamper = [](bool to_server, Bytes& chunk) {
    if (to_server && chunk.size() > 100) chunk[chunk.size() - 1] ^= 0x01;  // the tag
  };
  l.Pump();
  l.tamper = nullptr;
  Bytes buf(4096, kFill);
  size_t n = 0;
  ERR_clear_error();
  const int rc = SSL_read_ex(l.server.get(), buf.data(), buf.size(), &n);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(SSL_get_error(l.server.get(), rc), SSL_ERROR_SSL);
  EXPECT_EQ(FirstErrorReason(), SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC) << ErrorQueueText();
  if (kOracle) {
    EXPECT_EQ(FirstChanged(buf, 0), -1) << "OpenSSL leaves the caller's buffer as it was";
  } else {
    for (size_t i = 0; i < buf.size(); ++i) {
      ASSERT_TRUE(buf[i] == kFill || buf[i] == 0)
          << "byte " << i << " is neither the caller's nor zero: unauthenticated plaintext";
    }
  }
  EXPECT_FALSE(std::search(buf.begin(), buf.end(), data.begin(), data.begin() + 16) != buf.end())
      << "the record's plaintext was released although its tag failed";
}

}  // namespace
}  // namespace conformance
