// record::record_size: the header check every received record goes through
// (RFC 8446 5.1 and 5.2), at the edges of each field. The inline fast path and
// the out-of-line path that names the failure must agree.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <array>

#include "record/record.h"

namespace rapidtls::record {
namespace {

std::array<uint8_t, kHeaderSize> header(uint8_t type, uint8_t major, size_t length) {
  return {type, major, 0x03, static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)};
}

TEST(RecordHeader, IncompleteHeaderIsZero) {
  const auto h = header(23, 3, 100);
  for (size_t n = 0; n < kHeaderSize; ++n) {
    auto r = record_size(Bytes(h.data(), n));
    ASSERT_TRUE(r.ok()) << n;
    EXPECT_EQ(*r, 0u) << n;
  }
}

TEST(RecordHeader, EachKnownContentTypeIsAccepted) {
  for (uint8_t type = 20; type <= 23; ++type) {
    const auto h = header(type, 3, 17);
    auto r = record_size(Bytes(h));
    ASSERT_TRUE(r.ok()) << int{type};
    EXPECT_EQ(*r, kHeaderSize + 17) << int{type};
  }
}

TEST(RecordHeader, ContentTypesAroundTheKnownOnesAreUnexpectedMessage) {
  for (const uint8_t type : {0, 19, 24, 255}) {
    const auto h = header(type, 3, 17);
    auto r = record_size(Bytes(h));
    ASSERT_FALSE(r.ok()) << int{type};
    EXPECT_EQ(r.error().alert, Alert::unexpected_message) << int{type};
    EXPECT_EQ(r.error().reason, SSL_R_UNEXPECTED_RECORD) << int{type};
  }
}

TEST(RecordHeader, MajorVersionOtherThanThreeIsProtocolVersion) {
  for (const uint8_t major : {0, 2, 4, 0x16}) {
    const auto h = header(23, major, 17);
    auto r = record_size(Bytes(h));
    ASSERT_FALSE(r.ok()) << int{major};
    EXPECT_EQ(r.error().alert, Alert::protocol_version) << int{major};
    EXPECT_EQ(r.error().reason, SSL_R_WRONG_VERSION_NUMBER) << int{major};
  }
}

TEST(RecordHeader, LengthUpToTheCiphertextLimitAndNoFurther) {
  for (const size_t length : {size_t{0}, size_t{1}, kMaxPlaintext, kMaxCiphertext}) {
    const auto h = header(23, 3, length);
    auto r = record_size(Bytes(h));
    ASSERT_TRUE(r.ok()) << length;
    EXPECT_EQ(*r, kHeaderSize + length) << length;
  }
  for (const size_t length : {kMaxCiphertext + 1, size_t{0xffff}}) {
    const auto h = header(23, 3, length);
    auto r = record_size(Bytes(h));
    ASSERT_FALSE(r.ok()) << length;
    EXPECT_EQ(r.error().alert, Alert::record_overflow) << length;
    EXPECT_EQ(r.error().reason, SSL_R_ENCRYPTED_LENGTH_TOO_LONG) << length;
  }
}

TEST(RecordHeader, TheFirstFailingFieldNamesTheAlert) {
  // Type checked before version, version before length.
  auto h = header(24, 2, 0xffff);
  EXPECT_EQ(record_size(Bytes(h)).error().alert, Alert::unexpected_message);
  h = header(23, 2, 0xffff);
  EXPECT_EQ(record_size(Bytes(h)).error().alert, Alert::protocol_version);
}

}  // namespace
}  // namespace rapidtls::record
