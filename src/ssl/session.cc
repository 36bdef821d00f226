// SSL_SESSION: sessions and resumption through the C interface.
//
// A client's TLS 1.3 session becomes resumable when a NewSessionTicket
// arrives (after the handshake, read by SSL_read as OpenSSL does); a TLS 1.2
// session when its handshake completes with a session id or an RFC 5077
// ticket. SSL_get1_session then returns one that can be resumed, and
// SSL_set_session on a later connection offers it (RFC 8446 4.2.11; RFC 5246
// 7.4.1.2, RFC 5077 3.4). With SSL_SESS_CACHE_CLIENT in the context's cache
// mode, its new-session callback gets each such session, as in OpenSSL. A
// server resumes the tickets its context issued, and TLS 1.2 sessions from
// its session cache (session_cache.cc). SSL_session_reused tells whether a
// handshake resumed.
//
// i2d_SSL_SESSION / d2i_SSL_SESSION (and the PEM functions on them) keep a
// session for a later process. The bytes are rapidtls's own layout, not
// OpenSSL's ASN.1 (each library reads only its own): DER SEQUENCE { OCTET
// STRING } around a magic and a format version, then the fields,
// length-prefixed (session_fields below). They hold the resumption PSK, as
// OpenSSL's hold the master secret: store them as secrets.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "codec/reader.h"
#include "codec/writer.h"
#include "ssl/internal.h"

