// Protocol numbers of RFC 8446 (TLS 1.3) used by the handshake layer.
#pragma once

#include <cstdint>

#include "common/version.h"

namespace rapidtls::handshake {

using rapidtls::kTls12;
using rapidtls::kTls13;

// RFC 8446 4 (HandshakeType).
enum class HandshakeType : uint8_t {
  client_hello = 1,
  server_hello = 2,
  new_session_ticket = 4,
  end_of_early_data = 5,
  encrypted_extensions = 8,
  certificate = 11,
  certificate_request = 13,
  certificate_verify = 15,
  finished = 20,
  key_update = 24,
  message_hash = 254,
};
const char* handshake_type_name(HandshakeType t);

// RFC 8446 4.2 (ExtensionType), plus renegotiation_info (RFC 5746) and
// record_size_limit (RFC 8449).
enum class ExtensionType : uint16_t {
  server_name = 0,
  max_fragment_length = 1,
  status_request = 5,
  supported_groups = 10,
  ec_point_formats = 11,
  signature_algorithms = 13,
  use_srtp = 14,
  heartbeat = 15,
  application_layer_protocol_negotiation = 16,
  signed_certificate_timestamp = 18,
  client_certificate_type = 19,
  server_certificate_type = 20,
  padding = 21,
  encrypt_then_mac = 22,
  extended_master_secret = 23,
  record_size_limit = 28,
  session_ticket = 35,
  pre_shared_key = 41,
  early_data = 42,
  supported_versions = 43,
  cookie = 44,
  psk_key_exchange_modes = 45,
  certificate_authorities = 47,
  oid_filters = 48,
  post_handshake_auth = 49,
  signature_algorithms_cert = 50,
  key_share = 51,
  renegotiation_info = 0xff01,
};

// RFC 8446 B.4.
enum class CipherSuite : uint16_t {
  tls_aes_128_gcm_sha256 = 0x1301,
  tls_aes_256_gcm_sha384 = 0x1302,
  tls_chacha20_poly1305_sha256 = 0x1303,
};

// RFC 8446 4.2.9.
enum class PskKeyExchangeMode : uint8_t { psk_ke = 0, psk_dhe_ke = 1 };

}  // namespace rapidtls::handshake
