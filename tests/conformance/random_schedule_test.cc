// Random schedules: both ends write, read and ask for key updates in an order
// and with sizes a seeded generator picks, over a wire the test moves a random
// number of bytes at a time, with BIO pairs from 512 bytes to 64 KiB. Each end
// keeps to the rules a caller must keep: it repeats a call that had to wait
// after moving data (W8, W9, W12), with the same bytes at another address
// only under SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER (W13), in the default
// all-or-nothing mode (W10) or in partial-write mode (W11). The checks are the
// ones every caller relies on: a write succeeds with all of its bytes or, in
// partial-write mode, with 1..n of them; anything else is WANT_READ or
// WANT_WRITE, never a fatal error; what each end reads is, at every moment,
// the next bytes of what the other wrote, never beyond what its writes took
// (returned, or still pending: a write that has to wait may have sent part of
// its bytes); and once the writes are finished and the wire is drained, each
// end has read exactly what the other's writes returned: nothing lost,
// nothing doubled (W12). The handshake happens inside the schedule (the first
// calls negotiate it, W4), and a close_notify ends it.
//
// A failure names the seed and the version; a seed's schedule is the same on
// every run of a build (each step draws all its random values whatever the
// state). Which seeds meet which situation depends on the library under test
// and on the standard library's distributions.
#include <gtest/gtest.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <sstream>

#include "harness.h"

namespace conformance {
namespace {

constexpr size_t kStream = size_t{6} << 20;  // bytes each end may write in a run
constexpr int kSteps = 1500;

struct End {
  SSL* ssl = nullptr;
  const char* name = "";
  Bytes stream;         // what this end writes, in order
  size_t accepted = 0;  // bytes of `stream` its writes have returned as written
  Bytes received;       // what it has read
  bool partial = false;
  bool moving = false;
  // A KeyUpdate's SSL_do_handshake that had to wait: repeated until it is out.
  bool update_pending = false;
  // The write a retryable failure left to repeat (W13).
  bool pending = false;
  size_t pending_len = 0;
  Bytes moved;  // the same bytes somewhere else, for a moving-buffer retry
};

struct Schedule {
  std::mt19937 rng;
  Link link;   // BIO pairs the test moves bytes between; or, with sockets:
  FdPair fds;  // a non-blocking socket pair the kernel moves them across
  bool sockets = false;
  End ends[2];  // [0]: client, [1]: server
  bool tls13;
  std::string where;  // seed and version, for failure messages

  size_t pair = 0;  // bytes each BIO pair holds
  size_t Pick(size_t lo, size_t hi) { return std::uniform_int_distribution<size_t>(lo, hi)(rng); }
  bool Chance(int percent) { return Pick(1, 100) <= static_cast<size_t>(percent); }

  // What a step may use, drawn in full at every step whatever the state, so
  // that the random stream (the schedule of a seed) does not depend on how
  // the library under test buffered.
  struct Draw {
    size_t action;     // 0..99
    size_t end;        // 0: the client, 1: the server
    size_t write_len;  // a new write's length
    size_t read_len;   // a read's buffer
    bool move_to_server;
    size_t move_most;
    bool moved_retry;  // a pending write repeated from a copy (moving-buffer mode)
    bool ask_update;   // a KeyUpdate that asks for the peer's
  };
  Draw NextDraw() {
    Draw d{};
    d.action = Pick(0, 99);
    d.end = Pick(0, 1);
    // Small, medium and several-record writes, the largest held to a few
    // times the pair's size so that writes also finish on small pairs.
    const size_t write_kind = Pick(0, 3);
    const size_t small = Pick(1, 64), medium = Pick(65, 4000), large = Pick(4001, 20000),
                 huge = Pick(20001, 70000);
    const size_t cap = std::max<size_t>(4096, pair * 8);
    d.write_len = std::min(cap, write_kind == 0   ? small
                                : write_kind == 1 ? medium
                                : write_kind == 2 ? large
                                                  : huge);
    const size_t read_kind = Pick(0, 2);
    const size_t r_small = Pick(1, 32), r_medium = Pick(33, 5000), r_large = Pick(5001, 40000);
    d.read_len = read_kind == 0 ? r_small : read_kind == 1 ? r_medium : r_large;
    d.move_to_server = Chance(50);
    const bool few = Chance(30);
    const size_t few_bytes = Pick(1, 100), many_bytes = Pick(101, 70000);
    d.move_most = few ? few_bytes : many_bytes;
    d.moved_retry = Chance(50);
    d.ask_update = Chance(50);
    return d;
  }

