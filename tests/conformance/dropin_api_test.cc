// The functions unmodified programs (curl, Python's ssl, libpq, libmariadb,
// socat, postgres) call, beyond the write and read paths: per-SSL settings,
// verification parameters, the servername and message callbacks, cipher
// lists and descriptions, Finished messages, SSL_clear, CA name lists, the
// strings programs log. Both builds must agree.
// TLSv1_2_client_method, TLSv1_method and the SRP setters are deprecated in
// OpenSSL 3.0; programs still call them, so the tests do too.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "harness.h"

namespace conformance {
namespace {

using Cert = KeyAndCert;

// A self-signed ECDSA P-256 certificate for `host`.
void MakeCert(Cert& c, const char* host) {
  c.key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(c.key, nullptr);
  c.cert = X509_new();
  X509_set_version(c.cert, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(c.cert), 7);
  X509_gmtime_adj(X509_getm_notBefore(c.cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c.cert), 24 * 3600);
  X509_NAME* name = X509_get_subject_name(c.cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(host),
                             -1, -1, 0);
  X509_set_issuer_name(c.cert, name);
  X509_set_pubkey(c.cert, c.key);
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, c.cert, c.cert, nullptr, nullptr, 0);
  const std::string san = std::string("DNS:") + host;
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san.c_str());
  ASSERT_NE(ext, nullptr);
  X509_add_ext(c.cert, ext, -1);
  X509_EXTENSION_free(ext);
  ASSERT_GT(X509_sign(c.cert, c.key, EVP_sha256()), 0);
}

std::string PeerCn(SSL* s) {
  X509* peer = SSL_get1_peer_certificate(s);
  if (peer == nullptr) return "";
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
  X509_free(peer);
  return cn;
}

TEST(DropinApi, DefaultTimeoutAndMethods) {
  CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  SslPtr s(SSL_new(ctx.get()));
  EXPECT_EQ(SSL_get_default_timeout(s.get()), 7200);
  EXPECT_EQ(SSL_get_verify_mode(s.get()), SSL_VERIFY_NONE);
  // The fixed TLS 1.2 method speaks TLS 1.2 only (its contexts still report
  // no version bounds of their own).
  CtxPtr v12(SSL_CTX_new(TLSv1_2_client_method()));
  ASSERT_TRUE(v12);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(v12.get()), 0);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(v12.get()), 0);
  CtxPtr sctx = MakeServerCtx(0);
  SslPair p = MakeSslPairOn(v12.get(), sctx.get());
  ASSERT_TRUE(p.client && p.server);
  ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "");
  EXPECT_STREQ(SSL_get_version(p.client.get()), "TLSv1.2");
}

TEST(DropinApi, HostNameThroughTheVerifyParam) {
  Link l = MakeBioPairLink(17 * 1024);
  // SSL_get0_param is where SSL_set1_host puts the name; another name there fails.
  X509_VERIFY_PARAM* p = SSL_get0_param(l.client.get());
  ASSERT_NE(p, nullptr);
  EXPECT_STREQ(X509_VERIFY_PARAM_get0_host(p, 0), "localhost");
  ASSERT_EQ(X509_VERIFY_PARAM_set1_host(p, "other.example", 0), 1);
  EXPECT_NE(Handshake(l), "");
  EXPECT_EQ(SSL_get_verify_result(l.client.get()), X509_V_ERR_HOSTNAME_MISMATCH);
  ERR_clear_error();
}

TEST(DropinApi, NoHostCheckWithoutAName) {
  // SNI alone is not checked against the certificate (only SSL_set1_host is).
  CtxPtr cctx = MakeClientCtx();
  CtxPtr sctx = MakeServerCtx();
  SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
  ASSERT_TRUE(p.client && p.server);
  SSL_set_tlsext_host_name(p.client.get(), "other.example");
  EXPECT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "");
  EXPECT_EQ(SSL_get_verify_result(p.client.get()), X509_V_OK);
}

TEST(DropinApi, FinishedMessagesMatchAcrossTheTwoEnds) {
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    Link l = MakeBioPairLink(17 * 1024, version);
    ASSERT_EQ(Handshake(l), "");
    unsigned char c_fin[128], s_peer[128], s_fin[128], c_peer[128];
    const size_t n1 = SSL_get_finished(l.client.get(), c_fin, sizeof c_fin);
    const size_t n2 = SSL_get_peer_finished(l.server.get(), s_peer, sizeof s_peer);
    const size_t n3 = SSL_get_finished(l.server.get(), s_fin, sizeof s_fin);
    const size_t n4 = SSL_get_peer_finished(l.client.get(), c_peer, sizeof c_peer);
    // TLS 1.2: 12 bytes (RFC 5246 7.4.9); TLS 1.3: the hash size (32 for the default suite).
    EXPECT_EQ(n1, version == TLS1_2_VERSION ? 12u : 48u) << version;
    ASSERT_EQ(n1, n2);
    ASSERT_EQ(n3, n4);
    EXPECT_EQ(std::memcmp(c_fin, s_peer, n1), 0);
    EXPECT_EQ(std::memcmp(s_fin, c_peer, n3), 0);
    EXPECT_NE(std::memcmp(c_fin, s_fin, n1), 0);
  }
}

