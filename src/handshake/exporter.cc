#include "handshake/exporter.h"

#include <openssl/ssl.h>

#include <array>

#include "crypto/prf12.h"
#include "handshake/key_schedule.h"
#include "handshake/suites12.h"

namespace rapidtls::handshake {
namespace {

Error illegal_label() {
  return {Alert::internal_error, SSL_R_TLS_ILLEGAL_EXPORTER_LABEL};
}

// RFC 8446 7.5: TLS-Exporter(label, context_value, key_length) =
//   HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter",
//                     Hash(context_value), key_length)
Status export13(const SessionInfo& s, std::string_view label, const Bytes* context, MutBytes out) {
  const HashAlg alg = s.suite->hash;
  const size_t hash_len = crypto::hash_size(alg);
  // "tls13 " + label must fit HkdfLabel's label<7..255>.
  if (label.size() > 255 - 6) return illegal_label();
  if (out.size() > 255 * hash_len) return internal_error();
  RTLS_ASSIGN(const Secret exporter_secret, exporter_master_secret(s));
  RTLS_ASSIGN(const Secret empty_hash, crypto::hash(alg, {}));
  RTLS_ASSIGN(const Secret per_label, crypto::hkdf_expand_label(alg, exporter_secret.bytes(), label,
                                                                empty_hash.bytes(), hash_len));
  RTLS_ASSIGN(const Secret context_hash,
              crypto::hash(alg, context != nullptr ? *context : Bytes()));
  return crypto::hkdf_expand_label_into(alg, per_label.bytes(), "exporter", context_hash.bytes(),
                                        out);
}

// RFC 5705 4: PRF(SecurityParameters.master_secret, label,
//   client_random + server_random [+ context_value_length + context_value])
Status export12(const SessionInfo& s, std::string_view label, const Bytes* context, MutBytes out) {
  // The labels TLS 1.2 derives its own secrets with (RFC 5246 8.1, 6.3,
  // 7.4.9; RFC 7627 4): an exporter must not reproduce them (RFC 5705 4).
  static constexpr std::array<std::string_view, 5> kReserved = {
      "client finished", "server finished", "master secret", "extended master secret",
      "key expansion"};
  for (std::string_view r : kReserved) {
    if (label.starts_with(r)) return illegal_label();
  }
  if (s.master_secret.size() == 0) return internal_error();
  // No bytes: OpenSSL's TLS1-PRF refuses an empty output, and libssl with it.
  if (out.empty()) return internal_error();
  if (context != nullptr && context->size() > 0xffff) return internal_error();
  ByteVec seed;
  seed.reserve(2 * s.client_random.size() + 2 + (context != nullptr ? context->size() : 0));
  seed.insert(seed.end(), s.client_random.begin(), s.client_random.end());
  seed.insert(seed.end(), s.server_random.begin(), s.server_random.end());
  if (context != nullptr) {
    seed.push_back(static_cast<uint8_t>(context->size() >> 8));
    seed.push_back(static_cast<uint8_t>(context->size()));
    seed.insert(seed.end(), context->begin(), context->end());
  }
  return crypto::tls12_prf(s.suite12->hash, s.master_secret.bytes(), label, seed, out);
}

}  // namespace

Result<Secret> exporter_master_secret(const SessionInfo& s) {
  if (s.version != kTls13 || s.suite == nullptr) return internal_error();
  if (s.exporter_secret.size() > 0) return s.exporter_secret;
  const HashAlg alg = s.suite->hash;
  const size_t hash_len = crypto::hash_size(alg);
  if (s.master_secret.size() != hash_len || s.exporter_transcript.size() != hash_len) {
    return internal_error();
  }
  // RFC 8446 7.1: exporter_master_secret = Derive-Secret(Master Secret,
  // "exp master", ClientHello...server Finished).
  return crypto::hkdf_expand_label(alg, s.master_secret.bytes(), "exp master",
                                   s.exporter_transcript.bytes(), hash_len);
}

Status settle_exporter_secret(SessionInfo& s) {
  if (s.version != kTls13 || s.exporter_secret.size() > 0) return {};
  RTLS_ASSIGN(s.exporter_secret, exporter_master_secret(s));
  s.master_secret = Secret();
  s.exporter_transcript = Secret();
  return {};
}

Status export_keying_material(const SessionInfo& session, std::string_view label,
                              const Bytes* context, MutBytes out) {
  if (session.version == kTls13 && session.suite != nullptr) {
    return export13(session, label, context, out);
  }
  if (session.version == kTls12 && session.suite12 != nullptr) {
    return export12(session, label, context, out);
  }
  return internal_error();
}

}  // namespace rapidtls::handshake
