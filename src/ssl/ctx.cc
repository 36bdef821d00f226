// SSL_CTX: methods, options and modes, certificates and keys, trust, suites,
// groups, ALPN, key log, tickets, ex_data, and SSL_CTX_ctrl.
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "ssl/internal.h"

using rapidtls::Bytes;
using rapidtls::ByteVec;
namespace crypto = rapidtls::crypto;
namespace hs = rapidtls::handshake;

namespace {

const ssl_method_st kTlsMethod{0, 0};
const ssl_method_st kClientMethod{1, 0};
const ssl_method_st kServerMethod{2, 0};
const ssl_method_st kTls12Method{0, TLS1_2_VERSION};
const ssl_method_st kTls12ClientMethod{1, TLS1_2_VERSION};
const ssl_method_st kTls12ServerMethod{2, TLS1_2_VERSION};

// Splits "a:b:c" (OpenSSL also accepts ',' and ' ').
std::vector<std::string> split_list(const char* s) {
  std::vector<std::string> out;
  std::string cur;
  for (const char* p = s; *p; ++p) {
    if (*p == ':' || *p == ',' || *p == ' ') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += *p;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::optional<crypto::NamedGroup> group_by_name(std::string name) {
  for (auto& c : name) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  if (name == "x25519") return crypto::NamedGroup::x25519;
  if (name == "p-256" || name == "secp256r1" || name == "prime256v1") {
    return crypto::NamedGroup::secp256r1;
  }
  if (name == "p-384" || name == "secp384r1") return crypto::NamedGroup::secp384r1;
  if (name == "p-521" || name == "secp521r1") return crypto::NamedGroup::secp521r1;
  return std::nullopt;
}

std::optional<crypto::NamedGroup> group_by_nid(int nid) {
  switch (nid) {
    case NID_X25519:
      return crypto::NamedGroup::x25519;
    case NID_X9_62_prime256v1:
      return crypto::NamedGroup::secp256r1;
    case NID_secp384r1:
      return crypto::NamedGroup::secp384r1;
    case NID_secp521r1:
      return crypto::NamedGroup::secp521r1;
    default:
      return std::nullopt;
  }
}

// A TLS group name OpenSSL 3.0 knows (RFC 8446 4.2.7 and RFC 8422 names,
// NIST aliases, the FFDHE groups of RFC 7919), whether or not rapidtls has it.
bool known_group_name(const std::string& name) {
  static const char* const kOthers[] = {"x448",      "ffdhe2048", "ffdhe3072",
                                        "ffdhe4096", "ffdhe6144", "ffdhe8192"};
  std::string lower = name;
  for (auto& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  for (const char* other : kOthers) {
    if (lower == other) return true;
  }
  if (EC_curve_nist2nid(name.c_str()) != NID_undef) return true;  // "P-224" and such
  // A curve by its short name ("secp224r1", "brainpoolP256r1", ...).
  const int nid = OBJ_sn2nid(name.c_str());
  if (nid == NID_undef) return false;
  ERR_set_mark();
  EC_GROUP* curve = EC_GROUP_new_by_curve_name(nid);
  ERR_pop_to_mark();
  EC_GROUP_free(curve);
  return curve != nullptr;
}

// The ALPN wire format (RFC 7301 3.1: u8-prefixed names) into a list.
bool parse_alpn_wire(const unsigned char* p, size_t len, std::vector<ByteVec>* out) {
  out->clear();
  size_t i = 0;
  while (i < len) {
    const size_t n = p[i++];
    if (n == 0 || i + n > len) return false;
    out->emplace_back(p + i, p + i + n);
    i += n;
  }
  return true;
}

}  // namespace

ssl_ctx_st::ssl_ctx_st() : store(X509_STORE_new()), param(X509_VERIFY_PARAM_new()) {
  CRYPTO_new_ex_data(CRYPTO_EX_INDEX_SSL_CTX, this, &ex_data);
  reset_ticket_issuer();
}

void ssl_ctx_st::reset_ticket_issuer() {
  const bool callback = ticket_key_cb != nullptr || ticket_key_legacy_cb != nullptr;
  auto issuer = hs::make_sealing_ticket_issuer(
      crypto::system_random(), ticket_lifetime(),
      callback ? rapidtls::ssl::make_callback_ticket_sealer() : nullptr);
  std::lock_guard<std::mutex> lock(config_mutex_);
  ticket_issuer = std::move(issuer);
  config_.reset();
}

ssl_ctx_st::~ssl_ctx_st() {
  rapidtls::ssl::flush_all_sessions(this);  // the remove callback sees each, as in OpenSSL
  CRYPTO_free_ex_data(CRYPTO_EX_INDEX_SSL_CTX, this, &ex_data);
  X509_STORE_free(store);
  X509_STORE_free(chain_store);
  X509_STORE_free(verify_store);
  X509_VERIFY_PARAM_free(param);
  sk_X509_NAME_pop_free(client_ca, X509_NAME_free);
  sk_SSL_CIPHER_free(cipher_stack);
  sk_X509_pop_free(chain_stack, X509_free);
}

void ssl_ctx_st::apply_verify(hs::Config& cfg, int vmode, SSL_verify_cb callback) const {
  // A verification callback may decide differently each time, so with one
  // every chain is verified. It finds the SSL where OpenSSL puts it.
  // (ssl_st::on_verify puts the SSL there before each call.)
  cfg.verify_callback = callback;
  cfg.verify_cache = nullptr;
  if (callback == nullptr) {
    cfg.verify_cache = verify_cache;
  }
  // SSL_VERIFY_POST_HANDSHAKE: a TLS 1.3 server asks only after the
  // handshake (SSL_verify_client_post_handshake).
  cfg.client_auth_after_handshake = (vmode & SSL_VERIFY_POST_HANDSHAKE) != 0;
  if ((vmode & SSL_VERIFY_PEER) == 0) {
    cfg.verify = hs::VerifyMode::none;
  } else {
    cfg.verify =
        (vmode & SSL_VERIFY_FAIL_IF_NO_PEER_CERT) ? hs::VerifyMode::require : hs::VerifyMode::peer;
  }
}

// Options a single SSL may set differently from its context.
constexpr uint64_t kPerSslOptions =
    SSL_OP_ALLOW_CLIENT_RENEGOTIATION | SSL_OP_NO_TLSv1_2 | SSL_OP_NO_TLSv1_3 | SSL_OP_NO_TICKET;

std::shared_ptr<const hs::Config> ssl_ctx_st::config(SSL* for_ssl) {
  const bool per_ssl =
      for_ssl != nullptr &&
      (for_ssl->verify_mode != verify_mode || for_ssl->verify_callback != verify_callback ||
       (for_ssl->options & kPerSslOptions) != (options & kPerSslOptions) ||
       for_ssl->post_handshake_auth != post_handshake_auth || for_ssl->has_overrides());
  std::lock_guard<std::mutex> lock(config_mutex_);
  if (config_ && !per_ssl) return config_;
  auto cfg = std::make_shared<hs::Config>();
  const bool own = per_ssl && for_ssl->has_overrides();
  cfg->cipher_suites = own && for_ssl->own_suites ? *for_ssl->own_suites : suites;
  cfg->cipher_suites12 = own && for_ssl->own_suites12 ? *for_ssl->own_suites12 : suites12;
  // OpenSSL's numbers (0: no limit) to ours; rapidtls speaks TLS 1.2 and 1.3.
  int lo = own && for_ssl->own_versions ? for_ssl->min_version : min_version;
  int hi = own && for_ssl->own_versions ? for_ssl->max_version : max_version;
  if (method->version != 0) lo = hi = method->version;  // TLSv1_2_method: that version only
  cfg->min_version = lo == TLS1_3_VERSION ? hs::kTls13 : hs::kTls12;
  cfg->max_version = hi == TLS1_2_VERSION ? hs::kTls12 : hs::kTls13;
  const uint64_t opts = for_ssl != nullptr ? for_ssl->options : options;
  // SSL_OP_NO_TLSv1_2 / SSL_OP_NO_TLSv1_3 narrow the range further (nginx's
  // ssl_protocols says it this way). Both: nothing is left, and handshakes
  // fail ("no protocols available").
  if (opts & SSL_OP_NO_TLSv1_2) cfg->min_version = hs::kTls13;
  if (opts & SSL_OP_NO_TLSv1_3) cfg->max_version = hs::kTls12;
  cfg->allow_client_renegotiation = (opts & SSL_OP_ALLOW_CLIENT_RENEGOTIATION) != 0;
  cfg->legacy_server_connect = (opts & SSL_OP_LEGACY_SERVER_CONNECT) != 0;
  if (!groups.empty()) cfg->groups = groups;
  cfg->certificates =
      (own && for_ssl->own_certs ? *for_ssl->own_certs : certs).certified(extra_chain);
  // SSL_set_client_CA_list / SSL_CTX_set_client_CA_list: named in a
  // server's CertificateRequest.
  STACK_OF(X509_NAME)* ca_names =
      own && for_ssl->client_ca != nullptr ? for_ssl->client_ca : client_ca;
  for (int i = 0; i < sk_X509_NAME_num(ca_names); ++i) {
    const unsigned char* der = nullptr;
    size_t der_len = 0;
    if (X509_NAME_get0_der(sk_X509_NAME_value(ca_names, i), &der, &der_len) == 1 && der_len > 0) {
      cfg->client_ca_names.emplace_back(der, der + der_len);
    }
  }
  // The SSL's own verify store (SSL_set1_verify_cert_store) is not the one
  // the context's verified-chain cache is for: none is used with it.
  const bool own_trust = own && for_ssl->verify_store != nullptr;
  cfg->trust = std::make_shared<crypto::TrustStore>(
      crypto::TrustStore::from_store(own_trust ? for_ssl->verify_store : trust_store()));
  if (!cert_cache) cert_cache = std::make_shared<crypto::CertificateCache>();
  cfg->cert_cache = cert_cache;
  apply_verify(*cfg, per_ssl ? for_ssl->verify_mode : verify_mode,
               per_ssl ? for_ssl->verify_callback : verify_callback);
  if (own_trust) cfg->verify_cache = nullptr;
  // The context's verify depth (SSL_CTX_set_verify_depth, or through its
  // parameters); unset, libcrypto's limit.
  const int depth = X509_VERIFY_PARAM_get_depth(param);
  cfg->verify_depth = depth < 0 ? 100 : depth;
  cfg->alpn = own && for_ssl->own_alpn ? *for_ssl->own_alpn : alpn;
  cfg->middlebox_compat = (options & SSL_OP_ENABLE_MIDDLEBOX_COMPAT) != 0;
  cfg->tickets_to_send = num_tickets;
  cfg->post_handshake_auth = per_ssl ? for_ssl->post_handshake_auth : post_handshake_auth;
  // OCSP stapling (RFC 6066 8): a client asks when its status type says
  // so; the status callback is read when it runs, from the SSL's context
  // (ssl_st::on_ocsp_response, on_ocsp_staple).
  cfg->request_ocsp = (own ? for_ssl->status_type : status_type) == TLSEXT_STATUSTYPE_ocsp;
  // SSL_OP_NO_TICKET: no stateless tickets sent, and none accepted (also
  // those issued before the option was set); TLS 1.2 sessions by id only;
  // TLS 1.3 tickets name a session in the cache (stateful, as OpenSSL).
  cfg->ticket_issuer =
      (opts & SSL_OP_NO_TICKET) == 0 ? ticket_issuer : rapidtls::ssl::stateful_ticket_issuer();
  cfg->session_tickets12 = (opts & SSL_OP_NO_TICKET) == 0;
  cfg->session_id_context_required = true;
  // TLS 1.2 session ids: with SSL_SESS_CACHE_SERVER (the default), kept in
  // the session context's cache and handed to its callbacks.
  if ((session_cache_mode & SSL_SESS_CACHE_SERVER) != 0) {
    cfg->session_cache12 = rapidtls::ssl::server_session_cache();
  }
  cfg->session_id_context = own && for_ssl->own_sid_ctx ? for_ssl->sid_ctx : sid_ctx;
  if (!per_ssl) config_ = cfg;
  return cfg;
}

namespace rapidtls::ssl {

bool parse_alpn(const unsigned char* p, size_t len, std::vector<ByteVec>* out) {
  return parse_alpn_wire(p, len, out);
}

// The certificate or key file of SSL_CTX_use_certificate_file(3) and its
// kin: PEM (with the context's password callback) or DER; null with OpenSSL's
// ERR entry (a system error opening it, a PEM or ASN.1 error reading it).
X509* read_certificate_file(const char* file, int type, const SSL_CTX* ctx) {
  BIO* in = BIO_new_file(file, "r");
  if (in == nullptr) {
    ERR_raise(ERR_LIB_SSL, ERR_R_SYS_LIB);
    return nullptr;
  }
  X509* x = type == SSL_FILETYPE_ASN1
                ? d2i_X509_bio(in, nullptr)
                : PEM_read_bio_X509(in, nullptr, ctx->passwd_cb, ctx->passwd_userdata);
  BIO_free(in);
  if (x == nullptr)
    ERR_raise(ERR_LIB_SSL, type == SSL_FILETYPE_ASN1 ? ERR_R_ASN1_LIB : ERR_R_PEM_LIB);
  return x;
}

EVP_PKEY* read_private_key_file(const char* file, int type, const SSL_CTX* ctx) {
  BIO* in = BIO_new_file(file, "r");
  if (in == nullptr) {
    ERR_raise(ERR_LIB_SSL, ERR_R_SYS_LIB);
    return nullptr;
  }
  EVP_PKEY* pkey = type == SSL_FILETYPE_ASN1
                       ? d2i_PrivateKey_bio(in, nullptr)
                       : PEM_read_bio_PrivateKey(in, nullptr, ctx->passwd_cb, ctx->passwd_userdata);
  BIO_free(in);
  if (pkey == nullptr) {
    ERR_raise(ERR_LIB_SSL, type == SSL_FILETYPE_ASN1 ? ERR_R_ASN1_LIB : ERR_R_PEM_LIB);
  }
  return pkey;
}

const X509_VERIFY_PARAM* params_for_verify(const SSL* s) {
  // Host names and IP addresses reach the engine as the name to check (see
  // ensure_connection); only what else the parameters carry needs them.
  const X509_VERIFY_PARAM* p = s->param;
  if (p == nullptr) return nullptr;
  const unsigned hostflags = X509_VERIFY_PARAM_get_hostflags(p);
  const bool plain = X509_VERIFY_PARAM_get_flags(p) == 0 &&
                     (hostflags & ~unsigned{X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS}) == 0 &&
                     X509_VERIFY_PARAM_get0_host(const_cast<X509_VERIFY_PARAM*>(p), 1) == nullptr &&
                     X509_VERIFY_PARAM_get0_email(const_cast<X509_VERIFY_PARAM*>(p)) == nullptr &&
                     X509_VERIFY_PARAM_get_auth_level(p) < 0;
  // A depth other than the context's (SSL_set_verify_depth) needs them too;
  // the context's own reaches the engine as Config::verify_depth.
  const int depth = X509_VERIFY_PARAM_get_depth(p);
  const bool own_depth = depth >= 0 && depth != X509_VERIFY_PARAM_get_depth(s->ctx->param);
  if (plain && !own_depth) return nullptr;
  return p;
}

}  // namespace rapidtls::ssl

extern "C" {

const SSL_METHOD* TLS_method(void) {
  return &kTlsMethod;
}
const SSL_METHOD* TLS_client_method(void) {
  return &kClientMethod;
}
const SSL_METHOD* TLS_server_method(void) {
  return &kServerMethod;
}

int OPENSSL_init_ssl(uint64_t opts, const OPENSSL_INIT_SETTINGS* settings) {
  if (OPENSSL_init_crypto(opts | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, settings) != 1) return 0;
  rapidtls::ssl::load_error_strings();
  return 1;
}

const SSL_METHOD* TLSv1_2_method(void) {
  return &kTls12Method;
}
const SSL_METHOD* TLSv1_2_client_method(void) {
  return &kTls12ClientMethod;
}
const SSL_METHOD* TLSv1_2_server_method(void) {
  return &kTls12ServerMethod;
}

SSL_CTX* SSL_CTX_new_ex(OSSL_LIB_CTX*, const char*, const SSL_METHOD* meth) {
  if (meth == nullptr) {
    ERR_raise(ERR_LIB_SSL, SSL_R_NULL_SSL_METHOD_PASSED);
    return nullptr;
  }
  OPENSSL_init_ssl(0, nullptr);
  auto* ctx = new (std::nothrow) ssl_ctx_st();
  if (ctx == nullptr) return nullptr;
  ctx->method = meth;
  // OpenSSL 3.0's defaults.
  ctx->options = SSL_OP_NO_COMPRESSION | SSL_OP_ENABLE_MIDDLEBOX_COMPAT;
  ctx->mode = SSL_MODE_AUTO_RETRY;
  if (ctx->store == nullptr || ctx->param == nullptr) {
    ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
    SSL_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

SSL_CTX* SSL_CTX_new(const SSL_METHOD* meth) {
  return SSL_CTX_new_ex(nullptr, nullptr, meth);
}

int SSL_CTX_up_ref(SSL_CTX* ctx) {
  ctx->references.fetch_add(1, std::memory_order_relaxed);
  return 1;
}

void SSL_CTX_free(SSL_CTX* ctx) {
  if (ctx == nullptr) return;
  if (ctx->references.fetch_sub(1, std::memory_order_acq_rel) == 1) delete ctx;
}

uint64_t SSL_CTX_get_options(const SSL_CTX* ctx) {
  return ctx->options;
}
uint64_t SSL_CTX_set_options(SSL_CTX* ctx, uint64_t op) {
  ctx->changed();
  return ctx->options |= op;
}
uint64_t SSL_CTX_clear_options(SSL_CTX* ctx, uint64_t op) {
  ctx->changed();
  return ctx->options &= ~op;
}

long SSL_CTX_ctrl(SSL_CTX* ctx, int cmd, long larg, void* parg) {
  switch (cmd) {
    case SSL_CTRL_MODE:
      return ctx->mode |= static_cast<uint32_t>(larg);
    case SSL_CTRL_CLEAR_MODE:
      return ctx->mode &= ~static_cast<uint32_t>(larg);
    case SSL_CTRL_SET_MIN_PROTO_VERSION:
      // TLS 1.2 and 1.3 are implemented: a minimum above 1.3 is refused;
      // older minimums mean 1.2.
      if (larg != 0 && larg > TLS1_3_VERSION) return 0;
      ctx->min_version = static_cast<int>(larg);
      ctx->changed();
      return 1;
    case SSL_CTRL_SET_MAX_PROTO_VERSION:
      // A maximum below TLS 1.2 leaves nothing rapidtls speaks.
      if (larg != 0 && larg < TLS1_2_VERSION) return 0;
      ctx->max_version = static_cast<int>(larg);
      ctx->changed();
      return 1;
    case SSL_CTRL_GET_MIN_PROTO_VERSION:
      return ctx->min_version;
    case SSL_CTRL_GET_MAX_PROTO_VERSION:
      return ctx->max_version;
    case SSL_CTRL_SET_GROUPS_LIST: {
      // Groups rapidtls does not implement but OpenSSL knows (X448, the
      // FFDHE groups, other curves: stunnel's default list has X448) are
      // left out; an unknown name fails the call, as in OpenSSL; so does a
      // list that leaves nothing.
      std::vector<crypto::NamedGroup> groups;
      for (const auto& name : split_list(static_cast<const char*>(parg))) {
        if (auto g = group_by_name(name)) {
          groups.push_back(*g);
        } else if (!known_group_name(name)) {
          ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT);
          return 0;
        }
      }
      if (groups.empty()) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_SUITABLE_GROUPS);
        return 0;
      }
      ctx->groups = groups;
      ctx->changed();
      return 1;
    }
    case SSL_CTRL_SET_GROUPS: {
      std::vector<crypto::NamedGroup> groups;
      const int* nids = static_cast<const int*>(parg);
      for (long i = 0; i < larg; ++i) {
        if (auto g = group_by_nid(nids[i])) groups.push_back(*g);  // others left out
      }
      if (groups.empty()) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_SUITABLE_GROUPS);
        return 0;
      }
      ctx->groups = groups;
      ctx->changed();
      return 1;
    }
    case SSL_CTRL_EXTRA_CHAIN_CERT: {
      // SSL_CTX_add_extra_chain_cert: takes the caller's reference.
      X509* x = static_cast<X509*>(parg);
      if (x == nullptr) return 0;
      ctx->extra_chain.push_back(crypto::Certificate::from_x509(x));
      X509_free(x);
      ctx->changed();
      return 1;
    }
    case SSL_CTRL_CHAIN:
    case SSL_CTRL_CHAIN_CERT:
    case SSL_CTRL_GET_CHAIN_CERTS:
    case SSL_CTRL_SET_CURRENT_CERT:
    case SSL_CTRL_SELECT_CURRENT_CERT: {
      // The current certificate's intermediates, and the walk over the
      // certificates (cert_slots.h). Which one is current changes what a
      // client sends first, so the configuration is made again.
      const long r = ctx->certs.ctrl(cmd, larg, parg, &ctx->chain_stack).value_or(0);
      if (cmd != SSL_CTRL_GET_CHAIN_CERTS) ctx->changed();
      return r;
    }
    case SSL_CTRL_BUILD_CERT_CHAIN: {
      // SSL_CTX_build_cert_chain(3), from the verify store (rapidtls has no
      // separate chain store).
      const int r =
          ctx->certs.build_chain(larg, ctx->chain_store != nullptr ? ctx->chain_store : ctx->store);
      ctx->changed();
      return r;
    }
    case SSL_CTRL_SET_CHAIN_CERT_STORE:
      return rapidtls::ssl::set_store(&ctx->chain_store, larg, parg);
    // OCSP stapling: SSL_CTX_set_tlsext_status_arg, _get_ (cb, arg, type),
    // SSL_CTX_set_tlsext_status_type.
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB_ARG:
      ctx->status_arg = parg;
      return 1;
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_CB:
      if (parg == nullptr) return 0;
      *static_cast<int (**)(SSL*, void*)>(parg) = ctx->status_cb;
      return 1;
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_CB_ARG:
      if (parg == nullptr) return 0;
      *static_cast<void**>(parg) = ctx->status_arg;
      return 1;
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_TYPE:
      ctx->status_type = static_cast<int>(larg);
      ctx->changed();
      return 1;
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_TYPE:
      return ctx->status_type;
    case SSL_CTRL_SET_VERIFY_CERT_STORE: {
      const int r = rapidtls::ssl::set_store(&ctx->verify_store, larg, parg);
      ctx->verify_cache->clear();
      ctx->changed();
      return r;
    }
    case SSL_CTRL_SET_READ_AHEAD: {
      const long old = ctx->read_ahead ? 1 : 0;
      ctx->read_ahead = larg != 0;
      return old;
    }
    case SSL_CTRL_GET_READ_AHEAD:
      return ctx->read_ahead ? 1 : 0;
    case SSL_CTRL_SET_SESS_CACHE_MODE: {
      const long old = ctx->session_cache_mode;
      ctx->session_cache_mode = larg;
      ctx->changed();
      return old;
    }
    case SSL_CTRL_GET_SESS_CACHE_MODE:
      return ctx->session_cache_mode;
    case SSL_CTRL_SET_SESS_CACHE_SIZE: {
      // The internal cache's limit (0: none); a smaller one takes effect as
      // sessions are added (the oldest go first).
      if (larg < 0) return 0;
      const long old = ctx->session_cache_size;
      ctx->session_cache_size = larg;
      return old;
    }
    case SSL_CTRL_GET_SESS_CACHE_SIZE:
      return ctx->session_cache_size;
    case SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG:
      ctx->servername_arg = parg;
      return 1;
    case SSL_CTRL_SET_MSG_CALLBACK_ARG:
      ctx->msg_callback_arg = parg;
      return 1;
    case SSL_CTRL_GET_EXTRA_CHAIN_CERTS: {
      // SSL_CTX_get_extra_chain_certs (larg 0): the extra certificates, or
      // without any the current certificate's intermediates, as OpenSSL;
      // SSL_CTX_get_extra_chain_certs_only (larg 1): the extra ones only. A
      // stack the context owns; null for none.
      auto** out = static_cast<STACK_OF(X509)**>(parg);
      if (out == nullptr) return 0;
      const auto& certs =
          ctx->extra_chain.empty() && larg == 0 ? ctx->certs.current().chain : ctx->extra_chain;
      rapidtls::ssl::fill_stack(certs, &ctx->chain_stack);
      *out = ctx->chain_stack;
      return 1;
    }
    case SSL_CTRL_CLEAR_EXTRA_CHAIN_CERTS:
      ctx->extra_chain.clear();
      ctx->changed();
      return 1;
    case SSL_CTRL_SET_TMP_DH:
      // Parameters for finite-field DHE suites, which rapidtls does not have
      // (ECDHE only): accepted and unused, as OpenSSL uses them only when a
      // DHE suite is negotiated. docs/compatibility.md says so.
      if (parg == nullptr) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
        return 0;
      }
      return 1;
    case SSL_CTRL_SET_DH_AUTO:
    case SSL_CTRL_SET_MAX_SEND_FRAGMENT:
      // Accepted, without effect: there are no finite-field DHE suites (RFC
      // 7919 groups) to pick parameters for, and records are cut at 2^14
      // bytes (RFC 8446 5.1) or the peer's record_size_limit (RFC 8449).
      return 1;
    case SSL_CTRL_SESS_NUMBER: {
      std::lock_guard<std::mutex> lock(ctx->sessions.mutex);
      return static_cast<long>(ctx->sessions.order.size());
    }
    case SSL_CTRL_SESS_HIT:
      return ctx->sessions.hits.load();
    case SSL_CTRL_SESS_CB_HIT:
      return ctx->sessions.cb_hits.load();
    case SSL_CTRL_SESS_MISSES:
      return ctx->sessions.misses.load();
    case SSL_CTRL_SESS_TIMEOUTS:
      return ctx->sessions.timeouts.load();
    case SSL_CTRL_SESS_CACHE_FULL:
      return ctx->sessions.cache_full.load();
    case SSL_CTRL_SESS_CONNECT:
    case SSL_CTRL_SESS_CONNECT_GOOD:
    case SSL_CTRL_SESS_CONNECT_RENEGOTIATE:
    case SSL_CTRL_SESS_ACCEPT:
    case SSL_CTRL_SESS_ACCEPT_GOOD:
    case SSL_CTRL_SESS_ACCEPT_RENEGOTIATE:
      return 0;  // handshakes are not counted (docs/compatibility-notes.md)
    default:
      rapidtls::ssl::trace_unhandled_ctrl("SSL_CTX_ctrl", cmd);
      return 0;
  }
}

