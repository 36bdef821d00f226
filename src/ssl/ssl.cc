// SSL objects: creation, transports, roles and the handshake, state queries,
// verification results, shutdown and key update.
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>

#include "common/host.h"
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
      verify_callback(c->verify_callback),
      param(X509_VERIFY_PARAM_new()),
      quiet_shutdown(c->quiet_shutdown),
      post_handshake_auth(c->post_handshake_auth),
      msg_callback(c->msg_callback),
      msg_callback_arg(c->msg_callback_arg) {
  SSL_CTX_up_ref(ctx);
  session_ctx = ctx;
  SSL_CTX_up_ref(session_ctx);
  status_type = c->status_type;
  max_early_data = c->max_early_data;
  recv_max_early_data = c->recv_max_early_data;
  if (c->chain_store != nullptr && X509_STORE_up_ref(c->chain_store) == 1) {
    chain_store = c->chain_store;
  }
  if (param != nullptr) X509_VERIFY_PARAM_inherit(param, c->param);
  CRYPTO_new_ex_data(CRYPTO_EX_INDEX_SSL, this, &ex_data);
  // As OpenSSL 3.0, a client or server method does not start a role by
  // itself: until SSL_set_connect_state/SSL_set_accept_state (or
  // SSL_connect/SSL_accept), SSL_write and SSL_read fail with
  // "uninitialized" and send nothing (W5).
}

ssl_st::~ssl_st() {
  CRYPTO_free_ex_data(CRYPTO_EX_INDEX_SSL, this, &ex_data);
  SSL_SESSION_free(resume_session);
  SSL_SESSION_free(current_session);
  X509_VERIFY_PARAM_free(param);
  sk_X509_NAME_pop_free(client_ca, X509_NAME_free);
  sk_X509_NAME_pop_free(peer_ca_stack, X509_NAME_free);
  sk_X509_pop_free(chain_stack, X509_free);
  sk_SSL_CIPHER_free(cipher_stack);
  if (peer_chain_stack != nullptr) sk_X509_pop_free(peer_chain_stack, X509_free);
  if (verified_chain_stack != nullptr) sk_X509_pop_free(verified_chain_stack, X509_free);
  if (wbio != rbio) BIO_free_all(wbio);
  BIO_free_all(rbio);
  SSL_CTX_free(ctx);
  SSL_CTX_free(session_ctx);
  X509_STORE_free(chain_store);
  X509_STORE_free(verify_store);
}

void ssl_st::reapply_settings() {
  if (!conn) return;  // a connection made later takes them from config()
  settings_changed = false;
  auto cfg = std::make_shared<hs::Config>(*conn->config());
  ctx->apply_verify(*cfg, verify_mode, verify_callback);
  if (verify_store != nullptr) {
    cfg->trust = std::make_shared<rapidtls::crypto::TrustStore>(
        rapidtls::crypto::TrustStore::from_store(verify_store));
    cfg->verify_cache = nullptr;
  }
  cfg->allow_client_renegotiation = (options & SSL_OP_ALLOW_CLIENT_RENEGOTIATION) != 0;
  cfg->legacy_server_connect = (options & SSL_OP_LEGACY_SERVER_CONNECT) != 0;
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
    // The name to check: the first host name of the SSL's parameters
    // (SSL_set1_host, X509_VERIFY_PARAM_set1_host), else its IP address;
    // never the SNI name by itself, as in OpenSSL. Parameters carrying more
    // than that are applied whole (params_for_verify), the names included.
    std::string verify_host;
    if (rapidtls::ssl::params_for_verify(this) == nullptr) {
      if (const char* h = X509_VERIFY_PARAM_get0_host(param, 0)) {
        verify_host = h;
      } else {
        // Without an address, libcrypto queues "passed a null parameter".
        ERR_set_mark();
        if (char* ip = X509_VERIFY_PARAM_get1_ip_asc(param)) {
          verify_host = ip;
          OPENSSL_free(ip);
        }
        ERR_pop_to_mark();
      }
    }
    hs::ClientOptions opts{host, verify_host};
    opts.check_server_name = false;
    opts.send_fallback_scsv = (mode & SSL_MODE_SEND_FALLBACK_SCSV) != 0;
    if (resume_session != nullptr && resume_session->ticket) {
      opts.resume = *resume_session->ticket;
      // A TLS 1.2 session goes by the id SSL_SESSION_get_id shows (a program
      // may set it: SSL_SESSION_set1_id); with a ticket the id is ours.
      if (opts.resume->version == hs::kTls12 && opts.resume->ticket.empty()) {
        opts.resume->session_id = resume_session->id;
      }
    }
    conn = std::make_unique<rapidtls::conn::Connection>(rapidtls::conn::Role::client, config,
                                                        std::move(opts));
    conn->set_queue_new_tickets(true);  // for the new-session callback (report_tickets)
  } else {
    conn = std::make_unique<rapidtls::conn::Connection>(rapidtls::conn::Role::server, config);
  }
  conn->set_callbacks(this);
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

