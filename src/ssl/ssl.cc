// SSL objects: creation, transports, roles and the handshake, state queries,
// verification results, shutdown and key update.
#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>

#include "handshake/exporter.h"
#include "ssl/internal.h"

namespace hs = rapidtls::handshake;
using rapidtls::ssl::LastIo;
using rapidtls::ssl::Role;

ssl_st::ssl_st(SSL_CTX* c)
    : ctx(c),
      mode(c->mode),
      options(c->options),
      verify_mode(c->verify_mode),
      read_ahead(c->read_ahead),
      verify_callback(c->verify_callback) {
  SSL_CTX_up_ref(ctx);
  CRYPTO_new_ex_data(CRYPTO_EX_INDEX_SSL, this, &ex_data);
  if (c->method->role == 1) role = Role::client;
  if (c->method->role == 2) role = Role::server;
}

ssl_st::~ssl_st() {
  CRYPTO_free_ex_data(CRYPTO_EX_INDEX_SSL, this, &ex_data);
  SSL_SESSION_free(resume_session);
  SSL_SESSION_free(current_session);
  if (peer_chain_stack != nullptr) sk_X509_pop_free(peer_chain_stack, X509_free);
  if (wbio != rbio) BIO_free_all(wbio);
  BIO_free_all(rbio);
  SSL_CTX_free(ctx);
}

void ssl_st::reapply_settings() {
  if (!conn) return;  // a connection made later takes them from config()
  settings_changed = false;
  auto cfg = std::make_shared<hs::Config>(*conn->config());
  ctx->apply_verify(*cfg, verify_mode, verify_callback);
  cfg->allow_client_renegotiation = (options & SSL_OP_ALLOW_CLIENT_RENEGOTIATION) != 0;
  conn->set_config(std::move(cfg));
}

bool ssl_st::ensure_connection() {
  if (conn) {
    apply_changed_settings();
    return true;
  }
  if (role == Role::unset) return false;
  auto config = ctx->config(this);
  if (role == Role::client) {
    hs::ClientOptions opts{host, verify_host};
    if (resume_session != nullptr && resume_session->ticket) opts.resume = *resume_session->ticket;
    conn = std::make_unique<rapidtls::conn::Connection>(rapidtls::conn::Role::client, config,
                                                        std::move(opts));
    conn->set_queue_new_tickets(true);  // for the new-session callback (report_tickets)
  } else {
    conn = std::make_unique<rapidtls::conn::Connection>(rapidtls::conn::Role::server, config);
  }
  conn->set_app(this);
  // SSL_read decrypts straight into the caller's buffer.
  conn->set_open_on_read(true);
  return true;
}

namespace {

void set_fd_bio(BIO** slot, BIO* other, int fd) {
  BIO* b = BIO_new_socket(fd, BIO_NOCLOSE);
  if (*slot != other) BIO_free_all(*slot);
  *slot = b;
}

// A handshake step for SSL_connect / SSL_accept / SSL_do_handshake: -1 with
// SSL_get_error's state, or 1.
int handshake_call(SSL* s) {
  ERR_clear_error();
  s->last_io = LastIo::none;
  if (s->role == Role::unset) {
    ERR_raise(ERR_LIB_SSL, SSL_R_CONNECTION_TYPE_NOT_SET);
    s->last_io = LastIo::ssl;
    return -1;
  }
  return rapidtls::ssl::do_handshake(s);
}

}  // namespace

namespace {

// SSL_get_client_random / SSL_get_server_random: the size for outlen 0, else
// the bytes copied.
size_t copy_random(const rapidtls::handshake::Random& r, unsigned char* out, size_t outlen) {
  if (outlen == 0) return r.size();
  const size_t n = std::min(outlen, r.size());
  std::memcpy(out, r.data(), n);
  return n;
}

}  // namespace