namespace {

namespace hs = rapidtls::handshake;

int protocol_version(uint16_t v) {
  return v == hs::kTls13 ? TLS1_3_VERSION : v == hs::kTls12 ? TLS1_2_VERSION : 0;
}

// The ticket SSL_get_session's session of `s` carries: a client's latest,
// or the one it resumed with until a new one comes; none for a server.
std::optional<hs::StoredTicket> current_ticket(const SSL* s) {
  if (s->role != rapidtls::ssl::Role::client) return std::nullopt;
  if (!s->conn->tickets().empty()) return s->conn->tickets().back();
  if (s->conn->session()->resumed && s->resume_session != nullptr) {
    return s->resume_session->ticket;
  }
  return std::nullopt;
}

// A TLS 1.2 server's session as its cache keeps it (a full handshake that
// gave it an id, or a resumption of one), to be put back with
// SSL_CTX_add_session; none otherwise.
std::optional<hs::StoredTicket> server_state(const SSL* s) {
  const hs::SessionInfo* info = s->conn->session();
  if (s->role != rapidtls::ssl::Role::server || info->version != hs::kTls12 ||
      info->session_id.empty() || !info->extended_master_secret || info->suite12 == nullptr) {
    return std::nullopt;
  }
  hs::StoredTicket t;
  t.version = hs::kTls12;
  t.suite = info->suite12->id;
  t.psk = info->master_secret;
  t.session_id = info->session_id;
  t.extended_master_secret = true;
  t.sid_ctx = s->own_sid_ctx ? s->sid_ctx : s->ctx->sid_ctx;
  t.server_name = info->server_name;
  if (!info->peer_chain.empty()) {
    t.peer_chain =
        std::make_shared<const std::vector<rapidtls::crypto::Certificate>>(info->peer_chain);
  }
  t.verify_result = info->verify_result;
  t.received_ms = static_cast<uint64_t>(std::time(nullptr)) * 1000;
  return t;
}

// A session describing `s` now (version, suite, peer), with `ticket`.
SSL_SESSION* describe(const SSL* s, std::optional<hs::StoredTicket> ticket) {
  auto* sess = new ssl_session_st;
  const hs::SessionInfo* info = s->conn->session();
  // A TLS 1.2 session's id is the ServerHello's. TLS 1.3 has none; OpenSSL
  // gives a client's session random bytes (SSL_SESSION_get_id tells
  // sessions apart), and so does this (also for a TLS 1.2 ticket without).
  const rapidtls::ByteVec& id = ticket ? ticket->session_id : info->session_id;
  if (!id.empty()) {
    sess->id = id;
  } else {
    sess->id.resize(SSL_MAX_SSL_SESSION_ID_LENGTH);
    if (RAND_bytes(sess->id.data(), static_cast<int>(sess->id.size())) != 1) sess->id.clear();
  }
  sess->sid_ctx = s->own_sid_ctx ? s->sid_ctx : s->ctx->sid_ctx;
  sess->version = protocol_version(info->version);
  const SSL_CIPHER* cipher = SSL_get_current_cipher(s);
  sess->cipher_id = cipher != nullptr ? SSL_CIPHER_get_protocol_id(cipher) : 0;
  sess->hostname = info->server_name;
  if (!info->peer_chain.empty()) sess->peer = info->peer_chain.front();
  // The time a ticket came (or now); the timeout is the client context's, as
  // in OpenSSL (the ticket's lifetime is SSL_SESSION_get_ticket_lifetime_hint).
  sess->time = ticket ? static_cast<long>(ticket->received_ms / 1000)
                      : static_cast<long>(std::time(nullptr));
  sess->timeout = s->ctx->session_timeout;
  sess->ticket = std::move(ticket);
  return sess;
}

constexpr char kMagic[8] = {'R', 'T', 'L', 'S', 'S', 'E', 'S', 'S'};
// 2: the session id and id context, and a ticket's version, TLS 1.2 session
// id and extended_master_secret flag (format 1 had TLS 1.3 tickets only).
constexpr uint8_t kFormat = 2;

rapidtls::Bytes text(const std::string& v) {
  return rapidtls::Bytes(reinterpret_cast<const uint8_t*>(v.data()), v.size());
}

// The fields (see the top of the file); empty if one does not fit its
// length prefix (a host name over 64 KiB, say).
rapidtls::ByteVec session_fields(const SSL_SESSION& sess) {
  const hs::StoredTicket* t = sess.ticket ? &*sess.ticket : nullptr;
  static const std::vector<rapidtls::crypto::Certificate> kNone;
  const auto& chain = t != nullptr ? t->chain() : kNone;
  // Sized up front: the buffer holding the PSK never moves (no copy of it
  // left behind in freed memory).
  size_t size = 512 + sess.hostname.size();
  if (t != nullptr) {
    size += t->ticket.size() + t->verified_host.size() + t->server_name.size() + t->sid_ctx.size();
    for (const auto& c : chain) size += 3 + c.der().size();
  }
  rapidtls::ByteVec out;
  out.reserve(size);
  rapidtls::codec::Writer w(out);
  for (char c : kMagic) w.u8(static_cast<uint8_t>(c));
  w.u8(kFormat);
  w.u16(static_cast<uint16_t>(sess.version));
  w.u16(sess.cipher_id);
  w.u64(static_cast<uint64_t>(sess.time));
  w.u64(static_cast<uint64_t>(sess.timeout));
  w.vec16(text(sess.hostname));
  w.vec8(sess.id);
  w.vec8(sess.sid_ctx);
  w.u8(t != nullptr ? 1 : 0);
  if (t != nullptr) {
    w.u16(t->version);
    w.vec8(t->session_id);
    w.u8(t->extended_master_secret ? 1 : 0);
    w.vec8(t->sid_ctx);
    w.u16(t->suite);
    w.vec16(t->ticket);
    w.vec8(t->psk.bytes());
    w.u32(t->lifetime_s);
    w.u32(t->age_add);
    w.u64(t->received_ms);
    w.u32(t->max_early_data);
    w.u64(static_cast<uint64_t>(t->verify_result));
    w.u8(t->verify_deferred ? 1 : 0);
    w.vec16(text(t->verified_host));
    w.vec16(text(t->server_name));
    const size_t n = std::min<size_t>(chain.size(), 255);
    w.u8(static_cast<uint8_t>(n));
    for (size_t i = 0; i < n; ++i) w.vec24(chain[i].der());
  }
  if (!w.ok()) {
    OPENSSL_cleanse(out.data(), out.size());
    out.clear();
  }
  return out;
}

// DER framing, SEQUENCE { OCTET STRING fields }, so that BIO readers that
// frame by the DER header (d2i_SSL_SESSION_bio) take all of it.
void der_header(rapidtls::ByteVec& out, uint8_t tag, size_t len) {
  out.push_back(tag);
  if (len < 0x80) {
    out.push_back(static_cast<uint8_t>(len));
  } else {
    out.push_back(0x83);  // three length bytes: up to 16 MiB
    out.push_back(static_cast<uint8_t>(len >> 16));
    out.push_back(static_cast<uint8_t>(len >> 8));
    out.push_back(static_cast<uint8_t>(len));
  }
}

rapidtls::ByteVec session_bytes(const SSL_SESSION& sess) {
  rapidtls::ByteVec fields = session_fields(sess);
  rapidtls::ByteVec out;
  if (fields.empty() || fields.size() >= (size_t{1} << 24) - 8) return out;
  out.reserve(fields.size() + 10);
  rapidtls::ByteVec inner;
  der_header(inner, 0x04, fields.size());
  der_header(out, 0x30, inner.size() + fields.size());
  out.insert(out.end(), inner.begin(), inner.end());
  out.insert(out.end(), fields.begin(), fields.end());
  OPENSSL_cleanse(fields.data(), fields.size());
  return out;
}

// One DER header of `tag` at the front of `r`; its content length in *len.
bool read_der_header(rapidtls::codec::Reader& r, uint8_t tag, size_t* len) {
  uint8_t t = 0, first = 0;
  if (!r.read_u8(&t) || t != tag || !r.read_u8(&first)) return false;
  if (first < 0x80) {
    *len = first;
    return true;
  }
  uint32_t v = 0;
  if (first == 0x81) {
    uint8_t b = 0;
    if (!r.read_u8(&b)) return false;
    v = b;
  } else if (first == 0x82) {
    uint16_t b = 0;
    if (!r.read_u16(&b)) return false;
    v = b;
  } else if (first == 0x83) {
    if (!r.read_u24(&v)) return false;
  } else {
    return false;
  }
  *len = v;
  return true;
}

// The session in `in` (its first one), or null when it is not one; *used:
// the bytes it took.
SSL_SESSION* session_from(rapidtls::Bytes in, size_t* used) {
  rapidtls::codec::Reader outer(in);
  size_t seq_len = 0, oct_len = 0;
  if (!read_der_header(outer, 0x30, &seq_len) || seq_len > outer.remaining()) return nullptr;
  const size_t header = in.size() - outer.remaining();
  rapidtls::codec::Reader seq(in.subspan(header, seq_len));
  rapidtls::Bytes fields;
  if (!read_der_header(seq, 0x04, &oct_len) || oct_len != seq.remaining() ||
      !seq.read_bytes(oct_len, &fields)) {
    return nullptr;
  }
  rapidtls::codec::Reader r(fields);
  rapidtls::Bytes magic;
  uint8_t format = 0;
  if (!r.read_bytes(sizeof kMagic, &magic) || std::memcmp(magic.data(), kMagic, sizeof kMagic) ||
      !r.read_u8(&format) || format != kFormat) {
    return nullptr;
  }
  auto sess = std::make_unique<ssl_session_st>();
  uint16_t version = 0;
  uint64_t time = 0, timeout = 0;
  rapidtls::Bytes hostname, id, sid_ctx;
  uint8_t has_ticket = 0;
  if (!r.read_u16(&version) || !r.read_u16(&sess->cipher_id) || !r.read_u64(&time) ||
      !r.read_u64(&timeout) || !r.read_vec16(&hostname) || !r.read_vec8(&id) ||
      id.size() > SSL_MAX_SSL_SESSION_ID_LENGTH || !r.read_vec8(&sid_ctx) ||
      sid_ctx.size() > SSL_MAX_SID_CTX_LENGTH || !r.read_u8(&has_ticket) || has_ticket > 1) {
    return nullptr;
  }
  sess->version = version;
  sess->time = static_cast<long>(time);
  sess->timeout = static_cast<long>(timeout);
  sess->hostname.assign(hostname.begin(), hostname.end());
  sess->id.assign(id.begin(), id.end());
  sess->sid_ctx.assign(sid_ctx.begin(), sid_ctx.end());
  if (has_ticket) {
    hs::StoredTicket t;
    rapidtls::Bytes ticket, psk, verified_host, server_name, session_id, ticket_sid_ctx;
    uint64_t verify_result = 0;
    uint8_t deferred = 0, count = 0, ems = 0;
    if (!r.read_u16(&t.version) || (t.version != hs::kTls12 && t.version != hs::kTls13) ||
        !r.read_vec8(&session_id) || session_id.size() > SSL_MAX_SSL_SESSION_ID_LENGTH ||
        !r.read_u8(&ems) || ems > 1 || !r.read_vec8(&ticket_sid_ctx) ||
        ticket_sid_ctx.size() > SSL_MAX_SID_CTX_LENGTH || !r.read_u16(&t.suite) ||
        !r.read_vec16(&ticket) ||
        // A TLS 1.3 session needs its ticket; a TLS 1.2 one its ticket or id.
        (ticket.empty() && (t.version == hs::kTls13 || session_id.empty())) ||
        ticket.size() > rapidtls::conn::kMaxOfferedTicket || !r.read_vec8(&psk) || psk.empty() ||
        psk.size() > rapidtls::crypto::Secret::kMaxSize || !r.read_u32(&t.lifetime_s) ||
        !r.read_u32(&t.age_add) || !r.read_u64(&t.received_ms) || !r.read_u32(&t.max_early_data) ||
        !r.read_u64(&verify_result) || !r.read_u8(&deferred) || deferred > 1 ||
        !r.read_vec16(&verified_host) || !r.read_vec16(&server_name) || !r.read_u8(&count)) {
      return nullptr;
    }
    std::vector<rapidtls::crypto::Certificate> chain;
    for (uint8_t i = 0; i < count; ++i) {
      rapidtls::Bytes der;
      if (!r.read_vec24(&der)) return nullptr;
      auto cert = rapidtls::crypto::Certificate::from_der(der);
      if (!cert.ok()) return nullptr;
      chain.push_back(std::move(cert).value());
    }
    if (!r.expect_end()) return nullptr;
    if (!chain.empty()) sess->peer = chain.front();
    t.peer_chain =
        std::make_shared<const std::vector<rapidtls::crypto::Certificate>>(std::move(chain));
    t.ticket.assign(ticket.begin(), ticket.end());
    t.session_id.assign(session_id.begin(), session_id.end());
    t.extended_master_secret = ems != 0;
    t.sid_ctx.assign(ticket_sid_ctx.begin(), ticket_sid_ctx.end());
    t.psk = rapidtls::crypto::Secret(psk);
    t.verify_result = static_cast<long>(verify_result);
    t.verify_deferred = deferred != 0;
    t.verified_host.assign(verified_host.begin(), verified_host.end());
    t.server_name.assign(server_name.begin(), server_name.end());
    sess->ticket = std::move(t);
  } else if (!r.expect_end()) {
    return nullptr;
  }
  *used = header + seq_len;
  return sess.release();
}

}  // namespace