// ---- certificates and keys ----------------------------------------------------------------

int SSL_CTX_use_certificate(SSL_CTX* ctx, X509* x) {
  const int r = ctx->certs.use_certificate(x);
  ctx->changed();
  return r;
}

int SSL_CTX_use_certificate_file(SSL_CTX* ctx, const char* file, int type) {
  X509* x = rapidtls::ssl::read_certificate_file(file, type, ctx);
  if (x == nullptr) return 0;
  const int r = SSL_CTX_use_certificate(ctx, x);
  X509_free(x);
  return r;
}

int SSL_CTX_use_certificate_chain_file(SSL_CTX* ctx, const char* file) {
  auto chain = crypto::Certificate::chain_from_pem_file(file);
  if (!chain.ok()) {
    ERR_raise(ERR_LIB_SSL, ERR_R_PEM_LIB);
    return 0;
  }
  const int r = ctx->certs.use_chain(std::move(chain).value());
  ctx->changed();
  return r;
}

int SSL_CTX_use_PrivateKey(SSL_CTX* ctx, EVP_PKEY* pkey) {
  const int r = ctx->certs.use_key(pkey);
  ctx->changed();
  return r;
}

int SSL_CTX_use_PrivateKey_file(SSL_CTX* ctx, const char* file, int type) {
  EVP_PKEY* pkey = rapidtls::ssl::read_private_key_file(file, type, ctx);
  if (pkey == nullptr) return 0;
  const int r = SSL_CTX_use_PrivateKey(ctx, pkey);
  EVP_PKEY_free(pkey);
  return r;
}