namespace {

// A server's certificate sent in its last handshake (of several configured,
// the one chosen), or null (a client, or none sent yet).
X509* certificate_sent(const SSL* s) {
  if (s->status_cert != nullptr) return s->status_cert;  // in the status callback
  if (s->role != Role::server || !s->conn || s->conn->session() == nullptr) return nullptr;
  const auto& index = s->conn->session()->own_certificate;
  const auto& certs = s->conn->config()->certificates;
  if (!index || *index >= certs.size() || certs[*index].chain.empty()) return nullptr;
  return certs[*index].chain.front().raw();
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
  // Before a role is set, as OpenSSL: a server unless the method is the client's.
  if (s->role == Role::unset) return s->ctx->method->role != 1;
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
      // As the context's (SSL_CTX_ctrl): TLS 1.2 and 1.3 are what there is.
      if (cmd == SSL_CTRL_SET_MIN_PROTO_VERSION && larg != 0 && larg > TLS1_3_VERSION) return 0;
      if (cmd == SSL_CTRL_SET_MAX_PROTO_VERSION && larg != 0 && larg < TLS1_2_VERSION) return 0;
      if (!s->own_versions) {
        s->min_version = s->ctx->min_version;
        s->max_version = s->ctx->max_version;
        s->own_versions = true;
      }
      (cmd == SSL_CTRL_SET_MIN_PROTO_VERSION ? s->min_version : s->max_version) =
          static_cast<int>(larg);
      return 1;
    case SSL_CTRL_SET_MSG_CALLBACK_ARG:
      s->msg_callback_arg = parg;
      return 1;
    case SSL_CTRL_GET_MIN_PROTO_VERSION:
      return s->own_versions ? s->min_version : s->ctx->min_version;
    case SSL_CTRL_GET_MAX_PROTO_VERSION:
      return s->own_versions ? s->max_version : s->ctx->max_version;
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
        case rapidtls::crypto::NamedGroup::secp521r1:
          return NID_secp521r1;
        default:
          return 0;
      }
    case SSL_CTRL_SET_CURRENT_CERT:
      if (larg == SSL_CERT_SET_SERVER) {
        // The certificate a server sent becomes current: 1; 0 for a client
        // or before one was sent.
        X509* sent = certificate_sent(s);
        if (sent == nullptr) return 0;
        return s->writable_certs()
            .ctrl(SSL_CTRL_SELECT_CURRENT_CERT, 0, sent, &s->chain_stack)
            .value_or(0);
      }
      [[fallthrough]];
    case SSL_CTRL_CHAIN:
    case SSL_CTRL_CHAIN_CERT:
    case SSL_CTRL_SELECT_CURRENT_CERT:
      // This SSL's own certificates from now on (cert_slots.h).
      return s->writable_certs().ctrl(cmd, larg, parg, &s->chain_stack).value_or(0);
    case SSL_CTRL_BUILD_CERT_CHAIN:
      // SSL_build_cert_chain(3): this SSL's own certificates from now on.
      return s->writable_certs().build_chain(
          larg, s->chain_store != nullptr ? s->chain_store : s->ctx->store);
    case SSL_CTRL_SET_CHAIN_CERT_STORE:
      return rapidtls::ssl::set_store(&s->chain_store, larg, parg);
    // OCSP stapling (SSL_set_tlsext_status_type(3) and friends).
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_TYPE:
      // Before the handshake: the ClientHello asks (or not).
      s->status_type = static_cast<int>(larg);
      if (s->conn && !s->conn->started()) s->conn.reset();  // made again with it
      return 1;
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_TYPE:
      return s->status_type;
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_OCSP_RESP: {
      // The response to staple (a server's status callback), taken over.
      auto* resp = static_cast<unsigned char*>(parg);
      s->ocsp_to_staple.emplace();
      if (resp != nullptr && larg > 0) s->ocsp_to_staple->assign(resp, resp + larg);
      OPENSSL_free(resp);
      return 1;
    }
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_OCSP_RESP: {
      // The response a client received: in its status callback, or after
      // the handshake; -1 when none came.
      if (parg == nullptr) return -1;
      auto** out = static_cast<const unsigned char**>(parg);
      *out = nullptr;
      const std::vector<uint8_t>* r = s->ocsp_seen;
      if (r == nullptr && s->conn && s->conn->session() != nullptr) {
        r = &s->conn->session()->ocsp_response;
      }
      if (r == nullptr || r->empty()) return -1;
      *out = r->data();
      return static_cast<long>(r->size());
    }
    case SSL_CTRL_SET_VERIFY_CERT_STORE: {
      // The peer's chain is verified against it from the next step on (a
      // server's certificate callback sets it for its client's chain).
      const int r = rapidtls::ssl::set_store(&s->verify_store, larg, parg);
      if (s->conn) s->settings_changed = true;
      return r;
    }
    case SSL_CTRL_GET_CHAIN_CERTS: {
      auto certs = s->certs();  // a copy: reading leaves the SSL's settings alone
      return certs.ctrl(cmd, larg, parg, &s->chain_stack).value_or(0);
    }
    default:
      rapidtls::ssl::trace_unhandled_ctrl("SSL_ctrl", cmd);
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

// As OpenSSL: the name goes into the SSL's verification parameters; an IP
// literal is checked as an address.
int SSL_set1_host(SSL* s, const char* hostname) {
  if (hostname != nullptr && rapidtls::is_ip_literal(hostname)) {
    return X509_VERIFY_PARAM_set1_host(s->param, nullptr, 0) == 1 &&
           X509_VERIFY_PARAM_set1_ip_asc(s->param, hostname) == 1;
  }
  return X509_VERIFY_PARAM_set1_host(s->param, hostname, 0);
}

int SSL_add1_host(SSL* s, const char* hostname) {
  if (hostname != nullptr && rapidtls::is_ip_literal(hostname)) {
    return X509_VERIFY_PARAM_set1_ip_asc(s->param, hostname);
  }
  return X509_VERIFY_PARAM_add1_host(s->param, hostname, 0);
}

X509_VERIFY_PARAM* SSL_get0_param(SSL* s) {
  return s->param;
}

int SSL_set1_param(SSL* s, X509_VERIFY_PARAM* vpm) {
  return X509_VERIFY_PARAM_set1(s->param, vpm);
}

void SSL_set_hostflags(SSL* s, unsigned int flags) {
  X509_VERIFY_PARAM_set_hostflags(s->param, flags);
}

const char* SSL_get0_peername(SSL* s) {
  return X509_VERIFY_PARAM_get0_peername(s->param);
}

long SSL_get_verify_result(const SSL* s) {
  if (s->verify_result_override >= 0) return s->verify_result_override;
  return s->conn ? s->conn->peer_verify_result() : X509_V_OK;
}

void SSL_set_verify_result(SSL* s, long v) {
  s->verify_result_override = v;
}

int SSL_get_verify_mode(const SSL* s) {
  return s->verify_mode;
}

int SSL_get_verify_depth(const SSL* s) {
  return X509_VERIFY_PARAM_get_depth(s->param);
}

void SSL_set_verify_depth(SSL* s, int depth) {
  X509_VERIFY_PARAM_set_depth(s->param, depth);
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
  if (s->role == Role::client || (s->role == Role::unset && s->ctx->method->role != 2)) {
    return s->host.empty() ? nullptr : s->host.c_str();
  }
  if (s->conn && s->conn->session()) {
    const std::string& name = s->conn->session()->server_name;
    return name.empty() ? nullptr : name.c_str();
  }
  return s->received_sni.empty() ? nullptr : s->received_sni.c_str();
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
  if (s->quiet_shutdown) {
    // SSL_set_quiet_shutdown: no close_notify is sent; the connection counts
    // as closed both ways (OpenSSL's documented behaviour).
    s->shutdown_flags = SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN;
    return 1;
  }
  rapidtls::conn::Connection& c = *s->conn;
  const bool first_call = (s->shutdown_flags & SSL_SENT_SHUTDOWN) == 0;
  if (first_call) {
    s->shutdown_flags |= SSL_SENT_SHUTDOWN;
    if (!c.error()) (void)c.close();
  }
  if (const rapidtls::io::IoResult r = rapidtls::ssl::flush(s);
      r.status != rapidtls::io::IoStatus::done) {
    return rapidtls::ssl::stopped(s, r, "SSL_shutdown");
  }
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
    if (const rapidtls::io::IoResult r = rapidtls::ssl::fill(s, sizeof sink);
        r.status != rapidtls::io::IoStatus::done) {
      return rapidtls::ssl::stopped(s, r, "SSL_shutdown");
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

// ---- certificates and keys of one SSL ---------------------------------------------------

int SSL_use_certificate(SSL* s, X509* x) {
  return s->writable_certs().use_certificate(x);
}

int SSL_use_certificate_file(SSL* s, const char* file, int type) {
  X509* x = rapidtls::ssl::read_certificate_file(file, type, s->ctx);
  if (x == nullptr) return 0;
  const int r = SSL_use_certificate(s, x);
  X509_free(x);
  return r;
}

int SSL_use_certificate_chain_file(SSL* s, const char* file) {
  auto chain = rapidtls::crypto::Certificate::chain_from_pem_file(file);
  if (!chain.ok()) {
    ERR_raise(ERR_LIB_SSL, ERR_R_PEM_LIB);
    return 0;
  }
  return s->writable_certs().use_chain(std::move(chain).value());
}

int SSL_use_PrivateKey(SSL* s, EVP_PKEY* pkey) {
  return s->writable_certs().use_key(pkey);
}

int SSL_use_PrivateKey_file(SSL* s, const char* file, int type) {
  EVP_PKEY* pkey = rapidtls::ssl::read_private_key_file(file, type, s->ctx);
  if (pkey == nullptr) return 0;
  const int r = SSL_use_PrivateKey(s, pkey);
  EVP_PKEY_free(pkey);
  return r;
}

int SSL_check_private_key(const SSL* s) {
  return s->certs().check_private_key();
}

// As OpenSSL: after a server's handshake, the certificate it sent and its
// key; otherwise the current ones.
X509* SSL_get_certificate(const SSL* s) {
  if (X509* sent = certificate_sent(s)) return sent;
  const auto& leaf = s->certs().current().leaf;
  return leaf ? leaf->raw() : nullptr;
}

EVP_PKEY* SSL_get_privatekey(const SSL* s) {
  if (X509* sent = certificate_sent(s)) {
    const auto* slot = s->certs().find(sent);
    if (slot != nullptr && slot->key) return slot->key->raw();
  }
  const auto& key = s->certs().current().key;
  return key ? key->raw() : nullptr;
}

// ---- per-SSL settings ----------------------------------------------------------------------

int SSL_set_ciphersuites(SSL* s, const char* str) {
  std::vector<uint16_t> suites;
  if (!rapidtls::ssl::parse_ciphersuites(str, &suites)) return 0;
  s->own_suites = std::move(suites);
  return 1;
}

int SSL_set_cipher_list(SSL* s, const char* str) {
  std::vector<uint16_t> suites;
  const bool ok = rapidtls::ssl::parse_cipher_list(str, &suites, nullptr);
  s->own_suites12 = std::move(suites);
  return ok ? 1 : 0;
}

void SSL_set_quiet_shutdown(SSL* s, int mode) {
  s->quiet_shutdown = mode != 0;
}
int SSL_get_quiet_shutdown(const SSL* s) {
  return s->quiet_shutdown ? 1 : 0;
}

// A client offers TLS 1.3 post-handshake authentication (RFC 8446 4.6.2)
// in its next handshake; a server may ask with the function below.
void SSL_set_post_handshake_auth(SSL* s, int val) {
  s->post_handshake_auth = val != 0;
}

// A TLS 1.3 server asks the client for a certificate now. The request leaves
// with the next write, read or SSL_do_handshake; the answer is taken (and
// verified as SSL_set_verify says) by the reads that follow. OpenSSL's
// checks, in its order.
int SSL_verify_client_post_handshake(SSL* s) {
  if (!s->conn || !s->conn->session() || s->conn->version() != rapidtls::handshake::kTls13) {
    ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_SSL_VERSION);
    return 0;
  }
  if (s->role != Role::server) {
    ERR_raise(ERR_LIB_SSL, SSL_R_NOT_SERVER);
    return 0;
  }
  if (!SSL_is_init_finished(s)) {
    ERR_raise(ERR_LIB_SSL, SSL_R_STILL_IN_INIT);
    return 0;
  }
  s->apply_changed_settings();  // a verify mode set since is the one that applies
  if (auto st = s->conn->request_client_certificate(); !st.ok()) {
    ERR_raise(ERR_LIB_SSL, st.error().reason);
    return 0;
  }
  return 1;
}

void SSL_set_msg_callback(SSL* s, void (*cb)(int, int, int, const void*, size_t, SSL*, void*)) {
  s->msg_callback = cb;
}

void SSL_set_client_CA_list(SSL* s, STACK_OF(X509_NAME) * list) {
  sk_X509_NAME_pop_free(s->client_ca, X509_NAME_free);
  s->client_ca = list;
}

int SSL_add_client_CA(SSL* s, X509* x) {
  if (x == nullptr) return 0;
  if (s->client_ca == nullptr && (s->client_ca = sk_X509_NAME_new_null()) == nullptr) return 0;
  X509_NAME* name = X509_NAME_dup(X509_get_subject_name(x));
  if (name == nullptr || sk_X509_NAME_push(s->client_ca, name) <= 0) {
    X509_NAME_free(name);
    return 0;
  }
  return 1;
}

// A server: the names it asks client certificates for. A client: the names
// the server's CertificateRequest carried (null before one, or without
// names), also from within a client certificate callback.
STACK_OF(X509_NAME) * SSL_get_client_CA_list(const SSL* s) {
  if (s->role != Role::client) return s->client_ca != nullptr ? s->client_ca : s->ctx->client_ca;
  if (!s->conn) return nullptr;
  const auto& names = s->conn->peer_ca_names();
  if (names.empty()) return nullptr;
  if (s->peer_ca_stack == nullptr || s->peer_ca_made != names) {
    sk_X509_NAME_pop_free(s->peer_ca_stack, X509_NAME_free);
    s->peer_ca_stack = sk_X509_NAME_new_null();
    for (const auto& der : names) {
      const unsigned char* p = der.data();
      // The engine took only whole DER Names (crypto::is_distinguished_name).
      X509_NAME* name = d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size()));
      if (name != nullptr && sk_X509_NAME_push(s->peer_ca_stack, name) <= 0) X509_NAME_free(name);
    }
    s->peer_ca_made = names;
  }
  return s->peer_ca_stack;
}

