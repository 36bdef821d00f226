// Protocol version numbers (RFC 8446 4.2.1, RFC 5246 6.2.1), shared by the
// record layer and the handshake.
#pragma once

#include <cstdint>

namespace rapidtls {

constexpr uint16_t kTls12 = 0x0303;
constexpr uint16_t kTls13 = 0x0304;

}  // namespace rapidtls
