#include "record/record.h"

#include <string_view>

#include <cstring>

namespace rapidtls::record {

Result<Protection> Protection::create(crypto::AeadAlg alg, crypto::AeadDirection dir, Bytes key,
                                      Bytes iv) {
  if (iv.size() != crypto::kAeadNonceSize) return internal_error();
  RTLS_ASSIGN(crypto::AeadContext aead, crypto::AeadContext::create(alg, dir, key));
  return Protection(std::move(aead), iv);
}

Protection::Protection(crypto::AeadContext aead, Bytes iv) : aead_(std::move(aead)) {
  std::memcpy(iv_.data(), iv.data(), iv_.size());
}

std::array<uint8_t, crypto::kAeadNonceSize> Protection::nonce() const {
  std::array<uint8_t, crypto::kAeadNonceSize> n = iv_;
  xor_be64(n.data() + n.size() - 8, seq_);
  return n;
}

static void write_header(uint8_t* out, ContentType type, uint16_t version, size_t length) {
  out[0] = static_cast<uint8_t>(type);
  out[1] = static_cast<uint8_t>(version >> 8);
  out[2] = static_cast<uint8_t>(version);
  out[3] = static_cast<uint8_t>(length >> 8);
  out[4] = static_cast<uint8_t>(length);
}

Status Sealer::seal_into(uint8_t* out, ContentType type, Bytes plain) {
  if (plain.size() > kMaxPlaintext) return internal_error();
  if (!prot_) {
    write_header(out, type, plaintext_version_, plain.size());
    if (!plain.empty()) std::memcpy(out + kHeaderSize, plain.data(), plain.size());
    return {};
  }
  if (prot_->exhausted()) return Error{Alert::internal_error, SSL_R_TOO_MANY_KEY_UPDATES};
  // RFC 8446 5.2: TLSInnerPlaintext = content || ContentType || zeros; the
  // outer header says application_data and is the AEAD's additional data.
  const size_t body = plain.size() + 1 + crypto::kAeadTagSize;
  write_header(out, ContentType::application_data, kRecordVersion, body);
  const uint8_t inner_type = static_cast<uint8_t>(type);
  auto nonce = prot_->nonce();
  RTLS_TRY(prot_->aead().seal(nonce, Bytes(out, kHeaderSize), plain, Bytes(&inner_type, 1),
                              out + kHeaderSize));
  prot_->advance();
  return {};
}

Result<OpenedRecord> Opener::open(MutBytes record) {
  const auto type = static_cast<ContentType>(record[0]);
  MutBytes body = record.subspan(kHeaderSize);
  if (!prot_) {
    if (body.size() > kMaxPlaintext)
      return Error{Alert::record_overflow, SSL_R_DATA_LENGTH_TOO_LONG};
    return OpenedRecord{type, body};
  }
  // RFC 8446 5: a change_cipher_spec record is never protected; the caller
  // decides whether it is allowed here.
  if (type == ContentType::change_cipher_spec) return OpenedRecord{type, body};
  if (type != ContentType::application_data) {
    return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_RECORD};
  }
  return open_into(record, body.data());
}

Result<OpenedRecord> Opener::open_into(Bytes record, uint8_t* out) {
  if (!prot_ || static_cast<ContentType>(record[0]) != ContentType::application_data) {
    return internal_error();
  }
  const Bytes body = record.subspan(kHeaderSize);
  if (body.size() < 1 + crypto::kAeadTagSize) {
    return Error{Alert::bad_record_mac, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC};
  }
  if (prot_->exhausted()) return Error{Alert::internal_error, SSL_R_TOO_MANY_KEY_UPDATES};
  auto nonce = prot_->nonce();
  RTLS_TRY(prot_->aead().open(nonce, record.first(kHeaderSize), body, out));
  prot_->advance();
  size_t n = body.size() - crypto::kAeadTagSize;
  // RFC 8446 5.4: strip the zero padding; the last non-zero byte is the type.
  while (n > 0 && out[n - 1] == 0) --n;
  if (n == 0) return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_RECORD};
  const auto inner = static_cast<ContentType>(out[n - 1]);
  --n;
  // RFC 8446 5.4: the inner plaintext, less padding, is at most 2^14 + 1.
  if (n > kMaxPlaintext) return Error{Alert::record_overflow, SSL_R_DATA_LENGTH_TOO_LONG};
  return OpenedRecord{inner, MutBytes(out, n)};
}

Result<Opener::Split> Opener::open_split(Bytes record, uint8_t* head, size_t head_len,
                                         uint8_t* tail) {
  if (!prot_ || static_cast<ContentType>(record[0]) != ContentType::application_data) {
    return internal_error();
  }
  const Bytes body = record.subspan(kHeaderSize);
  if (body.size() < 1 + crypto::kAeadTagSize) {
    return Error{Alert::bad_record_mac, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC};
  }
  const size_t inner = body.size() - crypto::kAeadTagSize;
  if (head_len > inner) return internal_error();
  if (prot_->exhausted()) return Error{Alert::internal_error, SSL_R_TOO_MANY_KEY_UPDATES};
  auto nonce = prot_->nonce();
  RTLS_TRY(prot_->aead().open_split(nonce, record.first(kHeaderSize), body, head, head_len, tail));
  prot_->advance();
  auto at = [&](size_t i) { return i < head_len ? head[i] : tail[i - head_len]; };
  // RFC 8446 5.4: strip the zero padding; the last non-zero byte is the type.
  size_t n = inner;
  while (n > 0 && at(n - 1) == 0) --n;
  if (n == 0) return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_RECORD};
  const auto type = static_cast<ContentType>(at(n - 1));
  --n;
  if (n > kMaxPlaintext) return Error{Alert::record_overflow, SSL_R_DATA_LENGTH_TOO_LONG};
  return Split{type, n};
}

Result<size_t> record_size_error(Bytes buffered) {
  // The version first, as OpenSSL: bytes that are not TLS at all are a
  // wrong version number, and an HTTP request sent to a TLS port is named so
  // (no alert answers it: see Connection::fail).
  if (buffered[1] != 0x03) {
    const std::string_view head(reinterpret_cast<const char*>(buffered.data()), kHeaderSize);
    if (head.starts_with("GET ") || head.starts_with("POST ") || head.starts_with("HEAD ") ||
        head.starts_with("PUT ")) {
      return Error{Alert::protocol_version, SSL_R_HTTP_REQUEST};
    }
    if (head.starts_with("CONNE")) return Error{Alert::protocol_version, SSL_R_HTTPS_PROXY_REQUEST};
    return Error{Alert::protocol_version, SSL_R_WRONG_VERSION_NUMBER};
  }
  switch (static_cast<ContentType>(buffered[0])) {
    case ContentType::change_cipher_spec:
    case ContentType::alert:
    case ContentType::handshake:
    case ContentType::application_data:
      break;
    default:
      return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_RECORD};
  }
  const size_t length = size_t{buffered[3]} << 8 | buffered[4];
  if (length > kMaxCiphertext) {
    return Error{Alert::record_overflow, SSL_R_ENCRYPTED_LENGTH_TOO_LONG};
  }
  return kHeaderSize + length;
}

}  // namespace rapidtls::record