  // One SSL_write_ex by `e`: a new write of `new_len` bytes, or the repeat of
  // a pending one (from a copy of its bytes when `from_copy`).
  void Write(End& e, size_t new_len, bool from_copy) {
    size_t len;
    const uint8_t* buf;
    if (e.pending) {
      len = e.pending_len;
      buf = e.stream.data() + e.accepted;
      if (e.moving && from_copy) {
        // The same bytes elsewhere (W13). assign() may reuse the copy's
        // storage: repeats alternate between the stream and the copy.
        e.moved.assign(buf, buf + len);
        buf = e.moved.data();
      }
    } else {
      len = std::min(new_len, kStream - e.accepted);
      if (len == 0) return;
      buf = e.stream.data() + e.accepted;
    }
    size_t written = 0;
    const int rc = SSL_write_ex(e.ssl, buf, len, &written);
    if (rc == 1) {
      if (e.partial) {
        ASSERT_GE(written, 1u) << where << ": W11: a successful partial write takes a byte";
        ASSERT_LE(written, len) << where << ": W11: never more than asked";
      } else {
        ASSERT_EQ(written, len) << where << ": W10: all or nothing";
      }
      e.accepted += written;
      e.pending = false;
      return;
    }
    const int err = SSL_get_error(e.ssl, rc);
    ASSERT_TRUE(err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
        << where << ": W8: " << e.name << "'s write of " << len
        << " bytes failed with SSL_get_error " << err << ": " << ErrorQueueText();
    e.pending = true;
    e.pending_len = len;
  }

  // One SSL_read_ex by `e` into a buffer of `len` bytes.
  void Read(End& e, const End& peer, size_t len) {
    Bytes buf(len);
    size_t n = 0;
    const int rc = SSL_read_ex(e.ssl, buf.data(), buf.size(), &n);
    if (rc == 1) {
      ASSERT_GE(n, 1u) << where;
      ASSERT_LE(n, buf.size()) << where;
      // A write that had to wait may have sent part of its bytes already (W12).
      ASSERT_LE(e.received.size() + n, peer.accepted + (peer.pending ? peer.pending_len : 0))
          << where << ": " << e.name << " read bytes its peer was never given";
      ASSERT_EQ(std::memcmp(buf.data(), peer.stream.data() + e.received.size(), n), 0)
          << where << ": " << e.name << " read bytes out of order, lost or doubled at offset "
          << e.received.size();
      e.received.insert(e.received.end(), buf.begin(), buf.begin() + static_cast<long>(n));
      return;
    }
    const int err = SSL_get_error(e.ssl, rc);
    ASSERT_TRUE(err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
        << where << ": " << e.name << "'s read failed with SSL_get_error " << err << ": "
        << ErrorQueueText();
  }

  // Moves up to `most` bytes one way across the wire (sockets: the kernel's).
  void Move(bool to_server, size_t most) {
    if (sockets) return;
    BIO* from = to_server ? link.client_net.get() : link.server_net.get();
    BIO* to = to_server ? link.server_net.get() : link.client_net.get();
    const size_t n = std::min({BIO_ctrl_pending(from), BIO_ctrl_get_write_guarantee(to), most});
    if (n == 0) return;
    Bytes chunk(n);
    const int got = BIO_read(from, chunk.data(), static_cast<int>(n));
    ASSERT_GT(got, 0) << where;
    ASSERT_EQ(BIO_write(to, chunk.data(), got), got) << where << ": the write guarantee held";
  }

  // TLS 1.3: a KeyUpdate, sent by the next call that writes (here, at once
  // when the wire has room). One that asks the peer for its own is sent only
  // by the rapidtls build: when it reaches an OpenSSL 3.0 end whose own write
  // is pending, that end's SSL_read fails ("bad length": the answer is written
  // through the pending write's length check). rapidtls answers it after the
  // pending write's records (README.md, deliberate differences).
  //
  // Over sockets only the rapidtls build sends KeyUpdates: OpenSSL 3.0's
  // SSL_read waits (WANT_WRITE) while a KeyUpdate of its own cannot leave,
  // so two ends whose sockets are full of each other's data, each with a
  // KeyUpdate queued, never go on. rapidtls reads while its records wait
  // (README.md, deliberate differences).
  void KeyUpdate(End& e, bool ask) {
    if (!tls13 || e.pending || !SSL_is_init_finished(e.ssl)) return;
    if (sockets && kOracle) return;
    if (e.update_pending) return SendUpdate(e);
    const int type = ask && !kOracle ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED;
    ASSERT_EQ(SSL_key_update(e.ssl, type), 1) << where << ": " << ErrorQueueText();
    SendUpdate(e);
  }

  // (Again) the SSL_do_handshake that sends a KeyUpdate; one that has to wait
  // is repeated later, as a caller must.
  void SendUpdate(End& e) {
    const int rc = SSL_do_handshake(e.ssl);
    e.update_pending = rc != 1;
    if (rc != 1) {
      const int err = SSL_get_error(e.ssl, rc);
      ASSERT_TRUE(err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
          << where << ": sending a KeyUpdate failed with " << err << ": " << ErrorQueueText();
    }
  }

  void Step() {
    const Draw d = NextDraw();
    End& e = ends[d.end];
    End& peer = ends[1 - d.end];
    if (d.action < 30) {
      Write(e, d.write_len, d.moved_retry);
    } else if (d.action < 60) {
      Read(e, peer, d.read_len);
    } else if (d.action < 98) {
      Move(d.move_to_server, d.move_most);
    } else {
      KeyUpdate(e, d.ask_update);
    }
  }

  // Bytes on the wire: waiting to be moved, or moved and not yet read.
  size_t OnWire() const {
    if (sockets) {
      int a = 0, b = 0;  // what each end has to read
      ioctl(fds.a.fd, FIONREAD, &a);
      ioctl(fds.b.fd, FIONREAD, &b);
      return static_cast<size_t>(a) + static_cast<size_t>(b);
    }
    return BIO_ctrl_pending(link.client_net.get()) + BIO_ctrl_pending(link.server_net.get()) +
           BIO_ctrl_pending(link.client_bio) + BIO_ctrl_pending(link.server_bio);
  }

  // Finishes the pending writes and reads everything, moving all that can
  // move; returns once no write is pending, the wire is empty and a round
  // read nothing. (A read may take bytes off the wire and return none: part
  // of a record; and any call may put bytes on it: a pending write's records.)
  void Settle() {
    for (int round = 0; round < 20000; ++round) {
      bool busy = false;
      for (End& e : ends) {
        if (e.update_pending) {
          SendUpdate(e);
          if (::testing::Test::HasFatalFailure()) return;
          busy = true;
        }
        if (e.pending) {
          Write(e, 0, Chance(50));
          if (::testing::Test::HasFatalFailure()) return;
          busy = true;
        }
      }
      const size_t moved = sockets ? 0 : link.Pump();
      for (int i = 0; i < 2; ++i) {
        const size_t before = ends[i].received.size();
        Read(ends[i], ends[1 - i], 16384);
        if (::testing::Test::HasFatalFailure()) return;
        busy = busy || ends[i].received.size() != before;
      }
      if (!busy && moved == 0 && OnWire() == 0) return;
    }
    std::ostringstream state;
    for (const End& e : ends) {
      state << "; " << e.name << (e.pending ? " write pending" : "")
            << (e.update_pending ? " KeyUpdate pending" : "") << " read " << e.received.size()
            << " of " << (&e == &ends[0] ? ends[1].accepted : ends[0].accepted) << ", want_read "
            << SSL_want_read(e.ssl) << ", want_write " << SSL_want_write(e.ssl);
    }
    FAIL() << where << ": the schedule did not settle (on the wire " << OnWire() << state.str()
           << ")";
  }
};

struct Case {
  int version;
  uint32_t seed;
  bool sockets;  // a non-blocking socket pair, not BIO pairs
};

class RandomSchedule : public ::testing::TestWithParam<Case> {};

TEST_P(RandomSchedule, W4_W8_W9_W10_W11_W12_W13_EveryByteOnceInOrder) {
  const Case c = GetParam();
  Schedule s{std::mt19937(c.seed), {}, {}, c.sockets, {}, c.version == TLS1_3_VERSION, ""};
  std::ostringstream where;
  where << "seed " << c.seed << ", " << (s.tls13 ? "TLS 1.3" : "TLS 1.2");
  const size_t pair_sizes[] = {512, 4096, 17 * 1024, 64 * 1024};
  const size_t pair = pair_sizes[s.Pick(0, 3)];
  s.pair = pair;
  if (c.sockets) {
    // Socket buffers of the same sizes (the kernel keeps at least a few KiB).
    s.fds = SocketPair(/*non_blocking=*/true, static_cast<int>(pair));
    s.link.client_ctx = MakeClientCtx(c.version);
    s.link.server_ctx = MakeServerCtx(c.version);
    s.link.client.reset(SSL_new(s.link.client_ctx.get()));
    s.link.server.reset(SSL_new(s.link.server_ctx.get()));
    ASSERT_TRUE(s.link.client && s.link.server);
    SSL_set1_host(s.link.client.get(), "localhost");
    SSL_set_fd(s.link.client.get(), s.fds.a.fd);
    SSL_set_fd(s.link.server.get(), s.fds.b.fd);
    SSL_set_connect_state(s.link.client.get());
    SSL_set_accept_state(s.link.server.get());
  } else {
    s.link = MakeWiredLink(pair, c.version);
  }
  s.ends[0].ssl = s.link.client.get();
  s.ends[0].name = "the client";
  s.ends[1].ssl = s.link.server.get();
  s.ends[1].name = "the server";
  for (int i = 0; i < 2; ++i) {
    End& e = s.ends[i];
    e.stream = Pattern(kStream, c.seed * 2 + static_cast<uint32_t>(i));
    e.partial = s.Chance(40);
    e.moving = s.Chance(50);
    long mode = 0;
    if (e.partial) mode |= SSL_MODE_ENABLE_PARTIAL_WRITE;
    if (e.moving) mode |= SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
    if (mode != 0) SSL_set_mode(e.ssl, mode);
    where << "; " << e.name << (e.partial ? " partial" : "") << (e.moving ? " moving" : "");
  }
  where << (c.sockets ? "; socket buffers of " : "; BIO pairs of ") << pair << " bytes";
  s.where = where.str();

  for (int i = 0; i < kSteps; ++i) {
    s.Step();
    if (HasFatalFailure()) return;
  }
  s.Settle();
  if (HasFatalFailure()) return;
  ASSERT_TRUE(SSL_is_init_finished(s.link.client.get())) << s.where << ": never negotiated";
  for (int i = 0; i < 2; ++i) {
    const End& e = s.ends[i];
    const End& peer = s.ends[1 - i];
    EXPECT_GT(peer.accepted, 0u) << s.where << ": the schedule wrote nothing";
    ASSERT_EQ(e.received.size(), peer.accepted)
        << s.where << ": " << e.name << " read " << e.received.size() << " bytes of the "
        << peer.accepted << " its peer wrote";
  }

  // close_notify each way: each end then reads the end of the stream (ZERO_RETURN).
  for (End& e : s.ends) {
    int rc = 0;
    for (int i = 0; i < 100 && (rc = SSL_shutdown(e.ssl)) < 0; ++i) {
      if (!c.sockets) s.link.Pump();
    }
    ASSERT_GE(rc, 0) << s.where << ": " << e.name << "'s close_notify: " << ErrorQueueText();
  }
  if (!c.sockets) s.link.Pump();
  for (End& e : s.ends) {
    uint8_t b[64];
    size_t n = 0;
    ASSERT_EQ(SSL_read_ex(e.ssl, b, sizeof b, &n), 0) << s.where << ": no data after the end";
    EXPECT_EQ(SSL_get_error(e.ssl, 0), SSL_ERROR_ZERO_RETURN)
        << s.where << ": " << e.name << " saw its peer's close_notify";
  }
}

std::vector<Case> Cases() {
  std::vector<Case> out;
  for (bool sockets : {false, true}) {
    for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
      for (uint32_t seed = 1; seed <= 16; ++seed) out.push_back({version, seed, sockets});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomSchedule, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           return std::string(i.param.sockets ? "Socket" : "BioPair") + "_" +
                                  (i.param.version == TLS1_3_VERSION ? "Tls13" : "Tls12") +
                                  "_Seed" + std::to_string(i.param.seed);
                         });

}  // namespace
}  // namespace conformance
