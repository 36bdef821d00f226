// SSL_CTX_set_verify(3) / SSL_set_verify(3) with a verify_callback: "The return
// value of verify_callback controls the strategy of the further verification
// process": it is called during the chain's verification with preverify_ok and
// the X509_STORE_CTX (from which SSL_get_ex_data_X509_STORE_CTX_idx() leads to
// the SSL), may accept a failure (return 1) or refuse a success (return 0), and
// SSL_get_verify_result then still reports the error it accepted.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <tuple>
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

// SSL_set_verify between the first handshake step and the peer's certificate takes
// effect: OpenSSL reads the mode and the callback when the certificate arrives.
TEST(VerifyCallback, SetAfterTheHandshakeStartedTakesEffect) {
  Link l = MakeBioPairLink(4096);
  SSL_set_verify(l.client.get(), SSL_VERIFY_NONE, nullptr);
  ASSERT_EQ(SSL_get_error(l.client.get(), SSL_do_handshake(l.client.get())),
            SSL_ERROR_WANT_READ);  // the ClientHello is out
  Reset(l.client.get());
  SSL_set_verify(l.client.get(), SSL_VERIFY_PEER, Observe);
  ASSERT_EQ(Handshake(l), "");
  EXPECT_FALSE(g_calls.empty()) << "the callback set after the ClientHello is called";
}

// A callback that changes the verification from inside (some applications switch
// callbacks as they go): the verification under way is not disturbed.
int SwitchToObserve(int preverify_ok, X509_STORE_CTX* x) {
  Record(preverify_ok, x);
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl != nullptr) SSL_set_verify(ssl, SSL_VERIFY_PEER, Observe);
  return preverify_ok;
}

TEST(VerifyCallback, SetFromInsideTheCallbackIsSafe) {
  for (const int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    Link l = MakeBioPairLink(4096, version);
    Reset(l.client.get());
    SSL_set_verify(l.client.get(), SSL_VERIFY_PEER, SwitchToObserve);
    ASSERT_EQ(Handshake(l), "") << version;
    EXPECT_FALSE(g_calls.empty());
    EXPECT_EQ(SSL_get_verify_callback(l.client.get()), &Observe) << "the switch took";
    EXPECT_EQ(SSL_get_verify_result(l.client.get()), X509_V_OK);
  }
}

TEST(VerifyCallback, ModeSetAfterTheHandshakeStartedTakesEffect) {
  Link l = MakeBioPairLink(4096);
  ASSERT_EQ(SSL_set1_host(l.client.get(), "other.example"), 1);
  SSL_set_verify(l.client.get(), SSL_VERIFY_NONE, nullptr);
  ASSERT_EQ(SSL_get_error(l.client.get(), SSL_do_handshake(l.client.get())), SSL_ERROR_WANT_READ);
  SSL_set_verify(l.client.get(), SSL_VERIFY_PEER, nullptr);
  EXPECT_NE(Handshake(l), "") << "verification, turned on after the ClientHello, refuses";
  EXPECT_EQ(SSL_get_verify_result(l.client.get()), X509_V_ERR_HOSTNAME_MISMATCH);
  ERR_clear_error();
}

