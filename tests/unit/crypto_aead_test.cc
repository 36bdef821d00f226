// AEAD seal/open against published vectors, plus the record-layer contract:
// trailer handling, in-place opening and rejection of anything tampered with.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <tuple>

#include "crypto/aead.h"

namespace rapidtls::crypto {
namespace {

struct Vector {
  AeadAlg alg;
  std::string_view key, nonce, aad, plain, cipher, tag;
};

// "The Galois/Counter Mode of Operation (GCM)", McGrew and Viega, appendix B,
// test case 4 (AES-128) and test case 16 (AES-256): 12-byte IV, with AAD.
constexpr Vector kGcm128Case4 = {
    AeadAlg::aes_128_gcm,
    "feffe9928665731c6d6a8f9467308308",
    "cafebabefacedbaddecaf888",
    "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
    "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
    "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
    "5bc94fbc3221a5db94fae95ae7121a47",
};

constexpr Vector kGcm256Case16 = {
    AeadAlg::aes_256_gcm,
    "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
    "cafebabefacedbaddecaf888",
    "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
    "76fc6ece0f4e1768cddf8853bb2d551b",
};

// RFC 8439 2.8.2, AEAD_CHACHA20_POLY1305 example.
constexpr Vector kChaChaRfc8439 = {
    AeadAlg::chacha20_poly1305,
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
    "070000004041424344454647",
    "50515253c0c1c2c3c4c5c6c7",
    // "Ladies and Gentlemen of the class of '99: If I could offer you only one
    // tip for the future, sunscreen would be it."
    "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
    "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
    "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
    "637265656e20776f756c642062652069742e",
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
    "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
    "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
    "3ff4def08e4b7a9de576d26586cec64b6116",
    "1ae10b594f09e26a7e902ecbd0600691",
};

const Error kBadMac = {Alert::bad_record_mac, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC};

AeadContext make(AeadAlg alg, AeadDirection dir, Bytes key, AeadPath path = AeadPath::automatic) {
  auto ctx = AeadContext::create(alg, dir, key, path);
  EXPECT_TRUE(ctx.ok());
  return std::move(ctx).value();
}

ByteVec seal(AeadContext& ctx, Bytes nonce, Bytes aad, Bytes plain, Bytes trailer = {}) {
  ByteVec out(plain.size() + trailer.size() + kAeadTagSize);
  EXPECT_TRUE(ctx.seal(nonce, aad, plain, trailer, out.data()).ok());
  return out;
}

void check_known_answer(const Vector& v, AeadPath path) {
  SCOPED_TRACE(path == AeadPath::provider ? "provider path" : "EVP path");
  const ByteVec key = from_hex(v.key), nonce = from_hex(v.nonce), aad = from_hex(v.aad),
                plain = from_hex(v.plain);
  AeadContext sealer = make(v.alg, AeadDirection::seal, key, path);
  EXPECT_EQ(sealer.path(), path);
  const ByteVec sealed = seal(sealer, nonce, aad, plain);
  EXPECT_EQ(to_hex(sealed), std::string(v.cipher) + std::string(v.tag));

  AeadContext opener = make(v.alg, AeadDirection::open, key, path);
  EXPECT_EQ(opener.path(), path);
  ByteVec opened(sealed.size() - kAeadTagSize);
  ASSERT_TRUE(opener.open(nonce, aad, sealed, opened.data()).ok());
  EXPECT_EQ(opened, plain);
}

void check_known_answer(const Vector& v) {
  check_known_answer(v, AeadPath::provider);
  check_known_answer(v, AeadPath::evp);
}

TEST(Aead, Aes128Gcm_GcmSpecCase4) {
  check_known_answer(kGcm128Case4);
}
TEST(Aead, Aes256Gcm_GcmSpecCase16) {
  check_known_answer(kGcm256Case16);
}
TEST(Aead, ChaCha20Poly1305_Rfc8439_2_8_2) {
  check_known_answer(kChaChaRfc8439);
}

TEST(Aead, KeyOfWrongSizeIsRejected) {
  const ByteVec key(16, 7);
  EXPECT_FALSE(AeadContext::create(AeadAlg::aes_256_gcm, AeadDirection::seal, key).ok());
  EXPECT_FALSE(AeadContext::create(AeadAlg::chacha20_poly1305, AeadDirection::open, key).ok());
  EXPECT_TRUE(AeadContext::create(AeadAlg::aes_128_gcm, AeadDirection::seal, key).ok());
}

// The provider path is what contexts take by default here (the system's
// default provider); were it lost, every record would pay the EVP layer again.
TEST(Aead, ProviderPathIsAvailableAndTakenByDefault) {
  for (AeadAlg alg : {AeadAlg::aes_128_gcm, AeadAlg::aes_256_gcm, AeadAlg::chacha20_poly1305}) {
    EXPECT_TRUE(aead_provider_path_available(alg));
  }
  if (std::getenv("RAPIDTLS_AEAD") != nullptr) {
    GTEST_SKIP() << "RAPIDTLS_AEAD is set in the environment: the default path is its choice";
  }
  const ByteVec key(16, 7);
  EXPECT_EQ(make(AeadAlg::aes_128_gcm, AeadDirection::seal, key).path(), AeadPath::provider);
  EXPECT_EQ(make(AeadAlg::aes_128_gcm, AeadDirection::open, key, AeadPath::evp).path(),
            AeadPath::evp);
}

// Each path opens what the other sealed, and both seal the same bytes, at the
// sizes records have (empty, partial blocks, a full 16 KiB record plus trailer).
TEST(Aead, ProviderAndEvpPathsAgree) {
  for (AeadAlg alg : {AeadAlg::aes_128_gcm, AeadAlg::aes_256_gcm, AeadAlg::chacha20_poly1305}) {
    const ByteVec key(aead_key_size(alg), 0x5a);
    AeadContext seal_p = make(alg, AeadDirection::seal, key, AeadPath::provider);
    AeadContext seal_e = make(alg, AeadDirection::seal, key, AeadPath::evp);
    AeadContext open_p = make(alg, AeadDirection::open, key, AeadPath::provider);
    AeadContext open_e = make(alg, AeadDirection::open, key, AeadPath::evp);
    uint64_t seq = 0;
    // 2048 and 2049: either side of where a trailer is joined to the
    // plaintext before sealing.
    for (size_t len : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{64}, size_t{1000},
                       size_t{2048}, size_t{2049}, size_t{16384}}) {
      SCOPED_TRACE(len);
      ByteVec nonce = from_hex("0f0e0d0c0b0a090807060504");
      nonce[11] ^= static_cast<uint8_t>(++seq);
      const ByteVec aad = {0x17, 0x03, 0x03, static_cast<uint8_t>(len >> 8),
                           static_cast<uint8_t>(len)};
      ByteVec plain(len);
      for (size_t i = 0; i < len; ++i) plain[i] = static_cast<uint8_t>(i * 31 + len);
      const ByteVec trailer = {0x17};
      const ByteVec by_p = seal(seal_p, nonce, aad, plain, trailer);
      const ByteVec by_e = seal(seal_e, nonce, aad, plain, trailer);
      EXPECT_EQ(by_p, by_e);
      ByteVec joined = plain;
      joined.push_back(0x17);
      ByteVec out(by_p.size() - kAeadTagSize);
      ASSERT_TRUE(open_e.open(nonce, aad, by_p, out.data()).ok());
      EXPECT_EQ(out, joined);
      std::fill(out.begin(), out.end(), 0);
      ASSERT_TRUE(open_p.open(nonce, aad, by_e, out.data()).ok());
      EXPECT_EQ(out, joined);
    }
  }
}

class AeadAll : public ::testing::TestWithParam<std::tuple<AeadAlg, AeadPath>> {
 protected:
  static AeadAlg alg() { return std::get<0>(GetParam()); }
  static AeadPath path() { return std::get<1>(GetParam()); }
  static AeadContext make(AeadAlg alg, AeadDirection dir, Bytes key) {
    return crypto::make(alg, dir, key, path());
  }

