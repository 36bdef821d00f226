// W1, W2, W4, W5, W14, W15, W18: what a single write call returns, and how a write
// negotiates the session when the role is (or is not) set. Transport: BIO pairs.
#include <gtest/gtest.h>

#include "harness.h"

namespace conformance {
namespace {

// Drives `write` until it succeeds, letting the peer's SSL_read_ex take in and
// drain everything between attempts. Returns the last return value of `write`.
template <typename WriteFn>
int RetryUntilDone(Link& l, SSL* peer, Bytes& received, WriteFn write, int* calls = nullptr) {
  int rc = -1;
  int n = 0;
  while (n < 1000) {
    ++n;
    rc = write();
    if (rc > 0) break;
    int err = SSL_get_error(l.client.get(), rc);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) break;
    if (!DrainApp(peer, received)) break;
  }
  if (calls) *calls = n;
  return rc;
}

TEST(WritePath, W1_WriteExStoresBytesWritten) {
  Link l = MakeBioPairLink(4096);
  ASSERT_EQ(Handshake(l), "");
  Bytes data = Pattern(1000);
  size_t written = 0;
  ASSERT_EQ(SSL_write_ex(l.client.get(), data.data(), data.size(), &written), 1)
      << "W1: SSL_write_ex succeeds on an open connection with room; " << ErrorQueueText();
  EXPECT_EQ(written, data.size()) << "W1: *written holds the number of bytes written";
  Bytes got;
  ASSERT_TRUE(DrainApp(l.server.get(), got));
  EXPECT_EQ(got, data) << "W1: the peer receives exactly those bytes";
}

TEST(WritePath, W1_WriteExOverOneByteBio) {
  // Every byte crosses a BIO that moves one byte per call, in both directions.
  Link l = MakeOneByteLink(4096);
  ASSERT_EQ(Handshake(l), "");
  Bytes data = Pattern(64 * 1024, 11);
  Bytes got;
  size_t written = 0;
  int rc = 0;
  for (int i = 0; i < 1000; ++i) {
    rc = SSL_write_ex(l.client.get(), data.data(), data.size(), &written);
    if (rc == 1) break;
    ASSERT_EQ(SSL_get_error(l.client.get(), rc), SSL_ERROR_WANT_WRITE) << ErrorQueueText();
    ASSERT_TRUE(DrainApp(l.server.get(), got));
  }
  ASSERT_EQ(rc, 1) << "W1: the write completes once the peer drains";
  EXPECT_EQ(written, data.size()) << "W1: *written is the whole length";
  ASSERT_TRUE(DrainApp(l.server.get(), got));
  EXPECT_EQ(Sha256Hex(got), Sha256Hex(data)) << "W1: every byte arrives exactly once";
}

TEST(WritePath, W2_WriteReturnsByteCount) {
  Link l = MakeBioPairLink(4096);
  ASSERT_EQ(Handshake(l), "");
  Bytes data = Pattern(1234);
  EXPECT_EQ(SSL_write(l.client.get(), data.data(), static_cast<int>(data.size())), 1234)
      << "W2: SSL_write returns the number of bytes written (> 0) on success";
  Bytes got;
  ASSERT_TRUE(DrainApp(l.server.get(), got));
  EXPECT_EQ(got, data) << "W2: the peer receives exactly those bytes";
}

TEST(WritePath, W2_FailureReturnsAtMostZero) {
  // 4 KiB of buffer and nobody reading: the write cannot finish.
  Link l = MakeBioPairLink(4096);
  ASSERT_EQ(Handshake(l), "");
  Bytes data = Pattern(64 * 1024);
  int rc = SSL_write(l.client.get(), data.data(), static_cast<int>(data.size()));
  EXPECT_LE(rc, 0) << "W2: SSL_write returns <= 0 when the write did not succeed";
}

TEST(WritePath, W4_ClientWriteNegotiatesTheSession) {
  Link l = MakeBioPairLink(4096);  // roles set, no SSL_connect/SSL_accept called
  Bytes data = Pattern(5000, 4);
  Bytes got;
  int rc = RetryUntilDone(l, l.server.get(), got, [&] {
    return SSL_write(l.client.get(), data.data(), static_cast<int>(data.size()));
  });
  ASSERT_EQ(rc, 5000) << "W4: the client's SSL_write performs the handshake, then writes; "
                      << ErrorQueueText();
  EXPECT_TRUE(SSL_is_init_finished(l.client.get())) << "W4: the handshake is complete";
  ASSERT_TRUE(DrainApp(l.server.get(), got));
  EXPECT_EQ(got, data) << "W4: the data arrives exactly once after the handshake";
}

TEST(WritePath, W4_ServerWriteNegotiatesTheSession) {
  Link l = MakeBioPairLink(4096);
  Bytes data = Pattern(3000, 5);
  Bytes got;
  int rc = -1;
  for (int i = 0; i < 1000 && rc <= 0; ++i) {
    rc = SSL_write(l.server.get(), data.data(), static_cast<int>(data.size()));
    if (rc > 0) break;
    int err = SSL_get_error(l.server.get(), rc);
    ASSERT_TRUE(err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
        << "W4: " << err << " " << ErrorQueueText();
    ASSERT_TRUE(DrainApp(l.client.get(), got));  // the client's SSL_read_ex negotiates too
  }
  ASSERT_EQ(rc, 3000) << "W4: the server's SSL_write performs the handshake, then writes";
  ASSERT_TRUE(DrainApp(l.client.get(), got));
  EXPECT_EQ(got, data) << "W4: the data arrives exactly once after the handshake";
}

TEST(WritePath, W5_WriteWithoutRoleFails) {
  Link l = MakeBioPairLink(4096, TLS1_3_VERSION, /*set_roles=*/false);
  Bytes data = Pattern(100);
  ERR_clear_error();
  int rc = SSL_write(l.client.get(), data.data(), static_cast<int>(data.size()));
  EXPECT_EQ(rc, -1) << "W5: OpenSSL 3.0 returns -1";
  EXPECT_EQ(SSL_get_error(l.client.get(), rc), SSL_ERROR_SSL) << "W5: a non-retryable error";
  EXPECT_EQ(FirstErrorLib(), ERR_LIB_SSL) << "W5: the reason is an SSL library error";
  EXPECT_EQ(FirstErrorReason(), SSL_R_UNINITIALIZED)
      << "W5: OpenSSL 3.0 says SSL_R_UNINITIALIZED; " << ErrorQueueText();
  EXPECT_EQ(BIO_ctrl_pending(l.server_bio), 0u) << "W5: nothing was sent to the peer";
}

TEST(WritePath, W5_WriteExWithoutRoleFails) {
  Link l = MakeBioPairLink(4096, TLS1_3_VERSION, /*set_roles=*/false);
  Bytes data = Pattern(100);
  ERR_clear_error();
  size_t written = 0;
  int rc = SSL_write_ex(l.client.get(), data.data(), data.size(), &written);
  EXPECT_EQ(rc, 0) << "W5/W15: SSL_write_ex returns 0 on failure";
  EXPECT_EQ(SSL_get_error(l.client.get(), rc), SSL_ERROR_SSL) << "W5: a non-retryable error";
  EXPECT_EQ(FirstErrorReason(), SSL_R_UNINITIALIZED) << "W5: " << ErrorQueueText();
  EXPECT_EQ(BIO_ctrl_pending(l.server_bio), 0u) << "W5: nothing was sent to the peer";
}

TEST(WritePath, W14_WriteZeroLengthIsAnError) {
  Link l = MakeBioPairLink(4096);
  ASSERT_EQ(Handshake(l), "");
  ERR_clear_error();
  unsigned char byte = 'x';
  int rc = SSL_write(l.client.get(), &byte, 0);
  EXPECT_EQ(rc, 0) << "W14: SSL_write(num=0) fails; OpenSSL 3.0 returns exactly 0";
  // What OpenSSL 3.0 reports for it: SSL_ERROR_SYSCALL with an empty error queue.
  EXPECT_EQ(SSL_get_error(l.client.get(), rc), SSL_ERROR_SYSCALL)
      << "W14: OpenSSL 3.0's SSL_get_error for the zero-length SSL_write";
  EXPECT_EQ(ERR_peek_error(), 0u) << "W14: no reason is queued; " << ErrorQueueText();
  EXPECT_EQ(BIO_ctrl_pending(l.server_bio), 0u) << "W14: nothing is sent";
}

TEST(WritePath, W14_WriteZeroLengthBeforeHandshakeStartsIt) {
  // Before the handshake even a zero-length write negotiates first (W4): the ClientHello
  // goes out and the call waits for the server.
  Link l = MakeBioPairLink(4096);
  unsigned char byte = 'x';
  int rc = SSL_write(l.client.get(), &byte, 0);
  EXPECT_EQ(rc, -1) << "W14/W4: the zero-length write is still in the handshake";
  EXPECT_EQ(SSL_get_error(l.client.get(), rc), SSL_ERROR_WANT_READ)
      << "W14/W8: it waits for the ServerHello";
  EXPECT_GT(BIO_ctrl_pending(l.server_bio), 0u) << "W14/W4: the ClientHello was sent";
}

TEST(WritePath, W14_WriteExZeroLengthSendsNoApplicationData) {
  Link l = MakeBioPairLink(4096);
  ASSERT_EQ(Handshake(l), "");
  unsigned char byte = 'x';
  size_t written = 99;
  EXPECT_EQ(SSL_write_ex(l.client.get(), &byte, 0, &written), 1)
      << "W14: SSL_write_ex(num=0) succeeds; " << ErrorQueueText();
  EXPECT_EQ(written, 0u) << "W14: *written is 0";
  EXPECT_EQ(BIO_ctrl_pending(l.server_bio), 0u) << "W14: no record is sent";
  unsigned char buf[16];
  size_t got = 0;
  int rc = SSL_read_ex(l.server.get(), buf, sizeof buf, &got);
  EXPECT_EQ(rc, 0) << "W14: the peer reads no application data";
  EXPECT_EQ(SSL_get_error(l.server.get(), rc), SSL_ERROR_WANT_READ)
      << "W14: the peer is merely waiting for data";
}

TEST(WritePath, W15_WriteExReturnsOneOnSuccessZeroOnFailure) {
  Link l = MakeBioPairLink(4096);
  ASSERT_EQ(Handshake(l), "");
  Bytes data = Pattern(64 * 1024, 15);
  size_t written = 0;
  int rc = SSL_write_ex(l.client.get(), data.data(), data.size(), &written);
  EXPECT_EQ(rc, 0) << "W15: failure (not all bytes written, no partial mode) returns 0, not -1";
  EXPECT_EQ(SSL_get_error(l.client.get(), rc), SSL_ERROR_WANT_WRITE) << "W15: retryable";
  Bytes got;
  for (int i = 0; i < 1000 && rc != 1; ++i) {
    ASSERT_TRUE(DrainApp(l.server.get(), got));
    rc = SSL_write_ex(l.client.get(), data.data(), data.size(), &written);
    ASSERT_TRUE(rc == 0 || rc == 1) << "W15: SSL_write_ex returns only 1 or 0, got " << rc;
  }
  EXPECT_EQ(rc, 1) << "W15: success returns 1";
  EXPECT_EQ(written, data.size()) << "W15: success without partial mode means all bytes";
  ASSERT_TRUE(DrainApp(l.server.get(), got));
  EXPECT_EQ(Sha256Hex(got), Sha256Hex(data)) << "W15: every byte arrives exactly once";
}

TEST(WritePath, W15_PartialWriteExSucceedsWithAtLeastOneByte) {
  Link l = MakeBioPairLink(64 * 1024);  // room for one whole record, not for all
  ASSERT_EQ(Handshake(l), "");
  SSL_set_mode(l.client.get(), SSL_MODE_ENABLE_PARTIAL_WRITE);
  Bytes data = Pattern(100000, 16);
  size_t written = 0;
  EXPECT_EQ(SSL_write_ex(l.client.get(), data.data(), data.size(), &written), 1)
      << "W15: in partial mode a write that moved some bytes succeeds";
  EXPECT_GE(written, 1u) << "W15: success in partial mode means at least one byte";
  EXPECT_LE(written, 16384u) << "W11: a partial write is at most one 16 KiB record";
}

TEST(WritePath, W18_RoleSetAfterFailedWriteThenWriteNegotiates) {
  Link l = MakeBioPairLink(4096, TLS1_3_VERSION, /*set_roles=*/false);
  Bytes data = Pattern(2000, 18);
  EXPECT_LE(SSL_write(l.client.get(), data.data(), static_cast<int>(data.size())), 0)
      << "W18: without a role the write fails";
  ERR_clear_error();
  SSL_set_connect_state(l.client.get());
  SSL_set_accept_state(l.server.get());
  Bytes got;
  int rc = RetryUntilDone(l, l.server.get(), got, [&] {
    return SSL_write(l.client.get(), data.data(), static_cast<int>(data.size()));
  });
  EXPECT_EQ(rc, 2000) << "W18: once the role is set, the same write negotiates and succeeds; "
                      << ErrorQueueText();
  ASSERT_TRUE(DrainApp(l.server.get(), got));
  EXPECT_EQ(got, data) << "W18: the data arrives exactly once";
}

TEST(WritePath, W18_RoleSetBySslConnectBeforeWrite) {
  Link l = MakeBioPairLink(4096, TLS1_3_VERSION, /*set_roles=*/false);
  int rc = SSL_connect(l.client.get());  // sets the client role and starts the handshake
  ASSERT_EQ(SSL_get_error(l.client.get(), rc), SSL_ERROR_WANT_READ);
  rc = SSL_accept(l.server.get());  // likewise for the server
  ASSERT_EQ(SSL_get_error(l.server.get(), rc), SSL_ERROR_WANT_READ);
  Bytes data = Pattern(2000, 19);
  Bytes got;
  rc = RetryUntilDone(l, l.server.get(), got, [&] {
    return SSL_write(l.client.get(), data.data(), static_cast<int>(data.size()));
  });
  EXPECT_EQ(rc, 2000) << "W18: a role set by SSL_connect lets the write finish the handshake";
  ASSERT_TRUE(DrainApp(l.server.get(), got));
  EXPECT_EQ(got, data) << "W18: the data arrives exactly once";
}

}  // namespace
}  // namespace conformance
