// SSL_export_keying_material (RFC 8446 7.5 for TLS 1.3, RFC 5705 for TLS 1.2),
// SSL_get_client_random and SSL_get_server_random. The expected keying material
// is computed here, independently of either library, with libcrypto's KDFs from
// the secrets the key log reveals (TLS 1.3: EXPORTER_SECRET; TLS 1.2:
// CLIENT_RANDOM's master secret); the same test passing against OpenSSL shows
// that computation is the one libssl makes.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "harness.h"

namespace conformance {
namespace {

struct Suite {
  int version;
  const char* name;    // for SSL_CTX_set_ciphersuites (1.3) or SSL_CTX_set_cipher_list (1.2)
  const char* digest;  // the suite's hash
};

void PrintTo(const Suite& s, std::ostream* os) {
  *os << s.name;
}

std::mutex g_mu;
std::vector<std::string> g_keylog;

void KeylogLine(const SSL*, const char* line) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_keylog.emplace_back(line);
}

// The secret the key log last gave for `label` ("EXPORTER_SECRET",
// "CLIENT_RANDOM"; a renegotiation logs a second one).
Bytes LoggedSecret(const std::string& label) {
  std::lock_guard<std::mutex> lock(g_mu);
  Bytes last;
  for (const std::string& line : g_keylog) {
    if (line.rfind(label + " ", 0) == 0) last = FromHex(line.substr(line.rfind(' ') + 1));
  }
  return last;
}

Bytes Digest(const char* md, const Bytes& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD* m = EVP_MD_fetch(nullptr, md, nullptr);
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), out, &len, m, nullptr), 1);
  EVP_MD_free(m);
  return Bytes(out, out + len);
}

Bytes Kdf(const char* name, OSSL_PARAM* params, size_t len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, name, nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  Bytes out(len);
  EXPECT_EQ(EVP_KDF_derive(ctx, out.data(), out.size(), params), 1) << name;
  EVP_KDF_CTX_free(ctx);
  EVP_KDF_free(kdf);
  return out;
}

// RFC 8446 7.1 HKDF-Expand-Label, through libcrypto's HKDF in expand-only mode.
Bytes ExpandLabel(const char* md, const Bytes& secret, const std::string& label,
                  const Bytes& context, size_t len) {
  const std::string full = "tls13 " + label;
  Bytes info = {static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len),
                static_cast<uint8_t>(full.size())};
  info.insert(info.end(), full.begin(), full.end());
  info.push_back(static_cast<uint8_t>(context.size()));
  info.insert(info.end(), context.begin(), context.end());
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(md), 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(secret.data()),
                                        secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  return Kdf("HKDF", params, len);
}

// RFC 8446 7.5.
Bytes Expected13(const char* md, const Bytes& exporter_secret, const std::string& label,
                 const Bytes& context, size_t len) {
  const Bytes empty_hash = Digest(md, {});
  const Bytes per_label =
      ExpandLabel(md, exporter_secret, label, empty_hash, static_cast<size_t>(empty_hash.size()));
  return ExpandLabel(md, per_label, "exporter", Digest(md, context), len);
}

// RFC 5705 4, through libcrypto's TLS1-PRF.
Bytes Expected12(const char* md, const Bytes& master, const std::string& label,
                 const Bytes& client_random, const Bytes& server_random, const Bytes* context,
                 size_t len) {
  Bytes seed(label.begin(), label.end());
  seed.insert(seed.end(), client_random.begin(), client_random.end());
  seed.insert(seed.end(), server_random.begin(), server_random.end());
  if (context != nullptr) {
    seed.push_back(static_cast<uint8_t>(context->size() >> 8));
    seed.push_back(static_cast<uint8_t>(context->size()));
    seed.insert(seed.end(), context->begin(), context->end());
  }
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(md), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, const_cast<uint8_t*>(master.data()),
                                        master.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed.data(), seed.size()),
      OSSL_PARAM_construct_end()};
  return Kdf("TLS1-PRF", params, len);
}

Bytes Export(SSL* s, const std::string& label, const Bytes* context, size_t len, int* rc) {
  Bytes out(len, 0xAA);
  *rc = SSL_export_keying_material(s, out.data(), out.size(), label.data(), label.size(),
                                   context != nullptr ? context->data() : nullptr,
                                   context != nullptr ? context->size() : 0, context != nullptr);
  return out;
}

Bytes Random(size_t (*get)(const SSL*, unsigned char*, size_t), const SSL* s) {
  Bytes out(get(s, nullptr, 0));
  out.resize(get(s, out.data(), out.size()));
  return out;
}

