// record::record_size: the header check every received record goes through
// (RFC 8446 5.1 and 5.2), at the edges of each field. The inline fast path and
// the out-of-line path that names the failure must agree.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <openssl/ssl.h>
#include <string>

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
  // Version checked before type (as OpenSSL: bytes that are not TLS are a
  // wrong version number), type before length.
  auto h = header(24, 2, 0xffff);
  EXPECT_EQ(record_size(Bytes(h)).error().alert, Alert::protocol_version);
  EXPECT_EQ(record_size(Bytes(h)).error().reason, SSL_R_WRONG_VERSION_NUMBER);
  h = header(24, 3, 0xffff);
  EXPECT_EQ(record_size(Bytes(h)).error().alert, Alert::unexpected_message);
  h = header(23, 3, 0xffff);
  EXPECT_EQ(record_size(Bytes(h)).error().alert, Alert::record_overflow);
}

TEST(RecordHeader, HttpRequestsAreNamed) {
  const std::string get = "GET / HTTP/1.1\r\n";
  const std::string connect = "CONNECT host:443 HTTP/1.1\r\n";
  const std::string answer = "HTTP/1.1 400 Bad Request\r\n";
  auto reason = [](const std::string& s) {
    return record_size(Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size())).error().reason;
  };
  EXPECT_EQ(reason(get), SSL_R_HTTP_REQUEST);
  EXPECT_EQ(reason("POST /x HTTP/1.1\r\n"), SSL_R_HTTP_REQUEST);
  EXPECT_EQ(reason("HEAD / HTTP/1.1\r\n"), SSL_R_HTTP_REQUEST);
  EXPECT_EQ(reason("PUT /x HTTP/1.1\r\n"), SSL_R_HTTP_REQUEST);
  EXPECT_EQ(reason(connect), SSL_R_HTTPS_PROXY_REQUEST);
  EXPECT_EQ(reason(answer), SSL_R_WRONG_VERSION_NUMBER);
}

}  // namespace
}  // namespace rapidtls::record