namespace rapidtls::ssl {

SSL_SESSION* server_session(const SSL* s, const hs::StoredTicket& state) {
  auto* sess = new ssl_session_st;
  sess->id = state.session_id;
  sess->sid_ctx = state.sid_ctx;
  sess->version = protocol_version(state.version);
  sess->cipher_id = state.suite;
  sess->time = static_cast<long>(std::time(nullptr));
  sess->timeout = s->session_ctx->session_timeout;
  sess->hostname = state.server_name;
  if (!state.chain().empty()) sess->peer = state.chain().front();
  sess->ticket = state;
  return sess;
}

void report_tickets(SSL* s) {
  // On every SSL_read: a flag test unless a ticket came.
  if (!s->conn || !s->conn->has_new_tickets()) return;
  std::vector<hs::StoredTicket> fresh = s->conn->take_new_tickets();
  if ((s->ctx->session_cache_mode & SSL_SESS_CACHE_CLIENT) == 0 ||
      s->ctx->new_session_cb == nullptr) {
    return;
  }
  // A session per ticket, however many came in one read.
  for (hs::StoredTicket& t : fresh) {
    SSL_SESSION* sess = describe(s, std::move(t));
    // The callback keeps the reference when it returns 1 (SSL_CTX_sess_set_new_cb(3)).
    if (s->ctx->new_session_cb(s, sess) == 0) SSL_SESSION_free(sess);
  }
}

}  // namespace rapidtls::ssl

