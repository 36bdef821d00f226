// The C interface's objects: what an SSL_CTX and an SSL are in rapidtls. This
// header is compiled against the system's <openssl/ssl.h>, so the compiler
// checks every signature against OpenSSL's own declarations.
#pragma once

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conn/connection.h"
#include "handshake/callbacks.h"
#include "handshake/config.h"
#include "io/app_write.h"
#include "io/transport.h"
#include "ssl/cert_slots.h"

struct ssl_method_st {
  int role;     // 0 either (TLS_method), 1 client, 2 server
  int version;  // 0 any (TLS_method and friends); TLS1_2_VERSION for TLSv1_2_method
};

struct ssl_cipher_st {
  uint16_t id;
  const char* name;      // OpenSSL's name (RFC 8446 name for TLS 1.3)
  const char* protocol;  // "TLSv1.3"
  int bits;
};

// An SSL_SESSION: what a client needs to resume (TLS 1.3: a ticket with its
// PSK and what the first connection learnt of its server), or, for any other
// connection, its description (version, suite, times). Immutable once made;
// shared by reference count.
struct ssl_session_st {
  ssl_session_st();
  ~ssl_session_st();
  std::atomic<int> references{1};
  // SSL_SESSION_get_id: TLS 1.3 has no session ids; as OpenSSL, a client's
  // session gets random bytes to tell sessions apart.
  std::vector<uint8_t> id;
  std::vector<uint8_t> sid_ctx;  // SSL_SESSION_set1_id_context
  CRYPTO_EX_DATA ex_data{};
  int version = 0;  // TLS1_3_VERSION or TLS1_2_VERSION
  uint16_t cipher_id = 0;
  long time = 0;     // seconds since the epoch (SSL_SESSION_get_time)
  long timeout = 0;  // seconds (SSL_SESSION_get_timeout)
  std::string hostname;
  std::optional<rapidtls::crypto::Certificate> peer;        // the peer's certificate (get0_peer)
  std::optional<rapidtls::handshake::StoredTicket> ticket;  // present: resumable
};

struct ssl_ctx_st {
  ssl_ctx_st();
  ~ssl_ctx_st();

  std::atomic<int> references{1};
  const SSL_METHOD* method = nullptr;
  uint64_t options = 0;
  uint32_t mode = 0;
  bool read_ahead = false;  // SSL_CTX_set_read_ahead
  int min_version = 0;      // 0: lowest supported
  int max_version = 0;      // 0: highest supported

