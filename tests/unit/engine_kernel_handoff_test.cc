// Handing the sending side to a kernel (Connection::write_keys_for_kernel,
// hand_off_write; io/ktls.h): the keys exported must be the ones the peer
// opens with, from the right sequence number; afterwards the connection
// queues plain records, a KeyUpdate's new keys wait until the records before
// them have gone, and TLS 1.2 renegotiation is declined. A FakeKernel here
// seals the plain records as Linux's kTLS does (record/ does the sealing), so
// this runs on any kernel; tests/ktls runs the real one.
#include <gtest/gtest.h>

#include "engine_pair.h"
#include "handshake/handshake.h"
#include "record/record.h"

namespace rapidtls::testing {
namespace {

using record::ContentType;
using record::RecordKeys;

// What the kernel does with a socket's plain payloads: seals them as records
// of their type under the keys it was given, counting sequence numbers.
class FakeKernel {
 public:
  explicit FakeKernel(const RecordKeys& k) { install(k); }

  void install(const RecordKeys& k) {
    auto p = record::Protection::create(k.version, k.aead, crypto::AeadDirection::seal,
                                        k.key.bytes(), k.iv.bytes());
    ASSERT_TRUE(p.ok());
    for (uint64_t i = 0; i < k.sequence; ++i) p->advance();
    sealer_.set_protection(std::move(*p));
  }

  // Sends what `c` has queued, as io::flush_kernel does: up to a pending key
  // change, which is then installed. Returns the wire bytes.
  ByteVec drain(conn::Connection& c) {
    ByteVec wire;
    while (c.wants_write()) {
      size_t before = 0;
      if (const RecordKeys* next = c.pending_write_rekey(&before); next && before == 0) {
        install(*next);
        c.write_rekey_installed();
        ++rekeys;
        continue;
      }
      Bytes out = c.pending_output();
      if (c.pending_write_rekey(&before) != nullptr) out = out.first(before);
      EXPECT_GE(out.size(), record::kHeaderSize);
      const auto type = static_cast<ContentType>(out[0]);
      const size_t len = size_t{out[3]} << 8 | out[4];
      EXPECT_EQ(out[1], 0x03);
      EXPECT_EQ(out[2], 0x03);
      EXPECT_LE(record::kHeaderSize + len, out.size()) << "whole plain records are queued";
      const Bytes payload = out.subspan(record::kHeaderSize, len);
      seal(type, payload, wire);
      c.consume_plain_payload(len);
      types.push_back(type);
    }
    return wire;
  }

  int rekeys = 0;
  std::vector<ContentType> types;  // of the records sealed, in order

 private:
  void seal(ContentType type, Bytes payload, ByteVec& wire) {
    const size_t at = wire.size();
    wire.resize(at + sealer_.sealed_size(payload.size()));
    ASSERT_TRUE(sealer_.seal_into(wire.data() + at, type, payload).ok());
  }

  record::Sealer sealer_;
};

// Gives `bytes` to `to` and reads what application data they carried.
ByteVec deliver(conn::Connection& to, Bytes bytes) {
  ByteVec got;
  uint8_t buf[16384];
  while (!bytes.empty()) {
    auto taken = to.receive(bytes);
    if (!taken.ok()) break;
    bytes = bytes.subspan(*taken);
    for (size_t n; (n = to.read_app(buf)) > 0;) got.insert(got.end(), buf, buf + n);
  }
  for (size_t n; (n = to.read_app(buf)) > 0;) got.insert(got.end(), buf, buf + n);
  return got;
}

struct Variant {
  const char* name;
  uint16_t version;
  std::vector<uint16_t> suites;  // TLS 1.3 suites or TLS 1.2 ones
};

std::shared_ptr<handshake::Config> limit(std::shared_ptr<handshake::Config> cfg, const Variant& v) {
  cfg->max_version = v.version;
  cfg->min_version = v.version;
  if (v.version == handshake::kTls13) {
    cfg->cipher_suites = v.suites;
  } else {
    cfg->cipher_suites12 = v.suites;
  }
  return cfg;
}

class KernelHandoff : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    pair_ = std::make_unique<Pair>(limit(client_config(), GetParam()),
                                   limit(server_config(), GetParam()));
    ASSERT_TRUE(pair_->handshake());
    ASSERT_EQ(pair_->server.version(), GetParam().version);
  }
  std::unique_ptr<Pair> pair_;
};