  ByteVec key_ = ByteVec(aead_key_size(alg()), 0x42);
  ByteVec nonce_ = from_hex("000102030405060708090a0b");
  ByteVec aad_ = from_hex("1703030025");
  ByteVec plain_ =
      ByteVec(as_bytes("GET / HTTP/1.1\r\n").begin(), as_bytes("GET / HTTP/1.1\r\n").end());
};

TEST_P(AeadAll, SealWithTrailerEqualsSealOfConcatenation) {
  // TLS 1.3 inner plaintext: content || content type || zero padding.
  const ByteVec trailer = {0x17, 0x00, 0x00};
  ByteVec joined = plain_;
  joined.insert(joined.end(), trailer.begin(), trailer.end());
  AeadContext a = make(alg(), AeadDirection::seal, key_);
  AeadContext b = make(alg(), AeadDirection::seal, key_);
  EXPECT_EQ(seal(a, nonce_, aad_, plain_, trailer), seal(b, nonce_, aad_, joined));
}

TEST_P(AeadAll, ContextIsReusedAcrossRecords) {
  // One keyed context, a fresh nonce per record: each record must equal what
  // a brand-new context produces for that nonce.
  AeadContext reused = make(alg(), AeadDirection::seal, key_);
  for (uint8_t seq = 0; seq < 3; ++seq) {
    ByteVec nonce = nonce_;
    nonce.back() ^= seq;
    AeadContext fresh = make(alg(), AeadDirection::seal, key_);
    EXPECT_EQ(seal(reused, nonce, aad_, plain_), seal(fresh, nonce, aad_, plain_));
  }
}

TEST_P(AeadAll, OpensInPlace) {
  AeadContext sealer = make(alg(), AeadDirection::seal, key_);
  ByteVec record = seal(sealer, nonce_, aad_, plain_, ByteVec{0x17});
  AeadContext opener = make(alg(), AeadDirection::open, key_);
  ASSERT_TRUE(opener.open(nonce_, aad_, record, record.data()).ok());
  ByteVec expected = plain_;
  expected.push_back(0x17);
  EXPECT_EQ(ByteVec(record.begin(), record.end() - kAeadTagSize), expected);
}

TEST_P(AeadAll, SealsInPlace) {
  // out == plain.data() is allowed (the record layer encrypts in its buffer),
  // for short records (trailer joined first) and long ones alike.
  for (const size_t len : {plain_.size(), size_t{5000}}) {
    SCOPED_TRACE(len);
    ByteVec plain(len);
    for (size_t i = 0; i < len; ++i) plain[i] = static_cast<uint8_t>(i ^ 0x3c);
    ByteVec buf = plain;
    buf.resize(len + 1 + kAeadTagSize);
    const uint8_t trailer[] = {0x16};
    AeadContext in_place = make(alg(), AeadDirection::seal, key_);
    ASSERT_TRUE(in_place.seal(nonce_, aad_, Bytes(buf.data(), len), trailer, buf.data()).ok());
    AeadContext copy = make(alg(), AeadDirection::seal, key_);
    EXPECT_EQ(buf, seal(copy, nonce_, aad_, plain, trailer));
  }
}

// A context moved into another (constructed or assigned over a live one)
// keeps working; the one moved from refuses, it does not crash.
TEST_P(AeadAll, MovedContextsKeepWorkingAndMovedFromOnesRefuse) {
  AeadContext a = make(alg(), AeadDirection::seal, key_);
  const ByteVec expected = seal(a, nonce_, aad_, plain_);
  AeadContext b(std::move(a));
  EXPECT_EQ(seal(b, nonce_, aad_, plain_), expected);
  AeadContext c = make(alg(), AeadDirection::seal, ByteVec(key_.size(), 0x01));
  c = std::move(b);  // c's own state is freed (checked by ASan in the dev preset)
  EXPECT_EQ(seal(c, nonce_, aad_, plain_), expected);
  AeadContext& self = c;
  c = std::move(self);
  EXPECT_EQ(seal(c, nonce_, aad_, plain_), expected);
  ByteVec out(plain_.size() + kAeadTagSize);
  // NOLINTNEXTLINE(bugprone-use-after-move): the moved-from state is what is tested
  Status s = a.seal(nonce_, aad_, plain_, {}, out.data());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), internal_error());
}

