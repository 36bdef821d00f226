// The TLS 1.3 client (RFC 8446 Appendix A.1):
//
//   START --send ClientHello--> WAIT_SH --HelloRetryRequest, send ClientHello2--> WAIT_SH
//   WAIT_SH --ServerHello--> WAIT_EE --EncryptedExtensions--> WAIT_CERT_CR
//   WAIT_CERT_CR --CertificateRequest--> WAIT_CERT --Certificate--> WAIT_CV
//   WAIT_CERT_CR --Certificate--> WAIT_CV --CertificateVerify--> WAIT_FINISHED
//   WAIT_FINISHED --Finished, send [Certificate [CertificateVerify]] Finished--> CONNECTED
#include <algorithm>
#include <optional>

#include "handshake/client_internal.h"
#include "handshake/extensions.h"
#include "handshake/messages12.h"

namespace rapidtls::handshake::internal {

namespace {

bool is_known_extension(uint16_t type) {
  switch (static_cast<ExtensionType>(type)) {
    case ExtensionType::server_name:
    case ExtensionType::max_fragment_length:
    case ExtensionType::status_request:
    case ExtensionType::supported_groups:
    case ExtensionType::ec_point_formats:
    case ExtensionType::signature_algorithms:
    case ExtensionType::use_srtp:
    case ExtensionType::heartbeat:
    case ExtensionType::application_layer_protocol_negotiation:
    case ExtensionType::signed_certificate_timestamp:
    case ExtensionType::client_certificate_type:
    case ExtensionType::server_certificate_type:
    case ExtensionType::padding:
    case ExtensionType::encrypt_then_mac:
    case ExtensionType::extended_master_secret:
    case ExtensionType::record_size_limit:
    case ExtensionType::session_ticket:
    case ExtensionType::pre_shared_key:
    case ExtensionType::early_data:
    case ExtensionType::supported_versions:
    case ExtensionType::cookie:
    case ExtensionType::psk_key_exchange_modes:
    case ExtensionType::certificate_authorities:
    case ExtensionType::oid_filters:
    case ExtensionType::post_handshake_auth:
    case ExtensionType::signature_algorithms_cert:
    case ExtensionType::key_share:
    case ExtensionType::renegotiation_info:
      return true;
  }
  return false;
}

// Responses a ServerHello may carry in TLS 1.3 (pre_shared_key) or in TLS 1.2 (RFC 6066,
// 7301, 6962, 8449), leaving out those of TLS 1.2 only, which a TLS 1.3 one never does.
bool may_answer_in_server_hello(ExtensionType t) {
  switch (t) {
    case ExtensionType::server_name:
    case ExtensionType::max_fragment_length:
    case ExtensionType::status_request:
    case ExtensionType::use_srtp:
    case ExtensionType::heartbeat:
    case ExtensionType::application_layer_protocol_negotiation:
    case ExtensionType::signed_certificate_timestamp:
    case ExtensionType::record_size_limit:
    case ExtensionType::pre_shared_key:
      return true;
    default:
      return false;
  }
}

// RFC 8446 4.2: extensions of its table that never appear in EncryptedExtensions.
bool never_in_encrypted_extensions(ExtensionType t) {
  switch (t) {
    case ExtensionType::status_request:
    case ExtensionType::signature_algorithms:
    case ExtensionType::signed_certificate_timestamp:
    case ExtensionType::padding:
    case ExtensionType::pre_shared_key:
    case ExtensionType::supported_versions:
    case ExtensionType::cookie:
    case ExtensionType::psk_key_exchange_modes:
    case ExtensionType::certificate_authorities:
    case ExtensionType::oid_filters:
    case ExtensionType::post_handshake_auth:
    case ExtensionType::signature_algorithms_cert:
    case ExtensionType::key_share:
      return true;
    default:
      return false;
  }
}

}  // namespace

using detail::to_vec;

const ClientHandshake::Transition ClientHandshake::kTransitions[] = {
    {ClientState::wait_server_hello, HandshakeType::server_hello,
     &ClientHandshake::on_server_hello},
    {ClientState::wait_encrypted_extensions, HandshakeType::encrypted_extensions,
     &ClientHandshake::on_encrypted_extensions},
    {ClientState::wait_cert_or_cert_request, HandshakeType::certificate_request,
     &ClientHandshake::on_certificate_request},
    {ClientState::wait_cert_or_cert_request, HandshakeType::certificate,
     &ClientHandshake::on_certificate},
    {ClientState::wait_certificate, HandshakeType::certificate, &ClientHandshake::on_certificate},
    {ClientState::wait_certificate_verify, HandshakeType::certificate_verify,
     &ClientHandshake::on_certificate_verify},
    {ClientState::wait_finished, HandshakeType::finished, &ClientHandshake::on_finished},
    // TLS 1.2, RFC 5246 7.3.
    {ClientState::wait_certificate12, HandshakeType::certificate,
     &ClientHandshake::on_certificate12},
    {ClientState::wait_server_key_exchange, static_cast<HandshakeType>(kServerKeyExchange),
     &ClientHandshake::on_server_key_exchange},
    {ClientState::wait_server_key_exchange, static_cast<HandshakeType>(kCertificateStatus),
     &ClientHandshake::on_certificate_status12},
    {ClientState::wait_cert_request_or_done12, HandshakeType::certificate_request,
     &ClientHandshake::on_certificate_request12},
    {ClientState::wait_cert_request_or_done12, static_cast<HandshakeType>(kServerHelloDone),
     &ClientHandshake::on_server_hello_done},
    {ClientState::wait_server_hello_done, static_cast<HandshakeType>(kServerHelloDone),
     &ClientHandshake::on_server_hello_done},
    {ClientState::wait_new_session_ticket12, HandshakeType::new_session_ticket,
     &ClientHandshake::on_new_session_ticket12},
    {ClientState::wait_finished12, HandshakeType::finished, &ClientHandshake::on_finished12},
};

Status ClientHandshake::on_message(HandshakeIo& io, HandshakeType type, Bytes body, Bytes whole) {
  for (const auto& t : kTransitions) {
    if (t.state == state_ && t.type == type) return (this->*t.handler)(io, body, whole);
  }
  return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_MESSAGE};
}

