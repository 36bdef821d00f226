// The default NewSessionTicket issuer: the ticket carries the resumption PSK,
// its suite and issue time (TLS 1.3), or the session (TLS 1.2, RFC 5077 4),
// sealed under a key that never leaves the server. The first byte of the
// sealed state says which: a ticket of one version is never taken for the
// other.
#include <algorithm>
#include <array>
#include <atomic>

#include "codec/reader.h"
#include "codec/writer.h"
#include "crypto/aead.h"
#include "handshake/config.h"

namespace rapidtls::handshake {
namespace {

class SealingTicketIssuer final : public TicketIssuer {
 public:
  SealingTicketIssuer(crypto::RandomSource& rng, uint32_t lifetime_s,
                      std::shared_ptr<TicketSealer> sealer)
      : sealer_(std::move(sealer)) {
    set_lifetime(lifetime_s);
    rng.fill(key_);
  }

  void set_lifetime(uint32_t seconds) override {
    lifetime_s_.store(std::min(seconds, kMaxTicketLifetime));
  }

  Result<NewSessionTicket> issue(const SuiteInfo& suite, const Secret& resumption_secret,
                                 const TicketPeer& peer, uint64_t now_ms, crypto::RandomSource& rng,
                                 ConnectionCallbacks& callbacks) override {
    NewSessionTicket nst;
    nst.ticket_lifetime = lifetime_s_.load();
    uint8_t age_add[4];
    rng.fill(age_add);
    nst.ticket_age_add = uint32_t{age_add[0]} << 24 | uint32_t{age_add[1]} << 16 |
                         uint32_t{age_add[2]} << 8 | age_add[3];
    nst.ticket_nonce.resize(8);
    rng.fill(nst.ticket_nonce);
    // RFC 8446 4.6.1: PSK = HKDF-Expand-Label(resumption_master_secret,
    // "resumption", ticket_nonce, Hash.length).
    RTLS_ASSIGN(Secret psk, ticket_psk(suite, resumption_secret, nst.ticket_nonce));
    ByteVec plain;
    codec::Writer w(plain);
    const bool leaf = peer.chain != nullptr && !peer.chain->empty();
    w.u8(kKindTls13);
    w.u16(static_cast<uint16_t>(suite.suite));
    w.u64(now_ms);
    w.u32(nst.ticket_age_add);
    w.vec8(psk.bytes());
    w.u64(static_cast<uint64_t>(peer.verify_result));
    w.vec24(leaf ? peer.chain->front().der() : Bytes());
    if (!w.ok()) {
      secure_zero(plain);
      return NewSessionTicket{};  // does not fit: no ticket
    }
    RTLS_ASSIGN(nst.ticket, seal(plain, rng, callbacks));
    return nst;
  }

  std::optional<TicketContents> open(Bytes ticket, uint64_t now_ms,
                                     ConnectionCallbacks& callbacks) override {
    ByteVec plain = unseal(ticket, callbacks);
    TicketContents c;
    codec::Reader r(plain);
    uint8_t kind = 0;
    uint64_t verify_result = 0;
    Bytes psk, leaf;
    bool parsed = r.read_u8(&kind) && kind == kKindTls13 && r.read_u16(&c.suite) &&
                  r.read_u64(&c.issued_ms) && r.read_u32(&c.age_add) && r.read_vec8(&psk) &&
                  r.read_u64(&verify_result) && r.read_vec24(&leaf) && r.expect_end() &&
                  !psk.empty() && psk.size() <= Secret::kMaxSize;
    if (parsed && !leaf.empty()) parsed = set_leaf(leaf, &c.peer_chain);
    if (parsed) {
      c.psk = Secret(psk);
      c.verify_result = static_cast<long>(verify_result);
    }
    secure_zero(plain);
    // RFC 8446 4.6.1: not used beyond its lifetime (nor "issued" in the future).
    if (!parsed || !within_lifetime(c.issued_ms, now_ms)) return std::nullopt;
    return c;
  }

  // RFC 5077 4 suggests what a ticket holds; this one: the suite, the master
  // secret, the issue time, the session id context, the server name, the
  // peer's certificate (its leaf, as OpenSSL keeps) and its verify result.
  bool issues12() const override { return true; }

  Result<NewSessionTicket12> issue12(const StoredTicket& session, uint64_t now_ms,
                                     crypto::RandomSource& rng,
                                     ConnectionCallbacks& callbacks) override {
    NewSessionTicket12 nst;
    nst.lifetime_hint = lifetime_s_.load();
    const auto& chain = session.chain();
    ByteVec plain;
    plain.reserve(128 + session.server_name.size() + (chain.empty() ? 0 : chain[0].der().size()));
    codec::Writer w(plain);
    w.u8(kKindTls12);
    w.u16(session.suite);
    w.u64(now_ms);
    w.u8(session.extended_master_secret ? 1 : 0);
    w.vec8(session.psk.bytes());
    w.vec8(session.sid_ctx);
    w.vec16(Bytes(reinterpret_cast<const uint8_t*>(session.server_name.data()),
                  session.server_name.size()));
    w.u64(static_cast<uint64_t>(session.verify_result));
    w.vec24(chain.empty() ? Bytes() : chain[0].der());
    if (!w.ok()) {
      secure_zero(plain);
      return nst;  // does not fit: no ticket
    }
    RTLS_ASSIGN(nst.ticket, seal(plain, rng, callbacks));
    return nst;
  }

