// The TLS 1.2 PRF (RFC 5246 5) and the secrets made with it: the master
// secret (RFC 5246 8.1, and RFC 7627 4 for the extended master secret), the
// key block (RFC 5246 6.3) and Finished's verify_data (RFC 5246 7.4.9). Runs
// libcrypto's EVP_KDF "TLS1-PRF", fetched once.
#pragma once

#include <string_view>

#include "common/result.h"
#include "crypto/hash.h"

namespace rapidtls::crypto {

// PRF(secret, label, seed) of `out.size()` bytes, with P_<hash>.
Status tls12_prf(HashAlg alg, Bytes secret, std::string_view label, Bytes seed, MutBytes out);

// 48 bytes. With ems: PRF(pms, "extended master secret", session_hash);
// without: PRF(pms, "master secret", client_random || server_random).
Result<Secret> tls12_master_secret(HashAlg alg, Bytes pre_master, Bytes client_random,
                                   Bytes server_random, bool extended, Bytes session_hash);

// RFC 5246 6.3: key_block = PRF(master, "key expansion", server_random ||
// client_random), cut into client key, server key, client IV, server IV (no
// MAC keys: AEAD suites only).
struct KeyBlock12 {
  Secret client_key;
  Secret server_key;
  Secret client_iv;  // 4 bytes (AES-GCM: the implicit salt) or 12 (ChaCha20-Poly1305)
  Secret server_iv;
};
Result<KeyBlock12> tls12_key_block(HashAlg alg, Bytes master, Bytes client_random,
                                   Bytes server_random, size_t key_len, size_t iv_len);

// RFC 5246 7.4.9: PRF(master, "client finished" | "server finished",
// Hash(handshake_messages))[0..11].
Result<Secret> tls12_verify_data(HashAlg alg, Bytes master, bool client, Bytes transcript_hash);

}  // namespace rapidtls::crypto
