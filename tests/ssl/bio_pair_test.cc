// BIO pairs lend their buffer: records are sealed straight into it. When the
// pair is full, a write in the default mode reserves the next record instead
// of sealing it aside and copying it in with BIO_write later (what OpenSSL
// does): across every WANT_WRITE of a big transfer, no application record goes
// through BIO_write, and every byte arrives once. (What OpenSSL also does,
// the retry rules around a full pair, is in tests/conformance.)
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <cstring>
#include <vector>

#include "syscall_watch.h"

namespace {

using ssltest::Ctx;

// BIO_write calls that carried data, on the BIO the callback is set on.
long g_bio_writes = 0;

long CountWrites(BIO* /*b*/, int oper, const char* /*argp*/, size_t len, int /*argi*/,
                 long /*argl*/, int ret, size_t* /*processed*/) {
  if (oper == BIO_CB_WRITE && len > 0) ++g_bio_writes;
  return ret;
}

struct PairLink {
  SSL* client = nullptr;
  SSL* server = nullptr;
  BIO* client_bio = nullptr;  // the client's end of the pair
  PairLink(const Ctx& ctx, size_t pair_size) {
    client = SSL_new(ctx.client);
    server = SSL_new(ctx.server);
    BIO* server_bio = nullptr;
    BIO_new_bio_pair(&client_bio, pair_size, &server_bio, pair_size);
    SSL_set_bio(client, client_bio, client_bio);
    SSL_set_bio(server, server_bio, server_bio);
    SSL_set_connect_state(client);
    SSL_set_accept_state(server);
  }
  ~PairLink() {
    SSL_free(client);
    SSL_free(server);
  }
  PairLink(const PairLink&) = delete;
  PairLink& operator=(const PairLink&) = delete;
  bool Handshake() {
    for (int i = 0; i < 100; ++i) {
      const int c = SSL_do_handshake(client);
      const int s = SSL_do_handshake(server);
      if (c == 1 && s == 1) return true;
    }
    return false;
  }
};

void Drain(SSL* s, std::vector<uint8_t>& got) {
  uint8_t buf[16384];
  size_t n = 0;
  while (SSL_read_ex(s, buf, sizeof buf, &n) == 1) got.insert(got.end(), buf, buf + n);
  ERR_clear_error();
}

std::vector<uint8_t> Pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 131 + (i >> 9));
  return v;
}

TEST(BioPair, FullPairReservesTheNextRecordInsteadOfCopyingIt) {
  Ctx ctx;
  PairLink l(ctx, 64 * 1024);
  ASSERT_TRUE(l.Handshake());
  g_bio_writes = 0;
  BIO_set_callback_ex(l.client_bio, CountWrites);
  const std::vector<uint8_t> data = Pattern(1 << 20);
  std::vector<uint8_t> got;
  int rc = -1;
  int wants = 0;
  for (int i = 0; i < 10000 && rc <= 0; ++i) {
    rc = SSL_write(l.client, data.data(), static_cast<int>(data.size()));
    if (rc <= 0) {
      ASSERT_EQ(SSL_get_error(l.client, rc), SSL_ERROR_WANT_WRITE);
      ++wants;
      Drain(l.server, got);
    }
  }
  BIO_set_callback_ex(l.client_bio, nullptr);
  ASSERT_EQ(rc, static_cast<int>(data.size()));
  Drain(l.server, got);
  EXPECT_GE(wants, 15) << "a 1 MiB write through a 64 KiB pair fills it many times";
  EXPECT_EQ(g_bio_writes, 0) << "no record was sealed aside and copied in";
  ASSERT_EQ(got.size(), data.size());
  EXPECT_EQ(std::memcmp(got.data(), data.data(), data.size()), 0);
}

TEST(BioPair, PartialWriteModeStillReturnsWholeRecords) {
  // In partial-write mode a full pair still gets a record sealed aside, so the
  // repeated call returns that record's length (16 KiB), as OpenSSL's does.
  Ctx ctx;
  PairLink l(ctx, 4096);
  ASSERT_TRUE(l.Handshake());
  SSL_set_mode(l.client, SSL_MODE_ENABLE_PARTIAL_WRITE);
  // Fill the pair to the brim: one record of 4096 - 22 bytes.
  const std::vector<uint8_t> first = Pattern(4096 - 22);
  ASSERT_EQ(SSL_write(l.client, first.data(), static_cast<int>(first.size())),
            static_cast<int>(first.size()));
  ASSERT_EQ(BIO_ctrl_get_write_guarantee(l.client_bio), 0u);
  const std::vector<uint8_t> data = Pattern(64 * 1024);
  std::vector<uint8_t> got;
  int rc = -1;
  for (int i = 0; i < 1000 && rc <= 0; ++i) {
    rc = SSL_write(l.client, data.data(), static_cast<int>(data.size()));
    if (rc <= 0) {
      ASSERT_EQ(SSL_get_error(l.client, rc), SSL_ERROR_WANT_WRITE);
      Drain(l.server, got);
    }
  }
  EXPECT_EQ(rc, 16384);
  Drain(l.server, got);
  ASSERT_EQ(got.size(), first.size() + 16384);
  EXPECT_EQ(std::memcmp(got.data() + first.size(), data.data(), 16384), 0);
}

}  // namespace