Status ClientHandshake::start(HandshakeIo& io) {
  if (state_ != ClientState::start) return internal_error();
  const Config& cfg = *config_;
  // No version left to offer (the C interface's SSL_OP_NO_TLSv1_2 and _3).
  if (cfg.min_version > cfg.max_version) {
    return Error{Alert::internal_error, SSL_R_NO_PROTOCOLS_AVAILABLE};
  }
  cfg.rng->fill(client_random_);
  if (cfg.middlebox_compat && tls13_allowed()) {
    session_id_.resize(32);
    cfg.rng->fill(session_id_);
  }
  const size_t shares =
      !tls13_allowed() ? 0
                       : std::max<size_t>(1, std::min(cfg.client_key_shares, cfg.groups.size()));
  for (size_t i = 0; i < shares; ++i) {
    RTLS_ASSIGN(crypto::KeyShare share, crypto::KeyShare::generate(cfg.groups[i], *cfg.rng));
    shares_.push_back(std::move(share));
  }
  session_.server_name = options_.server_name;
  if (options_.resume && options_.resume->version == kTls13 && tls13_allowed() &&
      may_offer(*options_.resume)) {
    psk_suite_ = suite_info(options_.resume->suite);
  }
  // TLS 1.2 (RFC 5246 7.4.1.2, RFC 5077 3.4): the session's id, or with a
  // ticket an id of our own, by which the ServerHello says it resumes.
  // Offered in a ClientHello that also offers TLS 1.3, as its
  // legacy_session_id (a TLS 1.3 server echoes it and ignores the rest).
  if (options_.resume && options_.resume->version == kTls12 && tls12_allowed() && !reneg_ &&
      may_offer(*options_.resume)) {
    offer12_ = true;
    if (!options_.resume->ticket.empty()) {
      session_id_.resize(32);
      cfg.rng->fill(session_id_);
    } else {
      session_id_ = options_.resume->session_id;
    }
  }
  RTLS_TRY(send_client_hello(io));
  state_ = ClientState::wait_server_hello;
  return {};
}

