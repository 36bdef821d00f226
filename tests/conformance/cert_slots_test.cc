// Several certificates in one SSL_CTX (nginx's two ssl_certificate lines,
// HAProxy's RSA and ECDSA bundle): one slot per key type, the "current"
// certificate the single-certificate functions act on, the walk with
// SSL_CTX_set_current_cert, the certificate each handshake sends; and the CA
// names a server puts in its CertificateRequest, as the client sees them
// with SSL_get_client_CA_list. Both builds must agree.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>

#include "harness.h"

namespace conformance {
namespace {

using Ident = KeyAndCert;

// A self-signed certificate for "localhost" over `key` (taken).
void Sign(Ident& id, EVP_PKEY* key, const char* cn) {
  id.key = key;
  ASSERT_NE(id.key, nullptr);
  id.cert = X509_new();
  X509_set_version(id.cert, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(id.cert), 11);
  X509_gmtime_adj(X509_getm_notBefore(id.cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(id.cert), 24 * 3600);
  X509_NAME* name = X509_get_subject_name(id.cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509_set_issuer_name(id.cert, name);
  X509_set_pubkey(id.cert, id.key);
  ASSERT_GT(X509_sign(id.cert, id.key, EVP_sha256()), 0);
}

// Made once: RSA keys are slow to make.
const Ident& Rsa() {
  static Ident* id = [] {
    auto* i = new Ident;
    Sign(*i, EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)), "rsa.test");
    return i;
  }();
  return *id;
}
const Ident& Ec(int which = 0) {
  static Ident* ids[2] = {};
  if (ids[which] == nullptr) {
    ids[which] = new Ident;
    Sign(*ids[which], EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
         which == 0 ? "ec.test" : "ec2.test");
  }
  return *ids[which];
}

std::string Cn(const X509* x) {
  if (x == nullptr) return "(none)";
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
  return cn;
}

CtxPtr ServerWithBoth(int version) {
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), version);
  SSL_CTX_set_max_proto_version(ctx.get(), version);
  // ECDSA first, then RSA: the order must not matter.
  EXPECT_EQ(SSL_CTX_use_certificate(ctx.get(), Ec().cert), 1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), Ec().key), 1);
  EXPECT_EQ(SSL_CTX_use_certificate(ctx.get(), Rsa().cert), 1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), Rsa().key), 1);
  return ctx;
}

CtxPtr Client(int version) {
  CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), version);
  SSL_CTX_set_max_proto_version(ctx.get(), version);
  return ctx;
}

TEST(CertSlots, OneSlotPerKeyTypeAndTheWalk) {
  CtxPtr ctx = ServerWithBoth(TLS1_3_VERSION);
  // The last one set is current; both are whole.
  EXPECT_EQ(Cn(SSL_CTX_get0_certificate(ctx.get())), "rsa.test");
  EXPECT_EQ(SSL_CTX_get0_privatekey(ctx.get()), Rsa().key);
  EXPECT_EQ(SSL_CTX_check_private_key(ctx.get()), 1);
  // SSL_CERT_SET_FIRST / _NEXT walk them in OpenSSL's slot order (RSA
  // before ECDSA), then report the end.
  std::vector<std::string> walked;
  for (int r = SSL_CTX_set_current_cert(ctx.get(), SSL_CERT_SET_FIRST); r == 1;
       r = SSL_CTX_set_current_cert(ctx.get(), SSL_CERT_SET_NEXT)) {
    walked.push_back(Cn(SSL_CTX_get0_certificate(ctx.get())));
    EXPECT_EQ(SSL_CTX_check_private_key(ctx.get()), 1);
    ASSERT_LT(walked.size(), 10u);
  }
  EXPECT_EQ(walked, (std::vector<std::string>{"rsa.test", "ec.test"}));
  // At the end the last one stays current.
  EXPECT_EQ(Cn(SSL_CTX_get0_certificate(ctx.get())), "ec.test");
  EXPECT_EQ(SSL_CTX_select_current_cert(ctx.get(), Rsa().cert), 1);
  EXPECT_EQ(Cn(SSL_CTX_get0_certificate(ctx.get())), "rsa.test");
  EXPECT_EQ(SSL_CTX_select_current_cert(ctx.get(), Ec(1).cert), 0);  // never loaded
  EXPECT_EQ(Cn(SSL_CTX_get0_certificate(ctx.get())), "rsa.test");
  // Intermediates belong to the current certificate.
  ASSERT_EQ(SSL_CTX_add1_chain_cert(ctx.get(), Ec(1).cert), 1);
  STACK_OF(X509)* chain = nullptr;
  ASSERT_EQ(SSL_CTX_get0_chain_certs(ctx.get(), &chain), 1);
  EXPECT_EQ(sk_X509_num(chain), 1);
  ASSERT_EQ(SSL_CTX_select_current_cert(ctx.get(), Ec().cert), 1);
  ASSERT_EQ(SSL_CTX_get0_chain_certs(ctx.get(), &chain), 1);
  EXPECT_EQ(sk_X509_num(chain), -1);  // none: a null stack
}

