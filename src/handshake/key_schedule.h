// The TLS 1.3 key schedule (RFC 8446 section 7.1): Early Secret, Handshake
// Secret and Master Secret, the traffic secrets derived from them, Finished
// keys (4.4.4), traffic key updates (7.2) and the traffic keys themselves (7.3).
#pragma once

#include <string_view>

#include "common/result.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "handshake/types.h"

namespace rapidtls::handshake {

using crypto::HashAlg;
using crypto::Secret;

struct SuiteInfo {
  CipherSuite suite;
  crypto::AeadAlg aead;
  HashAlg hash;
  const char* name;  // the RFC 8446 B.4 name, as OpenSSL prints it
};
// nullptr for a suite rapidtls does not implement.
const SuiteInfo* suite_info(uint16_t suite);

class KeySchedule {
 public:
  explicit KeySchedule(HashAlg alg) : alg_(alg) {}
  HashAlg alg() const { return alg_; }
  size_t hash_len() const { return crypto::hash_size(alg_); }

  // Early Secret = HKDF-Extract(0, PSK), with PSK = zeros when there is none.
  Status init_early(Bytes psk);
  // Handshake Secret = HKDF-Extract(Derive-Secret(Early, "derived", ""), (EC)DHE).
  Status derive_handshake(Bytes ecdhe);
  // Master Secret = HKDF-Extract(Derive-Secret(Handshake, "derived", ""), 0).
  Status derive_master();

  // Derive-Secret(current secret, label, Transcript-Hash) given the hash.
  Result<Secret> derive(std::string_view label, Bytes transcript_hash) const;
  // Derive-Secret from the Early Secret (binder keys, early traffic).
  Result<Secret> derive_early(std::string_view label, Bytes transcript_hash) const;

  const Secret& early_secret() const { return early_; }
  const Secret& handshake_secret() const { return handshake_; }
  const Secret& master_secret() const { return master_; }

 private:
  Result<Secret> derived_salt(const Secret& from) const;
  HashAlg alg_;
  Secret early_;
  Secret handshake_;
  Secret master_;
  const Secret* current_ = nullptr;
  bool no_psk_ = false;  // early_ and its derived salt are the per-hash constants
};

// RFC 8446 4.4.4: verify_data = HMAC(HKDF-Expand-Label(base, "finished", "", Hash.length),
// Transcript-Hash).
Result<Secret> finished_verify_data(HashAlg alg, const Secret& base_key, Bytes transcript_hash);

// RFC 8446 7.2: application_traffic_secret_N+1.
Result<Secret> next_traffic_secret(HashAlg alg, const Secret& current);

// One direction's record keys, either version: TLS 1.3's from a traffic
// secret (RFC 8446 7.3, traffic_keys below), TLS 1.2's from the key block
// (RFC 5246 6.3: the key and the IV or, for AES-GCM, the 4-byte salt).
struct TrafficKeys {
  uint16_t version = kTls13;
  crypto::AeadAlg aead = crypto::AeadAlg::aes_128_gcm;
  Secret key;
  Secret iv;
};
Result<TrafficKeys> traffic_keys(const SuiteInfo& suite, const Secret& traffic_secret);

}  // namespace rapidtls::handshake