Status ClientHandshake::send_client_hello(HandshakeIo& io) {
  const Config& cfg = *config_;
  ClientHello ch;
  ch.random = client_random_;
  ch.legacy_session_id = session_id_;
  if (tls13_allowed()) {
    for (uint16_t s : cfg.cipher_suites) {
      if (suite_info(s) != nullptr) ch.cipher_suites.push_back(s);
    }
  }
  if (tls12_allowed()) {
    for (uint16_t s : cfg.cipher_suites12) {
      if (suite12_info(s) != nullptr) ch.cipher_suites.push_back(s);
    }
  }
  if (ch.cipher_suites.empty()) return Error{Alert::internal_error, SSL_R_NO_CIPHERS_AVAILABLE};
  // RFC 7507 4: last, never in a renegotiation's ClientHello.
  if (options_.send_fallback_scsv && !reneg_) ch.cipher_suites.push_back(kFallbackScsv);

  auto add = [&ch](ExtensionType type, ByteVec body) {
    ch.extensions.push_back({static_cast<uint16_t>(type), std::move(body)});
  };
  if (!options_.server_name.empty() && !is_ip_literal(options_.server_name)) {
    add(ExtensionType::server_name, encode_server_name_ch(options_.server_name));
  }
  std::vector<uint16_t> groups;
  for (NamedGroup g : cfg.groups) groups.push_back(static_cast<uint16_t>(g));
  add(ExtensionType::supported_groups, encode_u16_list(groups));
  std::vector<uint16_t> schemes;
  for (SignatureScheme s : cfg.signature_schemes) schemes.push_back(static_cast<uint16_t>(s));
  add(ExtensionType::signature_algorithms, encode_u16_list(schemes));
  if (!cfg.alpn.empty()) {
    RTLS_ASSIGN(ByteVec alpn, encode_alpn(cfg.alpn));
    add(ExtensionType::application_layer_protocol_negotiation, std::move(alpn));
  }
  if (cfg.request_ocsp) add(ExtensionType::status_request, encode_status_request_ch());
  // RFC 8446 4.2.6: an empty extension; TLS 1.2 servers ignore it.
  if (cfg.post_handshake_auth && tls13_allowed()) add(ExtensionType::post_handshake_auth, {});
  if (tls13_allowed()) {
    std::vector<KeyShareEntry> entries;
    for (const auto& share : shares_) {
      entries.push_back({static_cast<uint16_t>(share.group()), to_vec(share.public_key())});
    }
    add(ExtensionType::key_share, encode_key_share_ch(entries));
    add(ExtensionType::psk_key_exchange_modes,
        encode_psk_key_exchange_modes({static_cast<uint8_t>(PskKeyExchangeMode::psk_dhe_ke)}));
    add(ExtensionType::supported_versions,
        encode_supported_versions_ch(tls12_allowed() ? std::vector<uint16_t>{kTls13, kTls12}
                                                     : std::vector<uint16_t>{kTls13}));
  }
  if (tls12_allowed()) add_tls12_extensions(ch.extensions);
  if (cfg.record_size_limit) {
    add(ExtensionType::record_size_limit, encode_record_size_limit(*cfg.record_size_limit));
  }
  if (!cookie_.empty()) add(ExtensionType::cookie, encode_cookie(cookie_));
  if (cfg.test_hooks.client_hello_extensions) cfg.test_hooks.client_hello_extensions(ch.extensions);

  ByteVec msg;
  if (psk_suite_ != nullptr) {
    RTLS_TRY(add_psk(ch, msg));  // last (RFC 8446 4.2.11), serialized with its binder
  } else {
    RTLS_TRY(ch.serialize(msg));
  }
  offered_extensions_.clear();
  for (const auto& e : ch.extensions) offered_extensions_.push_back(e.type);
  transcript_.add(msg);
  client_hello_ = msg;
  return io.send_message(msg);
}