TEST(CertSlots, AKeyGoesToTheSlotOfItsType) {
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  EXPECT_EQ(SSL_CTX_set_current_cert(ctx.get(), SSL_CERT_SET_FIRST), 0);  // nothing yet
  ASSERT_EQ(SSL_CTX_use_certificate(ctx.get(), Rsa().cert), 1);
  // An EC key with an RSA certificate current: it fills the EC slot, which
  // becomes current and has no certificate.
  ASSERT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), Ec().key), 1);
  EXPECT_EQ(SSL_CTX_get0_certificate(ctx.get()), nullptr);
  EXPECT_EQ(SSL_CTX_get0_privatekey(ctx.get()), Ec().key);
  EXPECT_EQ(SSL_CTX_check_private_key(ctx.get()), 0);
  ERR_clear_error();
  EXPECT_EQ(SSL_CTX_set_current_cert(ctx.get(), SSL_CERT_SET_FIRST), 0);  // none whole
  ASSERT_EQ(SSL_CTX_use_certificate(ctx.get(), Ec().cert), 1);
  EXPECT_EQ(SSL_CTX_check_private_key(ctx.get()), 1);
  EXPECT_EQ(SSL_CTX_set_current_cert(ctx.get(), SSL_CERT_SET_FIRST), 1);
  EXPECT_EQ(Cn(SSL_CTX_get0_certificate(ctx.get())), "ec.test");
  EXPECT_EQ(SSL_CTX_set_current_cert(ctx.get(), SSL_CERT_SET_NEXT), 0);
}

TEST(CertSlots, ANewCertificateDropsAKeyThatDoesNotFit) {
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  ASSERT_EQ(SSL_CTX_use_certificate(ctx.get(), Ec().cert), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), Ec().key), 1);
  ASSERT_EQ(SSL_CTX_use_certificate(ctx.get(), Ec(1).cert), 1);  // same slot
  EXPECT_EQ(SSL_CTX_get0_privatekey(ctx.get()), nullptr);
  EXPECT_EQ(SSL_CTX_check_private_key(ctx.get()), 0);
  ERR_clear_error();
  EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), Ec().key), 0);  // not its key
  ERR_clear_error();
  EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), Ec(1).key), 1);
  EXPECT_EQ(SSL_CTX_check_private_key(ctx.get()), 1);
}

TEST(CertSlots, ExtraChainCertificatesAreTheContexts) {
  CtxPtr ctx = ServerWithBoth(TLS1_3_VERSION);
  STACK_OF(X509)* extra = nullptr;
  ASSERT_EQ(SSL_CTX_get_extra_chain_certs(ctx.get(), &extra), 1);
  EXPECT_EQ(sk_X509_num(extra), -1);
  X509_up_ref(Ec(1).cert);
  ASSERT_EQ(SSL_CTX_add_extra_chain_cert(ctx.get(), Ec(1).cert), 1);  // taken
  ASSERT_EQ(SSL_CTX_get_extra_chain_certs(ctx.get(), &extra), 1);
  EXPECT_EQ(sk_X509_num(extra), 1);
  ASSERT_EQ(SSL_CTX_get_extra_chain_certs_only(ctx.get(), &extra), 1);
  EXPECT_EQ(sk_X509_num(extra), 1);
  STACK_OF(X509)* chain = nullptr;
  ASSERT_EQ(SSL_CTX_get0_chain_certs(ctx.get(), &chain), 1);
  EXPECT_EQ(sk_X509_num(chain), -1);  // not the current certificate's own
  ASSERT_EQ(SSL_CTX_clear_extra_chain_certs(ctx.get()), 1);
  ASSERT_EQ(SSL_CTX_get_extra_chain_certs_only(ctx.get(), &extra), 1);
  EXPECT_EQ(sk_X509_num(extra), -1);
}

