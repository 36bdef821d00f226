// The client handshake's state machine, shared by client.cc (TLS 1.3) and
// client12.cc (TLS 1.2). Internal to handshake/.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "common/host.h"
#include "handshake/common.h"
#include "handshake/handshake.h"

namespace rapidtls::handshake::internal {

// TLS 1.2 keys for one direction, kept between the key block and the switch.
struct KeyBlockKeys {
  Secret key;
  Secret iv;
};

enum class ClientState : uint8_t {
  start,
  // TLS 1.2 (RFC 5246 7.3)
  wait_certificate12,
  wait_server_key_exchange,
  wait_cert_request_or_done12,
  wait_server_hello_done,
  wait_new_session_ticket12,
  wait_change_cipher_spec12,
  wait_finished12,
  // TLS 1.3
  wait_server_hello,
  wait_encrypted_extensions,
  wait_cert_or_cert_request,
  wait_certificate,
  wait_certificate_verify,
  wait_finished,
  connected,
};

inline const char* client_state_name(ClientState s) {
  switch (s) {
    case ClientState::start:
      return "client START";
    case ClientState::wait_certificate12:
      return "client TLS1.2 WAIT_CERT";
    case ClientState::wait_server_key_exchange:
      return "client TLS1.2 WAIT_SKE";
    case ClientState::wait_cert_request_or_done12:
      return "client TLS1.2 WAIT_CR_OR_SHD";
    case ClientState::wait_server_hello_done:
      return "client TLS1.2 WAIT_SHD";
    case ClientState::wait_new_session_ticket12:
      return "client TLS1.2 WAIT_NST";
    case ClientState::wait_change_cipher_spec12:
      return "client TLS1.2 WAIT_CCS";
    case ClientState::wait_finished12:
      return "client TLS1.2 WAIT_FINISHED";
    case ClientState::wait_server_hello:
      return "client WAIT_SH";
    case ClientState::wait_encrypted_extensions:
      return "client WAIT_EE";
    case ClientState::wait_cert_or_cert_request:
      return "client WAIT_CERT_CR";
    case ClientState::wait_certificate:
      return "client WAIT_CERT";
    case ClientState::wait_certificate_verify:
      return "client WAIT_CV";
    case ClientState::wait_finished:
      return "client WAIT_FINISHED";
    case ClientState::connected:
      return "client CONNECTED";
  }
  return "client ?";
}

class ClientHandshake final : public Handshake {
 public:
  ClientHandshake(std::shared_ptr<const Config> config, ClientOptions options,
                  std::optional<Renegotiation> reneg)
      : Handshake(std::move(config)), options_(std::move(options)), reneg_(std::move(reneg)) {}

  Status start(HandshakeIo& io) override;
  Status on_message(HandshakeIo& io, HandshakeType type, Bytes body, Bytes whole) override;
  bool done() const override { return state_ == ClientState::connected; }
  const char* state_name() const override { return client_state_name(state_); }
  // RFC 8446 D.4: the compatibility change_cipher_spec is a TLS 1.3 thing; a
  // client that offered TLS 1.2 only takes none before the ServerHello (as
  // OpenSSL: unexpected_message).
  bool ccs_allowed() const override {
    return state_ != ClientState::start && state_ != ClientState::connected && tls13_allowed();
  }
  Status on_change_cipher_spec(HandshakeIo& io) override;
  bool expects_change_cipher_spec() const override {
    return state_ == ClientState::wait_change_cipher_spec12;
  }

 private:
  using Handler = Status (ClientHandshake::*)(HandshakeIo&, Bytes body, Bytes whole);
  struct Transition {
    ClientState state;
    HandshakeType type;
    Handler handler;
  };
  // RFC 8446 A.1, one row per message a state accepts.
  static const Transition kTransitions[];