  // What the engine's Config is made of; config() rebuilds it after a change.
  // Certificates and keys, one slot per key type (cert_slots.h).
  rapidtls::ssl::CertSlots certs;
  // SSL_CTX_add_extra_chain_cert: sent after any certificate that has no
  // intermediates of its own (as OpenSSL), shared by all slots.
  std::vector<rapidtls::crypto::Certificate> extra_chain;
  X509_STORE* store = nullptr;  // owned; SSL_CTX_get_cert_store hands it out
  // SSL_CTX_set1_chain_cert_store: where SSL_CTX_build_cert_chain looks
  // (null: `store`). Owned (a reference).
  X509_STORE* chain_store = nullptr;
  // SSL_CTX_set1_verify_cert_store: the peer's chain is verified against it
  // (null: `store`). Owned (a reference).
  X509_STORE* verify_store = nullptr;
  X509_STORE* trust_store() const { return verify_store != nullptr ? verify_store : store; }
  int verify_mode = SSL_VERIFY_NONE;
  SSL_verify_cb verify_callback = nullptr;
  std::vector<uint16_t> suites = {0x1302, 0x1303, 0x1301};  // OpenSSL 3.0's default order
  std::vector<uint16_t> suites12{std::begin(rapidtls::handshake::kDefaultSuites12),
                                 std::end(rapidtls::handshake::kDefaultSuites12)};
  void (*info_callback)(const SSL*, int, int) = nullptr;
  std::vector<rapidtls::crypto::NamedGroup> groups;
  std::vector<rapidtls::ByteVec> alpn;  // client offer
  SSL_CTX_alpn_select_cb_func alpn_select = nullptr;
  void* alpn_select_arg = nullptr;
  SSL_CTX_keylog_cb_func keylog = nullptr;
  size_t num_tickets = 2;                           // OpenSSL's default
  long session_cache_mode = SSL_SESS_CACHE_SERVER;  // OpenSSL's default
  int (*new_session_cb)(SSL*, SSL_SESSION*) = nullptr;
  long session_timeout = 7200;  // seconds (SSL_CTX_set_timeout; OpenSSL's default)
  // The lifetime of the tickets a server issues: the session timeout, within
  // RFC 8446's seven days.
  uint32_t ticket_lifetime() const {
    return static_cast<uint32_t>(
        std::clamp<long>(session_timeout, 0, rapidtls::handshake::kMaxTicketLifetime));
  }
  std::shared_ptr<rapidtls::handshake::TicketIssuer> ticket_issuer;
  std::shared_ptr<rapidtls::crypto::CertificateCache> cert_cache;
  // Verified chains, for every Config made from this context; cleared when the
  // trust settings change through this interface (the store's own changes are
  // caught by TrustStore::reuse_state).
  std::shared_ptr<rapidtls::crypto::VerifiedChainCache> verify_cache =
      std::make_shared<rapidtls::crypto::VerifiedChainCache>();
  CRYPTO_EX_DATA ex_data{};
  pem_password_cb* passwd_cb = nullptr;  // SSL_CTX_set_default_passwd_cb
  void* passwd_userdata = nullptr;
  // SSL_CTX_get0_param: verification parameters every SSL starts from.
  X509_VERIFY_PARAM* param = nullptr;
  STACK_OF(X509_NAME) * client_ca = nullptr;  // SSL_CTX_set_client_CA_list (owned)
  int security_level = 2;                     // Debian's system default (openssl.cnf)
  std::vector<uint8_t> sid_ctx;               // SSL_CTX_set_session_id_context
  void (*msg_callback)(int, int, int, const void*, size_t, SSL*, void*) = nullptr;
  void* msg_callback_arg = nullptr;
  bool post_handshake_auth = false;                   // SSL_CTX_set_post_handshake_auth
  int (*servername_cb)(SSL*, int*, void*) = nullptr;  // SSL_CTX_set_tlsext_servername_callback
  void* servername_arg = nullptr;
  SSL_client_hello_cb_fn client_hello_cb = nullptr;  // SSL_CTX_set_client_hello_cb
  void* client_hello_arg = nullptr;
  int (*cert_cb)(SSL*, void*) = nullptr;                      // SSL_CTX_set_cert_cb (servers)
  int (*client_cert_cb)(SSL*, X509**, EVP_PKEY**) = nullptr;  // SSL_CTX_set_client_cert_cb
  // SSL_CTX_set_tlsext_ticket_key_evp_cb: the program's keys seal the tickets.
  int (*ticket_key_cb)(SSL*, unsigned char*, unsigned char*, EVP_CIPHER_CTX*, EVP_MAC_CTX*,
                       int) = nullptr;
  // SSL_CTX_set_tlsext_ticket_key_cb: the same with an HMAC_CTX (OpenSSL
  // 1.x's form, which nginx 1.22 uses); the EVP form wins when both are set.
  int (*ticket_key_legacy_cb)(SSL*, unsigned char*, unsigned char*, EVP_CIPHER_CTX*, HMAC_CTX*,
                              int) = nullptr;
  void* cert_cb_arg = nullptr;
  // The server session cache (TLS 1.2 session ids; session_cache.cc): the
  // program's callbacks (SSL_CTX_sess_set_get_cb, _remove_cb) and the
  // internal cache, oldest first, one reference per session.
  SSL_SESSION* (*sess_get_cb)(SSL*, const unsigned char*, int, int*) = nullptr;
  void (*sess_remove_cb)(SSL_CTX*, SSL_SESSION*) = nullptr;
  struct Sessions {
    std::mutex mutex;
    std::list<SSL_SESSION*> order;
    std::map<std::vector<uint8_t>, std::list<SSL_SESSION*>::iterator> by_id;
    // SSL_CTX_sess_hits(3) and friends.
    std::atomic<long> hits{0}, cb_hits{0}, misses{0}, timeouts{0}, cache_full{0};
  } sessions;
  bool quiet_shutdown = false;
  // OCSP stapling (SSL_CTX_set_tlsext_status_cb(3)): the callback (a server
  // sets the response to staple in it; a client checks the response it
  // got), its argument, and the status type new SSLs ask for (-1: none).
  int (*status_cb)(SSL*, void*) = nullptr;
  void* status_arg = nullptr;
  int status_type = -1;
  // SSL_CTX_set_max_early_data, _recv_max_early_data: kept and reported; a
  // server still takes no 0-RTT data (early_data.cc).
  uint32_t max_early_data = 0;
  uint32_t recv_max_early_data = SSL3_RT_MAX_PLAIN_LENGTH;
  // SSL_CTX_get_ciphers's list, made again on each call (the settings may
  // have changed); the context owns it, as in OpenSSL.
  std::mutex cipher_stack_mutex;
  STACK_OF(SSL_CIPHER) * cipher_stack = nullptr;
  STACK_OF(X509) * chain_stack = nullptr;  // SSL_CTX_get_extra_chain_certs's answer
  long session_cache_size = SSL_SESSION_CACHE_MAX_SIZE_DEFAULT;