int g_servername_calls = 0;
SSL_CTX* g_switch_to = nullptr;

int SwitchOnName(SSL* s, int*, void*) {
  ++g_servername_calls;
  const char* name = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
  if (name != nullptr && std::strcmp(name, "second.example") == 0) SSL_set_SSL_CTX(s, g_switch_to);
  return SSL_TLSEXT_ERR_OK;
}

int RefuseName(SSL*, int* alert, void*) {
  *alert = SSL_AD_UNRECOGNIZED_NAME;
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

TEST(DropinApi, ServernameCallbackSwitchesTheContext) {
  Cert second;
  MakeCert(second, "second.example");
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    CtxPtr sctx = MakeServerCtx(version);
    CtxPtr other = MakeServerCtx(version);
    ASSERT_EQ(SSL_CTX_use_certificate(other.get(), second.cert), 1);
    ASSERT_EQ(SSL_CTX_use_PrivateKey(other.get(), second.key), 1);
    SSL_CTX_set_tlsext_servername_callback(sctx.get(), SwitchOnName);
    g_switch_to = other.get();
    for (const char* name : {"localhost", "second.example"}) {
      CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
      SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
      ASSERT_TRUE(p.client && p.server);
      SSL_set_tlsext_host_name(p.client.get(), name);
      g_servername_calls = 0;
      ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "") << name;
      EXPECT_EQ(g_servername_calls, 1);
      EXPECT_EQ(PeerCn(p.client.get()), name) << version;
      EXPECT_STREQ(SSL_get_servername(p.server.get(), TLSEXT_NAMETYPE_host_name), name);
      EXPECT_EQ(SSL_get_SSL_CTX(p.server.get()),
                std::strcmp(name, "localhost") == 0 ? sctx.get() : other.get());
    }
  }
}

TEST(DropinApi, ServernameCallbackRefusal) {
  CtxPtr sctx = MakeServerCtx();
  SSL_CTX_set_tlsext_servername_callback(sctx.get(), RefuseName);
  CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
  SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
  SSL_set_tlsext_host_name(p.client.get(), "nobody.example");
  EXPECT_NE(HandshakeSsl(p.client.get(), p.server.get()), "");
  ERR_clear_error();
  char b[4];
  EXPECT_LE(SSL_read(p.client.get(), b, sizeof b), 0);
  EXPECT_EQ(ERR_GET_REASON(ERR_peek_error()), SSL_R_TLSV1_UNRECOGNIZED_NAME);
  ERR_clear_error();
}

std::vector<std::string>* g_messages = nullptr;

void RecordMessage(int write_p, int, int content_type, const void* buf, size_t len, SSL*, void*) {
  if (content_type != SSL3_RT_HANDSHAKE || len < 1) return;  // handshake messages only
  g_messages->push_back(std::string(write_p ? ">" : "<") +
                        std::to_string(static_cast<const unsigned char*>(buf)[0]));
}

Cert* g_cert_cb_cert = nullptr;
int g_cert_cb_calls = 0;

int UseSecondCertificate(SSL* s, void*) {
  ++g_cert_cb_calls;
  if (SSL_use_certificate(s, g_cert_cb_cert->cert) != 1) return 0;
  return SSL_use_PrivateKey(s, g_cert_cb_cert->key);
}

int FailCertificate(SSL*, void*) {
  return 0;
}

TEST(DropinApi, CertificateCallbackChoosesTheCertificate) {
  Cert second;
  MakeCert(second, "second.example");
  g_cert_cb_cert = &second;
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    CtxPtr sctx = MakeServerCtx(version);
    SSL_CTX_set_cert_cb(sctx.get(), UseSecondCertificate, nullptr);
    CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
    SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
    ASSERT_TRUE(p.client && p.server);
    g_cert_cb_calls = 0;
    ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "") << version;
    EXPECT_EQ(g_cert_cb_calls, 1);
    EXPECT_EQ(PeerCn(p.client.get()), "second.example") << version;
  }
  // A callback that fails ends the handshake (internal_error).
  CtxPtr sctx = MakeServerCtx();
  SSL_CTX_set_cert_cb(sctx.get(), FailCertificate, nullptr);
  CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
  SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
  EXPECT_NE(HandshakeSsl(p.client.get(), p.server.get()), "");
  ERR_clear_error();
}

struct HelloSeen {
  int calls = 0;
  unsigned legacy_version = 0;
  size_t random_len = 0, cipher_bytes = 0;
  bool has_tls_aes_128 = false, has_sni = false, has_supported_versions = false;
  std::string sni;
};
HelloSeen g_hello;

