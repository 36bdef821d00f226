// OCSP stapling through SSL_CTX_set_tlsext_status_cb(3) (RFC 6066 8; TLS 1.3:
// RFC 8446 4.4.2.1), as nginx's ssl_stapling and curl's --cert-status use it:
// a server's callback staples a response (SSL_set_tlsext_status_ocsp_resp)
// for the certificate it chose (SSL_get_certificate in the callback); a
// client that asked (SSL_set_tlsext_status_type) sees it in its own status
// callback and after the handshake (SSL_get_tlsext_status_ocsp_resp). The
// library does not read the response: the bytes here need not be a valid
// OCSPResponse. Both versions, OpenSSL and rapidtls alike.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstring>
#include <string>
#include <vector>

#include "harness.h"

namespace conformance {
namespace {

// OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED (successful) }.
const unsigned char kResponse[] = {0x30, 0x03, 0x0a, 0x01, 0x00};

struct ServerSide {
  int answer = SSL_TLSEXT_ERR_OK;  // what the callback returns
  bool staple = true;              // whether it sets a response
  int calls = 0;
  bool saw_certificate = false;
};
struct ClientSide {
  int answer = 1;
  int calls = 0;
  std::vector<unsigned char> seen;  // the response in the callback
  long seen_len = -2;
};

int ServerStatus(SSL* s, void* arg) {
  auto* st = static_cast<ServerSide*>(arg);
  ++st->calls;
  st->saw_certificate = SSL_get_certificate(s) != nullptr;
  if (st->staple) {
    auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(sizeof kResponse));
    std::memcpy(copy, kResponse, sizeof kResponse);
    if (SSL_set_tlsext_status_ocsp_resp(s, copy, sizeof kResponse) != 1) return -1;
  }
  return st->answer;
}

int ClientStatus(SSL* s, void* arg) {
  auto* st = static_cast<ClientSide*>(arg);
  ++st->calls;
  const unsigned char* p = nullptr;
  st->seen_len = SSL_get_tlsext_status_ocsp_resp(s, &p);
  if (st->seen_len > 0 && p != nullptr) st->seen.assign(p, p + st->seen_len);
  return st->answer;
}

class Ocsp : public ::testing::TestWithParam<int> {
 protected:
  CtxPtr sctx = MakeServerCtx(GetParam());
  CtxPtr cctx = MakeClientCtx(GetParam());
  ServerSide server;
  ClientSide client;
  void SetUp() override {
    ASSERT_EQ(SSL_CTX_set_tlsext_status_cb(sctx.get(), ServerStatus), 1);
    ASSERT_EQ(SSL_CTX_set_tlsext_status_arg(sctx.get(), &server), 1);
    ASSERT_EQ(SSL_CTX_set_tlsext_status_cb(cctx.get(), ClientStatus), 1);
    ASSERT_EQ(SSL_CTX_set_tlsext_status_arg(cctx.get(), &client), 1);
  }
  // A handshake, the client asking for the status when `ask`: "" or the error.
  std::string Run(bool ask, SslPair* out = nullptr) {
    SslPair p = MakeSslPairOn(cctx.get(), sctx.get());
    if (!p.client) return "no SSL";
    if (ask) {
      EXPECT_EQ(SSL_set_tlsext_status_type(p.client.get(), TLSEXT_STATUSTYPE_ocsp), 1);
    }
    EXPECT_EQ(SSL_get_tlsext_status_type(p.client.get()), ask ? TLSEXT_STATUSTYPE_ocsp : -1);
    std::string e = HandshakeSsl(p.client.get(), p.server.get());
    if (out != nullptr) *out = std::move(p);
    return e;
  }
};

TEST_P(Ocsp, TheServerStaplesAndTheClientSeesIt) {
  SslPair p;
  ASSERT_EQ(Run(true, &p), "");
  EXPECT_EQ(server.calls, 1);
  EXPECT_TRUE(server.saw_certificate) << "SSL_get_certificate names the chosen certificate";
  EXPECT_EQ(client.calls, 1);
  EXPECT_EQ(client.seen_len, static_cast<long>(sizeof kResponse));
  EXPECT_EQ(client.seen, std::vector<unsigned char>(kResponse, kResponse + sizeof kResponse));
  const unsigned char* after = nullptr;
  ASSERT_EQ(SSL_get_tlsext_status_ocsp_resp(p.client.get(), &after),
            static_cast<long>(sizeof kResponse));
  EXPECT_EQ(std::memcmp(after, kResponse, sizeof kResponse), 0);
}

TEST_P(Ocsp, NothingWhenTheClientDoesNotAsk) {
  SslPair p;
  ASSERT_EQ(Run(false, &p), "");
  EXPECT_EQ(server.calls, 0) << "the server's callback runs only for a client that asked";
  EXPECT_EQ(client.calls, 0);
  const unsigned char* r = nullptr;
  EXPECT_EQ(SSL_get_tlsext_status_ocsp_resp(p.client.get(), &r), -1);
}

TEST_P(Ocsp, NoAcknowledgementMeansNoResponse) {
  server.answer = SSL_TLSEXT_ERR_NOACK;
  SslPair p;
  ASSERT_EQ(Run(true, &p), "");
  EXPECT_EQ(server.calls, 1);
  EXPECT_EQ(client.calls, 1) << "the client's callback runs all the same";
  EXPECT_EQ(client.seen_len, -1);
}

TEST_P(Ocsp, TheClientsCallbackRefuses) {
  client.answer = 0;
  const std::string e = Run(true);
  EXPECT_NE(e, "") << "the handshake fails";
  EXPECT_NE(e.find("status response"), std::string::npos) << e;
  ERR_clear_error();
}

TEST_P(Ocsp, TheServersCallbackFails) {
  server.answer = SSL_TLSEXT_ERR_ALERT_FATAL;
  EXPECT_NE(Run(true), "");
  ERR_clear_error();
}

INSTANTIATE_TEST_SUITE_P(Versions, Ocsp, ::testing::Values(TLS1_3_VERSION, TLS1_2_VERSION),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::string(p.param == TLS1_2_VERSION ? "Tls12" : "Tls13");
                         });

}  // namespace
}  // namespace conformance
