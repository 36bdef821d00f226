// The TLS 1.3 record layer (RFC 8446 section 5): framing, per-record nonces,
// AEAD seal/open with the inner content type, and the size limits. One
// Sealer per write direction, one Opener per read direction; each holds the
// current traffic keys and sequence number. Sealing writes straight from the
// caller's plaintext into the output buffer: that is the write path's one copy.
#pragma once

#include <array>
#include <optional>

#include "common/result.h"
#include "crypto/aead.h"
#include "crypto/secret.h"

namespace rapidtls::record {

enum class ContentType : uint8_t {
  invalid = 0,
  change_cipher_spec = 20,
  alert = 21,
  handshake = 22,
  application_data = 23,
};

constexpr size_t kHeaderSize = 5;
// RFC 8446 5.1: TLSPlaintext.length MUST NOT exceed 2^14 bytes.
constexpr size_t kMaxPlaintext = size_t{1} << 14;
// RFC 8446 5.2: TLSCiphertext.length MUST NOT exceed 2^14 + 256 bytes.
constexpr size_t kMaxCiphertext = kMaxPlaintext + 256;
// The largest record we accept at all, header included.
constexpr size_t kMaxRecord = kHeaderSize + kMaxCiphertext;
// RFC 8446 5.2: legacy_record_version of protected records.
constexpr uint16_t kRecordVersion = 0x0303;

// One direction's record protection as it stands, for another sealer or
// opener to carry on with (a kernel: io/ktls.h): the AEAD, its key, the
// static IV (TLS 1.3, and TLS 1.2 ChaCha20-Poly1305: 12 bytes; TLS 1.2
// AES-GCM: the 4-byte salt) and the next record's sequence number.
struct RecordKeys {
  uint16_t version = 0;  // 0x0304 or 0x0303
  crypto::AeadAlg aead = crypto::AeadAlg::aes_128_gcm;
  crypto::Secret key;
  crypto::Secret iv;
  uint64_t sequence = 0;
};

// One direction's traffic keys (RFC 8446 7.3) and its sequence number (5.3).
class Protection {
 public:
  static Result<Protection> create(crypto::AeadAlg alg, crypto::AeadDirection dir, Bytes key,
                                   Bytes iv);
  uint64_t sequence() const { return seq_; }
  // The per-record nonce: the static IV XOR the left-padded sequence number.
  std::array<uint8_t, crypto::kAeadNonceSize> nonce() const;
  // RFC 8446 5.3: a sequence number MUST NOT wrap; the connection must rekey
  // or close first. False when the last number has been used.
  bool exhausted() const { return seq_ == UINT64_MAX; }
  void advance() { ++seq_; }
  crypto::AeadContext& aead() { return aead_; }

 private:
  Protection(crypto::AeadContext aead, Bytes iv);
  crypto::AeadContext aead_;
  std::array<uint8_t, crypto::kAeadNonceSize> iv_{};
  uint64_t seq_ = 0;
};

class Sealer {
 public:
  // Before keys are installed, records go out as TLSPlaintext with this
  // legacy_record_version (0x0301 for an initial ClientHello, RFC 8446 5.1).
  void set_plaintext_version(uint16_t v) { plaintext_version_ = v; }
  void set_protection(Protection p) { prot_.emplace(std::move(p)); }
  bool protected_() const { return prot_.has_value(); }
  const Protection* protection() const { return prot_ ? &*prot_ : nullptr; }

  // Bytes a record carrying n plaintext bytes takes on the wire (n <= kMaxPlaintext).
  size_t sealed_size(size_t n) const {
    return kHeaderSize + n + (prot_ ? 1 + crypto::kAeadTagSize : 0);
  }
  // Writes one record (header and body) of `type` carrying `plain` to out,
  // which has sealed_size(plain.size()) bytes. plain.size() <= kMaxPlaintext.
  Status seal_into(uint8_t* out, ContentType type, Bytes plain);

 private:
  std::optional<Protection> prot_;
  uint16_t plaintext_version_ = kRecordVersion;
};

struct OpenedRecord {
  ContentType type;  // the real (inner) content type
  MutBytes payload;  // the plaintext, inside the caller's record bytes
};

class Opener {
 public:
  void set_protection(Protection p) { prot_.emplace(std::move(p)); }
  bool protected_() const { return prot_.has_value(); }
  const Protection* protection() const { return prot_ ? &*prot_ : nullptr; }

  // Decrypts one whole record (header + body) in place. Errors name the
  // RFC 8446 alert: a bad tag -> bad_record_mac; an inner plaintext over 2^14
  // -> record_overflow; no non-zero content type -> unexpected_message.
  Result<OpenedRecord> open(MutBytes record);
  // The same for a protected record, decrypting into `out` instead (for
  // example the reader's own buffer): out holds record.size() - kHeaderSize -
  // kAeadTagSize bytes (the inner plaintext with its type and padding); the
  // payload returned lies in it. out may equal the record's body.
  Result<OpenedRecord> open_into(Bytes record, uint8_t* out);

  // The same with the inner plaintext in two places: its first head_len bytes
  // into `head`, the rest into `tail` (a reader's buffer and a scratch area
  // that takes the content type and padding, say). Returns the real content
  // type and the content's length; the content is head[0..] followed by
  // tail[0..]. The padding may reach into head; so may the type byte.
  struct Split {
    ContentType type;
    size_t length;
  };
  Result<Split> open_split(Bytes record, uint8_t* head, size_t head_len, uint8_t* tail);

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