// The SNI callback's switch to another context: its certificate, key and
// verification apply to the rest of the handshake; the SSL's own settings
// stay (as in OpenSSL).
SSL_CTX* SSL_set_SSL_CTX(SSL* s, SSL_CTX* ctx) {
  if (ctx == nullptr) ctx = s->ctx;
  if (ctx == s->ctx) return s->ctx;
  // As OpenSSL, the SSL keeps the version bounds it took from its first
  // context at SSL_new (HAProxy sets them on the bind's context only).
  if (!s->own_versions) {
    s->min_version = s->ctx->min_version;
    s->max_version = s->ctx->max_version;
    s->own_versions = true;
  }
  SSL_CTX_up_ref(ctx);
  SSL_CTX_free(s->ctx);
  s->ctx = ctx;
  // Inside the servername callback the hook hands the new configuration to
  // the handshake itself (see ssl_ctx_st::config).
  if (s->conn && !s->in_client_hello_hook) s->conn->set_config(ctx->config(s));
  return ctx;
}

// SSL_clear: ready for another connection with the same settings. A client
// keeps the session it had, to resume it (as OpenSSL's SSL_clear does).
int SSL_clear(SSL* s) {
  if (s->conn && s->role == Role::client && s->conn->handshake_done()) {
    SSL_SESSION* sess = SSL_get1_session(s);
    if (sess != nullptr) {
      SSL_SESSION_free(s->resume_session);
      s->resume_session = sess;
    }
  }
  s->conn.reset();
  s->pending_write = {};
  s->last_io = LastIo::none;
  s->shutdown_flags = 0;
  s->dead = false;
  s->handshakes_reported = 0;
  s->verify_result_override = -1;
  SSL_SESSION_free(s->current_session);
  s->current_session = nullptr;
  s->current_session_tickets = 0;
  s->current_session_handshakes = -1;
  if (s->peer_chain_stack != nullptr) {
    sk_X509_pop_free(s->peer_chain_stack, X509_free);
    s->peer_chain_stack = nullptr;
  }
  if (s->verified_chain_stack != nullptr) {
    sk_X509_pop_free(s->verified_chain_stack, X509_free);
    s->verified_chain_stack = nullptr;
  }
  return 1;  // the role stays, as OpenSSL keeps its connect or accept state
}

