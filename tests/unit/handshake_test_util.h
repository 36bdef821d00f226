// Helpers shared by the handshake codec tests.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "common/bytes.h"
#include "common/result.h"

namespace rapidtls {

// Lets GoogleTest print an Error as {alert, reason}.
inline void PrintTo(const Error& e, std::ostream* os) {
  *os << "{" << alert_name(e.alert) << ", reason " << e.reason << "}";
}

}  // namespace rapidtls

namespace rapidtls::testutil {

inline std::string describe(const Error& e) {
  return std::string("{") + alert_name(e.alert) + ", reason " + std::to_string(e.reason) + "}";
}

// EXPECT_TRUE(fails_with(parse(...), want)): the parse failed with exactly `want`.
template <class T>
::testing::AssertionResult fails_with(const Result<T>& r, const Error& want) {
  if (r.ok()) return ::testing::AssertionFailure() << "parsed; expected " << describe(want);
  if (r.error() == want) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "failed with " << describe(r.error()) << "; expected " << describe(want);
}

// The body of a whole handshake message: everything after the 4-byte header.
inline Bytes body_of(const ByteVec& message) {
  return Bytes(message).subspan(4);
}

// `bytes` followed by one extra byte.
inline ByteVec with_trailing_byte(Bytes bytes) {
  ByteVec out(bytes.begin(), bytes.end());
  out.push_back(0x00);
  return out;
}

// A message's whole wire form (header included), and the same for a parse
// result (its error when it failed): round-trip tests compare these.
template <class Msg>
ByteVec wire_of(const Msg& msg) {
  ByteVec out;
  EXPECT_TRUE(msg.serialize(out).ok());
  return out;
}

template <class Msg>
Result<ByteVec> serialize_result(Result<Msg> parsed) {
  if (!parsed.ok()) return parsed.error();
  return wire_of(*parsed);
}

inline const Error kDecodeError{Alert::decode_error, SSL_R_LENGTH_MISMATCH};
inline const Error kBadExtension{Alert::decode_error, SSL_R_BAD_EXTENSION};
inline const Error kDuplicateExtension{Alert::illegal_parameter, SSL_R_BAD_EXTENSION};

}  // namespace rapidtls::testutil