  // The engine configuration for new connections (shared, rebuilt when dirty).
  std::shared_ptr<const rapidtls::handshake::Config> config(SSL* for_ssl);
  // Sets cfg's verification from a verify mode and callback (and this
  // context's verified-chain cache when there is no callback).
  void apply_verify(rapidtls::handshake::Config& cfg, int vmode, SSL_verify_cb callback) const;
  void changed() {
    std::lock_guard<std::mutex> lock(config_mutex_);
    config_.reset();
  }
  // A new ticket issuer for the next connections (the ticket keys changed).
  // Made at once, as OpenSSL makes its ticket keys in SSL_CTX_new: a server
  // that forks its workers after configuring shares them.
  void reset_ticket_issuer();
  // SSL_CTX_set_timeout: the session timeout, and the lifetime of the tickets
  // (issued and accepted) with it; returns the previous timeout.
  long set_session_timeout(long t) {
    std::lock_guard<std::mutex> lock(config_mutex_);  // config() makes the issuer
    const long old = session_timeout;
    session_timeout = t;
    if (ticket_issuer) ticket_issuer->set_lifetime(ticket_lifetime());
    return old;
  }

 private:
  std::mutex config_mutex_;  // SSL_new may run on many threads at once
  std::shared_ptr<const rapidtls::handshake::Config> config_;
};

namespace rapidtls::ssl {

enum class Role : uint8_t { unset, client, server };

// The write call that is in progress (a WANT_WRITE/WANT_READ retry resumes
// it): SSL_write(3)'s retry rules are checked against it.
struct PendingWrite {
  bool active = false;
  const uint8_t* buf = nullptr;  // the caller's buffer, as first passed
  size_t len = 0;                // its length
  io::AppWrite progress;         // how much of it is sealed or reserved
};

// What SSL_get_error needs to know about the last call.
enum class LastIo : uint8_t { none, want_read, want_write, syscall, zero_return, ssl };

}  // namespace rapidtls::ssl

// An SSL is its connection's callbacks (rapidtls::handshake::ConnectionCallbacks):
// the engine's calls back into the application, mapped onto the callbacks set
// on the SSL and its context (callbacks.cc).
struct ssl_st final : rapidtls::handshake::ConnectionCallbacks {
  explicit ssl_st(SSL_CTX* c);
  ~ssl_st() override;

