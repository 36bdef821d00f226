// Codecs of the extension bodies rapidtls understands: RFC 8446 4.2,
// RFC 6066 3 (server_name) and RFC 7301 3.1 (ALPN). Each parser takes the
// extension_data of one extension and must consume all of it.
#include "handshake/extensions.h"

#include <algorithm>

#include "codec/reader.h"
#include "codec/writer.h"
#include "crypto/x509.h"

namespace rapidtls::handshake {
namespace {

constexpr uint8_t kHostNameType = 0;  // NameType host_name (RFC 6066 3)
constexpr size_t kMaxHostNameLen = 255;
constexpr size_t kMinBinderLen = 32;  // PskBinderEntry<32..255>

Error bad_extension() {
  return {Alert::decode_error, SSL_R_BAD_EXTENSION};
}

ByteVec to_vec(Bytes b) {
  return ByteVec(b.begin(), b.end());
}

// Runs `fill` on a Writer over a fresh body and returns the body. A block
// that outgrows its 16-bit length makes the body itself longer than an
// extension may be, so the message's serialize() refuses it; the 8-bit
// blocks hold bounded content (versions, modes, formats, binders), except
// ALPN names, which encode_alpn checks.
template <class F>
ByteVec encode(F&& fill) {
  ByteVec body;
  codec::Writer w(body);
  fill(w);
  return body;
}

// The whole body is one vector with a 16-bit (or 8-bit) length prefix.
bool read_whole_vec16(Bytes body, codec::Reader* out) {
  codec::Reader r(body);
  return r.read_prefixed16(out) && r.expect_end();
}
bool read_whole_vec8(Bytes body, codec::Reader* out) {
  codec::Reader r(body);
  return r.read_prefixed8(out) && r.expect_end();
}

// Reads a list of u16 values filling all of `r`: non-empty and of even length.
Result<std::vector<uint16_t>> read_u16_values(codec::Reader& r) {
  if (r.empty() || r.remaining() % 2 != 0) return bad_extension();
  std::vector<uint16_t> values;
  values.reserve(r.remaining() / 2);
  uint16_t v = 0;
  while (r.read_u16(&v)) values.push_back(v);
  return values;
}

// A body that is exactly one uint16 / uint32.
Result<uint16_t> parse_single_u16(Bytes body) {
  codec::Reader r(body);
  uint16_t v = 0;
  if (!r.read_u16(&v) || !r.expect_end()) return bad_extension();
  return v;
}

// struct { NamedGroup group; opaque key_exchange<1..2^16-1>; } KeyShareEntry;
bool read_key_share_entry(codec::Reader& r, KeyShareEntry* out) {
  Bytes key;
  if (!r.read_u16(&out->group) || !r.read_vec16(&key) || key.empty()) return false;
  out->key_exchange = to_vec(key);
  return true;
}
void write_key_share_entry(codec::Writer& w, const KeyShareEntry& entry) {
  w.u16(entry.group);
  w.vec16(entry.key_exchange);
}

}  // namespace

// --- server_name (RFC 6066 3) -------------------------------------------------------------
//   struct {
//     NameType name_type;
//     select (name_type) { case host_name: HostName; } name;
//   } ServerName;
//   opaque HostName<1..2^16-1>;
//   struct { ServerName server_name_list<1..2^16-1> } ServerNameList;
// host_name is the only NameType; "The ServerNameList MUST NOT contain more than
// one name of the same name_type." As OpenSSL, the list is exactly one host_name
// entry: another name type, or a second entry, is decode_error.

Result<std::string> parse_server_name_ch(Bytes body) {
  codec::Reader list;
  uint8_t name_type = 0;
  Bytes name;
  if (!read_whole_vec16(body, &list) || !list.read_u8(&name_type) || name_type != kHostNameType ||
      !list.read_vec16(&name) || name.empty() || !list.expect_end()) {
    return bad_extension();
  }
  // OpenSSL answers a host name it cannot use with unrecognized_name.
  if (name.size() > kMaxHostNameLen || std::ranges::find(name, 0) != name.end()) {
    return Error{Alert::unrecognized_name, SSL_R_BAD_EXTENSION};
  }
  return std::string(name.begin(), name.end());
}

ByteVec encode_server_name_ch(const std::string& host) {
  return encode([&](codec::Writer& w) {
    w.with_prefix16([&](codec::Writer& list) {
      list.u8(kHostNameType);
      list.vec16(as_bytes(host));
    });
  });
}

// --- supported_versions (RFC 8446 4.2.1) --------------------------------------------------
//   ClientHello: ProtocolVersion versions<2..254>;
//   ServerHello, HelloRetryRequest: ProtocolVersion selected_version;

Result<std::vector<uint16_t>> parse_supported_versions_ch(Bytes body) {
  codec::Reader list;
  if (!read_whole_vec8(body, &list)) return bad_extension();
  return read_u16_values(list);
}

ByteVec encode_supported_versions_ch(const std::vector<uint16_t>& versions) {
  return encode([&](codec::Writer& w) {
    w.with_prefix8([&](codec::Writer& list) {
      for (uint16_t v : versions) list.u16(v);
    });
  });
}

Result<uint16_t> parse_supported_versions_sh(Bytes body) {
  return parse_single_u16(body);
}

ByteVec encode_supported_versions_sh(uint16_t version) {
  return encode([&](codec::Writer& w) { w.u16(version); });
}

// --- supported_groups (4.2.7), signature_algorithms(_cert) (4.2.3) ------------------------
//   NamedGroup named_group_list<2..2^16-1>;
//   SignatureScheme supported_signature_algorithms<2..2^16-2>;

Result<std::vector<uint16_t>> parse_u16_list(Bytes body) {
  codec::Reader list;
  if (!read_whole_vec16(body, &list)) return bad_extension();
  return read_u16_values(list);
}

ByteVec encode_u16_list(const std::vector<uint16_t>& values) {
  return encode([&](codec::Writer& w) {
    w.with_prefix16([&](codec::Writer& list) {
      for (uint16_t v : values) list.u16(v);
    });
  });
}

// --- key_share (RFC 8446 4.2.8) -----------------------------------------------------------
//   ClientHello:       KeyShareEntry client_shares<0..2^16-1>;
//   ServerHello:       KeyShareEntry server_share;
//   HelloRetryRequest: NamedGroup selected_group;
// "Clients MUST NOT offer multiple KeyShareEntry values for the same group";
// "Servers MAY check": as OpenSSL, rapidtls does not (a server takes the first).

Result<std::vector<KeyShareEntry>> parse_key_share_ch(Bytes body) {
  codec::Reader list;
  if (!read_whole_vec16(body, &list)) return bad_extension();
  std::vector<KeyShareEntry> entries;
  while (!list.empty()) {
    KeyShareEntry entry;
    if (!read_key_share_entry(list, &entry)) return bad_extension();
    entries.push_back(std::move(entry));
  }
  return entries;
}

ByteVec encode_key_share_ch(const std::vector<KeyShareEntry>& entries) {
  return encode([&](codec::Writer& w) {
    w.with_prefix16([&](codec::Writer& list) {
      for (const KeyShareEntry& entry : entries) write_key_share_entry(list, entry);
    });
  });
}

Result<KeyShareEntry> parse_key_share_sh(Bytes body) {
  codec::Reader r(body);
  KeyShareEntry entry;
  if (!read_key_share_entry(r, &entry) || !r.expect_end()) return bad_extension();
  return entry;
}

ByteVec encode_key_share_sh(const KeyShareEntry& entry) {
  return encode([&](codec::Writer& w) { write_key_share_entry(w, entry); });
}

Result<uint16_t> parse_key_share_hrr(Bytes body) {
  return parse_single_u16(body);
}

ByteVec encode_key_share_hrr(uint16_t group) {
  return encode([&](codec::Writer& w) { w.u16(group); });
}

// --- application_layer_protocol_negotiation (RFC 7301 3.1) --------------------------------
//   opaque ProtocolName<1..2^8-1>;
//   struct { ProtocolName protocol_name_list<2..2^16-1> } ProtocolNameList;

Result<std::vector<ByteVec>> parse_alpn(Bytes body) {
  codec::Reader list;
  if (!read_whole_vec16(body, &list) || list.empty()) return bad_extension();
  std::vector<ByteVec> protocols;
  while (!list.empty()) {
    Bytes name;
    if (!list.read_vec8(&name) || name.empty()) return bad_extension();
    protocols.push_back(to_vec(name));
  }
  return protocols;
}

Result<ByteVec> encode_alpn(const std::vector<ByteVec>& protocols) {
  ByteVec body;
  codec::Writer w(body);
  w.with_prefix16([&](codec::Writer& list) {
    for (const ByteVec& name : protocols) list.vec8(name);
  });
  RTLS_TRY(w.status());  // a name over 255 bytes, or a list over 2^16 - 1
  return body;
}

// --- certificate_authorities (RFC 8446 4.2.4) ---------------------------------------------
//   opaque DistinguishedName<1..2^16-1>;
//   struct { DistinguishedName authorities<3..2^16-1>; } CertificateAuthoritiesExtension;

Status check_distinguished_names(const std::vector<ByteVec>& names) {
  for (const ByteVec& name : names) {
    if (!crypto::is_distinguished_name(name)) {
      return Error{Alert::decode_error, SSL_R_CA_DN_LENGTH_MISMATCH};
    }
  }
  return {};
}

Result<std::vector<ByteVec>> parse_certificate_authorities(Bytes body) {
  const Error malformed{Alert::decode_error, SSL_R_CA_DN_LENGTH_MISMATCH};
  codec::Reader list;
  if (!read_whole_vec16(body, &list) || list.remaining() < 3) return malformed;
  std::vector<ByteVec> names;
  while (!list.empty()) {
    Bytes name;
    if (!list.read_vec16(&name) || name.empty()) return malformed;
    names.push_back(to_vec(name));
  }
  RTLS_TRY(check_distinguished_names(names));
  return names;
}

ByteVec encode_certificate_authorities(const std::vector<ByteVec>& names) {
  return encode([&](codec::Writer& w) {
    w.with_prefix16([&](codec::Writer& list) {
      for (const ByteVec& name : names) list.vec16(name);
    });
  });
}

// --- cookie (RFC 8446 4.2.2) --------------------------------------------------------------
//   struct { opaque cookie<1..2^16-1>; } Cookie;

Result<ByteVec> parse_cookie(Bytes body) {
  codec::Reader r(body);
  Bytes cookie;
  if (!r.read_vec16(&cookie) || cookie.empty() || !r.expect_end()) return bad_extension();
  return to_vec(cookie);
}

ByteVec encode_cookie(Bytes cookie) {
  return encode([&](codec::Writer& w) { w.vec16(cookie); });
}

// --- psk_key_exchange_modes (RFC 8446 4.2.9) ----------------------------------------------
//   struct { PskKeyExchangeMode ke_modes<1..255>; } PskKeyExchangeModes;

Result<std::vector<uint8_t>> parse_psk_key_exchange_modes(Bytes body) {
  codec::Reader r(body);
  Bytes modes;
  if (!r.read_vec8(&modes) || modes.empty() || !r.expect_end()) return bad_extension();
  return to_vec(modes);
}

ByteVec encode_psk_key_exchange_modes(const std::vector<uint8_t>& modes) {
  return encode([&](codec::Writer& w) { w.vec8(modes); });
}

// --- pre_shared_key (RFC 8446 4.2.11) -----------------------------------------------------
//   struct { opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age; } PskIdentity;
//   opaque PskBinderEntry<32..255>;
//   struct {
//     PskIdentity identities<7..2^16-1>;
//     PskBinderEntry binders<33..2^16-1>;
//   } OfferedPsks;
//   ServerHello: uint16 selected_identity;

namespace {

Result<std::vector<PskIdentity>> read_psk_identities(codec::Reader& r) {
  codec::Reader list;
  if (!r.read_prefixed16(&list) || list.empty()) return bad_extension();
  std::vector<PskIdentity> identities;
  while (!list.empty()) {
    PskIdentity id;
    Bytes identity;
    if (!list.read_vec16(&identity) || identity.empty() ||
        !list.read_u32(&id.obfuscated_ticket_age)) {
      return bad_extension();
    }
    id.identity = to_vec(identity);
    identities.push_back(std::move(id));
  }
  return identities;
}

Result<std::vector<ByteVec>> read_psk_binders(codec::Reader& r) {
  codec::Reader list;
  if (!r.read_prefixed16(&list) || list.empty()) return bad_extension();
  std::vector<ByteVec> binders;
  while (!list.empty()) {
    Bytes binder;
    if (!list.read_vec8(&binder) || binder.size() < kMinBinderLen) return bad_extension();
    binders.push_back(to_vec(binder));
  }
  return binders;
}

}  // namespace

Result<OfferedPsks> parse_pre_shared_key_ch(Bytes body) {
  codec::Reader r(body);
  OfferedPsks psks;
  RTLS_ASSIGN(psks.identities, read_psk_identities(r));
  psks.binders_block_size = r.remaining();
  RTLS_ASSIGN(psks.binders, read_psk_binders(r));
  if (!r.expect_end()) return bad_extension();
  if (psks.identities.size() != psks.binders.size()) {
    return Error{Alert::illegal_parameter, SSL_R_BAD_EXTENSION};
  }
  return psks;
}

ByteVec encode_pre_shared_key_ch(const OfferedPsks& psks) {
  return encode([&](codec::Writer& w) {
    w.with_prefix16([&](codec::Writer& list) {
      for (const PskIdentity& id : psks.identities) {
        list.vec16(id.identity);
        list.u32(id.obfuscated_ticket_age);
      }
    });
    w.with_prefix16([&](codec::Writer& list) {
      for (const ByteVec& binder : psks.binders) list.vec8(binder);
    });
  });
}

Result<uint16_t> parse_pre_shared_key_sh(Bytes body) {
  return parse_single_u16(body);
}

ByteVec encode_pre_shared_key_sh(uint16_t selected_identity) {
  return encode([&](codec::Writer& w) { w.u16(selected_identity); });
}

// --- early_data (RFC 8446 4.2.10) ---------------------------------------------------------
//   NewSessionTicket: uint32 max_early_data_size;

Result<uint32_t> parse_early_data_nst(Bytes body) {
  codec::Reader r(body);
  uint32_t max_early_data_size = 0;
  if (!r.read_u32(&max_early_data_size) || !r.expect_end()) return bad_extension();
  return max_early_data_size;
}

ByteVec encode_early_data_nst(uint32_t max_early_data_size) {
  return encode([&](codec::Writer& w) { w.u32(max_early_data_size); });
}

// --- Extensions with an empty body (e.g. early_data in ClientHello and
// EncryptedExtensions, post_handshake_auth) ------------------------------------------------

Status expect_empty(Bytes body) {
  if (!body.empty()) return bad_extension();
  return {};
}

// --- max_fragment_length (RFC 6066 4) -------------------------------------------------------
//   enum { 2^9(1), 2^10(2), 2^11(3), 2^12(4), (255) } MaxFragmentLength;
// rapidtls does not negotiate it (the extension is not answered, which RFC 6066 allows),
// but checks it as OpenSSL does: "If a server receives a maximum fragment length
// negotiation request for a value other than the allowed values, it MUST abort the
// handshake with an "illegal_parameter" alert."

Status check_max_fragment_length(Bytes body) {
  codec::Reader r(body);
  uint8_t code = 0;
  if (!r.read_u8(&code) || !r.expect_end()) return bad_extension();
  if (code < 1 || code > 4)
    return Error{Alert::illegal_parameter, SSL_R_SSL3_EXT_INVALID_MAX_FRAGMENT_LENGTH};
  return {};
}

Result<uint16_t> parse_record_size_limit(Bytes body) {
  codec::Reader r(body);
  uint16_t limit = 0;
  if (!r.read_u16(&limit) || !r.expect_end()) {
    return Error{Alert::decode_error, SSL_R_BAD_EXTENSION};
  }
  if (limit < 64) return Error{Alert::illegal_parameter, SSL_R_BAD_EXTENSION};
  return limit;
}

ByteVec encode_record_size_limit(uint16_t limit) {
  ByteVec out;
  codec::Writer w(out);
  w.u16(limit);
  return out;
}

}  // namespace rapidtls::handshake
