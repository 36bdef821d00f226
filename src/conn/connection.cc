#include "conn/connection.h"

#include <algorithm>
#include <cstring>

#include "handshake/common.h"
#include "handshake/exporter.h"
#include "handshake/extensions.h"

namespace rapidtls::conn {
namespace {

// TLS 1.3 record keys from a traffic secret (RFC 8446 7.3), for a kernel
// that takes over a direction from record `sequence` on.
Result<record::RecordKeys> tls13_record_keys(const handshake::SuiteInfo& suite,
                                             const crypto::Secret& secret, uint64_t sequence) {
  RTLS_ASSIGN(handshake::TrafficKeys keys, handshake::traffic_keys(suite, secret));
  record::RecordKeys k;
  k.version = handshake::kTls13;
  k.aead = suite.aead;
  k.key = keys.key;
  k.iv = keys.iv;
  k.sequence = sequence;
  return k;
}

}  // namespace

using handshake::Epoch;
using handshake::HandshakeType;
using record::ContentType;

Connection::Connection(Role role, std::shared_ptr<const handshake::Config> config,
                       handshake::ClientOptions options)
    : role_(role),
      config_(std::move(config)),
      verify_host_(options.verify_host),
      check_server_name_(options.check_server_name) {
  handshake_ = role == Role::client ? handshake::make_client_handshake(config_, std::move(options))
                                    : handshake::make_server_handshake(config_);
  // RFC 8446 5.1: an initial ClientHello may say 0x0301 for compatibility.
  if (role == Role::client) sealer_.set_plaintext_version(0x0301);
}

Connection::~Connection() = default;

void Connection::set_callbacks(handshake::ConnectionCallbacks* callbacks) {
  callbacks_ = callbacks != nullptr ? callbacks : &handshake::no_callbacks();
  if (handshake_) handshake_->set_callbacks(callbacks_);
}

void Connection::set_config(std::shared_ptr<const handshake::Config> config) {
  config_ = std::move(config);
  if (handshake_) handshake_->set_config(config_);
}

const char* Connection::state_name() const {
  if (handshake_) return handshake_->state_name();
  return session_ ? "connected" : "new";
}

Status Connection::start() {
  if (error_) return *error_;
  if (started_) return {};
  started_ = true;
  if (Status s = handshake_->start(*this); !s.ok()) return fail(s.error());
  client_random_ = handshake_->client_random();
  if (Status s = flush_handshake(); !s.ok()) return fail(s.error());
  return {};
}

Error Connection::fail(Error e, bool send_alert) {
  if (error_) return *error_;
  error_ = e;
  hs_out_.clear();  // never send half a flight
  // A peer that sent an HTTP request speaks HTTP: an alert would be garbage
  // to it (OpenSSL sends none either).
  if (e.reason == SSL_R_HTTP_REQUEST || e.reason == SSL_R_HTTPS_PROXY_REQUEST) send_alert = false;
  if (send_alert && !close_sent()) {
    // RFC 8446 6: alerts go out under the current write keys; fatal level.
    const uint8_t alert[2] = {2, static_cast<uint8_t>(e.alert)};
    (void)seal_records(ContentType::alert, alert);
  }
  return e;
}

void Connection::consume_output(size_t n) {
  // The buffer is kept for the next records; release_buffers() gives it back.
  n = std::min(n, out_.size());
  out_.consume(n);
  if (write_rekey_) write_rekey_after_ -= std::min(n, write_rekey_after_);
}

void Connection::consume_plain_payload(size_t n) {
  while (!out_.empty()) {
    const Bytes head = out_.data();
    if (head.size() < record::kHeaderSize) return;
    const size_t len = size_t{head[3]} << 8 | head[4];
    if (n >= len) {
      consume_output(record::kHeaderSize + len);
      n -= len;
      if (n == 0) return;
      continue;
    }
    if (n == 0) return;
    // Part of this record's plaintext left: the rest becomes a record of its
    // own, its header written over the sent bytes just before it.
    uint8_t* at = out_.begin_ptr() + n;
    std::memmove(at, out_.begin_ptr(), 3);
    at[3] = static_cast<uint8_t>((len - n) >> 8);
    at[4] = static_cast<uint8_t>(len - n);
    consume_output(n);
    return;
  }
}

Result<record::RecordKeys> Connection::read_keys_for_kernel() const {
  if (error_ || peer_closed() || !handshake_done() || renegotiating() || !in_.empty() ||
      !hs_in_.empty() || app_pending() != 0 || read_handed_off_) {
    return Error{Alert::internal_error, SSL_R_BAD_HANDSHAKE_STATE};
  }
  const record::Protection* p = opener_.protection();
  if (p == nullptr || read_epoch_ != Epoch::application) {
    return Error{Alert::internal_error, SSL_R_WRONG_SSL_VERSION};
  }
  return p->export_keys();
}

Result<record::RecordKeys> Connection::write_keys_for_kernel() const {
  if (error_ || close_sent() || !handshake_done() || renegotiating() || wants_write() ||
      !hs_out_.empty() || write_rekey_ || write_handed_off_) {
    return Error{Alert::internal_error, SSL_R_BAD_HANDSHAKE_STATE};
  }
  const record::Protection* p = sealer_.protection();
  if (p == nullptr || write_epoch_ != Epoch::application) {
    return Error{Alert::internal_error, SSL_R_WRONG_SSL_VERSION};
  }
  return p->export_keys();
}

const std::vector<ByteVec>& Connection::peer_ca_names() const {
  static const std::vector<ByteVec> kNone;
  if (handshake_) return handshake_->session().peer_ca_names;
  return session_ ? session_->peer_ca_names : kNone;
}

long Connection::peer_verify_result() {
  if (!session_) return handshake_ ? handshake_->session().verify_result : 0;
  if (session_->verify_deferred) {
    session_->verify_deferred = false;
    if (!session_->peer_chain.empty() && config_->trust) {
      session_->verify_result =
          handshake::verify_peer_chain(*config_, session_->peer_chain, session_->verify_host,
                                       session_->verify_purpose, *callbacks_)
              .verify_result;
    }
  }
  return session_->verify_result;
}

void Connection::release_receive_buffer() {
  if (app_len_ == 0) in_.release_if_empty();
}

void Connection::release_send_buffer(size_t above) {
  if (out_.capacity() > above) out_.release_if_empty();
}

void Connection::release_buffers() {
  out_.release_if_empty();
  in_.release_if_empty();
  if (hs_in_.empty()) ByteVec().swap(hs_in_);
  if (hs_out_.empty()) ByteVec().swap(hs_out_);
}

// ---- output ------------------------------------------------------------------------------

size_t Connection::record_size(size_t n) const {
  if (write_handed_off_) return record::kHeaderSize + n;  // a plain record
  return sealer_.sealed_size(n);
}

Status Connection::seal_one(uint8_t* at, ContentType type, Bytes plain) {
  if (write_handed_off_) {
    at[0] = static_cast<uint8_t>(type);
    at[1] = record::kRecordVersion >> 8;
    at[2] = record::kRecordVersion & 0xff;
    at[3] = static_cast<uint8_t>(plain.size() >> 8);
    at[4] = static_cast<uint8_t>(plain.size());
    if (!plain.empty()) std::memcpy(at + record::kHeaderSize, plain.data(), plain.size());
    return {};
  }
  return sealer_.seal_into(at, type, plain);
}

void Connection::trace(bool sent, ContentType type, Bytes data) const {
  const uint16_t version = version_ != 0 ? version_ : handshake::kTls13;
  if (type != ContentType::handshake) {
    callbacks_->on_message(sent, version, static_cast<uint8_t>(type), data);
    return;
  }
  while (data.size() >= 4) {
    const size_t len = 4 + (size_t{data[1]} << 16 | size_t{data[2]} << 8 | data[3]);
    if (len > data.size()) break;
    callbacks_->on_message(sent, version, static_cast<uint8_t>(type), data.first(len));
    data = data.subspan(len);
  }
}

Status Connection::seal_records(ContentType type, Bytes data) {
  // Application data first: the write path pays one comparison, not a virtual call.
  if (type != ContentType::application_data && callbacks_->traces_messages()) {
    trace(true, type, data);
  }
  do {
    const size_t n = std::min(data.size(), write_protected() ? send_limit_ : record::kMaxPlaintext);
    uint8_t* at = out_.reserve_tail(record_size(n));
    RTLS_TRY(seal_one(at, type, data.first(n)));
    out_.commit(record_size(n));
    data = data.subspan(n);
  } while (!data.empty());
  return {};
}

Status Connection::flush_handshake() {
  if (hs_out_.empty()) return {};
  Status s = seal_records(ContentType::handshake, hs_out_);
  hs_out_.clear();
  // Only the first ClientHello record may carry 0x0301.
  sealer_.set_plaintext_version(record::kRecordVersion);
  return s;
}

Status Connection::send_message(Bytes message) {
  // Messages under the same keys leave together, several to a record.
  hs_out_.insert(hs_out_.end(), message.begin(), message.end());
  return {};
}

Status Connection::send_change_cipher_spec() {
  RTLS_TRY(flush_handshake());
  if (version_ == handshake::kTls12) {
    // RFC 5246 7.1: under the current write state (encrypted when renegotiating).
    static constexpr uint8_t kOne[1] = {1};
    return seal_records(ContentType::change_cipher_spec, kOne);
  }
  // RFC 8446 5: change_cipher_spec is never protected.
  static constexpr uint8_t kCcs[] = {20, 0x03, 0x03, 0x00, 0x01, 0x01};
  if (callbacks_->traces_messages())
    trace(true, ContentType::change_cipher_spec, Bytes(kCcs).last(1));
  out_.append(kCcs);
  return {};
}

Status Connection::set_write_keys(const handshake::TrafficKeys& keys, Epoch epoch) {
  RTLS_TRY(flush_handshake());
  RTLS_ASSIGN(record::Protection p,
              record::Protection::create(keys.version, keys.aead, crypto::AeadDirection::seal,
                                         keys.key.bytes(), keys.iv.bytes()));
  sealer_.set_protection(std::move(p));
  write_epoch_ = epoch;
  return {};
}

Status Connection::set_read_keys(const handshake::TrafficKeys& keys, Epoch epoch) {
  RTLS_ASSIGN(record::Protection p,
              record::Protection::create(keys.version, keys.aead, crypto::AeadDirection::open,
                                         keys.key.bytes(), keys.iv.bytes()));
  opener_.set_protection(std::move(p));
  read_epoch_ = epoch;
  read_keys_changed_ = true;
  return {};
}

size_t Connection::sealed_size(size_t n) const {
  const size_t full = n / send_limit_;
  const size_t rest = n % send_limit_;
  return full * record_size(send_limit_) + (rest ? record_size(rest) : 0);
}

namespace {

bool all_zero(const handshake::Random& r) {
  return std::all_of(r.begin(), r.end(), [](uint8_t b) { return b == 0; });
}

}  // namespace

handshake::Random Connection::hello_client_random() const {
  if (handshake_ && !all_zero(handshake_->client_random())) return handshake_->client_random();
  if (session_) return session_->client_random;
  return client_random_;
}

handshake::Random Connection::hello_server_random() const {
  if (handshake_ && !all_zero(handshake_->session().server_random)) {
    return handshake_->session().server_random;
  }
  return session_ ? session_->server_random : handshake::Random{};
}

size_t Connection::app_bytes_per_write(size_t wire_max) const {
  return std::max<size_t>(1, wire_max / record_size(send_limit_)) * send_limit_;
}

Status Connection::check_can_send() {
  if (error_) return *error_;
  if (close_sent()) return Error{Alert::internal_error, SSL_R_PROTOCOL_IS_SHUTDOWN};
  if (!started_) RTLS_TRY(start());
  // TLS 1.3 allows data once our application keys are in (a server's
  // 0.5-RTT); TLS 1.2 once a handshake has completed (also while renegotiating).
  const bool can_write =
      version_ == handshake::kTls12 ? session_ != nullptr : write_epoch_ == Epoch::application;
  if (!can_write) return Error{Alert::internal_error, SSL_R_BAD_HANDSHAKE_STATE};
  return {};
}

Result<size_t> Connection::send_app_to(Bytes data, MutBytes dest, size_t* used) {
  *used = 0;
  RTLS_TRY(check_can_send());
  size_t done = 0;
  while (done < data.size() && !wants_write()) {
    if (write_keys_worn()) break;  // send_app rekeys
    size_t n = std::min(data.size() - done, send_limit_);
    const size_t room = dest.size() - *used;
    if (room < record_size(n)) {
      // A shorter last record fills the room left (the end of a BIO pair's
      // ring, say), so no record is cut across it; not for a sliver.
      const size_t overhead = record_size(0);
      if (room < overhead + kMinLentRecord) break;
      n = room - overhead;
    }
    const size_t want = record_size(n);
    if (Status s =
            seal_one(dest.data() + *used, ContentType::application_data, data.subspan(done, n));
        !s.ok()) {
      return fail(s.error());
    }
    *used += want;
    done += n;
  }
  return done;
}

Result<size_t> Connection::send_app(Bytes data) {
  RTLS_TRY(check_can_send());
  // Seal straight from the caller's bytes into the output buffer: one
  // reservation for all the records, then one seal per record.
  const size_t total = data.size();
  size_t done = 0;
  while (done < total) {
    if (write_keys_worn()) {
      if (Status s = key_update(false); !s.ok()) return s.error();
    }
    const size_t n = std::min(total - done, send_limit_);
    const size_t want = record_size(n);
    uint8_t* at = out_.reserve_tail(std::max(want, sealed_size(total - done)));
    if (Status s = seal_one(at, ContentType::application_data, data.subspan(done, n)); !s.ok()) {
      return fail(s.error());
    }
    out_.commit(want);
    done += n;
  }
  return total;
}

Status Connection::key_update(bool request_peer_update) {
  if (error_) return *error_;
  if (version_ != handshake::kTls13) return Error{Alert::internal_error, SSL_R_WRONG_SSL_VERSION};
  if (write_epoch_ != Epoch::application || !session_) {
    return Error{Alert::internal_error, SSL_R_BAD_HANDSHAKE_STATE};
  }
  if (close_sent()) return Error{Alert::internal_error, SSL_R_PROTOCOL_IS_SHUTDOWN};
  // A kernel that seals our records takes one key change at a time.
  if (write_rekey_) return Error{Alert::internal_error, SSL_R_TOO_MANY_KEY_UPDATES};
  handshake::KeyUpdate ku;
  ku.request_update = request_peer_update ? handshake::KeyUpdateRequest::update_requested
                                          : handshake::KeyUpdateRequest::update_not_requested;
  ByteVec msg;
  RTLS_TRY(ku.serialize(msg));
  if (Status s = seal_records(ContentType::handshake, msg); !s.ok()) return fail(s.error());
  if (request_peer_update) sent_key_update_request_ = true;
  if (Status s = update_write_keys(); !s.ok()) return fail(s.error());
  return {};
}

// ---- post-handshake client authentication (RFC 8446 4.6.2) -------------------------------

Status Connection::request_client_certificate() {
  if (error_) return *error_;
  if (role_ != Role::server || version_ != handshake::kTls13 || !session_ || handshake_) {
    return Error{Alert::internal_error, SSL_R_WRONG_SSL_VERSION};
  }
  if (!session_->post_handshake_auth || !session_->pha_transcript) {
    return Error{Alert::internal_error, SSL_R_EXTENSION_NOT_RECEIVED};
  }
  if (pha_ != nullptr) return Error{Alert::internal_error, SSL_R_REQUEST_PENDING};
  if (close_sent()) return Error{Alert::internal_error, SSL_R_PROTOCOL_IS_SHUTDOWN};
  auto req = std::make_unique<ClientAuthRequest>();
  // A context unique within the connection (4.4.2): a counter, then random bytes.
  req->context.resize(32);
  config_->rng->fill(MutBytes(req->context));
  const uint32_t n = ++pha_requests_;
  for (int i = 0; i < 4; ++i) req->context[i] = static_cast<uint8_t>(n >> (24 - 8 * i));
  handshake::CertificateRequest cr;
  cr.certificate_request_context = req->context;
  std::vector<uint16_t> schemes;
  for (auto s : config_->signature_schemes) schemes.push_back(static_cast<uint16_t>(s));
  cr.extensions.push_back({static_cast<uint16_t>(handshake::ExtensionType::signature_algorithms),
                           handshake::encode_u16_list(schemes)});
  if (!config_->client_ca_names.empty()) {  // RFC 8446 4.2.4
    cr.extensions.push_back(
        {static_cast<uint16_t>(handshake::ExtensionType::certificate_authorities),
         handshake::encode_certificate_authorities(config_->client_ca_names)});
  }
  ByteVec msg;
  RTLS_TRY(cr.serialize(msg));
  req->transcript = *session_->pha_transcript;
  req->transcript.add(msg);
  if (Status s = seal_records(ContentType::handshake, msg); !s.ok()) return fail(s.error());
  pha_ = std::move(req);
  return {};
}

Status Connection::on_certificate_request(Bytes body, Bytes whole) {
  // Only a client that offered it may be asked (4.6.2).
  if (!session_->post_handshake_auth || !session_->pha_transcript) {
    return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_MESSAGE};
  }
  RTLS_ASSIGN(handshake::CertificateRequest cr, handshake::CertificateRequest::parse(body));
  // 4.3.2: a post-handshake request has a non-empty context and asks for
  // signature_algorithms.
  if (cr.certificate_request_context.empty())
    return Error{Alert::illegal_parameter, SSL_R_BAD_DATA};
  RTLS_ASSIGN(std::vector<uint16_t> peer_schemes,
              handshake::detail::signature_algorithms(cr.extensions));
  if (peer_schemes.empty()) {
    return Error{Alert::missing_extension, SSL_R_MISSING_SIGALGS_EXTENSION};
  }
  if (const handshake::Extension* ca = handshake::find_extension(
          cr.extensions, handshake::ExtensionType::certificate_authorities)) {
    RTLS_ASSIGN(session_->peer_ca_names, handshake::parse_certificate_authorities(ca->body));
  }
  handshake::Transcript t = *session_->pha_transcript;
  t.add(whole);
  std::optional<handshake::CertifiedKey> supplied;
  RTLS_ASSIGN(const handshake::CertifiedKey* key,
              handshake::detail::client_certificate(*config_, *callbacks_, supplied));
  std::optional<crypto::SignatureScheme> scheme;
  if (key != nullptr && key->signer) {
    scheme =
        handshake::detail::choose_scheme(config_->signature_schemes, peer_schemes, *key->signer);
  }
  // Without a certificate (or a scheme the server takes), an empty one: the
  // server decides (4.4.2.4).
  if (!scheme) key = nullptr;
  RTLS_ASSIGN(ByteVec out,
              handshake::detail::build_certificate(key, cr.certificate_request_context));
  t.add(out);
  if (key != nullptr) {
    RTLS_ASSIGN(crypto::Secret th, t.current());
    RTLS_ASSIGN(ByteVec cv, handshake::detail::build_certificate_verify(
                                *key->signer, *scheme, handshake::Role::client, th.bytes()));
    t.add(cv);
    out.insert(out.end(), cv.begin(), cv.end());
  }
  RTLS_ASSIGN(crypto::Secret th_fin, t.current());
  // 4.4: the Finished key comes from the current client application secret.
  RTLS_ASSIGN(ByteVec fin, handshake::detail::build_finished(
                               session_->suite->hash, session_->client_app_secret, th_fin.bytes()));
  out.insert(out.end(), fin.begin(), fin.end());
  if (close_sent()) return {};  // nothing more may be sent
  return seal_records(ContentType::handshake, out);
}