TEST_P(KernelHandoff, ExportedKeysAreTheOnesThePeerOpensWith) {
  conn::Connection& s = pair_->server;
  auto keys = s.write_keys_for_kernel();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->version, GetParam().version);
  FakeKernel kernel(*keys);
  s.hand_off_write();
  ASSERT_TRUE(s.write_handed_off());
  const ByteVec data = pattern(100000, 5);
  ASSERT_TRUE(s.send_app(data).ok());
  EXPECT_EQ(s.pending_output().size(), data.size() + 7 * record::kHeaderSize)
      << "plain records: a header per 16 KiB, no tag, no padding";
  const ByteVec wire = kernel.drain(s);
  EXPECT_EQ(deliver(pair_->client, wire), data);
  EXPECT_FALSE(pair_->client.error().has_value());
  // close_notify leaves as an alert record the kernel seals.
  ASSERT_TRUE(s.close().ok());
  (void)deliver(pair_->client, kernel.drain(s));
  EXPECT_TRUE(pair_->client.peer_closed());
  EXPECT_EQ(kernel.types.back(), ContentType::alert);
}

TEST_P(KernelHandoff, APartlySentRecordKeepsItsRestAsARecord) {
  conn::Connection& s = pair_->server;
  auto keys = s.write_keys_for_kernel();
  ASSERT_TRUE(keys.ok());
  FakeKernel kernel(*keys);
  s.hand_off_write();
  const ByteVec data = pattern(300, 9);
  ASSERT_TRUE(s.send_app(data).ok());
  s.consume_plain_payload(120);  // the socket took 120 bytes of the payload
  const Bytes rest = s.pending_output();
  ASSERT_EQ(rest.size(), record::kHeaderSize + 180);
  EXPECT_EQ(rest[0], 23);
  EXPECT_EQ(size_t{rest[3]} << 8 | rest[4], 180u);
  EXPECT_TRUE(std::equal(rest.begin() + 5, rest.end(), data.begin() + 120));
  // Partly through a record and on into the next ones.
  ASSERT_TRUE(s.send_app(pattern(40, 1)).ok());
  ASSERT_TRUE(s.send_app(pattern(50, 2)).ok());
  s.consume_plain_payload(180 + 40 + 7);
  ASSERT_EQ(s.pending_output().size(), record::kHeaderSize + 43);
  EXPECT_EQ(size_t{s.pending_output()[4]}, 43u);
  s.consume_plain_payload(43);
  EXPECT_FALSE(s.wants_write());
}

TEST_P(KernelHandoff, KeysAreNotHandedOverWhileRecordsWait) {
  conn::Connection& s = pair_->server;
  ASSERT_TRUE(s.send_app(pattern(10)).ok());
  EXPECT_FALSE(s.write_keys_for_kernel().ok()) << "sealed records wait: they leave first";
  (void)deliver(pair_->client, ByteVec(s.pending_output().begin(), s.pending_output().end()));
  s.consume_output(s.pending_output().size());
  EXPECT_TRUE(s.write_keys_for_kernel().ok());
  ASSERT_TRUE(s.close().ok());
  s.consume_output(s.pending_output().size());
  EXPECT_FALSE(s.write_keys_for_kernel().ok()) << "after close_notify";
}

const Variant kVariants[] = {
    {"Tls13Aes128Gcm", handshake::kTls13, {0x1301}},
    {"Tls13Aes256Gcm", handshake::kTls13, {0x1302}},
    {"Tls13ChaCha20", handshake::kTls13, {0x1303}},
    {"Tls12Aes128Gcm", handshake::kTls12, {0xc02b}},
    {"Tls12Aes256Gcm", handshake::kTls12, {0xc02c}},
    {"Tls12ChaCha20", handshake::kTls12, {0xcca9}},
};
INSTANTIATE_TEST_SUITE_P(Suites, KernelHandoff, ::testing::ValuesIn(kVariants),
                         [](const ::testing::TestParamInfo<Variant>& i) {
                           return std::string(i.param.name);
                         });

