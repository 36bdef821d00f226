// The decoders of saved state a peer or a file controls: d2i_SSL_SESSION
// (rapidtls's own layout, src/ssl/session.cc) and the server's ticket opening
// (TicketIssuer::open and open12, src/handshake/tickets.cc).
//
// The first byte chooses what the rest is:
//   0: bytes for d2i_SSL_SESSION. A session that decodes must encode back to
//      the bytes it took (i2d), and those decode again.
//   1: the plaintext of a ticket, opened by an issuer whose sealer hands the
//      bytes over as they are (so every byte reaches the parsers of both
//      versions). A TLS 1.2 state that opens is issued again and must open
//      to the same session.
//   2: a ticket for the default issuer, under a fixed AES-256-GCM key: the
//      bytes are opened as they are (they should never open), then sealed
//      with the key as a TLS 1.3 ticket whose PSK is the input, with one byte
//      flipped at an input-chosen position: an altered ticket must not open,
//      an unaltered one opens to the PSK sealed.
// Invariants that fail abort, so libFuzzer reports them.
#include <openssl/ssl.h>
#include "fuzz_target.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "handshake/callbacks.h"
#include "handshake/config.h"
#include "handshake/key_schedule.h"

using namespace rapidtls;
using namespace rapidtls::handshake;

#define SESSIONS_CHECK(cond)                                                                       \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      std::fprintf(stderr, "fuzz_sessions: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                                \
    }                                                                                              \
  } while (0)

namespace {

constexpr uint64_t kNowMs = 1700000000000;

// Fixed bytes for the issuer's key and nonces: a failure reproduces.
class CountingRandom final : public crypto::RandomSource {
 public:
  void fill(MutBytes out) override {
    for (auto& b : out) b = static_cast<uint8_t>(next_++ * 131 + 7);
  }

 private:
  uint32_t next_ = 0;
};

// Seals nothing: the state is the ticket.
class PlainSealer final : public TicketSealer {
 public:
  Result<std::optional<ByteVec>> seal(Bytes state, ConnectionCallbacks&) override {
    return std::optional<ByteVec>(ByteVec(state.begin(), state.end()));
  }
  std::optional<ByteVec> open(Bytes ticket, ConnectionCallbacks&) override {
    return ByteVec(ticket.begin(), ticket.end());
  }
};

void decode_session(Bytes in) {
  const unsigned char* p = in.data();
  SSL_SESSION* sess = d2i_SSL_SESSION(nullptr, &p, static_cast<long>(in.size()));
  if (sess == nullptr) return;
  const size_t used = static_cast<size_t>(p - in.data());
  SESSIONS_CHECK(used > 0 && used <= in.size());
  // Getters on what was decoded.
  unsigned int id_len = 0;
  (void)SSL_SESSION_get_id(sess, &id_len);
  SESSIONS_CHECK(id_len <= SSL_MAX_SSL_SESSION_ID_LENGTH);
  (void)SSL_SESSION_get_protocol_version(sess);
  (void)SSL_SESSION_get0_hostname(sess);
  (void)SSL_SESSION_is_resumable(sess);
  (void)SSL_SESSION_has_ticket(sess);
  (void)SSL_SESSION_get_ticket_lifetime_hint(sess);
  unsigned char master[256];
  SESSIONS_CHECK(SSL_SESSION_get_master_key(sess, master, sizeof master) <= sizeof master);
  // i2d gives the bytes back, and they decode again to the same encoding.
  const int len = i2d_SSL_SESSION(sess, nullptr);
  SESSIONS_CHECK(len > 0 && static_cast<size_t>(len) == used);
  ByteVec out(static_cast<size_t>(len));
  unsigned char* w = out.data();
  SESSIONS_CHECK(i2d_SSL_SESSION(sess, &w) == len);
  SESSIONS_CHECK(std::memcmp(out.data(), in.data(), used) == 0);
  SSL_SESSION_free(sess);
  const unsigned char* q = out.data();
  SSL_SESSION* again = d2i_SSL_SESSION(nullptr, &q, len);
  SESSIONS_CHECK(again != nullptr && q == out.data() + len);
  SSL_SESSION_free(again);
}

void open_plain(Bytes in) {
  static CountingRandom rng;
  static auto issuer =
      make_sealing_ticket_issuer(rng, kMaxTicketLifetime, std::make_shared<PlainSealer>());
  if (auto c = issuer->open(in, kNowMs, no_callbacks())) {
    SESSIONS_CHECK(!c->psk.bytes().empty());
  }
  auto s = issuer->open12(in, kNowMs, no_callbacks());
  if (!s) return;
  auto again = issuer->issue12(*s, s->received_ms, rng, no_callbacks());
  SESSIONS_CHECK(again.ok());
  // A state too large for the issuer's writer is not issued again.
  if (again->ticket.empty()) return;
  auto t = issuer->open12(again->ticket, kNowMs, no_callbacks());
  SESSIONS_CHECK(t.has_value());
  SESSIONS_CHECK(t->suite == s->suite && t->received_ms == s->received_ms);
  SESSIONS_CHECK(std::ranges::equal(t->psk.bytes(), s->psk.bytes()));
  SESSIONS_CHECK(t->extended_master_secret == s->extended_master_secret);
  SESSIONS_CHECK(t->sid_ctx == s->sid_ctx && t->server_name == s->server_name);
  SESSIONS_CHECK(t->verify_result == s->verify_result);
  SESSIONS_CHECK(t->chain().size() == s->chain().size());
}

void open_keyed(Bytes in) {
  static CountingRandom rng;
  static auto issuer = make_sealing_ticket_issuer(rng, kMaxTicketLifetime);
  (void)issuer->open(in, kNowMs, no_callbacks());
  (void)issuer->open12(in, kNowMs, no_callbacks());
  if (in.size() < 3) return;
  const size_t flip_at = size_t{in[0]} << 8 | in[1];
  const Bytes secret = in.subspan(2, std::min<size_t>(in.size() - 2, 48));
  // HKDF-Expand-Label of the "secret" gives the PSK: any non-empty secret
  // of up to the hash's size will do as a resumption secret here.
  const SuiteInfo* suite = suite_info(0x1301);
  SESSIONS_CHECK(suite != nullptr);
  auto nst =
      issuer->issue(*suite, crypto::Secret(secret), TicketPeer{}, kNowMs, rng, no_callbacks());
  SESSIONS_CHECK(nst.ok() && !nst->ticket.empty());
  auto psk = ticket_psk(*suite, crypto::Secret(secret), nst->ticket_nonce);
  SESSIONS_CHECK(psk.ok());
  ByteVec ticket = nst->ticket;
  const bool flipped = flip_at < ticket.size();
  if (flipped) ticket[flip_at] ^= 0x01;
  auto c = issuer->open(ticket, kNowMs, no_callbacks());
  SESSIONS_CHECK(c.has_value() == !flipped);
  if (c) {
    SESSIONS_CHECK(c->suite == 0x1301 && c->issued_ms == kNowMs);
    SESSIONS_CHECK(std::ranges::equal(c->psk.bytes(), psk->bytes()));
  }
  // A TLS 1.3 ticket is never a TLS 1.2 one.
  SESSIONS_CHECK(!issuer->open12(nst->ticket, kNowMs, no_callbacks()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Bytes in(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      decode_session(in);
      break;
    case 1:
      open_plain(in);
      break;
    default:
      open_keyed(in);
      break;
  }
  return 0;
}
