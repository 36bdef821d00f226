// TLS 1.2 AEAD record protection (RFC 5246 6.2.3.3, RFC 5288 3, RFC 7905 2):
// round trips, the exact nonce and additional data, tampering, sequence
// numbers and the size limits.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "handshake_test_util.h"
#include "record/record.h"

namespace rapidtls::record {
namespace {

using crypto::AeadAlg;
using crypto::AeadDirection;

constexpr Error kBadRecordMac{Alert::bad_record_mac, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC};
constexpr Error kOverflow{Alert::record_overflow, SSL_R_DATA_LENGTH_TOO_LONG};

// A whole TLS 1.2 record opened in place: its plaintext.
Result<MutBytes> open12(Protection& p, MutBytes record) {
  RTLS_ASSIGN(const OpenedRecord opened, p.open(record));
  return opened.payload;
}

struct Params {
  AeadAlg alg;
  const char* name;
  size_t explicit_len;
  size_t iv_len;
};

const std::vector<Params>& all_algs() {
  static const std::vector<Params> kAll = {
      {AeadAlg::aes_128_gcm, "AES-128-GCM", 8, 4},
      {AeadAlg::aes_256_gcm, "AES-256-GCM", 8, 4},
      {AeadAlg::chacha20_poly1305, "ChaCha20-Poly1305", 0, 12},
  };
  return kAll;
}

ByteVec key_for(const Params& p) {
  ByteVec key(crypto::aead_key_size(p.alg));
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(0x10 + i);
  return key;
}

ByteVec iv_for(const Params& p) {
  ByteVec iv(p.iv_len);
  for (size_t i = 0; i < iv.size(); ++i) iv[i] = static_cast<uint8_t>(0xa0 + i);
  return iv;
}

struct Pair {
  Protection sealer;
  Protection opener;
};

Pair make_protections(const Params& p) {
  Result<Protection> s =
      Protection::create(kTls12, p.alg, AeadDirection::seal, key_for(p), iv_for(p));
  Result<Protection> o =
      Protection::create(kTls12, p.alg, AeadDirection::open, key_for(p), iv_for(p));
  EXPECT_TRUE(s.ok());
  EXPECT_TRUE(o.ok());
  return Pair{std::move(s).value(), std::move(o).value()};
}

ByteVec seal(Protection& prot, ContentType type, Bytes plain) {
  ByteVec out(prot.sealed_size(plain.size()));
  EXPECT_TRUE(prot.seal_into(out.data(), type, plain).ok());
  return out;
}

ByteVec plaintext(size_t n) {
  ByteVec b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + 3);
  return b;
}

TEST(Tls12Record, OverheadPerAead) {
  for (const Params& p : all_algs()) {
    Pair pair = make_protections(p);
    EXPECT_EQ((pair.sealer.sealed_size(0) - kHeaderSize), p.explicit_len + 16) << p.name;
  }
}

TEST(Tls12Record, SealOpenRoundTripAllAeads) {
  for (const Params& p : all_algs()) {
    SCOPED_TRACE(p.name);
    Pair pair = make_protections(p);
    uint64_t seq = 0;
    for (size_t n : {size_t{0}, size_t{1}, size_t{100}, kMaxPlaintext}) {
      for (ContentType type :
           {ContentType::application_data, ContentType::handshake, ContentType::alert}) {
        const ByteVec plain = plaintext(n);
        ByteVec record = seal(pair.sealer, type, plain);
        // Header: type, 0x0303, length of the body.
        EXPECT_EQ(record[0], static_cast<uint8_t>(type));
        EXPECT_EQ(record[1], 0x03);
        EXPECT_EQ(record[2], 0x03);
        EXPECT_EQ(size_t{record[3]} << 8 | record[4], n + p.explicit_len + 16);
        // RFC 5288 3: the explicit nonce we send is the sequence number.
        for (size_t i = 0; i < p.explicit_len; ++i) {
          EXPECT_EQ(record[kHeaderSize + i], static_cast<uint8_t>(seq >> (8 * (7 - i))));
        }
        Result<MutBytes> opened = open12(pair.opener, record);
        ASSERT_TRUE(opened.ok());
        EXPECT_EQ(ByteVec(opened->begin(), opened->end()), plain);
        // The plaintext is inside the record, after header and explicit nonce.
        EXPECT_EQ(opened->data(), record.data() + kHeaderSize + p.explicit_len);
        ++seq;
        EXPECT_EQ(pair.sealer.sequence(), seq);
        EXPECT_EQ(pair.opener.sequence(), seq);
        EXPECT_FALSE(pair.sealer.exhausted());
      }
    }
  }
}

// The record is exactly the RFC's construction, checked with a bare AEAD:
// nonce = salt || seq (GCM) or IV XOR seq (ChaCha20), AAD = seq || type ||
// 0x0303 || plaintext length.
TEST(Tls12Record, SealMatchesRfcConstruction) {
  for (const Params& p : all_algs()) {
    SCOPED_TRACE(p.name);
    Pair pair = make_protections(p);
    const ByteVec plain = plaintext(37);
    (void)seal(pair.sealer, ContentType::handshake, plain);                          // seq 0
    const ByteVec record = seal(pair.sealer, ContentType::application_data, plain);  // seq 1

    const uint64_t seq = 1;
    uint8_t seq_bytes[8];
    for (size_t i = 0; i < 8; ++i) seq_bytes[i] = static_cast<uint8_t>(seq >> (8 * (7 - i)));
    const ByteVec iv = iv_for(p);
    ByteVec nonce(12);
    if (p.explicit_len != 0) {
      std::copy(iv.begin(), iv.end(), nonce.begin());
      std::copy(seq_bytes, seq_bytes + 8, nonce.begin() + 4);
    } else {
      nonce = iv;
      for (size_t i = 0; i < 8; ++i) nonce[4 + i] ^= seq_bytes[i];
    }
    ByteVec aad(seq_bytes, seq_bytes + 8);
    aad.insert(aad.end(), {23, 0x03, 0x03, 0x00, 37});

    Result<crypto::AeadContext> raw =
        crypto::AeadContext::create(p.alg, AeadDirection::seal, key_for(p));
    ASSERT_TRUE(raw.ok());
    ByteVec sealed(plain.size() + 16);
    ASSERT_TRUE(raw->seal(nonce, aad, plain, {}, sealed.data()).ok());
    ByteVec want = {23, 0x03, 0x03, 0x00, static_cast<uint8_t>(p.explicit_len + 37 + 16)};
    want.insert(want.end(), seq_bytes, seq_bytes + p.explicit_len);
    want.insert(want.end(), sealed.begin(), sealed.end());
    EXPECT_EQ(to_hex(record), to_hex(want));
  }
}

TEST(Tls12Record, TamperedTagRejected) {
  for (const Params& p : all_algs()) {
    SCOPED_TRACE(p.name);
    Pair pair = make_protections(p);
    ByteVec record = seal(pair.sealer, ContentType::application_data, plaintext(20));
    record.back() ^= 0x01;
    Result<MutBytes> r = open12(pair.opener, record);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), kBadRecordMac);
    EXPECT_EQ(pair.opener.sequence(), 0u);
  }
}

