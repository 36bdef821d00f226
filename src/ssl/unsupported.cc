// What OpenSSL's libssl has and rapidtls does not: DTLS, TLS 1.0 and 1.1,
// SRP, compression, engines, asynchronous jobs, 0-RTT early data, NPN, TLS 1.2
// PSK suites. Programs that import these still load; each
// fails as OpenSSL documents for a build without the feature (a null method,
// 0 with an ERR entry, an empty list), never a silent success. Functions a
// program calls only to configure something (a callback that would never
// run, a zero limit) succeed when what they ask for is what already holds.
// docs/compatibility.md lists them all.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ssl/internal.h"

namespace {

// ERR_LIB_SSL / ERR_R_UNSUPPORTED, naming the feature and the function.
void unsupported(const char* func, const char* what) {
  rapidtls::ssl::load_error_strings();
  ERR_new();
  ERR_set_debug("rapidtls", 0, func);
  ERR_set_error(ERR_LIB_SSL, ERR_R_UNSUPPORTED, "rapidtls does not support %s", what);
}

}  // namespace

extern "C" {

// ---- methods: DTLS, and the fixed-version methods of TLS 1.0 and 1.1 --------------------
// A null method: SSL_CTX_new fails with "null ssl method passed".

const SSL_METHOD* DTLS_method(void) {
  return nullptr;
}
const SSL_METHOD* DTLS_client_method(void) {
  return nullptr;
}
const SSL_METHOD* DTLS_server_method(void) {
  return nullptr;
}
const SSL_METHOD* DTLSv1_method(void) {
  return nullptr;
}
const SSL_METHOD* DTLSv1_client_method(void) {
  return nullptr;
}
const SSL_METHOD* DTLSv1_server_method(void) {
  return nullptr;
}
const SSL_METHOD* DTLSv1_2_method(void) {
  return nullptr;
}
const SSL_METHOD* DTLSv1_2_client_method(void) {
  return nullptr;
}
const SSL_METHOD* DTLSv1_2_server_method(void) {
  return nullptr;
}
const SSL_METHOD* TLSv1_method(void) {
  return nullptr;
}
const SSL_METHOD* TLSv1_client_method(void) {
  return nullptr;
}
const SSL_METHOD* TLSv1_server_method(void) {
  return nullptr;
}
const SSL_METHOD* TLSv1_1_method(void) {
  return nullptr;
}
const SSL_METHOD* TLSv1_1_client_method(void) {
  return nullptr;
}
const SSL_METHOD* TLSv1_1_server_method(void) {
  return nullptr;
}

int DTLSv1_listen(SSL*, BIO_ADDR*) {
  unsupported("DTLSv1_listen", "DTLS");
  return -1;
}
size_t DTLS_get_data_mtu(const SSL*) {
  return 0;  // OpenSSL: 0 for a connection that is not DTLS
}

// ---- SRP (RFC 5054) --------------------------------------------------------------------------

int SSL_CTX_set_srp_username(SSL_CTX*, char*) {
  unsupported("SSL_CTX_set_srp_username", "SRP");
  return 0;
}
int SSL_CTX_set_srp_password(SSL_CTX*, char*) {
  unsupported("SSL_CTX_set_srp_password", "SRP");
  return 0;
}
int SSL_CTX_set_srp_strength(SSL_CTX*, int) {
  unsupported("SSL_CTX_set_srp_strength", "SRP");
  return 0;
}
int SSL_CTX_set_srp_cb_arg(SSL_CTX*, void*) {
  unsupported("SSL_CTX_set_srp_cb_arg", "SRP");
  return 0;
}
int SSL_CTX_set_srp_username_callback(SSL_CTX*, int (*)(SSL*, int*, void*)) {
  unsupported("SSL_CTX_set_srp_username_callback", "SRP");
  return 0;
}
int SSL_CTX_set_srp_client_pwd_callback(SSL_CTX*, char* (*)(SSL*, void*)) {
  unsupported("SSL_CTX_set_srp_client_pwd_callback", "SRP");
  return 0;
}
int SSL_CTX_set_srp_verify_param_callback(SSL_CTX*, int (*)(SSL*, void*)) {
  unsupported("SSL_CTX_set_srp_verify_param_callback", "SRP");
  return 0;
}
int SSL_set_srp_server_param(SSL*, const BIGNUM*, const BIGNUM*, BIGNUM*, BIGNUM*, char*) {
  unsupported("SSL_set_srp_server_param", "SRP");
  return -1;  // OpenSSL: -1 on error
}
int SSL_set_srp_server_param_pw(SSL*, const char*, const char*, const char*) {
  unsupported("SSL_set_srp_server_param_pw", "SRP");
  return -1;
}
char* SSL_get_srp_username(SSL*) {
  return nullptr;  // no SRP connection: no user name
}
char* SSL_get_srp_userinfo(SSL*) {
  return nullptr;
}
BIGNUM* SSL_get_srp_g(SSL*) {
  return nullptr;
}
BIGNUM* SSL_get_srp_N(SSL*) {
  return nullptr;
}
int SSL_CTX_SRP_CTX_init(SSL_CTX*) {
  unsupported("SSL_CTX_SRP_CTX_init", "SRP");
  return 0;
}
int SSL_CTX_SRP_CTX_free(SSL_CTX*) {
  return 1;  // nothing to free
}
int SSL_SRP_CTX_init(SSL*) {
  unsupported("SSL_SRP_CTX_init", "SRP");
  return 0;
}
int SSL_SRP_CTX_free(SSL*) {
  return 1;
}
int SRP_Calc_A_param(SSL*) {
  unsupported("SRP_Calc_A_param", "SRP");
  return 0;
}

// ---- compression (none: RFC 8446 removed it, and rapidtls offers only null in 1.2) ---------

STACK_OF(SSL_COMP) * SSL_COMP_get_compression_methods(void) {
  // An empty list: no compression method is available.
  static STACK_OF(SSL_COMP)* const kNone = sk_SSL_COMP_new_null();
  return kNone;
}
STACK_OF(SSL_COMP) * SSL_COMP_set0_compression_methods(STACK_OF(SSL_COMP) * meths) {
  (void)meths;  // never used: nothing is ever compressed
  return nullptr;
}
int SSL_COMP_add_compression_method(int, COMP_METHOD*) {
  unsupported("SSL_COMP_add_compression_method", "compression");
  return 1;  // OpenSSL: 1 on failure
}
const char* SSL_COMP_get_name(const COMP_METHOD*) {
  return nullptr;
}
const char* SSL_COMP_get0_name(const SSL_COMP*) {
  return nullptr;
}
int SSL_COMP_get_id(const SSL_COMP*) {
  return -1;
}
unsigned int SSL_SESSION_get_compress_id(const SSL_SESSION*) {
  return 0;  // the null method
}

// ---- engines -----------------------------------------------------------------------------------

int SSL_CTX_set_client_cert_engine(SSL_CTX*, ENGINE*) {
  unsupported("SSL_CTX_set_client_cert_engine", "engines");
  return 0;
}

// ---- asynchronous jobs (SSL_MODE_ASYNC) ------------------------------------------------------

int SSL_waiting_for_async(SSL*) {
  return 0;  // never: no asynchronous job runs
}
int SSL_get_all_async_fds(SSL*, OSSL_ASYNC_FD*, size_t* numfds) {
  if (numfds != nullptr) *numfds = 0;
  return 1;
}
int SSL_get_changed_async_fds(SSL*, OSSL_ASYNC_FD*, size_t* numaddfds, OSSL_ASYNC_FD*,
                              size_t* numdelfds) {
  if (numaddfds != nullptr) *numaddfds = 0;
  if (numdelfds != nullptr) *numdelfds = 0;
  return 1;
}
int SSL_CTX_set_async_callback(SSL_CTX*, SSL_async_callback_fn) {
  unsupported("SSL_CTX_set_async_callback", "asynchronous jobs");
  return 0;
}
int SSL_CTX_set_async_callback_arg(SSL_CTX*, void*) {
  unsupported("SSL_CTX_set_async_callback_arg", "asynchronous jobs");
  return 0;
}
int SSL_set_async_callback(SSL*, SSL_async_callback_fn) {
  unsupported("SSL_set_async_callback", "asynchronous jobs");
  return 0;
}
int SSL_set_async_callback_arg(SSL*, void*) {
  unsupported("SSL_set_async_callback_arg", "asynchronous jobs");
  return 0;
}
int SSL_get_async_status(SSL*, int*) {
  unsupported("SSL_get_async_status", "asynchronous jobs");
  return 0;
}

// ---- 0-RTT early data (RFC 8446 4.2.10) ------------------------------------------------------
// A client never sends early data (a session's limit stays 0); a server's
// settings are taken and it rejects every offer (early_data.cc).

uint32_t SSL_SESSION_get_max_early_data(const SSL_SESSION*) {
  return 0;
}
int SSL_SESSION_set_max_early_data(SSL_SESSION*, uint32_t max_early_data) {
  if (max_early_data == 0) return 1;
  unsupported("SSL_SESSION_set_max_early_data", "early data");
  return 0;
}
int SSL_write_early_data(SSL*, const void*, size_t, size_t* written) {
  if (written != nullptr) *written = 0;
  unsupported("SSL_write_early_data", "early data");
  return 0;
}
void SSL_CTX_set_allow_early_data_cb(SSL_CTX*, SSL_allow_early_data_cb_fn, void*) {
  // Never called: no early data is ever offered to it.
}
void SSL_set_allow_early_data_cb(SSL*, SSL_allow_early_data_cb_fn, void*) {}

// ---- custom extensions (SSL_CTX_add_custom_ext(3)) -------------------------------------
// rapidtls sends and takes only the extensions it implements.

int SSL_CTX_add_server_custom_ext(SSL_CTX*, unsigned int, custom_ext_add_cb, custom_ext_free_cb,
                                  void*, custom_ext_parse_cb, void*) {
  unsupported("SSL_CTX_add_server_custom_ext", "custom extensions");
  return 0;
}
int SSL_CTX_add_client_custom_ext(SSL_CTX*, unsigned int, custom_ext_add_cb, custom_ext_free_cb,
                                  void*, custom_ext_parse_cb, void*) {
  unsupported("SSL_CTX_add_client_custom_ext", "custom extensions");
  return 0;
}
int SSL_CTX_add_custom_ext(SSL_CTX*, unsigned int, unsigned int, SSL_custom_ext_add_cb_ex,
                           SSL_custom_ext_free_cb_ex, void*, SSL_custom_ext_parse_cb_ex, void*) {
  unsupported("SSL_CTX_add_custom_ext", "custom extensions");
  return 0;
}

// ---- application data in tickets (SSL_CTX_set_session_ticket_cb(3)) ---------------------
// Not yet: rapidtls's tickets carry only the resumption state.

int SSL_CTX_set_session_ticket_cb(SSL_CTX*, SSL_CTX_generate_session_ticket_fn,
                                  SSL_CTX_decrypt_session_ticket_fn, void*) {
  unsupported("SSL_CTX_set_session_ticket_cb", "application data in tickets");
  return 0;
}
int SSL_SESSION_set1_ticket_appdata(SSL_SESSION*, const void*, size_t) {
  unsupported("SSL_SESSION_set1_ticket_appdata", "application data in tickets");
  return 0;
}
int SSL_SESSION_get0_ticket_appdata(SSL_SESSION*, void** data, size_t* len) {
  if (data != nullptr) *data = nullptr;
  if (len != nullptr) *len = 0;
  return 1;  // none: nothing was ever stored (OpenSSL's answer for a session without any)
}

// ---- TLS 1.2 PSK suites (RFC 4279) -------------------------------------------------------
// No PSK suite is ever offered or accepted, so the callbacks are never called.

void SSL_CTX_set_psk_client_callback(SSL_CTX*, SSL_psk_client_cb_func) {}
void SSL_CTX_set_psk_server_callback(SSL_CTX*, SSL_psk_server_cb_func) {}
void SSL_set_psk_client_callback(SSL*, SSL_psk_client_cb_func) {}
void SSL_set_psk_server_callback(SSL*, SSL_psk_server_cb_func) {}

// ---- NPN (superseded by ALPN, RFC 7301) ------------------------------------------------------
// The callbacks are never called: rapidtls neither sends nor answers NPN.

void SSL_CTX_set_next_protos_advertised_cb(SSL_CTX*, SSL_CTX_npn_advertised_cb_func, void*) {}
void SSL_CTX_set_next_proto_select_cb(SSL_CTX*, SSL_CTX_npn_select_cb_func, void*) {}
void SSL_get0_next_proto_negotiated(const SSL*, const unsigned char** data, unsigned* len) {
  *data = nullptr;
  *len = 0;
}

}  // extern "C"