// ---- what the handshake left ----------------------------------------------------------------

namespace {

size_t copy_out(const rapidtls::ByteVec& v, void* buf, size_t count) {
  const size_t n = std::min(count, v.size());
  if (n > 0) std::memcpy(buf, v.data(), n);
  return v.size();
}

}  // namespace

// The Finished messages' verify_data (RFC 8446 4.4.4, RFC 5246 7.4.9) of the
// last handshake: the total size, count bytes copied.
size_t SSL_get_finished(const SSL* s, void* buf, size_t count) {
  if (!s->conn || !s->conn->session()) return 0;
  const auto* info = s->conn->session();
  return copy_out(s->role == Role::client ? info->client_verify_data : info->server_verify_data,
                  buf, count);
}

size_t SSL_get_peer_finished(const SSL* s, void* buf, size_t count) {
  if (!s->conn || !s->conn->session()) return 0;
  const auto* info = s->conn->session();
  return copy_out(s->role == Role::client ? info->server_verify_data : info->client_verify_data,
                  buf, count);
}

// The chain verification built for the peer, trust anchor included, made
// again from the peer's chain and the context's store.
STACK_OF(X509) * SSL_get0_verified_chain(const SSL* s) {
  if (!s->conn || !s->conn->session() || s->conn->session()->peer_chain.empty()) return nullptr;
  SSL* self = const_cast<SSL*>(s);
  if (self->verified_chain_stack != nullptr) return self->verified_chain_stack;
  const auto& chain = s->conn->session()->peer_chain;
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  for (size_t i = 1; untrusted != nullptr && i < chain.size(); ++i) {
    sk_X509_push(untrusted, chain[i].raw());
  }
  X509_STORE_CTX* xs = X509_STORE_CTX_new();
  if (xs != nullptr && untrusted != nullptr &&
      X509_STORE_CTX_init(xs, s->ctx->store, chain[0].raw(), untrusted) == 1) {
    X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(xs), s->param);
    X509_STORE_CTX_set_purpose(
        xs, s->role == Role::client ? X509_PURPOSE_SSL_SERVER : X509_PURPOSE_SSL_CLIENT);
    (void)X509_verify_cert(xs);  // as OpenSSL: the chain built, verified or not
    self->verified_chain_stack = X509_STORE_CTX_get1_chain(xs);
  }
  X509_STORE_CTX_free(xs);
  sk_X509_free(untrusted);
  ERR_clear_error();
  return self->verified_chain_stack;
}

