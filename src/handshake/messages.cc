// Codecs of the TLS 1.3 handshake messages, RFC 8446 section 4 and the
// presentation language of Appendix B.3. Every parser reads the body with a
// bounds-checked Reader, enforces the length bounds of the RFC and rejects
// trailing bytes.
#include "handshake/messages.h"

#include <algorithm>

namespace rapidtls::handshake {
namespace {

constexpr size_t kMaxSessionIdLen = 32;  // legacy_session_id<0..32>

Error bad_extension() {
  return {Alert::decode_error, SSL_R_BAD_EXTENSION};
}

ByteVec to_vec(Bytes b) {
  return ByteVec(b.begin(), b.end());
}

bool read_random(codec::Reader& r, Random* out) {
  Bytes b;
  if (!r.read_bytes(out->size(), &b)) return false;
  std::ranges::copy(b, out->begin());
  return true;
}

bool has_duplicate_type(const Extensions& exts) {
  std::vector<uint16_t> types;
  types.reserve(exts.size());
  for (const Extension& e : exts) types.push_back(e.type);
  std::ranges::sort(types);
  return std::ranges::adjacent_find(types) != types.end();
}

// `Extension extensions<min_len..max_len>`: checks the block's length prefix
// against the bounds the message gives it, then parses the block.
Result<Extensions> parse_extensions_in(codec::Reader& r, size_t min_len, size_t max_len) {
  codec::Reader peek = r;
  uint16_t len = 0;
  if (peek.read_u16(&len) && (len < min_len || len > max_len)) return bad_extension();
  return parse_extensions(r);
}

// A message body is complete: serialise it behind its handshake header.
Status finish(ByteVec& out, HandshakeType type, const codec::Writer& w, const ByteVec& body) {
  RTLS_TRY(w.status());
  return write_handshake(out, type, body);
}

}  // namespace

// RFC 8446 4.1.3: SHA-256("HelloRetryRequest").
const Random kHelloRetryRequestRandom = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

// --- Extensions (RFC 8446 4.2) ------------------------------------------------------------

const Extension* find_extension(const Extensions& exts, ExtensionType type) {
  auto it = std::ranges::find(exts, static_cast<uint16_t>(type), &Extension::type);
  return it == exts.end() ? nullptr : &*it;
}

// struct { ExtensionType extension_type; opaque extension_data<0..2^16-1>; } Extension;
// "There MUST NOT be more than one extension of the same type in a given
// extension block."
Result<Extensions> parse_extensions(codec::Reader& r) {
  codec::Reader block;
  if (!r.read_prefixed16(&block)) return bad_extension();
  Extensions exts;
  while (!block.empty()) {
    Extension ext;
    Bytes data;
    if (!block.read_u16(&ext.type) || !block.read_vec16(&data)) return bad_extension();
    ext.body = to_vec(data);
    exts.push_back(std::move(ext));
  }
  if (has_duplicate_type(exts)) return Error{Alert::illegal_parameter, SSL_R_BAD_EXTENSION};
  return exts;
}

void write_extensions(codec::Writer& w, const Extensions& exts) {
  w.with_prefix16([&](codec::Writer& block) {
    for (const Extension& ext : exts) {
      block.u16(ext.type);
      block.vec16(ext.body);
    }
  });
}

// RFC 8446 4: struct { HandshakeType msg_type; uint24 length; ... } Handshake;
Status write_handshake(ByteVec& out, HandshakeType type, Bytes body) {
  codec::Writer w(out);
  w.u8(static_cast<uint8_t>(type));
  w.vec24(body);
  return w.status();
}

// --- ClientHello (RFC 8446 4.1.2) ---------------------------------------------------------
//   ProtocolVersion legacy_version = 0x0303;
//   Random random;
//   opaque legacy_session_id<0..32>;
//   CipherSuite cipher_suites<2..2^16-2>;
//   opaque legacy_compression_methods<1..2^8-1>;
//   Extension extensions<8..2^16-1>;  (TLS 1.2: <0..2^16-1>, RFC 5246 7.4.1.2)

Result<ClientHello> ClientHello::parse(Bytes body) {
  codec::Reader r(body);
  ClientHello ch;
  Bytes session_id;
  codec::Reader suites;
  Bytes compression;
  if (!r.read_u16(&ch.legacy_version) || !read_random(r, &ch.random) || !r.read_vec8(&session_id) ||
      session_id.size() > kMaxSessionIdLen || !r.read_prefixed16(&suites) ||
      suites.remaining() % 2 != 0 || !r.read_vec8(&compression) || compression.empty()) {
    return decode_error();
  }
  ch.legacy_session_id = to_vec(session_id);
  ch.cipher_suites.reserve(suites.remaining() / 2);
  uint16_t suite = 0;
  while (suites.read_u16(&suite)) ch.cipher_suites.push_back(suite);
  ch.legacy_compression_methods = to_vec(compression);
  // A TLS 1.2-style ClientHello may end here, or have an empty block (RFC 5246
  // 7.4.1.2): which version it asks for is not known yet, so TLS 1.3's minimum of 8
  // is not applied (as OpenSSL; a TLS 1.3 hello has supported_versions anyway).
  if (!r.empty()) {
    RTLS_ASSIGN(ch.extensions, parse_extensions(r));
    ch.empty_extensions_block = ch.extensions.empty();
  }
  if (!r.expect_end()) return decode_error();
  // cipher_suites<2..2^16-2>: an empty list is refused once the hello parsed, with
  // OpenSSL's alert and reason.
  if (ch.cipher_suites.empty()) {
    return Error{Alert::illegal_parameter, SSL_R_NO_CIPHERS_SPECIFIED};
  }
  return ch;
}

Status ClientHello::serialize(ByteVec& out) const {
  ByteVec body;
  codec::Writer w(body);
  w.u16(legacy_version);
  w.bytes(random);
  w.vec8(legacy_session_id);
  w.with_prefix16([&](codec::Writer& suites) {
    for (uint16_t suite : cipher_suites) suites.u16(suite);
  });
  w.vec8(legacy_compression_methods);
  if (!extensions.empty() || empty_extensions_block) write_extensions(w, extensions);
  return finish(out, HandshakeType::client_hello, w, body);
}

// --- ServerHello and HelloRetryRequest (RFC 8446 4.1.3, 4.1.4) ----------------------------
//   ProtocolVersion legacy_version = 0x0303;
//   Random random;
//   opaque legacy_session_id_echo<0..32>;
//   CipherSuite cipher_suite;
//   uint8 legacy_compression_method = 0;
//   Extension extensions<6..2^16-1>;

bool ServerHello::is_hello_retry_request() const {
  return random == kHelloRetryRequestRandom;
}

Result<ServerHello> ServerHello::parse(Bytes body) {
  codec::Reader r(body);
  ServerHello sh;
  Bytes session_id;
  if (!r.read_u16(&sh.legacy_version) || !read_random(r, &sh.random) || !r.read_vec8(&session_id) ||
      session_id.size() > kMaxSessionIdLen || !r.read_u16(&sh.cipher_suite) ||
      !r.read_u8(&sh.legacy_compression_method)) {
    return decode_error();
  }
  sh.legacy_session_id_echo = to_vec(session_id);
  // RFC 5246 7.4.1.3: a TLS 1.2 ServerHello may end without extensions.
  sh.extensions_block = !r.empty();
  if (r.empty()) return sh;
  RTLS_ASSIGN(sh.extensions, parse_extensions_in(r, 0, 0xffff));
  if (!r.expect_end()) return decode_error();
  return sh;
}

Status ServerHello::serialize(ByteVec& out) const {
  ByteVec body;
  codec::Writer w(body);
  w.u16(legacy_version);
  w.bytes(random);
  w.vec8(legacy_session_id_echo);
  w.u16(cipher_suite);
  w.u8(legacy_compression_method);
  if (extensions_block || !extensions.empty()) write_extensions(w, extensions);
  return finish(out, HandshakeType::server_hello, w, body);
}

// --- EncryptedExtensions (RFC 8446 4.3.1) -------------------------------------------------
//   Extension extensions<0..2^16-1>;

Result<EncryptedExtensions> EncryptedExtensions::parse(Bytes body) {
  codec::Reader r(body);
  EncryptedExtensions ee;
  RTLS_ASSIGN(ee.extensions, parse_extensions(r));
  if (!r.expect_end()) return decode_error();
  return ee;
}

Status EncryptedExtensions::serialize(ByteVec& out) const {
  ByteVec body;
  codec::Writer w(body);
  write_extensions(w, extensions);
  return finish(out, HandshakeType::encrypted_extensions, w, body);
}

// --- CertificateRequest (RFC 8446 4.3.2) --------------------------------------------------
//   opaque certificate_request_context<0..2^8-1>;
//   Extension extensions<2..2^16-1>;

Result<CertificateRequest> CertificateRequest::parse(Bytes body) {
  codec::Reader r(body);
  CertificateRequest cr;
  Bytes context;
  if (!r.read_vec8(&context)) return decode_error();
  cr.certificate_request_context = to_vec(context);
  RTLS_ASSIGN(cr.extensions, parse_extensions_in(r, 2, 0xffff));
  if (!r.expect_end()) return decode_error();
  return cr;
}

Status CertificateRequest::serialize(ByteVec& out) const {
  ByteVec body;
  codec::Writer w(body);
  w.vec8(certificate_request_context);
  write_extensions(w, extensions);
  return finish(out, HandshakeType::certificate_request, w, body);
}

// --- Certificate (RFC 8446 4.4.2) ---------------------------------------------------------
//   struct {
//     opaque cert_data<1..2^24-1>;
//     Extension extensions<0..2^16-1>;
//   } CertificateEntry;
//   opaque certificate_request_context<0..2^8-1>;
//   CertificateEntry certificate_list<0..2^24-1>;

Result<CertificateMsg> CertificateMsg::parse(Bytes body) {
  codec::Reader r(body);
  CertificateMsg msg;
  Bytes context;
  codec::Reader list;
  if (!r.read_vec8(&context) || !r.read_prefixed24(&list)) return decode_error();
  msg.certificate_request_context = to_vec(context);
  while (!list.empty()) {
    CertificateEntry entry;
    Bytes cert;
    if (!list.read_vec24(&cert) || cert.empty()) return decode_error();
    entry.cert_data = to_vec(cert);
    RTLS_ASSIGN(entry.extensions, parse_extensions(list));
    msg.certificate_list.push_back(std::move(entry));
  }
  if (!r.expect_end()) return decode_error();
  return msg;
}

Status CertificateMsg::serialize(ByteVec& out) const {
  ByteVec body;
  codec::Writer w(body);
  w.vec8(certificate_request_context);
  w.with_prefix24([&](codec::Writer& list) {
    for (const CertificateEntry& entry : certificate_list) {
      list.vec24(entry.cert_data);
      write_extensions(list, entry.extensions);
    }
  });
  return finish(out, HandshakeType::certificate, w, body);
}

// --- CertificateVerify (RFC 8446 4.4.3) ---------------------------------------------------
//   SignatureScheme algorithm;
//   opaque signature<0..2^16-1>;

Result<CertificateVerify> CertificateVerify::parse(Bytes body) {
  codec::Reader r(body);
  CertificateVerify cv;
  Bytes signature;
  if (!r.read_u16(&cv.algorithm) || !r.read_vec16(&signature) || !r.expect_end()) {
    return decode_error();
  }
  cv.signature = to_vec(signature);
  return cv;
}

Status CertificateVerify::serialize(ByteVec& out) const {
  ByteVec body;
  codec::Writer w(body);
  w.u16(algorithm);
  w.vec16(signature);
  return finish(out, HandshakeType::certificate_verify, w, body);
}

// --- Finished (RFC 8446 4.4.4) ------------------------------------------------------------
//   opaque verify_data[Hash.length];

Result<Finished> Finished::parse(Bytes body, size_t hash_len) {
  if (body.size() != hash_len) return decode_error();
  return Finished{to_vec(body)};
}

Status Finished::serialize(ByteVec& out) const {
  return write_handshake(out, HandshakeType::finished, verify_data);
}

// --- NewSessionTicket (RFC 8446 4.6.1) ----------------------------------------------------
//   uint32 ticket_lifetime;
//   uint32 ticket_age_add;
//   opaque ticket_nonce<0..255>;
//   opaque ticket<1..2^16-1>;
//   Extension extensions<0..2^16-2>;

Result<NewSessionTicket> NewSessionTicket::parse(Bytes body) {
  codec::Reader r(body);
  NewSessionTicket nst;
  Bytes nonce;
  Bytes ticket;
  if (!r.read_u32(&nst.ticket_lifetime) || !r.read_u32(&nst.ticket_age_add) ||
      !r.read_vec8(&nonce) || !r.read_vec16(&ticket) || ticket.empty()) {
    return decode_error();
  }
  nst.ticket_nonce = to_vec(nonce);
  nst.ticket = to_vec(ticket);
  RTLS_ASSIGN(nst.extensions, parse_extensions_in(r, 0, 0xfffe));
  if (!r.expect_end()) return decode_error();
  return nst;
}

Status NewSessionTicket::serialize(ByteVec& out) const {
  ByteVec body;
  codec::Writer w(body);
  w.u32(ticket_lifetime);
  w.u32(ticket_age_add);
  w.vec8(ticket_nonce);
  w.vec16(ticket);
  write_extensions(w, extensions);
  return finish(out, HandshakeType::new_session_ticket, w, body);
}

// --- KeyUpdate (RFC 8446 4.6.3) -----------------------------------------------------------
//   enum { update_not_requested(0), update_requested(1), (255) } KeyUpdateRequest;

Result<KeyUpdate> KeyUpdate::parse(Bytes body) {
  codec::Reader r(body);
  uint8_t request = 0;
  if (!r.read_u8(&request) || !r.expect_end()) return decode_error();
  if (request > static_cast<uint8_t>(KeyUpdateRequest::update_requested)) {
    return Error{Alert::illegal_parameter, SSL_R_BAD_KEY_UPDATE};
  }
  return KeyUpdate{static_cast<KeyUpdateRequest>(request)};
}

Status KeyUpdate::serialize(ByteVec& out) const {
  const uint8_t body[] = {static_cast<uint8_t>(request_update)};
  return write_handshake(out, HandshakeType::key_update, body);
}

}  // namespace rapidtls::handshake
