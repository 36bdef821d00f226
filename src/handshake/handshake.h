// The TLS 1.3 handshake state machines (RFC 8446 section 4 and Appendix A),
// client and server. A handshake never touches I/O or records: it receives
// whole handshake messages and answers through HandshakeIo, which the
// connection implements (queue a message, switch keys, log a secret).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "crypto/kex.h"
#include "crypto/x509.h"
#include "handshake/callbacks.h"
#include "handshake/config.h"
#include "handshake/key_schedule.h"
#include "handshake/messages.h"
#include "handshake/suites12.h"
#include "handshake/transcript.h"

namespace rapidtls::handshake {

enum class Epoch : uint8_t { handshake, application };

class HandshakeIo {
 public:
  virtual ~HandshakeIo() = default;
  // Queues a complete handshake message (header included) under the current write keys.
  virtual Status send_message(Bytes message) = 0;
  // Queues a change_cipher_spec record: plaintext in TLS 1.3 (RFC 8446 D.4);
  // in TLS 1.2 under the current write keys (RFC 5246 7.1).
  virtual Status send_change_cipher_spec() = 0;
  // The negotiated version, once known (the record layer depends on it).
  virtual void set_version(uint16_t version) = 0;
  // Switches one direction to new record keys, of either version
  // (TrafficKeys says which): TLS 1.3's at each epoch (RFC 8446 7.3), TLS
  // 1.2's at change_cipher_spec (RFC 5246 6.3; Epoch::application). Queued
  // handshake messages leave under the old write keys first.
  virtual Status set_read_keys(const TrafficKeys& keys, Epoch epoch) = 0;
  virtual Status set_write_keys(const TrafficKeys& keys, Epoch epoch) = 0;
  // RFC 8449: the peer accepts protected records of at most this much
  // plaintext (content only, the inner type byte excluded).
  virtual void set_send_fragment_limit(size_t limit) = 0;
  // RFC 8446 4.2.10: the client offered early data and the server declined
  // it; protected records that fail to open are dropped until one opens
  // (on), or no longer (off: after the second ClientHello of a
  // HelloRetryRequest, early data is a protocol error).
  virtual void skip_early_data(bool on) = 0;
  // The server's ClientHello hook chose another configuration (SNI): the
  // connection and the handshake continue with it.
  virtual void replace_config(std::shared_ptr<const Config> config) = 0;
  // Whether handshake bytes follow the message being handled in its record. RFC 8446
  // 5.1: a message that precedes a key change must end its record; a TLS 1.3 server
  // checks its ClientHello before answering it, as OpenSSL does.
  virtual bool more_in_record() const { return false; }
};

// TLS 1.3: the keys of a traffic secret (RFC 8446 7.3) into one direction;
// with `finished_key`, also the secret's Finished key (a handshake secret's).
Status set_read_secret(HandshakeIo& io, const SuiteInfo& suite, const Secret& secret, Epoch epoch,
                       Secret* finished_key = nullptr);
Status set_write_secret(HandshakeIo& io, const SuiteInfo& suite, const Secret& secret, Epoch epoch,
                        Secret* finished_key = nullptr);
// TLS 1.2: one direction's key and IV (or salt) from the key block.
TrafficKeys tls12_traffic_keys(const Suite12Info& suite, const Secret& key, const Secret& iv);

// What both sides know once the handshake is complete; kept for the life of
// the connection (the handshake state itself is freed).
struct SessionInfo {
  // RFC 8446 4.6.2: the client offered post-handshake authentication (and,
  // for a client, asked to); each exchange's transcript starts from this
  // one, which ends with the client's Finished.
  bool post_handshake_auth = false;
  std::optional<Transcript> pha_transcript;
  uint16_t version = 0;
  // The hellos' randoms (the server's of the ServerHello that counted, not a
  // HelloRetryRequest's): SSL_get_client_random, SSL_get_server_random and
  // the TLS 1.2 exporter (RFC 5705 4).
  Random client_random{};
  Random server_random{};
  const SuiteInfo* suite = nullptr;      // TLS 1.3
  const Suite12Info* suite12 = nullptr;  // TLS 1.2
  // TLS 1.2: RFC 5746 secure renegotiation and RFC 7627 extended master secret
  // were negotiated; the Finished values of the last handshake (for the next
  // renegotiation_info); the master secret (the TLS 1.2 exporter's; in TLS
  // 1.3 the Master Secret, kept only until the first KeyUpdate: see
  // exporter_transcript).
  bool secure_renegotiation = false;
  bool extended_master_secret = false;
  ByteVec client_verify_data;
  ByteVec server_verify_data;
  Secret master_secret;
  NamedGroup group{};
  std::optional<SignatureScheme> peer_scheme;
  ByteVec alpn;
  std::string server_name;  // a client's SNI as the server saw it, or what a client sent
  std::vector<crypto::Certificate> peer_chain;
  // A server: the certificate sent in this handshake, as an index into the
  // Config::certificates of the configuration it ran with (the connection's
  // own after a ClientHello hook's switch; Connection::config()). An index,
  // not a copy: copying a Certificate copies its DER. SSL_get_certificate.
  std::optional<size_t> own_certificate;
  // A client: the certificate authorities the server named in its
  // CertificateRequest (DER DistinguishedNames; SSL_get_client_CA_list).
  std::vector<ByteVec> peer_ca_names;
  long verify_result = 0;  // X509_V_OK (0) or the X509_V_ERR_* code
  // With VerifyMode::none the chain is checked only if someone asks for the
  // result (SSL_get_verify_result): the check costs as much as a signature.
  bool verify_deferred = false;
  std::string verify_host;
  crypto::Purpose verify_purpose = crypto::Purpose::server;
  Secret client_app_secret;
  Secret server_app_secret;
  // TLS 1.3: the exporter_master_secret (RFC 8446 7.1) is Derive-Secret(
  // Master Secret, "exp master", this hash of the transcript through the
  // server's Finished). Until the traffic keys first change it is derived on
  // each export (SSL_export_keying_material) from `master_secret` (TLS 1.3's
  // Master Secret here) and this hash, so a handshake never exported from
  // does not pay for it. At the first KeyUpdate either way it is derived into
  // `exporter_secret` and the other two are wiped (settle_exporter_secret):
  // together they would give back the traffic secrets the update replaced.
  Secret exporter_transcript;
  Secret exporter_secret;
  Secret resumption_secret;
  bool hello_retry = false;
  // The handshake resumed a session (TLS 1.3: with a ticket's PSK, RFC 8446
  // 2.2; TLS 1.2: the abbreviated handshake of RFC 5246 7.3, by session id
  // or RFC 5077 ticket): no certificates went either way; peer_chain and
  // verify_result are the original connection's.
  bool resumed = false;
  // TLS 1.2: the ServerHello's session id (empty: none), and, for a client,
  // the session it can resume later (a session id or a ticket came), made
  // when the handshake completes; the connection takes it
  // (Connection::tickets).
  ByteVec session_id;
  std::optional<StoredTicket> resumable12;
  // A server: the client offered 0-RTT data, which was skipped (RFC 8446
  // 4.2.10: rapidtls never accepts it).
  bool early_data_rejected = false;
  // The OCSP response stapled to the server's certificate (RFC 6066 8): what
  // a client received, what a server sent; empty: none.
  ByteVec ocsp_response;
};

enum class Role : uint8_t { client, server };

class Handshake {
 public:
  virtual ~Handshake() = default;
  // A client queues its ClientHello; a server does nothing.
  virtual Status start(HandshakeIo& io) = 0;
  // One whole handshake message: its type, its body and the whole message
  // (header included, for the transcript).
  virtual Status on_message(HandshakeIo& io, HandshakeType type, Bytes body, Bytes whole) = 0;
  virtual bool done() const = 0;
  // The name of the current state, for errors and logs.
  virtual const char* state_name() const = 0;
  // Whether a change_cipher_spec record may arrive now (RFC 8446 5: after the
  // first ClientHello, before the peer's Finished).
  virtual bool ccs_allowed() const = 0;
  // TLS 1.2: the peer's change_cipher_spec (RFC 5246 7.1) switches the read
  // keys. Anywhere else it is unexpected.
  virtual Status on_change_cipher_spec(HandshakeIo&) {
    return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_CCS_MESSAGE};
  }
  // TLS 1.2: true while a change_cipher_spec is the next record expected.
  virtual bool expects_change_cipher_spec() const { return false; }