// RFC 7301 / OpenSSL's SSL_select_next_proto(3): the first of the server's
// protocols the client also lists; else the client's first, with
// OPENSSL_NPN_NO_OVERLAP.
int SSL_select_next_proto(unsigned char** out, unsigned char* outlen, const unsigned char* server,
                          unsigned int server_len, const unsigned char* client,
                          unsigned int client_len) {
  auto valid = [](const unsigned char* p, unsigned int len) {
    for (unsigned int i = 0; i < len;) {
      if (p[i] == 0 || i + 1 + p[i] > len) return false;
      i += 1 + p[i];
    }
    return true;
  };
  if (!valid(server, server_len) || !valid(client, client_len)) {
    *out = nullptr;
    *outlen = 0;
    return OPENSSL_NPN_NO_OVERLAP;
  }
  for (unsigned int i = 0; i < server_len; i += 1 + server[i]) {
    for (unsigned int j = 0; j < client_len; j += 1 + client[j]) {
      if (server[i] == client[j] && std::memcmp(server + i + 1, client + j + 1, server[i]) == 0) {
        *out = const_cast<unsigned char*>(server + i + 1);
        *outlen = server[i];
        return OPENSSL_NPN_NEGOTIATED;
      }
    }
  }
  if (client_len == 0) {
    *out = nullptr;
    *outlen = 0;
  } else {
    *out = const_cast<unsigned char*>(client + 1);
    *outlen = client[0];
  }
  return OPENSSL_NPN_NO_OVERLAP;
}