  // SSL_set_msg_callback / SSL_CTX_set_msg_callback: read at each message,
  // so that setting it on one SSL needs no configuration of its own.
  bool traces_messages() const override { return msg_callback != nullptr; }
  void on_message(bool sent, uint16_t version, uint8_t content_type, rapidtls::Bytes data) override;
  // SSL_CTX_set_keylog_callback, of the context in use.
  bool logs_keys() const override { return ctx->keylog != nullptr; }
  void on_key_log(std::string_view line) override;
  // SSL_set_verify's callback, run with the SSL in the store context.
  int on_verify(rapidtls::handshake::VerifyCallback callback, int preverify_ok,
                X509_STORE_CTX* x) override;
  const X509_VERIFY_PARAM* verify_parameters() const override;
  // SSL_CTX_set_cert_cb on a client.
  rapidtls::Result<std::optional<rapidtls::handshake::CertifiedKey>> on_certificate_request()
      override;
  // SSL_CTX_set_client_cert_cb.
  std::optional<rapidtls::handshake::CertifiedKey> supply_client_certificate() override;
  // SSL_CTX_set_alpn_select_cb.
  bool selects_alpn() const override { return ctx->alpn_select != nullptr; }
  std::optional<std::vector<uint8_t>> on_select_alpn(
      const std::vector<std::vector<uint8_t>>& offered) override;
  // The client hello, servername and certificate callbacks of the context.
  bool hooks_client_hello() const override {
    return ctx->client_hello_cb != nullptr || ctx->servername_cb != nullptr ||
           ctx->cert_cb != nullptr;
  }
  rapidtls::Result<rapidtls::handshake::ClientHelloDecision> on_client_hello(
      const rapidtls::handshake::ClientHello& hello, const std::string& name) override;
  // The context's status callback (SSL_CTX_set_tlsext_status_cb), as a
  // client's check or a server's source of the response to staple.
  int on_ocsp_response(rapidtls::Bytes response) override;
  rapidtls::Result<std::optional<std::vector<uint8_t>>> on_ocsp_staple(size_t index) override;

  // The write path's scratch buffer for SSL_sendfile without kernel TLS, and
  // its size. It outlives a call only while a piece of it is pending.
  std::unique_ptr<uint8_t[]> sendfile_buf;
  size_t sendfile_cap = 0;
  // The peer chain as a STACK_OF(X509), made on first request.
  STACK_OF(X509) * peer_chain_stack = nullptr;
  STACK_OF(X509) * verified_chain_stack = nullptr;  // SSL_get0_verified_chain

