// The TLS 1.2 client (RFC 5246 7.3, ECDHE per RFC 8422, secure renegotiation
// per RFC 5746, extended master secret per RFC 7627):
//
//   WAIT_SH --ServerHello--> WAIT_CERT --Certificate--> WAIT_SKE
//   WAIT_SKE --ServerKeyExchange--> WAIT_CR_OR_SHD
//   WAIT_CR_OR_SHD --CertificateRequest--> WAIT_SHD --ServerHelloDone-->
//   WAIT_CR_OR_SHD --ServerHelloDone--> send [Certificate] ClientKeyExchange
//       [CertificateVerify] ChangeCipherSpec Finished --> WAIT_CCS
//       --> WAIT_NST (a ticket was promised) | WAIT_CCS
//   WAIT_NST --NewSessionTicket--> WAIT_CCS
//   WAIT_CCS --ChangeCipherSpec--> WAIT_FINISHED --Finished--> CONNECTED
//
// Resuming a session (RFC 5246 7.3; RFC 5077 3.1 with a ticket):
//
//   WAIT_SH --ServerHello echoing our session id--> WAIT_NST | WAIT_CCS
//   WAIT_FINISHED --Finished, send ChangeCipherSpec Finished--> CONNECTED
#include <algorithm>

#include "crypto/prf12.h"
#include "handshake/client_internal.h"
#include "handshake/extensions.h"
#include "handshake/messages12.h"