int InspectHello(SSL* s, int*, void*) {
  ++g_hello.calls;
  g_hello.legacy_version = SSL_client_hello_get0_legacy_version(s);
  const unsigned char* p = nullptr;
  g_hello.random_len = SSL_client_hello_get0_random(s, &p);
  g_hello.cipher_bytes = SSL_client_hello_get0_ciphers(s, &p);
  for (size_t i = 0; i + 1 < g_hello.cipher_bytes; i += 2) {
    if (p[i] == 0x13 && p[i + 1] == 0x01) g_hello.has_tls_aes_128 = true;
  }
  int* types = nullptr;
  size_t n = 0;
  if (SSL_client_hello_get1_extensions_present(s, &types, &n) == 1) {
    for (size_t i = 0; i < n; ++i) {
      if (types[i] == TLSEXT_TYPE_supported_versions) g_hello.has_supported_versions = true;
    }
    OPENSSL_free(types);
  }
  size_t len = 0;
  // server_name: list length (2), type (1), name length (2), name.
  if (SSL_client_hello_get0_ext(s, TLSEXT_TYPE_server_name, &p, &len) == 1 && len > 5) {
    g_hello.has_sni = true;
    g_hello.sni.assign(reinterpret_cast<const char*>(p + 5), len - 5);
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

int RefuseHello(SSL*, int* alert, void*) {
  *alert = SSL_AD_HANDSHAKE_FAILURE;
  return SSL_CLIENT_HELLO_ERROR;
}

TEST(DropinApi, ClientHelloCallbackReadsTheMessage) {
  CtxPtr sctx = MakeServerCtx();
  SSL_CTX_set_client_hello_cb(sctx.get(), InspectHello, nullptr);
  CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
  SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
  ASSERT_TRUE(p.client && p.server);
  SSL_set_tlsext_host_name(p.client.get(), "hello.example");
  g_hello = HelloSeen{};
  ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "");
  EXPECT_EQ(g_hello.calls, 1);
  EXPECT_EQ(g_hello.legacy_version, 0x0303u);
  EXPECT_EQ(g_hello.random_len, 32u);
  EXPECT_GT(g_hello.cipher_bytes, 0u);
  EXPECT_EQ(g_hello.cipher_bytes % 2, 0u);
  EXPECT_TRUE(g_hello.has_tls_aes_128);
  EXPECT_TRUE(g_hello.has_supported_versions);
  EXPECT_TRUE(g_hello.has_sni);
  EXPECT_EQ(g_hello.sni, "hello.example");
  // Outside the callback there is no message.
  const unsigned char* out = nullptr;
  EXPECT_EQ(SSL_client_hello_get0_random(p.server.get(), &out), 0u);
}

TEST(DropinApi, ClientHelloCallbackRefusal) {
  CtxPtr sctx = MakeServerCtx();
  SSL_CTX_set_client_hello_cb(sctx.get(), RefuseHello, nullptr);
  CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
  SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
  EXPECT_NE(HandshakeSsl(p.client.get(), p.server.get()), "");
  ERR_clear_error();
  char b[4];
  EXPECT_LE(SSL_read(p.client.get(), b, sizeof b), 0);
  EXPECT_EQ(ERR_GET_REASON(ERR_peek_error()), SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
  ERR_clear_error();
}

// nginx's ssl_protocols: the range is set wide and SSL_OP_NO_TLSv1_x
// removes versions from it.
TEST(DropinApi, NoTlsVersionOptionsNarrowTheRange) {
  {
    CtxPtr sctx = MakeServerCtx(0);
    SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TLSv1_3);
    CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
    SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
    ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "");
    EXPECT_STREQ(SSL_get_version(p.client.get()), "TLSv1.2");
  }
  {
    CtxPtr sctx = MakeServerCtx(0);
    SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TLSv1_2);
    CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_max_proto_version(cctx.get(), TLS1_2_VERSION);
    SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
    EXPECT_NE(HandshakeSsl(p.client.get(), p.server.get()), "");
    ERR_clear_error();
  }
#if defined(CONFORMANCE_IMPL_RAPIDTLS)
  // Both removed: rapidtls has nothing left (OpenSSL would still offer TLS
  // 1.0/1.1, which rapidtls does not have).
  {
    CtxPtr sctx = MakeServerCtx(0);
    CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
    SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
    SSL_set_options(p.client.get(), SSL_OP_NO_TLSv1_2 | SSL_OP_NO_TLSv1_3);
    ERR_clear_error();
    EXPECT_EQ(SSL_connect(p.client.get()), -1);
    EXPECT_EQ(ERR_GET_REASON(ERR_peek_error()), SSL_R_NO_PROTOCOLS_AVAILABLE);
    ERR_clear_error();
  }
#endif
}

Cert* g_client_cert = nullptr;
int g_client_cert_calls = 0;

int SupplyClientCertificate(SSL*, X509** x509, EVP_PKEY** pkey) {
  ++g_client_cert_calls;
  X509_up_ref(g_client_cert->cert);
  EVP_PKEY_up_ref(g_client_cert->key);
  *x509 = g_client_cert->cert;
  *pkey = g_client_cert->key;
  return 1;
}