TEST(KernelHandoff13, APeerRequestedKeyUpdateWaitsForItsRecordThenChangesTheKernelsKeys) {
  Pair p(limit(client_config(), kVariants[0]), limit(server_config(), kVariants[0]));
  ASSERT_TRUE(p.handshake());
  auto keys = p.server.write_keys_for_kernel();
  ASSERT_TRUE(keys.ok());
  FakeKernel kernel(*keys);
  p.server.hand_off_write();
  // The client asks for an update; the server takes it in (user space reads).
  ASSERT_TRUE(p.client.key_update(/*request_peer_update=*/true).ok());
  ByteVec ku(p.client.pending_output().begin(), p.client.pending_output().end());
  p.client.consume_output(ku.size());
  (void)deliver(p.server, ku);
  ASSERT_FALSE(p.server.error().has_value());
  size_t before = 0;
  const RecordKeys* next = p.server.pending_write_rekey(&before);
  ASSERT_NE(next, nullptr) << "the new keys wait for the kernel";
  EXPECT_EQ(before, record::kHeaderSize + 5) << "after the KeyUpdate's own plain record";
  EXPECT_EQ(next->sequence, 0u);
  EXPECT_FALSE(p.server.write_keys_for_kernel().ok());
  // Data written now goes under the new keys, after the KeyUpdate.
  const ByteVec data = pattern(20000, 4);
  ASSERT_TRUE(p.server.send_app(data).ok());
  const ByteVec wire = kernel.drain(p.server);
  EXPECT_EQ(kernel.rekeys, 1);
  EXPECT_EQ(kernel.types.front(), ContentType::handshake);
  EXPECT_EQ(deliver(p.client, wire), data);
  EXPECT_FALSE(p.client.error().has_value()) << "the client opens everything";
  EXPECT_EQ(p.server.pending_write_rekey(&before), nullptr);
}

TEST(KernelHandoff13, OurOwnKeyUpdateToo) {
  Pair p(limit(client_config(), kVariants[2]), limit(server_config(), kVariants[2]));
  ASSERT_TRUE(p.handshake());
  auto keys = p.client.write_keys_for_kernel();
  ASSERT_TRUE(keys.ok());
  FakeKernel kernel(*keys);
  p.client.hand_off_write();
  ASSERT_TRUE(p.client.send_app(pattern(10, 1)).ok());
  ASSERT_TRUE(p.client.key_update(false).ok());
  ASSERT_TRUE(p.client.send_app(pattern(10, 2)).ok());
  size_t before = 0;
  ASSERT_NE(p.client.pending_write_rekey(&before), nullptr);
  EXPECT_EQ(before, 2 * record::kHeaderSize + 10 + 5);
  EXPECT_FALSE(p.client.key_update(false).ok()) << "one key change waits at a time";
  EXPECT_FALSE(p.client.error().has_value()) << "refused before anything was queued";
  EXPECT_EQ(p.client.pending_output().size(), 3 * record::kHeaderSize + 20 + 5);
  const ByteVec wire = kernel.drain(p.client);
  EXPECT_EQ(kernel.rekeys, 1);
  ByteVec want = pattern(10, 1);
  const ByteVec second = pattern(10, 2);
  want.insert(want.end(), second.begin(), second.end());
  EXPECT_EQ(deliver(p.server, wire), want);
  EXPECT_FALSE(p.server.error().has_value());
}

