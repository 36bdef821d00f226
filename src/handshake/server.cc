// The TLS 1.3 server (RFC 8446 Appendix A.2):
//
//   START --ClientHello, send HelloRetryRequest--> WAIT_CH2 --ClientHello--> (negotiate)
//   START --ClientHello--> (negotiate): send ServerHello, EncryptedExtensions,
//         [CertificateRequest], Certificate, CertificateVerify, Finished
//   --> WAIT_CERT (if a certificate was requested) --Certificate--> WAIT_CV | WAIT_FINISHED
//   WAIT_CV --CertificateVerify--> WAIT_FINISHED --Finished, send tickets--> CONNECTED
#include <algorithm>
#include <optional>

#include "handshake/certificate_choice.h"
#include "handshake/extensions.h"
#include "handshake/messages12.h"
#include "handshake/server_internal.h"

namespace rapidtls::handshake::internal {

using detail::to_vec;

const ServerHandshake::Transition ServerHandshake::kTransitions[] = {
    {ServerState::wait_client_hello, HandshakeType::client_hello,
     &ServerHandshake::on_client_hello},
    {ServerState::wait_second_client_hello, HandshakeType::client_hello,
     &ServerHandshake::on_client_hello},
    {ServerState::wait_client_certificate, HandshakeType::certificate,
     &ServerHandshake::on_client_certificate},
    {ServerState::wait_client_certificate_verify, HandshakeType::certificate_verify,
     &ServerHandshake::on_client_certificate_verify},
    {ServerState::wait_client_finished, HandshakeType::finished,
     &ServerHandshake::on_client_finished},
    // TLS 1.2, RFC 5246 7.3.
    {ServerState::wait_client_certificate12, HandshakeType::certificate,
     &ServerHandshake::on_client_certificate12},
    {ServerState::wait_client_key_exchange, static_cast<HandshakeType>(kClientKeyExchange),
     &ServerHandshake::on_client_key_exchange},
    {ServerState::wait_client_certificate_verify12, HandshakeType::certificate_verify,
     &ServerHandshake::on_client_certificate_verify12},
    {ServerState::wait_client_finished12, HandshakeType::finished,
     &ServerHandshake::on_client_finished12},
};

Status ServerHandshake::on_message(HandshakeIo& io, HandshakeType type, Bytes body, Bytes whole) {
  for (const auto& t : kTransitions) {
    if (t.state == state_ && t.type == type) return (this->*t.handler)(io, body, whole);
  }
  return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_MESSAGE};
}