extern "C" {

SSL_SESSION* SSL_SESSION_new(void) {
  return new ssl_session_st;
}

int SSL_SESSION_up_ref(SSL_SESSION* sess) {
  if (sess == nullptr) return 0;
  sess->references.fetch_add(1);
  return 1;
}

void SSL_SESSION_free(SSL_SESSION* sess) {
  if (sess == nullptr) return;
  if (sess->references.fetch_sub(1) == 1) delete sess;  // the PSK is wiped by ~Secret
}

int SSL_SESSION_is_resumable(const SSL_SESSION* sess) {
  return sess != nullptr && sess->ticket.has_value() ? 1 : 0;
}

int SSL_SESSION_has_ticket(const SSL_SESSION* sess) {
  return sess != nullptr && sess->ticket && !sess->ticket->ticket.empty() ? 1 : 0;
}

unsigned long SSL_SESSION_get_ticket_lifetime_hint(const SSL_SESSION* sess) {
  return sess != nullptr && sess->ticket ? sess->ticket->lifetime_s : 0;
}

int SSL_SESSION_get_protocol_version(const SSL_SESSION* sess) {
  return sess != nullptr ? sess->version : 0;
}

const SSL_CIPHER* SSL_SESSION_get0_cipher(const SSL_SESSION* sess) {
  return sess != nullptr ? rapidtls::ssl::cipher_by_id(sess->cipher_id) : nullptr;
}

const char* SSL_SESSION_get0_hostname(const SSL_SESSION* sess) {
  return sess != nullptr && !sess->hostname.empty() ? sess->hostname.c_str() : nullptr;
}

long SSL_SESSION_get_time(const SSL_SESSION* sess) {
  return sess != nullptr ? sess->time : 0;
}

long SSL_SESSION_set_time(SSL_SESSION* sess, long t) {
  if (sess == nullptr) return 0;
  sess->time = t;
  return t;
}

long SSL_SESSION_get_timeout(const SSL_SESSION* sess) {
  return sess != nullptr ? sess->timeout : 0;
}

long SSL_SESSION_set_timeout(SSL_SESSION* sess, long t) {
  if (sess == nullptr) return 0;
  sess->timeout = t;
  return 1;
}

SSL_SESSION* SSL_get_session(const SSL* s) {
  if (s->conn == nullptr || s->conn->session() == nullptr) return s->resume_session;
  // Made again when a handshake completed or a ticket came since the last one.
  auto* self = const_cast<SSL*>(s);
  const int handshakes = static_cast<int>(s->conn->handshakes_completed());
  if (self->current_session == nullptr || self->current_session_handshakes != handshakes ||
      self->current_session_tickets != s->conn->tickets_received()) {
    SSL_SESSION_free(self->current_session);
    self->current_session =
        describe(s, s->role == rapidtls::ssl::Role::server ? server_state(s) : current_ticket(s));
    self->current_session_handshakes = handshakes;
    self->current_session_tickets = s->conn->tickets_received();
  }
  return self->current_session;
}

SSL_SESSION* SSL_get1_session(SSL* s) {
  SSL_SESSION* sess = SSL_get_session(s);
  if (sess != nullptr) SSL_SESSION_up_ref(sess);
  return sess;
}

int SSL_set_session(SSL* s, SSL_SESSION* sess) {
  // Only before the handshake has begun: the ClientHello carries the ticket.
  if (s->conn != nullptr && s->conn->started()) {
    ERR_raise(ERR_LIB_SSL, ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED);
    return 0;
  }
  if (sess != nullptr) SSL_SESSION_up_ref(sess);
  SSL_SESSION_free(s->resume_session);
  s->resume_session = sess;
  s->conn.reset();  // made again, with the session, by the first call that needs it
  return 1;
}

int SSL_session_reused(const SSL* s) {
  return s->conn != nullptr && s->conn->session() != nullptr && s->conn->session()->resumed ? 1 : 0;
}

int i2d_SSL_SESSION(const SSL_SESSION* in, unsigned char** pp) {
  if (in == nullptr) return 0;
  rapidtls::ByteVec bytes = session_bytes(*in);
  if (bytes.empty()) {
    ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
    return 0;
  }
  int len = static_cast<int>(bytes.size());
  if (pp != nullptr) {
    // The i2d conventions: write at *pp and move it on, or, with *pp null,
    // allocate a buffer for the caller (OPENSSL_free) and point *pp at it.
    if (*pp == nullptr) {
      *pp = static_cast<unsigned char*>(OPENSSL_malloc(bytes.size()));
      if (*pp != nullptr) {
        std::memcpy(*pp, bytes.data(), bytes.size());
      } else {
        len = 0;
      }
    } else {
      std::memcpy(*pp, bytes.data(), bytes.size());
      *pp += bytes.size();
    }
  }
  OPENSSL_cleanse(bytes.data(), bytes.size());  // the PSK
  return len;
}

// Unlike OpenSSL's, a session read into a non-null *a is a new object: the
// old one loses the reference *a held (other references to it stay valid).
SSL_SESSION* d2i_SSL_SESSION(SSL_SESSION** a, const unsigned char** pp, long length) {
  if (pp == nullptr || *pp == nullptr || length <= 0) {
    ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT);
    return nullptr;
  }
  size_t used = 0;
  SSL_SESSION* sess = session_from(rapidtls::Bytes(*pp, static_cast<size_t>(length)), &used);
  if (sess == nullptr) {
    ERR_raise(ERR_LIB_SSL, SSL_R_BAD_DATA);
    return nullptr;
  }
  *pp += used;
  if (a != nullptr) {
    SSL_SESSION_free(*a);
    *a = sess;
  }
  return sess;
}