Status Connection::on_client_auth_message(handshake::HandshakeType type, Bytes body, Bytes whole) {
  using Step = ClientAuthRequest::Step;
  ClientAuthRequest& req = *pha_;
  switch (req.step) {
    case Step::certificate: {
      if (type != HandshakeType::certificate) break;
      RTLS_ASSIGN(handshake::CertificateMsg msg, handshake::CertificateMsg::parse(body));
      if (msg.certificate_request_context != req.context) {
        return Error{Alert::illegal_parameter, SSL_R_BAD_DATA};
      }
      req.transcript.add(whole);
      if (msg.certificate_list.empty()) {
        if (config_->verify == handshake::VerifyMode::require) {
          return Error{Alert::certificate_required, SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE};
        }
        req.step = Step::finished;
        return {};
      }
      RTLS_ASSIGN(req.chain, handshake::detail::certificate_chain(msg, config_->cert_cache.get()));
      RTLS_TRY(handshake::detail::verify_chain(*config_, req.chain, "", crypto::Purpose::client,
                                               *session_, *callbacks_));
      req.step = Step::certificate_verify;
      return {};
    }
    case Step::certificate_verify: {
      if (type != HandshakeType::certificate_verify) break;
      RTLS_ASSIGN(handshake::CertificateVerify cv, handshake::CertificateVerify::parse(body));
      RTLS_ASSIGN(crypto::Secret th, req.transcript.current());
      RTLS_TRY(handshake::detail::check_certificate_verify(
          cv, req.chain[0], config_->signature_schemes, handshake::Role::client, th.bytes()));
      req.transcript.add(whole);
      req.step = Step::finished;
      return {};
    }
    case Step::finished: {
      if (type != HandshakeType::finished) break;
      RTLS_ASSIGN(crypto::Secret th, req.transcript.current());
      RTLS_TRY(handshake::detail::check_finished(session_->suite->hash, session_->client_app_secret,
                                                 th.bytes(), body));
      if (!req.chain.empty()) session_->peer_chain = std::move(req.chain);
      pha_.reset();
      return {};
    }
  }
  return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_MESSAGE};
}

