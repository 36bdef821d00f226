// The TLS 1.2 server (RFC 5246 7.3, ECDHE per RFC 8422, secure renegotiation
// per RFC 5746, extended master secret per RFC 7627):
//
//   START --ClientHello--> send ServerHello Certificate ServerKeyExchange
//       [CertificateRequest] ServerHelloDone --> WAIT_CERT | WAIT_CKE
//   WAIT_CERT --Certificate--> WAIT_CKE --ClientKeyExchange--> WAIT_CV | WAIT_CCS
//   WAIT_CV --CertificateVerify--> WAIT_CCS --ChangeCipherSpec--> WAIT_FINISHED
//   WAIT_FINISHED --Finished, send [NewSessionTicket] ChangeCipherSpec
//       Finished--> CONNECTED
//
// Resuming a session (by RFC 5077 ticket or session id from the cache):
//
//   START --ClientHello--> send ServerHello ChangeCipherSpec Finished --> WAIT_CCS
//   WAIT_CCS --ChangeCipherSpec--> WAIT_FINISHED --Finished--> CONNECTED
#include <algorithm>
#include <cstring>

#include "handshake/certificate_choice.h"
#include "handshake/extensions.h"
#include "handshake/messages12.h"
#include "handshake/server_internal.h"

namespace rapidtls::handshake::internal {

using detail::to_vec;

Status ServerHandshake::on_client_hello12(HandshakeIo& io, const ClientHello& ch, Bytes whole) {
  const Config& cfg = *config_;
  // RFC 5246 7.4.1.2: the list MUST contain null (OpenSSL: decode_error otherwise).
  if (!contains(ch.legacy_compression_methods, uint8_t{0})) {
    return Error{Alert::decode_error, SSL_R_NO_COMPRESSION_SPECIFIED};
  }
  if (cfg.certificate() == nullptr) return Error{Alert::internal_error, SSL_R_NO_CERTIFICATE_SET};

  // RFC 5746 3.6 / 3.7: secure renegotiation is signalled by the extension
  // (or, at first, the SCSV); a renegotiation must carry our last Finished.
  bool secure_reneg = contains(ch.cipher_suites, kEmptyRenegotiationInfoScsv);
  bool ems = false;
  std::vector<uint16_t> client_groups;
  std::vector<uint16_t> client_schemes;
  std::optional<std::vector<ByteVec>> offered_alpn;
  std::string server_name;
  bool sni = false;
  bool point_formats = false;
  std::optional<ByteVec> ticket;  // RFC 5077 3.2: the client's session_ticket (maybe empty)
  bool ocsp_requested = false;    // RFC 6066 8
  for (const auto& e : ch.extensions) {
    switch (static_cast<ExtensionType>(e.type)) {
      case ExtensionType::renegotiation_info: {
        RTLS_ASSIGN(ByteVec info, parse_renegotiation_info(e.body));
        const ByteVec want = reneg_ ? reneg_->client_verify_data : ByteVec{};
        if (!ct_equal(info, want)) {
          return Error{Alert::handshake_failure, SSL_R_RENEGOTIATION_MISMATCH};
        }
        secure_reneg = true;
        break;
      }
      case ExtensionType::extended_master_secret:
        RTLS_TRY(expect_empty(e.body));
        ems = true;
        break;
      case ExtensionType::supported_groups: {
        RTLS_ASSIGN(client_groups, parse_u16_list(e.body));
        break;
      }
      case ExtensionType::signature_algorithms: {
        RTLS_ASSIGN(client_schemes, parse_u16_list(e.body));
        break;
      }
      case ExtensionType::ec_point_formats:
        RTLS_TRY(check_ec_point_formats(e.body));
        point_formats = true;
        break;
      case ExtensionType::server_name: {
        RTLS_ASSIGN(server_name, parse_server_name_ch(e.body));
        sni = true;
        break;
      }
      case ExtensionType::status_request: {
        RTLS_ASSIGN(ocsp_requested, parse_status_request_ch(e.body));
        break;
      }
      case ExtensionType::application_layer_protocol_negotiation: {
        RTLS_ASSIGN(std::vector<ByteVec> protos, parse_alpn(e.body));
        offered_alpn = std::move(protos);
        break;
      }
      case ExtensionType::session_ticket:
        ticket = to_vec(e.body);
        break;
      // Read only to be checked, as OpenSSL does.
      case ExtensionType::signature_algorithms_cert:  // RFC 8446 4.2.3
        RTLS_TRY(parse_u16_list(e.body));
        break;
      case ExtensionType::max_fragment_length:  // RFC 6066 4
        RTLS_TRY(check_max_fragment_length(e.body));
        break;
      default:
        break;  // others are ignored (RFC 5246 7.4.1.4)
    }
  }
  if (reneg_ && (!secure_reneg || contains(ch.cipher_suites, kEmptyRenegotiationInfoScsv))) {
    return Error{Alert::handshake_failure, SSL_R_RENEGOTIATION_MISMATCH};
  }
  // A renegotiation is always a full handshake here.
  if (!reneg_) {
    RTLS_ASSIGN(std::optional<StoredTicket> previous, find_session12(ch, ticket, ems, server_name));
    if (previous) {
      std::optional<ByteVec> alpn;
      if (offered_alpn) {
        RTLS_ASSIGN(alpn, detail::choose_alpn(cfg, *callbacks_, *offered_alpn));
      }
      return resume12(io, ch, whole, std::move(*previous), secure_reneg, point_formats,
                      std::move(alpn));
    }
  }

  // The suite (ours first, offered by the client) and a certificate of its
  // type the client can take, with its scheme (certificate_choice.h).
  RTLS_ASSIGN(const detail::CertificateChoice12 choice,
              detail::choose_certificate12(cfg, ch.cipher_suites, client_schemes, client_groups));
  const CertifiedKey& key = cfg.certificates[choice.index];
  const std::optional<SignatureScheme> scheme = choice.scheme;
  const Suite12Info* suite = choice.suite;
  // RFC 8422 4: without supported_groups the client takes any curve; we pick ours.
  std::optional<NamedGroup> group;
  for (NamedGroup g : cfg.groups) {
    if (crypto::group_supported(g) &&
        (client_groups.empty() || contains(client_groups, static_cast<uint16_t>(g)))) {
      group = g;
      break;
    }
  }
  // No ECDHE suite is usable then: OpenSSL's reason is no shared cipher.
  if (!group) return Error{Alert::handshake_failure, SSL_R_NO_SHARED_CIPHER};
  std::optional<ByteVec> alpn;
  if (offered_alpn) {
    RTLS_ASSIGN(alpn, detail::choose_alpn(cfg, *callbacks_, *offered_alpn));
  }

  client_random_ = ch.random;
  session_.version = kTls12;
  session_.suite12 = suite;
  session_.own_certificate = choice.index;
  // RFC 6066 8: the certificate's OCSP response, when the client asked.
  if (ocsp_requested) {
    RTLS_ASSIGN(std::optional<ByteVec> staple, callbacks_->on_ocsp_staple(choice.index));
    if (staple && !staple->empty()) session_.ocsp_response = std::move(*staple);
  }
  session_.group = *group;
  session_.secure_renegotiation = secure_reneg;
  session_.extended_master_secret = ems;
  session_.server_name = server_name;
  if (alpn) session_.alpn = *alpn;
  io.set_version(kTls12);
  RTLS_TRY(transcript_.set_hash(suite->hash));
  add12(whole);

  // ServerHello. RFC 8446 4.1.3: a server that could do TLS 1.3 marks the
  // downgrade in the last 8 bytes of its random.
  ServerHello sh;
  cfg.rng->fill(sh.random);
  if (cfg.max_version >= kTls13) {
    std::memcpy(sh.random.data() + 24, kDowngradeTls12, sizeof kDowngradeTls12);
  }
  server_random_ = sh.random;
  session_.client_random = client_random_;
  session_.server_random = sh.random;
  // RFC 5077 3.3: a ticket will carry the session when the client asked for
  // one; else, with a cache, a new session id names it (RFC 5246 7.4.1.3).
  // Only sessions with the extended master secret are resumed (RFC 7627 5.3).
  ticket_expected12_ =
      ems && ticket && cfg.ticket_issuer != nullptr && cfg.ticket_issuer->issues12() && !reneg_;
  if (ems && !ticket_expected12_ && cfg.session_cache12 && !reneg_) {
    session_.session_id.resize(32);
    cfg.rng->fill(session_.session_id);
  }
  sh.legacy_session_id_echo = session_.session_id;
  sh.cipher_suite = suite->id;
  auto add = [&sh](ExtensionType t, ByteVec body) {
    sh.extensions.push_back({static_cast<uint16_t>(t), std::move(body)});
  };
  if (secure_reneg) {
    ByteVec info;
    if (reneg_) {
      info = reneg_->client_verify_data;
      info.insert(info.end(), reneg_->server_verify_data.begin(), reneg_->server_verify_data.end());
    }
    RTLS_ASSIGN(ByteVec body, encode_renegotiation_info(info));
    add(ExtensionType::renegotiation_info, std::move(body));
  }
  if (ems) add(ExtensionType::extended_master_secret, {});
  // RFC 5246 7.4.1.4: only extensions the client offered; RFC 8422 5.2:
  // ec_point_formats answers the client's.
  if (point_formats) add(ExtensionType::ec_point_formats, encode_ec_point_formats());
  if (sni && !server_name.empty() && sni_ack_) add(ExtensionType::server_name, {});
  if (alpn) {
    RTLS_ASSIGN(ByteVec body, encode_alpn({*alpn}));
    add(ExtensionType::application_layer_protocol_negotiation, std::move(body));
  }
  if (ticket_expected12_) add(ExtensionType::session_ticket, {});
  if (!session_.ocsp_response.empty()) add(ExtensionType::status_request, {});
  ByteVec sh_msg;
  RTLS_TRY(sh.serialize(sh_msg));
  RTLS_TRY(send12(io, sh_msg));

  Certificate12 cert;
  for (const auto& c : key.chain) cert.certificate_list.push_back(to_vec(c.der()));
  ByteVec cert_msg;
  RTLS_TRY(cert.serialize(cert_msg));
  RTLS_TRY(send12(io, cert_msg));
  if (!session_.ocsp_response.empty()) {
    ByteVec status_msg;
    RTLS_ASSIGN(const ByteVec status, encode_certificate_status(session_.ocsp_response));
    RTLS_TRY(write_handshake(status_msg, static_cast<HandshakeType>(kCertificateStatus), status));
    RTLS_TRY(send12(io, status_msg));
  }

  // RFC 8422 5.4: our ECDHE key, signed with both randoms.
  RTLS_ASSIGN(crypto::KeyShare share, crypto::KeyShare::generate(*group, *cfg.rng));
  ServerKeyExchange ske;
  ske.named_group = static_cast<uint16_t>(*group);
  ske.public_key = to_vec(share.public_key());
  ske.signature_algorithm = static_cast<uint16_t>(*scheme);
  ByteVec signed_content(client_random_.begin(), client_random_.end());
  signed_content.insert(signed_content.end(), server_random_.begin(), server_random_.end());
  RTLS_ASSIGN(const ByteVec params, ske.params());
  signed_content.insert(signed_content.end(), params.begin(), params.end());
  RTLS_ASSIGN(ske.signature, key.signer->sign12(*scheme, signed_content));
  share12_.emplace(std::move(share));
  ByteVec ske_msg;
  RTLS_TRY(ske.serialize(ske_msg));
  RTLS_TRY(send12(io, ske_msg));

  if (wants_client_certificate12()) {
    CertificateRequest12 cr;
    cr.certificate_types = {64, 1};  // ecdsa_sign, rsa_sign
    for (SignatureScheme s : cfg.signature_schemes) {
      cr.signature_algorithms.push_back(static_cast<uint16_t>(s));
    }
    cr.certificate_authorities = cfg.client_ca_names;  // RFC 5246 7.4.4
    ByteVec cr_msg;
    RTLS_TRY(cr.serialize(cr_msg));
    RTLS_TRY(send12(io, cr_msg));
  }
  ServerHelloDone shd;
  ByteVec shd_msg;
  RTLS_TRY(shd.serialize(shd_msg));
  RTLS_TRY(send12(io, shd_msg));
  state_ = wants_client_certificate12() ? ServerState::wait_client_certificate12
                                        : ServerState::wait_client_key_exchange;
  return {};
}

Status ServerHandshake::on_client_certificate12(HandshakeIo&, Bytes body, Bytes whole) {
  RTLS_ASSIGN(Certificate12 msg, Certificate12::parse(body));
  add12(whole);
  if (msg.certificate_list.empty()) {
    // RFC 5246 7.4.6: a server that requires one fails the handshake.
    if (config_->verify == VerifyMode::require) {
      return Error{Alert::handshake_failure, SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE};
    }
    state_ = ServerState::wait_client_key_exchange;
    return {};
  }
  RTLS_ASSIGN(session_.peer_chain,
              detail::certificate_chain12(msg.certificate_list, config_->cert_cache.get()));
  RTLS_TRY(detail::verify_chain(*config_, session_.peer_chain, "", crypto::Purpose::client,
                                session_, *callbacks_));
  state_ = ServerState::wait_client_key_exchange;
  return {};
}

Status ServerHandshake::on_client_key_exchange(HandshakeIo&, Bytes body, Bytes whole) {
  const Suite12Info& suite = *session_.suite12;
  RTLS_ASSIGN(ClientKeyExchange cke, ClientKeyExchange::parse(body));
  RTLS_ASSIGN(Secret pre_master, share12_->derive(cke.public_key));
  share12_.reset();
  add12(whole);
  RTLS_ASSIGN(Secret session_hash, transcript_.current());
  RTLS_ASSIGN(
      session_.master_secret,
      crypto::tls12_master_secret(suite.hash, pre_master.bytes(), client_random_, server_random_,
                                  session_.extended_master_secret, session_hash.bytes()));
  keylog("CLIENT_RANDOM", session_.master_secret);
  RTLS_ASSIGN(key_block_, crypto::tls12_key_block(suite.hash, session_.master_secret.bytes(),
                                                  client_random_, server_random_,
                                                  crypto::aead_key_size(suite.aead), suite.iv_len));
  client_keys12_ = KeyBlockKeys{key_block_.client_key, key_block_.client_iv};
  state_ = session_.peer_chain.empty() ? ServerState::wait_change_cipher_spec12
                                       : ServerState::wait_client_certificate_verify12;
  return {};
}

Status ServerHandshake::on_client_certificate_verify12(HandshakeIo&, Bytes body, Bytes whole) {
  RTLS_ASSIGN(CertificateVerify cv, CertificateVerify::parse(body));
  const auto scheme = static_cast<SignatureScheme>(cv.algorithm);
  if (!contains(config_->signature_schemes, scheme)) {
    return Error{Alert::illegal_parameter, SSL_R_WRONG_SIGNATURE_TYPE};
  }
  RTLS_ASSIGN(crypto::PublicKey key, crypto::PublicKey::from_certificate(session_.peer_chain[0]));
  if (!key.compatible(scheme, crypto::SchemeRules::tls12)) {
    return Error{Alert::illegal_parameter, SSL_R_WRONG_SIGNATURE_TYPE};
  }
  // RFC 5246 7.4.8: the signature covers every handshake message before it.
  RTLS_TRY(key.verify(scheme, raw12_, cv.signature, crypto::SchemeRules::tls12));
  session_.peer_scheme = scheme;
  add12(whole);
  state_ = ServerState::wait_change_cipher_spec12;
  return {};
}

Status ServerHandshake::on_change_cipher_spec(HandshakeIo& io) {
  if (state_ != ServerState::wait_change_cipher_spec12 || !client_keys12_) {
    return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_CCS_MESSAGE};
  }
  RTLS_TRY(io.set_read_keys(
      tls12_traffic_keys(*session_.suite12, client_keys12_->key, client_keys12_->iv),
      Epoch::application));
  client_keys12_.reset();
  state_ = ServerState::wait_client_finished12;
  return {};
}

