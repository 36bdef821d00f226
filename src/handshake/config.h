// Configuration shared by many connections (what an SSL_CTX holds), and the
// pluggable pieces a handshake calls out to: the signer of CertificateVerify,
// the issuer of session tickets. What reaches back into one connection's
// application is in callbacks.h.
#pragma once

#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "crypto/kex.h"
#include "crypto/random.h"
#include "crypto/sig.h"
#include "crypto/verify_cache.h"
#include "crypto/x509.h"
#include "handshake/key_schedule.h"
#include "handshake/messages.h"
#include "handshake/messages12.h"
#include "handshake/suites12.h"

namespace rapidtls::handshake {

using crypto::NamedGroup;
using crypto::SignatureScheme;

// Produces CertificateVerify signatures. The default wraps a PrivateKey; a
// server can plug in its own (a hardware key, or a test replaying a trace).
class Signer {
 public:
  virtual ~Signer() = default;
  // The TLS 1.3 schemes this signer can use, most preferred first.
  virtual std::vector<SignatureScheme> schemes() const = 0;
  virtual Result<ByteVec> sign(SignatureScheme scheme, Bytes content) = 0;
  // TLS 1.2 (crypto::SchemeRules::tls12): the schemes usable in a
  // ServerKeyExchange or CertificateVerify, and signing with them. By default
  // the TLS 1.3 ones.
  virtual std::vector<SignatureScheme> tls12_schemes() const { return schemes(); }
  virtual Result<ByteVec> sign12(SignatureScheme scheme, Bytes content) {
    return sign(scheme, content);
  }
};

class KeySigner final : public Signer {
 public:
  // The schemes are worked out once: asking libcrypto about the key on every
  // handshake cost several percent of one.
  explicit KeySigner(crypto::PrivateKey key)
      : key_(std::move(key)), schemes_(key_.tls13_schemes()), schemes12_(key_.tls12_schemes()) {}
  std::vector<SignatureScheme> schemes() const override { return schemes_; }
  Result<ByteVec> sign(SignatureScheme scheme, Bytes content) override {
    return key_.sign(scheme, content);
  }
  std::vector<SignatureScheme> tls12_schemes() const override { return schemes12_; }
  Result<ByteVec> sign12(SignatureScheme scheme, Bytes content) override {
    return key_.sign(scheme, content, crypto::SchemeRules::tls12);
  }
  const crypto::PrivateKey& key() const { return key_; }