Status Connection::update_write_keys() {
  RTLS_TRY(handshake::settle_exporter_secret(*session_));
  crypto::Secret& secret =
      role_ == Role::client ? session_->client_app_secret : session_->server_app_secret;
  RTLS_ASSIGN(secret, handshake::next_traffic_secret(session_->suite->hash, secret));
  if (write_handed_off_) {
    // The kernel seals: it takes the new keys after the records queued so
    // far (the KeyUpdate among them). One change at a time.
    if (write_rekey_) return Error{Alert::internal_error, SSL_R_TOO_MANY_KEY_UPDATES};
    RTLS_ASSIGN(write_rekey_, tls13_record_keys(*session_->suite, secret, 0));
    write_rekey_after_ = out_.size();
    return {};
  }
  return handshake::set_write_secret(*this, *session_->suite, secret, Epoch::application);
}

Status Connection::close() {
  if (close_sent()) return {};
  if (!error_) {
    if (!started_) RTLS_TRY(start());
    RTLS_TRY(flush_handshake());
    // RFC 8446 6.1: close_notify, warning level.
    static constexpr uint8_t kCloseNotify[2] = {1, 0};
    if (Status s = seal_records(ContentType::alert, kCloseNotify); !s.ok()) return fail(s.error());
  }
  close_state_ = close_state_ == CloseState::received ? CloseState::both : CloseState::sent;
  return {};
}

