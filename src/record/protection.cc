#include "record/protection.h"

#include <cstring>

namespace rapidtls::record {
namespace {

// RFC 5288 3: the salt from the key block; the rest of the nonce is sent.
constexpr size_t kGcmSaltSize = 4;
constexpr size_t kGcmExplicitNonceSize = 8;
// RFC 5246 6.2.3.3: seq_num(8) || type(1) || version(2) || length(2).
constexpr size_t kAad12Size = 13;

bool is_gcm(crypto::AeadAlg alg) {
  return alg != crypto::AeadAlg::chacha20_poly1305;
}

void put_u16(uint8_t* out, size_t v) {
  out[0] = static_cast<uint8_t>(v >> 8);
  out[1] = static_cast<uint8_t>(v);
}

void put_u64(uint8_t* out, uint64_t v) {
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * (7 - i)));
}

void write_header(uint8_t* out, ContentType type, size_t length) {
  out[0] = static_cast<uint8_t>(type);
  put_u16(out + 1, kRecordVersion);
  put_u16(out + 3, length);
}

std::array<uint8_t, kAad12Size> additional_data12(uint64_t seq, uint8_t type, size_t plain_len) {
  std::array<uint8_t, kAad12Size> aad{};
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

Result<Protection> Protection::create(uint16_t version, crypto::AeadAlg alg,
                                      crypto::AeadDirection dir, Bytes key, Bytes iv) {
  if (version != kTls13 && version != kTls12) return internal_error();
  const size_t want_iv = version == kTls12 && is_gcm(alg) ? kGcmSaltSize : crypto::kAeadNonceSize;
  if (iv.size() != want_iv) return internal_error();
  RTLS_ASSIGN(crypto::AeadContext aead, crypto::AeadContext::create(alg, dir, key));
  return Protection(version, std::move(aead), key, iv);
}

Protection::Protection(uint16_t version, crypto::AeadContext aead, Bytes key, Bytes iv)
    : version_(version), aead_(std::move(aead)), iv_len_(iv.size()), key_(key) {
  std::memcpy(iv_.data(), iv.data(), iv_len_);
  // TLS 1.3: the inner content type byte; TLS 1.2 AES-GCM: the explicit nonce.
  overhead_ = (hides_content_type() ? 1 : explicit_nonce_size()) + crypto::kAeadTagSize;
}

size_t Protection::explicit_nonce_size() const {
  return version_ == kTls12 && is_gcm(aead_.alg()) ? kGcmExplicitNonceSize : 0;
}

RecordKeys Protection::export_keys() const {
  RecordKeys k;
  k.version = version_;
  k.aead = aead_.alg();
  k.key = key_;
  k.iv.assign(Bytes(iv_.data(), iv_len_));
  k.sequence = seq_;
  return k;
}

std::array<uint8_t, crypto::kAeadNonceSize> Protection::nonce(const uint8_t* explicit_part) const {
  std::array<uint8_t, crypto::kAeadNonceSize> n;
  if (iv_len_ == kGcmSaltSize) {
    // RFC 5288 3: GCMNonce = salt || nonce_explicit.
    std::memcpy(n.data(), iv_.data(), kGcmSaltSize);
    std::memcpy(n.data() + kGcmSaltSize, explicit_part, kGcmExplicitNonceSize);
    return n;
  }
  // RFC 8446 5.3, RFC 7905 2: the sequence number, left-padded, xor the IV.
  n = iv_;
  xor_be64(n.data() + n.size() - 8, seq_);
  return n;
}

Status Protection::seal_into(uint8_t* out, ContentType type, Bytes plain) {
  if (plain.size() > kMaxPlaintext) return internal_error();
  if (exhausted()) return Error{Alert::internal_error, SSL_R_TOO_MANY_KEY_UPDATES};
  const size_t body = plain.size() + overhead_;
  if (hides_content_type()) {
    // RFC 8446 5.2: TLSInnerPlaintext = content || ContentType (no padding
    // added); the outer header says application_data and is the AEAD's
    // additional data.
    write_header(out, ContentType::application_data, body);
    const uint8_t inner_type = static_cast<uint8_t>(type);
    RTLS_TRY(aead_.seal(nonce(nullptr), Bytes(out, kHeaderSize), plain, Bytes(&inner_type, 1),
                        out + kHeaderSize));
  } else {
    write_header(out, type, body);
    // RFC 5288 3: the explicit nonce must never repeat under one key; the
    // sequence number is the simplest value that cannot.
    uint8_t* explicit_part = out + kHeaderSize;
    const size_t explicit_len = explicit_nonce_size();
    if (explicit_len != 0) put_u64(explicit_part, seq_);
    const auto aad = additional_data12(seq_, static_cast<uint8_t>(type), plain.size());
    RTLS_TRY(aead_.seal(nonce(explicit_part), aad, plain, {}, explicit_part + explicit_len));
  }
  ++seq_;
  return {};
}

Status Protection::check_open(Bytes record) const {
  if (record.size() < kHeaderSize + overhead_) return bad_record_mac();
  if (hides_content_type()) {
    if (static_cast<ContentType>(record[0]) != ContentType::application_data) {
      return internal_error();  // the opener lets only these through
    }
  } else {
    // The additional data names 0x0303 whatever the header says, so another
    // version would not fail the tag: refuse it here, as OpenSSL does.
    if (record[1] != (kRecordVersion >> 8) || record[2] != (kRecordVersion & 0xff)) {
      return Error{Alert::protocol_version, SSL_R_WRONG_VERSION_NUMBER};
    }
    // RFC 5246 6.2.3 and 6.2.2: more than 2^14 bytes of plaintext is
    // record_overflow. The length is known before decrypting, so an
    // oversized record costs no AEAD work (and does not advance the sequence).
    if (opened_size(record.size()) > kMaxPlaintext) {
      return Error{Alert::record_overflow, SSL_R_DATA_LENGTH_TOO_LONG};
    }
  }
  if (exhausted()) return Error{Alert::internal_error, SSL_R_TOO_MANY_KEY_UPDATES};
  return {};
}

Result<OpenedRecord> Protection::open_into(Bytes record, uint8_t* out) {
  RTLS_ASSIGN(const Split split, open_split(record, out, opened_size(record.size()), nullptr));
  return OpenedRecord{split.type, MutBytes(out, split.length)};
}

Result<Protection::Split> Protection::open_split(Bytes record, uint8_t* head, size_t head_len,
                                                 uint8_t* tail) {
  RTLS_TRY(check_open(record));
  const size_t inner = opened_size(record.size());
  if (head_len > inner) return internal_error();
  const Bytes body = record.subspan(kHeaderSize);
  if (!hides_content_type()) {
    const size_t explicit_len = explicit_nonce_size();
    const auto aad = additional_data12(seq_, record[0], inner);
    RTLS_TRY(aead_.open_split(nonce(body.data()), aad, body.subspan(explicit_len), head, head_len,
                              tail));
    ++seq_;
    return Split{static_cast<ContentType>(record[0]), inner};
  }
  RTLS_TRY(aead_.open_split(nonce(nullptr), record.first(kHeaderSize), body, head, head_len, tail));
  ++seq_;
  auto at = [&](size_t i) { return i < head_len ? head[i] : tail[i - head_len]; };
  // RFC 8446 5.4: strip the zero padding; the last non-zero byte is the type.
  size_t n = inner;
  while (n > 0 && at(n - 1) == 0) --n;
  if (n == 0) return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_RECORD};
  const auto type = static_cast<ContentType>(at(n - 1));
  --n;
  // RFC 8446 5.4: the inner plaintext, less padding, is at most 2^14 + 1.
  if (n > kMaxPlaintext) return Error{Alert::record_overflow, SSL_R_DATA_LENGTH_TOO_LONG};
  return Split{type, n};
}

}  // namespace rapidtls::record