TEST(KernelHandoff12, RenegotiationIsDeclinedWithNoRenegotiation) {
  Pair p(limit(client_config(), kVariants[3]), limit(server_config(), kVariants[3]));
  ASSERT_TRUE(p.handshake());
  auto keys = p.server.write_keys_for_kernel();
  ASSERT_TRUE(keys.ok());
  FakeKernel kernel(*keys);
  p.server.hand_off_write();
  EXPECT_FALSE(p.server.renegotiate().ok()) << "the server cannot start one";
  EXPECT_FALSE(p.server.error().has_value()) << "and that does not end the connection";
  ASSERT_TRUE(p.client.renegotiate().ok());
  ByteVec hello(p.client.pending_output().begin(), p.client.pending_output().end());
  p.client.consume_output(hello.size());
  (void)deliver(p.server, hello);
  ASSERT_FALSE(p.server.error().has_value());
  const Bytes out = p.server.pending_output();
  const uint8_t kWarning[] = {21, 3, 3, 0, 2, 1, 100};
  ASSERT_EQ(out.size(), sizeof kWarning);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), kWarning)) << "no_renegotiation, a warning";
  (void)deliver(p.client, kernel.drain(p.server));
  ASSERT_TRUE(p.client.error().has_value()) << "the client's renegotiation ends, as OpenSSL's";
  EXPECT_EQ(p.client.error()->reason, SSL_R_NO_RENEGOTIATION);
}

// The receiving side: what a kernel does with the peer's sealed records, as
// Linux's kTLS receive does: opens each, hands over its type and plaintext.
class FakeKernelReceiver {
 public:
  explicit FakeKernelReceiver(const RecordKeys& k) { install(k); }
  void install(const RecordKeys& k) {
    auto p = record::Protection::create(k.version, k.aead, crypto::AeadDirection::open,
                                        k.key.bytes(), k.iv.bytes());
    ASSERT_TRUE(p.ok());
    for (uint64_t i = 0; i < k.sequence; ++i) p->advance();
    opener_.set_protection(std::move(*p));
  }
  // Opens the whole records of `wire` one by one and gives each to `c` as a
  // plain record (installing new keys a KeyUpdate left first, as
  // io::fill_kernel does); returns the application data read.
  ByteVec receive(conn::Connection& c, ByteVec wire) {
    ByteVec got;
    size_t at = 0;
    while (at + record::kHeaderSize <= wire.size()) {
      if (const RecordKeys* next = c.pending_read_rekey()) {
        install(*next);
        c.read_rekey_installed();
        ++rekeys;
      }
      const size_t len = size_t{wire[at + 3]} << 8 | wire[at + 4];
      MutBytes rec(wire.data() + at, record::kHeaderSize + len);
      at += rec.size();
      auto o = opener_.open(rec);
      if (!o.ok()) {
        ++failures;
        return got;
      }
      const ContentType type = o->type;
      const MutBytes plain = o->payload;
      ByteVec plain_record = {static_cast<uint8_t>(type), 3, 3,
                              static_cast<uint8_t>(plain.size() >> 8),
                              static_cast<uint8_t>(plain.size())};
      plain_record.insert(plain_record.end(), plain.begin(), plain.end());
      const ByteVec part = deliver(c, plain_record);
      got.insert(got.end(), part.begin(), part.end());
    }
    return got;
  }
  int rekeys = 0;
  int failures = 0;

 private:
  record::Opener opener_;
};

TEST(KernelReceive13, RecordsOpenedByTheKernelReachTheReaderAndKeyUpdatesChangeItsKeys) {
  Pair p(limit(client_config(), kVariants[1]), limit(server_config(), kVariants[1]));
  ASSERT_TRUE(p.handshake());
  auto keys = p.client.read_keys_for_kernel();
  ASSERT_TRUE(keys.ok());
  FakeKernelReceiver kernel(*keys);
  p.client.hand_off_read();
  ASSERT_TRUE(p.client.read_handed_off());
  const ByteVec a = pattern(40000, 1);
  ASSERT_TRUE(p.server.send_app(a).ok());
  ASSERT_TRUE(p.server.key_update(false).ok());  // the peer changes its keys
  const ByteVec b = pattern(30000, 2);
  ASSERT_TRUE(p.server.send_app(b).ok());
  ASSERT_TRUE(p.server.close().ok());
  ByteVec wire(p.server.pending_output().begin(), p.server.pending_output().end());
  p.server.consume_output(wire.size());
  ByteVec want = a;
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_EQ(kernel.receive(p.client, wire), want);
  EXPECT_EQ(kernel.failures, 0) << "every record opened: the new keys were installed in time";
  EXPECT_EQ(kernel.rekeys, 1);
  EXPECT_TRUE(p.client.peer_closed());
  EXPECT_FALSE(p.client.error().has_value());
}

