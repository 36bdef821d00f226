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

// The hash of the empty string, which Derive-Secret(secret, "derived", "")
// uses (FIPS 180-4 values for SHA-256 and SHA-384).
Bytes empty_hash(HashAlg alg) {
  static constexpr uint8_t kSha256[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
                                          0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
                                          0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
                                          0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
  static constexpr uint8_t kSha384[48] = {
      0x38, 0xb0, 0x60, 0xa7, 0x51, 0xac, 0x96, 0x38, 0x4c, 0xd9, 0x32, 0x7e,
      0xb1, 0xb1, 0xe3, 0x6a, 0x21, 0xfd, 0xb7, 0x11, 0x14, 0xbe, 0x07, 0x43,
      0x4c, 0x0c, 0xc7, 0xbf, 0x63, 0xf6, 0xe1, 0xda, 0x27, 0x4e, 0xde, 0xbf,
      0xe7, 0x6f, 0x65, 0xfb, 0xd5, 0x1a, 0xd2, 0xf1, 0x48, 0x98, 0xb9, 0x5b};
  return alg == HashAlg::sha256 ? Bytes(kSha256) : Bytes(kSha384);
}

Result<Secret> KeySchedule::derived_salt(const Secret& from) {
  if (&from == current_) return derive("derived", empty_hash(alg_));
  return crypto::hkdf_expand_label(alg_, from.bytes(), "derived", empty_hash(alg_), hash_len());
}

namespace {

// Without a PSK the Early Secret, HKDF-Extract(0, 0), and the salt derived
// from it depend only on the hash: two HMACs computed once per process
// instead of on every handshake.
struct NoPskSecrets {
  Secret early;
  Secret salt;
  bool ok = false;
};

NoPskSecrets compute_no_psk(HashAlg alg) {
  NoPskSecrets n;
  const size_t len = crypto::hash_size(alg);
  auto early = crypto::hkdf_extract(alg, zeros(len), zeros(len));
  if (!early.ok()) return n;
  auto salt = crypto::hkdf_expand_label(alg, early->bytes(), "derived", empty_hash(alg), len);
  if (!salt.ok()) return n;
  n.early = *early;
  n.salt = *salt;
  n.ok = true;
  return n;
}

const NoPskSecrets& no_psk_secrets(HashAlg alg) {
  static const NoPskSecrets k256 = compute_no_psk(HashAlg::sha256);
  static const NoPskSecrets k384 = compute_no_psk(HashAlg::sha384);
  return alg == HashAlg::sha256 ? k256 : k384;
}

}  // namespace

Status KeySchedule::init_early(Bytes psk) {
  from_psk_ = !psk.empty();
  if (psk.empty() && no_psk_secrets(alg_).ok) {
    early_ = no_psk_secrets(alg_).early;
    no_psk_ = true;
  } else {
    RTLS_ASSIGN(early_, extract(zeros(hash_len()), psk.empty() ? zeros(hash_len()) : psk));
    no_psk_ = false;
  }
  set_current(&early_);
  return {};
}

Status KeySchedule::derive_handshake(Bytes ecdhe) {
  if (current_ != &early_) return internal_error();
  Secret salt;
  if (no_psk_) {
    salt = no_psk_secrets(alg_).salt;
  } else {
    RTLS_ASSIGN(salt, derived_salt(early_));
  }
  RTLS_ASSIGN(handshake_, extract(salt.bytes(), ecdhe));
  set_current(&handshake_);
  return {};
}

Status KeySchedule::derive_master() {
  if (current_ != &handshake_) return internal_error();
  RTLS_ASSIGN(Secret salt, derived_salt(handshake_));
  RTLS_ASSIGN(master_, extract(salt.bytes(), zeros(hash_len())));
  set_current(&master_);
  return {};
}

void KeySchedule::set_current(const Secret* secret) {
  current_ = secret;
  current_keyed_ = false;  // keyed lazily by the first derive()
}

Status KeySchedule::set_key(Bytes key) {
  current_keyed_ = false;
  if (key_) return key_->rekey(key);
  RTLS_ASSIGN(crypto::HmacKey k, crypto::HmacKey::create(alg_, key));
  key_.emplace(std::move(k));
  return {};
}

Result<Secret> KeySchedule::extract(Bytes salt, Bytes ikm) {
  // RFC 5869 2.2: HKDF-Extract(salt, IKM) = HMAC(salt, IKM); the salts here
  // are never empty (a missing one is passed as HashLen zeros).
  RTLS_TRY(set_key(salt));
  return key_->mac(ikm);
}

Result<Secret> KeySchedule::derive(std::string_view label, Bytes transcript_hash) {
  if (current_ == nullptr) return internal_error();
  if (!current_keyed_) {
    RTLS_TRY(set_key(current_->bytes()));
    current_keyed_ = true;
  }
  return key_->expand_label(label, transcript_hash, hash_len());
}

Result<Secret> KeySchedule::derive_early(std::string_view label, Bytes transcript_hash) {
  if (early_.empty()) return internal_error();
  if (current_ == &early_) return derive(label, transcript_hash);  // its key is kept
  return crypto::hkdf_expand_label(alg_, early_.bytes(), label, transcript_hash, hash_len());
}

Result<Secret> finished_key(HashAlg alg, const Secret& base_key) {
  return crypto::hkdf_expand_label(alg, base_key.bytes(), "finished", {}, crypto::hash_size(alg));
}

Result<Secret> finished_verify_data(HashAlg alg, const Secret& base_key, Bytes transcript_hash) {
  RTLS_ASSIGN(const Secret key, finished_key(alg, base_key));
  return verify_data_from_finished_key(alg, key, transcript_hash);
}

Result<Secret> verify_data_from_finished_key(HashAlg alg, const Secret& finished_key,
                                             Bytes transcript_hash) {
  return crypto::hmac(alg, finished_key.bytes(), transcript_hash);
}

Result<Secret> next_traffic_secret(HashAlg alg, const Secret& current) {
  return crypto::hkdf_expand_label(alg, current.bytes(), "traffic upd", {}, crypto::hash_size(alg));
}

Result<TrafficKeys> traffic_keys(const SuiteInfo& suite, const Secret& traffic_secret,
                                 Secret* finished_key) {
  TrafficKeys keys;
  keys.version = kTls13;
  keys.aead = suite.aead;
  // One HMAC key for every expansion of the secret.
  RTLS_ASSIGN(crypto::HmacKey prk, crypto::HmacKey::create(suite.hash, traffic_secret.bytes()));
  RTLS_ASSIGN(keys.key, prk.expand_label("key", {}, crypto::aead_key_size(suite.aead)));
  RTLS_ASSIGN(keys.iv, prk.expand_label("iv", {}, crypto::kAeadNonceSize));
  if (finished_key != nullptr) {
    RTLS_ASSIGN(*finished_key, prk.expand_label("finished", {}, crypto::hash_size(suite.hash)));
  }
  return keys;
}

}  // namespace rapidtls::handshake