  // The connection's callbacks (never owned; never null).
  void set_callbacks(ConnectionCallbacks* callbacks) { callbacks_ = callbacks; }
  // Replaces the configuration between two steps (the C interface changes
  // only how the peer's chain is verified, as SSL_set_verify may at any time).
  void set_config(std::shared_ptr<const Config> config) { config_ = std::move(config); }

  SessionInfo& session() { return session_; }
  const SessionInfo& session() const { return session_; }
  const Random& client_random() const { return client_random_; }

 protected:
  explicit Handshake(std::shared_ptr<const Config> config) : config_(std::move(config)) {}
  void keylog(std::string_view label, const Secret& secret) const;

  std::shared_ptr<const Config> config_;
  SessionInfo session_;
  Random client_random_{};
  ConnectionCallbacks* callbacks_ = &no_callbacks();
};

// A TLS 1.2 renegotiation runs a new handshake inside the connection; it
// carries the previous handshake's Finished values (RFC 5746 3.5, 3.7).
struct Renegotiation {
  ByteVec client_verify_data;
  ByteVec server_verify_data;
};

struct ClientOptions {
  std::string
      server_name;  // sent as SNI (unless an IP literal) and checked against the certificate
  std::string verify_host;  // overrides server_name for the certificate check when non-empty
  // Whether server_name is checked against the certificate when verify_host
  // is empty. The C interface turns it off: OpenSSL checks only the names
  // given with SSL_set1_host (or the SSL's X509_VERIFY_PARAM), never SNI.
  bool check_server_name = true;
  // TLS 1.3: a ticket to offer for resumption (RFC 8446 4.2.11). Offered
  // only when its suite is one the client offers; when the server does not
  // take it, the handshake is a full one.
  std::optional<StoredTicket> resume = std::nullopt;
  // RFC 7507: this connection is a fallback (a retry at a lower version after
  // a failure): the ClientHello carries TLS_FALLBACK_SCSV, so that a server
  // that can do better refuses it (SSL_MODE_SEND_FALLBACK_SCSV).
  bool send_fallback_scsv = false;

  // The name the server's certificate is checked against (empty: none).
  const std::string& checked_host() const {
    static const std::string kNone;
    if (!verify_host.empty()) return verify_host;
    return check_server_name ? server_name : kNone;
  }
};

std::unique_ptr<Handshake> make_client_handshake(std::shared_ptr<const Config> config,
                                                 ClientOptions options,
                                                 std::optional<Renegotiation> reneg = {});
std::unique_ptr<Handshake> make_server_handshake(std::shared_ptr<const Config> config,
                                                 std::optional<Renegotiation> reneg = {});

// Checks a peer's chain against the config's trust store now (config.trust
// set), with the connection's verification parameters, calling
// config.verify_callback (through callbacks.on_verify) when there is one.
crypto::TrustStore::Outcome verify_peer_chain(const Config& config,
                                              const std::vector<crypto::Certificate>& chain,
                                              const std::string& host, crypto::Purpose purpose,
                                              ConnectionCallbacks& callbacks = no_callbacks());

// RFC 8446 4.4.3: the content a CertificateVerify signs.
ByteVec certificate_verify_content(Role signer, Bytes transcript_hash);

}  // namespace rapidtls::handshake