// ---- input -------------------------------------------------------------------------------

Result<size_t> Connection::receive(Bytes in) {
  if (error_) return *error_;
  if (!started_) RTLS_TRY(start());
  const size_t room = in_.size() < kReceiveBufferLimit ? kReceiveBufferLimit - in_.size() : 0;
  const size_t take = std::min(room, in.size());
  in_.append(in.first(take));
  if (Status s = process_records(); !s.ok()) return s.error();
  return take;
}

MutBytes Connection::receive_buffer(size_t max) {
  const size_t room = in_.size() < kReceiveBufferLimit ? kReceiveBufferLimit - in_.size() : 0;
  const size_t n = std::min(room, max);
  return MutBytes(in_.reserve_tail(n), n);
}

Status Connection::commit_received(size_t n) {
  if (error_) return *error_;
  if (!started_) RTLS_TRY(start());
  in_.commit(n);
  return process_records();
}

size_t Connection::peek_app(MutBytes out) {
  if (app_pending() == 0 && !error_) {
    // A held record is opened in place, so what is peeked stays to be read.
    size_t none = 0;
    (void)open_head(MutBytes(), &none);
  }
  const size_t n = std::min(out.size(), app_pending());
  if (n > 0) std::memcpy(out.data(), in_.data().data() + app_offset_ + app_read_, n);
  return n;
}

bool Connection::app_readable() const {
  if (app_pending() > 0) return true;
  if (error_) return false;
  // A whole record waiting: held for the reader, or held and then left to the
  // usual path (a TLS 1.2 renegotiation began after it arrived).
  const Bytes head = in_.data();
  auto size = record::record_size(head);
  return size.ok() && *size > 0 && head.size() >= *size;
}

size_t Connection::read_app(MutBytes out) {
  size_t written = 0;
  if (out.empty()) {
    // Nothing to write to, but a held record is opened (in place): after
    // this, app_pending() tells whether it carries application data.
    if (app_pending() == 0 && !error_) (void)open_head(out, &written);
    return 0;
  }
  while (written < out.size()) {
    if (app_pending() > 0) {
      const size_t n = std::min(out.size() - written, app_pending());
      std::memcpy(out.data() + written, in_.data().data() + app_offset_ + app_read_, n);
      app_read_ += n;
      written += n;
      if (app_pending() == 0) {
        in_.consume(app_record_size_);
        app_len_ = app_read_ = app_record_size_ = 0;
        // More records may be waiting behind the one just drained.
        if (!error_ && !process_records().ok()) break;
      }
      continue;
    }
    if (error_ || !open_head(out.subspan(written), &written)) break;
  }
  return written;
}

bool Connection::held_for_reader(Bytes rec) const {
  if (!open_on_read_ || !handshake_done() || peer_closed() || error_) return false;
  if (static_cast<ContentType>(rec[0]) != ContentType::application_data) return false;
  return opener_.protected_() && read_epoch_ == Epoch::application;
}

