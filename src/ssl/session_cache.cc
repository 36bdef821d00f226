// The server session cache of the C interface (SSL_CTX_set_session_cache_mode(3),
// SSL_CTX_sess_set_new_cb(3), SSL_CTX_add_session(3), SSL_CTX_flush_sessions(3)):
// TLS 1.2 sessions by session id (RFC 5246 7.4.1.2).
//
// A server's full TLS 1.2 handshake with the extended master secret gives its
// session an id, unless an RFC 5077 ticket carries it. With
// SSL_SESS_CACHE_SERVER the session goes to the session context's internal
// cache (unless SSL_SESS_CACHE_NO_INTERNAL_STORE) and to its new-session
// callback; a ClientHello's id is looked up in the internal cache (unless
// SSL_SESS_CACHE_NO_INTERNAL_LOOKUP), then with the get-session callback.
// A session found there is resumed when it is within its timeout
// (SSL_SESSION_get_time + get_timeout), has the SSL's session id context, and
// the rules of ServerHandshake::find_session12 allow it.
//
// TLS 1.3 with SSL_OP_NO_TICKET (and SSL_SESS_CACHE_SERVER), as OpenSSL:
// stateful tickets. The ticket is a session id; the session (its PSK) goes
// to the cache and the new-session callback like a TLS 1.2 session, and is
// found again the same way; it stays there when used (OpenSSL removes it only
// to stop the replay of early data, which rapidtls does not accept). With the
// cache off the tickets still go out, naming sessions kept nowhere, as
// OpenSSL's do.
//
// The internal cache holds at most SSL_CTX_sess_get_cache_size sessions (0:
// no limit); adding one past that removes the oldest, as OpenSSL does. Every
// session leaving the internal cache goes to the remove callback.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <ctime>
#include <vector>

#include "ssl/internal.h"

