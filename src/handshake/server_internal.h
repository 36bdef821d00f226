// The server handshake's state machine, shared by server.cc (TLS 1.3) and
// server12.cc (TLS 1.2). Internal to handshake/.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "crypto/prf12.h"
#include "handshake/client_internal.h"
#include "handshake/common.h"
#include "handshake/handshake.h"

namespace rapidtls::handshake::internal {

enum class ServerState : uint8_t {
  wait_client_hello,
  // TLS 1.2 (RFC 5246 7.3)
  wait_client_certificate12,
  wait_client_key_exchange,
  wait_client_certificate_verify12,
  wait_change_cipher_spec12,
  wait_client_finished12,
  // TLS 1.3
  wait_second_client_hello,
  wait_client_certificate,
  wait_client_certificate_verify,
  wait_client_finished,
  connected,
};

inline const char* server_state_name(ServerState s) {
  switch (s) {
    case ServerState::wait_client_hello:
      return "server START";
    case ServerState::wait_client_certificate12:
      return "server TLS1.2 WAIT_CERT";
    case ServerState::wait_client_key_exchange:
      return "server TLS1.2 WAIT_CKE";
    case ServerState::wait_client_certificate_verify12:
      return "server TLS1.2 WAIT_CV";
    case ServerState::wait_change_cipher_spec12:
      return "server TLS1.2 WAIT_CCS";
    case ServerState::wait_client_finished12:
      return "server TLS1.2 WAIT_FINISHED";
    case ServerState::wait_second_client_hello:
      return "server WAIT_CH2";
    case ServerState::wait_client_certificate:
      return "server WAIT_CERT";
    case ServerState::wait_client_certificate_verify:
      return "server WAIT_CV";
    case ServerState::wait_client_finished:
      return "server WAIT_FINISHED";
    case ServerState::connected:
      return "server CONNECTED";
  }
  return "server ?";
}

template <class T>
inline bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// What the server decided from a ClientHello.
struct Negotiated {
  const SuiteInfo* suite = nullptr;
  std::optional<NamedGroup> share_group;  // a group the client sent a share for
  std::optional<NamedGroup> retry_group;  // else a mutual group to ask for (HRR)
  ByteVec client_share;
  std::optional<SignatureScheme> scheme;
  size_t certificate = 0;  // the one sent, in Config::certificates
  std::optional<ByteVec> alpn;
  std::string server_name;
  bool sni_received = false;
  std::optional<uint16_t> peer_record_limit;
  bool ocsp_requested = false;  // RFC 6066 8 / RFC 8446 4.4.2.1
  // RFC 8446 4.2.11: the offered PSK taken for resumption, by index.
  std::optional<uint16_t> psk_index;
  Secret psk;
  // The client the ticket's connection authenticated (none: it sent no certificate).
  std::shared_ptr<const std::vector<crypto::Certificate>> peer_chain;
  long peer_verify_result = 0;
};

class ServerHandshake final : public Handshake {
 public:
  ServerHandshake(std::shared_ptr<const Config> config, std::optional<Renegotiation> reneg)
      : Handshake(std::move(config)), reneg_(std::move(reneg)) {}

  Status start(HandshakeIo&) override { return {}; }
  Status on_message(HandshakeIo& io, HandshakeType type, Bytes body, Bytes whole) override;
  bool done() const override { return state_ == ServerState::connected; }
  const char* state_name() const override { return server_state_name(state_); }
  bool ccs_allowed() const override {
    return state_ != ServerState::wait_client_hello && state_ != ServerState::connected;
  }
  Status on_change_cipher_spec(HandshakeIo& io) override;
  bool expects_change_cipher_spec() const override {
    return state_ == ServerState::wait_change_cipher_spec12;
  }

 private:
  using Handler = Status (ServerHandshake::*)(HandshakeIo&, Bytes body, Bytes whole);
  struct Transition {
    ServerState state;
    HandshakeType type;
    Handler handler;
  };
  static const Transition kTransitions[];