struct Chosen {
  std::string client_saw;
  std::string server_has;
};

Chosen Handshake(SSL_CTX* cctx, SSL_CTX* sctx) {
  SslPair p = MakeSslPairOn(cctx, sctx);
  const std::string err = HandshakeSsl(p.client.get(), p.server.get());
  if (!err.empty()) return {"failed: " + err, ""};
  X509* peer = SSL_get1_peer_certificate(p.client.get());
  Chosen c{Cn(peer), Cn(SSL_get_certificate(p.server.get()))};
  X509_free(peer);
  // The key of the certificate sent.
  EVP_PKEY* key = SSL_get_privatekey(p.server.get());
  if (key == nullptr || X509_check_private_key(SSL_get_certificate(p.server.get()), key) != 1) {
    c.server_has += " (key does not match)";
  }
  EXPECT_EQ(SSL_set_current_cert(p.server.get(), SSL_CERT_SET_SERVER), 1);
  EXPECT_EQ(SSL_set_current_cert(p.client.get(), SSL_CERT_SET_SERVER), 0);
  return c;
}

TEST(CertSlots, Tls13_TheClientsFirstSchemeDecides) {
  // Both libraries' clients list ECDSA schemes first.
  CtxPtr sctx = ServerWithBoth(TLS1_3_VERSION);
  CtxPtr cctx = Client(TLS1_3_VERSION);
  Chosen c = Handshake(cctx.get(), sctx.get());
  EXPECT_EQ(c.client_saw, "ec.test");
  EXPECT_EQ(c.server_has, "ec.test");
  // Which one was current when the SSL was made does not matter.
  ASSERT_EQ(SSL_CTX_select_current_cert(sctx.get(), Rsa().cert), 1);
  c = Handshake(cctx.get(), sctx.get());
  EXPECT_EQ(c.client_saw, "ec.test");
  // RSA only: RSA.
  CtxPtr rsa_only(SSL_CTX_new(TLS_server_method()));
  ASSERT_EQ(SSL_CTX_use_certificate(rsa_only.get(), Rsa().cert), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(rsa_only.get(), Rsa().key), 1);
  c = Handshake(cctx.get(), rsa_only.get());
  EXPECT_EQ(c.client_saw, "rsa.test");
  EXPECT_EQ(c.server_has, "rsa.test");
}

TEST(CertSlots, Tls12_TheSuiteDecides) {
  CtxPtr sctx = ServerWithBoth(TLS1_2_VERSION);
  CtxPtr cctx = Client(TLS1_2_VERSION);
  ASSERT_EQ(SSL_CTX_set_cipher_list(cctx.get(), "ECDHE-RSA-AES128-GCM-SHA256"), 1);
  Chosen c = Handshake(cctx.get(), sctx.get());
  EXPECT_EQ(c.client_saw, "rsa.test");
  EXPECT_EQ(c.server_has, "rsa.test");
  ASSERT_EQ(SSL_CTX_set_cipher_list(cctx.get(), "ECDHE-ECDSA-AES128-GCM-SHA256"), 1);
  c = Handshake(cctx.get(), sctx.get());
  EXPECT_EQ(c.client_saw, "ec.test");
  EXPECT_EQ(c.server_has, "ec.test");
}

// ---- CA names ---------------------------------------------------------------------------------

int g_names_in_callback = -2;