TEST(DropinApi, ClientCertificateCallbackSuppliesTheCertificate) {
  Cert client;
  MakeCert(client, "client.example");
  g_client_cert = &client;
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    CtxPtr sctx = MakeServerCtx(version);
    ASSERT_EQ(X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx.get()), client.cert), 1);
    SSL_CTX_set_verify(sctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_client_cert_cb(cctx.get(), SupplyClientCertificate);
    EXPECT_EQ(SSL_CTX_get_client_cert_cb(cctx.get()), SupplyClientCertificate);
    SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
    ASSERT_TRUE(p.client && p.server);
    g_client_cert_calls = 0;
    ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "") << version;
    EXPECT_EQ(g_client_cert_calls, 1);
    EXPECT_EQ(PeerCn(p.server.get()), "client.example") << version;
  }
}

// SSL_CTX_set_cert_cb(3) on a client: called when the server asks for a
// certificate; what it sets on the SSL is sent, and then the client
// certificate callback is not asked. Without a CertificateRequest it is not
// called at all.
int g_client_side_cert_cb_calls = 0;
int SetClientCertificate(SSL* s, void* arg) {
  ++g_client_side_cert_cb_calls;
  const Cert* c = static_cast<const Cert*>(arg);
  return SSL_use_certificate(s, c->cert) == 1 && SSL_use_PrivateKey(s, c->key) == 1 ? 1 : 0;
}

TEST(DropinApi, ClientCertificateSetInTheCertificateCallback) {
  Cert client;
  MakeCert(client, "client.example");
  g_client_cert = &client;
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    for (bool asks : {true, false}) {
      CtxPtr sctx = MakeServerCtx(version);
      ASSERT_EQ(X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx.get()), client.cert), 1);
      if (asks) {
        SSL_CTX_set_verify(sctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      }
      CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
      SSL_CTX_set_cert_cb(cctx.get(), SetClientCertificate, &client);
      SSL_CTX_set_client_cert_cb(cctx.get(), SupplyClientCertificate);
      SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
      ASSERT_TRUE(p.client && p.server);
      g_client_side_cert_cb_calls = 0;
      g_client_cert_calls = 0;
      ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "") << version;
      EXPECT_EQ(g_client_side_cert_cb_calls, asks ? 1 : 0) << version;
      EXPECT_EQ(g_client_cert_calls, 0) << "the certificate callback set one";
      EXPECT_EQ(PeerCn(p.server.get()), asks ? "client.example" : "") << version;
    }
  }
}

// ... also when the client has a certificate already (the callback's one is
// sent), and a callback answering 0 ends the handshake (SSL_R_CALLBACK_FAILED).
int RefuseInCertificateCallback(SSL*, void*) {
  ++g_client_side_cert_cb_calls;
  return 0;
}

TEST(DropinApi, ClientCertificateCallbackOverAndRefusal) {
  Cert client, other;
  MakeCert(client, "client.example");
  MakeCert(other, "other.example");
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    CtxPtr sctx = MakeServerCtx(version);
    ASSERT_EQ(X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx.get()), client.cert), 1);
    ASSERT_EQ(X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx.get()), other.cert), 1);
    SSL_CTX_set_verify(sctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
    ASSERT_EQ(SSL_CTX_use_certificate(cctx.get(), other.cert), 1);
    ASSERT_EQ(SSL_CTX_use_PrivateKey(cctx.get(), other.key), 1);
    SSL_CTX_set_cert_cb(cctx.get(), SetClientCertificate, &client);
    SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
    ASSERT_TRUE(p.client && p.server);
    g_client_side_cert_cb_calls = 0;
    ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "") << version;
    EXPECT_EQ(g_client_side_cert_cb_calls, 1) << version;
    EXPECT_EQ(PeerCn(p.server.get()), "client.example") << version;

    SSL_CTX_set_cert_cb(cctx.get(), RefuseInCertificateCallback, nullptr);
    SslPair q = MakeSslPairOn(cctx.get(), sctx.get());
    ASSERT_TRUE(q.client && q.server);
    g_client_side_cert_cb_calls = 0;
    ERR_clear_error();
    EXPECT_NE(HandshakeSsl(q.client.get(), q.server.get()), "") << version;
    EXPECT_EQ(g_client_side_cert_cb_calls, 1) << version;
    bool callback_failed = false;
    while (unsigned long e = ERR_get_error()) {
      callback_failed = callback_failed || (ERR_GET_LIB(e) == ERR_LIB_SSL &&
                                            ERR_GET_REASON(e) == SSL_R_CALLBACK_FAILED);
    }
    EXPECT_TRUE(callback_failed) << version;
  }
}

TEST(DropinApi, GroupListsAsOpenSsl) {
  CtxPtr ctx(SSL_CTX_new(TLS_method()));
  // stunnel's default: names rapidtls lacks (X448) are left out, not refused.
  EXPECT_EQ(SSL_CTX_set1_groups_list(ctx.get(), "X25519:P-256:X448:P-521:P-384"), 1);
  EXPECT_EQ(SSL_CTX_set1_groups_list(ctx.get(), "P-256:ffdhe2048"), 1);
  ERR_clear_error();
  EXPECT_EQ(SSL_CTX_set1_groups_list(ctx.get(), "X25519:NOT-A-GROUP"), 0);
  EXPECT_NE(ERR_peek_error(), 0u);
  ERR_clear_error();
}

