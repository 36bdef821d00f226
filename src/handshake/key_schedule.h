// The TLS 1.3 key schedule (RFC 8446 section 7.1): Early Secret, Handshake
// Secret and Master Secret, the traffic secrets derived from them, Finished
// keys (4.4.4), traffic key updates (7.2) and the traffic keys themselves (7.3).
#pragma once

#include <optional>
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
  // The current secret is keyed into an HMAC context once (at its first
  // derive) for all the secrets derived from it.
  Result<Secret> derive(std::string_view label, Bytes transcript_hash);
  // Derive-Secret from the Early Secret (binder keys, early traffic).
  Result<Secret> derive_early(std::string_view label, Bytes transcript_hash);

  // Whether the schedule is at an Early Secret made from a PSK with `alg`:
  // what the binder was computed with, which the handshake then continues.
  bool at_psk_early_secret(HashAlg alg) const {
    return alg == alg_ && current_ == &early_ && from_psk_;
  }

  const Secret& early_secret() const { return early_; }
  const Secret& handshake_secret() const { return handshake_; }
  const Secret& master_secret() const { return master_; }

 private:
  Result<Secret> derived_salt(const Secret& from);
  void set_current(const Secret* secret);
  // The schedule's one HMAC context, keyed with `key` (made at the first use).
  Status set_key(Bytes key);
  Result<Secret> extract(Bytes salt, Bytes ikm);
  HashAlg alg_;
  Secret early_;
  Secret handshake_;
  Secret master_;
  const Secret* current_ = nullptr;
  // One HMAC context for every extract and derive: keyed with current_ (when
  // current_keyed_) or with the last extract's salt.
  std::optional<crypto::HmacKey> key_;
  bool current_keyed_ = false;
  bool no_psk_ = false;    // early_ and its derived salt are the per-hash constants
  bool from_psk_ = false;  // early_ is HKDF-Extract(0, PSK) of a real PSK
};

// Hash(""), the transcript hash of Derive-Secret(secret, "derived", "") and
// of the binder key (RFC 8446 7.1): FIPS 180-4 constants, not computed.
Bytes empty_hash(HashAlg alg);

// RFC 8446 4.4.4: verify_data = HMAC(HKDF-Expand-Label(base, "finished", "", Hash.length),
// Transcript-Hash).
Result<Secret> finished_verify_data(HashAlg alg, const Secret& base_key, Bytes transcript_hash);
// The same in two steps: finished_key = HKDF-Expand-Label(BaseKey, "finished", "",
// Hash.length), then verify_data = HMAC(finished_key, Transcript-Hash).
Result<Secret> finished_key(HashAlg alg, const Secret& base_key);
Result<Secret> verify_data_from_finished_key(HashAlg alg, const Secret& finished_key,
                                             Bytes transcript_hash);

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
// With `finished_key`, also that secret's Finished key (RFC 8446 4.4.4), from
// the same HMAC key as the traffic keys.
Result<TrafficKeys> traffic_keys(const SuiteInfo& suite, const Secret& traffic_secret,
                                 Secret* finished_key = nullptr);

}  // namespace rapidtls::handshake