size_t Connection::receive_allowance(size_t room, bool next_header) const {
  // The smallest overhead a protected record has: header and tag.
  constexpr size_t kMinOverhead = record::kHeaderSize + crypto::kAeadTagSize;
  if (app_pending() > 0) return 0;             // the reader has bytes to take first
  room = std::min(room, kReceiveBufferLimit);  // SIZE_MAX: as much as the buffer holds
  const Bytes rest = in_.data();               // a record still arriving, if anything
  size_t target;
  auto size = record::record_size(rest);
  if (!size.ok()) return 0;  // a bad header fails when processed
  if (*size == 0) {
    // The record's length is not known yet: whole records within room plus
    // the minimum overhead carry fewer than room bytes of plaintext.
    target = std::max(record::kHeaderSize, room > 0 ? room + kMinOverhead : 0);
  } else {
    // This record whatever the room; more only when all of it fits.
    const size_t plain = *size > kMinOverhead ? *size - kMinOverhead : 0;
    target = *size + (room > plain ? room - plain : 0);
  }
  if (next_header) target += record::kHeaderSize;  // its body stays behind
  if (target > kReceiveBufferLimit) target = kReceiveBufferLimit;
  return target > rest.size() ? target - rest.size() : 0;
}

Status Connection::on_app_data(size_t n) {
  // TLS 1.2: only once a handshake has completed (also while renegotiating).
  if (version_ == handshake::kTls12 ? session_ == nullptr : read_epoch_ != Epoch::application) {
    return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_RECORD};
  }
  if (n == 0) {
    if (++empty_records_ > kMaxEmptyRecords) {
      return Error{Alert::unexpected_message, SSL_R_RECORD_TOO_SMALL};
    }
    return {};
  }
  empty_records_ = 0;
  key_updates_ = 0;
  declined_renegotiations_ = 0;
  last_app_record_ = n;
  return {};
}

size_t Connection::held_plaintext_room(size_t record_size) const {
  const record::Protection* p = opener_.protection();
  return p != nullptr ? p->opened_size(record_size) : 0;
}

Status Connection::check_receive_limit(size_t record_size) const {
  if (receive_limit_ == 0) return {};
  if (held_plaintext_room(record_size) > receive_limit_)
    return Error{Alert::record_overflow, SSL_R_DATA_LENGTH_TOO_LONG};
  return {};
}

Status Connection::open_held_into(Bytes rec, MutBytes out, size_t* written) {
  if (!opener_.hides_content_type()) {
    // TLS 1.2: the header's type is the real one (application data), and the
    // plaintext is exactly the content. Handshake messages may not be
    // interleaved with other records.
    if (!hs_in_.empty()) return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_RECORD};
    RTLS_ASSIGN(const record::OpenedRecord opened, opener_.open_into(rec, out.data()));
    RTLS_TRY(on_app_data(opened.payload.size()));
    *written += opened.payload.size();
    return {};
  }
  // TLS 1.3: the content type (and any padding) ends the inner plaintext. Its
  // last bytes are decrypted into a scratch area, so that nothing but the
  // application data lands in the reader's buffer: like OpenSSL, a read
  // writes no byte past the count it returns (a zeroed buffer read to one
  // byte short of its size stays a C string). A record this small goes there
  // whole, so a KeyUpdate, a ticket or an alert never touches the buffer.
  // The split falls on a 64-byte boundary: the ciphers' blocks (16 bytes for
  // AES-GCM, 64 for ChaCha20) are not cut, which keeps their fast paths.
  uint8_t scratch[kOpenScratch + 64];
  const size_t inner = held_plaintext_room(rec.size());
  const size_t head = inner > kOpenScratch ? (inner - kOpenScratch) & ~size_t{63} : 0;
  RTLS_TRY(check_receive_limit(rec.size()));
  RTLS_ASSIGN(const record::Protection::Split split,
              opener_.open_split(rec, out.data(), head, scratch));
  const size_t n = split.length;
  if (split.type == ContentType::application_data) {
    // RFC 8446 5.1: handshake messages may not be interleaved.
    if (!hs_in_.empty()) return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_RECORD};
    if (n > head) {
      std::memcpy(out.data() + head, scratch, n - head);
    } else if (head > 0) {
      // Padding reached into the buffer: it holds the type byte at n and
      // zeros after it; only zeros stay.
      out[n] = 0;
    }
    RTLS_TRY(on_app_data(n));
    *written += n;
    return {};
  }
  // Not application data: handled from where it was decrypted (made whole in
  // the reader's buffer if it did not fit the scratch area, then wiped).
  uint8_t* payload = scratch;
  if (head > 0) {
    if (n > head) std::memcpy(out.data() + head, scratch, n - head);
    payload = out.data();
  }
  bool keep = false;
  Status st = dispatch_record(record::OpenedRecord{split.type, MutBytes(payload, n)}, rec, &keep);
  if (head > 0) secure_zero(out.first(std::max(n, head)));
  return st;
}

bool Connection::open_head(MutBytes out, size_t* written) {
  const Bytes head = in_.data();
  auto size = record::record_size(head);
  if (!size.ok() || *size == 0 || head.size() < *size) return false;
  if (!held_for_reader(head)) {
    // Held when it arrived, no longer (a TLS 1.2 renegotiation has begun):
    // the usual path opens it, and any behind it.
    const size_t before = in_.size();
    if (!process_records().ok()) return false;
    return in_.size() != before || app_pending() > 0;
  }
  const MutBytes rec(in_.begin_ptr(), *size);
  const size_t needed = held_plaintext_room(*size);
  Status s;
  if (out.size() < needed || needed == 0) {
    // It does not fit: opened in place, then read piece by piece.
    bool keep = false;
    s = process_record(rec, &keep);
    if (s.ok() && keep) {
      app_record_size_ = *size;
      return true;
    }
  } else {
    s = open_held_into(rec, out, written);
  }
  if (!s.ok()) {
    (void)fail(s.error(), !error_from_peer_);
    return false;
  }
  in_.consume(*size);
  if (Status f = flush_handshake(); !f.ok()) {
    (void)fail(f.error());
    return false;
  }
  return process_records().ok();
}

size_t Connection::read_app_from(Bytes in, MutBytes out, size_t* written) {
  size_t consumed = 0;
  while (!error_ && idle_in()) {
    const Bytes rest = in.subspan(consumed);
    auto size = record::record_size(rest);
    if (!size.ok() || *size == 0 || rest.size() < *size || !held_for_reader(rest)) break;
    const size_t needed = held_plaintext_room(*size);
    if (needed == 0 || out.size() - *written < needed) break;
    if (Status s = open_held_into(rest.first(*size), out.subspan(*written), written); !s.ok()) {
      (void)fail(s.error(), !error_from_peer_);
      break;
    }
    consumed += *size;
    if (Status f = flush_handshake(); !f.ok()) {
      (void)fail(f.error());
      break;
    }
  }
  return consumed;
}