class Exporter : public ::testing::TestWithParam<Suite> {
 protected:
  void SetUp() override {
    {
      std::lock_guard<std::mutex> lock(g_mu);
      g_keylog.clear();
    }
    const Suite& p = GetParam();
    cctx_ = MakeClientCtx(p.version);
    sctx_ = MakeServerCtx(p.version);
    for (SSL_CTX* ctx : {cctx_.get(), sctx_.get()}) SSL_CTX_set_keylog_callback(ctx, KeylogLine);
    // The client offers the one suite under test.
    if (p.version == TLS1_3_VERSION) {
      ASSERT_EQ(SSL_CTX_set_ciphersuites(cctx_.get(), p.name), 1);
    } else {
      ASSERT_EQ(SSL_CTX_set_cipher_list(cctx_.get(), p.name), 1);
    }
    SslPair pair = MakeSslPairOn(cctx_.get(), sctx_.get());
    client_ = std::move(pair.client);
    server_ = std::move(pair.server);
    ASSERT_TRUE(client_ && server_);
    ASSERT_EQ(HandshakeSsl(client_.get(), server_.get()), "");
    ASSERT_STREQ(SSL_CIPHER_get_name(SSL_get_current_cipher(client_.get())), p.name);
  }
  CtxPtr cctx_;
  CtxPtr sctx_;
  SslPtr client_;
  SslPtr server_;
};

TEST_P(Exporter, BothEndsDeriveTheMaterialTheRfcDefines) {
  const Suite& p = GetParam();
  const Bytes context = Pattern(40, 3);
  // 32 bytes, and more than one hash block of output.
  for (size_t len : {32u, 100u}) {
    SCOPED_TRACE("length " + std::to_string(len));
    int rc_c = 0;
    int rc_s = 0;
    const Bytes c = Export(client_.get(), "EXPERIMENTAL rapidtls test", &context, len, &rc_c);
    const Bytes s = Export(server_.get(), "EXPERIMENTAL rapidtls test", &context, len, &rc_s);
    ASSERT_EQ(rc_c, 1) << ErrorQueueText();
    ASSERT_EQ(rc_s, 1) << ErrorQueueText();
    EXPECT_EQ(Hex(c), Hex(s)) << "both ends export the same bytes";
    Bytes want;
    if (p.version == TLS1_3_VERSION) {
      const Bytes secret = LoggedSecret("EXPORTER_SECRET");
      ASSERT_FALSE(secret.empty()) << "the key log gave the exporter secret";
      want = Expected13(p.digest, secret, "EXPERIMENTAL rapidtls test", context, len);
    } else {
      const Bytes master = LoggedSecret("CLIENT_RANDOM");
      ASSERT_EQ(master.size(), 48u) << "the key log gave the master secret";
      want = Expected12(p.digest, master, "EXPERIMENTAL rapidtls test",
                        Random(SSL_get_client_random, client_.get()),
                        Random(SSL_get_server_random, client_.get()), &context, len);
    }
    EXPECT_EQ(Hex(c), Hex(want)) << "RFC 8446 7.5 / RFC 5705 4";
  }
}

TEST_P(Exporter, NoContextIsAnEmptyOneOnlyInTls13) {
  const Bytes empty;
  int rc1 = 0;
  int rc2 = 0;
  int rc3 = 0;
  const Bytes none = Export(client_.get(), "EXPERIMENTAL label", nullptr, 32, &rc1);
  const Bytes with_empty = Export(client_.get(), "EXPERIMENTAL label", &empty, 32, &rc2);
  const Bytes other = Export(client_.get(), "EXPERIMENTAL label2", nullptr, 32, &rc3);
  ASSERT_EQ(rc1, 1);
  ASSERT_EQ(rc2, 1);
  ASSERT_EQ(rc3, 1);
  if (GetParam().version == TLS1_3_VERSION) {
    EXPECT_EQ(Hex(none), Hex(with_empty)) << "RFC 8446 7.5: no context is an empty context";
  } else {
    EXPECT_NE(Hex(none), Hex(with_empty)) << "RFC 5705 4: an empty context is still encoded";
    const Bytes master = LoggedSecret("CLIENT_RANDOM");
    EXPECT_EQ(Hex(none),
              Hex(Expected12(GetParam().digest, master, "EXPERIMENTAL label",
                             Random(SSL_get_client_random, server_.get()),
                             Random(SSL_get_server_random, server_.get()), nullptr, 32)));
  }
  EXPECT_NE(Hex(none), Hex(other)) << "another label, other material";
}