bool ClientHandshake::may_offer(StoredTicket& t) const {
  const Config& cfg = *config_;
  // For the name it was issued under (RFC 8446 4.6.1: the original
  // certificate was checked for that name), with a suite this client offers.
  // A TLS 1.2 session: by its ticket or its id, only with the extended
  // master secret (RFC 7627 5.3), its lifetime the ticket's hint if any.
  const bool tls12 = t.version == kTls12;
  const auto& suites = tls12 ? cfg.cipher_suites12 : cfg.cipher_suites;
  if (t.server_name != options_.server_name ||
      (t.ticket.empty() && (!tls12 || t.session_id.empty())) ||
      (tls12 && !t.extended_master_secret) ||
      std::find(suites.begin(), suites.end(), t.suite) == suites.end()) {
    return false;
  }
  // Within its lifetime (4.6.1); the server would refuse it anyway.
  const uint64_t now = cfg.clock->now_ms();
  if ((t.lifetime_s == 0 && !tls12) || now < t.received_ms ||
      (t.lifetime_s != 0 && now - t.received_ms > uint64_t{t.lifetime_s} * 1000)) {
    return false;
  }
  // A client that verifies resumes only a server whose chain verified, for
  // the host name it checks now: a resumption does not verify again.
  if (cfg.verify != VerifyMode::none) {
    const std::string& host = options_.checked_host();
    if (t.verified_host != host) return false;
    if (t.verify_deferred) {
      // The connection it came on did not verify: verify now, once.
      t.verify_deferred = false;
      t.verify_result = cfg.trust ? verify_peer_chain(cfg, t.chain(), t.verified_host,
                                                      crypto::Purpose::server, *callbacks_)
                                        .verify_result
                                  : 20;  // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    }
    if (t.verify_result != 0) return false;
  }
  return true;
}

Status ClientHandshake::add_psk(ClientHello& ch, ByteVec& msg) {
  const StoredTicket& t = *options_.resume;
  const HashAlg alg = psk_suite_->hash;
  const size_t hash_len = crypto::hash_size(alg);
  OfferedPsks psks;
  // RFC 8446 4.2.11.1: the ticket's age in milliseconds, plus ticket_age_add.
  const uint64_t now = config_->clock->now_ms();
  const uint64_t age = now > t.received_ms ? now - t.received_ms : 0;
  psks.identities.push_back({t.ticket, static_cast<uint32_t>(age + t.age_add)});
  psks.binders.push_back(ByteVec(hash_len, 0));  // a placeholder of the binder's size
  ch.extensions.push_back(
      {static_cast<uint16_t>(ExtensionType::pre_shared_key), encode_pre_shared_key_ch(psks)});
  RTLS_TRY(ch.serialize(msg));
  // The binders list (u16 length, u8 length, binder) ends the message; the
  // binder covers the transcript up to it (4.2.11.2).
  const size_t binders_block = 2 + 1 + hash_len;
  RTLS_ASSIGN(const Secret th,
              transcript_.hash_with(alg, Bytes(msg).first(msg.size() - binders_block)));
  // The schedule the binder is made with goes on into the handshake if the
  // server resumes (on_server_hello).
  schedule_.emplace(alg);
  RTLS_TRY(schedule_->init_early(t.psk.bytes()));
  RTLS_ASSIGN(const Secret binder, detail::psk_binder(*schedule_, th.bytes()));
  std::copy(binder.bytes().begin(), binder.bytes().end(), msg.end() - hash_len);
  return {};
}

Status ClientHandshake::on_server_hello(HandshakeIo& io, Bytes body, Bytes whole) {
  RTLS_ASSIGN(ServerHello sh, ServerHello::parse(body));
  // The HelloRetryRequest random means a retry only to a client that offered
  // TLS 1.3 (RFC 8446 4.1.3); to a TLS 1.2 client it is a random like any.
  if (sh.is_hello_retry_request() && tls13_allowed()) return on_hello_retry_request(io, sh, whole);

  // RFC 8446 4.1.3 / 4.2.1: a TLS 1.3 ServerHello says 0x0303 and selects
  // 0x0304 in supported_versions; without it the server chose TLS 1.2 or older.
  const Extension* sv = find_extension(sh.extensions, ExtensionType::supported_versions);
  if (sv == nullptr) {
    if (sh.legacy_version == kTls12 && tls12_allowed() && !hrr_suite_) {
      return on_server_hello12(io, sh, whole);
    }
    return Error{Alert::protocol_version, SSL_R_UNSUPPORTED_PROTOCOL};
  }
  // A client that offered TLS 1.2 only did not send supported_versions (as OpenSSL).
  if (!offered(ExtensionType::supported_versions)) {
    return Error{Alert::unsupported_extension, SSL_R_UNSOLICITED_EXTENSION};
  }
  if (!tls13_allowed()) return Error{Alert::protocol_version, SSL_R_UNSUPPORTED_PROTOCOL};
  RTLS_ASSIGN(uint16_t version, parse_supported_versions_sh(sv->body));
  // RFC 8446 4.1.3: legacy_version is 0x0303, which clients need not check (OpenSSL
  // does not).
  if (version != kTls13) return Error{Alert::illegal_parameter, SSL_R_UNSUPPORTED_PROTOCOL};
  if (!ct_equal(sh.legacy_session_id_echo, session_id_)) {
    return Error{Alert::illegal_parameter, SSL_R_INVALID_SESSION_ID};
  }
  const auto& offered_suites = config_->cipher_suites;
  const SuiteInfo* suite = suite_info(sh.cipher_suite);
  if (suite == nullptr ||
      std::find(offered_suites.begin(), offered_suites.end(), sh.cipher_suite) ==
          offered_suites.end() ||
      (hrr_suite_ && *hrr_suite_ != sh.cipher_suite)) {
    return Error{Alert::illegal_parameter, SSL_R_WRONG_CIPHER_RETURNED};
  }
  if (sh.legacy_compression_method != 0) {
    return Error{Alert::illegal_parameter, SSL_R_UNSUPPORTED_COMPRESSION_ALGORITHM};
  }
  for (const auto& e : sh.extensions) {
    const auto t = static_cast<ExtensionType>(e.type);
    if (t == ExtensionType::supported_versions || t == ExtensionType::key_share) continue;
    // RFC 8446 4.2: a known extension not specified for the ServerHello is
    // illegal_parameter, a response to nothing we sent unsupported_extension. As OpenSSL,
    // the second for those a ServerHello of either version may answer (and unknown ones:
    // OpenSSL ignores them, README.md), the first for the others.
    if (!offered(t) && (!is_known_extension(e.type) || may_answer_in_server_hello(t))) {
      return Error{Alert::unsupported_extension, SSL_R_UNSOLICITED_EXTENSION};
    }
    if (t == ExtensionType::pre_shared_key) {
      // 4.2.11: the identity we offered (the only one), with a suite of the
      // ticket's hash.
      RTLS_ASSIGN(uint16_t selected, parse_pre_shared_key_sh(e.body));
      if (selected != 0 || psk_suite_ == nullptr || suite->hash != psk_suite_->hash) {
        return Error{Alert::illegal_parameter, SSL_R_BAD_PSK_IDENTITY};
      }
      resumed_ = true;
      continue;
    }
    return Error{Alert::illegal_parameter, SSL_R_BAD_EXTENSION};
  }
  const Extension* ks = find_extension(sh.extensions, ExtensionType::key_share);
  if (ks == nullptr) return Error{Alert::missing_extension, SSL_R_NO_SUITABLE_KEY_SHARE};
  RTLS_ASSIGN(KeyShareEntry server_share, parse_key_share_sh(ks->body));
  const crypto::KeyShare* mine = nullptr;
  for (const auto& s : shares_) {
    if (static_cast<uint16_t>(s.group()) == server_share.group) mine = &s;
  }
  if (mine == nullptr) return Error{Alert::illegal_parameter, SSL_R_BAD_KEY_SHARE};
  RTLS_ASSIGN(Secret ecdhe, mine->derive(server_share.key_exchange));

  session_.version = kTls13;
  session_.suite = suite;
  session_.client_random = client_random_;
  session_.server_random = sh.random;
  io.set_version(kTls13);
  session_.group = mine->group();
  if (!transcript_.has_hash()) RTLS_TRY(transcript_.set_hash(suite->hash));
  transcript_.add(whole);
  shares_.clear();  // the private keys are no longer needed

  // A resumption goes on from the Early Secret the binder was made with.
  if (!resumed_ || !schedule_ || !schedule_->at_psk_early_secret(suite->hash)) {
    schedule_.emplace(suite->hash);
    RTLS_TRY(schedule_->init_early(resumed_ ? options_.resume->psk.bytes() : Bytes()));
  }
  if (resumed_) {
    // The server was authenticated by the connection the ticket came on.
    session_.resumed = true;
    session_.peer_chain = options_.resume->chain();
    session_.verify_result = options_.resume->verify_result;
    session_.verify_deferred = options_.resume->verify_deferred;
    session_.verify_host = options_.resume->verified_host;
    session_.verify_purpose = crypto::Purpose::server;
  }
  RTLS_TRY(schedule_->derive_handshake(ecdhe.bytes()));
  RTLS_ASSIGN(Secret th, transcript_.current());
  RTLS_ASSIGN(client_hs_secret_, schedule_->derive("c hs traffic", th.bytes()));
  RTLS_ASSIGN(server_hs_secret_, schedule_->derive("s hs traffic", th.bytes()));
  keylog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", client_hs_secret_);
  keylog("SERVER_HANDSHAKE_TRAFFIC_SECRET", server_hs_secret_);
  RTLS_TRY(set_read_secret(io, *suite, server_hs_secret_, Epoch::handshake, &server_finished_key_));
  // RFC 8446 D.4: the dummy change_cipher_spec goes before the second flight.
  if (config_->middlebox_compat && !sent_ccs_) {
    RTLS_TRY(io.send_change_cipher_spec());
    sent_ccs_ = true;
  }
  RTLS_TRY(
      set_write_secret(io, *suite, client_hs_secret_, Epoch::handshake, &client_finished_key_));
  state_ = ClientState::wait_encrypted_extensions;
  return {};
}

Status ClientHandshake::on_hello_retry_request(HandshakeIo& io, const ServerHello& hrr,
                                               Bytes whole) {
  // RFC 8446 4.1.4: at most one HelloRetryRequest.
  if (hrr_suite_) return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_MESSAGE};
  const Extension* sv = find_extension(hrr.extensions, ExtensionType::supported_versions);
  if (sv == nullptr) return Error{Alert::protocol_version, SSL_R_UNSUPPORTED_PROTOCOL};
  RTLS_ASSIGN(uint16_t version, parse_supported_versions_sh(sv->body));
  if (version != kTls13) return Error{Alert::illegal_parameter, SSL_R_UNSUPPORTED_PROTOCOL};
  if (!ct_equal(hrr.legacy_session_id_echo, session_id_)) {
    return Error{Alert::illegal_parameter, SSL_R_INVALID_SESSION_ID};
  }
  const SuiteInfo* suite = suite_info(hrr.cipher_suite);
  const auto& offered_suites = config_->cipher_suites;
  if (suite == nullptr || std::find(offered_suites.begin(), offered_suites.end(),
                                    hrr.cipher_suite) == offered_suites.end()) {
    return Error{Alert::illegal_parameter, SSL_R_WRONG_CIPHER_RETURNED};
  }
  std::optional<uint16_t> group;
  ByteVec cookie;
  for (const auto& e : hrr.extensions) {
    switch (static_cast<ExtensionType>(e.type)) {
      case ExtensionType::supported_versions:
        break;
      case ExtensionType::key_share: {
        RTLS_ASSIGN(uint16_t g, parse_key_share_hrr(e.body));
        group = g;
        break;
      }
      case ExtensionType::cookie: {
        RTLS_ASSIGN(cookie, parse_cookie(e.body));
        break;
      }
      default:
        return Error{Alert::unsupported_extension, SSL_R_UNSOLICITED_EXTENSION};
    }
  }
  // RFC 8446 4.1.4: the HelloRetryRequest must change something, and a
  // requested group must be one we support but did not already send.
  if (!group && cookie.empty()) return Error{Alert::illegal_parameter, SSL_R_BAD_HELLO_REQUEST};
  if (group) {
    const auto& groups = config_->groups;
    const auto g = static_cast<NamedGroup>(*group);
    bool already_sent = false;
    for (const auto& s : shares_) already_sent |= s.group() == g;
    if (already_sent || std::find(groups.begin(), groups.end(), g) == groups.end()) {
      return Error{Alert::illegal_parameter, SSL_R_BAD_KEY_SHARE};
    }
    shares_.clear();
    RTLS_ASSIGN(crypto::KeyShare share, crypto::KeyShare::generate(g, *config_->rng));
    shares_.push_back(std::move(share));
  }
  hrr_suite_ = hrr.cipher_suite;
  // RFC 8446 4.1.4: a PSK whose hash is not the suite's is not offered again.
  if (psk_suite_ != nullptr && psk_suite_->hash != suite->hash) psk_suite_ = nullptr;
  session_.hello_retry = true;
  cookie_ = std::move(cookie);
  RTLS_TRY(transcript_.set_hash(suite->hash));
  RTLS_TRY(transcript_.replace_with_message_hash());
  transcript_.add(whole);
  if (config_->middlebox_compat && !sent_ccs_) {
    RTLS_TRY(io.send_change_cipher_spec());
    sent_ccs_ = true;
  }
  return send_client_hello(io);  // stays in WAIT_SH
}