int SSL_CTX_check_private_key(const SSL_CTX* ctx) {
  return ctx->certs.check_private_key();
}

// ---- trust -----------------------------------------------------------------------------------

int SSL_CTX_load_verify_locations(SSL_CTX* ctx, const char* file, const char* path) {
  if (file == nullptr && path == nullptr) return 0;
  if (file != nullptr && X509_STORE_load_file(ctx->store, file) != 1) return 0;
  if (path != nullptr && X509_STORE_load_path(ctx->store, path) != 1) return 0;
  ctx->verify_cache->clear();
  return 1;
}

int SSL_CTX_set_default_verify_paths(SSL_CTX* ctx) {
  ctx->verify_cache->clear();
  return X509_STORE_set_default_paths(ctx->store);
}

X509_STORE* SSL_CTX_get_cert_store(const SSL_CTX* ctx) {
  return ctx->store;
}

void SSL_CTX_set_verify(SSL_CTX* ctx, int mode, SSL_verify_cb callback) {
  ctx->verify_mode = mode;
  ctx->verify_callback = callback;
  ctx->verify_cache->clear();
  ctx->changed();
}

// As OpenSSL, the depth lives in the context's verify parameters, which each
// SSL copies at SSL_new (SSL_get_verify_depth); unset, it reads -1 and
// libcrypto's limit of 100 applies.
void SSL_CTX_set_verify_depth(SSL_CTX* ctx, int depth) {
  X509_VERIFY_PARAM_set_depth(ctx->param, depth);
  ctx->verify_cache->clear();
  ctx->changed();
}