TEST(KernelReceive13, NotWhileReceivedBytesWait) {
  Pair p(limit(client_config(), kVariants[0]), limit(server_config(), kVariants[0]));
  ASSERT_TRUE(p.handshake());
  ASSERT_TRUE(p.server.send_app(pattern(100)).ok());
  ByteVec wire(p.server.pending_output().begin(), p.server.pending_output().end());
  p.server.consume_output(wire.size());
  ASSERT_TRUE(p.client.receive(wire).ok());
  EXPECT_FALSE(p.client.read_keys_for_kernel().ok()) << "unread data waits in the connection";
  uint8_t buf[200];
  EXPECT_EQ(p.client.read_app(buf), 100u);
  EXPECT_TRUE(p.client.read_keys_for_kernel().ok());
}

TEST(KernelReceive12, DataAlertsAndADeclinedRenegotiation) {
  Pair p(limit(client_config(), kVariants[4]), limit(server_config(), kVariants[4]));
  ASSERT_TRUE(p.handshake());
  auto keys = p.server.read_keys_for_kernel();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->version, handshake::kTls12);
  FakeKernelReceiver kernel(*keys);
  p.server.hand_off_read();
  // The client renegotiates, then sends data and closes: the server (its
  // records opened by the kernel) declines with no_renegotiation, a warning,
  // and takes the data and the close_notify.
  ASSERT_TRUE(p.client.renegotiate().ok());
  const ByteVec data = pattern(5000, 3);
  ASSERT_TRUE(p.client.send_app(data).ok());
  ASSERT_TRUE(p.client.close().ok());
  ByteVec wire(p.client.pending_output().begin(), p.client.pending_output().end());
  p.client.consume_output(wire.size());
  EXPECT_EQ(kernel.receive(p.server, wire), data);
  EXPECT_EQ(kernel.failures, 0);
  EXPECT_FALSE(p.server.error().has_value());
  EXPECT_TRUE(p.server.peer_closed());
  const Bytes out = p.server.pending_output();
  ASSERT_GE(out.size(), 2u);
  // Its answer, sealed in user space (the sending side was not handed off):
  // the client opens a warning alert no_renegotiation.
  ByteVec answer(out.begin(), out.end());
  p.server.consume_output(answer.size());
  (void)p.client.receive(answer);
  ASSERT_TRUE(p.client.error().has_value());
  EXPECT_EQ(p.client.error()->reason, SSL_R_NO_RENEGOTIATION);
}

TEST(KernelReceive12, AChangeCipherSpecAfterTheHandshakeIsUnexpected) {
  Pair p(limit(client_config(), kVariants[5]), limit(server_config(), kVariants[5]));
  ASSERT_TRUE(p.handshake());
  ASSERT_TRUE(p.server.read_keys_for_kernel().ok());
  p.server.hand_off_read();
  const uint8_t ccs[] = {20, 3, 3, 0, 1, 1};  // as the kernel hands it over
  (void)deliver(p.server, ccs);
  ASSERT_TRUE(p.server.error().has_value());
  EXPECT_EQ(p.server.error()->reason, SSL_R_UNEXPECTED_CCS_MESSAGE);
}

TEST(KernelHandoffRefusals, NotBeforeTheHandshakeIsDone) {
  Pair p(client_config(), server_config());
  EXPECT_FALSE(p.client.write_keys_for_kernel().ok());
  ASSERT_TRUE(p.client.start().ok());
  EXPECT_FALSE(p.client.write_keys_for_kernel().ok());
  EXPECT_FALSE(p.server.write_keys_for_kernel().ok());
}

}  // namespace
}  // namespace rapidtls::testing