Result<Negotiated> ServerHandshake::negotiate(const ClientHello& ch) const {
  const Config& cfg = *config_;
  Negotiated n;

  // RFC 8446 4.2.1: TLS 1.3 is chosen only through supported_versions.
  const Extension* sv = find_extension(ch.extensions, ExtensionType::supported_versions);
  if (sv == nullptr) return Error{Alert::protocol_version, SSL_R_UNSUPPORTED_PROTOCOL};
  RTLS_ASSIGN(std::vector<uint16_t> versions, parse_supported_versions_ch(sv->body));
  if (!contains(versions, kTls13))
    return Error{Alert::protocol_version, SSL_R_UNSUPPORTED_PROTOCOL};
  // RFC 8446 4.1.2: exactly one compression method, null.
  if (ch.legacy_compression_methods.size() != 1 || ch.legacy_compression_methods[0] != 0) {
    return Error{Alert::illegal_parameter, SSL_R_UNSUPPORTED_COMPRESSION_ALGORITHM};
  }
  // RFC 8446 4.2.11: pre_shared_key, when present, is the last extension.
  for (size_t i = 0; i + 1 < ch.extensions.size(); ++i) {
    if (ch.extensions[i].type == static_cast<uint16_t>(ExtensionType::pre_shared_key)) {
      return Error{Alert::illegal_parameter, SSL_R_BAD_EXTENSION};
    }
  }

  for (uint16_t s : cfg.cipher_suites) {
    if (suite_info(s) != nullptr && contains(ch.cipher_suites, s)) {
      n.suite = suite_info(s);
      break;
    }
  }
  if (n.suite == nullptr) return Error{Alert::handshake_failure, SSL_R_NO_SHARED_CIPHER};

  // Certificate authentication needs signature_algorithms (RFC 8446 4.2.3).
  const Extension* sa = find_extension(ch.extensions, ExtensionType::signature_algorithms);
  if (sa == nullptr) return Error{Alert::missing_extension, SSL_R_MISSING_SIGALGS_EXTENSION};
  RTLS_ASSIGN(std::vector<uint16_t> client_schemes, parse_u16_list(sa->body));
  if (cfg.certificate() == nullptr) return Error{Alert::internal_error, SSL_R_NO_CERTIFICATE_SET};
  const auto choice = detail::choose_certificate13(cfg, client_schemes);
  if (!choice) return Error{Alert::handshake_failure, SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM};
  n.certificate = choice->index;
  n.scheme = choice->scheme;

  // RFC 8446 9.2: key_share and supported_groups go together.
  const Extension* sg = find_extension(ch.extensions, ExtensionType::supported_groups);
  const Extension* ks = find_extension(ch.extensions, ExtensionType::key_share);
  if (sg == nullptr) {
    return Error{Alert::missing_extension, SSL_R_MISSING_SUPPORTED_GROUPS_EXTENSION};
  }
  if (ks == nullptr) return Error{Alert::missing_extension, SSL_R_NO_SUITABLE_KEY_SHARE};
  RTLS_ASSIGN(std::vector<uint16_t> client_groups, parse_u16_list(sg->body));
  RTLS_ASSIGN(std::vector<KeyShareEntry> shares, parse_key_share_ch(ks->body));
  for (const auto& share : shares) {
    // RFC 8446 4.2.8: every share is for a group in supported_groups.
    if (!contains(client_groups, share.group)) {
      return Error{Alert::illegal_parameter, SSL_R_BAD_KEY_SHARE};
    }
  }
  for (NamedGroup g : cfg.groups) {
    if (!crypto::group_supported(g) || !contains(client_groups, static_cast<uint16_t>(g))) continue;
    for (const auto& share : shares) {
      if (share.group == static_cast<uint16_t>(g)) {
        n.share_group = g;
        n.client_share = share.key_exchange;
        break;
      }
    }
    if (n.share_group) break;
    if (!n.retry_group) n.retry_group = g;
  }
  if (!n.share_group && !n.retry_group) {
    // OpenSSL's reason (servers such as nginx log it as the client's failure).
    return Error{Alert::handshake_failure, SSL_R_NO_SUITABLE_KEY_SHARE};
  }

  if (const Extension* sni = find_extension(ch.extensions, ExtensionType::server_name)) {
    RTLS_ASSIGN(n.server_name, parse_server_name_ch(sni->body));
    n.sni_received = true;
  }
  if (const Extension* sr = find_extension(ch.extensions, ExtensionType::status_request)) {
    RTLS_ASSIGN(n.ocsp_requested, parse_status_request_ch(sr->body));
  }
  if (const Extension* rsl = find_extension(ch.extensions, ExtensionType::record_size_limit)) {
    RTLS_ASSIGN(n.peer_record_limit, parse_record_size_limit(rsl->body));
  }
  RTLS_TRY(check_unused_extensions13(ch));
  const Extension* alpn =
      find_extension(ch.extensions, ExtensionType::application_layer_protocol_negotiation);
  if (alpn != nullptr) {
    RTLS_ASSIGN(std::vector<ByteVec> offered, parse_alpn(alpn->body));
    RTLS_ASSIGN(n.alpn, detail::choose_alpn(cfg, *callbacks_, offered));
  }
  return n;
}