int ClientCertCallback(SSL* s, X509** x, EVP_PKEY** k) {
  g_names_in_callback = sk_X509_NAME_num(SSL_get_client_CA_list(s));
  X509_up_ref(Ec(1).cert);
  EVP_PKEY_up_ref(Ec(1).key);
  *x = Ec(1).cert;
  *k = Ec(1).key;
  return 1;
}

int AcceptAny(int, X509_STORE_CTX*) {
  return 1;
}

class CaNames : public ::testing::TestWithParam<int> {};

TEST_P(CaNames, TheClientSeesTheServersNames) {
  CtxPtr sctx = ServerWithBoth(GetParam());
  SSL_CTX_set_verify(sctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, AcceptAny);
  ASSERT_EQ(SSL_CTX_add_client_CA(sctx.get(), Rsa().cert), 1);
  ASSERT_EQ(SSL_CTX_add_client_CA(sctx.get(), Ec(1).cert), 1);
  CtxPtr cctx = Client(GetParam());
  SSL_CTX_set_client_cert_cb(cctx.get(), ClientCertCallback);
  SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
  EXPECT_EQ(SSL_get_client_CA_list(p.client.get()), nullptr);  // nothing received yet
  g_names_in_callback = -2;
  ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "");
  EXPECT_EQ(g_names_in_callback, 2);
  STACK_OF(X509_NAME)* got = SSL_get_client_CA_list(p.client.get());
  ASSERT_EQ(sk_X509_NAME_num(got), 2);
  EXPECT_EQ(X509_NAME_cmp(sk_X509_NAME_value(got, 0), X509_get_subject_name(Rsa().cert)), 0);
  EXPECT_EQ(X509_NAME_cmp(sk_X509_NAME_value(got, 1), X509_get_subject_name(Ec(1).cert)), 0);
  // The server's own list is what it was given.
  EXPECT_EQ(sk_X509_NAME_num(SSL_get_client_CA_list(p.server.get())), 2);
  X509* peer = SSL_get1_peer_certificate(p.server.get());
  EXPECT_EQ(Cn(peer), "ec2.test");
  X509_free(peer);
}

TEST_P(CaNames, PerSslListReplacesTheContexts) {
  CtxPtr sctx = ServerWithBoth(GetParam());
  SSL_CTX_set_verify(sctx.get(), SSL_VERIFY_PEER, AcceptAny);
  ASSERT_EQ(SSL_CTX_add_client_CA(sctx.get(), Rsa().cert), 1);
  CtxPtr cctx = Client(GetParam());
  SSL_CTX_set_client_cert_cb(cctx.get(), ClientCertCallback);
  SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
  STACK_OF(X509_NAME)* mine = sk_X509_NAME_new_null();
  sk_X509_NAME_push(mine, X509_NAME_dup(X509_get_subject_name(Ec().cert)));
  SSL_set_client_CA_list(p.server.get(), mine);  // taken
  ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "");
  STACK_OF(X509_NAME)* got = SSL_get_client_CA_list(p.client.get());
  ASSERT_EQ(sk_X509_NAME_num(got), 1);
  EXPECT_EQ(X509_NAME_cmp(sk_X509_NAME_value(got, 0), X509_get_subject_name(Ec().cert)), 0);
}

int SetNamesForThisConnection(SSL* s, int*, void*) {
  STACK_OF(X509_NAME)* mine = sk_X509_NAME_new_null();
  sk_X509_NAME_push(mine, X509_NAME_dup(X509_get_subject_name(Ec(1).cert)));
  SSL_set_client_CA_list(s, mine);
  return SSL_TLSEXT_ERR_OK;
}

TEST_P(CaNames, SetInTheServernameCallback) {
  CtxPtr sctx = ServerWithBoth(GetParam());
  SSL_CTX_set_verify(sctx.get(), SSL_VERIFY_PEER, AcceptAny);
  SSL_CTX_set_tlsext_servername_callback(sctx.get(), SetNamesForThisConnection);
  CtxPtr cctx = Client(GetParam());
  SSL_CTX_set_client_cert_cb(cctx.get(), ClientCertCallback);
  SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
  ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "");
  STACK_OF(X509_NAME)* got = SSL_get_client_CA_list(p.client.get());
  ASSERT_EQ(sk_X509_NAME_num(got), 1);
  EXPECT_EQ(X509_NAME_cmp(sk_X509_NAME_value(got, 0), X509_get_subject_name(Ec(1).cert)), 0);
}