X509* SSL_SESSION_get0_peer(SSL_SESSION* sess) {
  return sess != nullptr && sess->peer ? sess->peer->raw() : nullptr;
}

SSL_SESSION* PEM_read_bio_SSL_SESSION(BIO* bp, SSL_SESSION** x, pem_password_cb* cb, void* u) {
  return static_cast<SSL_SESSION*>(
      PEM_ASN1_read_bio(reinterpret_cast<d2i_of_void*>(d2i_SSL_SESSION), PEM_STRING_SSL_SESSION, bp,
                        reinterpret_cast<void**>(x), cb, u));
}

int PEM_write_bio_SSL_SESSION(BIO* bp, const SSL_SESSION* x) {
  return PEM_ASN1_write_bio(reinterpret_cast<i2d_of_void*>(i2d_SSL_SESSION), PEM_STRING_SSL_SESSION,
                            bp, x, nullptr, nullptr, 0, nullptr, nullptr);
}

SSL_SESSION* PEM_read_SSL_SESSION(FILE* fp, SSL_SESSION** x, pem_password_cb* cb, void* u) {
  return static_cast<SSL_SESSION*>(PEM_ASN1_read(reinterpret_cast<d2i_of_void*>(d2i_SSL_SESSION),
                                                 PEM_STRING_SSL_SESSION, fp,
                                                 reinterpret_cast<void**>(x), cb, u));
}