TEST(DropinApi, VersionBoundsStayAcrossSslSetSslCtx) {
  // HAProxy sets the bounds on the bind's context, then switches to the
  // certificate's context in its client hello callback.
  CtxPtr bind = MakeServerCtx(0);
  ASSERT_EQ(SSL_CTX_set_min_proto_version(bind.get(), TLS1_3_VERSION), 1);
  CtxPtr certs = MakeServerCtx(0);
  g_switch_to = certs.get();
  SSL_CTX_set_tlsext_servername_callback(bind.get(), SwitchOnName);
  CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
  ASSERT_EQ(SSL_CTX_set_max_proto_version(cctx.get(), TLS1_2_VERSION), 1);
  SslPair p = MakeSslPairOn(cctx.get(), bind.get());
  SSL_set_tlsext_host_name(p.client.get(), "second.example");  // switches
  EXPECT_NE(HandshakeSsl(p.client.get(), p.server.get()), "")
      << "a TLS 1.2 client is refused by the bind's TLS 1.3 minimum";
  ERR_clear_error();
}

// A filter BIO that keeps what is written until BIO_flush, as Apache's
// mod_ssl output BIO does: the library must flush after each flight.
int HoldWrite(BIO* b, const char* in, int len) {
  auto* held = static_cast<std::string*>(BIO_get_data(b));
  held->append(in, static_cast<size_t>(len));
  return len;
}
int HoldRead(BIO* b, char* out, int len) {
  BIO* next = BIO_next(b);
  BIO_clear_retry_flags(b);
  const int n = BIO_read(next, out, len);
  BIO_copy_next_retry(b);
  return n;
}
long HoldCtrl(BIO* b, int cmd, long larg, void* parg) {
  auto* held = static_cast<std::string*>(BIO_get_data(b));
  if (cmd == BIO_CTRL_FLUSH) {
    if (!held->empty()) {
      const int n = BIO_write(BIO_next(b), held->data(), static_cast<int>(held->size()));
      if (n != static_cast<int>(held->size())) return 0;
      held->clear();
    }
    return 1;
  }
  return BIO_ctrl(BIO_next(b), cmd, larg, parg);
}
int HoldCreate(BIO* b) {
  BIO_set_data(b, new std::string);
  BIO_set_init(b, 1);
  return 1;
}
int HoldDestroy(BIO* b) {
  delete static_cast<std::string*>(BIO_get_data(b));
  return 1;
}

TEST(DropinApi, WritesAreFlushedToABufferingBio) {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_FILTER, "hold until flush");
    BIO_meth_set_write(m, HoldWrite);
    BIO_meth_set_read(m, HoldRead);
    BIO_meth_set_ctrl(m, HoldCtrl);
    BIO_meth_set_create(m, HoldCreate);
    BIO_meth_set_destroy(m, HoldDestroy);
    return m;
  }();
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    CtxPtr cctx = MakeClientCtx(version);
    CtxPtr sctx = MakeServerCtx(version);
    SslPtr client(SSL_new(cctx.get()));
    SslPtr server(SSL_new(sctx.get()));
    SSL_set1_host(client.get(), "localhost");
    BIO* a = nullptr;
    BIO* b = nullptr;
    ASSERT_EQ(BIO_new_bio_pair(&a, 17 * 1024, &b, 17 * 1024), 1);
    BIO* held = BIO_push(BIO_new(method), b);  // the server writes through it
    SSL_set_bio(client.get(), a, a);
    SSL_set_bio(server.get(), held, held);
    SSL_set_connect_state(client.get());
    SSL_set_accept_state(server.get());
    ASSERT_EQ(HandshakeSsl(client.get(), server.get()), "") << version;
    // Application data is the program's to flush, in both libraries.
    ASSERT_EQ(SSL_write(server.get(), "hello", 5), 5);
    char buf[8];
    EXPECT_LE(SSL_read(client.get(), buf, sizeof buf), 0) << version;
    ERR_clear_error();
    ASSERT_EQ(BIO_flush(held), 1);
    EXPECT_EQ(SSL_read(client.get(), buf, sizeof buf), 5) << version;
  }
}

TEST(DropinApi, ChainSetAfterTheCertificate) {
  Cert leaf, other;
  MakeCert(leaf, "leaf.example");
  MakeCert(other, "extra.example");
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  ASSERT_EQ(SSL_CTX_use_certificate(ctx.get(), leaf.cert), 1);
  STACK_OF(X509)* chain = sk_X509_new_null();
  X509_up_ref(other.cert);
  sk_X509_push(chain, other.cert);
  ASSERT_EQ(SSL_CTX_set0_chain(ctx.get(), chain), 1);  // taken
  STACK_OF(X509)* got = nullptr;
  ASSERT_EQ(SSL_CTX_get0_chain_certs(ctx.get(), &got), 1);
  ASSERT_EQ(sk_X509_num(got), 1);
  EXPECT_EQ(X509_cmp(sk_X509_value(got, 0), other.cert), 0);
  // One certificate: the first is there once it has its key; no next.
  EXPECT_EQ(SSL_CTX_set_current_cert(ctx.get(), SSL_CERT_SET_FIRST), 0);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), leaf.key), 1);
  EXPECT_EQ(SSL_CTX_set_current_cert(ctx.get(), SSL_CERT_SET_FIRST), 1);
  EXPECT_EQ(SSL_CTX_set_current_cert(ctx.get(), SSL_CERT_SET_NEXT), 0);
  EXPECT_EQ(SSL_CTX_set0_chain(ctx.get(), nullptr), 1);  // cleared
  ASSERT_EQ(SSL_CTX_get0_chain_certs(ctx.get(), &got), 1);
  EXPECT_EQ(got, nullptr);
}