 private:
  crypto::PrivateKey key_;
  std::vector<SignatureScheme> schemes_;
  std::vector<SignatureScheme> schemes12_;
};

struct CertifiedKey {
  std::vector<crypto::Certificate> chain;  // leaf first
  std::shared_ptr<Signer> signer;
};

// A session to resume. TLS 1.3: a ticket a client keeps (RFC 8446 4.6.1).
// TLS 1.2 (version kTls12): a session a client resumes by session id or RFC
// 5077 ticket, or a server's session in its cache or sealed in a ticket;
// `psk` is then the master secret and `suite` a TLS 1.2 suite.
struct StoredTicket {
  uint16_t version = kTls13;
  uint16_t suite = 0;
  ByteVec ticket;
  // TLS 1.3: HKDF-Expand-Label(resumption_master_secret, "resumption",
  // nonce); TLS 1.2: the master secret.
  Secret psk;
  // TLS 1.2: the session id (empty: none, a ticket only); RFC 7627's
  // extended master secret was used (rapidtls resumes only such sessions);
  // a server's session id context (Config::session_id_context).
  ByteVec session_id;
  bool extended_master_secret = false;
  ByteVec sid_ctx;
  uint32_t lifetime_s = 0;  // TLS 1.2: 0 when unknown (no lifetime hint)
  uint32_t age_add = 0;
  uint64_t received_ms = 0;
  uint32_t max_early_data = 0;
  // What a resumption takes over from the connection the ticket came on
  // (RFC 8446 2.2: the server is not authenticated again): its server's
  // certificate chain, how verifying it went and for which host name
  // (verify_deferred: not checked yet, as that connection did not verify;
  // computed when someone asks), and the name it sent (SNI).
  // Shared: a connection's tickets, and the sessions made of them, hold one
  // copy of the chain (a server may send many tickets).
  std::shared_ptr<const std::vector<crypto::Certificate>> peer_chain;
  // The chain, empty when there is none.
  const std::vector<crypto::Certificate>& chain() const {
    static const std::vector<crypto::Certificate> kNone;
    return peer_chain ? *peer_chain : kNone;
  }
  long verify_result = 0;
  bool verify_deferred = false;
  std::string verified_host;
  std::string server_name;
};

// What a ticket keeps of the client a server authenticated (RFC 8446 2.2: a
// resumption does not authenticate again): its certificate (the leaf, as
// OpenSSL keeps it) and how verifying it went. No chain: the client sent none.
struct TicketPeer {
  const std::vector<crypto::Certificate>* chain = nullptr;
  long verify_result = 0;
};

// What a server finds in a ticket it issued: the resumption PSK and its
// suite, and the client it authenticated, if any.
struct TicketContents {
  uint16_t suite = 0;
  Secret psk;
  uint64_t issued_ms = 0;
  uint32_t age_add = 0;
  std::shared_ptr<const std::vector<crypto::Certificate>> peer_chain;
  long verify_result = 0;
};

class ConnectionCallbacks;  // callbacks.h

// Makes the NewSessionTicket messages a server sends (RFC 8446 4.6.1), and
// reads them back when a client offers one for resumption (4.2.11).
// `callbacks` are the connection's (Connection::set_callbacks): an issuer of
// the C interface finds its SSL there.
class TicketIssuer {
 public:
  virtual ~TicketIssuer() = default;
  // A ticket with an empty `ticket` field: none is sent (the issuer declined).
  virtual Result<NewSessionTicket> issue(const SuiteInfo& suite, const Secret& resumption_secret,
                                         const TicketPeer& peer, uint64_t now_ms,
                                         crypto::RandomSource& rng,
                                         ConnectionCallbacks& callbacks) = 0;
  // The contents of a ticket this issuer made and that is still within its
  // lifetime at `now_ms`; nullopt for any other (not ours, altered, expired):
  // the server then ignores the offer and makes a full handshake.
  virtual std::optional<TicketContents> open(Bytes ticket, uint64_t now_ms,
                                             ConnectionCallbacks& callbacks) = 0;
  // Sets the lifetime of the tickets issued from now on, and the one open()
  // allows, in seconds (SSL_CTX_set_timeout). Issuers without one ignore it.
  virtual void set_lifetime(uint32_t /*seconds*/) {}
  // TLS 1.2 (RFC 5077 3.3, 4): a NewSessionTicket carrying `session` (its
  // suite, master secret, extended_master_secret, session id context, server
  // name, the peer's certificate and verify result); an empty ticket when
  // the issuer declines. open12 gives the session back, as open() does.
  // Issuers without TLS 1.2 tickets issue none.
  virtual Result<NewSessionTicket12> issue12(const StoredTicket& /*session*/, uint64_t /*now_ms*/,
                                             crypto::RandomSource& /*rng*/,
                                             ConnectionCallbacks& /*callbacks*/) {
    return NewSessionTicket12{};
  }
  virtual std::optional<StoredTicket> open12(Bytes /*ticket*/, uint64_t /*now_ms*/,
                                             ConnectionCallbacks& /*callbacks*/) {
    return std::nullopt;
  }
  // Whether this issuer makes TLS 1.2 tickets: a TLS 1.2 server promises one
  // (RFC 5077 3.2) only then, and otherwise names its sessions by id.
  virtual bool issues12() const { return false; }
};

// RFC 8446 4.6.1: the PSK of a ticket, HKDF-Expand-Label(resumption_master_secret,
// "resumption", ticket_nonce, Hash.length).
Result<Secret> ticket_psk(const SuiteInfo& suite, const Secret& resumption_secret, Bytes nonce);

// A TLS 1.2 server's session cache (RFC 5246 7.4.1.2): sessions by id. The C
// interface's (SSL_CTX_sess_set_new_cb and friends).
class SessionCache12 {
 public:
  virtual ~SessionCache12() = default;
  // The session with this id, when kept and within its lifetime; nullopt
  // otherwise (the server makes a full handshake).
  virtual std::optional<StoredTicket> find(Bytes id, ConnectionCallbacks& callbacks) = 0;
  // A full handshake completed with `session` (session_id set): keep it.
  virtual void add(const StoredTicket& session, ConnectionCallbacks& callbacks) = 0;
};

// RFC 8446 4.6.1: a ticket lives at most seven days.
constexpr uint32_t kMaxTicketLifetime = 604800;

// The default issuer: the ticket is the resumption PSK and its suite, sealed
// with AES-256-GCM under a key drawn when the issuer is made.
// Protects the state a ticket carries: seal() makes the ticket's bytes (none:
// no ticket is sent), open() gives the state back (nullopt: not ours,
// altered, or refused). The C interface's SSL_CTX_set_tlsext_ticket_key_evp_cb.
class TicketSealer {
 public:
  virtual ~TicketSealer() = default;
  virtual Result<std::optional<ByteVec>> seal(Bytes state, ConnectionCallbacks& callbacks) = 0;
  virtual std::optional<ByteVec> open(Bytes ticket, ConnectionCallbacks& callbacks) = 0;
};

// The default issuer: the PSK, its suite and issue time sealed with
// AES-256-GCM under a random key of its own, or by `sealer` when given.
std::shared_ptr<TicketIssuer> make_sealing_ticket_issuer(
    crypto::RandomSource& rng, uint32_t lifetime_s, std::shared_ptr<TicketSealer> sealer = nullptr);

// OpenSSL's verify callback (SSL_verify_cb): preverify_ok and the store
// context of one step of a chain's verification in, the verdict out.
using VerifyCallback = int (*)(int preverify_ok, X509_STORE_CTX* ctx);

enum class VerifyMode : uint8_t {
  none,     // do not verify the peer (a server does not ask for a certificate)
  peer,     // verify the peer's certificate if it sends one (a server asks for one)
  require,  // as peer, and a server fails the handshake when the client sends none
};

// Where tests reach into a handshake: used by the RFC 8448 trace replays to
// send exactly the extensions that the trace's implementation (NSS) sent.
struct TestHooks {
  std::function<void(Extensions&)> client_hello_extensions;
  std::function<void(Extensions&)> hello_retry_extensions;
  std::function<void(Extensions&)> server_hello_extensions;
  std::function<void(Extensions&)> encrypted_extensions;
};

struct Config;

// What a server's ClientHello hook decided (ConnectionCallbacks::on_client_hello).
struct ClientHelloDecision {
  std::shared_ptr<const Config> config;  // non-null: continue with this one instead
  bool acknowledge_sni = true;           // false: no empty server_name in the answer
};

struct Config {
  // The versions this side speaks (kTls12 or kTls13).
  uint16_t min_version = kTls12;
  uint16_t max_version = kTls13;
  // Cipher suites, groups and schemes, in order of preference: TLS 1.3
  // suites, then the TLS 1.2 suites (suites12.h).
  std::vector<uint16_t> cipher_suites = {0x1301, 0x1302, 0x1303};
  std::vector<uint16_t> cipher_suites12{std::begin(kDefaultSuites12), std::end(kDefaultSuites12)};
  std::vector<NamedGroup> groups = {NamedGroup::x25519, NamedGroup::secp256r1,
                                    NamedGroup::secp384r1, NamedGroup::secp521r1};
  // The number of groups (from the front of `groups`) a client sends key shares for.
  size_t client_key_shares = 1;
  std::vector<SignatureScheme> signature_schemes = {
      SignatureScheme::ecdsa_secp256r1_sha256,
      SignatureScheme::ecdsa_secp384r1_sha384,
      SignatureScheme::ecdsa_secp521r1_sha512,
      SignatureScheme::rsa_pss_rsae_sha256,
      SignatureScheme::rsa_pss_rsae_sha384,
      SignatureScheme::rsa_pss_rsae_sha512,
      SignatureScheme::ed25519,
      SignatureScheme::rsa_pss_pss_sha256,
      SignatureScheme::rsa_pss_pss_sha384,
      SignatureScheme::rsa_pss_pss_sha512,
      SignatureScheme::rsa_pkcs1_sha256,
      SignatureScheme::rsa_pkcs1_sha384,
      SignatureScheme::rsa_pkcs1_sha512,
  };

