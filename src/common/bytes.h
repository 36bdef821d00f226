// Byte views and owned byte strings used across the engine.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rapidtls {

using Bytes = std::span<const uint8_t>;  // an unowned, read-only view; pass by value
using MutBytes = std::span<uint8_t>;
using ByteVec = std::vector<uint8_t>;

inline Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// XORs `v`, big-endian, into the 8 bytes at p (a record nonce's sequence
// number: RFC 8446 5.3, RFC 7905 2).
inline void xor_be64(uint8_t* p, uint64_t v) {
  uint64_t x;
  std::memcpy(&x, p, sizeof x);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  x ^= v;
  std::memcpy(p, &x, sizeof x);
}

// Constant-time comparison for MACs and Finished values.
bool ct_equal(Bytes a, Bytes b);

// Zeroes memory in a way the optimiser may not remove.
void secure_zero(MutBytes b);

// Hex helpers, for tests, logs and the key-log file.
std::string to_hex(Bytes b);
ByteVec from_hex(std::string_view hex);  // ignores whitespace; empty on bad input

}  // namespace rapidtls
