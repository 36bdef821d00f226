// Reads and writes protected records with keys taken from a key log, so a
// test can alter what one side sent, or forge what it never sent.
#pragma once

#include <string>
#include <vector>

#include "common/bytes.h"
#include "crypto/aead.h"
#include "handshake/key_schedule.h"
#include "record/record.h"

namespace rapidtls::testing {

// Content types as the bytes a test writes into records (RFC 8446 5.1), taken
// from the engine's record::ContentType.
constexpr uint8_t wire_type(record::ContentType t) {
  return static_cast<uint8_t>(t);
}
inline constexpr uint8_t kCcs = wire_type(record::ContentType::change_cipher_spec);
inline constexpr uint8_t kAlert = wire_type(record::ContentType::alert);
inline constexpr uint8_t kHandshake = wire_type(record::ContentType::handshake);
inline constexpr uint8_t kAppData = wire_type(record::ContentType::application_data);

struct RawRecord {
  uint8_t type;
  ByteVec body;  // as on the wire
};

// Splits bytes into records (header checked only for length).
std::vector<RawRecord> split_records(Bytes wire);
ByteVec join_records(const std::vector<RawRecord>& records);

// The secret of `label` in NSS key-log lines.
crypto::Secret keylog_secret(const std::vector<std::string>& lines, const std::string& label);

// One direction's keys, with its own sequence number.
class RecordKeys {
 public:
  RecordKeys(uint16_t suite, const crypto::Secret& traffic_secret, uint64_t first_seq = 0);
  // Seals inner plaintext (content || type, no length limit) into one record.
  ByteVec seal(uint8_t inner_type, Bytes content);
  // Opens a protected record body; returns content and sets *inner_type.
  ByteVec open(const RawRecord& rec, uint8_t* inner_type);

 private:
  std::array<uint8_t, 12> nonce() const;
  const handshake::SuiteInfo* suite_;
  crypto::Secret key_;
  crypto::Secret iv_;
  uint64_t seq_;
};

// Splits handshake bytes into whole messages (header included).
std::vector<ByteVec> split_messages(Bytes hs);

}  // namespace rapidtls::testing