TEST_P(AeadAll, EmptyPlaintextHasOnlyATag) {
  AeadContext sealer = make(alg(), AeadDirection::seal, key_);
  const ByteVec record = seal(sealer, nonce_, aad_, {});
  ASSERT_EQ(record.size(), kAeadTagSize);
  AeadContext opener = make(alg(), AeadDirection::open, key_);
  uint8_t unused = 0;
  EXPECT_TRUE(opener.open(nonce_, aad_, record, &unused).ok());
}

void expect_bad_mac(AeadAlg alg, AeadPath path, Bytes key, Bytes nonce, Bytes aad, Bytes record) {
  AeadContext opener = make(alg, AeadDirection::open, key, path);
  ByteVec out(record.size() >= kAeadTagSize ? record.size() - kAeadTagSize : 0);
  Status s = opener.open(nonce, aad, record, out.data());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), kBadMac);
}

TEST_P(AeadAll, TamperedCiphertextTagOrAadIsBadRecordMac) {
  AeadContext sealer = make(alg(), AeadDirection::seal, key_);
  const ByteVec record = seal(sealer, nonce_, aad_, plain_);

  ByteVec bad_body = record;
  bad_body[0] ^= 0x01;
  expect_bad_mac(alg(), path(), key_, nonce_, aad_, bad_body);

  ByteVec bad_tag = record;
  bad_tag.back() ^= 0x80;
  expect_bad_mac(alg(), path(), key_, nonce_, aad_, bad_tag);

  ByteVec bad_aad = aad_;
  bad_aad[4] ^= 0x01;
  expect_bad_mac(alg(), path(), key_, nonce_, bad_aad, record);

  ByteVec bad_nonce = nonce_;
  bad_nonce[0] ^= 0x01;
  expect_bad_mac(alg(), path(), key_, bad_nonce, aad_, record);

  const ByteVec other_key(key_.size(), 0x43);
  expect_bad_mac(alg(), path(), other_key, nonce_, aad_, record);
}