int PEM_write_SSL_SESSION(FILE* fp, const SSL_SESSION* x) {
  return PEM_ASN1_write(reinterpret_cast<i2d_of_void*>(i2d_SSL_SESSION), PEM_STRING_SSL_SESSION, fp,
                        x, nullptr, nullptr, 0, nullptr, nullptr);
}

void SSL_CTX_sess_set_new_cb(SSL_CTX* ctx, int (*cb)(SSL*, SSL_SESSION*)) {
  ctx->new_session_cb = cb;
}

int (*SSL_CTX_sess_get_new_cb(SSL_CTX* ctx))(SSL*, SSL_SESSION*) {
  return ctx->new_session_cb;
}

}  // extern "C"

ssl_session_st::ssl_session_st() {
  CRYPTO_new_ex_data(CRYPTO_EX_INDEX_SSL_SESSION, this, &ex_data);
}

ssl_session_st::~ssl_session_st() {
  CRYPTO_free_ex_data(CRYPTO_EX_INDEX_SSL_SESSION, this, &ex_data);
}

extern "C" {

const unsigned char* SSL_SESSION_get_id(const SSL_SESSION* sess, unsigned int* len) {
  if (len != nullptr) *len = static_cast<unsigned>(sess->id.size());
  return sess->id.data();
}

int SSL_SESSION_set1_id(SSL_SESSION* sess, const unsigned char* sid, unsigned int sid_len) {
  if (sid_len > SSL_MAX_SSL_SESSION_ID_LENGTH) {
    ERR_raise(ERR_LIB_SSL, SSL_R_SSL_SESSION_ID_TOO_LONG);
    return 0;
  }
  sess->id.assign(sid, sid + sid_len);
  return 1;
}

const unsigned char* SSL_SESSION_get0_id_context(const SSL_SESSION* sess, unsigned int* len) {
  if (len != nullptr) *len = static_cast<unsigned>(sess->sid_ctx.size());
  return sess->sid_ctx.data();
}

int SSL_SESSION_set1_id_context(SSL_SESSION* sess, const unsigned char* sid_ctx,
                                unsigned int sid_ctx_len) {
  if (sid_ctx_len > SSL_MAX_SID_CTX_LENGTH) {
    ERR_raise(ERR_LIB_SSL, SSL_R_SSL_SESSION_ID_CONTEXT_TOO_LONG);
    return 0;
  }
  sess->sid_ctx.assign(sid_ctx, sid_ctx + sid_ctx_len);
  return 1;
}

int SSL_SESSION_set_ex_data(SSL_SESSION* sess, int idx, void* arg) {
  return CRYPTO_set_ex_data(&sess->ex_data, idx, arg);
}

void* SSL_SESSION_get_ex_data(const SSL_SESSION* sess, int idx) {
  return CRYPTO_get_ex_data(&sess->ex_data, idx);
}

// The session's secret: for a TLS 1.3 session, its resumption PSK (RFC 8446
// 4.6.1), as OpenSSL keeps it; a TLS 1.2 session's master secret; none for a
// session that cannot be resumed. outlen 0: the size.
size_t SSL_SESSION_get_master_key(const SSL_SESSION* sess, unsigned char* out, size_t outlen) {
  if (!sess->ticket) return 0;
  const rapidtls::Bytes psk = sess->ticket->psk.bytes();
  if (outlen == 0) return psk.size();
  const size_t n = std::min(outlen, psk.size());
  std::memcpy(out, psk.data(), n);
  return n;
}

}  // extern "C"
