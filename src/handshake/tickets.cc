// The default NewSessionTicket issuer: the ticket carries the resumption PSK,
// its suite and issue time, sealed under a key that never leaves the server.
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
                                 uint64_t now_ms, crypto::RandomSource& rng, void* app) override {
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
    RTLS_ASSIGN(Secret psk,
                crypto::hkdf_expand_label(suite.hash, resumption_secret.bytes(), "resumption",
                                          nst.ticket_nonce, crypto::hash_size(suite.hash)));
    ByteVec plain;
    codec::Writer w(plain);
    w.u16(static_cast<uint16_t>(suite.suite));
    w.u64(now_ms);
    w.u32(nst.ticket_age_add);
    w.vec8(psk.bytes());
    if (sealer_) {
      auto sealed = sealer_->seal(plain, app);
      secure_zero(plain);
      if (!sealed.ok()) return sealed.error();
      if (*sealed) nst.ticket = std::move(**sealed);  // else empty: no ticket
      return nst;
    }
    std::array<uint8_t, crypto::kAeadNonceSize> nonce;
    rng.fill(nonce);
    RTLS_ASSIGN(crypto::AeadContext aead,
                crypto::AeadContext::create(crypto::AeadAlg::aes_256_gcm,
                                            crypto::AeadDirection::seal, key_));
    nst.ticket.resize(nonce.size() + plain.size() + crypto::kAeadTagSize);
    std::copy(nonce.begin(), nonce.end(), nst.ticket.begin());
    RTLS_TRY(aead.seal(nonce, {}, plain, {}, nst.ticket.data() + nonce.size()));
    secure_zero(plain);
    return nst;
  }

  std::optional<TicketContents> open(Bytes ticket, uint64_t now_ms, void* app) override {
    ByteVec plain;
    if (sealer_) {
      auto opened = sealer_->open(ticket, app);
      if (!opened) return std::nullopt;
      plain = std::move(*opened);
    } else {
      constexpr size_t kOverhead = crypto::kAeadNonceSize + crypto::kAeadTagSize;
      if (ticket.size() <= kOverhead) return std::nullopt;
      auto aead = crypto::AeadContext::create(crypto::AeadAlg::aes_256_gcm,
                                              crypto::AeadDirection::open, key_);
      if (!aead.ok()) return std::nullopt;
      plain.resize(ticket.size() - kOverhead);
      if (!aead->open(ticket.first(crypto::kAeadNonceSize), {},
                      ticket.subspan(crypto::kAeadNonceSize), plain.data())
               .ok()) {
        return std::nullopt;  // not sealed under this key, or altered
      }
    }
    TicketContents c;
    codec::Reader r(plain);
    Bytes psk;
    const bool parsed = r.read_u16(&c.suite) && r.read_u64(&c.issued_ms) &&
                        r.read_u32(&c.age_add) && r.read_vec8(&psk) && r.expect_end() &&
                        !psk.empty() && psk.size() <= Secret::kMaxSize;
    if (parsed) c.psk = Secret(psk);
    secure_zero(plain);
    // RFC 8446 4.6.1: not used beyond its lifetime (nor "issued" in the future).
    if (!parsed || now_ms < c.issued_ms ||
        now_ms - c.issued_ms > uint64_t{lifetime_s_.load()} * 1000) {
      return std::nullopt;
    }
    return c;
  }

 private:
  std::atomic<uint32_t> lifetime_s_{0};  // contexts share issuers across threads
  std::array<uint8_t, 32> key_{};
  std::shared_ptr<TicketSealer> sealer_;
};

}  // namespace

std::shared_ptr<TicketIssuer> make_sealing_ticket_issuer(crypto::RandomSource& rng,
                                                         uint32_t lifetime_s,
                                                         std::shared_ptr<TicketSealer> sealer) {
  return std::make_shared<SealingTicketIssuer>(rng, lifetime_s, std::move(sealer));
}

}  // namespace rapidtls::handshake
