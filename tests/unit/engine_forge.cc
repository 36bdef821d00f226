#include "engine_forge.h"

#include <cstdlib>

namespace rapidtls::testing {

std::vector<RawRecord> split_records(Bytes wire) {
  std::vector<RawRecord> out;
  while (wire.size() >= 5) {
    const size_t len = size_t{wire[3]} << 8 | wire[4];
    if (wire.size() < 5 + len) break;
    out.push_back({wire[0], ByteVec(wire.begin() + 5, wire.begin() + 5 + len)});
    wire = wire.subspan(5 + len);
  }
  return out;
}

ByteVec join_records(const std::vector<RawRecord>& records) {
  ByteVec out;
  for (const auto& r : records) {
    const uint8_t header[5] = {r.type, 0x03, 0x03, static_cast<uint8_t>(r.body.size() >> 8),
                               static_cast<uint8_t>(r.body.size())};
    out.insert(out.end(), std::begin(header), std::end(header));
    out.insert(out.end(), r.body.begin(), r.body.end());
  }
  return out;
}

crypto::Secret keylog_secret(const std::vector<std::string>& lines, const std::string& label) {
  for (const auto& line : lines) {
    if (line.rfind(label + " ", 0) == 0) {
      return crypto::Secret(from_hex(line.substr(line.rfind(' ') + 1)));
    }
  }
  std::abort();
}

RecordKeys::RecordKeys(uint16_t suite, const crypto::Secret& traffic_secret, uint64_t first_seq)
    : suite_(handshake::suite_info(suite)), seq_(first_seq) {
  auto keys = handshake::traffic_keys(*suite_, traffic_secret);
  if (!keys.ok()) std::abort();
  key_ = keys->key;
  iv_ = keys->iv;
}

std::array<uint8_t, 12> RecordKeys::nonce() const {
  std::array<uint8_t, 12> n;
  for (size_t i = 0; i < 12; ++i) n[i] = iv_.data()[i];
  for (size_t i = 0; i < 8; ++i) n[11 - i] ^= static_cast<uint8_t>(seq_ >> (8 * i));
  return n;
}

ByteVec RecordKeys::seal(uint8_t inner_type, Bytes content) {
  auto aead = crypto::AeadContext::create(suite_->aead, crypto::AeadDirection::seal, key_.bytes());
  if (!aead.ok()) std::abort();
  const size_t len = content.size() + 1 + crypto::kAeadTagSize;
  ByteVec rec(5 + len);
  rec[0] = kAppData;
  rec[1] = 0x03;
  rec[2] = 0x03;
  rec[3] = static_cast<uint8_t>(len >> 8);
  rec[4] = static_cast<uint8_t>(len);
  auto n = nonce();
  if (!aead->seal(n, Bytes(rec.data(), 5), content, Bytes(&inner_type, 1), rec.data() + 5).ok()) {
    std::abort();
  }
  ++seq_;
  return rec;
}

ByteVec RecordKeys::open(const RawRecord& rec, uint8_t* inner_type) {
  auto aead = crypto::AeadContext::create(suite_->aead, crypto::AeadDirection::open, key_.bytes());
  if (!aead.ok()) std::abort();
  const uint8_t header[5] = {rec.type, 0x03, 0x03, static_cast<uint8_t>(rec.body.size() >> 8),
                             static_cast<uint8_t>(rec.body.size())};
  ByteVec plain(rec.body.size() - crypto::kAeadTagSize);
  auto n = nonce();
  if (!aead->open(n, header, rec.body, plain.data()).ok()) std::abort();
  ++seq_;
  while (!plain.empty() && plain.back() == 0) plain.pop_back();
  *inner_type = plain.back();
  plain.pop_back();
  return plain;
}

std::vector<ByteVec> split_messages(Bytes hs) {
  std::vector<ByteVec> out;
  while (hs.size() >= 4) {
    const size_t len = size_t{hs[1]} << 16 | size_t{hs[2]} << 8 | hs[3];
    if (hs.size() < 4 + len) break;
    out.emplace_back(hs.begin(), hs.begin() + 4 + len);
    hs = hs.subspan(4 + len);
  }
  return out;
}

}  // namespace rapidtls::testing