TEST(DropinApi, MessageCallbackSeesTheHandshake) {
  std::vector<std::string> seen;
  g_messages = &seen;
  Link l = MakeBioPairLink(17 * 1024);
  SSL_set_msg_callback(l.client.get(), RecordMessage);
  ASSERT_EQ(Handshake(l), "");
  // ClientHello out; ServerHello, EncryptedExtensions, Certificate,
  // CertificateVerify, Finished in; Finished out (RFC 8446 2).
  const std::vector<std::string> want = {">1", "<2", "<8", "<11", "<15", "<20", ">20"};
  ASSERT_GE(seen.size(), want.size());
  EXPECT_EQ(std::vector<std::string>(seen.begin(), seen.begin() + 7), want);
  g_messages = nullptr;
}

TEST(DropinApi, PerSslCertificateAndKey) {
  Cert second;
  MakeCert(second, "second.example");
  CtxPtr sctx = MakeServerCtx();
  CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
  SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
  ASSERT_EQ(SSL_use_certificate(p.server.get(), second.cert), 1);
  // The context's key does not match the new certificate.
  EXPECT_EQ(SSL_check_private_key(p.server.get()), 0);
  ERR_clear_error();
  ASSERT_EQ(SSL_use_PrivateKey(p.server.get(), second.key), 1);
  EXPECT_EQ(SSL_check_private_key(p.server.get()), 1);
  EXPECT_EQ(X509_cmp(SSL_get_certificate(p.server.get()), second.cert), 0);
  EXPECT_EQ(SSL_get_privatekey(p.server.get()) != nullptr, true);
  ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "");
  EXPECT_EQ(PeerCn(p.client.get()), "second.example");
  // The context keeps its own.
  EXPECT_NE(X509_cmp(SSL_CTX_get0_certificate(sctx.get()), second.cert), 0);
}

int SelectH2(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
             unsigned int inlen, void*) {
  static const unsigned char kServer[] = "\x02h2\x08http/1.1";
  unsigned char* o = nullptr;
  if (SSL_select_next_proto(&o, outlen, kServer, sizeof kServer - 1, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = o;
  return SSL_TLSEXT_ERR_OK;
}

TEST(DropinApi, PerSslAlpnAndSelectNextProto) {
  CtxPtr sctx = MakeServerCtx();
  SSL_CTX_set_alpn_select_cb(sctx.get(), SelectH2, nullptr);
  CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
  SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
  static const unsigned char kClient[] = "\x08http/1.1\x02h2";
  ASSERT_EQ(SSL_set_alpn_protos(p.client.get(), kClient, sizeof kClient - 1), 0);
  ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "");
  const unsigned char* sel = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(p.client.get(), &sel, &len);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sel), len), "h2");  // server's order
  // No overlap: the client's first, and OPENSSL_NPN_NO_OVERLAP.
  unsigned char* out = nullptr;
  unsigned char outlen = 0;
  static const unsigned char kA[] =
      "\x03"
      "abc";
  static const unsigned char kB[] =
      "\x03"
      "xyz\x02"
      "zz";
  EXPECT_EQ(SSL_select_next_proto(&out, &outlen, kA, 4, kB, 7), OPENSSL_NPN_NO_OVERLAP);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(out), outlen), "xyz");
}

TEST(DropinApi, SessionIdContextLimits) {
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  SslPtr s(SSL_new(ctx.get()));
  const unsigned char big[SSL_MAX_SID_CTX_LENGTH + 1] = {};
  EXPECT_EQ(SSL_CTX_set_session_id_context(ctx.get(), big, SSL_MAX_SID_CTX_LENGTH), 1);
  EXPECT_EQ(SSL_CTX_set_session_id_context(ctx.get(), big, sizeof big), 0);
  EXPECT_EQ(ERR_GET_REASON(ERR_get_error()), SSL_R_SSL_SESSION_ID_CONTEXT_TOO_LONG);
  EXPECT_EQ(SSL_set_session_id_context(s.get(), big, sizeof big), 0);
  EXPECT_EQ(ERR_GET_REASON(ERR_get_error()), SSL_R_SSL_SESSION_ID_CONTEXT_TOO_LONG);
}