Status ServerHandshake::on_client_finished12(HandshakeIo& io, Bytes body, Bytes whole) {
  const Config& cfg = *config_;
  const Suite12Info& suite = *session_.suite12;
  RTLS_ASSIGN(Secret th, transcript_.current());
  RTLS_ASSIGN(
      session_.client_verify_data,
      detail::check_finished12(suite, session_.master_secret, /*client=*/true, th.bytes(), body));
  add12(whole);
  if (resumed12_) {  // our Finished went first
    raw12_.clear();
    raw12_.shrink_to_fit();
    state_ = ServerState::connected;
    return {};
  }

  if (ticket_expected12_) {
    // RFC 5077 3.3: after the client's Finished, before our ChangeCipherSpec;
    // a zero-length ticket when the issuer declines.
    RTLS_ASSIGN(
        NewSessionTicket12 nst,
        cfg.ticket_issuer->issue12(session_state12(), cfg.clock->now_ms(), *cfg.rng, *callbacks_));
    ByteVec nst_msg;
    RTLS_TRY(nst.serialize(nst_msg));
    RTLS_TRY(send12(io, nst_msg));
  } else if (!session_.session_id.empty()) {
    cfg.session_cache12->add(session_state12(), *callbacks_);
  }

  RTLS_ASSIGN(session_.server_verify_data,
              detail::send_ccs_and_finished12(io, suite, session_.master_secret, /*client=*/false,
                                              key_block_.server_key, key_block_.server_iv,
                                              transcript_, raw12_));
  key_block_ = crypto::KeyBlock12();
  raw12_.clear();
  raw12_.shrink_to_fit();
  state_ = ServerState::connected;
  return {};
}