// Extensions a TLS 1.3 server reads only to check them, as OpenSSL does: a malformed one
// fails the handshake even though rapidtls does not act on it here.
Status ServerHandshake::check_unused_extensions13(const ClientHello& ch) {
  for (const Extension& e : ch.extensions) {
    switch (static_cast<ExtensionType>(e.type)) {
      case ExtensionType::signature_algorithms_cert:  // RFC 8446 4.2.3
        RTLS_TRY(parse_u16_list(e.body));
        break;
      case ExtensionType::psk_key_exchange_modes:  // 4.2.9, also without pre_shared_key
        RTLS_TRY(parse_psk_key_exchange_modes(e.body));
        break;
      case ExtensionType::early_data:           // 4.2.10: empty in a ClientHello
      case ExtensionType::post_handshake_auth:  // 4.2.6: empty
        RTLS_TRY(expect_empty(e.body));
        break;
      case ExtensionType::max_fragment_length:  // RFC 6066 4
        RTLS_TRY(check_max_fragment_length(e.body));
        break;
      default:
        break;
    }
  }
  return {};
}

Status ServerHandshake::accept_psk(const ClientHello& ch, Bytes whole, Negotiated& n) {
  const Extension* pre = find_extension(ch.extensions, ExtensionType::pre_shared_key);
  if (pre == nullptr) return {};
  // RFC 8446 4.2.9: a client that offers a PSK says how it may be used.
  const Extension* modes = find_extension(ch.extensions, ExtensionType::psk_key_exchange_modes);
  if (modes == nullptr)
    return Error{Alert::missing_extension, SSL_R_MISSING_PSK_KEX_MODES_EXTENSION};
  RTLS_ASSIGN(std::vector<uint8_t> kex_modes, parse_psk_key_exchange_modes(modes->body));
  RTLS_ASSIGN(OfferedPsks offered, parse_pre_shared_key_ch(pre->body));
  // Only psk_dhe_ke: a resumption still makes a fresh (EC)DHE key.
  if (!config_->ticket_issuer ||
      !contains(kex_modes, static_cast<uint8_t>(PskKeyExchangeMode::psk_dhe_ke))) {
    return {};
  }
  const uint64_t now = config_->clock->now_ms();
  for (size_t i = 0; i < offered.identities.size(); ++i) {
    std::optional<TicketContents> t =
        config_->ticket_issuer->open(offered.identities[i].identity, now, *callbacks_);
    const SuiteInfo* suite = t ? suite_info(t->suite) : nullptr;
    if (suite == nullptr || suite->hash != n.suite->hash) continue;
    // A server that requires a client certificate resumes only the sessions
    // of clients that sent one (the ticket keeps it); one that asks for it
    // takes the others as they were.
    if (wants_client_certificate() && config_->verify == VerifyMode::require &&
        (!t->peer_chain || t->peer_chain->empty())) {
      continue;
    }
    // 4.2.11.2: the binder, over the ClientHello up to the binders list
    // (after a HelloRetryRequest, with the transcript before it).
    const Bytes truncated = whole.first(whole.size() - offered.binders_block_size);
    RTLS_ASSIGN(const Secret th, transcript_.hash_with(suite->hash, truncated));
    // The schedule the binder is checked with goes on into the handshake
    // (send_server_flight) if this PSK is taken.
    schedule_.emplace(suite->hash);
    RTLS_TRY(schedule_->init_early(t->psk.bytes()));
    RTLS_ASSIGN(const Secret binder, detail::psk_binder(*schedule_, th.bytes()));
    if (!ct_equal(binder.bytes(), offered.binders[i])) {
      return Error{Alert::decrypt_error, SSL_R_BINDER_DOES_NOT_VERIFY};
    }
    if (config_->session_id_context_required && config_->verify != VerifyMode::none &&
        config_->session_id_context.empty()) {
      return Error{Alert::internal_error, SSL_R_SESSION_ID_CONTEXT_UNINITIALIZED};
    }
    n.psk_index = static_cast<uint16_t>(i);
    n.psk = t->psk;
    n.peer_chain = t->peer_chain;
    n.peer_verify_result = t->verify_result;
    return {};
  }
  return {};
}