int SSL_CTX_get_verify_mode(const SSL_CTX* ctx) {
  return ctx->verify_mode;
}

SSL_verify_cb SSL_CTX_get_verify_callback(const SSL_CTX* ctx) {
  return ctx->verify_callback;
}

// ---- suites, ALPN, key log, tickets --------------------------------------------------------

int SSL_CTX_set_ciphersuites(SSL_CTX* ctx, const char* str) {
  std::vector<uint16_t> suites;
  if (!rapidtls::ssl::parse_ciphersuites(str, &suites)) return 0;
  ctx->suites = std::move(suites);
  ctx->changed();
  return 1;
}

int SSL_CTX_set_cipher_list(SSL_CTX* ctx, const char* str) {
  const bool ok = rapidtls::ssl::parse_cipher_list(str, &ctx->suites12, &ctx->security_level);
  ctx->changed();
  return ok ? 1 : 0;
}

void SSL_CTX_set_info_callback(SSL_CTX* ctx, void (*cb)(const SSL*, int, int)) {
  ctx->info_callback = cb;
}

int SSL_CTX_set_alpn_protos(SSL_CTX* ctx, const unsigned char* protos, unsigned int protos_len) {
  std::vector<ByteVec> list;
  if (protos_len > 0 && !parse_alpn_wire(protos, protos_len, &list)) return 1;  // 1 = failure
  ctx->alpn = list;
  ctx->changed();
  return 0;
}