StoredTicket ServerHandshake::session_state12() const {
  StoredTicket t;
  t.version = kTls12;
  t.suite = session_.suite12->id;
  t.psk = session_.master_secret;
  t.session_id = session_.session_id;
  t.extended_master_secret = session_.extended_master_secret;
  t.sid_ctx = config_->session_id_context;
  t.server_name = session_.server_name;
  t.received_ms = config_->clock->now_ms();
  if (!session_.peer_chain.empty()) {
    t.peer_chain = std::make_shared<const std::vector<crypto::Certificate>>(session_.peer_chain);
  }
  t.verify_result = session_.verify_result;
  return t;
}

Result<std::optional<StoredTicket>> ServerHandshake::find_session12(
    const ClientHello& ch, const std::optional<ByteVec>& ticket, bool ems,
    const std::string& server_name) const {
  const Config& cfg = *config_;
  const uint64_t now = cfg.clock->now_ms();
  std::optional<StoredTicket> s;
  if (ticket && !ticket->empty() && cfg.ticket_issuer && cfg.ticket_issuer->issues12()) {
    s = cfg.ticket_issuer->open12(*ticket, now, *callbacks_);
  }
  // RFC 5077 3.4: with a ticket the session id is the client's own; a cache
  // that does not know it finds nothing.
  if (!s && !ch.legacy_session_id.empty() && cfg.session_cache12) {
    s = cfg.session_cache12->find(ch.legacy_session_id, *callbacks_);
  }
  if (!s || s->version != kTls12) return std::optional<StoredTicket>();
  if (cfg.session_id_context_required && cfg.verify != VerifyMode::none &&
      cfg.session_id_context.empty()) {
    return Error{Alert::internal_error, SSL_R_SESSION_ID_CONTEXT_UNINITIALIZED};
  }
  // RFC 7627 5.3: a session with the extended master secret resumed without
  // it is an attack; one without it (never made by rapidtls) is not resumed.
  if (s->extended_master_secret && !ems) {
    return Error{Alert::handshake_failure, SSL_R_INCONSISTENT_EXTMS};
  }
  const Suite12Info* suite = suite12_info(s->suite);
  // RFC 5246 7.4.1.2: the session's suite must be among the client's (and
  // still one of ours); the same session id context; RFC 6066 3: the same
  // server name. A server that requires a client certificate resumes only a
  // session that had one.
  if (!s->extended_master_secret || suite == nullptr || !contains(ch.cipher_suites, s->suite) ||
      !contains(cfg.cipher_suites12, s->suite) || s->sid_ctx != cfg.session_id_context ||
      s->server_name != server_name || (cfg.verify == VerifyMode::require && s->chain().empty())) {
    return std::optional<StoredTicket>();
  }
  return s;
}