TEST(Tls12Record, TamperedCiphertextRejected) {
  for (const Params& p : all_algs()) {
    SCOPED_TRACE(p.name);
    Pair pair = make_protections(p);
    ByteVec record = seal(pair.sealer, ContentType::application_data, plaintext(20));
    record[kHeaderSize + p.explicit_len] ^= 0x80;
    Result<MutBytes> r = open12(pair.opener, record);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), kBadRecordMac);
  }
}

// The content type is authenticated through the additional data.
TEST(Tls12Record, TamperedHeaderTypeRejected) {
  for (const Params& p : all_algs()) {
    SCOPED_TRACE(p.name);
    Pair pair = make_protections(p);
    ByteVec record = seal(pair.sealer, ContentType::application_data, plaintext(20));
    record[0] = static_cast<uint8_t>(ContentType::handshake);
    Result<MutBytes> r = open12(pair.opener, record);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), kBadRecordMac);
    EXPECT_EQ(pair.opener.sequence(), 0u);
  }
}

TEST(Tls12Record, HeaderVersionOtherThan0303Rejected) {
  for (const Params& p : all_algs()) {
    SCOPED_TRACE(p.name);
    Pair pair = make_protections(p);
    ByteVec record = seal(pair.sealer, ContentType::application_data, plaintext(20));
    record[2] = 0x01;
    Result<MutBytes> r = open12(pair.opener, record);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), (Error{Alert::protocol_version, SSL_R_WRONG_VERSION_NUMBER}));
    EXPECT_EQ(pair.opener.sequence(), 0u);
  }
}