  Status on_server_hello(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_hello_retry_request(HandshakeIo& io, const ServerHello& hrr, Bytes whole);
  Status on_encrypted_extensions(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_certificate_request(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_certificate(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_certificate_verify(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_finished(HandshakeIo& io, Bytes body, Bytes whole);

  // TLS 1.2 (client12.cc).
  bool tls12_allowed() const { return config_->min_version <= kTls12 || reneg_.has_value(); }
  bool tls13_allowed() const { return config_->max_version >= kTls13 && !reneg_; }
  void add_tls12_extensions(Extensions& exts) const;
  Status on_server_hello12(HandshakeIo& io, const ServerHello& sh, Bytes whole);
  Status on_certificate12(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_server_key_exchange(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_certificate_request12(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_server_hello_done(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_finished12(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_new_session_ticket12(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_certificate_status12(HandshakeIo& io, Bytes body, Bytes whole);
  // ConnectionCallbacks::on_ocsp_response on the stapled response (none: empty), once the
  // server's certificate is in.
  Status check_ocsp() const;
  // The ServerHello took the offered TLS 1.2 session (options_.resume): the
  // abbreviated handshake follows (RFC 5246 7.3).
  Status resume12(const ServerHello& sh);
  // After our Finished (resumption: after the server's): the session to
  // resume later, when the server named it (session id or ticket).
  void keep_session12();
  void add12(Bytes message) {
    transcript_.add(message);
    raw12_.insert(raw12_.end(), message.begin(), message.end());
  }

  Status send_client_hello(HandshakeIo& io);
  // RFC 8446 4.2.11: appends pre_shared_key with options_.resume's ticket to
  // `ch`, serialized into `msg` with its binder over the truncated message.
  Status add_psk(ClientHello& ch, ByteVec& msg);
  // Whether a kept ticket may be offered on this connection (a deferred
  // check of its chain is made here when this client verifies).
  bool may_offer(StoredTicket& t) const;
  Status send_client_auth(HandshakeIo& io);
  bool offered(ExtensionType t) const {
    return std::find(offered_extensions_.begin(), offered_extensions_.end(),
                     static_cast<uint16_t>(t)) != offered_extensions_.end();
  }

  ClientOptions options_;
  ClientState state_ = ClientState::start;
  ByteVec session_id_;
  std::vector<crypto::KeyShare> shares_;
  std::vector<uint16_t> offered_extensions_;
  ByteVec cookie_;
  std::optional<uint16_t> hrr_suite_;
  const SuiteInfo* psk_suite_ = nullptr;  // the offered ticket's suite, while it is offered
  bool resumed_ = false;                  // the server took it
  bool sent_ccs_ = false;
  Transcript transcript_;
  std::optional<KeySchedule> schedule_;
  Secret client_hs_secret_;
  Secret server_hs_secret_;
  Secret client_finished_key_;  // RFC 8446 4.4.4, from client_hs_secret_
  Secret server_finished_key_;  // from server_hs_secret_
  std::optional<CertificateRequest> cert_request_;
  std::vector<uint16_t> server_sigalgs_for_us_;

  // TLS 1.2 state.
  std::optional<Renegotiation> reneg_;
  ByteVec client_hello_;  // kept until the version is known
  ByteVec raw12_;         // every handshake message, for CertificateVerify
  Random server_random_{};
  Secret pre_master_;
  std::optional<KeyBlockKeys> server_keys12_;  // installed at the server's change_cipher_spec
  std::optional<KeyBlockKeys> client_keys12_;  // resumption: installed after the server's Finished
  bool certificate_requested12_ = false;
  bool offer12_ = false;            // options_.resume is a TLS 1.2 session, offered
  bool ticket_expected12_ = false;  // RFC 5077 3.2: the server will send a NewSessionTicket
  // RFC 6066 8: the ServerHello's status_request: a CertificateStatus may
  // follow the Certificate (once).
  bool status_expected12_ = false;
  std::optional<NewSessionTicket12> ticket12_;
};

}  // namespace rapidtls::handshake::internal