Status ServerHandshake::run_client_hello_hook(HandshakeIo& io, const ClientHello& ch) {
  std::string name;
  if (const Extension* sni = find_extension(ch.extensions, ExtensionType::server_name)) {
    RTLS_ASSIGN(name, parse_server_name_ch(sni->body));
  }
  // The application may replace the configuration while its hook runs:
  // keep this one alive until the hook returns.
  const std::shared_ptr<const Config> keep = config_;
  RTLS_ASSIGN(ClientHelloDecision d, callbacks_->on_client_hello(ch, name));
  sni_ack_ = d.acknowledge_sni;
  if (d.config) io.replace_config(std::move(d.config));  // sets config_ too
  return {};
}

Status ServerHandshake::on_client_hello(HandshakeIo& io, Bytes body, Bytes whole) {
  RTLS_ASSIGN(ClientHello ch, ClientHello::parse(body));
  if (state_ == ServerState::wait_client_hello && callbacks_->hooks_client_hello()) {
    RTLS_TRY(run_client_hello_hook(io, ch));
  }
  if (state_ == ServerState::wait_client_hello) {
    // RFC 8446 4.2.1: TLS 1.3 only through supported_versions; TLS 1.2 when
    // listed there or, without the extension, by legacy_version (RFC 5246 E.1).
    const Extension* sv = find_extension(ch.extensions, ExtensionType::supported_versions);
    std::vector<uint16_t> versions;
    if (sv != nullptr) {
      RTLS_ASSIGN(versions, parse_supported_versions_ch(sv->body));
    }
    const Config& cfg = *config_;
    const bool can13 =
        !reneg_ && cfg.max_version >= kTls13 && sv != nullptr && contains(versions, kTls13);
    const bool can12 = cfg.min_version <= kTls12 &&
                       (sv != nullptr ? contains(versions, kTls12) : ch.legacy_version >= kTls12);
    if (!can13) {
      if (!can12) return Error{Alert::protocol_version, SSL_R_UNSUPPORTED_PROTOCOL};
      // RFC 7507 3: a client that signals a fallback to TLS 1.2 while we speak
      // TLS 1.3 was pushed down (a renegotiation stays at the version it has).
      if (!reneg_ && cfg.max_version >= kTls13 && contains(ch.cipher_suites, kFallbackScsv)) {
        return Error{Alert::inappropriate_fallback, SSL_R_INAPPROPRIATE_FALLBACK};
      }
      return on_client_hello12(io, ch, whole);
    }
  }
  // RFC 8446 5.1: the ClientHello precedes a key change, so it ends its record.
  if (io.more_in_record()) return Error{Alert::unexpected_message, SSL_R_NOT_ON_RECORD_BOUNDARY};
  // RFC 8446 D.5: a legacy_version of 0x0300 is refused with protocol_version;
  // as OpenSSL, anything below it too (TLS 1.0 and 1.1 there are tolerated).
  if (ch.legacy_version <= 0x0300) {
    return Error{Alert::protocol_version, SSL_R_BAD_LEGACY_VERSION};
  }
  RTLS_ASSIGN(Negotiated n, negotiate(ch));
  if (state_ == ServerState::wait_second_client_hello) {
    // RFC 8446 4.2.10: no early_data after a HelloRetryRequest (OpenSSL:
    // illegal_parameter); the first flight's early data, skipped until now,
    // has ended, and any record now that does not open is bad_record_mac.
    if (find_extension(ch.extensions, ExtensionType::early_data) != nullptr) {
      return Error{Alert::illegal_parameter, SSL_R_BAD_EXTENSION};
    }
    io.skip_early_data(false);
    // RFC 8446 4.1.2: the second ClientHello answers the HelloRetryRequest:
    // the same suite, and one key share, for the group asked for.
    const Extension* ks = find_extension(ch.extensions, ExtensionType::key_share);
    RTLS_ASSIGN(std::vector<KeyShareEntry> shares, parse_key_share_ch(ks->body));
    if (shares.size() != 1 || shares[0].group != static_cast<uint16_t>(*hrr_group_) ||
        n.share_group != hrr_group_) {
      return Error{Alert::illegal_parameter, SSL_R_BAD_KEY_SHARE};
    }
    if (static_cast<uint16_t>(n.suite->suite) != hrr_suite_) {
      return Error{Alert::illegal_parameter, SSL_R_WRONG_CIPHER_RETURNED};
    }
    if (!ct_equal(ch.random, client_random_)) {
      return Error{Alert::illegal_parameter, SSL_R_BAD_DATA};
    }
    RTLS_TRY(accept_psk(ch, whole, n));  // before the transcript takes the message
    transcript_.add(whole);
    return send_server_flight(io, ch, n);
  }
  client_random_ = ch.random;
  // RFC 8446 4.2.6: a client that offers post-handshake authentication may
  // be asked later (Connection::request_client_certificate).
  session_.post_handshake_auth =
      find_extension(ch.extensions, ExtensionType::post_handshake_auth) != nullptr;
  // A resumption is decided on the ClientHello that gets the ServerHello.
  if (n.share_group) RTLS_TRY(accept_psk(ch, whole, n));
  transcript_.add(whole);
  // rapidtls never accepts 0-RTT: early data a client sends is skipped.
  if (find_extension(ch.extensions, ExtensionType::early_data) != nullptr) {
    io.skip_early_data(true);
    session_.early_data_rejected = true;
  }
  if (!n.share_group) return send_hello_retry_request(io, ch, n);
  return send_server_flight(io, ch, n);
}

