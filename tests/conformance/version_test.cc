// SSL_get_version(3) and SSL_version(3) name the version the handshake
// negotiated (access logs and `-v` outputs print them).
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

}  // namespace
}  // namespace conformance