extern "C" {

SSL* SSL_new(SSL_CTX* ctx) {
  if (ctx == nullptr) {
    ERR_raise(ERR_LIB_SSL, SSL_R_NULL_SSL_CTX);
    return nullptr;
  }
  return new (std::nothrow) ssl_st(ctx);
}

int SSL_up_ref(SSL* s) {
  s->references.fetch_add(1, std::memory_order_relaxed);
  return 1;
}

void SSL_free(SSL* s) {
  if (s == nullptr) return;
  if (s->references.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s;
}

SSL_CTX* SSL_get_SSL_CTX(const SSL* s) {
  return s->ctx;
}

// ---- transports ----------------------------------------------------------------------------

int SSL_set_fd(SSL* s, int fd) {
  BIO* b = BIO_new_socket(fd, BIO_NOCLOSE);
  if (b == nullptr) return 0;
  if (s->wbio != s->rbio) BIO_free_all(s->wbio);
  BIO_free_all(s->rbio);
  s->rbio = b;
  s->wbio = b;
  s->fd = fd;
  s->read_spin = {};  // a new socket: learn how it behaves afresh
  return 1;
}

int SSL_set_rfd(SSL* s, int fd) {
  set_fd_bio(&s->rbio, s->wbio, fd);
  s->fd = -1;  // separate descriptors: go through the BIOs
  return s->rbio != nullptr;
}

int SSL_set_wfd(SSL* s, int fd) {
  set_fd_bio(&s->wbio, s->rbio, fd);
  s->fd = -1;
  return s->wbio != nullptr;
}

int SSL_get_fd(const SSL* s) {
  return s->fd >= 0 ? s->fd : (s->rbio ? (int)BIO_get_fd(s->rbio, nullptr) : -1);
}
int SSL_get_rfd(const SSL* s) {
  return s->rbio ? (int)BIO_get_fd(s->rbio, nullptr) : -1;
}
int SSL_get_wfd(const SSL* s) {
  return s->wbio ? (int)BIO_get_fd(s->wbio, nullptr) : -1;
}

void SSL_set0_rbio(SSL* s, BIO* rbio) {
  if (s->rbio != s->wbio) BIO_free_all(s->rbio);
  s->rbio = rbio;
  s->fd = -1;
}

void SSL_set0_wbio(SSL* s, BIO* wbio) {
  if (s->wbio != s->rbio) BIO_free_all(s->wbio);
  s->wbio = wbio;
  s->fd = -1;
}

void SSL_set_bio(SSL* s, BIO* rbio, BIO* wbio) {
  // OpenSSL: when rbio == wbio one reference is handed over for both.
  if (s->rbio == rbio && s->wbio == wbio) return;
  BIO* old_r = s->rbio;
  BIO* old_w = s->wbio;
  if (old_w != old_r && old_w != wbio && old_w != rbio) BIO_free_all(old_w);
  if (old_r != rbio && old_r != wbio) BIO_free_all(old_r);
  s->rbio = rbio;
  s->wbio = wbio;
  s->fd = -1;
}

BIO* SSL_get_rbio(const SSL* s) {
  return s->rbio;
}
BIO* SSL_get_wbio(const SSL* s) {
  return s->wbio;
}

// ---- roles and the handshake ----------------------------------------------------------------

void SSL_set_connect_state(SSL* s) {
  if (!s->conn) s->role = Role::client;
}

void SSL_set_accept_state(SSL* s) {
  if (!s->conn) s->role = Role::server;
}

int SSL_is_server(const SSL* s) {
  return s->role == Role::server;
}

int SSL_connect(SSL* s) {
  if (s->role == Role::unset) s->role = Role::client;
  return handshake_call(s);
}

int SSL_accept(SSL* s) {
  if (s->role == Role::unset) s->role = Role::server;
  return handshake_call(s);
}

int SSL_do_handshake(SSL* s) {
  return handshake_call(s);
}

int SSL_is_init_finished(const SSL* s) {
  return s->conn && s->conn->handshake_done();
}
int SSL_in_init(const SSL* s) {
  return !SSL_is_init_finished(s);
}
int SSL_in_before(const SSL* s) {
  return !s->conn;
}

// ---- modes, options, ctrl -------------------------------------------------------------------

uint64_t SSL_get_options(const SSL* s) {
  return s->options;
}
uint64_t SSL_set_options(SSL* s, uint64_t op) {
  if ((op & SSL_OP_ALLOW_CLIENT_RENEGOTIATION) && s->conn) s->settings_changed = true;
  return s->options |= op;
}
uint64_t SSL_clear_options(SSL* s, uint64_t op) {
  if ((op & SSL_OP_ALLOW_CLIENT_RENEGOTIATION) && s->conn) s->settings_changed = true;
  return s->options &= ~op;
}

long SSL_ctrl(SSL* s, int cmd, long larg, void* parg) {
  switch (cmd) {
    case SSL_CTRL_MODE:
      return s->mode |= static_cast<uint32_t>(larg);
    case SSL_CTRL_CLEAR_MODE:
      return s->mode &= ~static_cast<uint32_t>(larg);
    case SSL_CTRL_SET_TLSEXT_HOSTNAME:
      if (larg != TLSEXT_NAMETYPE_host_name) return 0;
      s->host = parg ? static_cast<const char*>(parg) : "";
      if (s->host.size() > 255) {
        ERR_raise(ERR_LIB_SSL, SSL_R_SSL3_EXT_INVALID_SERVERNAME);
        return 0;
      }
      return 1;
    case SSL_CTRL_SET_MIN_PROTO_VERSION:
    case SSL_CTRL_SET_MAX_PROTO_VERSION:
      return 1;
    case SSL_CTRL_GET_TOTAL_RENEGOTIATIONS:
    case SSL_CTRL_GET_NUM_RENEGOTIATIONS:
      return s->conn ? std::max(0, s->conn->handshakes_completed() - 1) : 0;
    case SSL_CTRL_GET_NEGOTIATED_GROUP:
      if (!s->conn || !s->conn->session()) return 0;
      switch (s->conn->session()->group) {
        case rapidtls::crypto::NamedGroup::x25519:
          return NID_X25519;
        case rapidtls::crypto::NamedGroup::secp256r1:
          return NID_X9_62_prime256v1;
        case rapidtls::crypto::NamedGroup::secp384r1:
          return NID_secp384r1;
        default:
          return 0;
      }
    default:
      return 0;
  }
}

// ---- verification -----------------------------------------------------------------------------

void SSL_set_verify(SSL* s, int mode, SSL_verify_cb callback) {
  s->verify_mode = mode;
  // As OpenSSL 3.0: a null callback keeps the one there is.
  if (callback != nullptr) s->verify_callback = callback;
  s->settings_changed = s->conn != nullptr;
}

SSL_verify_cb SSL_get_verify_callback(const SSL* s) {
  return s->verify_callback;
}

int SSL_get_ex_data_X509_STORE_CTX_idx(void) {
  // The X509_STORE_CTX ex_data slot where a verify callback finds the SSL.
  static const int index = X509_STORE_CTX_get_ex_new_index(
      0, const_cast<char*>("SSL for verify callback"), nullptr, nullptr, nullptr);
  return index;
}

int SSL_set1_host(SSL* s, const char* hostname) {
  s->verify_host = hostname ? hostname : "";
  return 1;
}

long SSL_get_verify_result(const SSL* s) {
  return s->conn ? s->conn->peer_verify_result() : X509_V_OK;
}

X509* SSL_get1_peer_certificate(const SSL* s) {
  if (!s->conn || !s->conn->session() || s->conn->session()->peer_chain.empty()) return nullptr;
  X509* x = s->conn->session()->peer_chain[0].raw();
  X509_up_ref(x);
  return x;
}

STACK_OF(X509) * SSL_get_peer_cert_chain(const SSL* s) {
  if (!s->conn || !s->conn->session() || s->conn->session()->peer_chain.empty()) return nullptr;
  SSL* self = const_cast<SSL*>(s);
  if (self->peer_chain_stack == nullptr) {
    self->peer_chain_stack = sk_X509_new_null();
    const auto& chain = s->conn->session()->peer_chain;
    // As OpenSSL: a client's chain starts with the leaf; a server's leaves it out.
    for (size_t i = s->role == Role::server ? 1 : 0; i < chain.size(); ++i) {
      X509_up_ref(chain[i].raw());
      sk_X509_push(self->peer_chain_stack, chain[i].raw());
    }
  }
  return self->peer_chain_stack;
}

// ---- negotiated parameters ---------------------------------------------------------------

// The negotiated version; before the handshake, as OpenSSL, the highest one.
int SSL_version(const SSL* s) {
  if (s->conn && s->conn->session() && s->conn->session()->version != 0) {
    return s->conn->session()->version;
  }
  return TLS1_3_VERSION;
}

const char* SSL_get_version(const SSL* s) {
  if (!s->conn || !s->conn->session()) return "unknown";
  switch (SSL_version(s)) {
    case TLS1_2_VERSION:
      return "TLSv1.2";
    case TLS1_3_VERSION:
      return "TLSv1.3";
    default:
      return "unknown";
  }
}

const char* SSL_get_servername(const SSL* s, const int type) {
  if (type != TLSEXT_NAMETYPE_host_name) return nullptr;
  if (s->role == Role::client) return s->host.empty() ? nullptr : s->host.c_str();
  if (!s->conn || !s->conn->session() || s->conn->session()->server_name.empty()) return nullptr;
  return s->conn->session()->server_name.c_str();
}

void SSL_get0_alpn_selected(const SSL* s, const unsigned char** data, unsigned int* len) {
  *data = nullptr;
  *len = 0;
  if (!s->conn || !s->conn->session() || s->conn->session()->alpn.empty()) return;
  *data = s->conn->session()->alpn.data();
  *len = static_cast<unsigned>(s->conn->session()->alpn.size());
}

// ---- shutdown and key update ----------------------------------------------------------------

int SSL_shutdown(SSL* s) {
  ERR_clear_error();
  s->last_io = LastIo::none;
  if (!s->conn || !s->conn->handshake_done()) {
    ERR_raise(ERR_LIB_SSL, SSL_R_SHUTDOWN_WHILE_IN_INIT);
    return -1;
  }
  rapidtls::conn::Connection& c = *s->conn;
  const bool first_call = (s->shutdown_flags & SSL_SENT_SHUTDOWN) == 0;
  if (first_call) {
    s->shutdown_flags |= SSL_SENT_SHUTDOWN;
    if (!c.error()) (void)c.close();
  }
  if (rapidtls::ssl::flush(s) != rapidtls::ssl::FlushResult::done) return -1;
  if (c.peer_closed()) s->shutdown_flags |= SSL_RECEIVED_SHUTDOWN;
  if (s->shutdown_flags & SSL_RECEIVED_SHUTDOWN) return 1;
  if (first_call) return 0;
  // Called again: wait for the peer's close_notify, dropping its data.
  uint8_t sink[4096];
  for (int guard = 0; guard < 1 << 16; ++guard) {
    while (c.read_app(sink) > 0) {
    }
    rapidtls::ssl::report_tickets(s);  // tickets among what was dropped
    if (c.peer_closed()) {
      s->shutdown_flags |= SSL_RECEIVED_SHUTDOWN;
      return 1;
    }
    switch (rapidtls::ssl::fill(s, sizeof sink)) {
      case rapidtls::ssl::FillResult::retry:
      case rapidtls::ssl::FillResult::failed:
        return -1;
      case rapidtls::ssl::FillResult::eof:
        ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_EOF_WHILE_READING);
        s->last_io = LastIo::ssl;
        return -1;
      case rapidtls::ssl::FillResult::progress:
        break;
    }
  }
  return -1;
}

int SSL_renegotiate(SSL* s) {
  if (!SSL_is_init_finished(s) || s->conn->version() != rapidtls::handshake::kTls12) {
    ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_SSL_VERSION);
    return 0;
  }
  if (auto st = s->conn->renegotiate(); !st.ok()) {
    rapidtls::ssl::raise(st.error(), "SSL_renegotiate");
    return 0;
  }
  return 1;
}

