// The handshake transcript hash (RFC 8446 4.4.1). Until the cipher suite is
// known, messages are kept as bytes; then they are hashed with its hash.
#pragma once

#include <optional>

#include "common/result.h"
#include "crypto/hash.h"

namespace rapidtls::handshake {

class Transcript {
 public:
  void add(Bytes message);
  // Chooses the hash and hashes what was kept.
  Status set_hash(crypto::HashAlg alg);
  // RFC 8446 4.4.1: after a HelloRetryRequest, ClientHello1 is replaced by
  // message_hash || 00 00 Hash.length || Hash(ClientHello1).
  Status replace_with_message_hash();
  Result<crypto::Secret> current() const;
  // The hash, with `alg`, of the transcript followed by `extra`, leaving the
  // transcript as it is: a PSK binder's (RFC 8446 4.2.11.2), over a truncated
  // ClientHello. Fails when the transcript already has another hash.
  Result<crypto::Secret> hash_with(crypto::HashAlg alg, Bytes extra) const;
  bool has_hash() const { return hash_.has_value(); }

 private:
  ByteVec kept_;
  std::optional<crypto::Hash> hash_;
};

}  // namespace rapidtls::handshake
