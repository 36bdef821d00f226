#include "handshake/suites12.h"

namespace rapidtls::handshake {

const Suite12Info* suite12_info(uint16_t id) {
  using crypto::AeadAlg;
  using crypto::HashAlg;
  static constexpr Suite12Info kSuites[] = {
      {0xc02b, AeadAlg::aes_128_gcm, HashAlg::sha256, Auth12::ecdsa, 4,
       "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
      {0xc02c, AeadAlg::aes_256_gcm, HashAlg::sha384, Auth12::ecdsa, 4,
       "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
      {0xc02f, AeadAlg::aes_128_gcm, HashAlg::sha256, Auth12::rsa, 4, "ECDHE-RSA-AES128-GCM-SHA256",
       "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
      {0xc030, AeadAlg::aes_256_gcm, HashAlg::sha384, Auth12::rsa, 4, "ECDHE-RSA-AES256-GCM-SHA384",
       "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
      {0xcca8, AeadAlg::chacha20_poly1305, HashAlg::sha256, Auth12::rsa, 12,
       "ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
      {0xcca9, AeadAlg::chacha20_poly1305, HashAlg::sha256, Auth12::ecdsa, 12,
       "ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
  };
  for (const auto& s : kSuites) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

}  // namespace rapidtls::handshake
