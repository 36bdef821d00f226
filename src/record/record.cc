#include "record/record.h"

#include <string_view>

#include <cstring>

namespace rapidtls::record {

Status Sealer::seal_into(uint8_t* out, ContentType type, Bytes plain) {
  if (prot_) return prot_->seal_into(out, type, plain);
  if (plain.size() > kMaxPlaintext) return internal_error();
  out[0] = static_cast<uint8_t>(type);
  out[1] = static_cast<uint8_t>(plaintext_version_ >> 8);
  out[2] = static_cast<uint8_t>(plaintext_version_);
  out[3] = static_cast<uint8_t>(plain.size() >> 8);
  out[4] = static_cast<uint8_t>(plain.size());
  if (!plain.empty()) std::memcpy(out + kHeaderSize, plain.data(), plain.size());
  return {};
}

Result<OpenedRecord> Opener::open(MutBytes record) {
  const auto type = static_cast<ContentType>(record[0]);
  MutBytes body = record.subspan(kHeaderSize);
  if (!opens(type)) {
    if (prot_ && type != ContentType::change_cipher_spec) {
      return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_RECORD};
    }
    if (body.size() > kMaxPlaintext) {
      return Error{Alert::record_overflow, SSL_R_DATA_LENGTH_TOO_LONG};
    }
    return OpenedRecord{type, body};
  }
  return prot_->open(record);
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
