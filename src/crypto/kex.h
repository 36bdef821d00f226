// Ephemeral key exchange for TLS 1.3 key_share (RFC 8446 4.2.8): X25519,
// secp256r1, secp384r1 and secp521r1. Private keys come from an injected RandomSource so
// a handshake is reproducible.
#pragma once

#include "common/result.h"
#include "crypto/ptr.h"
#include "crypto/random.h"
#include "crypto/secret.h"

namespace rapidtls::crypto {

// RFC 8446 4.2.7 NamedGroup values.
enum class NamedGroup : uint16_t {
  secp256r1 = 0x0017,
  secp384r1 = 0x0018,
  secp521r1 = 0x0019,
  x25519 = 0x001d,
  x448 = 0x001e,
};

bool group_supported(NamedGroup g);  // x25519, secp256r1, secp384r1, secp521r1
const char* group_name(NamedGroup g);

class KeyShare {
 public:
  // A fresh key pair, the private key drawn from `rng`.
  static Result<KeyShare> generate(NamedGroup group, RandomSource& rng);
  // A key pair from a known private key (X25519: 32 bytes; EC: the big-endian
  // scalar of the curve's size). For replaying published traces.
  static Result<KeyShare> from_private(NamedGroup group, Bytes private_key);

  KeyShare(KeyShare&&) noexcept = default;
  KeyShare& operator=(KeyShare&&) noexcept = default;

  NamedGroup group() const { return group_; }
  // The key_exchange bytes: X25519 the 32-byte u-coordinate; EC groups the
  // uncompressed point 0x04 || X || Y (RFC 8446 4.2.8.2).
  Bytes public_key() const { return Bytes(public_.data(), public_.size()); }

  // The shared secret with the peer's key_exchange bytes. A malformed or
  // invalid peer key (wrong length, not on the curve, all-zero X25519 output)
  // fails with {illegal_parameter, SSL_R_BAD_KEY_SHARE}.
  Result<Secret> derive(Bytes peer_public) const;

 private:
  KeyShare(NamedGroup g, EvpPkeyPtr key, ByteVec pub)
      : group_(g), key_(std::move(key)), public_(std::move(pub)) {}
  NamedGroup group_;
  EvpPkeyPtr key_;
  ByteVec public_;
};

}  // namespace rapidtls::crypto