namespace rapidtls::handshake::internal {

using detail::to_vec;

namespace {

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

void ClientHandshake::add_tls12_extensions(Extensions& exts) const {
  auto add = [&exts](ExtensionType type, ByteVec body) {
    exts.push_back({static_cast<uint16_t>(type), std::move(body)});
  };
  add(ExtensionType::ec_point_formats, encode_ec_point_formats());
  add(ExtensionType::extended_master_secret, {});
  // RFC 5746 3.4 / 3.5: empty on the first handshake, our last Finished when
  // renegotiating.
  // (12 bytes at most: it cannot outgrow its 8-bit length.)
  add(ExtensionType::renegotiation_info,
      encode_renegotiation_info(reneg_ ? Bytes(reneg_->client_verify_data) : Bytes()).value());
  // RFC 5077 3.2: the ticket we offer, or empty to ask for one.
  if (config_->session_tickets12 || (offer12_ && !options_.resume->ticket.empty())) {
    add(ExtensionType::session_ticket, offer12_ ? options_.resume->ticket : ByteVec());
  }
}

Status ClientHandshake::on_server_hello12(HandshakeIo& io, const ServerHello& sh, Bytes whole) {
  const Config& cfg = *config_;
  // RFC 8446 4.1.3: a TLS 1.3 server that negotiates TLS 1.2 says so in the
  // last bytes of its random; a client that offered 1.3 refuses the downgrade.
  if (tls13_allowed() &&
      std::equal(std::begin(kDowngradeTls12), std::end(kDowngradeTls12), sh.random.end() - 8)) {
    return Error{Alert::illegal_parameter, SSL_R_INAPPROPRIATE_FALLBACK};
  }
  const Suite12Info* suite = suite12_info(sh.cipher_suite);
  if (suite == nullptr || !contains(cfg.cipher_suites12, sh.cipher_suite)) {
    return Error{Alert::illegal_parameter, SSL_R_WRONG_CIPHER_RETURNED};
  }
  if (sh.legacy_compression_method != 0) {
    return Error{Alert::illegal_parameter, SSL_R_UNSUPPORTED_COMPRESSION_ALGORITHM};
  }
  bool secure_reneg = false;
  for (const auto& e : sh.extensions) {
    const auto t = static_cast<ExtensionType>(e.type);
    if (!offered(t)) return Error{Alert::unsupported_extension, SSL_R_UNSOLICITED_EXTENSION};
    switch (t) {
      case ExtensionType::renegotiation_info: {
        // RFC 5746 3.4 / 3.5: empty at first; then both Finished values.
        RTLS_ASSIGN(ByteVec info, parse_renegotiation_info(e.body));
        ByteVec want;
        if (reneg_) {
          want = reneg_->client_verify_data;
          want.insert(want.end(), reneg_->server_verify_data.begin(),
                      reneg_->server_verify_data.end());
        }
        if (!ct_equal(info, want)) {
          return Error{Alert::handshake_failure, SSL_R_RENEGOTIATION_MISMATCH};
        }
        secure_reneg = true;
        break;
      }
      case ExtensionType::extended_master_secret:
        RTLS_TRY(expect_empty(e.body));
        session_.extended_master_secret = true;
        break;
      case ExtensionType::ec_point_formats:
        RTLS_TRY(check_ec_point_formats(e.body));
        break;
      case ExtensionType::server_name:
        RTLS_TRY(expect_empty(e.body));
        break;
      case ExtensionType::application_layer_protocol_negotiation: {
        RTLS_ASSIGN(std::vector<ByteVec> protos, parse_alpn(e.body));
        if (protos.size() != 1 || !contains(cfg.alpn, protos[0])) {
          return Error{Alert::illegal_parameter, SSL_R_BAD_EXTENSION};
        }
        session_.alpn = protos[0];
        break;
      }
      case ExtensionType::session_ticket:  // RFC 5077 3.2: empty in a ServerHello
        RTLS_TRY(expect_empty(e.body));
        ticket_expected12_ = true;
        break;
      case ExtensionType::status_request:  // RFC 6066 8: empty in a ServerHello
        RTLS_TRY(expect_empty(e.body));
        status_expected12_ = true;
        break;
      case ExtensionType::supported_groups:  // offered, so allowed (RFC 5246 7.4.1.4); ignored
        break;
      default:
        return Error{Alert::illegal_parameter, SSL_R_BAD_EXTENSION};
    }
  }
  // RFC 5746 3.5: a renegotiation needs the server's renegotiation_info.
  if (reneg_ && !secure_reneg) return Error{Alert::handshake_failure, SSL_R_NO_RENEGOTIATION};
  // RFC 5746 4.1 leaves connecting to a server without it to the client's
  // policy; OpenSSL 3.0 refuses unless SSL_OP_LEGACY_SERVER_CONNECT.
  if (!reneg_ && !secure_reneg && !cfg.legacy_server_connect) {
    return Error{Alert::handshake_failure, SSL_R_UNSAFE_LEGACY_RENEGOTIATION_DISABLED};
  }
  session_.secure_renegotiation = secure_reneg;
  session_.version = kTls12;
  session_.suite12 = suite;
  io.set_version(kTls12);
  server_random_ = sh.random;
  session_.client_random = client_random_;
  session_.server_random = sh.random;
  shares_.clear();                              // TLS 1.2 makes its key after ServerKeyExchange
  RTLS_TRY(transcript_.set_hash(suite->hash));  // hashes the ClientHello kept so far
  raw12_ = std::move(client_hello_);
  add12(whole);
  // RFC 5246 7.4.1.3: the server resumes by echoing the session id we sent;
  // an id we made up for TLS 1.3 (RFC 8446 D.4) cannot come back.
  const bool echoed = !sh.legacy_session_id_echo.empty() && !session_id_.empty() &&
                      ct_equal(sh.legacy_session_id_echo, session_id_);
  if (echoed) {
    if (!offer12_) return Error{Alert::illegal_parameter, SSL_R_INVALID_SESSION_ID};
    return resume12(sh);
  }
  session_.session_id = sh.legacy_session_id_echo;
  state_ = ClientState::wait_certificate12;
  return {};
}

Status ClientHandshake::resume12(const ServerHello& sh) {
  const StoredTicket& t = *options_.resume;
  const Suite12Info& suite = *session_.suite12;
  if (sh.cipher_suite != t.suite) {
    return Error{Alert::illegal_parameter, SSL_R_OLD_SESSION_CIPHER_NOT_RETURNED};
  }
  // RFC 7627 5.3: the session had the extended master secret; so must this.
  if (!session_.extended_master_secret) {
    return Error{Alert::handshake_failure, SSL_R_INCONSISTENT_EXTMS};
  }
  session_.resumed = true;
  session_.session_id = sh.legacy_session_id_echo;
  session_.master_secret = t.psk;
  session_.peer_chain = t.chain();
  session_.verify_result = t.verify_result;
  session_.verify_deferred = t.verify_deferred;
  keylog("CLIENT_RANDOM", session_.master_secret);
  RTLS_ASSIGN(
      crypto::KeyBlock12 kb,
      crypto::tls12_key_block(suite.hash, session_.master_secret.bytes(), client_random_,
                              server_random_, crypto::aead_key_size(suite.aead), suite.iv_len));
  server_keys12_ = KeyBlockKeys{kb.server_key, kb.server_iv};
  client_keys12_ = KeyBlockKeys{kb.client_key, kb.client_iv};
  state_ = ticket_expected12_ ? ClientState::wait_new_session_ticket12
                              : ClientState::wait_change_cipher_spec12;
  return {};
}

Status ClientHandshake::on_new_session_ticket12(HandshakeIo&, Bytes body, Bytes whole) {
  RTLS_ASSIGN(NewSessionTicket12 nst, NewSessionTicket12::parse(body));
  add12(whole);  // RFC 5077 3.3: part of the Finished hashes
  ticket12_ = std::move(nst);
  state_ = ClientState::wait_change_cipher_spec12;
  return {};
}

void ClientHandshake::keep_session12() {
  // RFC 5077 3.3: a zero-length ticket is none (the server declined).
  const bool has_ticket = ticket12_ && !ticket12_->ticket.empty();
  // A resumption that brought no new ticket keeps the session it resumed.
  if (!session_.extended_master_secret || (session_.resumed && !has_ticket)) return;
  if (!has_ticket && session_.session_id.empty()) return;  // the server keeps nothing
  StoredTicket t;
  t.version = kTls12;
  t.suite = session_.suite12->id;
  t.psk = session_.master_secret;
  t.session_id = session_.session_id;
  t.extended_master_secret = true;
  if (has_ticket) {
    t.ticket = std::move(ticket12_->ticket);
    t.lifetime_s = ticket12_->lifetime_hint;
  }
  t.peer_chain = std::make_shared<const std::vector<crypto::Certificate>>(session_.peer_chain);
  t.verify_result = session_.verify_result;
  t.verify_deferred = session_.verify_deferred;
  t.verified_host = options_.checked_host();
  t.server_name = session_.server_name;
  t.received_ms = config_->clock->now_ms();
  session_.resumable12 = std::move(t);
}

Status ClientHandshake::on_certificate12(HandshakeIo&, Bytes body, Bytes whole) {
  RTLS_ASSIGN(Certificate12 msg, Certificate12::parse(body));
  if (msg.certificate_list.empty()) {
    return Error{Alert::decode_error, SSL_R_NO_CERTIFICATES_RETURNED};
  }
  RTLS_ASSIGN(session_.peer_chain,
              detail::certificate_chain12(msg.certificate_list, config_->cert_cache.get()));
  const std::string& host = options_.checked_host();
  RTLS_TRY(detail::verify_chain(*config_, session_.peer_chain, host, crypto::Purpose::server,
                                session_, *callbacks_));
  add12(whole);
  state_ = ClientState::wait_server_key_exchange;
  return {};
}

Status ClientHandshake::on_server_key_exchange(HandshakeIo&, Bytes body, Bytes whole) {
  const Config& cfg = *config_;
  RTLS_ASSIGN(ServerKeyExchange ske, ServerKeyExchange::parse(body));
  const auto group = static_cast<NamedGroup>(ske.named_group);
  if (!contains(cfg.groups, group) || !crypto::group_supported(group)) {
    return Error{Alert::illegal_parameter, SSL_R_WRONG_CURVE};
  }
  // RFC 5246 7.4.3: the signature covers both randoms and the parameters.
  const auto scheme = static_cast<SignatureScheme>(ske.signature_algorithm);
  if (!contains(cfg.signature_schemes, scheme)) {
    return Error{Alert::illegal_parameter, SSL_R_WRONG_SIGNATURE_TYPE};
  }
  RTLS_ASSIGN(crypto::PublicKey key, crypto::PublicKey::from_certificate(session_.peer_chain[0]));
  // RFC 8422 5.1.1 / RFC 5246 7.4.1.4.1: an ECDSA scheme names the hash;
  // the certificate's key may be on any curve we support.
  const bool ecdsa_suite = session_.suite12->auth == Auth12::ecdsa;
  if (ecdsa_suite != detail::scheme_is_ecdsa_auth12(scheme) ||
      !key.compatible(scheme, crypto::SchemeRules::tls12)) {
    return Error{Alert::illegal_parameter, SSL_R_WRONG_SIGNATURE_TYPE};
  }
  // RFC 8422 5.1.1: the certificate's curve is one of the groups we offered.
  if (const uint16_t curve = key.ec_group_id();
      curve != 0 && !contains(cfg.groups, static_cast<NamedGroup>(curve))) {
    return Error{Alert::illegal_parameter, SSL_R_WRONG_CURVE};
  }
  ByteVec signed_content(client_random_.begin(), client_random_.end());
  signed_content.insert(signed_content.end(), server_random_.begin(), server_random_.end());
  RTLS_ASSIGN(const ByteVec params, ske.params());
  signed_content.insert(signed_content.end(), params.begin(), params.end());
  RTLS_TRY(key.verify(scheme, signed_content, ske.signature, crypto::SchemeRules::tls12));
  session_.peer_scheme = scheme;

  RTLS_ASSIGN(crypto::KeyShare share, crypto::KeyShare::generate(group, *cfg.rng));
  RTLS_ASSIGN(pre_master_, share.derive(ske.public_key));
  session_.group = group;
  shares_.push_back(std::move(share));
  add12(whole);
  state_ = ClientState::wait_cert_request_or_done12;
  return {};
}

Status ClientHandshake::on_certificate_request12(HandshakeIo&, Bytes body, Bytes whole) {
  RTLS_ASSIGN(CertificateRequest12 cr, CertificateRequest12::parse(body));
  server_sigalgs_for_us_ = cr.signature_algorithms;
  RTLS_TRY(check_distinguished_names(cr.certificate_authorities));
  session_.peer_ca_names = std::move(cr.certificate_authorities);
  certificate_requested12_ = true;
  add12(whole);
  state_ = ClientState::wait_server_hello_done;
  return {};
}

Status ClientHandshake::on_certificate_status12(HandshakeIo&, Bytes body, Bytes whole) {
  // RFC 6066 8: only after a ServerHello with status_request, once.
  if (!status_expected12_) return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_MESSAGE};
  status_expected12_ = false;
  RTLS_ASSIGN(session_.ocsp_response, parse_certificate_status(body));
  add12(whole);
  return {};
}

Status ClientHandshake::on_server_hello_done(HandshakeIo& io, Bytes body, Bytes whole) {
  RTLS_ASSIGN(ServerHelloDone shd, ServerHelloDone::parse(body));
  (void)shd;
  // The server's certificate and its status (if any) are in.
  RTLS_TRY(check_ocsp());
  add12(whole);
  const Config& cfg = *config_;
  const Suite12Info& suite = *session_.suite12;

  // RFC 5246 7.4.6: a certificate if asked for (possibly none), then the key
  // exchange, then CertificateVerify if we sent a certificate.
  const CertifiedKey* key = nullptr;
  std::optional<SignatureScheme> scheme;
  std::optional<CertifiedKey> supplied;
  if (certificate_requested12_) {
    RTLS_ASSIGN(const CertifiedKey* mine, detail::client_certificate(cfg, *callbacks_, supplied));
    if (mine != nullptr && mine->signer) {
      scheme =
          detail::choose_scheme12(cfg.signature_schemes, server_sigalgs_for_us_, *mine->signer);
      if (scheme) key = mine;
    }
    Certificate12 cert;
    if (key != nullptr) {
      for (const auto& c : key->chain) cert.certificate_list.push_back(to_vec(c.der()));
    }
    ByteVec msg;
    RTLS_TRY(cert.serialize(msg));
    add12(msg);
    RTLS_TRY(io.send_message(msg));
  }
  ClientKeyExchange cke;
  cke.public_key = to_vec(shares_.at(0).public_key());
  ByteVec cke_msg;
  RTLS_TRY(cke.serialize(cke_msg));
  add12(cke_msg);
  RTLS_TRY(io.send_message(cke_msg));
  shares_.clear();

  // RFC 7627 4: the session hash covers the messages through ClientKeyExchange.
  RTLS_ASSIGN(Secret session_hash, transcript_.current());
  RTLS_ASSIGN(
      session_.master_secret,
      crypto::tls12_master_secret(suite.hash, pre_master_.bytes(), client_random_, server_random_,
                                  session_.extended_master_secret, session_hash.bytes()));
  pre_master_ = Secret();
  keylog("CLIENT_RANDOM", session_.master_secret);

  if (key != nullptr) {
    // RFC 5246 7.4.8: sign every handshake message so far.
    RTLS_ASSIGN(ByteVec sig, key->signer->sign12(*scheme, raw12_));
    CertificateVerify cv;
    cv.algorithm = static_cast<uint16_t>(*scheme);
    cv.signature = std::move(sig);
    ByteVec cv_msg;
    RTLS_TRY(cv.serialize(cv_msg));
    add12(cv_msg);
    RTLS_TRY(io.send_message(cv_msg));
  }

  RTLS_ASSIGN(
      crypto::KeyBlock12 kb,
      crypto::tls12_key_block(suite.hash, session_.master_secret.bytes(), client_random_,
                              server_random_, crypto::aead_key_size(suite.aead), suite.iv_len));
  server_keys12_ = KeyBlockKeys{kb.server_key, kb.server_iv};
  RTLS_ASSIGN(session_.client_verify_data,
              detail::send_ccs_and_finished12(io, suite, session_.master_secret, /*client=*/true,
                                              kb.client_key, kb.client_iv, transcript_, raw12_));
  state_ = ticket_expected12_ ? ClientState::wait_new_session_ticket12
                              : ClientState::wait_change_cipher_spec12;
  return {};
}

Status ClientHandshake::on_change_cipher_spec(HandshakeIo& io) {
  if (state_ != ClientState::wait_change_cipher_spec12 || !server_keys12_) {
    return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_CCS_MESSAGE};
  }
  RTLS_TRY(io.set_read_keys(
      tls12_traffic_keys(*session_.suite12, server_keys12_->key, server_keys12_->iv),
      Epoch::application));
  server_keys12_.reset();
  state_ = ClientState::wait_finished12;
  return {};
}

Status ClientHandshake::on_finished12(HandshakeIo& io, Bytes body, Bytes whole) {
  const Suite12Info& suite = *session_.suite12;
  RTLS_ASSIGN(Secret th, transcript_.current());
  RTLS_ASSIGN(session_.server_verify_data,
              detail::check_finished12(suite, session_.master_secret,
                                       /*client=*/false, th.bytes(), body));
  add12(whole);
  if (session_.resumed) {
    // RFC 5246 7.3: in the abbreviated handshake the client's Finished is last.
    RTLS_ASSIGN(session_.client_verify_data,
                detail::send_ccs_and_finished12(io, suite, session_.master_secret, /*client=*/true,
                                                client_keys12_->key, client_keys12_->iv,
                                                transcript_, raw12_));
    client_keys12_.reset();
  }
  keep_session12();
  raw12_.clear();
  raw12_.shrink_to_fit();
  state_ = ClientState::connected;
  return {};
}

}  // namespace rapidtls::handshake::internal