  // A server's certificates (several: one per key type, say RSA and ECDSA;
  // each handshake picks one the client can verify, see server.cc and
  // server12.cc), or a client's for mutual TLS (the first is used).
  std::vector<CertifiedKey> certificates;
  // The first usable certificate (a client's), or null.
  const CertifiedKey* certificate() const {
    for (const auto& c : certificates) {
      if (c.signer && !c.chain.empty()) return &c;
    }
    return nullptr;
  }
  // A server asking for a client certificate names these certificate
  // authorities (DER DistinguishedNames): RFC 5246 7.4.4's
  // certificate_authorities, RFC 8446 4.2.4's extension. The C interface's
  // SSL_CTX_set_client_CA_list.
  std::vector<ByteVec> client_ca_names;
  // A client asked for a certificate without `certificate`: it asks its
  // ConnectionCallbacks::supply_client_certificate.
  std::shared_ptr<crypto::TrustStore> trust;
  // Parsed peer certificates shared by the connections of this config.
  std::shared_ptr<crypto::CertificateCache> cert_cache;
  // Successful chain verifications reused by the connections of this trust
  // configuration (none: every chain is verified). Whoever changes `trust`,
  // `verify_depth` or what verification means must clear it or leave it unset.
  std::shared_ptr<crypto::VerifiedChainCache> verify_cache;
  VerifyMode verify = VerifyMode::none;
  // TLS 1.3 post-handshake client authentication (RFC 8446 4.6.2): a client
  // offers it (the post_handshake_auth extension) and answers a
  // CertificateRequest after the handshake. A server may ask any client that
  // offered it (Connection::request_client_certificate), verifying as
  // `verify` says.
  bool post_handshake_auth = false;
  // A TLS 1.3 server asks for no certificate during the handshake, only
  // after it (the C interface's SSL_VERIFY_POST_HANDSHAKE).
  bool client_auth_after_handshake = false;
  int verify_depth = 100;
  // Called at each step of the peer chain's verification with preverify_ok
  // and the store context, through the connection's
  // ConnectionCallbacks::on_verify; its answer decides
  // (crypto::TrustStore::Hook). Set, the chain is verified during the
  // handshake even with VerifyMode::none (whose handshake then goes on
  // whatever the answer). Leave verify_cache unset with it: an answer may
  // change. (The connection's verification parameters come from
  // ConnectionCallbacks::verify_parameters.)
  VerifyCallback verify_callback = nullptr;