TEST_P(CaNames, NoneSetNoneReceived) {
  CtxPtr sctx = ServerWithBoth(GetParam());
  SSL_CTX_set_verify(sctx.get(), SSL_VERIFY_PEER, AcceptAny);
  CtxPtr cctx = Client(GetParam());
  SSL_CTX_set_client_cert_cb(cctx.get(), ClientCertCallback);
  SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
  ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "");
  // OpenSSL's TLS 1.2 client keeps an empty list, its TLS 1.3 client none.
  EXPECT_LE(sk_X509_NAME_num(SSL_get_client_CA_list(p.client.get())), 0);
}

INSTANTIATE_TEST_SUITE_P(Versions, CaNames, ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION),
                         [](const auto& p) {
                           return std::string(p.param == TLS1_2_VERSION ? "Tls12" : "Tls13");
                         });

// SSL_CTX_build_cert_chain(3) (lighttpd builds its chain with it when it
// verifies clients): from the verify store, with or without the root; a
// store without the issuer fails, or gives 2 with
// SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR; SSL_BUILD_CHAIN_FLAG_CHECK builds from
// the certificates already there only.
int ChainLength(SSL_CTX* ctx) {
  STACK_OF(X509)* chain = nullptr;
  EXPECT_EQ(SSL_CTX_get0_chain_certs(ctx, &chain), 1);
  return chain == nullptr ? 0 : sk_X509_num(chain);
}

TEST(CertSlots, BuildCertChainFromTheStore) {
  Ident ca;
  Sign(ca, EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), "build-chain ca");
  X509_EXTENSION* bc = X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints,
                                           const_cast<char*>("critical,CA:TRUE"));
  ASSERT_NE(bc, nullptr);
  X509_add_ext(ca.cert, bc, -1);
  X509_EXTENSION_free(bc);
  ASSERT_GT(X509_sign(ca.cert, ca.key, EVP_sha256()), 0);
  Ident leaf;
  Sign(leaf, EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), "build-chain leaf");
  X509_set_issuer_name(leaf.cert, X509_get_subject_name(ca.cert));
  ASSERT_GT(X509_sign(leaf.cert, ca.key, EVP_sha256()), 0);

  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  ASSERT_EQ(SSL_CTX_use_certificate(ctx.get(), leaf.cert), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), leaf.key), 1);
  EXPECT_EQ(SSL_CTX_build_cert_chain(ctx.get(), 0), 0) << "the issuer is not in the store";
  EXPECT_NE(ERR_peek_error(), 0u);
  ERR_clear_error();
  EXPECT_EQ(SSL_CTX_build_cert_chain(
                ctx.get(), SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR | SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR),
            2);
  EXPECT_EQ(ERR_peek_error(), 0u) << "cleared";
  ASSERT_EQ(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), ca.cert), 1);
  EXPECT_EQ(SSL_CTX_build_cert_chain(ctx.get(), SSL_BUILD_CHAIN_FLAG_CHECK), 0)
      << "the chain has no issuer yet (the store does not count)";
  ERR_clear_error();
  EXPECT_EQ(SSL_CTX_build_cert_chain(ctx.get(), 0), 1);
  EXPECT_EQ(ChainLength(ctx.get()), 1) << "the root after the leaf";
  EXPECT_EQ(SSL_CTX_build_cert_chain(ctx.get(), SSL_BUILD_CHAIN_FLAG_CHECK), 1);
  EXPECT_EQ(ChainLength(ctx.get()), 1);
  EXPECT_EQ(SSL_CTX_build_cert_chain(ctx.get(), SSL_BUILD_CHAIN_FLAG_NO_ROOT), 1);
  EXPECT_EQ(ChainLength(ctx.get()), 0) << "without the root nothing is left";
}

}  // namespace
}  // namespace conformance
