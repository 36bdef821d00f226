// SSL_CTX_set_verify(3) / SSL_set_verify(3) with a verify_callback: "The return
// value of verify_callback controls the strategy of the further verification
// process": it is called during the chain's verification with preverify_ok and
// the X509_STORE_CTX (from which SSL_get_ex_data_X509_STORE_CTX_idx() leads to
// the SSL), may accept a failure (return 1) or refuse a success (return 0), and
// SSL_get_verify_result then still reports the error it accepted.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <vector>

#include "harness.h"

namespace conformance {
namespace {

struct Call {
  int preverify_ok;
  int error;
  int depth;
  bool found_ssl;  // the SSL reached through the store context's ex_data
};

// What the callbacks below saw, and what they answer.
std::vector<Call> g_calls;
SSL* g_expected_ssl = nullptr;

Call Record(int preverify_ok, X509_STORE_CTX* x) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx()));
  Call c{preverify_ok, X509_STORE_CTX_get_error(x), X509_STORE_CTX_get_error_depth(x),
         ssl != nullptr && ssl == g_expected_ssl};
  g_calls.push_back(c);
  return c;
}

int Observe(int preverify_ok, X509_STORE_CTX* x) {
  return Record(preverify_ok, x).preverify_ok;
}

int AcceptAll(int preverify_ok, X509_STORE_CTX* x) {
  Record(preverify_ok, x);
  return 1;
}

int RefuseAll(int preverify_ok, X509_STORE_CTX* x) {
  Record(preverify_ok, x);
  return 0;
}

void Reset(SSL* client) {
  g_calls.clear();
  g_expected_ssl = client;
  ERR_clear_error();
}

TEST(VerifyCallback, CalledWithTheSslForAGoodChain) {
  Link l = MakeBioPairLink(4096);
  Reset(l.client.get());
  SSL_set_verify(l.client.get(), SSL_VERIFY_PEER, Observe);
  ASSERT_EQ(Handshake(l), "");
  ASSERT_FALSE(g_calls.empty()) << "the callback is called during the handshake";
  for (const Call& c : g_calls) {
    EXPECT_EQ(c.preverify_ok, 1);
    EXPECT_EQ(c.error, X509_V_OK);
    EXPECT_TRUE(c.found_ssl) << "X509_STORE_CTX_get_ex_data leads to the SSL";
  }
  EXPECT_EQ(g_calls.back().depth, 0) << "the leaf comes last";
  EXPECT_EQ(SSL_get_verify_result(l.client.get()), X509_V_OK);
  EXPECT_EQ(SSL_get_verify_callback(l.client.get()), &Observe);
}

TEST(VerifyCallback, AcceptingAFailureLetsTheHandshakeGoOnAndTheResultSaysIt) {
  Link l = MakeBioPairLink(4096);
  ASSERT_EQ(SSL_set1_host(l.client.get(), "other.example"), 1);
  Reset(l.client.get());
  SSL_set_verify(l.client.get(), SSL_VERIFY_PEER, AcceptAll);
  ASSERT_EQ(Handshake(l), "") << "the callback accepted the mismatch";
  bool saw_mismatch = false;
  for (const Call& c : g_calls) {
    saw_mismatch = saw_mismatch || (c.preverify_ok == 0 && c.error == X509_V_ERR_HOSTNAME_MISMATCH);
  }
  EXPECT_TRUE(saw_mismatch) << "the callback was told of the mismatch";
  EXPECT_EQ(SSL_get_verify_result(l.client.get()), X509_V_ERR_HOSTNAME_MISMATCH)
      << "the accepted error is still the result";
  Bytes data = Pattern(1000, 3);
  EXPECT_EQ(SSL_write(l.client.get(), data.data(), static_cast<int>(data.size())), 1000);
}

TEST(VerifyCallback, RefusingAGoodChainEndsTheHandshake) {
  Link l = MakeBioPairLink(4096);
  Reset(l.client.get());
  SSL_set_verify(l.client.get(), SSL_VERIFY_PEER, RefuseAll);
  EXPECT_NE(Handshake(l), "") << "the callback refused";
  ASSERT_FALSE(g_calls.empty());
  EXPECT_EQ(g_calls.size(), 1u) << "the first refusal ends the verification";
  EXPECT_EQ(g_calls[0].preverify_ok, 1);
  EXPECT_EQ(FirstErrorReason(), SSL_R_CERTIFICATE_VERIFY_FAILED) << ErrorQueueText();
  // OpenSSL 3.0: a refusal without an error is recorded as "unspecified".
  EXPECT_EQ(SSL_get_verify_result(l.client.get()), X509_V_ERR_UNSPECIFIED);
  ERR_clear_error();
}