namespace {

namespace hs = rapidtls::handshake;
using Sessions = ssl_ctx_st::Sessions;

bool expired(const SSL_SESSION* sess, long now) {
  return sess->time + sess->timeout < now;
}

// Takes sess out of the cache (the mutex held); its reference goes to *out.
void unlink(Sessions& c,
            std::map<std::vector<uint8_t>, std::list<SSL_SESSION*>::iterator>::iterator it,
            std::vector<SSL_SESSION*>* out) {
  out->push_back(*it->second);
  c.order.erase(it->second);
  c.by_id.erase(it);
}

// Takes the oldest session out (the mutex held). It is found by the id it
// was added under, which a program may have changed since
// (SSL_SESSION_set1_id): then by the entry that holds it.
void evict_oldest(Sessions& c, std::vector<SSL_SESSION*>* out) {
  SSL_SESSION* oldest = c.order.front();
  auto it = c.by_id.find(oldest->id);
  if (it == c.by_id.end() || *it->second != oldest) {
    it = std::find_if(c.by_id.begin(), c.by_id.end(),
                      [oldest](const auto& e) { return *e.second == oldest; });
  }
  if (it != c.by_id.end()) {
    unlink(c, it, out);
  } else {
    out->push_back(oldest);
    c.order.pop_front();
  }
}

// Hands removed sessions to the remove callback and drops the cache's
// references (the mutex released: the callback may call into the context).
void release(SSL_CTX* ctx, std::vector<SSL_SESSION*>& removed) {
  for (SSL_SESSION* sess : removed) {
    if (ctx->sess_remove_cb != nullptr) ctx->sess_remove_cb(ctx, sess);
    SSL_SESSION_free(sess);
  }
  removed.clear();
}

// Adds sess (taking a new reference) unless a session with its id is there:
// 1 added, 0 not. Evicts the oldest past the size limit.
int insert(SSL_CTX* ctx, SSL_SESSION* sess) {
  std::vector<SSL_SESSION*> removed;
  int added = 0;
  {
    Sessions& c = ctx->sessions;
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.by_id.find(sess->id);
    if (it != c.by_id.end()) {
      if (*it->second == sess) return 0;  // already there
      unlink(c, it, &removed);            // another session with the same id: replaced
    }
    SSL_SESSION_up_ref(sess);
    c.order.push_back(sess);
    c.by_id.emplace(sess->id, std::prev(c.order.end()));
    added = 1;
    const long limit = ctx->session_cache_size;
    while (limit > 0 && c.order.size() > static_cast<size_t>(limit)) {
      c.cache_full.fetch_add(1);
      evict_oldest(c, &removed);
    }
  }
  release(ctx, removed);
  return added;
}

// The internal cache's session with this id (a new reference), or null.
// An expired one is removed.
SSL_SESSION* lookup(SSL_CTX* ctx, rapidtls::Bytes id, long now) {
  std::vector<SSL_SESSION*> removed;
  SSL_SESSION* found = nullptr;
  {
    Sessions& c = ctx->sessions;
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.by_id.find(std::vector<uint8_t>(id.begin(), id.end()));
    if (it == c.by_id.end()) return nullptr;
    if (expired(*it->second, now)) {
      c.timeouts.fetch_add(1);
      unlink(c, it, &removed);
    } else {
      found = *it->second;
      SSL_SESSION_up_ref(found);
    }
  }
  release(ctx, removed);
  return found;
}

// The session with this id in the session context's cache (internal, then
// the get-session callback), a reference; null when there is none or it
// expired. Counts hits and misses.
SSL_SESSION* find_session(SSL* s, rapidtls::Bytes id) {
  SSL_CTX* ctx = s->session_ctx;
  const long mode = ctx->session_cache_mode;
  const long now = static_cast<long>(std::time(nullptr));
  SSL_SESSION* sess = nullptr;
  if ((mode & SSL_SESS_CACHE_NO_INTERNAL_LOOKUP) == 0) sess = lookup(ctx, id, now);
  if (sess != nullptr) {
    ctx->sessions.hits.fetch_add(1);
  } else if (ctx->sess_get_cb != nullptr && id.size() <= SSL_MAX_SSL_SESSION_ID_LENGTH) {
    // SSL_CTX_sess_set_get_cb(3): with *copy left at 1 the program keeps
    // its reference and we take one; set to 0, its reference is ours.
    int copy = 1;
    sess = ctx->sess_get_cb(s, id.data(), static_cast<int>(id.size()), &copy);
    if (sess != nullptr) {
      if (copy != 0) SSL_SESSION_up_ref(sess);
      if (expired(sess, now)) {
        ctx->sessions.timeouts.fetch_add(1);
        SSL_SESSION_free(sess);
        sess = nullptr;
      } else {
        ctx->sessions.cb_hits.fetch_add(1);
        // As OpenSSL, a session the callback found joins the internal cache.
        if ((mode & SSL_SESS_CACHE_NO_INTERNAL_STORE) == 0) insert(ctx, sess);
      }
    }
  }
  if (sess == nullptr) ctx->sessions.misses.fetch_add(1);
  return sess;
}

// Adds a session a server made: internal store, new-session callback. As
// OpenSSL, not a session without an id context on a server that verifies
// clients: resuming it would fail the handshake
// (SSL_R_SESSION_ID_CONTEXT_UNINITIALIZED), so it is not kept.
void add_session(SSL* s, const hs::StoredTicket& state) {
  SSL_CTX* ctx = s->session_ctx;
  const long mode = ctx->session_cache_mode;
  if ((mode & SSL_SESS_CACHE_SERVER) == 0) return;
  if (state.sid_ctx.empty() && (s->verify_mode & SSL_VERIFY_PEER) != 0) return;
  SSL_SESSION* sess = rapidtls::ssl::server_session(s, state);
  if ((mode & SSL_SESS_CACHE_NO_INTERNAL_STORE) == 0) insert(ctx, sess);
  // SSL_CTX_sess_set_new_cb(3): the callback keeps the reference it is
  // given when it returns 1.
  if (ctx->new_session_cb != nullptr) {
    SSL_SESSION_up_ref(sess);
    if (ctx->new_session_cb(s, sess) == 0) SSL_SESSION_free(sess);
  }
  SSL_SESSION_free(sess);
}

class ServerSessionCache final : public hs::SessionCache12 {
 public:
  std::optional<hs::StoredTicket> find(rapidtls::Bytes id,
                                       hs::ConnectionCallbacks& callbacks) override {
    SSL* s = rapidtls::ssl::ssl_of(callbacks);
    if (s == nullptr) return std::nullopt;
    SSL_SESSION* sess = find_session(s, id);
    if (sess == nullptr) return std::nullopt;
    std::optional<hs::StoredTicket> out;
    if (sess->ticket && sess->ticket->version == hs::kTls12 && sess->version == TLS1_2_VERSION) {
      out = *sess->ticket;
      // The SSL_SESSION's own id and id context count (a program may have
      // changed them: SSL_SESSION_set1_id_context).
      out->session_id = sess->id;
      out->sid_ctx = sess->sid_ctx;
    }
    SSL_SESSION_free(sess);
    return out;
  }

