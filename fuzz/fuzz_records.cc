// The record path after the handshake: a connected client/server pair (made
// afresh for each input, deterministically), then the input read as a script
// of operations on it. Records from the client reach the server re-sealed (or
// forged) under the client's application keys, taken from the key log, so
// any inner plaintext can be sent with valid protection: application data,
// KeyUpdate, tickets, alerts, empty and padded records, oversized ones, and
// corrupted ones. The server takes them in chunks through receive(),
// receive_buffer()/commit_received() and read_app_from(), and reads them with
// read_app()/peek_app() into buffers of exact sizes (ASan sees any overrun),
// in either mode of set_open_on_read(). TLS 1.2 records are forged with keys
// derived from the master secret.
//
// Invariants (a violation aborts, so libFuzzer reports it):
// - every application byte sent to the server is delivered once and in order
//   (what is read is always a prefix of what was sent; at the end all of it,
//   unless the server failed or the stream was corrupted), both directions;
// - peek_app returns the bytes the next read_app returns;
// - a read_app that fills nothing, with no error and nothing pending, leaves
//   app_readable() false;
// - receive_allowance(room) is at most kReceiveBufferLimit, receive() takes
//   all it allows, and after taking it a read of `room` bytes leaves no whole
//   record behind that was not handed over;
// - the first error sticks.
//
// The first byte chooses the setup; see Setup below. LLVMFuzzerTestOneInput
// is also run over fixed inputs by tests/unit/fuzz_records_test.cc.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>
#include "fuzz_target.h"

#include "conn/connection.h"
#include "crypto/prf12.h"
#include "engine_forge.h"
#include "engine_pair.h"
#include "handshake/suites12.h"
#include "record/record.h"