// No compression, ever (RFC 8446 removed it; rapidtls offers none in 1.2).
const COMP_METHOD* SSL_get_current_compression(const SSL*) {
  return nullptr;
}
const COMP_METHOD* SSL_get_current_expansion(const SSL*) {
  return nullptr;
}

// ---- the ClientHello, inside the client hello callback ------------------------------------
// Outside the callback there is no message: 0 and null, as OpenSSL.

int SSL_client_hello_isv2(SSL*) {
  return 0;  // SSLv2-format ClientHellos are never accepted
}

unsigned int SSL_client_hello_get0_legacy_version(SSL* s) {
  return s->client_hello != nullptr ? s->client_hello->legacy_version : 0;
}

size_t SSL_client_hello_get0_random(SSL* s, const unsigned char** out) {
  if (s->client_hello == nullptr) return 0;
  if (out != nullptr) *out = s->client_hello->random.data();
  return s->client_hello->random.size();
}

size_t SSL_client_hello_get0_session_id(SSL* s, const unsigned char** out) {
  if (s->client_hello == nullptr) return 0;
  if (out != nullptr) *out = s->client_hello->legacy_session_id.data();
  return s->client_hello->legacy_session_id.size();
}

// The cipher_suites field as on the wire: two bytes per suite.
size_t SSL_client_hello_get0_ciphers(SSL* s, const unsigned char** out) {
  if (s->client_hello == nullptr) return 0;
  s->client_hello_ciphers.clear();
  for (uint16_t id : s->client_hello->cipher_suites) {
    s->client_hello_ciphers.push_back(static_cast<uint8_t>(id >> 8));
    s->client_hello_ciphers.push_back(static_cast<uint8_t>(id));
  }
  if (out != nullptr) *out = s->client_hello_ciphers.data();
  return s->client_hello_ciphers.size();
}

