// SSL_set1_verify_cert_store(3) and SSL_CTX_set1_verify_cert_store: a server
// verifies its client's chain against the SSL's own store (lighttpd sets one
// in its certificate callback), else the context's verify store, else the
// context's certificate store. SSL_set1_chain_cert_store with
// SSL_build_cert_chain: lighttpd builds its own chain so.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <functional>
#include <memory>
#include <string>

#include "harness.h"

namespace conformance {
namespace {

struct StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
using StorePtr = std::unique_ptr<X509_STORE, StoreFree>;

// A store that trusts the test identity (the client's certificate here).
StorePtr TrustingStore() {
  StorePtr st(X509_STORE_new());
  CtxPtr c = MakeServerCtx();
  EXPECT_EQ(X509_STORE_add_cert(st.get(), SSL_CTX_get0_certificate(c.get())), 1);
  return st;
}

X509_STORE* g_store_for_callback = nullptr;

int SetStoreInCertCallback(SSL* s, void*) {
  return SSL_set1_verify_cert_store(s, g_store_for_callback) == 1 ? 1 : 0;
}

class VerifyStore : public ::testing::TestWithParam<int> {
 protected:
  // A server requiring a client certificate, whose context trusts nothing,
  // and a client sending the test identity.
  CtxPtr sctx = MakeServerCtx(GetParam());
  CtxPtr cctx = MakeClientCtx(GetParam());
  void SetUp() override {
    UseTestIdentity(cctx.get());
    SSL_CTX_set_verify(sctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  // Whether the handshake completes (the client certificate verified).
  bool Handshakes(const std::function<void(SSL* server)>& setup) {
    SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
    EXPECT_TRUE(p.client && p.server);
    if (!p.client) return false;
    setup(p.server.get());
    const bool ok = HandshakeSsl(p.client.get(), p.server.get()).empty();
    if (ok) {
      EXPECT_EQ(SSL_get_verify_result(p.server.get()), X509_V_OK);
    } else {
      // TLS 1.3: the client may finish before the server refuses; a read shows it.
      EXPECT_NE(SSL_get_verify_result(p.server.get()), X509_V_OK);
    }
    ERR_clear_error();
    return ok;
  }
};

TEST_P(VerifyStore, TheSslsStoreDecides) {
  StorePtr st = TrustingStore();
  EXPECT_FALSE(Handshakes([](SSL*) {})) << "the context trusts nothing";
  EXPECT_TRUE(Handshakes([&](SSL* s) { ASSERT_EQ(SSL_set1_verify_cert_store(s, st.get()), 1); }));
  // Set in the server's certificate callback, during the handshake.
  g_store_for_callback = st.get();
  SSL_CTX_set_cert_cb(sctx.get(), SetStoreInCertCallback, nullptr);
  EXPECT_TRUE(Handshakes([](SSL*) {}));
  g_store_for_callback = nullptr;
}

TEST_P(VerifyStore, TheContextsVerifyStore) {
  StorePtr st = TrustingStore();
  ASSERT_EQ(SSL_CTX_set1_verify_cert_store(sctx.get(), st.get()), 1);
  EXPECT_TRUE(Handshakes([](SSL*) {}));
  // An empty store on the SSL takes its place: nothing is trusted.
  StorePtr empty(X509_STORE_new());
  EXPECT_FALSE(
      Handshakes([&](SSL* s) { ASSERT_EQ(SSL_set1_verify_cert_store(s, empty.get()), 1); }));
}

INSTANTIATE_TEST_SUITE_P(Versions, VerifyStore, ::testing::Values(TLS1_3_VERSION, TLS1_2_VERSION),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::string(p.param == TLS1_2_VERSION ? "Tls12" : "Tls13");
                         });

}  // namespace
}  // namespace conformance
