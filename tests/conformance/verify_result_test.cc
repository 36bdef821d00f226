// SSL_get_verify_result(3): "returns the result of the verification of the
// X509 certificate presented by the peer". A client that refuses the
// server's certificate must be able to say why after the failed handshake
// (`rapidtls get`, curl and others print it).
#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include "harness.h"

namespace conformance {
namespace {

TEST(VerifyResult, OkAfterASuccessfulHandshake) {
  Link l = MakeBioPairLink(4096);
  ASSERT_EQ(Handshake(l), "");
  EXPECT_EQ(SSL_get_verify_result(l.client.get()), X509_V_OK);
}

TEST(VerifyResult, HostnameMismatchKeptAfterTheFailedHandshake) {
  Link l = MakeBioPairLink(4096);
  ASSERT_EQ(SSL_set1_host(l.client.get(), "other.example"), 1);
  ERR_clear_error();
  EXPECT_NE(Handshake(l), "") << "a certificate for another name ends the handshake";
  EXPECT_EQ(SSL_get_verify_result(l.client.get()), X509_V_ERR_HOSTNAME_MISMATCH)
      << "the reason stays readable after the failure";
  ERR_clear_error();
}

}  // namespace
}  // namespace conformance
