// TLS 1.2 handshake messages (RFC 5246 7.4, RFC 8422 5 for ECDHE, RFC 5746
// for renegotiation_info, RFC 7627 for extended_master_secret). Same
// conventions as messages.h: parse() takes the body, serialize() appends the
// whole message with its 4-byte header. ClientHello, ServerHello, Finished
// and CertificateVerify share their 1.3 structs (messages.h).
#pragma once

#include <vector>

#include "handshake/messages.h"

namespace rapidtls::handshake {

// RFC 5246 7.4: message types that exist only in TLS 1.2.
constexpr uint8_t kHelloRequest = 0;
constexpr uint8_t kServerKeyExchange = 12;
constexpr uint8_t kServerHelloDone = 14;
constexpr uint8_t kClientKeyExchange = 16;
constexpr uint8_t kCertificateStatus = 22;  // RFC 6066 8

// RFC 8422 5.4: ServerKeyExchange for ECDHE with a named curve:
//   ECParameters { curve_type = named_curve (3); NamedCurve namedcurve; }
//   ECPoint public <1..255>;
//   digitally-signed struct { SignatureAndHashAlgorithm; opaque signature<0..2^16-1>; }
struct ServerKeyExchange {
  uint16_t named_group = 0;
  ByteVec public_key;  // <1..255>
  uint16_t signature_algorithm = 0;
  ByteVec signature;  // <0..2^16-1>

  // The bytes the signature covers after client_random || server_random:
  // curve_type, named_group and the length-prefixed public key.
  Result<ByteVec> params() const;
  // A curve_type other than named_curve (3) fails with
  // {illegal_parameter, SSL_R_WRONG_CURVE}; bad lengths with decode_error.
  static Result<ServerKeyExchange> parse(Bytes body);
  [[nodiscard]] Status serialize(ByteVec& out) const;
};

// RFC 8422 5.7: ClientKeyExchange for ECDHE: ECPoint ecdh_Yc <1..255>.
struct ClientKeyExchange {
  ByteVec public_key;

  static Result<ClientKeyExchange> parse(Bytes body);
  [[nodiscard]] Status serialize(ByteVec& out) const;
};

// RFC 5246 7.4.5 / 7.4.1.1: empty bodies.
struct ServerHelloDone {
  static Result<ServerHelloDone> parse(Bytes body);
  [[nodiscard]] Status serialize(ByteVec& out) const;
};
struct HelloRequest {
  static Result<HelloRequest> parse(Bytes body);
  [[nodiscard]] Status serialize(ByteVec& out) const;
};

// RFC 5246 7.4.2: opaque ASN.1Cert<1..2^24-1>; certificate_list<0..2^24-1>.
struct Certificate12 {
  std::vector<ByteVec> certificate_list;

  static Result<Certificate12> parse(Bytes body);
  [[nodiscard]] Status serialize(ByteVec& out) const;
};

// RFC 5246 7.4.4: certificate_types<1..2^8-1>, supported_signature_algorithms
// <2..2^16-2>, certificate_authorities<0..2^16-1> (DistinguishedName<1..2^16-1>).
struct CertificateRequest12 {
  ByteVec certificate_types;
  std::vector<uint16_t> signature_algorithms;
  std::vector<ByteVec> certificate_authorities;

  static Result<CertificateRequest12> parse(Bytes body);
  [[nodiscard]] Status serialize(ByteVec& out) const;
};

// RFC 5077 3.3: NewSessionTicket (TLS 1.2): uint32 ticket_lifetime_hint;
// opaque ticket<0..2^16-1>. Same type number as TLS 1.3's message.
struct NewSessionTicket12 {
  uint32_t lifetime_hint = 0;  // seconds; 0: unspecified
  ByteVec ticket;

  static Result<NewSessionTicket12> parse(Bytes body);
  [[nodiscard]] Status serialize(ByteVec& out) const;
};

// RFC 6066 8, status_request. A client's: struct { CertificateStatusType
// status_type; select (status_type) { case ocsp: OCSPStatusRequest; } } with
// OCSPStatusRequest { ResponderID responder_id_list<0..2^16-1>; Extensions
// request_extensions<0..2^16-1>; }. parse: whether it asks for OCSP (1) (an
// unknown type is ignored, as RFC 6066 says of unknown values); the encoding
// asks for OCSP with no responder ids and no extensions.
Result<bool> parse_status_request_ch(Bytes body);
ByteVec encode_status_request_ch();
// CertificateStatus { status_type = ocsp (1); opaque OCSPResponse<1..2^24-1>; }:
// a TLS 1.2 handshake message (type 22) and, in TLS 1.3, the body of the
// end-entity CertificateEntry's status_request extension (RFC 8446 4.4.2.1).
// parse gives the DER OCSPResponse (decode_error for anything else).
Result<ByteVec> parse_certificate_status(Bytes body);
Result<ByteVec> encode_certificate_status(Bytes ocsp_response);

// RFC 5746 3.2: renegotiation_info: opaque renegotiated_connection<0..255>.
Result<ByteVec> parse_renegotiation_info(Bytes body);
Result<ByteVec> encode_renegotiation_info(Bytes renegotiated_connection);

// RFC 8422 5.1.2: ec_point_formats: ECPointFormat list<1..2^8-1>; must contain
// uncompressed (0) — otherwise {illegal_parameter, SSL_R_TLS_INVALID_ECPOINTFORMAT_LIST}.
Status check_ec_point_formats(Bytes body);
ByteVec encode_ec_point_formats();  // {uncompressed}

// RFC 5246 A.5 / RFC 8422 6 / RFC 7905: the TLS 1.2 suites rapidtls offers.
enum class Suite12 : uint16_t {
  ecdhe_ecdsa_aes_128_gcm_sha256 = 0xc02b,
  ecdhe_ecdsa_aes_256_gcm_sha384 = 0xc02c,
  ecdhe_rsa_aes_128_gcm_sha256 = 0xc02f,
  ecdhe_rsa_aes_256_gcm_sha384 = 0xc030,
  ecdhe_rsa_chacha20_poly1305_sha256 = 0xcca8,
  ecdhe_ecdsa_chacha20_poly1305_sha256 = 0xcca9,
};

}  // namespace rapidtls::handshake