Status ClientHandshake::on_encrypted_extensions(HandshakeIo& io, Bytes body, Bytes whole) {
  RTLS_ASSIGN(EncryptedExtensions ee, EncryptedExtensions::parse(body));
  for (const auto& e : ee.extensions) {
    const auto t = static_cast<ExtensionType>(e.type);
    // RFC 8446 4.2: one recognised but not for this message is illegal_parameter,
    // offered or not (as OpenSSL checks it first); else one not offered is unsolicited.
    if (never_in_encrypted_extensions(t))
      return Error{Alert::illegal_parameter, SSL_R_BAD_EXTENSION};
    if (!offered(t)) return Error{Alert::unsupported_extension, SSL_R_UNSOLICITED_EXTENSION};
    switch (t) {
      case ExtensionType::server_name:
        RTLS_TRY(expect_empty(e.body));
        break;
      case ExtensionType::supported_groups: {
        // RFC 8446 4.2.7: informational; must parse, must not be acted upon.
        RTLS_ASSIGN(std::vector<uint16_t> ignored, parse_u16_list(e.body));
        (void)ignored;
        break;
      }
      case ExtensionType::application_layer_protocol_negotiation: {
        RTLS_ASSIGN(std::vector<ByteVec> protos, parse_alpn(e.body));
        // RFC 7301 3.1: exactly one, and one the client offered.
        if (protos.size() != 1 || std::find(config_->alpn.begin(), config_->alpn.end(),
                                            protos[0]) == config_->alpn.end()) {
          return Error{Alert::illegal_parameter, SSL_R_BAD_EXTENSION};
        }
        session_.alpn = protos[0];
        break;
      }
      case ExtensionType::record_size_limit: {
        RTLS_ASSIGN(uint16_t limit, parse_record_size_limit(e.body));
        // RFC 8449 4: in TLS 1.3 the limit counts the inner content type.
        io.set_send_fragment_limit(std::min<size_t>(limit - 1, 16384));
        break;
      }
      default:
        // Offered by us but not allowed in EncryptedExtensions (key_share,
        // supported_versions, signature_algorithms, ...): RFC 8446 4.2.
        return Error{Alert::illegal_parameter, SSL_R_BAD_EXTENSION};
    }
  }
  transcript_.add(whole);
  // RFC 8446 2.2: a resumed handshake has no certificates: Finished is next
  // (and a CertificateRequest unexpected, 4.3.2).
  state_ = resumed_ ? ClientState::wait_finished : ClientState::wait_cert_or_cert_request;
  return {};
}

