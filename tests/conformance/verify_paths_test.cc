// What issue 14 asks of verification beyond the verify result itself, as
// OpenSSL 3.0 does it: the verify depth (SSL_CTX_set_verify_depth(3),
// SSL_set_verify_depth, nginx's ssl_verify_depth) over a chain of two
// intermediate CAs, the default verify paths with SSL_CERT_FILE and
// SSL_CERT_DIR (SSL_CTX_set_default_verify_paths(3)), and which server name a
// client sends: the name given with SSL_set_tlsext_host_name only, never one
// from the verify parameters (SSL_set1_host). Both builds must agree.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "harness.h"

namespace conformance {
namespace {

using Issued = KeyAndCert;

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
  ASSERT_NE(ext, nullptr) << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `cn` with a new P-256 key, signed by `issuer` (self-signed
// when null); a CA when `ca`, else a server leaf for localhost.
void Issue(Issued& out, const char* cn, const Issued* issuer, bool ca, long serial) {
  out.key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(out.key, nullptr);
  out.cert = X509_new();
  X509_set_version(out.cert, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(out.cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(out.cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(out.cert), 24 * 3600);
  X509_NAME* name = X509_get_subject_name(out.cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509* issuer_cert = issuer != nullptr ? issuer->cert : out.cert;
  X509_set_issuer_name(out.cert, X509_get_subject_name(issuer_cert));
  X509_set_pubkey(out.cert, out.key);
  if (ca) {
    AddExt(out.cert, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    AddExt(out.cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExt(out.cert, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
    AddExt(out.cert, issuer_cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    AddExt(out.cert, issuer_cert, NID_ext_key_usage, "serverAuth");
  }
  AddExt(out.cert, issuer_cert, NID_subject_key_identifier, "hash");
  ASSERT_GT(X509_sign(out.cert, issuer != nullptr ? issuer->key : out.key, EVP_sha256()), 0);
}

// root -> ca1 -> ca2 -> leaf; the server sends leaf, ca2, ca1; clients trust root.
struct Pki {
  Issued root, ca1, ca2, leaf;
  Pki() {
    Issue(root, "depth test root", nullptr, true, 1);
    Issue(ca1, "depth test ca1", &root, true, 2);
    Issue(ca2, "depth test ca2", &ca1, true, 3);
    Issue(leaf, "localhost", &ca2, false, 4);
  }
};
const Pki& ThePki() {
  static const Pki* pki = new Pki;
  return *pki;
}

CtxPtr ChainServer(int version) {
  const Pki& p = ThePki();
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), version);
  SSL_CTX_set_max_proto_version(ctx.get(), version);
  EXPECT_EQ(SSL_CTX_use_certificate(ctx.get(), p.leaf.cert), 1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), p.leaf.key), 1);
  EXPECT_EQ(SSL_CTX_add1_chain_cert(ctx.get(), p.ca2.cert), 1);
  EXPECT_EQ(SSL_CTX_add1_chain_cert(ctx.get(), p.ca1.cert), 1);
  return ctx;
}

CtxPtr VerifyingClient(int version) {
  CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), version);
  SSL_CTX_set_max_proto_version(ctx.get(), version);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

struct Outcome {
  bool ok = false;
  long verify_result = -1;
};

// A handshake of `client_ctx` (after `setup` on the client SSL) with a server
// sending the two-CA chain.
Outcome Connect(SSL_CTX* client_ctx, int version, void (*setup)(SSL*) = nullptr) {
  CtxPtr sctx = ChainServer(version);
  SslPair p = MakeSslPairOn(client_ctx, sctx.get());
  EXPECT_TRUE(p.client && p.server);
  if (!p.client) return {};
  if (setup != nullptr) setup(p.client.get());
  Outcome o;
  o.ok = HandshakeSsl(p.client.get(), p.server.get()).empty();
  o.verify_result = SSL_get_verify_result(p.client.get());
  ERR_clear_error();
  return o;
}

class VerifyDepth : public ::testing::TestWithParam<int> {};

TEST_P(VerifyDepth, DefaultDepthTakesTheChain) {
  CtxPtr c = VerifyingClient(GetParam());
  EXPECT_EQ(SSL_CTX_get_verify_depth(c.get()), -1) << "OpenSSL: no depth set reads -1";
  ASSERT_EQ(X509_STORE_add_cert(SSL_CTX_get_cert_store(c.get()), ThePki().root.cert), 1);
  Outcome o = Connect(c.get(), GetParam());
  EXPECT_TRUE(o.ok);
  EXPECT_EQ(o.verify_result, X509_V_OK);
}

// Depth counts the untrusted CAs below the anchor: leaf (0), ca2 (1), ca1 (2),
// root. Depth 2 allows the chain, 1 and 0 do not (X509_V_ERR_CERT_CHAIN_TOO_LONG).
TEST_P(VerifyDepth, ContextDepthLimitsTheChain) {
  for (int depth : {3, 2, 1, 0}) {
    CtxPtr c = VerifyingClient(GetParam());
    ASSERT_EQ(X509_STORE_add_cert(SSL_CTX_get_cert_store(c.get()), ThePki().root.cert), 1);
    SSL_CTX_set_verify_depth(c.get(), depth);
    EXPECT_EQ(SSL_CTX_get_verify_depth(c.get()), depth);
    SslPtr probe(SSL_new(c.get()));
    EXPECT_EQ(SSL_get_verify_depth(probe.get()), depth) << "an SSL takes its context's depth";
    Outcome o = Connect(c.get(), GetParam());
    EXPECT_EQ(o.ok, depth >= 2) << "depth " << depth;
    EXPECT_EQ(o.verify_result, depth >= 2 ? X509_V_OK : X509_V_ERR_CERT_CHAIN_TOO_LONG)
        << "depth " << depth;
  }
}

// The depth set through the context's verify parameters (SSL_CTX_get0_param,
// SSL_CTX_set1_param) is the context's depth.
TEST_P(VerifyDepth, DepthThroughTheContextsParameters) {
  CtxPtr c = VerifyingClient(GetParam());
  ASSERT_EQ(X509_STORE_add_cert(SSL_CTX_get_cert_store(c.get()), ThePki().root.cert), 1);
  X509_VERIFY_PARAM_set_depth(SSL_CTX_get0_param(c.get()), 1);
  EXPECT_EQ(SSL_CTX_get_verify_depth(c.get()), 1);
  Outcome o = Connect(c.get(), GetParam());
  EXPECT_FALSE(o.ok) << "depth 1 refuses the chain";
  EXPECT_EQ(o.verify_result, X509_V_ERR_CERT_CHAIN_TOO_LONG);
  X509_VERIFY_PARAM* vpm = X509_VERIFY_PARAM_new();
  X509_VERIFY_PARAM_set_depth(vpm, 2);
  EXPECT_EQ(SSL_CTX_set1_param(c.get(), vpm), 1);
  X509_VERIFY_PARAM_free(vpm);
  EXPECT_EQ(SSL_CTX_get_verify_depth(c.get()), 2);
  o = Connect(c.get(), GetParam());
  EXPECT_TRUE(o.ok) << "depth 2 takes it";
  EXPECT_EQ(o.verify_result, X509_V_OK);
}

// SSL_set_verify_depth on one connection overrides its context's.
TEST_P(VerifyDepth, SslDepthOverridesTheContext) {
  CtxPtr c = VerifyingClient(GetParam());
  ASSERT_EQ(X509_STORE_add_cert(SSL_CTX_get_cert_store(c.get()), ThePki().root.cert), 1);
  SSL_CTX_set_verify_depth(c.get(), 1);
  Outcome o = Connect(c.get(), GetParam(), [](SSL* s) {
    SSL_set_verify_depth(s, 2);
    EXPECT_EQ(SSL_get_verify_depth(s), 2);
  });
  EXPECT_TRUE(o.ok) << "the SSL's depth 2 allows the chain";
  EXPECT_EQ(o.verify_result, X509_V_OK);
  SSL_CTX_set_verify_depth(c.get(), 5);
  o = Connect(c.get(), GetParam(), [](SSL* s) { SSL_set_verify_depth(s, 1); });
  EXPECT_FALSE(o.ok) << "the SSL's depth 1 refuses the chain";
  EXPECT_EQ(o.verify_result, X509_V_ERR_CERT_CHAIN_TOO_LONG);
}

// SSL_CTX_add0_chain_cert(3) takes the certificate (add1 takes a reference):
// the chain is sent either way, SSL_CTX_get0_chain_certs lists it, and
// SSL_CTX_clear_chain_certs empties it.
TEST_P(VerifyDepth, Add0ChainCertTakesTheCertificate) {
  const Pki& pki = ThePki();
  CtxPtr sctx(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_set_min_proto_version(sctx.get(), GetParam());
  SSL_CTX_set_max_proto_version(sctx.get(), GetParam());
  ASSERT_EQ(SSL_CTX_use_certificate(sctx.get(), pki.leaf.cert), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(sctx.get(), pki.leaf.key), 1);
  X509_up_ref(pki.ca2.cert);  // the context's reference from here on
  ASSERT_EQ(SSL_CTX_add0_chain_cert(sctx.get(), pki.ca2.cert), 1);
  ASSERT_EQ(SSL_CTX_add1_chain_cert(sctx.get(), pki.ca1.cert), 1);
  STACK_OF(X509)* chain = nullptr;
  ASSERT_EQ(SSL_CTX_get0_chain_certs(sctx.get(), &chain), 1);
  ASSERT_EQ(sk_X509_num(chain), 2);
  EXPECT_EQ(X509_cmp(sk_X509_value(chain, 0), pki.ca2.cert), 0);
  CtxPtr c = VerifyingClient(GetParam());
  ASSERT_EQ(X509_STORE_add_cert(SSL_CTX_get_cert_store(c.get()), pki.root.cert), 1);
  SslPair p = MakeSslPairOn(c.get(), sctx.get());
  ASSERT_TRUE(p.client && p.server);
  ASSERT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "");
  EXPECT_EQ(sk_X509_num(SSL_get_peer_cert_chain(p.client.get())), 3) << "leaf, ca2, ca1";
  EXPECT_EQ(SSL_get_verify_result(p.client.get()), X509_V_OK);
  ASSERT_EQ(SSL_CTX_clear_chain_certs(sctx.get()), 1);
  ASSERT_EQ(SSL_CTX_get0_chain_certs(sctx.get(), &chain), 1);
  EXPECT_LE(sk_X509_num(chain), 0) << "none (OpenSSL: no stack at all)";
  ERR_clear_error();
}

INSTANTIATE_TEST_SUITE_P(Versions, VerifyDepth, ::testing::Values(TLS1_3_VERSION, TLS1_2_VERSION),
                         [](const ::testing::TestParamInfo<int>& i) {
                           return i.param == TLS1_3_VERSION ? std::string("Tls13")
                                                            : std::string("Tls12");
                         });

// A temporary folder, removed with what it holds.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/conformance-verify-XXXXXX";
    const char* p = mkdtemp(tmpl);
    path = p != nullptr ? p : "";
  }
  ~TempDir() {
    if (path.empty()) return;
    std::string cmd = "rm -rf '" + path + "'";
    (void)!system(cmd.c_str());
  }
};

bool WritePem(const std::string& file, X509* cert) {
  FILE* f = fopen(file.c_str(), "w");
  if (f == nullptr) return false;
  const bool ok = PEM_write_X509(f, cert) == 1;
  return fclose(f) == 0 && ok;
}

// Sets an environment variable for the scope, then restores it.
struct ScopedEnv {
  std::string name;
  std::string old;
  bool had = false;
  ScopedEnv(const char* n, const std::string& value) : name(n) {
    if (const char* v = getenv(n)) {
      had = true;
      old = v;
    }
    setenv(n, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (had) {
      setenv(name.c_str(), old.c_str(), 1);
    } else {
      unsetenv(name.c_str());
    }
  }
};

// SSL_CTX_set_default_verify_paths loads the file named by SSL_CERT_FILE.
TEST(DefaultVerifyPaths, CertFileFromTheEnvironment) {
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  const std::string file = dir.path + "/root.pem";
  ASSERT_TRUE(WritePem(file, ThePki().root.cert));
  CtxPtr without = VerifyingClient(TLS1_3_VERSION);
  EXPECT_FALSE(Connect(without.get(), TLS1_3_VERSION).ok) << "no trust anchor yet";
  ScopedEnv env("SSL_CERT_FILE", file);
  ScopedEnv no_dir("SSL_CERT_DIR", dir.path + "/none");
  CtxPtr c = VerifyingClient(TLS1_3_VERSION);
  EXPECT_EQ(SSL_CTX_set_default_verify_paths(c.get()), 1);
  Outcome o = Connect(c.get(), TLS1_3_VERSION);
  EXPECT_TRUE(o.ok);
  EXPECT_EQ(o.verify_result, X509_V_OK);
}

// ... and the hashed folder named by SSL_CERT_DIR (looked up when needed).
TEST(DefaultVerifyPaths, CertDirFromTheEnvironment) {
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  char hashed[32];
  snprintf(hashed, sizeof hashed, "/%08lx.0", X509_subject_name_hash(ThePki().root.cert));
  ASSERT_TRUE(WritePem(dir.path + hashed, ThePki().root.cert));
  ScopedEnv env("SSL_CERT_DIR", dir.path);
  ScopedEnv no_file("SSL_CERT_FILE", dir.path + "/none.pem");
  CtxPtr c = VerifyingClient(TLS1_2_VERSION);
  SSL_CTX_set_default_verify_paths(c.get());
  ERR_clear_error();  // the missing file may leave an entry
  Outcome o = Connect(c.get(), TLS1_2_VERSION);
  EXPECT_TRUE(o.ok);
  EXPECT_EQ(o.verify_result, X509_V_OK);
}

// The server name a client sends (RFC 6066 3) is the one set with
// SSL_set_tlsext_host_name; SSL_set1_host only names what to verify.
std::string g_seen_name;
int RecordName(SSL* s, int*, void*) {
  const char* name = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
  g_seen_name = name != nullptr ? name : "(none)";
  return SSL_TLSEXT_ERR_OK;
}

std::string NameTheServerSees(void (*setup)(SSL*)) {
  CtxPtr sctx = MakeServerCtx(TLS1_3_VERSION);
  SSL_CTX_set_tlsext_servername_callback(sctx.get(), RecordName);
  CtxPtr cctx = MakeClientCtx(TLS1_3_VERSION);
  // Only the name sent matters here, not whether the certificate matches it.
  SSL_CTX_set_verify(cctx.get(), SSL_VERIFY_NONE, nullptr);
  SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
  EXPECT_TRUE(p.client && p.server);
  if (!p.client) return "";
  setup(p.client.get());
  g_seen_name = "(callback not called)";
  EXPECT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "");
  const char* after = SSL_get_servername(p.server.get(), TLSEXT_NAMETYPE_host_name);
  EXPECT_EQ(after != nullptr ? after : "(none)", g_seen_name);
  return g_seen_name;
}

TEST(ServerName, SentOnlyWhenSet) {
  EXPECT_EQ(NameTheServerSees([](SSL*) {}), "(none)");
  EXPECT_EQ(NameTheServerSees([](SSL* s) { ASSERT_EQ(SSL_set1_host(s, "localhost"), 1); }),
            "(none)");
  EXPECT_EQ(NameTheServerSees([](SSL* s) {
              ASSERT_EQ(SSL_set1_host(s, "localhost"), 1);
              ASSERT_EQ(SSL_set_tlsext_host_name(s, "localhost"), 1);
            }),
            "localhost");
  EXPECT_EQ(NameTheServerSees([](SSL* s) { ASSERT_EQ(SSL_set1_host(s, "127.0.0.1"), 1); }),
            "(none)");
}

}  // namespace
}  // namespace conformance
