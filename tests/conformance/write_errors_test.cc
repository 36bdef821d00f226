// W16 and W17 on BIO pairs: retryable failures leave no error behind; a fatal failure
// queues its reason and the connection then refuses to write.
#include <gtest/gtest.h>

#include "harness.h"

namespace conformance {
namespace {

TEST(WritePath, W16_WantWriteIsRetryableAndQueuesNoError) {
  Link l = MakeBioPairLink(4096);
  ASSERT_EQ(Handshake(l), "");
  Bytes data = Pattern(64 * 1024, 16);
  ERR_clear_error();
  int rc = SSL_write(l.client.get(), data.data(), static_cast<int>(data.size()));
  EXPECT_EQ(SSL_get_error(l.client.get(), rc), SSL_ERROR_WANT_WRITE)
      << "W16: a full buffer is a retryable failure";
  EXPECT_EQ(ERR_peek_error(), 0u) << "W16: a retryable failure queues no error; "
                                  << ErrorQueueText();
  Bytes got;
  rc = WriteAllRetrying(l.client.get(), data, [&] { DrainApp(l.server.get(), got); });
  EXPECT_EQ(rc, static_cast<int>(data.size())) << "W16: retrying it succeeds";
  ASSERT_TRUE(DrainApp(l.server.get(), got));
  EXPECT_EQ(Sha256Hex(got), Sha256Hex(data)) << "W16: every byte arrives exactly once";
}

TEST(WritePath, W17_CorruptedRecordIsFatalAndLaterWritesFail) {
  Link l = MakeWiredLink(4096);
  ASSERT_EQ(Handshake(l), "");
  l.Pump();
  Bytes data = Pattern(1000, 17);
  ASSERT_EQ(SSL_write(l.server.get(), data.data(), static_cast<int>(data.size())), 1000);
  // Flip one bit inside the application data record on its way to the client.
  l.tamper = [](bool to_server, Bytes& chunk) {
    if (!to_server && chunk.size() > 100) chunk[chunk.size() / 2] ^= 0x01;
  };
  l.Pump();
  l.tamper = nullptr;

  ERR_clear_error();
  unsigned char buf[2048];
  size_t got = 0;
  int rc = SSL_read_ex(l.client.get(), buf, sizeof buf, &got);
  EXPECT_EQ(rc, 0) << "W17: the corrupted record is not delivered";
  EXPECT_EQ(SSL_get_error(l.client.get(), rc), SSL_ERROR_SSL) << "W16: a fatal protocol error";
  EXPECT_EQ(FirstErrorLib(), ERR_LIB_SSL) << "W17: the reason is on the error queue";
  EXPECT_EQ(FirstErrorReason(), SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC)
      << "W17: " << ErrorQueueText();

  // The client told the server (bad_record_mac alert); take that off the wire first.
  l.Pump();
  size_t sent_before = BIO_ctrl_pending(l.client_net.get());
  ERR_clear_error();
  rc = SSL_write(l.client.get(), data.data(), static_cast<int>(data.size()));
  EXPECT_LE(rc, 0) << "W17: after the fatal error the connection refuses to write";
  int err = SSL_get_error(l.client.get(), rc);
  // OpenSSL 3.0 answers SSL_ERROR_SYSCALL with an empty queue (state machine in error).
  EXPECT_TRUE(err == SSL_ERROR_SSL || err == SSL_ERROR_SYSCALL)
      << "W17: the refusal is not retryable, got " << err;
  size_t written = 0;
  EXPECT_EQ(SSL_write_ex(l.client.get(), data.data(), data.size(), &written), 0)
      << "W17/W15: SSL_write_ex fails too";
  EXPECT_EQ(BIO_ctrl_pending(l.client_net.get()), sent_before)
      << "W17: not one more byte leaves the client";

  // The server learns why: the client's alert.
  ERR_clear_error();
  rc = SSL_read_ex(l.server.get(), buf, sizeof buf, &got);
  EXPECT_EQ(SSL_get_error(l.server.get(), rc), SSL_ERROR_SSL) << "W17: the peer was alerted";
  EXPECT_EQ(FirstErrorReason(), SSL_R_SSLV3_ALERT_BAD_RECORD_MAC)
      << "W17: with a bad_record_mac alert; " << ErrorQueueText();
}

TEST(WritePath, W17_UninitializedReasonIsOnTheErrorQueue) {
  Link l = MakeBioPairLink(4096, TLS1_3_VERSION, /*set_roles=*/false);
  ERR_clear_error();
  unsigned char byte = 'x';
  EXPECT_LE(SSL_write(l.client.get(), &byte, 1), 0);
  unsigned long e = ERR_get_error();
  EXPECT_EQ(ERR_GET_LIB(e), ERR_LIB_SSL) << "W17: ERR_get_error returns an SSL library code";
  EXPECT_EQ(ERR_GET_REASON(e), SSL_R_UNINITIALIZED) << "W17: with the reason";
  EXPECT_EQ(ERR_get_error(), 0u) << "W17: one entry for one failure";
}

}  // namespace
}  // namespace conformance