void SSL_CTX_set_alpn_select_cb(SSL_CTX* ctx, SSL_CTX_alpn_select_cb_func cb, void* arg) {
  ctx->alpn_select = cb;
  ctx->alpn_select_arg = arg;
  ctx->changed();
}

void SSL_CTX_set_keylog_callback(SSL_CTX* ctx, SSL_CTX_keylog_cb_func cb) {
  ctx->keylog = cb;
  ctx->changed();
}

SSL_CTX_keylog_cb_func SSL_CTX_get_keylog_callback(const SSL_CTX* ctx) {
  return ctx->keylog;
}

long SSL_CTX_set_timeout(SSL_CTX* ctx, long t) {
  // The ticket key stays: tickets already out follow the new lifetime.
  return ctx->set_session_timeout(t);
}

long SSL_CTX_get_timeout(const SSL_CTX* ctx) {
  return ctx->session_timeout;
}

int SSL_CTX_set_num_tickets(SSL_CTX* ctx, size_t num_tickets) {
  ctx->num_tickets = num_tickets;
  ctx->changed();
  return 1;
}

size_t SSL_CTX_get_num_tickets(const SSL_CTX* ctx) {
  return ctx->num_tickets;
}

int SSL_CTX_set_ex_data(SSL_CTX* ctx, int idx, void* data) {
  return CRYPTO_set_ex_data(&ctx->ex_data, idx, data);
}