Status ClientHandshake::on_certificate_request(HandshakeIo&, Bytes body, Bytes whole) {
  RTLS_ASSIGN(CertificateRequest cr, CertificateRequest::parse(body));
  // RFC 8446 4.3.2: empty context in the main handshake; signature_algorithms required.
  if (!cr.certificate_request_context.empty()) {
    return Error{Alert::illegal_parameter, SSL_R_LENGTH_MISMATCH};
  }
  const Extension* sa = find_extension(cr.extensions, ExtensionType::signature_algorithms);
  if (sa == nullptr) return Error{Alert::missing_extension, SSL_R_MISSING_SIGALGS_EXTENSION};
  RTLS_ASSIGN(server_sigalgs_for_us_, parse_u16_list(sa->body));
  if (const Extension* ca = find_extension(cr.extensions, ExtensionType::certificate_authorities)) {
    RTLS_ASSIGN(session_.peer_ca_names, parse_certificate_authorities(ca->body));
  }
  cert_request_ = std::move(cr);
  transcript_.add(whole);
  state_ = ClientState::wait_certificate;
  return {};
}

Status ClientHandshake::on_certificate(HandshakeIo&, Bytes body, Bytes whole) {
  RTLS_ASSIGN(CertificateMsg msg, CertificateMsg::parse(body));
  // RFC 8446 4.4.2: zero length for server authentication; a length out of its
  // range is decode_error (RFC 8446 6), as OpenSSL answers.
  if (!msg.certificate_request_context.empty()) {
    return Error{Alert::decode_error, SSL_R_LENGTH_MISMATCH};
  }
  // RFC 8446 4.4.2.4: an empty server Certificate is a decode_error.
  if (msg.certificate_list.empty()) {
    return Error{Alert::decode_error, SSL_R_NO_CERTIFICATES_RETURNED};
  }
  // RFC 8446 4.4.2: only extensions we offered. status_request (RFC 8446
  // 4.4.2.1) carries the end-entity's OCSP response; one on an intermediate
  // is taken and not used.
  for (size_t i = 0; i < msg.certificate_list.size(); ++i) {
    for (const auto& e : msg.certificate_list[i].extensions) {
      if (e.type != static_cast<uint16_t>(ExtensionType::status_request) ||
          !offered(ExtensionType::status_request)) {
        return Error{Alert::unsupported_extension, SSL_R_UNSOLICITED_EXTENSION};
      }
      RTLS_ASSIGN(ByteVec response, parse_certificate_status(e.body));
      if (i == 0) session_.ocsp_response = std::move(response);
    }
  }
  RTLS_ASSIGN(session_.peer_chain, detail::certificate_chain(msg, config_->cert_cache.get()));
  const std::string& host = options_.checked_host();
  RTLS_TRY(detail::verify_chain(*config_, session_.peer_chain, host, crypto::Purpose::server,
                                session_, *callbacks_));
  transcript_.add(whole);
  state_ = ClientState::wait_certificate_verify;
  return {};
}