TEST(DropinApi, ClientCaNamesFromFiles) {
  Cert a, b;
  MakeCert(a, "a.example");
  MakeCert(b, "b.example");
  char path[] = "/tmp/rapidtls-ca-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  FILE* f = fdopen(fd, "w");
  PEM_write_X509(f, a.cert);
  PEM_write_X509(f, b.cert);
  PEM_write_X509(f, a.cert);  // a duplicate subject is listed once
  fclose(f);
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(path);
  ASSERT_NE(names, nullptr);
  EXPECT_EQ(sk_X509_NAME_num(names), 2);
  STACK_OF(X509_NAME)* dup = SSL_dup_CA_list(names);
  ASSERT_NE(dup, nullptr);
  EXPECT_EQ(sk_X509_NAME_num(dup), 2);
  EXPECT_EQ(SSL_add_file_cert_subjects_to_stack(dup, path), 1);
  EXPECT_EQ(sk_X509_NAME_num(dup), 2);  // nothing new
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_set_client_CA_list(ctx.get(), dup);  // takes it
  EXPECT_EQ(SSL_CTX_get_client_CA_list(ctx.get()), dup);
  EXPECT_EQ(SSL_CTX_add_client_CA(ctx.get(), a.cert), 1);
  EXPECT_EQ(sk_X509_NAME_num(SSL_CTX_get_client_CA_list(ctx.get())), 3);
  sk_X509_NAME_pop_free(names, X509_NAME_free);
  EXPECT_EQ(SSL_load_client_CA_file("/nonexistent/ca.pem"), nullptr);
  ERR_clear_error();
  unlink(path);
}

TEST(DropinApi, ClearMakesTheSslReusable) {
  Link l = MakeBioPairLink(17 * 1024);
  ASSERT_EQ(Handshake(l), "");
  ASSERT_EQ(SSL_shutdown(l.client.get()), 0);
  ASSERT_EQ(SSL_shutdown(l.server.get()), 0);
  ASSERT_EQ(SSL_shutdown(l.client.get()), 1);  // each takes the other's close_notify
  ASSERT_EQ(SSL_shutdown(l.server.get()), 1);
  EXPECT_EQ(SSL_clear(l.client.get()), 1);
  EXPECT_EQ(SSL_clear(l.server.get()), 1);
  EXPECT_EQ(SSL_get_shutdown(l.client.get()), 0);
  SSL_set_connect_state(l.client.get());
  SSL_set_accept_state(l.server.get());
  EXPECT_EQ(Handshake(l), "");
  EXPECT_EQ(SSL_is_init_finished(l.client.get()), 1);
}

TEST(DropinApi, CipherDescriptionsAndNids) {
  Link l = MakeBioPairLink(17 * 1024, TLS1_2_VERSION);
  ASSERT_EQ(SSL_set_cipher_list(l.client.get(), "ECDHE-ECDSA-AES128-GCM-SHA256"), 1);
  ASSERT_EQ(Handshake(l), "");
  const SSL_CIPHER* c = SSL_get_current_cipher(l.client.get());
  ASSERT_NE(c, nullptr);
  char buf[128];
  EXPECT_STREQ(SSL_CIPHER_description(c, buf, sizeof buf),
               "ECDHE-ECDSA-AES128-GCM-SHA256  TLSv1.2 Kx=ECDH     Au=ECDSA Enc=AESGCM(128)     "
               "       Mac=AEAD\n");
  EXPECT_EQ(SSL_CIPHER_get_cipher_nid(c), NID_aes_128_gcm);
  EXPECT_EQ(SSL_CIPHER_get_digest_nid(c), NID_undef);
  EXPECT_EQ(SSL_CIPHER_get_kx_nid(c), NID_kx_ecdhe);
  EXPECT_EQ(SSL_CIPHER_get_auth_nid(c), NID_auth_ecdsa);
  EXPECT_EQ(SSL_CIPHER_is_aead(c), 1);
  const unsigned char id[2] = {0xc0, 0x2b};
  EXPECT_EQ(SSL_CIPHER_find(l.client.get(), id), c);
  Link l13 = MakeBioPairLink(17 * 1024);
  ASSERT_EQ(Handshake(l13), "");
  const SSL_CIPHER* c13 = SSL_get_current_cipher(l13.client.get());
  EXPECT_STREQ(SSL_CIPHER_description(c13, buf, sizeof buf),
               "TLS_AES_256_GCM_SHA384         TLSv1.3 Kx=any      Au=any   Enc=AESGCM(256)     "
               "       Mac=AEAD\n");
  EXPECT_EQ(SSL_CIPHER_get_kx_nid(c13), NID_kx_any);
  EXPECT_EQ(SSL_CIPHER_get_auth_nid(c13), NID_auth_any);
}