void* SSL_CTX_get_ex_data(const SSL_CTX* ctx, int idx) {
  return CRYPTO_get_ex_data(&ctx->ex_data, idx);
}

// ---- passwords, parameters, client CA names, misc ----------------------------------------

void SSL_CTX_set_default_passwd_cb(SSL_CTX* ctx, pem_password_cb* cb) {
  ctx->passwd_cb = cb;
}
void SSL_CTX_set_default_passwd_cb_userdata(SSL_CTX* ctx, void* u) {
  ctx->passwd_userdata = u;
}
pem_password_cb* SSL_CTX_get_default_passwd_cb(SSL_CTX* ctx) {
  return ctx->passwd_cb;
}
void* SSL_CTX_get_default_passwd_cb_userdata(SSL_CTX* ctx) {
  return ctx->passwd_userdata;
}

X509_VERIFY_PARAM* SSL_CTX_get0_param(SSL_CTX* ctx) {
  ctx->changed();  // the caller may set the depth through it
  return ctx->param;
}

int SSL_CTX_set1_param(SSL_CTX* ctx, X509_VERIFY_PARAM* vpm) {
  ctx->changed();  // the depth may have changed
  return X509_VERIFY_PARAM_set1(ctx->param, vpm);
}

// The level is kept and reported; rapidtls's own floor (no suite, group or
// signature below 128-bit security, no RSA key under 2048 bits in its test
// set) does not move with it. docs/compatibility.md says so.
int SSL_CTX_get_security_level(const SSL_CTX* ctx) {
  return ctx->security_level;
}
void SSL_CTX_set_security_level(SSL_CTX* ctx, int level) {
  ctx->security_level = level;
}

void SSL_CTX_set_cert_store(SSL_CTX* ctx, X509_STORE* store) {
  if (store == ctx->store) return;
  X509_STORE_free(ctx->store);
  ctx->store = store;  // ownership passes, as in OpenSSL
  ctx->verify_cache->clear();
  ctx->changed();
}

void SSL_CTX_set1_cert_store(SSL_CTX* ctx, X509_STORE* store) {
  if (store != nullptr) X509_STORE_up_ref(store);
  SSL_CTX_set_cert_store(ctx, store);
}

int SSL_CTX_get_verify_depth(const SSL_CTX* ctx) {
  return X509_VERIFY_PARAM_get_depth(ctx->param);
}

int SSL_CTX_load_verify_file(SSL_CTX* ctx, const char* file) {
  if (file == nullptr || X509_STORE_load_file(ctx->store, file) != 1) return 0;
  ctx->verify_cache->clear();
  return 1;
}

