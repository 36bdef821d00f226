#include "handshake/key_schedule.h"

#include <array>

namespace rapidtls::handshake {

const SuiteInfo* suite_info(uint16_t suite) {
  static constexpr SuiteInfo kSuites[] = {
      {CipherSuite::tls_aes_128_gcm_sha256, crypto::AeadAlg::aes_128_gcm, HashAlg::sha256,
       "TLS_AES_128_GCM_SHA256"},
      {CipherSuite::tls_aes_256_gcm_sha384, crypto::AeadAlg::aes_256_gcm, HashAlg::sha384,
       "TLS_AES_256_GCM_SHA384"},
      {CipherSuite::tls_chacha20_poly1305_sha256, crypto::AeadAlg::chacha20_poly1305,
       HashAlg::sha256, "TLS_CHACHA20_POLY1305_SHA256"},
  };
  for (const auto& s : kSuites) {
    if (static_cast<uint16_t>(s.suite) == suite) return &s;
  }
  return nullptr;
}

static Bytes zeros(size_t n) {
  static constexpr std::array<uint8_t, Secret::kMaxSize> kZeros{};
  return Bytes(kZeros.data(), n);
}

Result<Secret> KeySchedule::derived_salt(const Secret& from) const {
  // Derive-Secret(secret, "derived", "") uses the hash of the empty string.
  RTLS_ASSIGN(Secret empty_hash, crypto::hash(alg_, {}));
  return crypto::hkdf_expand_label(alg_, from.bytes(), "derived", empty_hash.bytes(), hash_len());
}

Status KeySchedule::init_early(Bytes psk) {
  RTLS_ASSIGN(early_,
              crypto::hkdf_extract(alg_, zeros(hash_len()), psk.empty() ? zeros(hash_len()) : psk));
  current_ = &early_;
  return {};
}

Status KeySchedule::derive_handshake(Bytes ecdhe) {
  if (current_ != &early_) return internal_error();
  RTLS_ASSIGN(Secret salt, derived_salt(early_));
  RTLS_ASSIGN(handshake_, crypto::hkdf_extract(alg_, salt.bytes(), ecdhe));
  current_ = &handshake_;
  return {};
}

Status KeySchedule::derive_master() {
  if (current_ != &handshake_) return internal_error();
  RTLS_ASSIGN(Secret salt, derived_salt(handshake_));
  RTLS_ASSIGN(master_, crypto::hkdf_extract(alg_, salt.bytes(), zeros(hash_len())));
  current_ = &master_;
  return {};
}

Result<Secret> KeySchedule::derive(std::string_view label, Bytes transcript_hash) const {
  if (current_ == nullptr) return internal_error();
  return crypto::hkdf_expand_label(alg_, current_->bytes(), label, transcript_hash, hash_len());
}

Result<Secret> KeySchedule::derive_early(std::string_view label, Bytes transcript_hash) const {
  if (early_.empty()) return internal_error();
  return crypto::hkdf_expand_label(alg_, early_.bytes(), label, transcript_hash, hash_len());
}

Result<Secret> finished_verify_data(HashAlg alg, const Secret& base_key, Bytes transcript_hash) {
  RTLS_ASSIGN(Secret finished_key, crypto::hkdf_expand_label(alg, base_key.bytes(), "finished", {},
                                                             crypto::hash_size(alg)));
  return crypto::hmac(alg, finished_key.bytes(), transcript_hash);
}

Result<Secret> next_traffic_secret(HashAlg alg, const Secret& current) {
  return crypto::hkdf_expand_label(alg, current.bytes(), "traffic upd", {}, crypto::hash_size(alg));
}

Result<TrafficKeys> traffic_keys(const SuiteInfo& suite, const Secret& traffic_secret) {
  TrafficKeys keys;
  RTLS_ASSIGN(keys.key, crypto::hkdf_expand_label(suite.hash, traffic_secret.bytes(), "key", {},
                                                  crypto::aead_key_size(suite.aead)));
  RTLS_ASSIGN(keys.iv, crypto::hkdf_expand_label(suite.hash, traffic_secret.bytes(), "iv", {},
                                                 crypto::kAeadNonceSize));
  return keys;
}

}  // namespace rapidtls::handshake
