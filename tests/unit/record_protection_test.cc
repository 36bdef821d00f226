// record::Protection, one class for both versions' record protection: what
// the factory accepts, the sizes each version's records take, round trips
// through Sealer and Opener (TLS 1.3 hides the content type, TLS 1.2 keeps
// it), and that exported keys carry on from the same sequence number (what
// a kernel taking over a direction relies on). The exact bytes of each
// version are checked elsewhere: RFC 8448's records (rfc8448_replay_test.cc)
// and OpenSSL's TLS 1.2 records (tls12_oracle_test.cc).
#include <gtest/gtest.h>

#include <vector>

#include "record/record.h"

namespace rapidtls::record {
namespace {

using crypto::AeadAlg;
using crypto::AeadDirection;

struct Case {
  uint16_t version;
  AeadAlg alg;
  size_t iv_len;
  size_t overhead;  // body bytes beyond the content
  const char* name;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> kCases = {
      // RFC 8446 5.2: content type byte + 16-byte tag.
      {kTls13, AeadAlg::aes_128_gcm, 12, 17, "1.3 AES-128-GCM"},
      {kTls13, AeadAlg::aes_256_gcm, 12, 17, "1.3 AES-256-GCM"},
      {kTls13, AeadAlg::chacha20_poly1305, 12, 17, "1.3 ChaCha20"},
      // RFC 5288 3: 8-byte explicit nonce + tag; RFC 7905 2: the tag only.
      {kTls12, AeadAlg::aes_128_gcm, 4, 24, "1.2 AES-128-GCM"},
      {kTls12, AeadAlg::aes_256_gcm, 4, 24, "1.2 AES-256-GCM"},
      {kTls12, AeadAlg::chacha20_poly1305, 12, 16, "1.2 ChaCha20"},
  };
  return kCases;
}

ByteVec bytes(size_t n, uint8_t first) {
  ByteVec b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(first + i);
  return b;
}

Protection make(const Case& c, AeadDirection dir) {
  auto p = Protection::create(c.version, c.alg, dir, bytes(crypto::aead_key_size(c.alg), 1),
                              bytes(c.iv_len, 0x40));
  EXPECT_TRUE(p.ok()) << c.name;
  return std::move(p).value();
}

TEST(RecordProtection, FactoryTakesOnlyEachVersionsIvAndKnownVersions) {
  const ByteVec key16 = bytes(16, 1);
  EXPECT_TRUE(
      Protection::create(kTls13, AeadAlg::aes_128_gcm, AeadDirection::seal, key16, bytes(12, 0))
          .ok());
  // TLS 1.3 has no salt: a 4-byte IV is TLS 1.2 AES-GCM's only.
  EXPECT_FALSE(
      Protection::create(kTls13, AeadAlg::aes_128_gcm, AeadDirection::seal, key16, bytes(4, 0))
          .ok());
  EXPECT_FALSE(
      Protection::create(kTls12, AeadAlg::aes_128_gcm, AeadDirection::seal, key16, bytes(12, 0))
          .ok());
  EXPECT_FALSE(
      Protection::create(0x0302, AeadAlg::aes_128_gcm, AeadDirection::seal, key16, bytes(4, 0))
          .ok());
  EXPECT_FALSE(
      Protection::create(kTls13, AeadAlg::aes_256_gcm, AeadDirection::seal, key16, bytes(12, 0))
          .ok());
}

TEST(RecordProtection, SizesPerVersionAndAead) {
  for (const Case& c : cases()) {
    const Protection p = make(c, AeadDirection::seal);
    EXPECT_EQ(p.sealed_size(100), kHeaderSize + 100 + c.overhead) << c.name;
    // Opening writes the content, and in TLS 1.3 its type byte too.
    EXPECT_EQ(p.opened_size(p.sealed_size(100)), c.version == kTls13 ? 101u : 100u) << c.name;
    EXPECT_EQ(p.opened_size(kHeaderSize), 0u) << c.name;
    EXPECT_EQ(p.hides_content_type(), c.version == kTls13) << c.name;
  }
}

TEST(RecordProtection, SealerAndOpenerRoundTripEveryTypeAndShowTheHeaderEachVersionSends) {
  const ContentType types[] = {ContentType::handshake, ContentType::alert,
                               ContentType::application_data};
  for (const Case& c : cases()) {
    Sealer sealer;
    Opener opener;
    sealer.set_protection(make(c, AeadDirection::seal));
    opener.set_protection(make(c, AeadDirection::open));
    for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, kMaxPlaintext}) {
      for (ContentType type : types) {
        const ByteVec plain = bytes(n, static_cast<uint8_t>(n));
        ByteVec rec(sealer.sealed_size(n));
        ASSERT_TRUE(sealer.seal_into(rec.data(), type, plain).ok()) << c.name;
        // TLS 1.3: every protected record says application_data outside.
        EXPECT_EQ(rec[0],
                  static_cast<uint8_t>(c.version == kTls13 ? ContentType::application_data : type))
            << c.name;
        EXPECT_EQ(rec[1], 0x03);
        EXPECT_EQ(rec[2], 0x03);
        EXPECT_EQ(size_t{rec[3]} << 8 | rec[4], rec.size() - kHeaderSize);
        auto opened = opener.open(MutBytes(rec));
        ASSERT_TRUE(opened.ok()) << c.name << " n=" << n;
        EXPECT_EQ(opened->type, type);
        EXPECT_EQ(ByteVec(opened->payload.begin(), opened->payload.end()), plain) << c.name;
      }
    }
    EXPECT_EQ(sealer.protection()->sequence(), 12u);
    EXPECT_EQ(opener.protection()->sequence(), 12u);
  }
}