int SSL_CTX_load_verify_dir(SSL_CTX* ctx, const char* dir) {
  if (dir == nullptr || X509_STORE_load_path(ctx->store, dir) != 1) return 0;
  ctx->verify_cache->clear();
  return 1;
}

void SSL_CTX_set_client_CA_list(SSL_CTX* ctx, STACK_OF(X509_NAME) * list) {
  sk_X509_NAME_pop_free(ctx->client_ca, X509_NAME_free);
  ctx->client_ca = list;
  ctx->changed();
}

STACK_OF(X509_NAME) * SSL_CTX_get_client_CA_list(const SSL_CTX* ctx) {
  return ctx->client_ca;
}

int SSL_CTX_add_client_CA(SSL_CTX* ctx, X509* x) {
  if (x == nullptr) return 0;
  if (ctx->client_ca == nullptr && (ctx->client_ca = sk_X509_NAME_new_null()) == nullptr) return 0;
  X509_NAME* name = X509_NAME_dup(X509_get_subject_name(x));
  if (name == nullptr || sk_X509_NAME_push(ctx->client_ca, name) <= 0) {
    X509_NAME_free(name);
    return 0;
  }
  ctx->changed();
  return 1;
}

void SSL_CTX_set_msg_callback(SSL_CTX* ctx,
                              void (*cb)(int, int, int, const void*, size_t, SSL*, void*)) {
  ctx->msg_callback = cb;
}

void SSL_CTX_set_post_handshake_auth(SSL_CTX* ctx, int val) {
  ctx->post_handshake_auth = val != 0;
}

int SSL_CTX_set_session_id_context(SSL_CTX* ctx, const unsigned char* sid_ctx,
                                   unsigned int sid_ctx_len) {
  if (sid_ctx_len > SSL_MAX_SID_CTX_LENGTH) {
    ERR_raise(ERR_LIB_SSL, SSL_R_SSL_SESSION_ID_CONTEXT_TOO_LONG);
    return 0;
  }
  ctx->sid_ctx.assign(sid_ctx, sid_ctx + sid_ctx_len);
  ctx->changed();
  return 1;
}

void SSL_CTX_set_quiet_shutdown(SSL_CTX* ctx, int mode) {
  ctx->quiet_shutdown = mode != 0;
}
int SSL_CTX_get_quiet_shutdown(const SSL_CTX* ctx) {
  return ctx->quiet_shutdown ? 1 : 0;
}

long SSL_CTX_callback_ctrl(SSL_CTX* ctx, int cmd, void (*fp)(void)) {
  switch (cmd) {
    case SSL_CTRL_SET_TLSEXT_SERVERNAME_CB:
      // OpenSSL stores the callback through a cast of this very kind.
      ctx->servername_cb = reinterpret_cast<int (*)(SSL*, int*, void*)>(fp);
      ctx->changed();
      return 1;
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB:
      // SSL_CTX_set_tlsext_status_cb(3).
      ctx->status_cb = reinterpret_cast<int (*)(SSL*, void*)>(fp);
      return 1;
    case SSL_CTRL_SET_TLSEXT_TICKET_KEY_CB:
      // SSL_CTX_set_tlsext_ticket_key_cb(3) (tickets.cc seals with it).
      ctx->ticket_key_legacy_cb = reinterpret_cast<int (*)(SSL*, unsigned char*, unsigned char*,
                                                           EVP_CIPHER_CTX*, HMAC_CTX*, int)>(fp);
      ctx->reset_ticket_issuer();
      return 1;
    default:
      rapidtls::ssl::trace_unhandled_ctrl("SSL_CTX_callback_ctrl", cmd);
      return 0;
  }
}

// As SSL_CTRL_SET_TMP_DH: no DHE suites, so the key is taken and unused.
int SSL_CTX_set0_tmp_dh_pkey(SSL_CTX*, EVP_PKEY* dhpkey) {
  if (dhpkey == nullptr) return 0;
  EVP_PKEY_free(dhpkey);
  return 1;
}

int SSL_set0_tmp_dh_pkey(SSL*, EVP_PKEY* dhpkey) {
  if (dhpkey == nullptr) return 0;
  EVP_PKEY_free(dhpkey);
  return 1;
}

X509* SSL_CTX_get0_certificate(const SSL_CTX* ctx) {
  const auto& leaf = ctx->certs.current().leaf;
  return leaf ? leaf->raw() : nullptr;
}

EVP_PKEY* SSL_CTX_get0_privatekey(const SSL_CTX* ctx) {
  const auto& key = ctx->certs.current().key;
  return key ? key->raw() : nullptr;
}

STACK_OF(X509_NAME) * SSL_load_client_CA_file(const char* file) {
  BIO* in = BIO_new_file(file, "r");
  if (in == nullptr) {
    ERR_raise(ERR_LIB_SSL, ERR_R_SYS_LIB);
    return nullptr;
  }
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  X509* x = nullptr;
  while (names != nullptr && (x = PEM_read_bio_X509(in, nullptr, nullptr, nullptr)) != nullptr) {
    const X509_NAME* subject = X509_get_subject_name(x);
    bool seen = false;
    for (int i = 0; i < sk_X509_NAME_num(names) && !seen; ++i) {
      seen = X509_NAME_cmp(sk_X509_NAME_value(names, i), subject) == 0;
    }
    X509_NAME* dup = seen ? nullptr : X509_NAME_dup(subject);
    if (!seen && (dup == nullptr || sk_X509_NAME_push(names, dup) <= 0)) {
      X509_NAME_free(dup);
      sk_X509_NAME_pop_free(names, X509_NAME_free);
      names = nullptr;
    }
    X509_free(x);
  }
  BIO_free(in);
  if (names != nullptr && sk_X509_NAME_num(names) == 0) {
    // OpenSSL: a file without certificates is an error (the PEM one stays).
    sk_X509_NAME_free(names);
    return nullptr;
  }
  ERR_clear_error();  // the PEM reader's end-of-file entry
  return names;
}

// SSL_get_default_timeout(3): the session lifetime a connection's method
// gives by default (two hours, as OpenSSL's TLS methods).
long SSL_get_default_timeout(const SSL*) {
  return 7200;
}