TEST(DropinApi, AlertAndStateStrings) {
  EXPECT_STREQ(SSL_alert_desc_string_long(SSL_AD_UNKNOWN_CA), "unknown CA");
  EXPECT_STREQ(SSL_alert_desc_string_long(SSL_AD_CLOSE_NOTIFY), "close notify");
  EXPECT_STREQ(SSL_alert_desc_string(SSL_AD_HANDSHAKE_FAILURE), "HF");
  EXPECT_STREQ(SSL_alert_type_string_long(SSL3_AL_FATAL << 8), "fatal");
  EXPECT_STREQ(SSL_alert_type_string(SSL3_AL_WARNING << 8), "W");
  EXPECT_STREQ(SSL_alert_desc_string_long(200), "unknown");
  Link l = MakeBioPairLink(17 * 1024);
  EXPECT_STREQ(SSL_state_string_long(l.client.get()), "before SSL initialization");
  ASSERT_EQ(Handshake(l), "");
  EXPECT_STREQ(SSL_state_string_long(l.client.get()), "SSL negotiation finished successfully");
  EXPECT_EQ(SSL_get_state(l.server.get()), TLS_ST_OK);
}

// A TLS 1.3 handshake resumes with tickets, never from the session cache:
// the get-session callback is not asked (the cache is TLS 1.2's,
// session12_test.cc).
SSL_SESSION* NeverCalled(SSL*, const unsigned char*, int, int*) {
  ADD_FAILURE() << "TLS 1.3 does not look sessions up by id";
  return nullptr;
}

TEST(DropinApi, Tls13DoesNotUseTheSessionCache) {
  Link l = MakeBioPairLink(17 * 1024);
  SSL_CTX* sctx = SSL_get_SSL_CTX(l.server.get());
  SSL_CTX_sess_set_get_cb(sctx, NeverCalled);
  EXPECT_EQ(SSL_CTX_sess_get_get_cb(sctx), NeverCalled);
  ASSERT_EQ(Handshake(l), "");
  EXPECT_EQ(SSL_version(l.server.get()), TLS1_3_VERSION);
}

TEST(DropinApi, UnsupportedFeaturesFailAsDocumented) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  ASSERT_NE(ctx, nullptr);
  // A limit of zero is what holds anyway: accepted by both.
  EXPECT_EQ(SSL_CTX_set_max_early_data(ctx, 0), 1);
#if defined(CONFORMANCE_IMPL_RAPIDTLS)
  // As an OpenSSL built without these features: a null method (SSL_CTX_new
  // then fails), 0 with an error on the queue.
  EXPECT_EQ(DTLS_client_method(), nullptr);
  EXPECT_EQ(TLSv1_method(), nullptr);
  EXPECT_EQ(SSL_CTX_new(DTLS_client_method()), nullptr);
  EXPECT_EQ(ERR_GET_REASON(ERR_get_error()), SSL_R_NULL_SSL_METHOD_PASSED);
  EXPECT_EQ(SSL_write_early_data(nullptr, "x", 1, nullptr), 0);
  EXPECT_EQ(ERR_GET_REASON(ERR_get_error()), ERR_R_UNSUPPORTED);
  EXPECT_EQ(SSL_CTX_set_srp_username(ctx, const_cast<char*>("user")), 0);
  EXPECT_EQ(ERR_GET_REASON(ERR_get_error()), ERR_R_UNSUPPORTED);
  EXPECT_EQ(SSL_COMP_add_compression_method(200, nullptr), 1);  // 1: failure
  EXPECT_EQ(ERR_GET_REASON(ERR_get_error()), ERR_R_UNSUPPORTED);
  EXPECT_EQ(sk_SSL_COMP_num(SSL_COMP_get_compression_methods()), 0);
#endif
  ERR_clear_error();
  SSL_CTX_free(ctx);
}

// What servers set for FFDHE (nginx's ssl_dhparam, postgres, socat) is taken
// as OpenSSL takes it (SSL_CTX_set0_tmp_dh_pkey(3), SSL_CTX_set_dh_auto);
// with an ECDSA certificate no DHE suite can be chosen, and the handshake
// uses ECDHE in both libraries (compatibility note 2).
TEST(DropinApi, DhParametersAreTakenAndEcdheIsUsed) {
  CtxPtr sctx = MakeServerCtx(TLS1_2_VERSION);
  EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr);
  ASSERT_NE(pctx, nullptr);
  ASSERT_EQ(EVP_PKEY_paramgen_init(pctx), 1);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string("group", const_cast<char*>("ffdhe2048"), 0),
      OSSL_PARAM_construct_end()};
  ASSERT_EQ(EVP_PKEY_CTX_set_params(pctx, params), 1);
  EVP_PKEY* dh = nullptr;
  ASSERT_EQ(EVP_PKEY_paramgen(pctx, &dh), 1);
  EVP_PKEY_CTX_free(pctx);
  EXPECT_EQ(SSL_CTX_set0_tmp_dh_pkey(sctx.get(), dh), 1);  // taken
  EXPECT_EQ(SSL_CTX_set_dh_auto(sctx.get(), 1), 1);
  CtxPtr cctx = MakeClientCtx(TLS1_2_VERSION);
  SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
  ASSERT_TRUE(p.client && p.server);
  ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "");
  const std::string suite = SSL_get_cipher_name(p.client.get());
  EXPECT_EQ(suite.rfind("ECDHE-ECDSA-", 0), 0u) << suite;
}

}  // namespace
}  // namespace conformance