int SSL_renegotiate_abbreviated(SSL* s) {
  return SSL_renegotiate(s);
}  // no resumption yet

int SSL_renegotiate_pending(const SSL* s) {
  return s->conn && s->conn->renegotiating();
}

void SSL_set_info_callback(SSL* s, void (*cb)(const SSL*, int, int)) {
  s->info_callback = cb;
}

void SSL_set_shutdown(SSL* s, int mode) {
  s->shutdown_flags = mode;
}
int SSL_get_shutdown(const SSL* s) {
  return s->shutdown_flags;
}

int SSL_key_update(SSL* s, int updatetype) {
  if (updatetype != SSL_KEY_UPDATE_REQUESTED && updatetype != SSL_KEY_UPDATE_NOT_REQUESTED) {
    ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_KEY_UPDATE_TYPE);
    return 0;
  }
  if (!SSL_is_init_finished(s)) {
    ERR_raise(ERR_LIB_SSL, SSL_R_STILL_IN_INIT);
    return 0;
  }
  if (auto st = s->conn->key_update(updatetype == SSL_KEY_UPDATE_REQUESTED); !st.ok()) {
    rapidtls::ssl::raise(st.error(), "SSL_key_update");
    return 0;
  }
  return 1;
}

// OpenSSL copies the hello randoms it has, zeros before they are known; so
// does this, also during a handshake (from the hellos on) and a renegotiation.
size_t SSL_get_client_random(const SSL* s, unsigned char* out, size_t outlen) {
  return copy_random(s->conn ? s->conn->hello_client_random() : rapidtls::handshake::Random{}, out,
                     outlen);
}