Status ClientHandshake::on_certificate_verify(HandshakeIo&, Bytes body, Bytes whole) {
  RTLS_ASSIGN(CertificateVerify cv, CertificateVerify::parse(body));
  RTLS_ASSIGN(Secret th, transcript_.current());
  RTLS_TRY(detail::check_certificate_verify(cv, session_.peer_chain.front(),
                                            config_->signature_schemes, Role::server, th.bytes()));
  session_.peer_scheme = static_cast<SignatureScheme>(cv.algorithm);
  RTLS_TRY(check_ocsp());
  transcript_.add(whole);
  state_ = ClientState::wait_finished;
  return {};
}

Status ClientHandshake::on_finished(HandshakeIo& io, Bytes body, Bytes whole) {
  const SuiteInfo& suite = *session_.suite;
  RTLS_ASSIGN(Secret th, transcript_.current());
  RTLS_TRY(detail::check_finished_with_key(suite.hash, server_finished_key_, th.bytes(), body));
  transcript_.add(whole);
  session_.server_verify_data = to_vec(body);  // SSL_get_peer_finished

  // RFC 8446 7.1: application secrets over ClientHello...server Finished.
  RTLS_TRY(schedule_->derive_master());
  RTLS_ASSIGN(Secret th_server_fin, transcript_.current());
  RTLS_ASSIGN(session_.client_app_secret, schedule_->derive("c ap traffic", th_server_fin.bytes()));
  RTLS_ASSIGN(session_.server_app_secret, schedule_->derive("s ap traffic", th_server_fin.bytes()));
  keylog("CLIENT_TRAFFIC_SECRET_0", session_.client_app_secret);
  keylog("SERVER_TRAFFIC_SECRET_0", session_.server_app_secret);
  // What SSL_export_keying_material derives the exporter secret from, when
  // asked: deriving it here would cost every handshake about 1 %.
  session_.master_secret = schedule_->master_secret();
  session_.exporter_transcript = th_server_fin;
  if (callbacks_->logs_keys()) {
    RTLS_ASSIGN(const Secret exporter, schedule_->derive("exp master", th_server_fin.bytes()));
    keylog("EXPORTER_SECRET", exporter);
  }
  RTLS_TRY(set_read_secret(io, suite, session_.server_app_secret, Epoch::application));

  if (cert_request_) RTLS_TRY(send_client_auth(io));
  RTLS_ASSIGN(Secret th_before_fin, transcript_.current());
  RTLS_ASSIGN(ByteVec fin, detail::build_finished_with_key(suite.hash, client_finished_key_,
                                                           th_before_fin.bytes()));
  transcript_.add(fin);
  session_.client_verify_data.assign(fin.begin() + 4, fin.end());  // after the message header
  if (config_->post_handshake_auth) {
    session_.post_handshake_auth = true;
    session_.pha_transcript = transcript_;
  }
  RTLS_TRY(io.send_message(fin));
  RTLS_TRY(set_write_secret(io, suite, session_.client_app_secret, Epoch::application));
  RTLS_ASSIGN(Secret th_client_fin, transcript_.current());
  RTLS_ASSIGN(session_.resumption_secret, schedule_->derive("res master", th_client_fin.bytes()));
  state_ = ClientState::connected;
  return {};
}