  std::optional<StoredTicket> open12(Bytes ticket, uint64_t now_ms,
                                     ConnectionCallbacks& callbacks) override {
    ByteVec plain = unseal(ticket, callbacks);
    codec::Reader r(plain);
    StoredTicket s;
    s.version = kTls12;
    uint8_t kind = 0, ems = 0;
    uint64_t verify_result = 0;
    Bytes master, sid_ctx, name, leaf;
    bool parsed = r.read_u8(&kind) && kind == kKindTls12 && r.read_u16(&s.suite) &&
                  r.read_u64(&s.received_ms) && r.read_u8(&ems) && ems <= 1 &&
                  r.read_vec8(&master) && !master.empty() && master.size() <= Secret::kMaxSize &&
                  r.read_vec8(&sid_ctx) && r.read_vec16(&name) && r.read_u64(&verify_result) &&
                  r.read_vec24(&leaf) && r.expect_end();
    if (parsed && !leaf.empty()) parsed = set_leaf(leaf, &s.peer_chain);
    if (parsed) {
      s.psk = Secret(master);
      s.extended_master_secret = ems != 0;
      s.sid_ctx.assign(sid_ctx.begin(), sid_ctx.end());
      s.server_name.assign(name.begin(), name.end());
      s.verify_result = static_cast<long>(verify_result);
      s.lifetime_s = lifetime_s_.load();
    }
    secure_zero(plain);
    if (!parsed || !within_lifetime(s.received_ms, now_ms)) return std::nullopt;
    return s;
  }

 private:
  static constexpr uint8_t kKindTls13 = 1;
  static constexpr uint8_t kKindTls12 = 2;

  // A chain of the one certificate in `der`: false when it does not parse.
  static bool set_leaf(Bytes der, std::shared_ptr<const std::vector<crypto::Certificate>>* out) {
    auto cert = crypto::Certificate::from_der(der);
    if (!cert.ok()) return false;
    *out = std::make_shared<const std::vector<crypto::Certificate>>(
        std::vector<crypto::Certificate>{std::move(cert).value()});
    return true;
  }

  bool within_lifetime(uint64_t issued_ms, uint64_t now_ms) const {
    return now_ms >= issued_ms && now_ms - issued_ms <= uint64_t{lifetime_s_.load()} * 1000;
  }

  // The ticket's bytes for `plain` (wiped): by the sealer when there is one
  // (empty when it declines), else AES-256-GCM under key_.
  Result<ByteVec> seal(ByteVec& plain, crypto::RandomSource& rng, ConnectionCallbacks& callbacks) {
    if (sealer_) {
      auto sealed = sealer_->seal(plain, callbacks);
      secure_zero(plain);
      if (!sealed.ok()) return sealed.error();
      return *sealed ? std::move(**sealed) : ByteVec();
    }
    std::array<uint8_t, crypto::kAeadNonceSize> nonce;
    rng.fill(nonce);
    auto aead = crypto::AeadContext::create(crypto::AeadAlg::aes_256_gcm,
                                            crypto::AeadDirection::seal, key_);
    if (!aead.ok()) {
      secure_zero(plain);
      return aead.error();
    }
    ByteVec ticket(nonce.size() + plain.size() + crypto::kAeadTagSize);
    std::copy(nonce.begin(), nonce.end(), ticket.begin());
    Status sealed = aead->seal(nonce, {}, plain, {}, ticket.data() + nonce.size());
    secure_zero(plain);
    if (!sealed.ok()) return sealed.error();
    return ticket;
  }

  // The state sealed in `ticket`; empty when it is not ours or was altered.
  ByteVec unseal(Bytes ticket, ConnectionCallbacks& callbacks) {
    if (sealer_) {
      auto opened = sealer_->open(ticket, callbacks);
      return opened ? std::move(*opened) : ByteVec();
    }
    constexpr size_t kOverhead = crypto::kAeadNonceSize + crypto::kAeadTagSize;
    if (ticket.size() <= kOverhead) return {};
    auto aead = crypto::AeadContext::create(crypto::AeadAlg::aes_256_gcm,
                                            crypto::AeadDirection::open, key_);
    if (!aead.ok()) return {};
    ByteVec plain(ticket.size() - kOverhead);
    if (!aead->open(ticket.first(crypto::kAeadNonceSize), {},
                    ticket.subspan(crypto::kAeadNonceSize), plain.data())
             .ok()) {
      secure_zero(plain);
      return {};  // not sealed under this key, or altered
    }
    return plain;
  }

  std::atomic<uint32_t> lifetime_s_{0};  // contexts share issuers across threads
  std::array<uint8_t, 32> key_{};
  std::shared_ptr<TicketSealer> sealer_;
};

}  // namespace

Result<Secret> ticket_psk(const SuiteInfo& suite, const Secret& resumption_secret, Bytes nonce) {
  return crypto::hkdf_expand_label(suite.hash, resumption_secret.bytes(), "resumption", nonce,
                                   crypto::hash_size(suite.hash));
}

std::shared_ptr<TicketIssuer> make_sealing_ticket_issuer(crypto::RandomSource& rng,
                                                         uint32_t lifetime_s,
                                                         std::shared_ptr<TicketSealer> sealer) {
  return std::make_shared<SealingTicketIssuer>(rng, lifetime_s, std::move(sealer));
}

}  // namespace rapidtls::handshake