TEST(VerifyCallback, ContextCallbackIsTakenBySslsMadeAfter) {
  Link l = MakeBioPairLink(4096, TLS1_3_VERSION, false);
  SSL_CTX_set_verify(l.client_ctx.get(), SSL_VERIFY_PEER, Observe);
  EXPECT_EQ(SSL_CTX_get_verify_callback(l.client_ctx.get()), &Observe);
  // A fresh client from the context now carrying the callback.
  l.client.reset(SSL_new(l.client_ctx.get()));
  ASSERT_NE(l.client, nullptr);
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  ASSERT_EQ(BIO_new_bio_pair(&client_bio, 4096, &server_bio, 4096), 1);
  SSL_set_bio(l.client.get(), client_bio, client_bio);
  SSL_set_bio(l.server.get(), server_bio, server_bio);
  SSL_set_connect_state(l.client.get());
  SSL_set_accept_state(l.server.get());
  ASSERT_EQ(SSL_set1_host(l.client.get(), "localhost"), 1);
  EXPECT_EQ(SSL_get_verify_callback(l.client.get()), &Observe);
  Reset(l.client.get());
  std::string err = HandshakeSsl(l.client.get(), l.server.get());
  ASSERT_EQ(err, "");
  EXPECT_FALSE(g_calls.empty()) << "the context's callback is called";
}

TEST(VerifyCallback, CalledWithVerifyNoneAndItsAnswerIgnored) {
  // SSL_VERIFY_NONE: "the result of the certificate verification process can be
  // checked after the TLS/SSL handshake"; the callback still sees the chain, and
  // refusing it does not end the handshake.
  Link l = MakeBioPairLink(4096);
  ASSERT_EQ(SSL_set1_host(l.client.get(), "other.example"), 1);
  Reset(l.client.get());
  SSL_set_verify(l.client.get(), SSL_VERIFY_NONE, RefuseAll);
  ASSERT_EQ(Handshake(l), "");
  EXPECT_FALSE(g_calls.empty()) << "the callback is called in SSL_VERIFY_NONE mode too";
  EXPECT_EQ(SSL_get_verify_result(l.client.get()), X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST(VerifyCallback, Tls12ClientCallsItToo) {
  Link l = MakeBioPairLink(4096, TLS1_2_VERSION);
  ASSERT_EQ(SSL_set1_host(l.client.get(), "other.example"), 1);
  Reset(l.client.get());
  SSL_set_verify(l.client.get(), SSL_VERIFY_PEER, AcceptAll);
  ASSERT_EQ(Handshake(l), "") << "the callback accepted the mismatch";
  EXPECT_EQ(SSL_version(l.client.get()), TLS1_2_VERSION);
  EXPECT_FALSE(g_calls.empty());
  EXPECT_EQ(SSL_get_verify_result(l.client.get()), X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST(VerifyCallback, NullCallbackInSslSetVerifyKeepsTheOneThere) {
  Link l = MakeBioPairLink(4096);
  SSL_set_verify(l.client.get(), SSL_VERIFY_PEER, RefuseAll);
  SSL_set_verify(l.client.get(), SSL_VERIFY_PEER, nullptr);
  EXPECT_EQ(SSL_get_verify_callback(l.client.get()), &RefuseAll);
  Reset(l.client.get());
  EXPECT_NE(Handshake(l), "") << "the kept callback still refuses";
  EXPECT_FALSE(g_calls.empty());
  ERR_clear_error();
}

// Mutual TLS: the server verifies the client's certificate (the test identity,
// trusted by the server) through a callback of its context.
void TestServerCallback(int version, SSL_verify_cb cb, bool expect_ok) {
  Link l;
  l.client_ctx = MakeClientCtx(version);
  l.server_ctx = MakeServerCtx(version);
  UseTestIdentity(l.client_ctx.get());
  TrustTestIdentity(l.server_ctx.get());
  SSL_CTX_set_verify(l.server_ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, cb);
  l.client.reset(SSL_new(l.client_ctx.get()));
  l.server.reset(SSL_new(l.server_ctx.get()));
  ASSERT_TRUE(l.client && l.server);
  ASSERT_EQ(SSL_set1_host(l.client.get(), "localhost"), 1);
  ASSERT_EQ(BIO_new_bio_pair(&l.client_bio, 4096, &l.server_bio, 4096), 1);
  SSL_set_bio(l.client.get(), l.client_bio, l.client_bio);
  SSL_set_bio(l.server.get(), l.server_bio, l.server_bio);
  SSL_set_connect_state(l.client.get());
  SSL_set_accept_state(l.server.get());
  Reset(l.server.get());
  const std::string err = Handshake(l);
  EXPECT_FALSE(g_calls.empty()) << "the server's callback is called for the client's chain";
  for (const Call& c : g_calls) EXPECT_TRUE(c.found_ssl) << "it leads to the server's SSL";
  if (expect_ok) {
    EXPECT_EQ(err, "");
    EXPECT_EQ(SSL_get_verify_result(l.server.get()), X509_V_OK);
  } else {
    EXPECT_NE(err, "") << "the server's callback refused the client";
    // Where the failure shows depends on the version (TLS 1.3 clients finish
    // first); the server refused either way.
    EXPECT_EQ(SSL_get_verify_result(l.server.get()), X509_V_ERR_UNSPECIFIED);
  }
  ERR_clear_error();
}

TEST(VerifyCallback, ServerCallsItForTheClientsCertificate) {
  TestServerCallback(TLS1_3_VERSION, Observe, true);
}

TEST(VerifyCallback, ServerCallbackRefusingEndsTheHandshake) {
  TestServerCallback(TLS1_3_VERSION, RefuseAll, false);
}

TEST(VerifyCallback, Tls12ServerCallbackRefusingEndsTheHandshake) {
  TestServerCallback(TLS1_2_VERSION, RefuseAll, false);
}

}  // namespace
}  // namespace conformance