Status Connection::process_records() {
  while (app_pending() == 0 && !error_) {
    auto size = record::record_size(in_.data());
    // As OpenSSL: a first record whose version is not 3.x does not look like TLS, and
    // gets no alert.
    if (!size.ok()) {
      return fail(size.error(), record_seen_ || size.error().reason != SSL_R_WRONG_VERSION_NUMBER);
    }
    if (*size == 0 || in_.size() < *size) break;
    if (held_for_reader(in_.data())) break;  // read_app opens it
    bool keep = false;
    if (Status s = process_record(MutBytes(in_.begin_ptr(), *size), &keep); !s.ok()) {
      return fail(s.error(), !error_from_peer_);
    }
    if (Status s = flush_handshake(); !s.ok()) return fail(s.error());
    if (keep) {
      app_record_size_ = *size;
      break;
    }
    in_.consume(*size);
    record_seen_ = true;
  }
  if (error_) return *error_;
  return {};
}

Status Connection::process_record(MutBytes rec, bool* keep_record) {
  const auto outer = static_cast<ContentType>(rec[0]);
  record::OpenedRecord opened{outer, rec.subspan(record::kHeaderSize)};
  if (read_handed_off_) {
    // The kernel opened it (hand_off_read): a plain record of its real type.
    if (opened.payload.size() > record::kMaxPlaintext) {
      return Error{Alert::record_overflow, SSL_R_DATA_LENGTH_TOO_LONG};
    }
    if (outer == ContentType::change_cipher_spec) {
      return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_CCS_MESSAGE};
    }
    return dispatch_record(opened, rec, keep_record);
  }
  if (outer == ContentType::change_cipher_spec) {
    // Opened under TLS 1.2 keys (RFC 5246 6.2: after change_cipher_spec
    // every record is protected and keeps its real type); else in the clear.
    if (opener_.opens(outer)) {
      RTLS_ASSIGN(opened, opener_.open(rec));
    }
    return on_change_cipher_spec(rec, opened.payload);
  }
  // A TLS 1.3 peer that failed before it had keys answers with a plaintext alert.
  const bool plaintext_alert = outer == ContentType::alert && opener_.hides_content_type() &&
                               handshake_ != nullptr && rec.size() == record::kHeaderSize + 2;
  if (skipping_early_data_ && outer == ContentType::application_data) {
    // RFC 8446 4.2.10: declined early data is dropped: before the handshake
    // keys (after a HelloRetryRequest) every protected record, then those
    // that fail to open under them. The first that opens ends the skipping.
    auto trial = opener_.protected_()
                     ? opener_.open(rec)
                     : Result<record::OpenedRecord>(Error{Alert::bad_record_mac, 0});
    if (!trial.ok()) {
      skipped_early_data_ += rec.size();
      if (skipped_early_data_ > kMaxSkippedEarlyData) {
        return Error{Alert::unexpected_message, SSL_R_TOO_MUCH_EARLY_DATA};
      }
      return {};
    }
    skipping_early_data_ = false;
    opened = *trial;
  } else if (!plaintext_alert) {
    // Under TLS 1.3 keys anything but application_data is unexpected_message.
    if (opener_.opens(outer)) RTLS_TRY(check_receive_limit(rec.size()));
    RTLS_ASSIGN(opened, opener_.open(rec));
  }
  return dispatch_record(opened, rec, keep_record);
}

Status Connection::on_change_cipher_spec(Bytes rec, Bytes payload) {
  if (version_ == handshake::kTls12) {
    if (payload.size() > record::kMaxPlaintext) {
      return Error{Alert::record_overflow, SSL_R_DATA_LENGTH_TOO_LONG};
    }
    if (callbacks_->traces_messages()) trace(false, ContentType::change_cipher_spec, payload);
    return on_change_cipher_spec12(payload);
  }
  // RFC 8446 5: change_cipher_spec {0x01} is dropped between the first
  // ClientHello and the peer's Finished; anything else is unexpected.
  // Empty and in the clear (no keys yet): dropped as OpenSSL drops it.
  if (rec.size() == record::kHeaderSize && !opener_.protected_()) return count_empty_record();
  if (handshake_ == nullptr || !handshake_->ccs_allowed() || rec.size() != 6 || rec[5] != 1) {
    return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_CCS_MESSAGE};
  }
  if (++empty_records_ > kMaxEmptyRecords) {
    return Error{Alert::unexpected_message, SSL_R_RECORD_TOO_SMALL};
  }
  return {};  // dropped unseen, also by the message trace (as OpenSSL's msg callback)
}

Status Connection::dispatch_record(const record::OpenedRecord& opened, Bytes rec,
                                   bool* keep_record) {
  // RFC 8446 5.1: handshake messages may not be interleaved with other types.
  if (opened.type != ContentType::handshake && !hs_in_.empty()) {
    return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_RECORD};
  }
  if (close_state_ == CloseState::received || close_state_ == CloseState::both) {
    return {};  // RFC 8446 6.1: data after close_notify is ignored
  }
  switch (opened.type) {
    case ContentType::handshake:
      // RFC 8446 5.1: no zero-length handshake fragments in TLS 1.3's
      // protected records; in the clear and in TLS 1.2 an empty fragment is
      // an empty record (as OpenSSL: counted and dropped).
      if (opened.payload.empty()) {
        if (!opener_.hides_content_type()) return count_empty_record();
        return Error{Alert::unexpected_message, SSL_R_BAD_LENGTH};
      }
      return on_handshake_bytes(opened.payload);
    case ContentType::alert:
      return on_alert(opened.payload);
    case ContentType::application_data:
      RTLS_TRY(on_app_data(opened.payload.size()));
      if (opened.payload.empty()) return {};
      // The plaintext stays where it was decrypted, after the record header.
      app_offset_ = static_cast<size_t>(opened.payload.data() - rec.data());
      app_len_ = opened.payload.size();
      app_read_ = 0;
      *keep_record = true;
      return {};
    default:
      return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_RECORD};
  }
}

Status Connection::count_empty_record() {
  if (++empty_records_ > kMaxEmptyRecords) {
    return Error{Alert::unexpected_message, SSL_R_RECORD_TOO_SMALL};
  }
  return {};
}