Status ServerHandshake::resume12(HandshakeIo& io, const ClientHello& ch, Bytes whole,
                                 StoredTicket previous, bool secure_reneg, bool point_formats,
                                 std::optional<ByteVec> alpn) {
  const Config& cfg = *config_;
  const Suite12Info& suite = *suite12_info(previous.suite);
  client_random_ = ch.random;
  session_.version = kTls12;
  session_.suite12 = &suite;
  session_.secure_renegotiation = secure_reneg;
  session_.extended_master_secret = true;
  session_.server_name = previous.server_name;
  if (alpn) session_.alpn = *alpn;
  session_.resumed = true;
  session_.session_id = ch.legacy_session_id;  // RFC 5077 3.4: echoed
  session_.master_secret = std::move(previous.psk);
  session_.peer_chain = previous.chain();
  session_.verify_result = previous.verify_result;
  io.set_version(kTls12);
  RTLS_TRY(transcript_.set_hash(suite.hash));
  add12(whole);

  ServerHello sh;
  cfg.rng->fill(sh.random);
  if (cfg.max_version >= kTls13) {
    std::memcpy(sh.random.data() + 24, kDowngradeTls12, sizeof kDowngradeTls12);
  }
  server_random_ = sh.random;
  session_.client_random = client_random_;
  session_.server_random = sh.random;
  sh.legacy_session_id_echo = session_.session_id;
  sh.cipher_suite = suite.id;
  auto add = [&sh](ExtensionType t, ByteVec body) {
    sh.extensions.push_back({static_cast<uint16_t>(t), std::move(body)});
  };
  if (secure_reneg) {
    RTLS_ASSIGN(ByteVec body, encode_renegotiation_info({}));
    add(ExtensionType::renegotiation_info, std::move(body));
  }
  add(ExtensionType::extended_master_secret, {});
  if (point_formats) add(ExtensionType::ec_point_formats, encode_ec_point_formats());
  // RFC 6066 3: no server_name when resuming.
  if (alpn) {
    RTLS_ASSIGN(ByteVec body, encode_alpn({*alpn}));
    add(ExtensionType::application_layer_protocol_negotiation, std::move(body));
  }
  ByteVec sh_msg;
  RTLS_TRY(sh.serialize(sh_msg));
  RTLS_TRY(send12(io, sh_msg));

  // RFC 5246 6.3: new keys from the session's master secret and both new randoms.
  RTLS_ASSIGN(
      crypto::KeyBlock12 kb,
      crypto::tls12_key_block(suite.hash, session_.master_secret.bytes(), client_random_,
                              server_random_, crypto::aead_key_size(suite.aead), suite.iv_len));
  client_keys12_ = KeyBlockKeys{kb.client_key, kb.client_iv};
  RTLS_ASSIGN(session_.server_verify_data,
              detail::send_ccs_and_finished12(io, suite, session_.master_secret, /*client=*/false,
                                              kb.server_key, kb.server_iv, transcript_, raw12_));
  keylog("CLIENT_RANDOM", session_.master_secret);
  resumed12_ = true;
  state_ = ServerState::wait_change_cipher_spec12;
  return {};
}

}  // namespace rapidtls::handshake::internal
