// Bodies of the extensions rapidtls understands (RFC 8446 4.2, RFC 6066 3,
// RFC 7301 3.1). Each parse_* takes the extension body, rejects trailing
// bytes, empty lists where the RFC requires at least one element, and bad
// lengths with {decode_error, SSL_R_BAD_EXTENSION}; each encode_* returns the
// body. "ch" = in ClientHello, "sh" = in ServerHello, "hrr" = in
// HelloRetryRequest.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "crypto/kex.h"
#include "handshake/messages.h"

namespace rapidtls::handshake {

// server_name (RFC 6066 3): a list of exactly one host_name entry (as OpenSSL).
// yields "". A host name with a NUL byte or longer than 255 fails.
Result<std::string> parse_server_name_ch(Bytes body);
ByteVec encode_server_name_ch(const std::string& host);

// supported_versions (4.2.1).
Result<std::vector<uint16_t>> parse_supported_versions_ch(Bytes body);
ByteVec encode_supported_versions_ch(const std::vector<uint16_t>& versions);
Result<uint16_t> parse_supported_versions_sh(Bytes body);
ByteVec encode_supported_versions_sh(uint16_t version);

// supported_groups (4.2.7), signature_algorithms / _cert (4.2.3): u16 lists.
Result<std::vector<uint16_t>> parse_u16_list(Bytes body);
ByteVec encode_u16_list(const std::vector<uint16_t>& values);

// key_share (4.2.8).
struct KeyShareEntry {
  uint16_t group = 0;
  ByteVec key_exchange;  // 1..2^16-1 bytes
};
// A group offered twice is kept twice (RFC 8446 4.2.8: servers MAY check; OpenSSL
// does not).
Result<std::vector<KeyShareEntry>> parse_key_share_ch(Bytes body);
ByteVec encode_key_share_ch(const std::vector<KeyShareEntry>& entries);
Result<KeyShareEntry> parse_key_share_sh(Bytes body);
ByteVec encode_key_share_sh(const KeyShareEntry& entry);
Result<uint16_t> parse_key_share_hrr(Bytes body);
ByteVec encode_key_share_hrr(uint16_t group);

// application_layer_protocol_negotiation (RFC 7301 3.1). In ServerHello /
// EncryptedExtensions the list has exactly one name. Empty names fail.
Result<std::vector<ByteVec>> parse_alpn(Bytes body);
Result<ByteVec> encode_alpn(const std::vector<ByteVec>& protocols);

// certificate_authorities (4.2.4): DistinguishedName authorities<3..2^16-1>,
// each opaque DistinguishedName<1..2^16-1> holding one DER X.509 Name.
// A wrong length, an empty list or name, or a name that is not exactly one
// DER Name -> {decode_error, SSL_R_CA_DN_LENGTH_MISMATCH} (as OpenSSL).
Result<std::vector<ByteVec>> parse_certificate_authorities(Bytes body);
ByteVec encode_certificate_authorities(const std::vector<ByteVec>& names);
// The names of a TLS 1.2 CertificateRequest (RFC 5246 7.4.4), whose lengths
// CertificateRequest12::parse checked: each must be one DER Name.
Status check_distinguished_names(const std::vector<ByteVec>& names);

// cookie (4.2.2): opaque cookie<1..2^16-1>.
Result<ByteVec> parse_cookie(Bytes body);
ByteVec encode_cookie(Bytes cookie);

// psk_key_exchange_modes (4.2.9): u8 list, at least one.
Result<std::vector<uint8_t>> parse_psk_key_exchange_modes(Bytes body);
ByteVec encode_psk_key_exchange_modes(const std::vector<uint8_t>& modes);

// pre_shared_key (4.2.11).
struct PskIdentity {
  ByteVec identity;  // 1..2^16-1
  uint32_t obfuscated_ticket_age = 0;
};
struct OfferedPsks {
  std::vector<PskIdentity> identities;  // at least one
  std::vector<ByteVec> binders;         // one per identity, each 32..255 bytes
  // Length of the binders block including its u16 length prefix, so the
  // caller can compute the truncated ClientHello for binder verification.
  size_t binders_block_size = 0;
};
// identities.size() != binders.size() fails with {illegal_parameter, SSL_R_BAD_EXTENSION}.
Result<OfferedPsks> parse_pre_shared_key_ch(Bytes body);
ByteVec encode_pre_shared_key_ch(const OfferedPsks& psks);
Result<uint16_t> parse_pre_shared_key_sh(Bytes body);
ByteVec encode_pre_shared_key_sh(uint16_t selected_identity);

// early_data (4.2.10) in NewSessionTicket: max_early_data_size.
Result<uint32_t> parse_early_data_nst(Bytes body);
ByteVec encode_early_data_nst(uint32_t max_early_data_size);

// max_fragment_length (RFC 6066 4): one byte, 1..4. A value outside that fails with
// {illegal_parameter, SSL_R_SSL3_EXT_INVALID_MAX_FRAGMENT_LENGTH}, a body of another
// length with {decode_error, SSL_R_BAD_EXTENSION}.
Status check_max_fragment_length(Bytes body);

// record_size_limit (RFC 8449 4): a u16 of at least 64; smaller values fail
// with {illegal_parameter, SSL_R_BAD_EXTENSION}.
Result<uint16_t> parse_record_size_limit(Bytes body);
ByteVec encode_record_size_limit(uint16_t limit);

// An extension that must be empty (early_data in CH/EE, post_handshake_auth, ...).
Status expect_empty(Bytes body);

}  // namespace rapidtls::handshake