// RFC 5288 3: the explicit nonce is part of the GCM nonce.
TEST(Tls12Record, TamperedExplicitNonceRejected) {
  for (const Params& p : all_algs()) {
    if (p.explicit_len == 0) continue;
    SCOPED_TRACE(p.name);
    Pair pair = make_protections(p);
    ByteVec record = seal(pair.sealer, ContentType::application_data, plaintext(20));
    record[kHeaderSize + 7] ^= 0x01;
    Result<MutBytes> r = open12(pair.opener, record);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), kBadRecordMac);
  }
}

// A GCM peer may pick any unique explicit nonce; the receiver uses what was sent.
TEST(Tls12Record, GcmUsesReceivedExplicitNonce) {
  const Params& p = all_algs()[0];
  const ByteVec key = key_for(p);
  const ByteVec iv = iv_for(p);
  const ByteVec plain = plaintext(10);
  const uint8_t explicit_nonce[8] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04};
  ByteVec nonce(iv.begin(), iv.end());
  nonce.insert(nonce.end(), explicit_nonce, explicit_nonce + 8);
  const ByteVec aad = {0, 0, 0, 0, 0, 0, 0, 0, 23, 0x03, 0x03, 0x00, 10};
  Result<crypto::AeadContext> raw = crypto::AeadContext::create(p.alg, AeadDirection::seal, key);
  ASSERT_TRUE(raw.ok());
  ByteVec record = {23, 0x03, 0x03, 0x00, 8 + 10 + 16};
  record.insert(record.end(), explicit_nonce, explicit_nonce + 8);
  record.resize(record.size() + plain.size() + 16);
  ASSERT_TRUE(raw->seal(nonce, aad, plain, {}, record.data() + 13).ok());

  Result<Protection> opener = Protection::create(kTls12, p.alg, AeadDirection::open, key, iv);
  ASSERT_TRUE(opener.ok());
  Result<MutBytes> opened = open12(*opener, record);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(ByteVec(opened->begin(), opened->end()), plain);
}

// RFC 5246 6.1: each record's sequence number is one more than the last; a
// failed open leaves the number where it was.
TEST(Tls12Record, SequenceAdvancesOnlyOnSuccess) {
  for (const Params& p : all_algs()) {
    SCOPED_TRACE(p.name);
    Pair pair = make_protections(p);
    const ByteVec first = seal(pair.sealer, ContentType::application_data, plaintext(5));
    const ByteVec second = seal(pair.sealer, ContentType::application_data, plaintext(6));
    EXPECT_EQ(pair.sealer.sequence(), 2u);

    ByteVec tampered = first;
    tampered.back() ^= 0xff;
    EXPECT_FALSE(open12(pair.opener, tampered).ok());
    EXPECT_EQ(pair.opener.sequence(), 0u);

    // Out of order: the second record does not open at sequence 0. (For GCM
    // the explicit nonce is right but the AAD's sequence number is not.)
    ByteVec out_of_order = second;
    EXPECT_TRUE(testutil::fails_with(open12(pair.opener, out_of_order), kBadRecordMac));
    EXPECT_EQ(pair.opener.sequence(), 0u);

    ByteVec a = first;
    ASSERT_TRUE(open12(pair.opener, a).ok());
    EXPECT_EQ(pair.opener.sequence(), 1u);
    ByteVec b = second;
    ASSERT_TRUE(open12(pair.opener, b).ok());
    EXPECT_EQ(pair.opener.sequence(), 2u);
    // A replay of the first record fails.
    ByteVec replay = first;
    EXPECT_TRUE(testutil::fails_with(open12(pair.opener, replay), kBadRecordMac));
    EXPECT_EQ(pair.opener.sequence(), 2u);
  }
}