  void add(const hs::StoredTicket& state, hs::ConnectionCallbacks& callbacks) override {
    if (SSL* s = rapidtls::ssl::ssl_of(callbacks)) add_session(s, state);
  }
};

class StatefulTicketIssuer final : public hs::TicketIssuer {
 public:
  rapidtls::Result<hs::NewSessionTicket> issue(const hs::SuiteInfo& suite,
                                               const rapidtls::crypto::Secret& resumption_secret,
                                               const hs::TicketPeer& peer, uint64_t now_ms,
                                               rapidtls::crypto::RandomSource& rng,
                                               hs::ConnectionCallbacks& callbacks) override {
    SSL* s = rapidtls::ssl::ssl_of(callbacks);
    if (s == nullptr) return hs::NewSessionTicket{};  // not an SSL's: declined
    hs::NewSessionTicket nst;
    nst.ticket_lifetime = s->session_ctx->ticket_lifetime();
    uint8_t age_add[4];
    rng.fill(age_add);
    nst.ticket_age_add = uint32_t{age_add[0]} << 24 | uint32_t{age_add[1]} << 16 |
                         uint32_t{age_add[2]} << 8 | age_add[3];
    nst.ticket_nonce.resize(8);
    rng.fill(nst.ticket_nonce);
    hs::StoredTicket state;
    state.version = hs::kTls13;
    state.suite = static_cast<uint16_t>(suite.suite);
    RTLS_ASSIGN(state.psk, hs::ticket_psk(suite, resumption_secret, nst.ticket_nonce));
    state.session_id.resize(SSL_MAX_SSL_SESSION_ID_LENGTH);
    rng.fill(state.session_id);
    state.ticket = state.session_id;
    state.sid_ctx = s->own_sid_ctx ? s->sid_ctx : s->ctx->sid_ctx;
    state.age_add = nst.ticket_age_add;
    state.received_ms = now_ms;
    state.lifetime_s = nst.ticket_lifetime;
    if (peer.chain != nullptr && !peer.chain->empty()) {
      state.peer_chain = std::make_shared<const std::vector<rapidtls::crypto::Certificate>>(
          std::vector<rapidtls::crypto::Certificate>{peer.chain->front()});
    }
    state.verify_result = peer.verify_result;
    add_session(s, state);
    nst.ticket = state.session_id;
    return nst;
  }

  std::optional<hs::TicketContents> open(rapidtls::Bytes ticket, uint64_t now_ms,
                                         hs::ConnectionCallbacks& callbacks) override {
    SSL* s = rapidtls::ssl::ssl_of(callbacks);
    if (s == nullptr) return std::nullopt;
    if (ticket.size() != SSL_MAX_SSL_SESSION_ID_LENGTH) return std::nullopt;
    SSL_SESSION* sess = find_session(s, ticket);
    if (sess == nullptr) return std::nullopt;
    std::optional<hs::TicketContents> out;
    const hs::StoredTicket* t = sess->ticket ? &*sess->ticket : nullptr;
    if (t != nullptr && t->version == hs::kTls13 && sess->version == TLS1_3_VERSION &&
        now_ms >= t->received_ms &&
        now_ms - t->received_ms <= uint64_t{s->session_ctx->ticket_lifetime()} * 1000) {
      out = hs::TicketContents{t->suite,   t->psk,        t->received_ms,
                               t->age_add, t->peer_chain, t->verify_result};
    }
    SSL_SESSION_free(sess);
    return out;
  }
};

}  // namespace

namespace rapidtls::ssl {

std::shared_ptr<hs::SessionCache12> server_session_cache() {
  static const auto cache = std::make_shared<ServerSessionCache>();
  return cache;
}

std::shared_ptr<hs::TicketIssuer> stateful_ticket_issuer() {
  static const auto issuer = std::make_shared<StatefulTicketIssuer>();
  return issuer;
}

void flush_all_sessions(SSL_CTX* ctx) {
  SSL_CTX_flush_sessions(ctx, 0);
}

}  // namespace rapidtls::ssl

extern "C" {

int SSL_CTX_add_session(SSL_CTX* ctx, SSL_SESSION* sess) {
  if (ctx == nullptr || sess == nullptr) return 0;
  return insert(ctx, sess);
}

int SSL_CTX_remove_session(SSL_CTX* ctx, SSL_SESSION* sess) {
  if (ctx == nullptr || sess == nullptr) return 0;
  std::vector<SSL_SESSION*> removed;
  {
    Sessions& c = ctx->sessions;
    std::lock_guard<std::mutex> lock(c.mutex);
    // By id, as OpenSSL: another object naming the same session will do.
    auto it = c.by_id.find(sess->id);
    if (it == c.by_id.end()) return 0;
    unlink(c, it, &removed);
  }
  release(ctx, removed);
  return 1;
}

// SSL_CTX_flush_sessions(3): removes the sessions expired at time tm
// (seconds since the epoch; 0: every session).
void SSL_CTX_flush_sessions(SSL_CTX* ctx, long tm) {
  if (ctx == nullptr) return;
  std::vector<SSL_SESSION*> removed;
  {
    Sessions& c = ctx->sessions;
    std::lock_guard<std::mutex> lock(c.mutex);
    for (auto it = c.by_id.begin(); it != c.by_id.end();) {
      auto next = std::next(it);
      if (tm == 0 || expired(*it->second, tm)) unlink(c, it, &removed);
      it = next;
    }
  }
  release(ctx, removed);
}

}  // extern "C"