Status ServerHandshake::send_hello_retry_request(HandshakeIo& io, const ClientHello& ch,
                                                 const Negotiated& n) {
  ServerHello hrr;
  hrr.random = kHelloRetryRequestRandom;
  hrr.legacy_session_id_echo = ch.legacy_session_id;
  hrr.cipher_suite = static_cast<uint16_t>(n.suite->suite);
  hrr.extensions.push_back({static_cast<uint16_t>(ExtensionType::key_share),
                            encode_key_share_hrr(static_cast<uint16_t>(*n.retry_group))});
  hrr.extensions.push_back({static_cast<uint16_t>(ExtensionType::supported_versions),
                            encode_supported_versions_sh(kTls13)});
  if (config_->test_hooks.hello_retry_extensions) {
    config_->test_hooks.hello_retry_extensions(hrr.extensions);
  }
  ByteVec msg;
  RTLS_TRY(hrr.serialize(msg));
  RTLS_TRY(transcript_.set_hash(n.suite->hash));
  RTLS_TRY(transcript_.replace_with_message_hash());
  RTLS_TRY(send_message(io, msg));
  // RFC 8446 D.4: a compatibility-mode client (non-empty session id) gets a
  // dummy change_cipher_spec right after the server's first message.
  if (!ch.legacy_session_id.empty()) {
    RTLS_TRY(io.send_change_cipher_spec());
    sent_ccs_ = true;
  }
  hrr_group_ = n.retry_group;
  hrr_suite_ = hrr.cipher_suite;
  session_.hello_retry = true;
  state_ = ServerState::wait_second_client_hello;
  return {};
}