TEST_P(Exporter, BothEndsSeeTheSameRandoms) {
  const Bytes cc = Random(SSL_get_client_random, client_.get());
  const Bytes sc = Random(SSL_get_client_random, server_.get());
  const Bytes cs = Random(SSL_get_server_random, client_.get());
  const Bytes ss = Random(SSL_get_server_random, server_.get());
  ASSERT_EQ(cc.size(), 32u);
  ASSERT_EQ(cs.size(), 32u);
  EXPECT_EQ(Hex(cc), Hex(sc));
  EXPECT_EQ(Hex(cs), Hex(ss));
  EXPECT_NE(Hex(cc), Hex(cs));
  // A shorter buffer takes the first bytes; the count says how many.
  unsigned char four[4];
  EXPECT_EQ(SSL_get_client_random(client_.get(), four, sizeof four), 4u);
  EXPECT_EQ(std::memcmp(four, cc.data(), 4), 0);
  // The key log names the connection by the client's random.
  std::lock_guard<std::mutex> lock(g_mu);
  ASSERT_FALSE(g_keylog.empty());
  EXPECT_NE(g_keylog[0].find(Hex(cc)), std::string::npos) << g_keylog[0];
}

TEST_P(Exporter, ReservedOrOverlongLabelsAreRefused) {
  const Suite& p = GetParam();
  int rc = 0;
  ERR_clear_error();
  if (p.version == TLS1_2_VERSION) {
    // RFC 5705 4: labels TLS 1.2 uses for its own secrets.
    for (const char* label : {"client finished", "server finished", "master secret",
                              "extended master secret", "key expansion"}) {
      SCOPED_TRACE(label);
      Export(client_.get(), label, nullptr, 32, &rc);
      EXPECT_LE(rc, 0);
      EXPECT_EQ(FirstErrorReason(), SSL_R_TLS_ILLEGAL_EXPORTER_LABEL) << ErrorQueueText();
      ERR_clear_error();
    }
  } else {
    // "tls13 " + label must fit in 255 bytes.
    Export(client_.get(), std::string(250, 'x'), nullptr, 32, &rc);
    EXPECT_LE(rc, 0);
    EXPECT_EQ(FirstErrorReason(), SSL_R_TLS_ILLEGAL_EXPORTER_LABEL) << ErrorQueueText();
    ERR_clear_error();
    Export(client_.get(), std::string(249, 'x'), nullptr, 32, &rc);
    EXPECT_EQ(rc, 1) << "249 bytes still fit: " << ErrorQueueText();
  }
  // The connection goes on.
  const Bytes msg = Pattern(100, 4);
  ASSERT_EQ(SSL_write(client_.get(), msg.data(), static_cast<int>(msg.size())), 100);
  Bytes got;
  ASSERT_TRUE(DrainApp(server_.get(), got));
  EXPECT_EQ(got, msg);
}

TEST_P(Exporter, ZeroLengthAsOpenSsl) {
  // OpenSSL 3.0 answers a request for no bytes with success in TLS 1.3 (an
  // empty HKDF output) and refuses it in TLS 1.2 (its TLS1-PRF takes no empty
  // output); rapidtls does the same, and writes nothing either way.
  unsigned char out[1] = {0xAA};
  const char label[] = "EXPERIMENTAL label";
  ERR_clear_error();
  const int rc =
      SSL_export_keying_material(client_.get(), out, 0, label, sizeof label - 1, nullptr, 0, 0);
  if (GetParam().version == TLS1_3_VERSION) {
    EXPECT_EQ(rc, 1) << ErrorQueueText();
  } else {
    EXPECT_EQ(rc, 0);
    EXPECT_NE(ERR_peek_error(), 0u) << "the refusal says why";
    std::printf("%s: TLS 1.2, no bytes: %s\n", kImplName, ErrorQueueText().c_str());
  }
  EXPECT_EQ(out[0], 0xAA) << "nothing written";
  ERR_clear_error();
}

// Renegotiation is TLS 1.2's: these run on the TLS 1.2 suites only.
class Exporter12 : public Exporter {};

