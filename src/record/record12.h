// TLS 1.2 record protection for AEAD suites (RFC 5246 6.2.3.3):
// additional_data = seq_num || type || version || length (of the plaintext).
// AES-GCM (RFC 5288 3): nonce = salt (4 bytes, from the key block) ||
// explicit nonce (8 bytes, sent before the ciphertext; we use the sequence
// number). ChaCha20-Poly1305 (RFC 7905 2): nonce = IV (12 bytes) XOR the
// left-padded sequence number, no explicit part.
#pragma once

#include <array>

#include "common/result.h"
#include "crypto/aead.h"
#include "record/record.h"

namespace rapidtls::record {

class Protection12 {
 public:
  // iv: 4 bytes for AES-GCM, 12 for ChaCha20-Poly1305.
  static Result<Protection12> create(crypto::AeadAlg alg, crypto::AeadDirection dir, Bytes key,
                                     Bytes iv);
  uint64_t sequence() const { return seq_; }
  bool exhausted() const { return seq_ == UINT64_MAX; }
  // Skips a sequence number (a record another sealer or opener took).
  void advance() { ++seq_; }
  // The key, IV and next sequence number (kernel TLS takes them over).
  RecordKeys export_keys() const;

  // Bytes of overhead a record's body gets (explicit nonce + tag).
  size_t overhead() const;
  // Writes a whole record (header, body) of `type` carrying `plain`
  // (<= 2^14 bytes) to out, which has kHeaderSize + plain.size() + overhead().
  Status seal_into(uint8_t* out, ContentType type, Bytes plain);
  // Opens a whole record in place; returns the plaintext inside `record`.
  // Errors: too short or bad tag -> bad_record_mac; plaintext over 2^14 ->
  // record_overflow (checked before decrypting); a header version other than
  // 0x0303 -> protocol_version. The sequence advances only on success.
  Result<MutBytes> open(MutBytes record);
  // The same, decrypting into `out` (plaintext_size(record) bytes; it may
  // equal the ciphertext's start) instead of in place.
  Result<MutBytes> open_into(Bytes record, uint8_t* out);
  // The plaintext bytes a whole record carries (0 if it is too short to be one).
  size_t plaintext_size(size_t record_size) const;

 private:
  Protection12(crypto::AeadContext aead, Bytes key, Bytes iv);
  std::array<uint8_t, crypto::kAeadNonceSize> nonce(Bytes explicit_part) const;
  crypto::AeadContext aead_;
  std::array<uint8_t, 12> iv_{};
  size_t iv_len_ = 0;
  uint64_t seq_ = 0;
  // The key block's key for this direction, kept for export_keys (the AEAD
  // context does not give it back). Wiped with the object.
  crypto::Secret key_;
};

}  // namespace rapidtls::record
