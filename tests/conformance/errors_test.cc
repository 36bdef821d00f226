// The error queue reads as OpenSSL users expect: reasons under ERR_LIB_SSL with
// OpenSSL's numbers and strings (issue: "ERR_error_string reads as users expect").
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <string>
#include <vector>

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

struct Position {
  int lib = 0;
  std::string file;
  std::string func;
};

// Takes the whole queue.
std::vector<Position> TakeQueue() {
  std::vector<Position> out;
  const char* file = nullptr;
  const char* func = nullptr;
  int line = 0;
  while (unsigned long code = ERR_get_error_all(&file, &line, &func, nullptr, nullptr)) {
    out.push_back({ERR_GET_LIB(code), file != nullptr ? file : "", func != nullptr ? func : ""});
  }
  return out;
}

bool IsIdentifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])) != 0) return false;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') return false;
  }
  return true;
}

// Issue 14: an ERR entry names a function and never carries the build
// machine's paths (an absolute source file name).
void ExpectPositions(const std::vector<Position>& q, const char* what) {
  ASSERT_FALSE(q.empty()) << what << ": nothing queued";
  for (const Position& p : q) {
    EXPECT_TRUE(IsIdentifier(p.func))
        << what << ": an entry of library " << p.lib << " names no function: '" << p.func << "'";
    EXPECT_FALSE(p.file.empty()) << what;
    EXPECT_NE(p.file.front(), '/') << what << ": absolute file name " << p.file;
    EXPECT_EQ(p.file.find(PROJECT_SOURCE_DIR), std::string::npos) << what << ": " << p.file;
  }
  for (const Position& p : q)
    printf("    %s: lib %d, %s, %s\n", what, p.lib, p.func.c_str(), p.file.c_str());
}

TEST(ErrorPositions, NoBuildPathsAndAFunctionName) {
  ERR_clear_error();
  {  // a handshake whose certificate does not verify
    CtxPtr sctx = MakeServerCtx(TLS1_3_VERSION);
    CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_verify(cctx.get(), SSL_VERIFY_PEER, nullptr);
    SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
    ASSERT_TRUE(p.client && p.server);
    int rc = 0;
    for (int i = 0; i < 20; ++i) {
      rc = SSL_do_handshake(p.client.get());
      if (rc == 1 || SSL_get_error(p.client.get(), rc) == SSL_ERROR_SSL) break;
      SSL_do_handshake(p.server.get());
    }
    ASSERT_NE(rc, 1);
    const std::vector<Position> q = TakeQueue();
    ExpectPositions(q, "SSL_do_handshake");
#if defined(CONFORMANCE_IMPL_RAPIDTLS)
    // rapidtls names the API call that met the failure (OpenSSL names its
    // internal function, tls_post_process_server_certificate): the handshake's
    // reading is SSL_do_handshake's, not SSL_read's.
    bool named = false;
    for (const Position& e : q)
      named = named || (e.lib == ERR_LIB_SSL && e.func == "SSL_do_handshake");
    EXPECT_TRUE(named) << "no SSL entry names SSL_do_handshake";
#endif
  }
  {  // a certificate file that does not exist
    CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
    ASSERT_EQ(SSL_CTX_use_certificate_file(ctx.get(), "/nonexistent/cert.pem", SSL_FILETYPE_PEM),
              0);
    ExpectPositions(TakeQueue(), "SSL_CTX_use_certificate_file");
  }
  {  // a write without a role (W5)
    CtxPtr ctx(SSL_CTX_new(TLS_method()));
    SslPtr ssl(SSL_new(ctx.get()));
    const char byte = 'x';
    ASSERT_LE(SSL_write(ssl.get(), &byte, 1), 0);
    ExpectPositions(TakeQueue(), "SSL_write");
  }
}

}  // namespace
}  // namespace conformance