Status ServerHandshake::send_server_flight(HandshakeIo& io, const ClientHello& ch,
                                           const Negotiated& n) {
  const Config& cfg = *config_;
  const SuiteInfo& suite = *n.suite;
  ServerHello sh;
  cfg.rng->fill(sh.random);  // the random is drawn before the key share
  RTLS_ASSIGN(crypto::KeyShare share, crypto::KeyShare::generate(*n.share_group, *cfg.rng));
  RTLS_ASSIGN(Secret ecdhe, share.derive(n.client_share));
  sh.legacy_session_id_echo = ch.legacy_session_id;
  sh.cipher_suite = static_cast<uint16_t>(suite.suite);
  sh.extensions.push_back(
      {static_cast<uint16_t>(ExtensionType::key_share),
       encode_key_share_sh({static_cast<uint16_t>(share.group()), to_vec(share.public_key())})});
  sh.extensions.push_back({static_cast<uint16_t>(ExtensionType::supported_versions),
                           encode_supported_versions_sh(kTls13)});
  const bool resumed = n.psk_index.has_value();
  if (resumed) {
    sh.extensions.push_back({static_cast<uint16_t>(ExtensionType::pre_shared_key),
                             encode_pre_shared_key_sh(*n.psk_index)});
  }
  if (cfg.test_hooks.server_hello_extensions) cfg.test_hooks.server_hello_extensions(sh.extensions);
  ByteVec sh_msg;
  RTLS_TRY(sh.serialize(sh_msg));
  if (!transcript_.has_hash()) RTLS_TRY(transcript_.set_hash(suite.hash));
  RTLS_TRY(send_message(io, sh_msg));
  if (!ch.legacy_session_id.empty() && !sent_ccs_) {
    RTLS_TRY(io.send_change_cipher_spec());
    sent_ccs_ = true;
  }

  session_.version = kTls13;
  session_.suite = &suite;
  session_.client_random = client_random_;
  session_.server_random = sh.random;
  io.set_version(kTls13);
  session_.group = share.group();
  session_.server_name = n.server_name;
  if (n.alpn) session_.alpn = *n.alpn;

  session_.resumed = resumed;
  if (resumed && n.peer_chain) {
    session_.peer_chain = *n.peer_chain;  // the client the ticket's connection authenticated
    session_.verify_result = n.peer_verify_result;
  }
  // A resumption goes on from the Early Secret the binder was checked with.
  if (!resumed || !schedule_ || !schedule_->at_psk_early_secret(suite.hash)) {
    schedule_.emplace(suite.hash);
    RTLS_TRY(schedule_->init_early(resumed ? n.psk.bytes() : Bytes()));
  }
  RTLS_TRY(schedule_->derive_handshake(ecdhe.bytes()));
  RTLS_ASSIGN(Secret th_sh, transcript_.current());
  RTLS_ASSIGN(client_hs_secret_, schedule_->derive("c hs traffic", th_sh.bytes()));
  RTLS_ASSIGN(server_hs_secret_, schedule_->derive("s hs traffic", th_sh.bytes()));
  keylog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", client_hs_secret_);
  keylog("SERVER_HANDSHAKE_TRAFFIC_SECRET", server_hs_secret_);
  RTLS_TRY(set_write_secret(io, suite, server_hs_secret_, Epoch::handshake, &server_finished_key_));
  if (n.peer_record_limit) {
    // RFC 8449 4: in TLS 1.3 the limit counts the inner content type.
    io.set_send_fragment_limit(std::min<size_t>(*n.peer_record_limit - 1, 16384));
  }

  EncryptedExtensions ee;
  // RFC 6066 3: the server acknowledges SNI it used with an empty server_name.
  if (n.sni_received && !n.server_name.empty() && sni_ack_) {
    ee.extensions.push_back({static_cast<uint16_t>(ExtensionType::server_name), {}});
  }
  if (n.alpn) {
    RTLS_ASSIGN(ByteVec alpn, encode_alpn({*n.alpn}));
    ee.extensions.push_back(
        {static_cast<uint16_t>(ExtensionType::application_layer_protocol_negotiation),
         std::move(alpn)});
  }
  if (n.peer_record_limit) {
    ee.extensions.push_back({static_cast<uint16_t>(ExtensionType::record_size_limit),
                             encode_record_size_limit(cfg.record_size_limit.value_or(16385))});
  }
  if (cfg.test_hooks.encrypted_extensions) cfg.test_hooks.encrypted_extensions(ee.extensions);
  ByteVec ee_msg;
  RTLS_TRY(ee.serialize(ee_msg));
  RTLS_TRY(send_message(io, ee_msg));

  // RFC 8446 2.2 and 4.3.2: a resumption sends no certificates and asks for none.
  const bool client_certificate = wants_client_certificate() && !resumed;
  if (client_certificate) {
    CertificateRequest cr;
    std::vector<uint16_t> schemes;
    for (SignatureScheme s : cfg.signature_schemes) schemes.push_back(static_cast<uint16_t>(s));
    cr.extensions.push_back(
        {static_cast<uint16_t>(ExtensionType::signature_algorithms), encode_u16_list(schemes)});
    // RFC 8446 4.2.4: the CAs whose certificates we take, when configured.
    if (!cfg.client_ca_names.empty()) {
      cr.extensions.push_back({static_cast<uint16_t>(ExtensionType::certificate_authorities),
                               encode_certificate_authorities(cfg.client_ca_names)});
    }
    ByteVec cr_msg;
    RTLS_TRY(cr.serialize(cr_msg));
    RTLS_TRY(send_message(io, cr_msg));
  }

  if (!resumed) {
    const CertifiedKey& key = cfg.certificates[n.certificate];
    session_.own_certificate = n.certificate;
    // RFC 8446 4.4.2.1: the OCSP response goes with the end-entity certificate.
    if (n.ocsp_requested) {
      RTLS_ASSIGN(std::optional<ByteVec> staple, callbacks_->on_ocsp_staple(n.certificate));
      if (staple && !staple->empty()) session_.ocsp_response = std::move(*staple);
    }
    RTLS_ASSIGN(const ByteVec cert, detail::build_certificate(&key, {}, session_.ocsp_response));
    RTLS_TRY(send_message(io, cert));
    RTLS_ASSIGN(Secret th_cert, transcript_.current());
    RTLS_ASSIGN(ByteVec cv, detail::build_certificate_verify(*key.signer, *n.scheme, Role::server,
                                                             th_cert.bytes()));
    RTLS_TRY(send_message(io, cv));
  }
  RTLS_ASSIGN(Secret th_cv, transcript_.current());
  RTLS_ASSIGN(ByteVec fin,
              detail::build_finished_with_key(suite.hash, server_finished_key_, th_cv.bytes()));
  session_.server_verify_data.assign(fin.begin() + 4, fin.end());  // after the message header
  RTLS_TRY(send_message(io, fin));

  RTLS_TRY(schedule_->derive_master());
  RTLS_ASSIGN(Secret th_fin, transcript_.current());
  RTLS_ASSIGN(session_.client_app_secret, schedule_->derive("c ap traffic", th_fin.bytes()));
  RTLS_ASSIGN(session_.server_app_secret, schedule_->derive("s ap traffic", th_fin.bytes()));
  keylog("CLIENT_TRAFFIC_SECRET_0", session_.client_app_secret);
  keylog("SERVER_TRAFFIC_SECRET_0", session_.server_app_secret);
  // What SSL_export_keying_material derives the exporter secret from, when
  // asked: deriving it here would cost every handshake about 1 %.
  session_.master_secret = schedule_->master_secret();
  session_.exporter_transcript = th_fin;
  if (callbacks_->logs_keys()) {
    RTLS_ASSIGN(const Secret exporter, schedule_->derive("exp master", th_fin.bytes()));
    keylog("EXPORTER_SECRET", exporter);
  }
  RTLS_TRY(set_write_secret(io, suite, session_.server_app_secret, Epoch::application));
  RTLS_TRY(set_read_secret(io, suite, client_hs_secret_, Epoch::handshake, &client_finished_key_));
  state_ =
      client_certificate ? ServerState::wait_client_certificate : ServerState::wait_client_finished;
  return {};
}

