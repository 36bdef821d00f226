// One direction's record protection, TLS 1.3 or TLS 1.2, made by one factory
// from (version, AEAD, direction, key, IV). The two versions differ only
// inside this class:
// - TLS 1.3 (RFC 8446 5.2, 5.3): nonce = IV xor the sequence number; the
//   outer header says application_data and is the additional data; the real
//   content type and any zero padding end the encrypted inner plaintext.
// - TLS 1.2 AEAD suites (RFC 5246 6.2.3.3): additional data = seq_num ||
//   type || version || plaintext length; the header's type is the real one.
//   AES-GCM (RFC 5288 3): nonce = 4-byte salt || 8-byte explicit part sent
//   before the ciphertext (the sequence number). ChaCha20-Poly1305 (RFC 7905
//   2): nonce = 12-byte IV xor the sequence number, nothing sent.
#pragma once

#include <array>

#include "common/result.h"
#include "common/version.h"
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
// RFC 8446 5.2 / RFC 5246 6.2.3: legacy_record_version of protected records.
constexpr uint16_t kRecordVersion = 0x0303;

// One direction's record protection as it stands, for another sealer or
// opener to carry on with (a kernel: io/ktls.h): the AEAD, its key, the
// static IV (TLS 1.3, and TLS 1.2 ChaCha20-Poly1305: 12 bytes; TLS 1.2
// AES-GCM: the 4-byte salt) and the next record's sequence number.
struct RecordKeys {
  uint16_t version = 0;  // kTls13 or kTls12
  crypto::AeadAlg aead = crypto::AeadAlg::aes_128_gcm;
  crypto::Secret key;
  crypto::Secret iv;
  uint64_t sequence = 0;
};

struct OpenedRecord {
  ContentType type;  // the real content type (TLS 1.3: the inner one)
  MutBytes payload;  // the plaintext, inside the caller's record bytes
};

class Protection {
 public:
  // iv: 12 bytes, except TLS 1.2 AES-GCM's 4-byte salt. Anything else, or a
  // key of the wrong size, fails.
  static Result<Protection> create(uint16_t version, crypto::AeadAlg alg, crypto::AeadDirection dir,
                                   Bytes key, Bytes iv);

  uint16_t version() const { return version_; }
  // TLS 1.3: records carry their real content type inside the ciphertext.
  bool hides_content_type() const { return version_ == kTls13; }
  uint64_t sequence() const { return seq_; }
  // RFC 8446 5.3 / RFC 5246 6.1: a sequence number MUST NOT wrap; the
  // connection must rekey or close first. True once the last one is used.
  bool exhausted() const { return seq_ == UINT64_MAX; }
  // Skips a sequence number (a record another sealer or opener took).
  void advance() { ++seq_; }
  // The key, IV and next sequence number (kernel TLS takes them over).
  RecordKeys export_keys() const;

  // Where the encrypted bytes start in a record (after TLS 1.2 AES-GCM's
  // explicit nonce): opening in place writes the plaintext there.
  size_t ciphertext_offset() const { return kHeaderSize + explicit_nonce_size(); }
  // Bytes a record carrying n content bytes (n <= kMaxPlaintext) takes.
  size_t sealed_size(size_t n) const { return kHeaderSize + n + overhead_; }
  // The bytes opening a whole record of `record_size` bytes writes (TLS 1.3:
  // the inner plaintext with its type and padding; TLS 1.2: the content); 0
  // when it is too short to be a record at all.
  size_t opened_size(size_t record_size) const {
    const size_t over = kHeaderSize + overhead_ - (hides_content_type() ? 1 : 0);
    return record_size > over ? record_size - over : 0;
  }

  // Writes one whole record (header and body) of `type` carrying `plain` to
  // out, which has sealed_size(plain.size()) bytes.
  Status seal_into(uint8_t* out, ContentType type, Bytes plain);
  // Opens one whole protected record (header included) into `out`, which
  // has opened_size(record.size()) bytes and may be the ciphertext's own
  // start (in place). Errors name the alert: a bad tag -> bad_record_mac;
  // content over 2^14 -> record_overflow; TLS 1.3 without a non-zero content
  // type -> unexpected_message; TLS 1.2 with a header version other than
  // 0x0303 -> protocol_version. The sequence advances only on success.
  Result<OpenedRecord> open_into(Bytes record, uint8_t* out);
  // The same in place (the plaintext at ciphertext_offset() in the record).
  Result<OpenedRecord> open(MutBytes record) {
    return open_into(record, record.data() + ciphertext_offset());
  }
  // The same with the opened bytes in two places: the first head_len into
  // `head`, the rest into `tail` (a reader's buffer and a scratch area that
  // takes TLS 1.3's content type and padding, say). The content is head[0..]
  // followed by tail[0..]; padding and the type byte may reach into head.
  struct Split {
    ContentType type;
    size_t length;
  };
  Result<Split> open_split(Bytes record, uint8_t* head, size_t head_len, uint8_t* tail);

 private:
  Protection(uint16_t version, crypto::AeadContext aead, Bytes key, Bytes iv);
  std::array<uint8_t, crypto::kAeadNonceSize> nonce(const uint8_t* explicit_part) const;
  // TLS 1.2 AES-GCM's explicit nonce (8 bytes); 0 otherwise.
  size_t explicit_nonce_size() const;
  Status check_open(Bytes record) const;

  uint16_t version_;
  crypto::AeadContext aead_;
  size_t overhead_;  // body bytes beyond the content: explicit nonce, type byte, tag
  std::array<uint8_t, crypto::kAeadNonceSize> iv_{};
  size_t iv_len_;
  uint64_t seq_ = 0;
  // This direction's key, kept for export_keys (the AEAD context does not
  // give it back). Wiped with the object.
  crypto::Secret key_;
};

}  // namespace rapidtls::record
