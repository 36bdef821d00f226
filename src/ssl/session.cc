// SSL_SESSION: sessions and TLS 1.3 resumption through the C interface.
//
// A client's session becomes resumable when a NewSessionTicket arrives (after
// the handshake, read by SSL_read as OpenSSL does): SSL_get1_session then
// returns one with the ticket, and SSL_set_session on a later connection
// offers it (RFC 8446 4.2.11). With SSL_SESS_CACHE_CLIENT in the context's
// cache mode, its new-session callback gets a session per ticket, as in
// OpenSSL. A server resumes the tickets its context issued (stateless: no
// server-side cache). SSL_session_reused tells whether a handshake resumed.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <ctime>

#include "ssl/internal.h"

namespace {

namespace hs = rapidtls::handshake;

int protocol_version(uint16_t v) {
  return v == hs::kTls13 ? TLS1_3_VERSION : v == hs::kTls12 ? TLS1_2_VERSION : 0;
}

// The session that describes `s` now: its version and suite, and for a
// client the latest ticket it holds.
SSL_SESSION* describe(const SSL* s) {
  auto* sess = new ssl_session_st;
  const hs::SessionInfo* info = s->conn->session();
  sess->version = protocol_version(info->version);
  sess->cipher_id = info->suite12 != nullptr ? info->suite12->id
                    : info->suite != nullptr ? static_cast<uint16_t>(info->suite->suite)
                                             : 0;
  sess->time = static_cast<long>(std::time(nullptr));
  sess->timeout = s->ctx->session_timeout;
  sess->hostname = info->server_name;
  if (s->role == rapidtls::ssl::Role::client) {
    if (!s->conn->tickets().empty()) {
      sess->ticket = s->conn->tickets().back();
    } else if (info->resumed && s->resume_session != nullptr) {
      sess->ticket = s->resume_session->ticket;  // still the one it resumed with
    }
  }
  // The time a ticket came; the timeout is the client context's, as in
  // OpenSSL (the ticket's lifetime is SSL_SESSION_get_ticket_lifetime_hint).
  if (sess->ticket) sess->time = static_cast<long>(sess->ticket->received_ms / 1000);
  return sess;
}

}  // namespace

namespace rapidtls::ssl {

void report_tickets(SSL* s) {
  if (!s->conn || s->role != Role::client) return;
  std::vector<hs::StoredTicket> fresh = s->conn->take_new_tickets();
  if ((s->ctx->session_cache_mode & SSL_SESS_CACHE_CLIENT) == 0 ||
      s->ctx->new_session_cb == nullptr) {
    return;
  }
  // A session per ticket, however many came in one read.
  for (hs::StoredTicket& t : fresh) {
    SSL_SESSION* sess = describe(s);
    sess->ticket = std::move(t);
    sess->time = static_cast<long>(sess->ticket->received_ms / 1000);
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
  return SSL_SESSION_is_resumable(sess);
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
    self->current_session = describe(s);
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

void SSL_CTX_sess_set_new_cb(SSL_CTX* ctx, int (*cb)(SSL*, SSL_SESSION*)) {
  ctx->new_session_cb = cb;
}

int (*SSL_CTX_sess_get_new_cb(SSL_CTX* ctx))(SSL*, SSL_SESSION*) {
  return ctx->new_session_cb;
}

}  // extern "C"