TEST(VerifyCallback, Tls12RenegotiationChecksTheSameHostAgain) {
  // The name given with SSL_set1_host is checked in a renegotiation too: a server
  // could otherwise present another trusted certificate, for another name.
  Link l = MakeBioPairLink(4096, TLS1_2_VERSION);
  // A full renegotiation (OpenSSL's would otherwise resume the session, and
  // then no certificate comes at all).
  SSL_set_options(l.server.get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(l.server_ctx.get(), SSL_SESS_CACHE_OFF);
  ASSERT_EQ(SSL_set1_host(l.client.get(), "other.example"), 1);
  SSL_set_verify(l.client.get(), SSL_VERIFY_PEER, AcceptAll);
  Reset(l.client.get());
  ASSERT_EQ(Handshake(l), "");
  ASSERT_EQ(SSL_get_verify_result(l.client.get()), X509_V_ERR_HOSTNAME_MISMATCH);
  g_calls.clear();
  ASSERT_EQ(ServerRequestsRenegotiation(l), "");
  Bytes data = Pattern(100, 5);
  Bytes got;
  int rc = -1;
  for (int i = 0; i < 100 && rc <= 0; ++i) {
    rc = SSL_write(l.client.get(), data.data(), static_cast<int>(data.size()));
    const int err = SSL_get_error(l.client.get(), rc);
    ASSERT_TRUE(rc > 0 || err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
        << ErrorQueueText();
    ASSERT_TRUE(DrainApp(l.server.get(), got));
  }
  ASSERT_EQ(rc, 100);
  EXPECT_EQ(SSL_num_renegotiations(l.client.get()), 1);
  bool saw_mismatch = false;
  for (const Call& c : g_calls) {
    saw_mismatch = saw_mismatch || (c.preverify_ok == 0 && c.error == X509_V_ERR_HOSTNAME_MISMATCH);
  }
  EXPECT_TRUE(saw_mismatch) << "the renegotiation's chain is checked against the same name";
  EXPECT_EQ(SSL_get_verify_result(l.client.get()), X509_V_ERR_HOSTNAME_MISMATCH);
}

// The callback refuses with a given X509_V_ERR_* code at the leaf: the client sends the
// alert libssl maps that code to, and SSL_get_verify_result reports the code.
int g_refuse_with = X509_V_OK;

int RefuseWithCode(int /*preverify_ok*/, X509_STORE_CTX* x) {
  if (X509_STORE_CTX_get_error_depth(x) != 0) return 1;
  X509_STORE_CTX_set_error(x, g_refuse_with);
  return 0;
}

// Runs the handshake to its end on both sides; returns the alert the server received
// (from its error queue entry), or -1.
int AlertTheServerReceived(Link& l) {
  ERR_clear_error();
  for (int i = 0; i < 50; ++i) {
    const int c = SSL_do_handshake(l.client.get());
    const int s = SSL_do_handshake(l.server.get());
    if (c <= 0 && SSL_get_error(l.client.get(), c) == SSL_ERROR_SSL && s <= 0 &&
        SSL_get_error(l.server.get(), s) == SSL_ERROR_SSL) {
      break;
    }
    if (c == 1 && s == 1) break;
  }
  int alert = -1;
  for (unsigned long e; (e = ERR_get_error()) != 0;) {
    const int reason = ERR_GET_REASON(e);
    if (reason > SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256) {
      alert = reason - SSL_AD_REASON_OFFSET;
    }
  }
  return alert;
}

struct CodeAlert {
  int code;
  int alert;
};

class VerifyCallbackAlert : public ::testing::TestWithParam<std::tuple<int, CodeAlert>> {};

TEST_P(VerifyCallbackAlert, RefusalSendsLibsslsAlertForTheCode) {
  const auto [version, want] = GetParam();
  Link l = MakeBioPairLink(4096, version);
  g_refuse_with = want.code;
  SSL_set_verify(l.client.get(), SSL_VERIFY_PEER, RefuseWithCode);
  const int alert = AlertTheServerReceived(l);
  EXPECT_EQ(alert, want.alert) << "X509_V_ERR " << want.code;
  EXPECT_EQ(SSL_get_verify_result(l.client.get()), want.code);
  ERR_clear_error();
}

INSTANTIATE_TEST_SUITE_P(
    Codes, VerifyCallbackAlert,
    ::testing::Combine(
        ::testing::Values(TLS1_3_VERSION, TLS1_2_VERSION),
        ::testing::Values(
            CodeAlert{X509_V_ERR_UNSPECIFIED, SSL_AD_INTERNAL_ERROR},
            CodeAlert{X509_V_ERR_APPLICATION_VERIFICATION, SSL_AD_HANDSHAKE_FAILURE},
            CodeAlert{X509_V_ERR_OUT_OF_MEM, SSL_AD_INTERNAL_ERROR},
            CodeAlert{X509_V_ERR_CERT_HAS_EXPIRED, SSL_AD_CERTIFICATE_EXPIRED},
            CodeAlert{X509_V_ERR_CRL_HAS_EXPIRED, SSL_AD_CERTIFICATE_EXPIRED},
            CodeAlert{X509_V_ERR_CERT_REVOKED, SSL_AD_CERTIFICATE_REVOKED},
            CodeAlert{X509_V_ERR_CERT_NOT_YET_VALID, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_CERT_REJECTED, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_CERT_UNTRUSTED, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_HOSTNAME_MISMATCH, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_EE_KEY_TOO_SMALL, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_CA_MD_TOO_WEAK, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_CERT_SIGNATURE_FAILURE, SSL_AD_DECRYPT_ERROR},
            CodeAlert{X509_V_ERR_CRL_SIGNATURE_FAILURE, SSL_AD_DECRYPT_ERROR},
            CodeAlert{X509_V_ERR_CERT_CHAIN_TOO_LONG, SSL_AD_UNKNOWN_CA},
            CodeAlert{X509_V_ERR_PATH_LENGTH_EXCEEDED, SSL_AD_UNKNOWN_CA},
            CodeAlert{X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, SSL_AD_UNKNOWN_CA},
            CodeAlert{X509_V_ERR_UNABLE_TO_GET_CRL, SSL_AD_UNKNOWN_CA},
            CodeAlert{X509_V_ERR_INVALID_CA, SSL_AD_UNKNOWN_CA},
            CodeAlert{X509_V_ERR_INVALID_PURPOSE, SSL_AD_UNSUPPORTED_CERTIFICATE},
            CodeAlert{X509_V_ERR_CA_KEY_TOO_SMALL, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_EC_KEY_EXPLICIT_PARAMS, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_CRL_NOT_YET_VALID, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_DANE_NO_MATCH, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_EMAIL_MISMATCH, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_IP_ADDRESS_MISMATCH, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE, SSL_AD_BAD_CERTIFICATE},
            CodeAlert{X509_V_ERR_INVALID_CALL, SSL_AD_INTERNAL_ERROR},
            CodeAlert{X509_V_ERR_STORE_LOOKUP, SSL_AD_INTERNAL_ERROR},
            CodeAlert{X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, SSL_AD_UNKNOWN_CA},
            CodeAlert{X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER, SSL_AD_UNKNOWN_CA},
            CodeAlert{X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, SSL_AD_UNKNOWN_CA},
            CodeAlert{X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, SSL_AD_UNKNOWN_CA},
            CodeAlert{X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, SSL_AD_UNKNOWN_CA},
            CodeAlert{X509_V_ERR_SUBTREE_MINMAX, SSL_AD_CERTIFICATE_UNKNOWN},
            CodeAlert{X509_V_ERR_NO_EXPLICIT_POLICY, SSL_AD_CERTIFICATE_UNKNOWN})));

}  // namespace
}  // namespace conformance