Status Connection::on_alert(Bytes payload) {
  // RFC 8446 6 / RFC 5246 7.2: an alert is two bytes; a record of any other
  // length (empty, padded in TLS 1.3 or not) is an unexpected message, as
  // OpenSSL answers it (tests/conformance/hostile_hello_test.cc).
  if (payload.size() != 2) return Error{Alert::unexpected_message, SSL_R_INVALID_ALERT};
  if (callbacks_->traces_messages()) trace(false, ContentType::alert, payload);
  const auto desc = static_cast<Alert>(payload[1]);
  if (desc == Alert::close_notify) {
    close_state_ = close_state_ == CloseState::sent ? CloseState::both : CloseState::received;
    return {};
  }
  // RFC 5246 7.2: in TLS 1.2 a warning is not fatal, but no_renegotiation in
  // answer to our renegotiation ends it (as OpenSSL: handshake_failure).
  if (version_ == handshake::kTls12 && payload[0] == 1) {
    if (desc == Alert::no_renegotiation && handshake_ != nullptr) {
      return Error{Alert::handshake_failure, SSL_R_NO_RENEGOTIATION};
    }
    if (++empty_records_ > kMaxEmptyRecords) {
      return Error{Alert::unexpected_message, SSL_R_TOO_MANY_WARN_ALERTS};
    }
    return {};
  }
  // RFC 8446 6.2: user_canceled is followed by close_notify; every other
  // alert is fatal whatever its level.
  if (desc == Alert::user_canceled) {
    if (++empty_records_ > kMaxEmptyRecords) {
      return Error{Alert::unexpected_message, SSL_R_TOO_MANY_WARN_ALERTS};
    }
    return {};
  }
  error_from_peer_ = true;
  // OpenSSL's reason for a received alert is 1000 + its description.
  return Error{desc, 1000 + payload[1]};
}

Status Connection::on_handshake_bytes(Bytes payload) {
  hs_in_.insert(hs_in_.end(), payload.begin(), payload.end());
  size_t used = 0;
  Status result;
  while (hs_in_.size() - used >= 4) {
    const uint8_t* h = hs_in_.data() + used;
    const size_t len = size_t{h[1]} << 16 | size_t{h[2]} << 8 | h[3];
    if (len > kMaxHandshakeMessageSize) {
      result = Error{Alert::illegal_parameter, SSL_R_EXCESSIVE_MESSAGE_SIZE};
      break;
    }
    if (hs_in_.size() - used < 4 + len) break;
    more_in_record_ = used + 4 + len != hs_in_.size();
    read_keys_changed_ = false;
    if (callbacks_->traces_messages()) trace(false, ContentType::handshake, Bytes(h, 4 + len));
    result = on_handshake_message(static_cast<HandshakeType>(h[0]), Bytes(h + 4, len),
                                  Bytes(h, 4 + len));
    used += 4 + len;
    if (!result.ok()) break;
    // RFC 8446 5.1: a key change must fall on a record boundary.
    if (read_keys_changed_ && used != hs_in_.size()) {
      result = Error{Alert::unexpected_message, SSL_R_NOT_ON_RECORD_BOUNDARY};
      break;
    }
  }
  if (!result.ok()) return result;
  hs_in_.erase(hs_in_.begin(), hs_in_.begin() + static_cast<std::ptrdiff_t>(used));
  if (hs_in_.size() > kMaxHandshakeMessageSize + 4) {
    return Error{Alert::illegal_parameter, SSL_R_EXCESSIVE_MESSAGE_SIZE};
  }
  return {};
}

Status Connection::on_handshake_message(HandshakeType type, Bytes body, Bytes whole) {
  if (handshake_ == nullptr) return on_post_handshake_message(type, body, whole);
  // RFC 5246 7.4.1.1: a HelloRequest during a handshake is ignored.
  if (version_ == handshake::kTls12 && role_ == Role::client && session_ != nullptr &&
      static_cast<uint8_t>(type) == handshake::kHelloRequest) {
    return {};
  }
  RTLS_TRY(handshake_->on_message(*this, type, body, whole));
  if (handshake_->done()) finish_handshake();
  return {};
}

void Connection::finish_handshake() {
  session_ = std::make_unique<handshake::SessionInfo>(std::move(handshake_->session()));
  // A TLS 1.2 client's resumable session is kept as a ticket is.
  if (session_->resumable12) {
    keep_ticket(std::move(*session_->resumable12));
    session_->resumable12.reset();
  }
  ++handshakes_completed_;
  hello_request_sent_ = false;
  handshake_.reset();  // the transcript, key shares and handshake secrets go
  empty_records_ = 0;
}

Status Connection::on_post_handshake_message(HandshakeType type, Bytes body, Bytes whole) {
  if (version_ == handshake::kTls12) {
    if (role_ == Role::client && static_cast<uint8_t>(type) == handshake::kHelloRequest) {
      return on_hello_request();
    }
    if (role_ == Role::server && type == HandshakeType::client_hello) {
      return on_renegotiating_client_hello(body, whole);
    }
    return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_MESSAGE};
  }
  // RFC 8446 4.6.2: the answer to a CertificateRequest comes whole, before
  // anything else of the handshake type.
  if (pha_ != nullptr) return on_client_auth_message(type, body, whole);
  switch (type) {
    case HandshakeType::new_session_ticket:
      if (role_ == Role::client) return on_new_session_ticket(body);
      break;
    case HandshakeType::key_update:
      return on_key_update(body);
    case HandshakeType::certificate_request:
      if (role_ == Role::client) return on_certificate_request(body, whole);
      break;
    default:
      break;
  }
  return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_MESSAGE};
}

Status Connection::on_new_session_ticket(Bytes body) {
  RTLS_ASSIGN(handshake::NewSessionTicket nst, handshake::NewSessionTicket::parse(body));
  // RFC 8446 4.6.1: lifetime at most seven days.
  if (nst.ticket_lifetime > 604800) return Error{Alert::illegal_parameter, SSL_R_BAD_DATA};
  // Past a connection's first tickets, more are ignored (a client may): a
  // server sending thousands costs neither memory nor key derivations.
  if (++tickets_seen_ > kMaxTicketsPerConnection) return {};
  // A ticket too long to offer again (its identity and the rest of a
  // ClientHello must fit the extension's 16-bit length) is not kept.
  if (nst.ticket.size() > kMaxOfferedTicket) return {};
  handshake::StoredTicket t;
  t.suite = static_cast<uint16_t>(session_->suite->suite);
  const crypto::HashAlg alg = session_->suite->hash;
  RTLS_ASSIGN(t.psk,
              crypto::hkdf_expand_label(alg, session_->resumption_secret.bytes(), "resumption",
                                        nst.ticket_nonce, crypto::hash_size(alg)));
  for (const auto& e : nst.extensions) {
    if (e.type == static_cast<uint16_t>(handshake::ExtensionType::early_data)) {
      RTLS_ASSIGN(t.max_early_data, handshake::parse_early_data_nst(e.body));
    }
  }
  t.ticket = std::move(nst.ticket);
  // One copy of the chain for all of this connection's tickets.
  if (!ticket_chain_) {
    ticket_chain_ = std::make_shared<const std::vector<crypto::Certificate>>(session_->peer_chain);
  }
  t.peer_chain = ticket_chain_;
  // A check this connection deferred stays deferred: a client that verifies
  // makes it before it offers the ticket (ClientHandshake::may_offer).
  t.verify_result = session_->verify_result;
  t.verify_deferred = session_->verify_deferred;
  t.verified_host = !verify_host_.empty() ? verify_host_
                    : check_server_name_  ? session_->server_name
                                          : std::string();
  t.server_name = session_->server_name;
  t.lifetime_s = nst.ticket_lifetime;
  t.age_add = nst.ticket_age_add;
  t.received_ms = config_->clock->now_ms();
  keep_ticket(std::move(t));
  return {};
}