Status ServerHandshake::on_client_certificate(HandshakeIo&, Bytes body, Bytes whole) {
  RTLS_ASSIGN(CertificateMsg msg, CertificateMsg::parse(body));
  if (!msg.certificate_request_context.empty()) {
    return Error{Alert::illegal_parameter, SSL_R_LENGTH_MISMATCH};
  }
  transcript_.add(whole);
  if (msg.certificate_list.empty()) {
    // RFC 8446 4.4.2.4: a server that requires a certificate may abort with
    // certificate_required.
    if (config_->verify == VerifyMode::require) {
      return Error{Alert::certificate_required, SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE};
    }
    state_ = ServerState::wait_client_finished;
    return {};
  }
  RTLS_ASSIGN(session_.peer_chain, detail::certificate_chain(msg, config_->cert_cache.get()));
  RTLS_TRY(detail::verify_chain(*config_, session_.peer_chain, "", crypto::Purpose::client,
                                session_, *callbacks_));
  state_ = ServerState::wait_client_certificate_verify;
  return {};
}

Status ServerHandshake::on_client_certificate_verify(HandshakeIo&, Bytes body, Bytes whole) {
  RTLS_ASSIGN(CertificateVerify cv, CertificateVerify::parse(body));
  RTLS_ASSIGN(Secret th, transcript_.current());
  RTLS_TRY(detail::check_certificate_verify(cv, session_.peer_chain.front(),
                                            config_->signature_schemes, Role::client, th.bytes()));
  session_.peer_scheme = static_cast<SignatureScheme>(cv.algorithm);
  transcript_.add(whole);
  state_ = ServerState::wait_client_finished;
  return {};
}