TEST(Tls12Record, TooShortBodyRejected) {
  for (const Params& p : all_algs()) {
    SCOPED_TRACE(p.name);
    Pair pair = make_protections(p);
    const size_t min_body = p.explicit_len + 16;
    for (size_t n = 0; n < min_body; ++n) {
      ByteVec record = {23, 0x03, 0x03, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
      record.resize(kHeaderSize + n, 0x00);
      EXPECT_TRUE(testutil::fails_with(open12(pair.opener, record), kBadRecordMac)) << n;
    }
    ByteVec header_only = {23, 0x03, 0x03};
    EXPECT_TRUE(testutil::fails_with(open12(pair.opener, header_only), kBadRecordMac));
    EXPECT_EQ(pair.opener.sequence(), 0u);
    // Exactly explicit + tag is an empty plaintext, which is valid.
    ByteVec empty = seal(pair.sealer, ContentType::application_data, {});
    ASSERT_EQ(empty.size(), kHeaderSize + min_body);
    Result<MutBytes> opened = open12(pair.opener, empty);
    ASSERT_TRUE(opened.ok());
    EXPECT_TRUE(opened->empty());
  }
}

// RFC 5246 6.2.1: TLSPlaintext.length MUST NOT exceed 2^14.
TEST(Tls12Record, SealRefusesPlaintextOver2To14) {
  for (const Params& p : all_algs()) {
    SCOPED_TRACE(p.name);
    Pair pair = make_protections(p);
    const ByteVec plain = plaintext(kMaxPlaintext + 1);
    ByteVec out(pair.sealer.sealed_size(plain.size()));
    Status s = pair.sealer.seal_into(out.data(), ContentType::application_data, plain);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error(), internal_error());
    EXPECT_EQ(pair.sealer.sequence(), 0u);
  }
}

// RFC 5246 6.2.3 / 6.2.2: a record whose plaintext would exceed 2^14 bytes is
// record_overflow, even when it authenticates.
TEST(Tls12Record, OpenRefusesPlaintextOver2To14) {
  for (const Params& p : all_algs()) {
    SCOPED_TRACE(p.name);
    const ByteVec key = key_for(p);
    const ByteVec iv = iv_for(p);
    const size_t n = kMaxPlaintext + 1;
    const ByteVec plain = plaintext(n);
    ByteVec nonce(12, 0);
    std::copy(iv.begin(), iv.end(), nonce.begin());  // seq 0: explicit part zero, no XOR
    const ByteVec aad = {0,
                         0,
                         0,
                         0,
                         0,
                         0,
                         0,
                         0,
                         23,
                         0x03,
                         0x03,
                         static_cast<uint8_t>(n >> 8),
                         static_cast<uint8_t>(n)};
    Result<crypto::AeadContext> raw = crypto::AeadContext::create(p.alg, AeadDirection::seal, key);
    ASSERT_TRUE(raw.ok());
    const size_t body = p.explicit_len + n + 16;
    ByteVec record = {23, 0x03, 0x03, static_cast<uint8_t>(body >> 8), static_cast<uint8_t>(body)};
    record.resize(kHeaderSize + body, 0x00);
    ASSERT_TRUE(
        raw->seal(nonce, aad, plain, {}, record.data() + kHeaderSize + p.explicit_len).ok());

    Result<Protection> opener = Protection::create(kTls12, p.alg, AeadDirection::open, key, iv);
    ASSERT_TRUE(opener.ok());
    EXPECT_TRUE(testutil::fails_with(open12(*opener, record), kOverflow));
    EXPECT_EQ(opener->sequence(), 0u);
  }
}

TEST(Tls12Record, CreateChecksKeyAndIvSizes) {
  const ByteVec key16(16), key32(32), iv4(4), iv12(12);
  EXPECT_TRUE(
      Protection::create(kTls12, AeadAlg::aes_128_gcm, AeadDirection::seal, key16, iv4).ok());
  EXPECT_FALSE(
      Protection::create(kTls12, AeadAlg::aes_128_gcm, AeadDirection::seal, key16, iv12).ok());
  EXPECT_FALSE(
      Protection::create(kTls12, AeadAlg::aes_128_gcm, AeadDirection::seal, key32, iv4).ok());
  EXPECT_TRUE(
      Protection::create(kTls12, AeadAlg::chacha20_poly1305, AeadDirection::open, key32, iv12)
          .ok());
  EXPECT_FALSE(
      Protection::create(kTls12, AeadAlg::chacha20_poly1305, AeadDirection::open, key32, iv4).ok());
}

}  // namespace
}  // namespace rapidtls::record
