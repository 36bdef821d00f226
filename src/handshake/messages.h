// TLS 1.3 handshake messages (RFC 8446 section 4). Each struct parses a
// message body (the bytes after the 4-byte handshake header) and serialises
// the whole message, header included. Extensions are kept as an ordered list
// of (type, body) so that serialise(parse(x)) == x; extensions.h decodes and
// encodes the bodies of the extensions rapidtls understands.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "codec/reader.h"
#include "codec/writer.h"
#include "common/result.h"
#include "handshake/types.h"

namespace rapidtls::handshake {

using Random = std::array<uint8_t, 32>;

struct Extension {
  uint16_t type = 0;
  ByteVec body;
};
using Extensions = std::vector<Extension>;

const Extension* find_extension(const Extensions& exts, ExtensionType type);

// Parses an extensions block (u16 length, then extensions). Rejects a
// duplicated type (RFC 8446 4.2) with {illegal_parameter, SSL_R_BAD_EXTENSION}
// and bad lengths with {decode_error, SSL_R_BAD_EXTENSION}.
Result<Extensions> parse_extensions(codec::Reader& r);
void write_extensions(codec::Writer& w, const Extensions& exts);

// Appends the 4-byte handshake header and `body` to out.
[[nodiscard]] Status write_handshake(ByteVec& out, HandshakeType type, Bytes body);

// RFC 8446 4.1.2.
struct ClientHello {
  uint16_t legacy_version = kTls12;
  Random random{};
  ByteVec legacy_session_id;              // 0..32 bytes
  std::vector<uint16_t> cipher_suites;    // at least one
  ByteVec legacy_compression_methods{0};  // 1..255 bytes
  Extensions extensions;                  // may be absent on the wire (TLS 1.2 clients)
  // An empty extensions block was on the wire (RFC 5246 7.4.1.2 allows it):
  // kept so that serialise(parse(x)) == x.
  bool empty_extensions_block = false;

  static Result<ClientHello> parse(Bytes body);
  [[nodiscard]] Status serialize(ByteVec& out) const;
};

// RFC 8446 4.1.3, and 4.1.4 when random == the HelloRetryRequest value.
struct ServerHello {
  uint16_t legacy_version = kTls12;
  Random random{};
  ByteVec legacy_session_id_echo;
  uint16_t cipher_suite = 0;
  uint8_t legacy_compression_method = 0;
  Extensions extensions;
  // Whether the extensions block is on the wire: a TLS 1.2 ServerHello may
  // end before it, or carry an empty one (RFC 5246 7.4.1.3); kept so that
  // serialise(parse(x)) == x.
  bool extensions_block = true;

  bool is_hello_retry_request() const;
  static Result<ServerHello> parse(Bytes body);
  [[nodiscard]] Status serialize(ByteVec& out) const;
};

// RFC 8446 4.1.3: SHA-256("HelloRetryRequest").
extern const Random kHelloRetryRequestRandom;

// RFC 8446 4.3.1.
struct EncryptedExtensions {
  Extensions extensions;

  static Result<EncryptedExtensions> parse(Bytes body);
  [[nodiscard]] Status serialize(ByteVec& out) const;
};

// RFC 8446 4.3.2.
struct CertificateRequest {
  ByteVec certificate_request_context;
  Extensions extensions;  // signature_algorithms is required

  static Result<CertificateRequest> parse(Bytes body);
  [[nodiscard]] Status serialize(ByteVec& out) const;
};

// RFC 8446 4.4.2 (X.509 certificates only).
struct CertificateEntry {
  ByteVec cert_data;  // DER, at least 1 byte
  Extensions extensions;
};
struct CertificateMsg {
  ByteVec certificate_request_context;
  std::vector<CertificateEntry> certificate_list;

  static Result<CertificateMsg> parse(Bytes body);
  [[nodiscard]] Status serialize(ByteVec& out) const;
};

// RFC 8446 4.4.3.
struct CertificateVerify {
  uint16_t algorithm = 0;
  ByteVec signature;  // 0..2^16-1 bytes (RFC 8446 4.4.3); empty is left to the verifier

  static Result<CertificateVerify> parse(Bytes body);
  [[nodiscard]] Status serialize(ByteVec& out) const;
};

// RFC 8446 4.4.4. The length is the hash length of the suite.
struct Finished {
  ByteVec verify_data;

  // A body of another length than hash_len fails with {decode_error, SSL_R_LENGTH_MISMATCH}.
  static Result<Finished> parse(Bytes body, size_t hash_len);
  [[nodiscard]] Status serialize(ByteVec& out) const;
};

// RFC 8446 4.6.1.
struct NewSessionTicket {
  uint32_t ticket_lifetime = 0;  // seconds, at most 604800
  uint32_t ticket_age_add = 0;
  ByteVec ticket_nonce;  // 0..255
  ByteVec ticket;        // 1..2^16-1
  Extensions extensions;

  static Result<NewSessionTicket> parse(Bytes body);
  [[nodiscard]] Status serialize(ByteVec& out) const;
};

// RFC 8446 4.6.3.
enum class KeyUpdateRequest : uint8_t { update_not_requested = 0, update_requested = 1 };
struct KeyUpdate {
  KeyUpdateRequest request_update = KeyUpdateRequest::update_not_requested;

  // Any other value than 0 or 1 fails with {illegal_parameter, SSL_R_BAD_KEY_UPDATE}.
  static Result<KeyUpdate> parse(Bytes body);
  [[nodiscard]] Status serialize(ByteVec& out) const;
};

}  // namespace rapidtls::handshake