  // ALPN: a client's offer, or a server's preference (used unless the
  // connection's ConnectionCallbacks::selects_alpn).
  std::vector<ByteVec> alpn;

  crypto::RandomSource* rng = &crypto::system_random();
  const Clock* clock = &system_clock();

  // RFC 8446 D.4: a client sends a session id and a dummy change_cipher_spec.
  bool middlebox_compat = true;
  // RFC 8449: the largest TLSInnerPlaintext we accept (64..16385). A client
  // offers it when set; a server answers a client's offer with it (16385 when
  // unset).
  std::optional<uint16_t> record_size_limit;

  // A server sends this many NewSessionTickets after the handshake, made by
  // ticket_issuer (none when it is not set).
  size_t tickets_to_send = 1;
  std::shared_ptr<TicketIssuer> ticket_issuer;

  // TLS 1.2 resumption. A server with a session cache gives the sessions of
  // its full handshakes an id and keeps them there (unless an RFC 5077
  // ticket carries the session: ticket_issuer set and the client asked for
  // one); it resumes only sessions made under the same session_id_context
  // (SSL_CTX_set_session_id_context). A client asks for tickets with an
  // empty session_ticket extension when session_tickets12 is on.
  std::shared_ptr<SessionCache12> session_cache12;
  ByteVec session_id_context;
  // As OpenSSL (SSL_CTX_set_session_id_context(3)): a server that verifies
  // clients without a session id context fails a handshake that would resume
  // (internal_error, SSL_R_SESSION_ID_CONTEXT_UNINITIALIZED). The C interface's.
  bool session_id_context_required = false;
  bool session_tickets12 = true;

  // OCSP stapling (RFC 6066 8; TLS 1.3: RFC 8446 4.4.2.1). A client asks
  // for its server's status with request_ocsp, and checks the response with
  // ConnectionCallbacks::on_ocsp_response; a server whose client asked gets
  // the response to staple from ConnectionCallbacks::on_ocsp_staple.
  bool request_ocsp = false;

  // TLS 1.2: a server accepts renegotiation started by the client
  // (OpenSSL 3.0 refuses it unless SSL_OP_ALLOW_CLIENT_RENEGOTIATION).
  bool allow_client_renegotiation = false;
  // A client: connect to a TLS 1.2 server that does not send renegotiation_info
  // (RFC 5746 4.1; OpenSSL's SSL_OP_LEGACY_SERVER_CONNECT, off by default in 3.0).
  bool legacy_server_connect = false;

  TestHooks test_hooks;
};

}  // namespace rapidtls::handshake