size_t SSL_get_server_random(const SSL* s, unsigned char* out, size_t outlen) {
  return copy_random(s->conn ? s->conn->hello_server_random() : rapidtls::handshake::Random{}, out,
                     outlen);
}

// RFC 8446 7.5 (TLS 1.3), RFC 5705 (TLS 1.2), from the last completed
// handshake. -1 without one, as OpenSSL when it has no session yet.
int SSL_export_keying_material(SSL* s, unsigned char* out, size_t olen, const char* label,
                               size_t llen, const unsigned char* context, size_t contextlen,
                               int use_context) {
  if (!s->conn || !s->conn->session() || s->conn->session()->version == 0) return -1;
  if ((out == nullptr && olen > 0) || (label == nullptr && llen > 0) ||
      (use_context && context == nullptr && contextlen > 0)) {
    ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
    return 0;
  }
  const rapidtls::Bytes ctx(context, use_context ? contextlen : 0);
  const auto st = rapidtls::handshake::export_keying_material(
      *s->conn->session(), std::string_view(label, llen), use_context ? &ctx : nullptr,
      rapidtls::MutBytes(out, olen));
  if (!st.ok()) {
    rapidtls::ssl::raise(st.error(), "SSL_export_keying_material");
    return 0;
  }
  return 1;
}

int SSL_set_ex_data(SSL* s, int idx, void* data) {
  return CRYPTO_set_ex_data(&s->ex_data, idx, data);
}
void* SSL_get_ex_data(const SSL* s, int idx) {
  return CRYPTO_get_ex_data(&s->ex_data, idx);
}

}  // extern "C"

extern "C" int SSL_want(const SSL* s) {
  switch (s->last_io) {
    case LastIo::want_read:
      return SSL_READING;
    case LastIo::want_write:
      return SSL_WRITING;
    default:
      return SSL_NOTHING;
  }
}