  std::atomic<int> references{1};
  SSL_CTX* ctx;
  rapidtls::ssl::Role role = rapidtls::ssl::Role::unset;
  uint32_t mode = 0;
  uint64_t options = 0;
  int verify_mode;
  // SSL_set_read_ahead: SSL_read may take whatever the transport has (up to
  // its buffer limit), not only what it hands over in the same call.
  bool read_ahead = false;
  // SSL_set_verify's callback; SSL_new takes the context's (as OpenSSL).
  SSL_verify_cb verify_callback;
  int shutdown_flags = 0;  // SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN
  std::string host;        // SNI to send (SSL_set_tlsext_host_name)
  BIO* rbio = nullptr;
  BIO* wbio = nullptr;
  int fd = -1;  // when set with SSL_set_fd: direct socket I/O (send with MSG_NOSIGNAL)
  mutable rapidtls::io::ReadSpin read_spin;  // how a blocking fd's reader waits
  // Kernel TLS (ssl/ktls.cc): tried once per connection, after its handshake;
  // the kernel's refusal (0: it took the keys; ENOENT: no kernel TLS).
  bool ktls_tried = false;  // the sending side
  int ktls_send_errno = 0;
  mutable rapidtls::io::KernelRecordBudget ktls_budget;  // records under the kernel's keys
  bool ktls_rx_tried = false;
  int ktls_recv_errno = 0;   // EOPNOTSUPP: TLS 1.3 on a kernel that cannot change its keys
  bool ktls_filter = false;  // the BIO that answers BIO_get_ktls_* is in front
  std::unique_ptr<rapidtls::conn::Connection> conn;
  rapidtls::ssl::PendingWrite pending_write;
  rapidtls::ssl::LastIo last_io = rapidtls::ssl::LastIo::none;
  void (*info_callback)(const SSL*, int, int) = nullptr;
  int handshakes_reported = 0;  // handshakes announced to the info callback
  // Set once a fatal error has been reported: as OpenSSL's state machine in
  // error, every later call fails with SSL_ERROR_SYSCALL and an empty queue.
  bool dead = false;
  CRYPTO_EX_DATA ex_data{};
  // SSL_get0_param: this connection's verification parameters (host names,
  // IP address, flags), from the context's at SSL_new.
  X509_VERIFY_PARAM* param = nullptr;
  // Settings made on this SSL rather than its context (SSL_use_certificate,
  // SSL_set_cipher_list, ...): config() applies them over the context's.
  // SSL_use_certificate and kin: the context's slots copied at the first
  // change, as OpenSSL's SSL starts from a copy of its context's.
  std::optional<rapidtls::ssl::CertSlots> own_certs;
  rapidtls::ssl::CertSlots& writable_certs() {
    if (!own_certs) own_certs = ctx->certs;
    return *own_certs;
  }
  const rapidtls::ssl::CertSlots& certs() const { return own_certs ? *own_certs : ctx->certs; }
  STACK_OF(X509) * chain_stack = nullptr;  // SSL_get0_chain_certs's answer
  std::optional<std::vector<uint16_t>> own_suites12;
  std::optional<std::vector<uint16_t>> own_suites;
  std::optional<std::vector<rapidtls::ByteVec>> own_alpn;  // SSL_set_alpn_protos
  std::vector<uint8_t> sid_ctx;                            // SSL_set_session_id_context
  int min_version = 0;
  int max_version = 0;
  bool own_versions = false;
  bool has_overrides() const {
    return own_certs || own_suites12 || own_suites || own_versions || own_alpn ||
           client_ca != nullptr || verify_store != nullptr || status_type != ctx->status_type ||
           (own_sid_ctx && sid_ctx != ctx->sid_ctx);
  }
  STACK_OF(X509_NAME) * client_ca = nullptr;  // SSL_set_client_CA_list (owned)
  // A client's SSL_get_client_CA_list: the names the server sent, made into
  // a stack when asked (again when they changed).
  mutable STACK_OF(X509_NAME) * peer_ca_stack = nullptr;
  mutable std::vector<rapidtls::ByteVec> peer_ca_made;  // the names in peer_ca_stack
  STACK_OF(SSL_CIPHER) * cipher_stack = nullptr;        // SSL_get_ciphers (made on request)
  bool quiet_shutdown = false;
  bool post_handshake_auth = false;
  // A server's SNI as its ClientHello hook saw it (SSL_get_servername
  // during the servername callback, before the session exists).
  std::string received_sni;
  bool in_client_hello_hook = false;
  // The ClientHello while the client hello callback runs (else null), and
  // the bytes SSL_client_hello_get0_ciphers and _get1_extensions_present
  // hand out from it.
  const rapidtls::handshake::ClientHello* client_hello = nullptr;
  std::vector<uint8_t> client_hello_ciphers;
  long verify_result_override = -1;  // SSL_set_verify_result
  void (*msg_callback)(int, int, int, const void*, size_t, SSL*, void*) = nullptr;
  void* msg_callback_arg = nullptr;
  // The context whose session cache a server uses: the one of SSL_new, also
  // after SSL_set_SSL_CTX (as OpenSSL's session_ctx). A reference.
  SSL_CTX* session_ctx = nullptr;
  // SSL_set1_chain_cert_store (a reference; the context's at SSL_new).
  X509_STORE* chain_store = nullptr;
  // SSL_set1_verify_cert_store (a reference): this SSL verifies its peer
  // against it, not its context's stores.
  X509_STORE* verify_store = nullptr;
  bool own_sid_ctx = false;  // SSL_set_session_id_context was called
  // OCSP stapling: the status type this client asks for
  // (SSL_set_tlsext_status_type; -1: none); what a server's status callback
  // set to staple (SSL_set_tlsext_status_ocsp_resp), and the certificate
  // chosen while it runs (SSL_get_certificate); a client's received
  // response while its status callback runs.
  int status_type = -1;
  uint32_t max_early_data = 0;  // SSL_set_max_early_data (the context's at SSL_new)
  uint32_t recv_max_early_data = SSL3_RT_MAX_PLAIN_LENGTH;
  std::optional<std::vector<uint8_t>> ocsp_to_staple;
  X509* status_cert = nullptr;
  const std::vector<uint8_t>* ocsp_seen = nullptr;
  // SSL_set_session: the session a client offers to resume (a reference).
  SSL_SESSION* resume_session = nullptr;
  // SSL_get_session's object (a reference), made again when what it
  // describes changes (a handshake completed, a ticket arrived).
  SSL_SESSION* current_session = nullptr;
  uint64_t current_session_tickets = 0;
  int current_session_handshakes = -1;

