// Byte views and owned byte strings used across the engine.
#pragma once

#include <cstddef>
#include <cstdint>
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

// Constant-time comparison for MACs and Finished values.
bool ct_equal(Bytes a, Bytes b);

// Zeroes memory in a way the optimiser may not remove.
void secure_zero(MutBytes b);

// Hex helpers, for tests, logs and the key-log file.
std::string to_hex(Bytes b);
ByteVec from_hex(std::string_view hex);  // ignores whitespace; empty on bad input

}  // namespace rapidtls
