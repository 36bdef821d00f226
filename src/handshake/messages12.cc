// Codecs of the TLS 1.2-only handshake messages and extension bodies: RFC 5246
// 7.4, RFC 8422 5 (ECDHE), RFC 5746 3.2 (renegotiation_info). As in
// messages.cc, every parser reads with a bounds-checked Reader, enforces the
// RFC's length bounds and rejects trailing bytes.
#include "handshake/messages12.h"

#include <algorithm>

namespace rapidtls::handshake {
namespace {

// RFC 8422 5.4: enum { explicit_prime(1), explicit_char2(2), named_curve(3) } ECCurveType.
constexpr uint8_t kNamedCurve = 3;
// RFC 8422 5.1.2: enum { uncompressed(0), ... } ECPointFormat.
constexpr uint8_t kUncompressed = 0;

Error bad_extension() {
  return {Alert::decode_error, SSL_R_BAD_EXTENSION};
}

ByteVec to_vec(Bytes b) {
  return ByteVec(b.begin(), b.end());
}

HandshakeType type12(uint8_t t) {
  // The TLS 1.2-only numbers are not in HandshakeType (a TLS 1.3 list); the
  // enum's underlying uint8_t holds them.
  return static_cast<HandshakeType>(t);
}

Status finish(ByteVec& out, HandshakeType type, const codec::Writer& w, const ByteVec& body) {
  RTLS_TRY(w.status());
  return write_handshake(out, type, body);
}

// ECPoint point<1..2^8-1> (RFC 8422 5.4, 5.7).
bool read_ec_point(codec::Reader& r, ByteVec* out) {
  Bytes point;
  if (!r.read_vec8(&point) || point.empty()) return false;
  *out = to_vec(point);
  return true;
}

}  // namespace

// --- ServerKeyExchange (RFC 8422 5.4) --------------------------------------------------------
//   struct { ECCurveType curve_type; NamedCurve namedcurve; } ECParameters;  (named_curve)
//   struct { ECParameters curve_params; ECPoint public; } ServerECDHParams;
//   ServerECDHParams params;
//   digitally-signed struct { ... } signed_params;   (RFC 5246 4.7:
//     SignatureAndHashAlgorithm algorithm; opaque signature<0..2^16-1>;)

Result<ByteVec> ServerKeyExchange::params() const {
  ByteVec out;
  codec::Writer w(out);
  w.u8(kNamedCurve);
  w.u16(named_group);
  w.vec8(public_key);
  RTLS_TRY(w.status());
  return out;
}

Result<ServerKeyExchange> ServerKeyExchange::parse(Bytes body) {
  codec::Reader r(body);
  ServerKeyExchange ske;
  uint8_t curve_type = 0;
  if (!r.read_u8(&curve_type)) return decode_error();
  // RFC 8422 5.4: explicit curves are deprecated; only named_curve is used.
  if (curve_type != kNamedCurve) return Error{Alert::illegal_parameter, SSL_R_WRONG_CURVE};
  Bytes signature;
  if (!r.read_u16(&ske.named_group) || !read_ec_point(r, &ske.public_key) ||
      !r.read_u16(&ske.signature_algorithm) || !r.read_vec16(&signature) || !r.expect_end()) {
    return decode_error();
  }
  ske.signature = to_vec(signature);
  return ske;
}

Status ServerKeyExchange::serialize(ByteVec& out) const {
  RTLS_ASSIGN(ByteVec body, params());
  codec::Writer w(body);
  w.u16(signature_algorithm);
  w.vec16(signature);
  return finish(out, type12(kServerKeyExchange), w, body);
}

// --- ClientKeyExchange (RFC 8422 5.7) --------------------------------------------------------
//   struct { ECPoint ecdh_Yc; } ClientECDiffieHellmanPublic;   (explicit form)

Result<ClientKeyExchange> ClientKeyExchange::parse(Bytes body) {
  codec::Reader r(body);
  ClientKeyExchange cke;
  if (!read_ec_point(r, &cke.public_key) || !r.expect_end()) return decode_error();
  return cke;
}

Status ClientKeyExchange::serialize(ByteVec& out) const {
  ByteVec body;
  codec::Writer w(body);
  w.vec8(public_key);
  return finish(out, type12(kClientKeyExchange), w, body);
}

// --- ServerHelloDone (RFC 5246 7.4.5), HelloRequest (7.4.1.1) ---------------------------------
//   struct { } ServerHelloDone;   struct { } HelloRequest;

Result<ServerHelloDone> ServerHelloDone::parse(Bytes body) {
  if (!body.empty()) return decode_error();
  return ServerHelloDone{};
}

Status ServerHelloDone::serialize(ByteVec& out) const {
  return write_handshake(out, type12(kServerHelloDone), {});
}

Result<HelloRequest> HelloRequest::parse(Bytes body) {
  if (!body.empty()) return decode_error();
  return HelloRequest{};
}

Status HelloRequest::serialize(ByteVec& out) const {
  return write_handshake(out, type12(kHelloRequest), {});
}

// --- Certificate (RFC 5246 7.4.2) ------------------------------------------------------------
//   opaque ASN.1Cert<1..2^24-1>;
//   struct { ASN.1Cert certificate_list<0..2^24-1>; } Certificate;

Result<Certificate12> Certificate12::parse(Bytes body) {
  codec::Reader r(body);
  codec::Reader list;
  if (!r.read_prefixed24(&list) || !r.expect_end()) return decode_error();
  Certificate12 msg;
  while (!list.empty()) {
    Bytes cert;
    if (!list.read_vec24(&cert) || cert.empty()) return decode_error();
    msg.certificate_list.push_back(to_vec(cert));
  }
  return msg;
}

Status Certificate12::serialize(ByteVec& out) const {
  ByteVec body;
  codec::Writer w(body);
  w.with_prefix24([&](codec::Writer& list) {
    for (const ByteVec& cert : certificate_list) list.vec24(cert);
  });
  return finish(out, HandshakeType::certificate, w, body);
}

// --- CertificateRequest (RFC 5246 7.4.4) -----------------------------------------------------
//   ClientCertificateType certificate_types<1..2^8-1>;
//   SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>;
//   DistinguishedName certificate_authorities<0..2^16-1>;
//   opaque DistinguishedName<1..2^16-1>;

Result<CertificateRequest12> CertificateRequest12::parse(Bytes body) {
  codec::Reader r(body);
  CertificateRequest12 cr;
  Bytes types;
  codec::Reader algs;
  codec::Reader cas;
  if (!r.read_vec8(&types) || types.empty() || !r.read_prefixed16(&algs) || algs.empty() ||
      algs.remaining() % 2 != 0 || !r.read_prefixed16(&cas) || !r.expect_end()) {
    return decode_error();
  }
  cr.certificate_types = to_vec(types);
  cr.signature_algorithms.reserve(algs.remaining() / 2);
  uint16_t alg = 0;
  while (algs.read_u16(&alg)) cr.signature_algorithms.push_back(alg);
  while (!cas.empty()) {
    Bytes name;
    if (!cas.read_vec16(&name) || name.empty()) return decode_error();
    cr.certificate_authorities.push_back(to_vec(name));
  }
  return cr;
}

Status CertificateRequest12::serialize(ByteVec& out) const {
  ByteVec body;
  codec::Writer w(body);
  w.vec8(certificate_types);
  w.with_prefix16([&](codec::Writer& algs) {
    for (uint16_t alg : signature_algorithms) algs.u16(alg);
  });
  w.with_prefix16([&](codec::Writer& cas) {
    for (const ByteVec& name : certificate_authorities) cas.vec16(name);
  });
  return finish(out, HandshakeType::certificate_request, w, body);
}

// --- renegotiation_info (RFC 5746 3.2) -------------------------------------------------------
//   struct { opaque renegotiated_connection<0..255>; } RenegotiationInfo;

Result<ByteVec> parse_renegotiation_info(Bytes body) {
  codec::Reader r(body);
  Bytes connection;
  if (!r.read_vec8(&connection) || !r.expect_end()) return bad_extension();
  return to_vec(connection);
}

Result<ByteVec> encode_renegotiation_info(Bytes renegotiated_connection) {
  ByteVec out;
  codec::Writer w(out);
  w.vec8(renegotiated_connection);
  RTLS_TRY(w.status());
  return out;
}

// --- ec_point_formats (RFC 8422 5.1.2) -------------------------------------------------------
//   struct { ECPointFormat ec_point_format_list<1..2^8-1> } ECPointFormatList;
// A list without uncompressed, the one format every implementation must
// support, ends the handshake with illegal_parameter (RFC 8422 5.1.2, 5.2).

Status check_ec_point_formats(Bytes body) {
  codec::Reader r(body);
  Bytes formats;
  if (!r.read_vec8(&formats) || formats.empty() || !r.expect_end()) return bad_extension();
  if (std::ranges::find(formats, kUncompressed) == formats.end()) {
    return Error{Alert::illegal_parameter, SSL_R_TLS_INVALID_ECPOINTFORMAT_LIST};
  }
  return {};
}

ByteVec encode_ec_point_formats() {
  return {1, kUncompressed};
}

// --- NewSessionTicket (RFC 5077 3.3) ---------------------------------------------------------
//   struct { uint32 ticket_lifetime_hint; opaque ticket<0..2^16-1>; } NewSessionTicket;

Result<NewSessionTicket12> NewSessionTicket12::parse(Bytes body) {
  codec::Reader r(body);
  NewSessionTicket12 msg;
  Bytes ticket;
  if (!r.read_u32(&msg.lifetime_hint) || !r.read_vec16(&ticket) || !r.expect_end()) {
    return decode_error();
  }
  msg.ticket = to_vec(ticket);
  return msg;
}

Status NewSessionTicket12::serialize(ByteVec& out) const {
  ByteVec body;
  codec::Writer w(body);
  w.u32(lifetime_hint);
  w.vec16(ticket);
  return finish(out, HandshakeType::new_session_ticket, w, body);
}

// --- status_request, CertificateStatus (RFC 6066 8) -------------------------------------------

namespace {
constexpr uint8_t kStatusTypeOcsp = 1;
}  // namespace

Result<bool> parse_status_request_ch(Bytes body) {
  codec::Reader r(body);
  uint8_t type = 0;
  if (!r.read_u8(&type)) return bad_extension();
  if (type != kStatusTypeOcsp) return false;
  codec::Reader ids;
  codec::Reader exts;
  if (!r.read_prefixed16(&ids) || !r.read_prefixed16(&exts) || !r.expect_end()) {
    return bad_extension();
  }
  // ResponderID responder_id<1..2^16-1> each (RFC 6066 8).
  while (!ids.empty()) {
    Bytes id;
    if (!ids.read_vec16(&id) || id.empty()) return bad_extension();
  }
  return true;
}

ByteVec encode_status_request_ch() {
  return {kStatusTypeOcsp, 0, 0, 0, 0};
}

Result<ByteVec> parse_certificate_status(Bytes body) {
  codec::Reader r(body);
  uint8_t type = 0;
  Bytes response;
  if (!r.read_u8(&type) || type != kStatusTypeOcsp || !r.read_vec24(&response) ||
      response.empty() || !r.expect_end()) {
    return decode_error();
  }
  return to_vec(response);
}

Result<ByteVec> encode_certificate_status(Bytes ocsp_response) {
  ByteVec out;
  codec::Writer w(out);
  w.u8(kStatusTypeOcsp);
  w.vec24(ocsp_response);
  RTLS_TRY(w.status());
  return out;
}

}  // namespace rapidtls::handshake
