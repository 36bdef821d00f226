// SSL_CTX_set_tlsext_ticket_key_evp_cb(3) and its older form
// SSL_CTX_set_tlsext_ticket_key_cb (HMAC_CTX; nginx 1.22 uses it): a
// program's own ticket keys. Two server contexts with the same keys (two
// workers of one server) resume each other's TLS 1.3 and TLS 1.2 sessions; a
// context whose callback does not know the key name makes a full handshake;
// a callback that declines issues no ticket. Without a callback, the keys
// are made by SSL_CTX_new: a worker forked after it resumes the parent's.
#define OPENSSL_SUPPRESS_DEPRECATED 1  // HMAC_CTX, the older callback's
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <tuple>

#include "harness.h"

namespace conformance {
namespace {

const unsigned char kName[16] = {'r', 'a', 'p', 'i', 'd', 't', 'l', 's',
                                 '-', 't', 'i', 'c', 'k', 'e', 't', '1'};
const unsigned char kAesKey[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
unsigned char kHmacKey[32] = {99, 98, 97, 96, 95, 94, 93, 92, 91, 90, 89, 88, 87, 86, 85, 84,
                              83, 82, 81, 80, 79, 78, 77, 76, 75, 74, 73, 72, 71, 70, 69, 68};
int g_calls_enc = 0;
int g_calls_dec = 0;

int SetMac(EVP_MAC_CTX* mac) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end()};
  return EVP_MAC_init(mac, kHmacKey, sizeof kHmacKey, params);
}

int SharedKeys(SSL*, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* c, EVP_MAC_CTX* mac,
               int enc) {
  if (enc == 1) {
    ++g_calls_enc;
    std::memcpy(name, kName, sizeof kName);
    if (RAND_bytes(iv, 16) != 1) return -1;
    if (EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), nullptr, kAesKey, iv) != 1) return -1;
    return SetMac(mac) == 1 ? 1 : -1;
  }
  ++g_calls_dec;
  if (std::memcmp(name, kName, sizeof kName) != 0) return 0;  // not ours
  if (EVP_DecryptInit_ex(c, EVP_aes_256_cbc(), nullptr, kAesKey, iv) != 1) return -1;
  return SetMac(mac) == 1 ? 1 : -1;
}

// The same keys through the older callback.
int SharedKeysLegacy(SSL*, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* c, HMAC_CTX* mac,
                     int enc) {
  if (enc == 1) {
    ++g_calls_enc;
    std::memcpy(name, kName, sizeof kName);
    if (RAND_bytes(iv, 16) != 1) return -1;
    if (EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), nullptr, kAesKey, iv) != 1) return -1;
    return HMAC_Init_ex(mac, kHmacKey, sizeof kHmacKey, EVP_sha256(), nullptr) == 1 ? 1 : -1;
  }
  ++g_calls_dec;
  if (std::memcmp(name, kName, sizeof kName) != 0) return 0;
  if (EVP_DecryptInit_ex(c, EVP_aes_256_cbc(), nullptr, kAesKey, iv) != 1) return -1;
  return HMAC_Init_ex(mac, kHmacKey, sizeof kHmacKey, EVP_sha256(), nullptr) == 1 ? 1 : -1;
}

int UnknownKeys(SSL* s, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* c, EVP_MAC_CTX* mac,
                int enc) {
  if (enc == 0) return 0;  // knows no key name
  return SharedKeys(s, name, iv, c, mac, enc);
}

int Decline(SSL*, unsigned char*, unsigned char*, EVP_CIPHER_CTX*, EVP_MAC_CTX*, int) {
  return 0;
}

// A handshake of a fresh client on `sctx`, offering `session` when given;
// returns the client's session (a reference) and whether it resumed.
SSL_SESSION* Connect(SSL_CTX* sctx, SSL_SESSION* session, bool* reused,
                     int version = TLS1_3_VERSION) {
  CtxPtr cctx = MakeClientCtx(version);
  SslPair p = MakeSslPairOn(cctx.get(), sctx);
  EXPECT_TRUE(p.client && p.server);
  if (session != nullptr) SSL_set_session(p.client.get(), session);
  EXPECT_EQ(HandshakeSsl(p.client.get(), p.server.get()), "");
  // TLS 1.3 tickets arrive after the handshake: a read takes them.
  char b[1];
  SSL_read(p.client.get(), b, sizeof b);
  ERR_clear_error();
  *reused = SSL_session_reused(p.client.get()) == 1;
  SSL_SESSION* out = SSL_get1_session(p.client.get());
  // OpenSSL counts a session of a connection freed without close_notify as
  // not resumable: close both ends first.
  EXPECT_GE(SSL_shutdown(p.client.get()), 0);
  EXPECT_GE(SSL_shutdown(p.server.get()), 0);
  return out;
}