TEST_P(AeadAll, TooShortInputIsBadRecordMac) {
  const ByteVec short_record(kAeadTagSize - 1, 0);
  expect_bad_mac(alg(), path(), key_, nonce_, aad_, short_record);
  expect_bad_mac(alg(), path(), key_, nonce_, aad_, {});
}

TEST_P(AeadAll, FailedOpenLeavesNoPlaintext) {
  AeadContext sealer = make(alg(), AeadDirection::seal, key_);
  ByteVec record = seal(sealer, nonce_, aad_, plain_);
  record.back() ^= 1;
  AeadContext opener = make(alg(), AeadDirection::open, key_);
  ASSERT_FALSE(opener.open(nonce_, aad_, record, record.data()).ok());
  EXPECT_EQ(ByteVec(record.begin(), record.begin() + plain_.size()), ByteVec(plain_.size(), 0));
}

TEST_P(AeadAll, OpenStillWorksAfterAFailure) {
  AeadContext sealer = make(alg(), AeadDirection::seal, key_);
  const ByteVec good = seal(sealer, nonce_, aad_, plain_);
  ByteVec bad = good;
  bad[1] ^= 4;
  AeadContext opener = make(alg(), AeadDirection::open, key_);
  ByteVec out(plain_.size());
  EXPECT_FALSE(opener.open(nonce_, aad_, bad, out.data()).ok());
  ASSERT_TRUE(opener.open(nonce_, aad_, good, out.data()).ok());
  EXPECT_EQ(out, plain_);
}

TEST_P(AeadAll, WrongNonceSizeOrDirectionIsInternalError) {
  AeadContext sealer = make(alg(), AeadDirection::seal, key_);
  ByteVec out(plain_.size() + kAeadTagSize);
  const ByteVec short_nonce(8, 0);
  Status s = sealer.seal(short_nonce, aad_, plain_, {}, out.data());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), internal_error());
  // A sealing context cannot open.
  Status o = sealer.open(nonce_, aad_, out, out.data());
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error(), internal_error());
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, AeadAll,
    ::testing::Combine(::testing::Values(AeadAlg::aes_128_gcm, AeadAlg::aes_256_gcm,
                                         AeadAlg::chacha20_poly1305),
                       ::testing::Values(AeadPath::provider, AeadPath::evp)),
    [](const ::testing::TestParamInfo<std::tuple<AeadAlg, AeadPath>>& p) -> std::string {
      std::string name;
      switch (std::get<0>(p.param)) {
        case AeadAlg::aes_128_gcm:
          name = "Aes128Gcm";
          break;
        case AeadAlg::aes_256_gcm:
          name = "Aes256Gcm";
          break;
        case AeadAlg::chacha20_poly1305:
          name = "ChaCha20Poly1305";
          break;
      }
      return name + (std::get<1>(p.param) == AeadPath::provider ? "_Provider" : "_Evp");
    });

}  // namespace
}  // namespace rapidtls::crypto
