// TLS 1.2 AEAD record protection (RFC 5246 6.2.3.3, RFC 5288 3, RFC 7905 2).
// Unlike TLS 1.3 there is no inner content type: the header's type is real
// and, with the plaintext length, authenticated through the additional data.
#include "record/record12.h"

#include <cstring>

namespace rapidtls::record {
namespace {

// RFC 5288 3: the salt from the key block; the rest of the nonce is sent.
constexpr size_t kGcmSaltSize = 4;
constexpr size_t kGcmExplicitNonceSize = 8;
// RFC 5246 6.2.3.3: seq_num(8) || type(1) || version(2) || length(2).
constexpr size_t kAadSize = 13;

bool is_gcm(crypto::AeadAlg alg) {
  return alg != crypto::AeadAlg::chacha20_poly1305;
}

size_t explicit_nonce_size(crypto::AeadAlg alg) {
  return is_gcm(alg) ? kGcmExplicitNonceSize : 0;
}

void put_u16(uint8_t* out, size_t v) {
  out[0] = static_cast<uint8_t>(v >> 8);
  out[1] = static_cast<uint8_t>(v);
}

void put_u64(uint8_t* out, uint64_t v) {
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * (7 - i)));
}

std::array<uint8_t, kAadSize> additional_data(uint64_t seq, uint8_t type, size_t plain_len) {
  std::array<uint8_t, kAadSize> aad{};
  put_u64(aad.data(), seq);
  aad[8] = type;
  put_u16(aad.data() + 9, kRecordVersion);
  put_u16(aad.data() + 11, plain_len);
  return aad;
}

Error bad_record_mac() {
  return {Alert::bad_record_mac, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC};
}

}  // namespace

Result<Protection12> Protection12::create(crypto::AeadAlg alg, crypto::AeadDirection dir, Bytes key,
                                          Bytes iv) {
  const size_t want_iv = is_gcm(alg) ? kGcmSaltSize : crypto::kAeadNonceSize;
  if (iv.size() != want_iv) return internal_error();
  RTLS_ASSIGN(crypto::AeadContext aead, crypto::AeadContext::create(alg, dir, key));
  return Protection12(std::move(aead), key, iv);
}

Protection12::Protection12(crypto::AeadContext aead, Bytes key, Bytes iv)
    : aead_(std::move(aead)), iv_len_(iv.size()), key_(key) {
  std::memcpy(iv_.data(), iv.data(), iv_len_);
}

RecordKeys Protection12::export_keys() const {
  RecordKeys k;
  k.version = 0x0303;
  k.aead = aead_.alg();
  k.key = key_;
  k.iv.assign(Bytes(iv_.data(), iv_len_));
  k.sequence = seq_;
  return k;
}

size_t Protection12::overhead() const {
  return explicit_nonce_size(aead_.alg()) + crypto::kAeadTagSize;
}

std::array<uint8_t, crypto::kAeadNonceSize> Protection12::nonce(Bytes explicit_part) const {
  std::array<uint8_t, crypto::kAeadNonceSize> n{};
  if (is_gcm(aead_.alg())) {
    // RFC 5288 3: GCMNonce = salt || nonce_explicit.
    std::memcpy(n.data(), iv_.data(), kGcmSaltSize);
    std::memcpy(n.data() + kGcmSaltSize, explicit_part.data(), kGcmExplicitNonceSize);
    return n;
  }
  // RFC 7905 2: the 64-bit sequence number, left-padded with zeros, XOR the IV.
  n = iv_;
  xor_be64(n.data() + n.size() - 8, seq_);
  return n;
}

Status Protection12::seal_into(uint8_t* out, ContentType type, Bytes plain) {
  if (plain.size() > kMaxPlaintext) return internal_error();
  // RFC 5246 6.1: a sequence number MUST NOT wrap; renegotiate or close first.
  if (exhausted()) return Error{Alert::internal_error, SSL_R_TOO_MANY_KEY_UPDATES};
  const size_t explicit_len = explicit_nonce_size(aead_.alg());
  const size_t body = explicit_len + plain.size() + crypto::kAeadTagSize;
  out[0] = static_cast<uint8_t>(type);
  put_u16(out + 1, kRecordVersion);
  put_u16(out + 3, body);
  // RFC 5288 3: the explicit nonce must never repeat under one key; the
  // sequence number is the simplest value that cannot (OpenSSL sends it too).
  uint8_t* explicit_part = out + kHeaderSize;
  if (explicit_len != 0) put_u64(explicit_part, seq_);
  const auto n = nonce(Bytes(explicit_part, explicit_len));
  const auto aad = additional_data(seq_, static_cast<uint8_t>(type), plain.size());
  RTLS_TRY(aead_.seal(n, aad, plain, {}, explicit_part + explicit_len));
  ++seq_;
  return {};
}

Result<MutBytes> Protection12::open(MutBytes record) {
  const size_t explicit_len = explicit_nonce_size(aead_.alg());
  if (record.size() < kHeaderSize + explicit_len + crypto::kAeadTagSize) return bad_record_mac();
  return open_into(record, record.data() + kHeaderSize + explicit_len);
}

size_t Protection12::plaintext_size(size_t record_size) const {
  const size_t over = kHeaderSize + explicit_nonce_size(aead_.alg()) + crypto::kAeadTagSize;
  return record_size > over ? record_size - over : 0;
}

Result<MutBytes> Protection12::open_into(Bytes record, uint8_t* out) {
  const size_t explicit_len = explicit_nonce_size(aead_.alg());
  if (record.size() < kHeaderSize + explicit_len + crypto::kAeadTagSize) return bad_record_mac();
  // The additional data names 0x0303 whatever the header says, so another
  // version would not fail the tag: refuse it here, as OpenSSL does.
  if (record[1] != (kRecordVersion >> 8) || record[2] != (kRecordVersion & 0xff)) {
    return Error{Alert::protocol_version, SSL_R_WRONG_VERSION_NUMBER};
  }
  if (exhausted()) return Error{Alert::internal_error, SSL_R_TOO_MANY_KEY_UPDATES};
  const Bytes body = record.subspan(kHeaderSize);
  const Bytes sealed = body.subspan(explicit_len);
  const size_t plain_len = sealed.size() - crypto::kAeadTagSize;
  // RFC 5246 6.2.3 and 6.2.2: more than 2^14 bytes of plaintext is
  // record_overflow. The length is known before decrypting, so an oversized
  // record costs no AEAD work (and does not advance the sequence).
  if (plain_len > kMaxPlaintext) {
    return Error{Alert::record_overflow, SSL_R_DATA_LENGTH_TOO_LONG};
  }
  const auto n = nonce(body.first(explicit_len));
  const auto aad = additional_data(seq_, record[0], plain_len);
  RTLS_TRY(aead_.open(n, aad, sealed, out));
  ++seq_;
  return MutBytes(out, plain_len);
}

}  // namespace rapidtls::record
