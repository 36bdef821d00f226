// W6 (TLS 1.2 only): a renegotiation requested by the peer is performed inside the
// write, which therefore reads (and reports WANT_READ while it waits).
#include <gtest/gtest.h>

#include "harness.h"

namespace conformance {
namespace {

void CountHandshakes(const SSL* ssl, int where, int /*ret*/) {
  if (where & SSL_CB_HANDSHAKE_DONE) ++*static_cast<int*>(SSL_get_app_data(ssl));
}

struct Counted {
  int client = 0;
  int server = 0;
  void Attach(Link& l) {
    SSL_set_app_data(l.client.get(), &client);
    SSL_set_app_data(l.server.get(), &server);
    SSL_set_info_callback(l.client.get(), CountHandshakes);
    SSL_set_info_callback(l.server.get(), CountHandshakes);
  }
};

// The client writes `data` until it succeeds, the server reading between attempts.
// Returns the final return value; sets `want_read` if any attempt asked to read.
int ClientWriteThroughRenegotiation(Link& l, const Bytes& data, Bytes& got, bool& want_read) {
  int rc = -1;
  for (int i = 0; i < 1000; ++i) {
    rc = SSL_write(l.client.get(), data.data(), static_cast<int>(data.size()));
    if (rc > 0) break;
    int err = SSL_get_error(l.client.get(), rc);
    if (err == SSL_ERROR_WANT_READ) want_read = true;
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) break;
    if (!DrainApp(l.server.get(), got)) break;
  }
  return rc;
}

TEST(WritePath, W6_PeerRequestedRenegotiationIsPerformedByWrite) {
  Link l = MakeBioPairLink(4096, TLS1_2_VERSION);
  Counted handshakes;
  handshakes.Attach(l);
  ASSERT_EQ(Handshake(l), "");
  ASSERT_EQ(handshakes.client, 1);

  // The server asks for a renegotiation (HelloRequest); the client takes the request
  // in when it next reads and answers with a ClientHello.
  ASSERT_EQ(ServerRequestsRenegotiation(l), "");
  ASSERT_TRUE(SSL_renegotiate_pending(l.client.get())) << "the renegotiation has started";

  Bytes data = Pattern(5000, 6);
  Bytes got;
  bool want_read = false;
  int rc = ClientWriteThroughRenegotiation(l, data, got, want_read);
  EXPECT_EQ(rc, 5000) << "W6: the write completes the renegotiation, then writes; "
                      << ErrorQueueText();
  EXPECT_TRUE(want_read) << "W6/W8: the write had to read: SSL_ERROR_WANT_READ";
  EXPECT_EQ(handshakes.client, 2) << "W6: a second handshake completed on the client";
  EXPECT_FALSE(SSL_renegotiate_pending(l.client.get())) << "W6: no renegotiation pending";
  EXPECT_EQ(SSL_num_renegotiations(l.client.get()), 1) << "W6: one renegotiation";
  ASSERT_TRUE(DrainApp(l.server.get(), got));
  // (The server's count is not checked: OpenSSL also reports HANDSHAKE_DONE when the
  // server has merely sent its HelloRequest.)
  EXPECT_EQ(got, data) << "W6: the data arrives exactly once, after the renegotiation";
}

TEST(WritePath, W6_RenegotiationStartedLocallyIsPerformedByWrite) {
  Link l = MakeBioPairLink(4096, TLS1_2_VERSION);
  Counted handshakes;
  handshakes.Attach(l);
  // OpenSSL 3.0 servers refuse client-initiated renegotiation unless allowed.
  SSL_set_options(l.server.get(), SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
  ASSERT_EQ(Handshake(l), "");
  ASSERT_EQ(SSL_renegotiate(l.client.get()), 1);
  Bytes data = Pattern(3000, 60);
  Bytes got;
  bool want_read = false;
  int rc = ClientWriteThroughRenegotiation(l, data, got, want_read);
  EXPECT_EQ(rc, 3000) << "W6: the write performs the handshake, then writes; " << ErrorQueueText();
  EXPECT_TRUE(want_read) << "W6/W8: the write had to read: SSL_ERROR_WANT_READ";
  EXPECT_EQ(handshakes.client, 2) << "W6: a second handshake completed";
  ASSERT_TRUE(DrainApp(l.server.get(), got));
  EXPECT_EQ(got, data) << "W6: the data arrives exactly once";
}

}  // namespace
}  // namespace conformance
