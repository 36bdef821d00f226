// The TLS 1.2 PRF (RFC 5246 5) and what is made with it: master secret (8.1,
// RFC 7627 4), key block (6.3) and verify_data (7.4.9).
#include <gtest/gtest.h>

#include <string_view>

#include "crypto/prf12.h"

namespace rapidtls::crypto {
namespace {

ByteVec prf_bytes(HashAlg alg, Bytes secret, std::string_view label, Bytes seed, size_t n) {
  ByteVec out(n);
  EXPECT_TRUE(tls12_prf(alg, secret, label, seed, out).ok());
  return out;
}

// The TLS 1.2 PRF vectors posted to the IETF TLS working group list
// (https://www.ietf.org/mail-archive/web/tls/current/msg03416.html), as
// reproduced e.g. in github.com/tompetersen/bachelor-thesis,
// Source/jProtocol/src/test/tls/PseudoRandomFunction.java. Both also match
// `openssl kdf -keylen N -kdfopt digest:SHA256 -kdfopt hexsecret:...
// -kdfopt seed:"test label" -kdfopt hexseed:... TLS1-PRF` (OpenSSL 3.0.19).
TEST(Tls12Prf, KnownAnswerSha256) {
  const ByteVec secret = from_hex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35");
  const ByteVec seed = from_hex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c");
  const ByteVec want = from_hex(
      "e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53"
      "c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4 e6 1e db 5a"
      "6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af"
      "0f a0 22 f7 07 7d ef 17 ab fd 37 97 c0 56 4b ab"
      "4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba"
      "a4 80 82 d1 22 ee 42 c5 a7 2e 5a 51 10 ff f7 01"
      "87 34 7b 66");
  ASSERT_EQ(want.size(), 100u);
  EXPECT_EQ(to_hex(prf_bytes(HashAlg::sha256, secret, "test label", seed, 100)), to_hex(want));
}

TEST(Tls12Prf, KnownAnswerSha384) {
  const ByteVec secret = from_hex("b8 0b 73 3d 6c ee fc dc 71 56 6e a4 8e 55 67 df");
  const ByteVec seed = from_hex("cd 66 5c f6 a8 44 7d d6 ff 8b 27 55 5e db 74 65");
  const ByteVec want = from_hex(
      "7b 0c 18 e9 ce d4 10 ed 18 04 f2 cf a3 4a 33 6a 1c 14 df fb 49 00 bb 5f d7 94 21 07"
      "e8 1c 83 cd e9 ca 0f aa 60 be 9f e3 4f 82 b1 23 3c 91 46 a0 e5 34 cb 40 0f ed 27 00"
      "88 4f 9d c2 36 f8 0e dd 8b fa 96 11 44 c9 e8 d7 92 ec a7 22 a7 b3 2f c3 d4 16 d4 73"
      "eb c2 c5 fd 4a bf da d0 5d 91 84 25 9b 5b f8 cd 4d 90 fa 0d 31 e2 de c4 79 e4 f1 a2"
      "60 66 f2 ee a9 a6 92 36 a3 e5 26 55 c9 e9 ae e6 91 c8 f3 a2 68 54 30 8d 5e aa 3b e8"
      "5e 09 90 70 3d 73 e5 6f");
  ASSERT_EQ(want.size(), 148u);
  EXPECT_EQ(to_hex(prf_bytes(HashAlg::sha384, secret, "test label", seed, 148)), to_hex(want));
}

// P_hash is a stream: a shorter output is a prefix of a longer one.
TEST(Tls12Prf, ShorterOutputIsPrefix) {
  const ByteVec secret = from_hex("9bbe436ba940f017b17652849a71db35");
  const ByteVec seed = from_hex("a0ba9f936cda311827a6f796ffd5198c");
  const ByteVec long_out = prf_bytes(HashAlg::sha256, secret, "test label", seed, 100);
  const ByteVec short_out = prf_bytes(HashAlg::sha256, secret, "test label", seed, 33);
  EXPECT_EQ(short_out, ByteVec(long_out.begin(), long_out.begin() + 33));
}

// The label is the start of the PRF's seed (RFC 5246 5): label || seed.
TEST(Tls12Prf, LabelIsPrependedToSeed) {
  const ByteVec secret = from_hex("0102030405060708");
  const ByteVec seed = from_hex("aabbccdd");
  const ByteVec want = prf_bytes(HashAlg::sha256, secret, "abc", seed, 40);
  const Bytes abc = as_bytes("abc");
  ByteVec joined(abc.begin(), abc.end());
  joined.insert(joined.end(), seed.begin(), seed.end());
  EXPECT_EQ(prf_bytes(HashAlg::sha256, secret, "", joined, 40), want);
  EXPECT_EQ(prf_bytes(HashAlg::sha256, secret, "ab", Bytes(joined).subspan(2), 40), want);
}

TEST(Tls12Prf, EmptyOutputSucceeds) {
  const ByteVec secret = from_hex("01");
  EXPECT_TRUE(tls12_prf(HashAlg::sha256, secret, "x", {}, MutBytes()).ok());
}

// RFC 5246 8.1: master_secret = PRF(pre_master_secret, "master secret",
// ClientHello.random + ServerHello.random)[0..47].
TEST(Tls12Prf, MasterSecretIsPrfOfRandoms) {
  const ByteVec pms(32, 0x11);
  const ByteVec cr(32, 0xc1);
  const ByteVec sr(32, 0x5e);
  ByteVec randoms = cr;
  randoms.insert(randoms.end(), sr.begin(), sr.end());
  for (HashAlg alg : {HashAlg::sha256, HashAlg::sha384}) {
    Result<Secret> ms = tls12_master_secret(alg, pms, cr, sr, false, {});
    ASSERT_TRUE(ms.ok());
    ASSERT_EQ(ms->size(), 48u);
    EXPECT_EQ(to_hex(ms->bytes()), to_hex(prf_bytes(alg, pms, "master secret", randoms, 48)));
  }
}

// RFC 7627 4: master_secret = PRF(pre_master_secret, "extended master secret",
// session_hash)[0..47]; the randoms play no part.
TEST(Tls12Prf, ExtendedMasterSecretUsesSessionHash) {
  const ByteVec pms(32, 0x11);
  const ByteVec hash(48, 0x77);
  Result<Secret> a =
      tls12_master_secret(HashAlg::sha384, pms, ByteVec(32, 1), ByteVec(32, 2), true, hash);
  Result<Secret> b =
      tls12_master_secret(HashAlg::sha384, pms, ByteVec(32, 3), ByteVec(32, 4), true, hash);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->size(), 48u);
  EXPECT_EQ(to_hex(a->bytes()), to_hex(b->bytes()));
  EXPECT_EQ(to_hex(a->bytes()),
            to_hex(prf_bytes(HashAlg::sha384, pms, "extended master secret", hash, 48)));
}

// RFC 5246 6.3: key_block = PRF(master, "key expansion", server_random +
// client_random), cut client key, server key, client IV, server IV (AEAD: no
// MAC keys).
TEST(Tls12Prf, KeyBlockCutInOrder) {
  const ByteVec ms(48, 0x4d);
  const ByteVec cr(32, 0xc1);
  const ByteVec sr(32, 0x5e);
  ByteVec seed = sr;
  seed.insert(seed.end(), cr.begin(), cr.end());
  struct Shape {
    size_t key, iv;
  };
  for (Shape s : {Shape{16, 4}, Shape{32, 4}, Shape{32, 12}}) {
    const ByteVec block = prf_bytes(HashAlg::sha256, ms, "key expansion", seed, 2 * (s.key + s.iv));
    Result<KeyBlock12> kb = tls12_key_block(HashAlg::sha256, ms, cr, sr, s.key, s.iv);
    ASSERT_TRUE(kb.ok());
    const Bytes b(block);
    EXPECT_EQ(to_hex(kb->client_key.bytes()), to_hex(b.subspan(0, s.key)));
    EXPECT_EQ(to_hex(kb->server_key.bytes()), to_hex(b.subspan(s.key, s.key)));
    EXPECT_EQ(to_hex(kb->client_iv.bytes()), to_hex(b.subspan(2 * s.key, s.iv)));
    EXPECT_EQ(to_hex(kb->server_iv.bytes()), to_hex(b.subspan(2 * s.key + s.iv, s.iv)));
  }
}

TEST(Tls12Prf, KeyBlockTooLargeRefused) {
  const ByteVec ms(48, 0x4d);
  Result<KeyBlock12> kb =
      tls12_key_block(HashAlg::sha256, ms, ByteVec(32), ByteVec(32), Secret::kMaxSize + 1, 4);
  ASSERT_FALSE(kb.ok());
  EXPECT_EQ(kb.error(), internal_error());
}

// RFC 5246 7.4.9: verify_data = PRF(master_secret, finished_label,
// Hash(handshake_messages))[0..11].
TEST(Tls12Prf, VerifyDataIsTwelveBytesPerSide) {
  const ByteVec ms(48, 0x4d);
  const ByteVec hash(32, 0x99);
  Result<Secret> client = tls12_verify_data(HashAlg::sha256, ms, true, hash);
  Result<Secret> server = tls12_verify_data(HashAlg::sha256, ms, false, hash);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(client->size(), 12u);
  EXPECT_EQ(to_hex(client->bytes()),
            to_hex(prf_bytes(HashAlg::sha256, ms, "client finished", hash, 12)));
  EXPECT_EQ(to_hex(server->bytes()),
            to_hex(prf_bytes(HashAlg::sha256, ms, "server finished", hash, 12)));
  EXPECT_NE(to_hex(client->bytes()), to_hex(server->bytes()));
}

}  // namespace
}  // namespace rapidtls::crypto
