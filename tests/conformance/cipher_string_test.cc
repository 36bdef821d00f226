// OpenSSL's cipher strings (ciphers(1), SSL_CTX_set_cipher_list) and TLS 1.3
// suite lists (SSL_CTX_set_ciphersuites) select the same suites in the same
// order in both builds, seen through SSL_CTX_get_ciphers and restricted to the
// TLS 1.2 suites rapidtls has (OpenSSL has more: its lists are filtered). A
// string that selects none of them fails with "no cipher match" in rapidtls;
// the OpenSSL build checks the same only where OpenSSL also selects nothing.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <set>
#include <string>

namespace conformance {
namespace {

const std::set<std::string> kOurs12 = {
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES128-GCM-SHA256",   "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305",   "ECDHE-ECDSA-CHACHA20-POLY1305",
};

// The TLS 1.2 suites of the context, ours only, ':'-joined.
std::string Selected12(SSL_CTX* ctx) {
  std::string out;
  STACK_OF(SSL_CIPHER)* sk = SSL_CTX_get_ciphers(ctx);
  for (int i = 0; i < sk_SSL_CIPHER_num(sk); ++i) {
    const std::string name = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i));
    if (kOurs12.count(name) == 0) continue;
    out += (out.empty() ? "" : ":") + name;
  }
  return out;
}

struct Case {
  const char* string;
  const char* expected;  // ours, in order; "" when nothing of ours is selected
};

// Expected lists: what OpenSSL 3.0 selects, filtered to rapidtls's suites.
const Case kCases[] = {
    {"DEFAULT",
     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
     "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"},
    {"HIGH:!aNULL:!MD5",
     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
     "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"},
    {"ECDHE+AESGCM",
     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:"
     "ECDHE-RSA-AES128-GCM-SHA256"},
    {"DEFAULT:@SECLEVEL=2",
     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
     "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"},
    {"CHACHA20", "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"},
    {"aRSA", "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256"},
    {"DEFAULT:!ECDSA",
     "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256"},
    {"ECDHE+AES256:ECDHE",
     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
     "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"},
    {"HIGH:-AES256:AES256",
     "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:"
     "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"},
    {"HIGH:+AES256",
     "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:"
     "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"},
    {"HIGH:!AES256:AES256",
     "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:"
     "ECDHE-RSA-AES128-GCM-SHA256"},
    {"AESGCM+ECDSA:CHACHA20",
     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:"
     "ECDHE-RSA-CHACHA20-POLY1305"},
    {"EECDH+AESGCM:EDH+AESGCM",
     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:"
     "ECDHE-RSA-AES128-GCM-SHA256"},
    {"ECDHE-RSA-AES128-GCM-SHA256,ECDHE-ECDSA-AES128-GCM-SHA256",
     "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"HIGH:FOO",
     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
     "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"},
    {"AES128@STRENGTH", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"},
};

TEST(CipherString, SelectsWhatOpenSslSelects) {
  for (const Case& c : kCases) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_method());
    ASSERT_NE(ctx, nullptr);
    EXPECT_EQ(SSL_CTX_set_cipher_list(ctx, c.string), 1) << c.string;
    EXPECT_EQ(Selected12(ctx), c.expected) << c.string;
    SSL_CTX_free(ctx);
  }
}

// Strings that select nothing: "no cipher match", and (as OpenSSL 3.0 does)
// no TLS 1.2 suite is left.
void ExpectNoMatch(const char* s) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  ASSERT_NE(ctx, nullptr);
  ASSERT_EQ(SSL_CTX_set_cipher_list(ctx, "CHACHA20"), 1);
  ERR_clear_error();
  EXPECT_EQ(SSL_CTX_set_cipher_list(ctx, s), 0) << s;
  EXPECT_EQ(ERR_GET_REASON(ERR_peek_last_error()), SSL_R_NO_CIPHER_MATCH) << s;
  EXPECT_EQ(Selected12(ctx), "") << s;
  ERR_clear_error();
  SSL_CTX_free(ctx);
}

TEST(CipherString, SelectingNothingFails) {
  for (const char* s : {"FOO", "", "MEDIUM", "@SECLEVEL=2"}) ExpectNoMatch(s);
}

#if defined(CONFORMANCE_IMPL_RAPIDTLS)
// Strings that select only suites OpenSSL has and rapidtls lacks (CBC, RSA
// key exchange, anonymous): for rapidtls they select nothing, so they fail
// as OpenSSL fails for a string that selects nothing it has.
TEST(CipherString, SelectingOnlySuitesRapidtlsLacksFails) {
  for (const char* s : {"SHA384", "RSA", "aNULL", "AES128-SHA"}) ExpectNoMatch(s);
}
#endif

TEST(CipherString, SecurityLevelSetEvenWhenNothingIsSelected) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=3"), 1);
  EXPECT_EQ(SSL_CTX_get_security_level(ctx), 3);
  EXPECT_EQ(SSL_CTX_set_cipher_list(ctx, "@SECLEVEL=1"), 0);
  EXPECT_EQ(SSL_CTX_get_security_level(ctx), 1);
  ERR_clear_error();
  SSL_CTX_free(ctx);
}

TEST(CipherString, Tls13SuiteLists) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  ASSERT_NE(ctx, nullptr);
  // Unknown names are skipped; only ':' separates; an empty list is allowed.
  EXPECT_EQ(SSL_CTX_set_ciphersuites(ctx, "TLS_CHACHA20_POLY1305_SHA256:FOO"), 1);
  EXPECT_EQ(SSL_CTX_set_ciphersuites(ctx, ""), 1);
  for (const char* s : {"FOO", ":", "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384"}) {
    ERR_clear_error();
    EXPECT_EQ(SSL_CTX_set_ciphersuites(ctx, s), 0) << s;
    EXPECT_EQ(ERR_GET_REASON(ERR_peek_last_error()), SSL_R_NO_CIPHER_MATCH) << s;
  }
  ERR_clear_error();
  EXPECT_EQ(SSL_CTX_set_ciphersuites(ctx, "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"), 1);
  std::string first13;
  STACK_OF(SSL_CIPHER)* sk = SSL_CTX_get_ciphers(ctx);
  ASSERT_GT(sk_SSL_CIPHER_num(sk), 1);
  EXPECT_STREQ(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, 0)), "TLS_AES_256_GCM_SHA384");
  EXPECT_STREQ(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, 1)), "TLS_AES_128_GCM_SHA256");
  SSL_CTX_free(ctx);
}

}  // namespace
}  // namespace conformance