Status ServerHandshake::on_client_finished(HandshakeIo& io, Bytes body, Bytes whole) {
  const SuiteInfo& suite = *session_.suite;
  RTLS_ASSIGN(Secret th, transcript_.current());
  RTLS_TRY(detail::check_finished_with_key(suite.hash, client_finished_key_, th.bytes(), body));
  transcript_.add(whole);
  session_.client_verify_data = to_vec(body);  // SSL_get_finished / SSL_get_peer_finished
  if (session_.post_handshake_auth) session_.pha_transcript = transcript_;
  RTLS_TRY(set_read_secret(io, suite, session_.client_app_secret, Epoch::application));
  // The resumption secret only serves the tickets this server sends.
  if (config_->ticket_issuer && config_->tickets_to_send > 0) {
    RTLS_ASSIGN(Secret th_client_fin, transcript_.current());
    RTLS_ASSIGN(session_.resumption_secret, schedule_->derive("res master", th_client_fin.bytes()));
  }
  state_ = ServerState::connected;
  return send_tickets(io);
}

Status ServerHandshake::send_tickets(HandshakeIo& io) {
  if (!config_->ticket_issuer) return {};
  // After a resumption one ticket replaces the one used, as OpenSSL does.
  const size_t count =
      session_.resumed ? std::min<size_t>(1, config_->tickets_to_send) : config_->tickets_to_send;
  for (size_t i = 0; i < count; ++i) {
    RTLS_ASSIGN(NewSessionTicket nst, config_->ticket_issuer->issue(
                                          *session_.suite, session_.resumption_secret,
                                          TicketPeer{&session_.peer_chain, session_.verify_result},
                                          config_->clock->now_ms(), *config_->rng, *callbacks_));
    if (nst.ticket.empty()) continue;  // the issuer declined this one
    ByteVec msg;
    RTLS_TRY(nst.serialize(msg));
    RTLS_TRY(io.send_message(msg));  // post-handshake: not part of the transcript
  }
  return {};
}

}  // namespace rapidtls::handshake::internal

namespace rapidtls::handshake {

std::unique_ptr<Handshake> make_server_handshake(std::shared_ptr<const Config> config,
                                                 std::optional<Renegotiation> reneg) {
  return std::make_unique<internal::ServerHandshake>(std::move(config), std::move(reneg));
}

}  // namespace rapidtls::handshake