Status ClientHandshake::send_client_auth(HandshakeIo& io) {
  std::optional<CertifiedKey> supplied;
  RTLS_ASSIGN(const CertifiedKey* key, detail::client_certificate(*config_, *callbacks_, supplied));
  std::optional<SignatureScheme> scheme;
  if (key != nullptr && key->signer) {
    scheme =
        detail::choose_scheme(config_->signature_schemes, server_sigalgs_for_us_, *key->signer);
  }
  // Without a certificate or a scheme the server accepts, send an empty
  // Certificate and let the server decide (RFC 8446 4.4.2).
  if (!scheme) key = nullptr;
  RTLS_ASSIGN(const ByteVec cert,
              detail::build_certificate(key, cert_request_->certificate_request_context));
  transcript_.add(cert);
  RTLS_TRY(io.send_message(cert));
  if (key == nullptr) return {};
  RTLS_ASSIGN(Secret th, transcript_.current());
  RTLS_ASSIGN(ByteVec cv,
              detail::build_certificate_verify(*key->signer, *scheme, Role::client, th.bytes()));
  transcript_.add(cv);
  return io.send_message(cv);
}

Status ClientHandshake::check_ocsp() const {
  const Config& cfg = *config_;
  if (!cfg.request_ocsp) return {};
  const int r = callbacks_->on_ocsp_response(session_.ocsp_response);
  if (r == 0) return Error{Alert::bad_certificate_status_response, SSL_R_INVALID_STATUS_RESPONSE};
  if (r < 0) return Error{Alert::internal_error, SSL_R_OCSP_CALLBACK_FAILURE};
  return {};
}

}  // namespace rapidtls::handshake::internal

namespace rapidtls::handshake {

std::unique_ptr<Handshake> make_client_handshake(std::shared_ptr<const Config> config,
                                                 ClientOptions options,
                                                 std::optional<Renegotiation> reneg) {
  return std::make_unique<internal::ClientHandshake>(std::move(config), std::move(options),
                                                     std::move(reneg));
}

}  // namespace rapidtls::handshake