  Status on_client_hello(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_client_certificate(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_client_certificate_verify(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_client_finished(HandshakeIo& io, Bytes body, Bytes whole);

  Result<Negotiated> negotiate(const ClientHello& ch) const;
  // Takes a ticket the client offers, when this server issued it, it is still
  // valid and its suite's hash is the negotiated one: sets n.psk_index and
  // n.psk, after checking that offer's binder over `whole` (the ClientHello
  // as received). Leaves n as it is for a full handshake.
  static Status check_unused_extensions13(const ClientHello& ch);
  // Checks the offered PSKs' binders; leaves schedule_ at the Early Secret of
  // the one taken (n.psk).
  Status accept_psk(const ClientHello& ch, Bytes whole, Negotiated& n);
  Status send_hello_retry_request(HandshakeIo& io, const ClientHello& ch, const Negotiated& n);
  Status send_server_flight(HandshakeIo& io, const ClientHello& ch, const Negotiated& n);
  Status send_message(HandshakeIo& io, const ByteVec& msg) {
    transcript_.add(msg);
    return io.send_message(msg);
  }
  Status send_tickets(HandshakeIo& io);

  // TLS 1.2 (server12.cc).
  Status on_client_hello12(HandshakeIo& io, const ClientHello& ch, Bytes whole);
  Status on_client_certificate12(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_client_key_exchange(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_client_certificate_verify12(HandshakeIo& io, Bytes body, Bytes whole);
  Status on_client_finished12(HandshakeIo& io, Bytes body, Bytes whole);
  Status send12(HandshakeIo& io, const ByteVec& msg) {
    add12(msg);
    return io.send_message(msg);
  }
  void add12(Bytes message) {
    transcript_.add(message);
    raw12_.insert(raw12_.end(), message.begin(), message.end());
  }
  // TLS 1.2 resumption (RFC 5246 7.3, RFC 5077 3.4, RFC 7627 5.3): the
  // session the client offers (its ticket, else its session id), when this
  // server made it and may resume it now; nullopt for a full handshake.
  Result<std::optional<StoredTicket>> find_session12(const ClientHello& ch,
                                                     const std::optional<ByteVec>& ticket, bool ems,
                                                     const std::string& server_name) const;
  // The abbreviated handshake: ServerHello, ChangeCipherSpec, Finished.
  Status resume12(HandshakeIo& io, const ClientHello& ch, Bytes whole, StoredTicket previous,
                  bool secure_reneg, bool point_formats, std::optional<ByteVec> alpn);
  // The session a full handshake made, to cache or seal into a ticket.
  StoredTicket session_state12() const;
  // TLS 1.3: during the handshake unless only after it; TLS 1.2 always.
  bool wants_client_certificate() const {
    return config_->verify != VerifyMode::none && !config_->client_auth_after_handshake;
  }
  bool wants_client_certificate12() const { return config_->verify != VerifyMode::none; }
  // ConnectionCallbacks::on_client_hello on the first ClientHello (SNI callback).
  Status run_client_hello_hook(HandshakeIo& io, const ClientHello& ch);
  bool sni_ack_ = true;  // the hook may ask for no server_name acknowledgement

  ServerState state_ = ServerState::wait_client_hello;
  Transcript transcript_;
  std::optional<KeySchedule> schedule_;
  Secret client_hs_secret_;
  Secret server_hs_secret_;
  Secret client_finished_key_;  // RFC 8446 4.4.4, from client_hs_secret_
  Secret server_finished_key_;  // from server_hs_secret_
  std::optional<NamedGroup> hrr_group_;
  uint16_t hrr_suite_ = 0;
  bool sent_ccs_ = false;

  // TLS 1.2 state.
  std::optional<Renegotiation> reneg_;
  ByteVec raw12_;
  Random server_random_{};
  std::optional<crypto::KeyShare> share12_;
  std::optional<KeyBlockKeys> client_keys12_;  // installed at the client's change_cipher_spec
  crypto::KeyBlock12 key_block_;
  bool resumed12_ = false;          // the abbreviated handshake
  bool ticket_expected12_ = false;  // a NewSessionTicket goes before our ChangeCipherSpec
};

}  // namespace rapidtls::handshake::internal
