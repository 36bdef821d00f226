// The TLS 1.2 cipher suites rapidtls implements: ECDHE key exchange, ECDSA or
// RSA authentication, AEAD record protection (RFC 5288, RFC 7905). No CBC,
// no static RSA, no finite-field DH.
#pragma once

#include "crypto/aead.h"
#include "crypto/hash.h"

namespace rapidtls::handshake {

enum class Auth12 : uint8_t { ecdsa, rsa };

struct Suite12Info {
  uint16_t id;
  crypto::AeadAlg aead;
  crypto::HashAlg hash;  // the PRF's hash
  Auth12 auth;
  size_t iv_len;         // 4 (AES-GCM salt) or 12 (ChaCha20-Poly1305)
  const char* name;      // OpenSSL's name
  const char* rfc_name;  // IANA's name
};

// nullptr for a suite rapidtls does not implement.
const Suite12Info* suite12_info(uint16_t id);

// OpenSSL 3.0's default order for these suites.
inline constexpr uint16_t kDefaultSuites12[] = {0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc02b, 0xc02f};

// RFC 5746 3.3: the signalling cipher suite value.
constexpr uint16_t kEmptyRenegotiationInfoScsv = 0x00ff;
// RFC 7507 6: TLS_FALLBACK_SCSV, sent by a client retrying with a lower version.
constexpr uint16_t kFallbackScsv = 0x5600;
// RFC 8446 4.1.3: the last 8 bytes of a TLS 1.3 server's random when it
// negotiates TLS 1.2.
inline constexpr uint8_t kDowngradeTls12[8] = {0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01};

}  // namespace rapidtls::handshake
