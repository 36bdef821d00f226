// SSL_get_version(3) and SSL_version(3) name the version the handshake
// negotiated (access logs and `-v` outputs print them); a client that falls
// back to a lower version says so (SSL_MODE_SEND_FALLBACK_SCSV, RFC 7507).
#include <gtest/gtest.h>

#include <string>

#include "harness.h"

namespace conformance {
namespace {

TEST(Version, Tls13NamedAfterTheHandshake) {
  Link l = MakeBioPairLink(4096, TLS1_3_VERSION);
  ASSERT_EQ(Handshake(l), "");
  EXPECT_EQ(std::string(SSL_get_version(l.server.get())), "TLSv1.3");
  EXPECT_EQ(SSL_version(l.client.get()), TLS1_3_VERSION);
}

TEST(Version, Tls12NamedAfterTheHandshake) {
  Link l = MakeBioPairLink(4096, TLS1_2_VERSION);
  ASSERT_EQ(Handshake(l), "");
  EXPECT_EQ(std::string(SSL_get_version(l.server.get())), "TLSv1.2");
  EXPECT_EQ(std::string(SSL_get_version(l.client.get())), "TLSv1.2");
  EXPECT_EQ(SSL_version(l.server.get()), TLS1_2_VERSION);
}

// Both sides from TLS 1.2 to TLS 1.3 (MakeBioPairLink pins one version).
void OfferBothVersions(Link& l) {
  for (SSL* s : {l.client.get(), l.server.get()}) {
    ASSERT_TRUE(SSL_set_min_proto_version(s, TLS1_2_VERSION));
    ASSERT_TRUE(SSL_set_max_proto_version(s, TLS1_3_VERSION));
  }
}

// RFC 7507: a client retrying at TLS 1.2 with SSL_MODE_SEND_FALLBACK_SCSV
// sends TLS_FALLBACK_SCSV; a server that speaks TLS 1.3 refuses the
// connection with inappropriate_fallback.
TEST(Version, FallbackScsvToAServerThatDoesBetterIsRefused) {
  Link l = MakeBioPairLink(4096, TLS1_3_VERSION);
  OfferBothVersions(l);
  ASSERT_TRUE(SSL_set_max_proto_version(l.client.get(), TLS1_2_VERSION));
  EXPECT_EQ(SSL_set_mode(l.client.get(), SSL_MODE_SEND_FALLBACK_SCSV) & SSL_MODE_SEND_FALLBACK_SCSV,
            static_cast<long>(SSL_MODE_SEND_FALLBACK_SCSV));
  ERR_clear_error();
  EXPECT_NE(Handshake(l), "");
  EXPECT_EQ(FirstErrorReason(), SSL_R_INAPPROPRIATE_FALLBACK) << ErrorQueueText();
  EXPECT_EQ(SSL_get_error(l.client.get(), -1), SSL_ERROR_SSL);
}

// The same client without the mode, and the same mode toward a server whose
// best is TLS 1.2, connect at TLS 1.2.
TEST(Version, FallbackScsvOnlyRefusedWhereTheServerDoesBetter) {
  {
    Link l = MakeBioPairLink(4096, TLS1_3_VERSION);
    OfferBothVersions(l);
    ASSERT_TRUE(SSL_set_max_proto_version(l.client.get(), TLS1_2_VERSION));
    ASSERT_EQ(Handshake(l), "");
    EXPECT_EQ(SSL_version(l.client.get()), TLS1_2_VERSION);
  }
  {
    Link l = MakeBioPairLink(4096, TLS1_2_VERSION);
    SSL_set_mode(l.client.get(), SSL_MODE_SEND_FALLBACK_SCSV);
    ASSERT_EQ(Handshake(l), "");
    EXPECT_EQ(SSL_version(l.client.get()), TLS1_2_VERSION);
  }
}

}  // namespace
}  // namespace conformance
