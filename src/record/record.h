// The record layer (RFC 8446 section 5, RFC 5246 6.2): framing, the size
// limits, and one Sealer per write direction and one Opener per read
// direction, each holding its direction's Protection (protection.h: either
// version's keys and sequence number) once keys are in. Sealing writes
// straight from the caller's plaintext into the output buffer: that is the
// write path's one copy.
#pragma once

#include <optional>

#include "common/result.h"
#include "record/protection.h"

namespace rapidtls::record {

// The write direction: plaintext records until keys are installed, then
// sealed ones.
class Sealer {
 public:
  // Before keys are installed, records go out as TLSPlaintext with this
  // legacy_record_version (0x0301 for an initial ClientHello, RFC 8446 5.1).
  void set_plaintext_version(uint16_t v) { plaintext_version_ = v; }
  void set_protection(Protection p) { prot_.emplace(std::move(p)); }
  bool protected_() const { return prot_.has_value(); }
  const Protection* protection() const { return prot_ ? &*prot_ : nullptr; }

  // Bytes a record carrying n plaintext bytes takes on the wire (n <= kMaxPlaintext).
  size_t sealed_size(size_t n) const { return prot_ ? prot_->sealed_size(n) : kHeaderSize + n; }
  // Writes one record (header and body) of `type` carrying `plain` to out,
  // which has sealed_size(plain.size()) bytes. plain.size() <= kMaxPlaintext.
  Status seal_into(uint8_t* out, ContentType type, Bytes plain);

 private:
  std::optional<Protection> prot_;
  uint16_t plaintext_version_ = kRecordVersion;
};

// The read direction: plaintext records until keys are installed, then
// protected ones.
class Opener {
 public:
  void set_protection(Protection p) { prot_.emplace(std::move(p)); }
  bool protected_() const { return prot_.has_value(); }
  const Protection* protection() const { return prot_ ? &*prot_ : nullptr; }
  // Under TLS 1.3 keys: the real content type is inside the ciphertext.
  bool hides_content_type() const { return prot_ && prot_->hides_content_type(); }
  // Whether a record whose header says `outer` is opened with the keys (as
  // opposed to taken as it is): every record under TLS 1.2 keys; under TLS
  // 1.3 keys application_data records (RFC 8446 5: change_cipher_spec is
  // never protected, and nothing else may be in the clear).
  bool opens(ContentType outer) const {
    return prot_ && (!prot_->hides_content_type() || outer == ContentType::application_data);
  }

  // Handles one whole record (header + body) in place: in the clear before
  // keys (over 2^14 bytes -> record_overflow); under keys opened as
  // Protection::open_into says, except that under TLS 1.3 keys a
  // change_cipher_spec passes as it is and any other type but
  // application_data is unexpected_message.
  Result<OpenedRecord> open(MutBytes record);
  // A protected record opened into `out` (Protection::open_into).
  Result<OpenedRecord> open_into(Bytes record, uint8_t* out) {
    if (!prot_) return internal_error();
    return prot_->open_into(record, out);
  }
  // The same with the opened bytes in two places (Protection::open_split).
  Result<Protection::Split> open_split(Bytes record, uint8_t* head, size_t head_len,
                                       uint8_t* tail) {
    if (!prot_) return internal_error();
    return prot_->open_split(record, head, head_len, tail);
  }

 private:
  std::optional<Protection> prot_;
};

// How many bytes the record at the start of `buffered` takes (header included)
// once it has fully arrived, 0 if the header itself is incomplete. Checks the
// header: a version whose major byte is not 3 -> protocol_version (wrong
// version number; an HTTP request's first bytes -> SSL_R_HTTP_REQUEST or
// SSL_R_HTTPS_PROXY_REQUEST); an unknown content type -> unexpected_message;
// a length over the limit -> record_overflow.
// Inline: the read path asks it several times per record.
Result<size_t> record_size_error(Bytes header);  // header: at least kHeaderSize bytes
inline Result<size_t> record_size(Bytes buffered) {
  if (buffered.size() < kHeaderSize) return size_t{0};
  const uint8_t type = buffered[0];
  const size_t length = size_t{buffered[3]} << 8 | buffered[4];
  if (type >= static_cast<uint8_t>(ContentType::change_cipher_spec) &&
      type <= static_cast<uint8_t>(ContentType::application_data) && buffered[1] == 0x03 &&
      length <= kMaxCiphertext) {
    return kHeaderSize + length;
  }
  return record_size_error(buffered);
}

}  // namespace rapidtls::record
