// Records opened on read (Connection::set_open_on_read, as the C interface
// runs): application data is decrypted straight into the reader's buffer, as
// many records per read as fit; records without application data are handled
// on the way; errors surface at the read; and receive_allowance never lets a
// reader take a whole record it could not be handed at once.
#include <gtest/gtest.h>

#include "engine_expect.h"
#include "engine_forge.h"
#include "engine_pair.h"

namespace rapidtls::testing {
namespace {

// A TLS 1.3 record's size for n bytes of application data (header, type, tag).
constexpr size_t sealed13(size_t n) {
  return 5 + n + 1 + 16;
}

struct OnRead {
  OnRead() : p(client_config(), server_config()) {
    p.client.set_open_on_read(true);
    p.server.set_open_on_read(true);
    EXPECT_TRUE(p.handshake()) << describe(p.error());
  }
  // The client's records, handed to the server without reading them.
  ByteVec client_records() {
    ByteVec out(p.client.pending_output().begin(), p.client.pending_output().end());
    p.client.consume_output(out.size());
    return out;
  }
  RecordKeys client_app_keys() {
    return RecordKeys(0x1301, keylog_secret(p.client_keylog, "CLIENT_TRAFFIC_SECRET_0"));
  }
  Pair p;
};

TEST(OpenOnRead, RecordsWaitUnopenedUntilRead) {
  OnRead t;
  ASSERT_TRUE(t.p.client.send_app(pattern(100, 1)).ok());
  ASSERT_TRUE(t.p.server.receive(t.client_records()).ok());
  EXPECT_EQ(t.p.server.app_pending(), 0u) << "nothing is decrypted before the read";
  EXPECT_TRUE(t.p.server.app_readable());
  EXPECT_EQ(t.p.server.unprocessed(), sealed13(100));
  ByteVec buf(1000);
  ASSERT_EQ(t.p.server.read_app(buf), 100u);
  buf.resize(100);
  EXPECT_EQ(buf, pattern(100, 1));
  EXPECT_FALSE(t.p.server.app_readable());
  EXPECT_EQ(t.p.server.unprocessed(), 0u);
}

TEST(OpenOnRead, OneReadTakesEveryRecordThatFits) {
  OnRead t;
  ByteVec all;
  for (uint32_t i = 0; i < 5; ++i) {
    const ByteVec part = pattern(300 + i, i);
    ASSERT_TRUE(t.p.client.send_app(part).ok());
    all.insert(all.end(), part.begin(), part.end());
  }
  ASSERT_TRUE(t.p.server.receive(t.client_records()).ok());
  ByteVec buf(all.size());
  ASSERT_EQ(t.p.server.read_app(buf), all.size()) << "five records in one read";
  EXPECT_EQ(buf, all);
}

TEST(OpenOnRead, RecordLargerThanTheBufferIsReadInPieces) {
  OnRead t;
  const ByteVec data = pattern(16384, 3);
  ASSERT_TRUE(t.p.client.send_app(data).ok());
  ASSERT_TRUE(t.p.client.send_app(pattern(10, 4)).ok());
  ASSERT_TRUE(t.p.server.receive(t.client_records()).ok());
  ByteVec got;
  uint8_t buf[1000];
  for (size_t n; (n = t.p.server.read_app(buf)) > 0;) got.insert(got.end(), buf, buf + n);
  ByteVec want = data;
  const ByteVec tail = pattern(10, 4);
  want.insert(want.end(), tail.begin(), tail.end());
  EXPECT_EQ(got, want) << "every byte once, in order";
}

TEST(OpenOnRead, PeekOpensInPlaceAndLeavesTheBytes) {
  OnRead t;
  ASSERT_TRUE(t.p.client.send_app(pattern(50, 5)).ok());
  ASSERT_TRUE(t.p.server.receive(t.client_records()).ok());
  uint8_t a[50];
  uint8_t b[50];
  ASSERT_EQ(t.p.server.peek_app(a), 50u);
  EXPECT_EQ(t.p.server.app_pending(), 50u);
  ASSERT_EQ(t.p.server.read_app(b), 50u);
  EXPECT_EQ(ByteVec(a, a + 50), ByteVec(b, b + 50));
  EXPECT_EQ(ByteVec(b, b + 50), pattern(50, 5));
}

TEST(OpenOnRead, KeyUpdateBetweenRecordsIsHandledOnTheWay) {
  OnRead t;
  ASSERT_TRUE(t.p.client.send_app(pattern(20, 6)).ok());
  ASSERT_TRUE(t.p.client.key_update(/*request_peer_update=*/true).ok());
  ASSERT_TRUE(t.p.client.send_app(pattern(30, 7)).ok());
  ASSERT_TRUE(t.p.server.receive(t.client_records()).ok());
  ByteVec buf(100);
  ASSERT_EQ(t.p.server.read_app(buf), 50u) << "both records, across the key change";
  buf.resize(50);
  ByteVec want = pattern(20, 6);
  const ByteVec second = pattern(30, 7);
  want.insert(want.end(), second.begin(), second.end());
  EXPECT_EQ(buf, want);
  EXPECT_TRUE(t.p.server.wants_write()) << "the requested KeyUpdate answer is queued";
  EXPECT_TRUE(t.p.pump()) << describe(t.p.error());
}

TEST(OpenOnRead, CloseNotifyEndsTheReadAndLaterRecordsAreIgnored) {
  OnRead t;
  ASSERT_TRUE(t.p.client.send_app(pattern(40, 8)).ok());
  ASSERT_TRUE(t.p.client.close().ok());
  ASSERT_TRUE(t.p.server.receive(t.client_records()).ok());
  ByteVec buf(100);
  EXPECT_EQ(t.p.server.read_app(buf), 40u);
  EXPECT_TRUE(t.p.server.peer_closed());
  EXPECT_EQ(t.p.server.read_app(buf), 0u);
}

TEST(OpenOnRead, BadTagFailsAtTheReadWithBadRecordMac) {
  OnRead t;
  ASSERT_TRUE(t.p.client.send_app(pattern(64, 9)).ok());
  ByteVec wire = t.client_records();
  wire[10] ^= 0x01;
  ASSERT_TRUE(t.p.server.receive(wire).ok()) << "held, not yet opened";
  ByteVec buf(100);
  EXPECT_EQ(t.p.server.read_app(buf), 0u);
  ASSERT_TRUE(t.p.server.error().has_value());
  EXPECT_EQ(t.p.server.error()->alert, Alert::bad_record_mac);
  EXPECT_EQ(t.p.server.error()->reason, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
  EXPECT_TRUE(t.p.server.wants_write()) << "the alert is queued for the peer";
}

TEST(OpenOnRead, HandshakeFragmentThenApplicationDataIsUnexpected) {
  OnRead t;
  auto keys = t.client_app_keys();
  ByteVec wire = keys.seal(kHandshake, ByteVec{24, 0, 0, 1});  // KeyUpdate, body missing
  const ByteVec app = keys.seal(kAppData, pattern(10));
  wire.insert(wire.end(), app.begin(), app.end());
  ASSERT_TRUE(t.p.server.receive(wire).ok());
  ByteVec buf(100);
  EXPECT_EQ(t.p.server.read_app(buf), 0u);
  ASSERT_TRUE(t.p.server.error().has_value());
  EXPECT_EQ(t.p.server.error()->alert, Alert::unexpected_message);
}

TEST(OpenOnRead, FatalAlertFromThePeerIsReportedAtTheRead) {
  OnRead t;
  auto keys = t.client_app_keys();
  ASSERT_TRUE(t.p.server.receive(keys.seal(kAlert, ByteVec{2, 40})).ok());
  ByteVec buf(100);
  EXPECT_EQ(t.p.server.read_app(buf), 0u);
  ASSERT_TRUE(t.p.server.error().has_value());
  EXPECT_TRUE(t.p.server.error_from_peer());
  EXPECT_EQ(t.p.server.error()->alert, Alert::handshake_failure);
}

TEST(OpenOnRead, TooManyEmptyRecordsAreRefused) {
  OnRead t;
  auto keys = t.client_app_keys();
  ByteVec wire;
  for (int i = 0; i < 40; ++i) {
    const ByteVec rec = keys.seal(kAppData, ByteVec{});
    wire.insert(wire.end(), rec.begin(), rec.end());
  }
  ASSERT_TRUE(t.p.server.receive(wire).ok());
  ByteVec buf(100);
  EXPECT_EQ(t.p.server.read_app(buf), 0u);
  ASSERT_TRUE(t.p.server.error().has_value());
  EXPECT_EQ(t.p.server.error()->reason, SSL_R_RECORD_TOO_SMALL);
}

TEST(LentBuffers, SendAppToFillsTheRoomAndKeepsOrder) {
  OnRead t;
  const ByteVec data = pattern(40000, 10);
  ByteVec dest(sealed13(16384) + sealed13(2000));
  size_t used = 0;
  auto taken = t.p.client.send_app_to(data, dest, &used);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(*taken, 16384u + 2000u) << "a full record, then a shorter one filling the rest";
  EXPECT_EQ(used, dest.size());
  // Less than kMinLentRecord of room left: no sliver of a record.
  ByteVec small(sealed13(conn::kMinLentRecord) - 1);
  size_t used_small = 0;
  auto sliver = t.p.client.send_app_to(data, small, &used_small);
  ASSERT_TRUE(sliver.ok());
  EXPECT_EQ(*sliver, 0u);
  EXPECT_EQ(used_small, 0u);
  // Something queued goes first: nothing is sealed past it.
  ASSERT_TRUE(t.p.client.send_app(pattern(5, 11)).ok());
  size_t used2 = 0;
  auto none = t.p.client.send_app_to(Bytes(data).subspan(18384), dest, &used2);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
  // The server gets the lent-buffer record, then the queued one.
  ByteVec wire(dest.begin(), dest.begin() + static_cast<std::ptrdiff_t>(used));
  const ByteVec queued = t.client_records();
  wire.insert(wire.end(), queued.begin(), queued.end());
  ASSERT_TRUE(t.p.server.receive(wire).ok());
  ByteVec got(20000);
  got.resize(t.p.server.read_app(got));
  ByteVec want(data.begin(), data.begin() + 18384);
  const ByteVec tail = pattern(5, 11);
  want.insert(want.end(), tail.begin(), tail.end());
  EXPECT_EQ(got, want);
}

TEST(LentBuffers, ReadAppFromOpensWholeRecordsThatFit) {
  OnRead t;
  ASSERT_TRUE(t.p.client.send_app(pattern(100, 12)).ok());
  ASSERT_TRUE(t.p.client.send_app(pattern(3000, 13)).ok());
  const ByteVec wire = t.client_records();
  ByteVec out(1000);
  size_t written = 0;
  const size_t used = t.p.server.read_app_from(wire, out, &written);
  EXPECT_EQ(used, sealed13(100)) << "the second record does not fit in what is left";
  EXPECT_EQ(written, 100u);
  EXPECT_EQ(ByteVec(out.begin(), out.begin() + 100), pattern(100, 12));
  // A record still arriving is not taken either.
  ByteVec big(4000);
  size_t w2 = 0;
  EXPECT_EQ(t.p.server.read_app_from(Bytes(wire).subspan(used, 50), big, &w2), 0u);
  EXPECT_EQ(t.p.server.read_app_from(Bytes(wire).subspan(used), big, &w2), sealed13(3000));
  EXPECT_EQ(ByteVec(big.begin(), big.begin() + 3000), pattern(3000, 13));
}

TEST(ReceiveAllowance, HandshakeReadsOneHeaderThenOneRecordAndTheNextHeader) {
  Pair p(client_config(), server_config());
  p.server.set_open_on_read(true);
  EXPECT_EQ(p.server.receive_allowance(0), 10u) << "a header, and the next one's";
  ASSERT_TRUE(p.server.receive(ByteVec{kHandshake, 3, 1, 0, 200}).ok());
  EXPECT_EQ(p.server.receive_allowance(0), 200u + 5u) << "the body, and the next header";
}

TEST(ReceiveAllowance, ReaderRoomBoundsWhatIsTaken) {
  OnRead t;
  // Nothing buffered: room plus the smallest overhead, plus a header.
  EXPECT_EQ(t.p.server.receive_allowance(100), 100u + 21u + 5u);
  EXPECT_EQ(t.p.server.receive_allowance(1), 1u + 21u + 5u);
  // A record under way whose plaintext does not fit: only the record.
  ASSERT_TRUE(t.p.client.send_app(pattern(1000)).ok());
  const ByteVec wire = t.client_records();
  ASSERT_TRUE(t.p.server.receive(Bytes(wire).first(5)).ok());
  EXPECT_EQ(t.p.server.receive_allowance(10), sealed13(1000) - 5 + 5);
  // One that fits: the rest of the room may hold more records.
  EXPECT_EQ(t.p.server.receive_allowance(5000), sealed13(1000) - 5 + (5000 - 1001) + 5);
  // Nothing while decrypted bytes wait to be read.
  ASSERT_TRUE(t.p.server.receive(Bytes(wire).subspan(5)).ok());
  ByteVec buf(10);
  ASSERT_EQ(t.p.server.read_app(buf), 10u);
  EXPECT_EQ(t.p.server.receive_allowance(5000), 0u);
  ByteVec rest(990);
  ASSERT_EQ(t.p.server.read_app(rest), 990u);
  // Never more than the receive buffer holds.
  EXPECT_EQ(t.p.server.receive_allowance(size_t{1} << 20), conn::kReceiveBufferLimit);
  EXPECT_EQ(t.p.server.receive_allowance(SIZE_MAX), conn::kReceiveBufferLimit);
}

// Without the next header (a BIO pair): exactly the record under way.
TEST(ReceiveAllowance, WithoutTheNextHeaderExactlyTheRecord) {
  OnRead t;
  EXPECT_EQ(t.p.server.receive_allowance(0, /*next_header=*/false), 5u) << "a header";
  ASSERT_TRUE(t.p.client.send_app(pattern(1000)).ok());
  const ByteVec wire = t.client_records();
  ASSERT_TRUE(t.p.server.receive(Bytes(wire).first(5)).ok());
  EXPECT_EQ(t.p.server.receive_allowance(0, /*next_header=*/false), sealed13(1000) - 5);
  EXPECT_EQ(t.p.server.receive_allowance(0), sealed13(1000) - 5 + 5);
}

// Whatever the room, records taken within the allowance are all handed over
// by one read_app with that room: none is left whole in the buffer.
TEST(ReceiveAllowance, NoWholeRecordIsLeftBehindARead) {
  for (size_t room : {1u, 17u, 100u, 1000u, 5000u, 16384u, 70000u}) {
    OnRead t;
    for (uint32_t i = 0; i < 40; ++i) ASSERT_TRUE(t.p.client.send_app(pattern(1 + i * 97)).ok());
    const ByteVec wire = t.client_records();
    Bytes rest(wire);
    ByteVec buf(room);
    size_t delivered = 0;
    for (int guard = 0; guard < 1000000 && (!rest.empty() || t.p.server.app_pending() > 0);
         ++guard) {
      const size_t take = std::min(rest.size(), t.p.server.receive_allowance(room));
      if (t.p.server.app_pending() == 0) {
        ASSERT_GT(take, 0u) << "room " << room;
      }
      ASSERT_TRUE(t.p.server.receive(rest.first(take)).ok());
      rest = rest.subspan(take);
      delivered += t.p.server.read_app(buf);
      if (t.p.server.app_pending() == 0) {
        EXPECT_FALSE(t.p.server.app_readable())
            << "room " << room << ": a whole record was left for a later read";
      }
    }
    size_t want = 0;
    for (uint32_t i = 0; i < 40; ++i) want += 1 + i * 97;
    EXPECT_EQ(delivered, want) << "room " << room;
  }
}

}  // namespace
}  // namespace rapidtls::testing