namespace rapidtls::fuzz_records {
namespace {

using handshake::kTls12;
using record::ContentType;
using testing::Pair;
using testing::RawRecord;
using testing::RecordKeys;

#define RECORDS_CHECK(cond)                                                                       \
  do {                                                                                            \
    if (!(cond)) {                                                                                \
      std::fprintf(stderr, "fuzz_records: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (0)

constexpr uint8_t kChangeCipherSpec = 20, kAlert = 21, kHandshake = 22, kAppData = 23;
constexpr uint8_t kKeyUpdateType = 24;
constexpr size_t kMaxOps = 256;

class FixedClock final : public Clock {
 public:
  uint64_t now_ms() const override { return 1700000000000; }
};

// The script: bytes read in order; zeros once it runs out.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t byte() { return done() ? 0 : data_[pos_++]; }
  uint16_t u16() {
    const uint16_t hi = byte();
    return static_cast<uint16_t>(hi << 8 | byte());
  }
  Bytes take(size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    Bytes out(data_ + pos_, n);
    pos_ += n;
    return out;
  }
  // A length: mostly small, sometimes up to 2^14, sometimes one of the
  // sizes at the edges of a record.
  size_t length() {
    static constexpr size_t kEdges[] = {0,     1,     2,     15,    16,    17,    63,    64,
                                        65,    255,   256,   1024,  4096,  8192,  16383, 16384,
                                        16385, 16386, 16639, 16640, 16641, 16661, 16662, 65536};
    const uint8_t b = byte();
    switch (b >> 6) {
      case 0:
        return b & 63;
      case 1:
        return (size_t{b & 3u} << 8 | byte());
      case 2:
        return (size_t{b & 63u} << 8 | byte()) % (record::kMaxPlaintext + 1);
      default:
        return kEdges[(b & 63) % std::size(kEdges)];
    }
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Setup byte: bit 0 server opens on read, bit 1 client opens on read, bit 2
// TLS 1.2, bits 3-4 suite, bits 5-6 record_size_limit, bit 7 no ticket.
struct Setup {
  explicit Setup(uint8_t b)
      : server_on_read(b & 1),
        client_on_read(b & 2),
        tls12(b & 4),
        suite((b >> 3) & 3),
        limit((b >> 5) & 3),
        no_ticket(b & 0x80) {}
  bool server_on_read, client_on_read, tls12;
  int suite, limit;
  bool no_ticket;
  uint8_t config_key() const {
    return static_cast<uint8_t>(tls12 | suite << 1 | limit << 3 | no_ticket << 5);
  }
};

crypto::RandomSource& fuzz_random() {
  static testing::SeededRandom rng(1);
  return rng;
}

std::pair<std::shared_ptr<handshake::Config>, std::shared_ptr<handshake::Config>> configs(
    const Setup& s) {
  static std::map<uint8_t,
                  std::pair<std::shared_ptr<handshake::Config>, std::shared_ptr<handshake::Config>>>
      cache;
  auto& slot = cache[s.config_key()];
  if (slot.first) return slot;
  static const FixedClock clock;
  static constexpr uint16_t kSuites13[] = {0x1301, 0x1302, 0x1303, 0x1301};
  static constexpr uint16_t kSuites12[] = {0xc02b, 0xc02c, 0xcca9, 0xc02b};
  static constexpr std::optional<uint16_t> kLimits[] = {std::nullopt, 64, 513, 16385};
  auto client = testing::client_config();
  auto server = testing::server_config();
  for (auto* cfg : {client.get(), server.get()}) {
    cfg->rng = &fuzz_random();
    cfg->clock = &clock;
    cfg->groups = {crypto::NamedGroup::x25519};
    cfg->cipher_suites = {kSuites13[s.suite]};
    cfg->cipher_suites12 = {kSuites12[s.suite]};
    cfg->record_size_limit = kLimits[s.limit];
  }
  // RFC 8422 5.1.1: the server's P-256 certificate needs its curve offered
  // (TLS 1.2); the key share stays X25519.
  client->groups.push_back(crypto::NamedGroup::secp256r1);
  // The chain is parsed but not verified: verification is not what is fuzzed.
  client->verify = handshake::VerifyMode::none;
  if (s.tls12) client->max_version = kTls12;
  testing::SeededRandom ticket_rng(3);  // the ticket key is drawn here, once
  server->ticket_issuer = handshake::make_sealing_ticket_issuer(ticket_rng, 7200);
  server->tickets_to_send = s.no_ticket ? 0 : 1;
  slot = {client, server};
  return slot;
}

// One direction's protection as a sender (or a shadow reader) sees it: TLS
// 1.3 keys from a traffic secret (updated by KeyUpdate), or TLS 1.2 keys.
class Keys {
 public:
  Keys(uint16_t suite, const crypto::Secret& secret)
      : suite_(suite), info_(handshake::suite_info(suite)), secret_(secret) {
    keys13_.emplace(suite, secret);
  }
  explicit Keys(record::Protection p) : keys12_(std::move(p)) {}

  bool tls12() const { return keys12_.has_value(); }
  uint64_t records() const { return records_; }

  // One record (header included) carrying `inner`: for TLS 1.3 the whole
  // inner plaintext (content, type, padding), for TLS 1.2 the plaintext of a
  // record of type `type12`.
  ByteVec seal(Bytes inner, uint8_t type12) {
    ++records_;
    if (keys12_) {
      ByteVec rec(keys12_->sealed_size(inner.size()));
      RECORDS_CHECK(keys12_->seal_into(rec.data(), static_cast<ContentType>(type12), inner).ok());
      return rec;
    }
    // RecordKeys appends the type byte; an inner plaintext ending in a zero
    // (padding, or no type) is sealed as everything before it plus that zero.
    RECORDS_CHECK(!inner.empty());
    return keys13_->seal(inner.back(), inner.first(inner.size() - 1));
  }

  // Opens a record the real client sealed; sets *type to its (inner) type.
  ByteVec open(const RawRecord& rec, uint8_t* type) {
    ++records_;
    if (keys12_) {
      ByteVec whole = testing::join_records({rec});
      auto opened = keys12_->open(MutBytes(whole));
      RECORDS_CHECK(opened.ok());
      *type = rec.type;
      return ByteVec(opened->payload.begin(), opened->payload.end());
    }
    return keys13_->open(rec, type);
  }

  // TLS 1.3: follows the handshake messages the records carry, and moves to
  // the next traffic secret after a record that completed a KeyUpdate (RFC
  // 8446 4.6.3), as the receiver does.
  void on_record(uint8_t type, Bytes content) {
    if (keys12_) return;
    if (type != kHandshake) {
      handshake_.clear();  // the receiver fails on an interleaved record anyway
      return;
    }
    handshake_.insert(handshake_.end(), content.begin(), content.end());
    bool update = false;
    while (handshake_.size() >= 4) {
      const size_t len = size_t{handshake_[1]} << 16 | size_t{handshake_[2]} << 8 | handshake_[3];
      if (handshake_.size() < 4 + len) break;
      update |= handshake_[0] == kKeyUpdateType;
      handshake_.erase(handshake_.begin(), handshake_.begin() + static_cast<long>(4 + len));
    }
    if (update) {
      auto next = handshake::next_traffic_secret(info_->hash, secret_);
      RECORDS_CHECK(next.ok());
      secret_ = *next;
      keys13_.emplace(suite_, secret_);
    }
  }

 private:
  uint16_t suite_ = 0;
  const handshake::SuiteInfo* info_ = nullptr;
  crypto::Secret secret_;
  std::optional<RecordKeys> keys13_;
  std::optional<record::Protection> keys12_;  // TLS 1.2
  ByteVec handshake_;
  uint64_t records_ = 0;
};

// The inner type and content a TLS 1.3 receiver finds in an inner plaintext
// (RFC 8446 5.4: the last non-zero byte is the type); type 0 when all zero.
std::pair<uint8_t, Bytes> parse_inner(Bytes inner) {
  size_t n = inner.size();
  while (n > 0 && inner[n - 1] == 0) --n;
  if (n == 0) return {0, {}};
  return {inner[n - 1], inner.first(n - 1)};
}

ByteVec generated(size_t n, uint32_t seed) {
  return testing::pattern(n, seed);
}

// An exact-size heap buffer, so that ASan sees a write past its end.
struct ExactBuffer {
  explicit ExactBuffer(size_t n) : data(new uint8_t[n == 0 ? 1 : n]), size(n) {}
  MutBytes span() { return MutBytes(data.get(), size); }
  std::unique_ptr<uint8_t[]> data;
  size_t size;
};

class Run {
 public:
  Run(const Setup& setup, Pair& p) : setup_(setup), p_(p) {}

  bool start() {
    p_.client.set_open_on_read(setup_.client_on_read);
    p_.server.set_open_on_read(setup_.server_on_read);
    ByteVec server_first;
    std::vector<ByteVec> client_batches;
    p_.tamper = [&](handshake::Role from, ByteVec& bytes) {
      if (from == handshake::Role::server && server_first.empty()) server_first = bytes;
      if (from == handshake::Role::client) client_batches.push_back(bytes);
    };
    const bool ok = p_.handshake();
    p_.tamper = nullptr;
    RECORDS_CHECK(ok);
    RECORDS_CHECK(p_.server_received.empty() && p_.client_received.empty());
    const auto* session = p_.client.session();
    if (!setup_.tls12) {
      RECORDS_CHECK(session->version == handshake::kTls13);
      const uint16_t suite = static_cast<uint16_t>(session->suite->suite);
      const auto secret = testing::keylog_secret(p_.client_keylog, "CLIENT_TRAFFIC_SECRET_0");
      shadow_.emplace(suite, secret);
      writer_.emplace(suite, secret);
      return true;
    }
    RECORDS_CHECK(session->version == kTls12);
    // RFC 5246 6.3: the key block from the master secret and both randoms;
    // the server's random is in its ServerHello (record header 5, message
    // header 4, version 2).
    RECORDS_CHECK(server_first.size() >= 43);
    const auto* suite = session->suite12;
    auto kb = crypto::tls12_key_block(
        suite->hash, session->master_secret.bytes(), p_.client.client_random(),
        Bytes(server_first).subspan(11, 32), crypto::aead_key_size(suite->aead), suite->iv_len);
    RECORDS_CHECK(kb.ok());
    auto make = [&](crypto::AeadDirection dir) {
      auto prot = record::Protection::create(kTls12, suite->aead, dir, kb->client_key.bytes(),
                                             kb->client_iv.bytes());
      RECORDS_CHECK(prot.ok());
      return std::move(*prot);
    };
    shadow_.emplace(make(crypto::AeadDirection::open));
    writer_.emplace(make(crypto::AeadDirection::seal));
    // The client's Finished was its first protected record: the shadow opens
    // it (which checks the keys), the writer skips its sequence number.
    bool after_ccs = false, opened = false;
    for (const auto& batch : client_batches) {
      for (const auto& rec : testing::split_records(batch)) {
        if (after_ccs && !opened) {
          uint8_t type = 0;
          (void)shadow_->open(rec, &type);
          opened = true;
        }
        after_ccs |= rec.type == kChangeCipherSpec;
      }
    }
    RECORDS_CHECK(opened);
    (void)writer_->seal(ByteVec(1, 0), kHandshake);
    return true;
  }

  void run(Input& in) {
    for (size_t ops = 0; ops < kMaxOps && !in.done(); ++ops) {
      step(in);
      check_state();
    }
    finish();
  }

 private:
  // ---- the client's side: records to the server -------------------------------------------

  // Seals `inner` as the client's next record to the server and updates the
  // model of what the server should deliver.
  void send_to_server(Bytes inner, uint8_t type12) {
    ByteVec rec = writer_->seal(inner, type12);
    uint8_t type = type12;
    Bytes content = inner;
    if (!setup_.tls12) {
      std::tie(type, content) = parse_inner(inner);
      // record_overflow: the content (padding not counted, as OpenSSL) over
      // 2^14, or the ciphertext over 2^14 + 256.
      if (content.size() > record::kMaxPlaintext || rec.size() > record::kMaxRecord) {
        type = 0;
      }
    }
    if (corrupt_ != 0) {
      corrupt(rec);
      tainted_ = true;
    }
    if (!closed_) {
      // After close_notify the server ignores records, KeyUpdate included.
      writer_->on_record(type, content);
      if (type == kAppData) sent_.insert(sent_.end(), content.begin(), content.end());
      if (type == kAlert && content.size() == 2 && content[1] == 0) closed_ = true;
    }
    wire_.insert(wire_.end(), rec.begin(), rec.end());
  }

  void corrupt(ByteVec& rec) {
    const uint8_t how = corrupt_;
    corrupt_ = 0;
    const size_t at = corrupt_at_ % rec.size();
    switch (how % 4) {
      case 0:  // a flipped bit anywhere, header included
        rec[at] ^= static_cast<uint8_t>(1u << (how >> 2 & 7));
        break;
      case 1:  // another outer type
        rec[0] = static_cast<uint8_t>(how >> 2);
        break;
      case 2: {  // the length field says less (or more) than the body
        const size_t len = (rec.size() - record::kHeaderSize + (how >> 2) - 32) & 0xffff;
        rec[3] = static_cast<uint8_t>(len >> 8);
        rec[4] = static_cast<uint8_t>(len);
        break;
      }
      default:  // cut short
        rec.resize(std::max<size_t>(1, at));
        break;
    }
  }

  // Whatever the real client queued (application data, KeyUpdate, alerts),
  // opened by the shadow keys and sealed again as the server expects it.
  void collect_client() {
    if (!p_.client.wants_write()) return;
    const ByteVec bytes(p_.client.pending_output().begin(), p_.client.pending_output().end());
    p_.client.consume_output(bytes.size());
    const auto records = testing::split_records(bytes);
    RECORDS_CHECK(testing::join_records(records).size() == bytes.size());
    for (const auto& rec : records) {
      uint8_t type = 0;
      ByteVec content = shadow_->open(rec, &type);
      shadow_->on_record(type, content);
      if (setup_.tls12) {
        send_to_server(content, type);
      } else {
        content.push_back(type);
        send_to_server(content, 0);
      }
    }
  }

  void forge(Input& in) {
    const uint8_t sel = in.byte();
    ByteVec content;
    uint8_t type;
    switch (sel & 15) {
      case 0:
      case 1:
      case 2:
      case 3:
        type = kAppData;
        break;
      case 4:  // KeyUpdate, update_not_requested or update_requested
        type = kHandshake;
        content = {kKeyUpdateType, 0, 0, 1, static_cast<uint8_t>(sel >> 7)};
        break;
      case 5:  // close_notify
        type = kAlert;
        content = {1, 0};
        break;
      case 6:  // user_canceled
        type = kAlert;
        content = {1, 90};
        break;
      case 7:
        type = kAlert;
        break;
      case 8:
      case 9:
        type = kHandshake;
        break;
      case 10:
        type = kChangeCipherSpec;
        break;
      case 11:
        type = 0;  // no type at all (or the last non-zero content byte)
        break;
      default:
        type = in.byte();
        break;
    }
    if (content.empty()) {
      if (sel & 0x10) {
        const Bytes lit = in.take(in.byte());
        content.assign(lit.begin(), lit.end());
      } else {
        content = generated(in.length(), ++seed_);
      }
    }
    const size_t padding = (sel & 0x20) ? in.length() : 0;
    if (setup_.tls12) {
      if (content.size() > record::kMaxPlaintext) content.resize(record::kMaxPlaintext);
      send_to_server(content, type);
      return;
    }
    content.push_back(type);
    // The record's length field has 16 bits.
    content.resize(std::min<size_t>(content.size() + padding, 0xffff - crypto::kAeadTagSize), 0);
    send_to_server(content, 0);
  }

  // Many small records in a row: to cross the limits on empty records,
  // warning alerts and KeyUpdates.
  void burst(Input& in) {
    const uint8_t b = in.byte();
    const int count = b % 40;
    for (int i = 0; i < count; ++i) {
      ByteVec inner;
      uint8_t type12 = kAppData;
      switch (b >> 6) {
        case 0:  // empty application data
          inner = {kAppData};
          break;
        case 1:
          inner = {kKeyUpdateType, 0, 0, 1, 0, kHandshake};
          type12 = kAlert;  // TLS 1.2 has no KeyUpdate: warning alerts instead
          break;
        case 2:
          inner = {1, 90, kAlert};
          type12 = kAlert;
          break;
        default:
          inner = {static_cast<uint8_t>(i), kAppData};
          break;
      }
      if (setup_.tls12) {
        inner.pop_back();
        if (type12 == kAlert) inner = {1, 90};
        send_to_server(inner, type12);
      } else {
        send_to_server(inner, 0);
      }
    }
  }

  // ---- the server's side: taking and reading ------------------------------------------------

  // Application bytes the server handed over: the next ones sent.
  void delivered(Bytes got) {
    RECORDS_CHECK(got.size() <= sent_.size() - delivered_);
    RECORDS_CHECK(
        std::equal(got.begin(), got.end(), sent_.begin() + static_cast<long>(delivered_)));
    delivered_ += got.size();
  }

  void fed(Bytes bytes) {
    fed_.insert(fed_.end(), bytes.begin(), bytes.end());
    constexpr size_t kKeep = 2 * conn::kReceiveBufferLimit;
    if (fed_.size() > 2 * kKeep) fed_.erase(fed_.begin(), fed_.end() - static_cast<long>(kKeep));
    wire_.erase(wire_.begin(), wire_.begin() + static_cast<long>(bytes.size()));
  }

  // Whether a whole record waits in the server's buffer that nothing has
  // been handed over from yet (after the head record being read, if any).
  // Not tracked once the server failed (it took bytes it did not count).
  bool whole_record_waits() const {
    if (p_.server.error()) return false;
    const size_t n = p_.server.unprocessed();
    RECORDS_CHECK(n <= fed_.size());
    const Bytes rest = Bytes(fed_).last(n);
    if (rest.size() < record::kHeaderSize) return false;
    const size_t len = size_t{rest[3]} << 8 | rest[4];
    return rest.size() >= record::kHeaderSize + len;
  }

  void receive(size_t n) {
    n = std::min(n, wire_.size());
    const ByteVec chunk(wire_.begin(), wire_.begin() + static_cast<long>(n));
    auto taken = p_.server.receive(chunk);
    if (!taken.ok()) {
      RECORDS_CHECK(p_.server.error().has_value());
      wire_.clear();  // the connection is over; what it took no longer matters
      return;
    }
    RECORDS_CHECK(*taken <= n);
    fed(Bytes(chunk).first(*taken));
  }

  void receive_into_buffer(Input& in) {
    const size_t max = in.length() * (in.byte() & 3 ? 1 : 4);
    MutBytes room = p_.server.receive_buffer(max);
    RECORDS_CHECK(room.size() <= max && room.size() <= conn::kReceiveBufferLimit);
    const size_t n = std::min({room.size(), wire_.size(), in.length()});
    if (n > 0) std::memcpy(room.data(), wire_.data(), n);
    const ByteVec chunk(wire_.begin(), wire_.begin() + static_cast<long>(n));
    Status s = p_.server.commit_received(n);
    if (!s.ok()) {
      RECORDS_CHECK(p_.server.error().has_value());
      wire_.clear();
      return;
    }
    fed(chunk);
  }

  void read_from_lent(Input& in) {
    const size_t n = std::min(in.length() * 4, wire_.size());
    ExactBuffer lent(n);
    if (n > 0) std::memcpy(lent.data.get(), wire_.data(), n);
    ExactBuffer out(in.length() * 2);
    // *written is where in `out` the application bytes go (a running total).
    const size_t first = std::min<size_t>(in.byte(), out.size);
    size_t written = first;
    const size_t consumed =
        p_.server.read_app_from(Bytes(lent.data.get(), n), out.span(), &written);
    RECORDS_CHECK(consumed <= n && written >= first && written <= out.size);
    delivered(Bytes(out.data.get() + first, written - first));
    fed(Bytes(lent.data.get(), consumed));
  }

  size_t read(size_t m) {
    ExactBuffer buf(m);
    const size_t n = p_.server.read_app(buf.span());
    RECORDS_CHECK(n <= m);
    delivered(Bytes(buf.data.get(), n));
    if (m > 0 && n == 0 && p_.server.app_pending() == 0 && !p_.server.error()) {
      RECORDS_CHECK(!p_.server.app_readable());
    }
    return n;
  }

  void peek_then_read(Input& in) {
    ExactBuffer peeked(in.length());
    const size_t k = p_.server.peek_app(peeked.span());
    RECORDS_CHECK(k <= peeked.size && k <= p_.server.app_pending());
    // What is peeked is the next data, and it stays to be read.
    RECORDS_CHECK(k <= sent_.size() - delivered_);
    RECORDS_CHECK(std::equal(peeked.data.get(), peeked.data.get() + k,
                             sent_.begin() + static_cast<long>(delivered_)));
    const size_t m = in.length();
    const size_t n = read(m);
    RECORDS_CHECK(n >= std::min(k, m));
  }

  // As SSL_read and SSL_peek use the engine: read or peek while a record
  // waits, until application data comes; each pass must make progress.
  void read_like_ssl(Input& in, bool peek) {
    ExactBuffer buf(in.length() + 1);
    for (int pass = 0; p_.server.app_readable(); ++pass) {
      RECORDS_CHECK(pass < 100000);
      const size_t n = peek ? p_.server.peek_app(buf.span()) : p_.server.read_app(buf.span());
      RECORDS_CHECK(n <= buf.size);
      if (n == 0) continue;
      if (peek) {
        RECORDS_CHECK(n <= sent_.size() - delivered_ && n <= p_.server.app_pending());
        RECORDS_CHECK(std::equal(buf.data.get(), buf.data.get() + n,
                                 sent_.begin() + static_cast<long>(delivered_)));
      } else {
        delivered(Bytes(buf.data.get(), n));
      }
      break;
    }
  }

  void allowance(Input& in) {
    const uint8_t b = in.byte();
    const bool unbounded = (b & 7) == 7;
    const size_t room = unbounded ? SIZE_MAX : in.length() * (b & 8 ? 4 : 1);
    const bool clean = p_.server.app_pending() == 0 && !whole_record_waits();
    const size_t allow = p_.server.receive_allowance(room);
    RECORDS_CHECK(allow <= conn::kReceiveBufferLimit);
    if (p_.server.app_pending() > 0) RECORDS_CHECK(allow == 0);
    const size_t n = std::min(allow, wire_.size());
    const ByteVec chunk(wire_.begin(), wire_.begin() + static_cast<long>(n));
    auto taken = p_.server.receive(chunk);
    if (!taken.ok()) {
      RECORDS_CHECK(p_.server.error().has_value());
      wire_.clear();
      return;
    }
    RECORDS_CHECK(*taken == n);  // taking what it allows is never refused
    fed(chunk);
    if (unbounded || (b & 0x10)) return;
    read(room);
    // A reader that took only what it was allowed, then read `room` bytes,
    // leaves no whole record behind (one it waits for the transport to say
    // is there: OpenSSL without read-ahead).
    if (clean && !p_.server.error() && !p_.server.peer_closed()) {
      RECORDS_CHECK(!whole_record_waits());
    }
  }

  // ---- the other direction: server to client ------------------------------------------------

  void to_client() {
    if (!p_.server.wants_write()) return;
    const ByteVec bytes(p_.server.pending_output().begin(), p_.server.pending_output().end());
    p_.server.consume_output(bytes.size());
    Bytes rest(bytes);
    ExactBuffer buf(8192);
    while (!rest.empty()) {
      auto taken = p_.client.receive(rest);
      if (!taken.ok()) break;
      rest = rest.subspan(*taken);
      for (size_t n; (n = p_.client.read_app(buf.span())) > 0;) client_delivered(buf, n);
    }
    for (size_t n; (n = p_.client.read_app(buf.span())) > 0;) client_delivered(buf, n);
    collect_client();  // a KeyUpdate answer, an alert
  }

  void client_delivered(ExactBuffer& buf, size_t n) {
    RECORDS_CHECK(n <= buf.size && n <= server_sent_.size() - client_delivered_);
    RECORDS_CHECK(std::equal(buf.data.get(), buf.data.get() + n,
                             server_sent_.begin() + static_cast<long>(client_delivered_)));
    client_delivered_ += n;
  }

  // ---- the script ----------------------------------------------------------------------------

  void step(Input& in) {
    const uint8_t op = in.byte();
    switch (op % 16) {
      case 0:
      case 1:
        forge(in);
        break;
      case 2: {
        const ByteVec data = generated(in.length() * (op & 0x10 ? 3 : 1), ++seed_);
        if (p_.client.send_app(data).ok()) collect_client();
        break;
      }
      case 3:
        if (op & 0x10) {
          (void)p_.client.close();
        } else {
          (void)p_.client.key_update(op & 0x20);
        }
        collect_client();
        break;
      case 4:
        receive(in.length() * (op & 0x10 ? 4 : 1));
        break;
      case 5:
        receive_into_buffer(in);
        break;
      case 6:
        read_from_lent(in);
        break;
      case 7:
        allowance(in);
        break;
      case 8:
      case 9:
        read(in.length() * (op & 0x10 ? 4 : 1));
        break;
      case 10:
        peek_then_read(in);
        break;
      case 11:
        if (op & 0x10) {
          read_like_ssl(in, op & 0x20);
        } else {
          RECORDS_CHECK(read(0) == 0);
        }
        break;
      case 12: {
        const ByteVec data = generated(in.length(), ++seed_);
        if (p_.server.send_app(data).ok()) {
          server_sent_.insert(server_sent_.end(), data.begin(), data.end());
        }
        break;
      }
      case 13:
        switch ((op >> 4) % 3) {
          case 0:
            to_client();
            break;
          case 1:
            (void)p_.server.key_update(op & 0x80);
            break;
          default:
            (void)p_.server.close();
            break;
        }
        break;
      case 14:
        corrupt_ = static_cast<uint8_t>(in.byte() | 1);
        corrupt_at_ = in.u16();
        break;
      default:
        burst(in);
        break;
    }
  }

  void check_state() {
    const auto& e = p_.server.error();
    if (server_error_) {
      RECORDS_CHECK(e.has_value() && e->alert == server_error_->alert &&
                    e->reason == server_error_->reason);
    } else if (e) {
      server_error_ = e;
    }
    const auto& ce = p_.client.error();
    if (client_error_) {
      RECORDS_CHECK(ce.has_value() && ce->alert == client_error_->alert &&
                    ce->reason == client_error_->reason);
    } else if (ce) {
      client_error_ = ce;
    }
    RECORDS_CHECK(p_.server.unprocessed() <= conn::kReceiveBufferLimit);
    RECORDS_CHECK(p_.server.app_pending() <= record::kMaxPlaintext);
  }

  // Everything left goes to the server, which reads it all: unless it
  // failed or the stream was corrupted, every byte sent has arrived.
  // A round that delivers nothing may still make progress: records the
  // server drops (after close_notify, empty ones, KeyUpdates) free its full
  // receive buffer for the next round's bytes.
  void finish() {
    for (int rounds = 0; rounds < 1000; ++rounds) {
      const size_t before = wire_.size(), got = delivered_;
      const size_t held = p_.server.unprocessed();
      if (!wire_.empty()) receive(wire_.size());
      while (read(16384) > 0) {
      }
      check_state();
      if (wire_.size() == before && delivered_ == got && p_.server.unprocessed() == held) break;
    }
    if (!server_error_ && !tainted_) {
      RECORDS_CHECK(wire_.empty());
      RECORDS_CHECK(delivered_ == sent_.size());
      RECORDS_CHECK(p_.server.app_pending() == 0 && !p_.server.app_readable());
    }
    to_client();
    check_state();
    if (!server_error_ && !client_error_) RECORDS_CHECK(client_delivered_ == server_sent_.size());
    static const bool verbose = std::getenv("FUZZ_RECORDS_VERBOSE") != nullptr;
    if (verbose) {
      std::fprintf(stderr,
                   "fuzz_records: tls12=%d on_read=%d/%d sent=%zu delivered=%zu to_client=%zu/%zu "
                   "closed=%d tainted=%d server_error=%d client_error=%d\n",
                   setup_.tls12, setup_.server_on_read, setup_.client_on_read, sent_.size(),
                   delivered_, client_delivered_, server_sent_.size(), closed_, tainted_,
                   server_error_ ? server_error_->reason : 0,
                   client_error_ ? client_error_->reason : 0);
    }
  }

  const Setup& setup_;
  Pair& p_;
  std::optional<Keys> shadow_;  // the real client's sending keys
  std::optional<Keys> writer_;  // the keys the server expects next
  ByteVec wire_;                // sealed for the server, not yet taken
  ByteVec fed_;                 // the last bytes the server took
  ByteVec sent_;                // application data sent to the server
  size_t delivered_ = 0;        // of which the server handed over
  ByteVec server_sent_;
  size_t client_delivered_ = 0;
  bool closed_ = false;   // close_notify sent: the server ignores what follows
  bool tainted_ = false;  // a record was corrupted
  uint8_t corrupt_ = 0;   // corrupt the next record this way (0: no)
  uint16_t corrupt_at_ = 0;
  uint32_t seed_ = 0;
  std::optional<Error> server_error_;
  std::optional<Error> client_error_;
};

}  // namespace
}  // namespace rapidtls::fuzz_records

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rapidtls;
  using namespace rapidtls::fuzz_records;
  if (size < 1) return 0;
  Input in(data, size);
  const Setup setup(in.byte());
  auto [client_cfg, server_cfg] = configs(setup);
  static_cast<testing::SeededRandom&>(fuzz_random()) =
      testing::SeededRandom(setup.config_key() + 1);
  testing::Pair p(client_cfg, server_cfg);
  Run run(setup, p);
  if (!run.start()) return 0;
  run.run(in);
  return 0;
}