TEST_P(Exporter12, RenegotiationExportsFromTheNewHandshake) {
  int rc = 0;
  const Bytes before = Export(client_.get(), "EXPERIMENTAL label", nullptr, 32, &rc);
  ASSERT_EQ(rc, 1);
  // Set on the running connection: OpenSSL reads it when the ClientHello comes.
  SSL_set_options(server_.get(), SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
  ASSERT_EQ(SSL_renegotiate(client_.get()), 1);
  for (int i = 0; i < 50 && SSL_renegotiate_pending(client_.get()); ++i) {
    unsigned char b[16];
    size_t n = 0;
    (void)SSL_do_handshake(client_.get());
    (void)SSL_read_ex(server_.get(), b, sizeof b, &n);
    (void)SSL_read_ex(client_.get(), b, sizeof b, &n);
  }
  ERR_clear_error();
  ASSERT_FALSE(SSL_renegotiate_pending(client_.get())) << "the renegotiation completed";
  const Bytes c = Export(client_.get(), "EXPERIMENTAL label", nullptr, 32, &rc);
  ASSERT_EQ(rc, 1);
  const Bytes s = Export(server_.get(), "EXPERIMENTAL label", nullptr, 32, &rc);
  ASSERT_EQ(rc, 1);
  EXPECT_EQ(Hex(c), Hex(s));
  EXPECT_NE(Hex(c), Hex(before)) << "new randoms and master secret, new material";
  EXPECT_EQ(Hex(c),
            Hex(Expected12(GetParam().digest, LoggedSecret("CLIENT_RANDOM"), "EXPERIMENTAL label",
                           Random(SSL_get_client_random, server_.get()),
                           Random(SSL_get_server_random, server_.get()), nullptr, 32)));
}

INSTANTIATE_TEST_SUITE_P(
    Suites, Exporter,
    ::testing::Values(Suite{TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", "SHA256"},
                      Suite{TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384", "SHA384"},
                      Suite{TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", "SHA256"},
                      Suite{TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384", "SHA384"}),
    [](const ::testing::TestParamInfo<Suite>& i) {
      std::string n =
          std::string(i.param.version == TLS1_3_VERSION ? "Tls13_" : "Tls12_") + i.param.digest;
      return n;
    });

INSTANTIATE_TEST_SUITE_P(
    Suites, Exporter12,
    ::testing::Values(Suite{TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", "SHA256"},
                      Suite{TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384", "SHA384"}),
    [](const ::testing::TestParamInfo<Suite>& i) {
      return std::string("Tls12_") + i.param.digest;
    });

TEST(ExporterBeforeHandshake, FailsWithoutASession) {
  Link link = MakeBioPairLink(17 * 1024);
  unsigned char out[32];
  const char label[] = "EXPERIMENTAL label";
  EXPECT_EQ(SSL_export_keying_material(link.client.get(), out, sizeof out, label, sizeof label - 1,
                                       nullptr, 0, 0),
            -1);
  EXPECT_EQ(SSL_export_keying_material(link.server.get(), out, sizeof out, label, sizeof label - 1,
                                       nullptr, 0, 0),
            -1);
  ERR_clear_error();
}

// The randoms are there from the hellos on, before the handshake completes.
TEST(HelloRandoms, KnownFromTheHellosOn) {
  for (const int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    SCOPED_TRACE(version);
    Link link = MakeBioPairLink(17 * 1024, version);
    const Bytes zeros(32, 0);
    EXPECT_EQ(Hex(Random(SSL_get_client_random, link.client.get())), Hex(zeros)) << "before";
    EXPECT_EQ(Hex(Random(SSL_get_server_random, link.server.get())), Hex(zeros)) << "before";
    ASSERT_EQ(SSL_get_error(link.client.get(), SSL_do_handshake(link.client.get())),
              SSL_ERROR_WANT_READ);
    const Bytes cr = Random(SSL_get_client_random, link.client.get());
    EXPECT_NE(Hex(cr), Hex(zeros)) << "the ClientHello's random";
    EXPECT_EQ(Hex(Random(SSL_get_server_random, link.client.get())), Hex(zeros))
        << "no ServerHello yet";
    ASSERT_EQ(SSL_get_error(link.server.get(), SSL_do_handshake(link.server.get())),
              SSL_ERROR_WANT_READ);
    EXPECT_EQ(Hex(Random(SSL_get_client_random, link.server.get())), Hex(cr));
    const Bytes sr = Random(SSL_get_server_random, link.server.get());
    EXPECT_NE(Hex(sr), Hex(zeros)) << "the ServerHello's random";
    ASSERT_EQ(Handshake(link), "");
    EXPECT_EQ(Hex(Random(SSL_get_server_random, link.client.get())), Hex(sr));
    EXPECT_EQ(Hex(Random(SSL_get_client_random, link.server.get())), Hex(cr));
  }
}

}  // namespace
}  // namespace conformance