void Connection::keep_ticket(handshake::StoredTicket t) {
  if (queue_new_tickets_) new_tickets_.push_back(t);
  if (tickets_.size() == kMaxStoredTickets) tickets_.erase(tickets_.begin());
  tickets_.push_back(std::move(t));
  ++tickets_received_;
}

Status Connection::on_key_update(Bytes body) {
  RTLS_ASSIGN(handshake::KeyUpdate ku, handshake::KeyUpdate::parse(body));
  if (++key_updates_ > kMaxKeyUpdates) {
    return Error{Alert::unexpected_message, SSL_R_TOO_MANY_KEY_UPDATES};
  }
  RTLS_TRY(handshake::settle_exporter_secret(*session_));
  crypto::Secret& peer =
      role_ == Role::client ? session_->server_app_secret : session_->client_app_secret;
  RTLS_ASSIGN(peer, handshake::next_traffic_secret(session_->suite->hash, peer));
  if (read_handed_off_) {
    // The kernel opens the peer's records: it takes the new keys before the
    // transport reads again (io::fill_kernel).
    RTLS_ASSIGN(read_rekey_, tls13_record_keys(*session_->suite, peer, 0));
  } else {
    RTLS_TRY(handshake::set_read_secret(*this, *session_->suite, peer, Epoch::application));
  }
  // RFC 8446 4.6.3: answer update_requested with our own KeyUpdate before any
  // more application data, unless we have closed our side. A KeyUpdate of
  // ours still waiting for the kernel (hand_off_write) leaves before any
  // more data, so it answers this request too.
  if (ku.request_update == handshake::KeyUpdateRequest::update_requested && !close_sent() &&
      !write_rekey_) {
    handshake::KeyUpdate reply;
    ByteVec msg;
    RTLS_TRY(reply.serialize(msg));
    RTLS_TRY(seal_records(ContentType::handshake, msg));
    RTLS_TRY(update_write_keys());
  }
  return {};
}

// ---- TLS 1.2: change_cipher_spec and renegotiation -------------------------------------

Status Connection::on_change_cipher_spec12(Bytes payload) {
  // An empty record carries no message: counted and dropped, as OpenSSL does.
  if (payload.empty()) return count_empty_record();
  // RFC 5246 7.1: one byte, 1, at a message boundary, when the handshake
  // expects it.
  if (payload.size() != 1 || payload[0] != 1) {
    return Error{Alert::unexpected_message, SSL_R_BAD_CHANGE_CIPHER_SPEC};
  }
  if (handshake_ == nullptr || !handshake_->expects_change_cipher_spec() || !hs_in_.empty()) {
    return Error{Alert::unexpected_message, SSL_R_UNEXPECTED_CCS_MESSAGE};
  }
  return handshake_->on_change_cipher_spec(*this);
}

Status Connection::renegotiate() {
  if (error_) return *error_;
  if (version_ != handshake::kTls12 || !session_ || handshake_) {
    return Error{Alert::internal_error, SSL_R_WRONG_SSL_VERSION};
  }
  // The kernel seals our records and cannot take a new handshake's keys.
  if (write_handed_off_ || read_handed_off_) {
    return Error{Alert::internal_error, SSL_R_NO_RENEGOTIATION};
  }
  // RFC 5746 4.2: renegotiate only when both sides proved they do it safely.
  if (!session_->secure_renegotiation) {
    return Error{Alert::handshake_failure, SSL_R_NO_RENEGOTIATION};
  }
  if (role_ == Role::server) {
    handshake::HelloRequest hr;
    ByteVec msg;
    RTLS_TRY(hr.serialize(msg));
    if (Status s = seal_records(ContentType::handshake, msg); !s.ok()) return fail(s.error());
    hello_request_sent_ = true;
    return {};
  }
  handshake::ClientOptions options{session_->server_name, verify_host_};
  options.check_server_name = check_server_name_;
  handshake_ = handshake::make_client_handshake(
      config_, options,
      handshake::Renegotiation{session_->client_verify_data, session_->server_verify_data});
  handshake_->set_callbacks(callbacks_);
  if (Status s = handshake_->start(*this); !s.ok()) return fail(s.error());
  if (Status s = flush_handshake(); !s.ok()) return fail(s.error());
  return {};
}

Status Connection::on_hello_request() {
  // RFC 5746 4.2: without secure renegotiation, decline with a warning; so
  // too when the kernel seals our records (it cannot change keys).
  if (!session_->secure_renegotiation || close_sent() || write_handed_off_ || read_handed_off_) {
    static constexpr uint8_t kNoRenegotiation[2] = {1, 100};
    return seal_records(ContentType::alert, kNoRenegotiation);
  }
  return renegotiate();
}

Status Connection::on_renegotiating_client_hello(Bytes body, Bytes whole) {
  if (!(config_->allow_client_renegotiation || hello_request_sent_) ||
      !session_->secure_renegotiation || write_handed_off_ || read_handed_off_) {
    // RFC 5246 7.2.2: no_renegotiation is a warning; the connection goes on,
    // unless the peer asks again and again with no data in between.
    if (++declined_renegotiations_ > kMaxDeclinedRenegotiations) {
      return Error{Alert::unexpected_message, SSL_R_NO_RENEGOTIATION};
    }
    static constexpr uint8_t kNoRenegotiation[2] = {1, 100};
    return seal_records(ContentType::alert, kNoRenegotiation);
  }
  handshake_ = handshake::make_server_handshake(
      config_,
      handshake::Renegotiation{session_->client_verify_data, session_->server_verify_data});
  handshake_->set_callbacks(callbacks_);
  RTLS_TRY(handshake_->on_message(*this, HandshakeType::client_hello, body, whole));
  if (handshake_->done()) finish_handshake();
  return {};
}

}  // namespace rapidtls::conn