  // Creates the Connection once the role is known.
  bool ensure_connection();
  // SSL_set_verify, or SSL_set_options/SSL_clear_options changing
  // SSL_OP_ALLOW_CLIENT_RENEGOTIATION, on a connection already made: its next
  // handshake step (and any renegotiation) follows the new settings, as in
  // OpenSSL, which reads them when it needs them. Applied where a call enters
  // the engine (ensure_connection, SSL_read, SSL_write), never from inside
  // it: a verify callback may call SSL_set_verify while the engine verifies
  // with the configuration it holds.
  bool settings_changed = false;
  void apply_changed_settings() {
    if (settings_changed) reapply_settings();  // on every SSL_read/SSL_write: a flag test only
  }
  void reapply_settings();
};

namespace rapidtls::ssl {

// SSL_set0/set1_chain_cert_store and the SSL_CTX forms: *slot takes parg
// (a new reference when up_ref, the caller's otherwise); 1.
int set_store(X509_STORE** slot, long up_ref, void* parg);
// The engine's view of the server session cache (session_cache.cc): the
// session_ctx of the SSL whose connection calls it (ssl_of(callbacks)).
std::shared_ptr<rapidtls::handshake::SessionCache12> server_session_cache();
// TLS 1.3 tickets naming a session in that cache (SSL_OP_NO_TICKET).
std::shared_ptr<rapidtls::handshake::TicketIssuer> stateful_ticket_issuer();
// Empties a context's internal session cache (SSL_CTX_free).
void flush_all_sessions(SSL_CTX* ctx);
// A server's SSL_SESSION for a session a full TLS 1.2 handshake made
// (session.cc).
SSL_SESSION* server_session(const SSL* s, const rapidtls::handshake::StoredTicket& state);

// Tickets sealed with the keys of the context's SSL_CTX_set_tlsext_ticket_key_evp_cb
// (tickets.cc).
std::shared_ptr<rapidtls::handshake::TicketSealer> make_callback_ticket_sealer();

// OpenSSL's cipher strings (TLS 1.2 suites; @SECLEVEL=n into
// *security_level when given) and TLS 1.3 suite lists (cipher_string.cc);
// false with an ERR entry when the string selects nothing.
bool parse_cipher_list(const char* str, std::vector<uint16_t>* out, int* security_level);
bool parse_ciphersuites(const char* str, std::vector<uint16_t>* out);
// SSL_CTX_use_certificate_file's and SSL_CTX_use_PrivateKey_file's reading
// (also for the SSL forms): null with OpenSSL's ERR entry.
X509* read_certificate_file(const char* file, int type, const SSL_CTX* ctx);
EVP_PKEY* read_private_key_file(const char* file, int type, const SSL_CTX* ctx);
// The ALPN wire format (RFC 7301 3.1: u8-prefixed names) into a list.
bool parse_alpn(const unsigned char* p, size_t len, std::vector<rapidtls::ByteVec>* out);
// The SSL's X509_VERIFY_PARAM when it carries settings beyond one host name
// or IP address (which reach the engine as the checked name); else null, so
// that the verified-chain cache is used.
const X509_VERIFY_PARAM* params_for_verify(const SSL* s);

// The SSL whose connection made these callbacks (an SSL is its connection's
// callbacks); null for a connection of the native interface, which the C
// interface's ticket issuers and session cache then decline.
inline SSL* ssl_of(rapidtls::handshake::ConnectionCallbacks& callbacks) {
  return dynamic_cast<SSL*>(&callbacks);
}

// The SSL_CIPHER of a suite id, or null for one rapidtls does not implement.
const SSL_CIPHER* cipher_by_id(uint16_t id);

// Puts an Error on libcrypto's ERR queue under ERR_LIB_SSL.
void raise(const Error& e, const char* func);
// With RAPIDTLS_DEBUG=ctrl in the environment, prints a control command that
// SSL_ctrl / SSL_CTX_ctrl / the callback forms do not handle (they fail with
// 0, as OpenSSL does for a command it does not know) to stderr.
void trace_unhandled_ctrl(const char* func, int cmd);
// Loads rapidtls's reason strings into the ERR tables (once).
void load_error_strings();

// Moves queued records to the write side (io::flush): done when everything
// left, else the stop, which `stopped` reports.
io::IoResult flush(SSL* s);
// The same, keeping the send buffer for more records of the same call (the
// write path's batches): give it back with release_send_buffer after them.
// Only the write path's application data leaves without a BIO_flush
// (flush_bio false), as in OpenSSL.
io::IoResult flush_keeping_buffer(SSL* s, bool flush_bio = true);
void release_send_buffer(SSL* s);
// Reads what the transport has, for a reader with `room` bytes of buffer (see
// Connection::receive_allowance), and feeds the engine (io::fill).
io::IoResult fill(SSL* s, size_t room = 0);
// The one place a transport's outcome becomes OpenSSL's vocabulary: the
// SSL_get_error state (last_io) and the error queue's entry, for a call named
// `func` that stops on `r`. WANT_READ/WANT_WRITE for a transport that has to
// wait; SSL_ERROR_SYSCALL with errno for a failed system or BIO call, nothing
// queued (as OpenSSL's socket BIO); an engine error as `fail`; EOF as
// SSL_R_UNEXPECTED_EOF_WHILE_READING. Returns -1 (1 for done).
int stopped(SSL* s, const io::IoResult& r, const char* func);
// Zero-copy reads for BIO pairs (io::read_app_direct): 0 for other
// transports or when the bytes cannot go that way now.
io::DirectRead read_direct(SSL* s, MutBytes out);
// The transport of an SSL, as io/ moves records over it.
io::Transport transport_of(const SSL* s);
// Runs the handshake until it is done or blocks: 1, or <= 0 as SSL_do_handshake.
int do_handshake(SSL* s);
// With SSL_OP_ENABLE_KTLS on a socket set with SSL_set_fd: once the handshake
// is done and nothing waits to be sent, gives the sending keys to the kernel,
// and the receiving keys once nothing received waits (each once per
// connection; silently nothing where the kernel refuses).
void start_kernel_tls(SSL* s);
// Reports an engine error: ERR queue entry, SSL_get_error state; returns -1.
int fail(SSL* s, const Error& e, const char* func);
// Calls the info callback with SSL_CB_HANDSHAKE_DONE for each handshake the
// engine completed since the last call, and the context's new-session
// callback for each ticket that arrived (report_tickets).
void report_handshakes(SSL* s);
// A client whose context caches client sessions (SSL_SESS_CACHE_CLIENT) with
// a new-session callback: a new SSL_SESSION per NewSessionTicket taken in.
void report_tickets(SSL* s);
// For a connection that already failed: -1, SSL_ERROR_SYSCALL, nothing queued.
int dead_end(SSL* s);

}  // namespace rapidtls::ssl