// The version, and whether the older callback is used.
class TicketKeysBoth : public ::testing::TestWithParam<std::tuple<int, bool>> {
 protected:
  void SetKeys(SSL_CTX* ctx) {
    if (std::get<1>(GetParam())) {
      ASSERT_EQ(SSL_CTX_set_tlsext_ticket_key_cb(ctx, SharedKeysLegacy), 1);
    } else {
      ASSERT_EQ(SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, SharedKeys), 1);
    }
  }
  int version() const { return std::get<0>(GetParam()); }
};

TEST_P(TicketKeysBoth, SharedKeysResumeAcrossContexts) {
  CtxPtr worker1 = MakeServerCtx(version());
  CtxPtr worker2 = MakeServerCtx(version());
  SetKeys(worker1.get());
  SetKeys(worker2.get());
  g_calls_enc = g_calls_dec = 0;
  bool reused = true;
  SSL_SESSION* first = Connect(worker1.get(), nullptr, &reused, version());
  ASSERT_NE(first, nullptr);
  EXPECT_FALSE(reused);
  EXPECT_EQ(SSL_SESSION_is_resumable(first), 1);
  EXPECT_EQ(SSL_SESSION_has_ticket(first), 1);
  EXPECT_GE(g_calls_enc, 1);
  SSL_SESSION* second = Connect(worker2.get(), first, &reused, version());
  EXPECT_TRUE(reused) << "a ticket sealed by one worker opens in the other";
  EXPECT_GE(g_calls_dec, 1);
  SSL_SESSION_free(second);
  // A context that knows no key name: a full handshake.
  CtxPtr stranger = MakeServerCtx(version());
  ASSERT_EQ(SSL_CTX_set_tlsext_ticket_key_evp_cb(stranger.get(), UnknownKeys), 1);
  SSL_SESSION* third = Connect(stranger.get(), first, &reused, version());
  EXPECT_FALSE(reused);
  SSL_SESSION_free(third);
  SSL_SESSION_free(first);
}

INSTANTIATE_TEST_SUITE_P(VersionsAndForms, TicketKeysBoth,
                         ::testing::Combine(::testing::Values(TLS1_3_VERSION, TLS1_2_VERSION),
                                            ::testing::Bool()),
                         [](const ::testing::TestParamInfo<std::tuple<int, bool>>& p) {
                           return std::string(std::get<0>(p.param) == TLS1_3_VERSION ? "Tls13"
                                                                                     : "Tls12") +
                                  (std::get<1>(p.param) ? "OlderCallback" : "EvpCallback");
                         });

// A server forks its workers after making its context: the ticket keys are
// the context's from SSL_CTX_new, so a worker resumes a session another
// worker (here: the child) issued.
TEST(TicketKeys, ForkedWorkersShareTheContextKeys) {
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    SCOPED_TRACE(version == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2");
    CtxPtr sctx = MakeServerCtx(version);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // The first connection, in the child; its session to the parent.
      close(fds[0]);
      bool reused = true;
      SSL_SESSION* s = Connect(sctx.get(), nullptr, &reused, version);
      unsigned char* der = nullptr;
      const int n = s != nullptr ? i2d_SSL_SESSION(s, &der) : 0;
      const bool ok = n > 0 && write(fds[1], der, static_cast<size_t>(n)) == n;
      _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    Bytes der(65536);
    size_t got = 0;
    for (ssize_t r; (r = read(fds[0], der.data() + got, der.size() - got)) > 0;) got += r;
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child's connection";
    const unsigned char* p = der.data();
    SSL_SESSION* sess = d2i_SSL_SESSION(nullptr, &p, static_cast<long>(got));
    ASSERT_NE(sess, nullptr);
    bool reused = false;
    SSL_SESSION* again = Connect(sctx.get(), sess, &reused, version);
    EXPECT_TRUE(reused) << "the parent resumes the child's session";
    SSL_SESSION_free(again);
    SSL_SESSION_free(sess);
  }
}

TEST(TicketKeys, DecliningCallbackIssuesNoTicket) {
  CtxPtr sctx = MakeServerCtx();
  ASSERT_EQ(SSL_CTX_set_tlsext_ticket_key_evp_cb(sctx.get(), Decline), 1);
  bool reused = true;
  SSL_SESSION* s = Connect(sctx.get(), nullptr, &reused);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(SSL_SESSION_is_resumable(s), 0) << "no ticket came";
  SSL_SESSION_free(s);
}

}  // namespace
}  // namespace conformance