size_t SSL_client_hello_get0_compression_methods(SSL* s, const unsigned char** out) {
  if (s->client_hello == nullptr) return 0;
  if (out != nullptr) *out = s->client_hello->legacy_compression_methods.data();
  return s->client_hello->legacy_compression_methods.size();
}

// The types of the extensions present, in the order sent (OPENSSL_malloc'd).
int SSL_client_hello_get1_extensions_present(SSL* s, int** out, size_t* outlen) {
  if (s->client_hello == nullptr || out == nullptr || outlen == nullptr) return 0;
  const auto& exts = s->client_hello->extensions;
  *out = nullptr;
  *outlen = exts.size();
  if (exts.empty()) return 1;
  *out = static_cast<int*>(OPENSSL_malloc(sizeof(int) * exts.size()));
  if (*out == nullptr) return 0;
  for (size_t i = 0; i < exts.size(); ++i) (*out)[i] = exts[i].type;
  return 1;
}

int SSL_client_hello_get0_ext(SSL* s, unsigned int type, const unsigned char** out,
                              size_t* outlen) {
  if (s->client_hello == nullptr) return 0;
  for (const auto& e : s->client_hello->extensions) {
    if (e.type != type) continue;
    if (out != nullptr) *out = e.body.data();
    if (outlen != nullptr) *outlen = e.body.size();
    return 1;
  }
  return 0;
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