TEST(RecordProtection, ATamperedRecordIsBadRecordMacAndLeavesTheSequence) {
  for (const Case& c : cases()) {
    Protection seal = make(c, AeadDirection::seal);
    Protection open = make(c, AeadDirection::open);
    const ByteVec plain = bytes(64, 9);
    ByteVec rec(seal.sealed_size(plain.size()));
    ASSERT_TRUE(seal.seal_into(rec.data(), ContentType::application_data, plain).ok());
    rec[rec.size() - 1] ^= 1;
    auto opened = open.open(MutBytes(rec));
    ASSERT_FALSE(opened.ok()) << c.name;
    EXPECT_EQ(opened.error().alert, Alert::bad_record_mac) << c.name;
    EXPECT_EQ(open.sequence(), 0u) << c.name;
  }
}

TEST(RecordProtection, ExportedKeysCarryOnFromTheNextSequenceNumber) {
  for (const Case& c : cases()) {
    Protection a = make(c, AeadDirection::seal);
    Protection reader = make(c, AeadDirection::open);
    const ByteVec plain = bytes(200, 3);
    for (int i = 0; i < 3; ++i) {
      ByteVec rec(a.sealed_size(plain.size()));
      ASSERT_TRUE(a.seal_into(rec.data(), ContentType::application_data, plain).ok());
      ASSERT_TRUE(reader.open(MutBytes(rec)).ok());
    }
    const RecordKeys k = a.export_keys();
    EXPECT_EQ(k.version, c.version);
    EXPECT_EQ(k.aead, c.alg);
    EXPECT_EQ(k.sequence, 3u);
    EXPECT_EQ(k.iv.size(), c.iv_len);
    auto b =
        Protection::create(k.version, k.aead, AeadDirection::seal, k.key.bytes(), k.iv.bytes());
    ASSERT_TRUE(b.ok()) << c.name;
    for (uint64_t i = 0; i < k.sequence; ++i) b->advance();
    // The next record from the copy is the one the original would have sealed.
    ByteVec from_a(a.sealed_size(plain.size()));
    ByteVec from_b(b->sealed_size(plain.size()));
    ASSERT_TRUE(a.seal_into(from_a.data(), ContentType::application_data, plain).ok());
    ASSERT_TRUE(b->seal_into(from_b.data(), ContentType::application_data, plain).ok());
    EXPECT_EQ(from_a, from_b) << c.name;
    EXPECT_TRUE(reader.open(MutBytes(from_b)).ok()) << c.name;
  }
}

TEST(RecordProtection, Tls13OpenerTakesOnlyApplicationDataAndClearChangeCipherSpec) {
  const Case& c = cases()[0];
  Opener opener;
  opener.set_protection(make(c, AeadDirection::open));
  ByteVec ccs = {20, 3, 3, 0, 1, 1};
  auto r = opener.open(MutBytes(ccs));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, ContentType::change_cipher_spec);
  ByteVec hs = {22, 3, 3, 0, 1, 1};
  auto h = opener.open(MutBytes(hs));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().alert, Alert::unexpected_message);
  // Under TLS 1.2 keys every type is opened, so a clear one fails the tag.
  Opener opener12;
  opener12.set_protection(make(cases()[3], AeadDirection::open));
  EXPECT_TRUE(opener12.opens(ContentType::change_cipher_spec));
  ByteVec ccs12 = {20, 3, 3, 0, 1, 1};
  auto r12 = opener12.open(MutBytes(ccs12));
  ASSERT_FALSE(r12.ok());
  EXPECT_EQ(r12.error().alert, Alert::bad_record_mac);
}

}  // namespace
}  // namespace rapidtls::record