int SSL_set_alpn_protos(SSL* s, const unsigned char* protos, unsigned int protos_len) {
  std::vector<ByteVec> list;
  if (protos_len > 0 && !parse_alpn_wire(protos, protos_len, &list)) return 1;  // 1 = failure
  s->own_alpn = std::move(list);
  return 0;
}

int SSL_set_session_id_context(SSL* s, const unsigned char* sid_ctx, unsigned int sid_ctx_len) {
  if (sid_ctx_len > SSL_MAX_SID_CTX_LENGTH) {
    ERR_raise(ERR_LIB_SSL, SSL_R_SSL_SESSION_ID_CONTEXT_TOO_LONG);
    return 0;
  }
  s->sid_ctx.assign(sid_ctx, sid_ctx + sid_ctx_len);
  s->own_sid_ctx = true;
  return 1;
}

STACK_OF(X509_NAME) * SSL_dup_CA_list(const STACK_OF(X509_NAME) * list) {
  STACK_OF(X509_NAME)* out = sk_X509_NAME_new_reserve(nullptr, sk_X509_NAME_num(list));
  if (out == nullptr) return nullptr;
  for (int i = 0; i < sk_X509_NAME_num(list); ++i) {
    X509_NAME* name = X509_NAME_dup(sk_X509_NAME_value(list, i));
    if (name == nullptr || sk_X509_NAME_push(out, name) <= 0) {
      X509_NAME_free(name);
      sk_X509_NAME_pop_free(out, X509_NAME_free);
      return nullptr;
    }
  }
  return out;
}

// SSL_add_file_cert_subjects_to_stack(3): the subjects of a PEM file's
// certificates added to `stack`, skipping those already there.
int SSL_add_file_cert_subjects_to_stack(STACK_OF(X509_NAME) * stack, const char* file) {
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(file);
  if (names == nullptr) return 0;
  int ok = 1;
  for (int i = 0; i < sk_X509_NAME_num(names) && ok; ++i) {
    X509_NAME* name = sk_X509_NAME_value(names, i);
    bool seen = false;
    for (int j = 0; j < sk_X509_NAME_num(stack) && !seen; ++j) {
      seen = X509_NAME_cmp(sk_X509_NAME_value(stack, j), name) == 0;
    }
    if (seen) continue;
    X509_NAME* dup = X509_NAME_dup(name);
    if (dup == nullptr || sk_X509_NAME_push(stack, dup) <= 0) {
      X509_NAME_free(dup);
      ok = 0;
    }
  }
  sk_X509_NAME_pop_free(names, X509_NAME_free);
  return ok;
}

// The same for every file of a folder (OpenSSL reads every regular file in it).
int SSL_add_dir_cert_subjects_to_stack(STACK_OF(X509_NAME) * stack, const char* dir) {
  DIR* d = opendir(dir);
  if (d == nullptr) {
    ERR_raise(ERR_LIB_SYS, errno);
    ERR_raise(ERR_LIB_SSL, ERR_R_SYS_LIB);
    return 0;
  }
  int ok = 1;
  while (const dirent* e = readdir(d)) {
    const std::string path = std::string(dir) + "/" + e->d_name;
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (SSL_add_file_cert_subjects_to_stack(stack, path.c_str()) == 0) {
      ok = 0;
      break;
    }
  }
  closedir(d);
  return ok;
}

// SSL_CTX_set_client_hello_cb(3): called first on each ClientHello a server
// takes; SSL_client_hello_get0_* read it meanwhile.
void SSL_CTX_set_client_hello_cb(SSL_CTX* ctx, SSL_client_hello_cb_fn cb, void* arg) {
  ctx->client_hello_cb = cb;
  ctx->client_hello_arg = arg;
  ctx->changed();
}

void SSL_CTX_set_client_cert_cb(SSL_CTX* ctx, int (*cb)(SSL*, X509**, EVP_PKEY**)) {
  ctx->client_cert_cb = cb;
  ctx->changed();
}
int (*SSL_CTX_get_client_cert_cb(SSL_CTX* ctx))(SSL*, X509**, EVP_PKEY**) {
  return ctx->client_cert_cb;
}

// SSL_CTX_set_cert_cb(3): called on a server once per handshake, after the
// servername callback, before a certificate is chosen; it may set the SSL's
// certificate and key. A client's, when a server asks for a certificate
// (ssl_st::on_certificate_request; docs/compatibility-notes.md).
void SSL_CTX_set_cert_cb(SSL_CTX* ctx, int (*cb)(SSL*, void*), void* arg) {
  ctx->cert_cb = cb;
  ctx->cert_cb_arg = arg;
  ctx->changed();
}

// The server session cache's callbacks (SSL_CTX_sess_set_get_cb(3));
// session_cache.cc calls them.
void SSL_CTX_sess_set_get_cb(SSL_CTX* ctx,
                             SSL_SESSION* (*cb)(SSL*, const unsigned char*, int, int*)) {
  ctx->sess_get_cb = cb;
}
SSL_SESSION* (*SSL_CTX_sess_get_get_cb(SSL_CTX* ctx))(SSL*, const unsigned char*, int, int*) {
  return ctx->sess_get_cb;
}
void SSL_CTX_sess_set_remove_cb(SSL_CTX* ctx, void (*cb)(SSL_CTX*, SSL_SESSION*)) {
  ctx->sess_remove_cb = cb;
}
void (*SSL_CTX_sess_get_remove_cb(SSL_CTX* ctx))(SSL_CTX*, SSL_SESSION*) {
  return ctx->sess_remove_cb;
}

}  // extern "C"

namespace rapidtls::ssl {

int set_store(X509_STORE** slot, long up_ref, void* parg) {
  auto* st = static_cast<X509_STORE*>(parg);
  if (st != nullptr && up_ref != 0 && X509_STORE_up_ref(st) != 1) return 0;
  X509_STORE_free(*slot);
  *slot = st;
  return 1;
}

}  // namespace rapidtls::ssl
