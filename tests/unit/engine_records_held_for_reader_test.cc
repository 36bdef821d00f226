// Records held for the reader (Connection::set_open_on_read): a read writes
// nothing past the bytes it returns, and records held when a TLS 1.2
// renegotiation starts stay readable.
#include <gtest/gtest.h>

#include "engine_expect.h"
#include "engine_pair.h"

namespace rapidtls::testing {
namespace {

std::shared_ptr<Config> only12(std::shared_ptr<Config> cfg) {
  cfg->max_version = handshake::kTls12;
  return cfg;
}

// TLS 1.3: a record opened straight into the reader's buffer leaves nothing
// after the bytes read_app reports (not the inner content type).
TEST(RecordsHeldForReader, NothingWrittenPastTheBytesReturned) {
  Pair p(client_config(), server_config());
  p.client.set_open_on_read(true);
  p.server.set_open_on_read(true);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  ASSERT_TRUE(p.client.send_app(pattern(100, 1)).ok());
  const ByteVec wire(p.client.pending_output().begin(), p.client.pending_output().end());
  p.client.consume_output(wire.size());
  ASSERT_TRUE(p.server.receive(wire).ok());
  ByteVec buf(200, 0xAA);
  ASSERT_EQ(p.server.read_app(buf), 100u);
  EXPECT_EQ(ByteVec(buf.begin(), buf.begin() + 100), pattern(100, 1));
  EXPECT_EQ(buf[100], 0xAA) << "the inner content type was left after the data";
}

// TLS 1.2: records held for the reader when the client starts a
// renegotiation are no longer "held" (handshake_done() is false) but nothing
// processes them either: read_app returns nothing and receive_allowance asks
// for nothing more, so the reader cannot make progress (SSL_do_handshake and
// SSL_read then loop until their guard and fail with internal_error).
TEST(RecordsHeldForReader, Tls12RecordsHeldWhenRenegotiationStartsStayReadable) {
  auto scfg = only12(server_config());
  scfg->allow_client_renegotiation = true;
  Pair p(only12(client_config()), scfg);
  p.client.set_open_on_read(true);
  p.server.set_open_on_read(true);
  ASSERT_TRUE(p.handshake()) << describe(p.error());
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(p.server.send_app(pattern(100, 10 + i)).ok());
  const ByteVec wire(p.server.pending_output().begin(), p.server.pending_output().end());
  p.server.consume_output(wire.size());
  ASSERT_TRUE(p.client.receive(wire).ok());
  ByteVec first(100);
  ASSERT_EQ(p.client.read_app(first), 100u) << "exactly the first record";
  EXPECT_EQ(first, pattern(100, 10));
  ASSERT_TRUE(p.client.app_readable()) << "two more records held";

  ASSERT_TRUE(p.client.renegotiate().ok());
  ByteVec second(100);
  const size_t n = p.client.read_app(second);
  const size_t allowance = p.client.receive_allowance(0);
  EXPECT_TRUE(n == 100u || allowance > 0 || p.client.app_readable())
      << "a dead end: nothing to read (read_app " << n << ", app_readable "
      << p.client.app_readable() << ", app_pending " << p.client.app_pending()
      << ") and nothing more to receive (allowance " << allowance << ", unprocessed "
      << p.client.unprocessed() << ")";
  EXPECT_EQ(n, 100u) << "application data may still be read during a TLS 1.2 renegotiation";
}

}  // namespace
}  // namespace rapidtls::testing
