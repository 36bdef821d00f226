// The error queue reads as OpenSSL users expect: reasons under ERR_LIB_SSL with
// OpenSSL's numbers and strings (issue: "ERR_error_string reads as users expect").
#include <gtest/gtest.h>

#include <string>

#include "harness.h"

namespace conformance {
namespace {

TEST(ErrorStrings, SslReasonsHaveOpenSslText) {
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr);
  struct {
    int reason;
    const char* text;
  } const kCases[] = {
      {SSL_R_BAD_WRITE_RETRY, "bad write retry"},
      {SSL_R_BAD_LENGTH, "bad length"},
      {SSL_R_UNINITIALIZED, "uninitialized"},
      {SSL_R_PROTOCOL_IS_SHUTDOWN, "protocol is shutdown"},
      {SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC, "decryption failed or bad record mac"},
      {SSL_R_UNEXPECTED_EOF_WHILE_READING, "unexpected eof while reading"},
      {SSL_R_CERTIFICATE_VERIFY_FAILED, "certificate verify failed"},
  };
  for (const auto& c : kCases) {
    const char* got = ERR_reason_error_string(ERR_PACK(ERR_LIB_SSL, 0, c.reason));
    ASSERT_NE(got, nullptr) << "reason " << c.reason << " has a string";
    EXPECT_STREQ(got, c.text);
  }
}

TEST(ErrorStrings, QueuedWriteErrorReadsAsInOpenSsl) {
  CtxPtr ctx(SSL_CTX_new(TLS_method()));
  SslPtr ssl(SSL_new(ctx.get()));
  ERR_clear_error();
  const char byte = 'x';
  ASSERT_LE(SSL_write(ssl.get(), &byte, 1), 0);  // no role set: W5
  const unsigned long err = ERR_peek_error();
  ASSERT_NE(err, 0u);
  char text[256];
  ERR_error_string_n(err, text, sizeof text);
  const std::string s(text);
  EXPECT_NE(s.find("SSL routines"), std::string::npos) << s;
  EXPECT_NE(s.find("uninitialized"), std::string::npos) << s;
  EXPECT_EQ(ERR_GET_LIB(err), ERR_LIB_SSL);
}

}  // namespace
}  // namespace conformance
