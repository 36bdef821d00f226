// 0-RTT early data (RFC 8446 4.2.10) through the C interface: a server's
// settings are taken and reported as OpenSSL reports them
// (SSL_CTX_set_max_early_data(3)), and it rejects every offer, which the
// protocol allows: the client sends its data again after the handshake.
// SSL_read_early_data runs the handshake and reports that no early data
// came (SSL_READ_EARLY_DATA_FINISH), so a server written for early data
// (nginx's ssl_early_data on) goes on as with a client that sent none.
// Clients send none (SSL_write_early_data fails: unsupported.cc).
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ssl/internal.h"

extern "C" {

int SSL_CTX_set_max_early_data(SSL_CTX* ctx, uint32_t max_early_data) {
  ctx->max_early_data = max_early_data;
  return 1;
}
uint32_t SSL_CTX_get_max_early_data(const SSL_CTX* ctx) {
  return ctx->max_early_data;
}
int SSL_set_max_early_data(SSL* s, uint32_t max_early_data) {
  s->max_early_data = max_early_data;
  return 1;
}
uint32_t SSL_get_max_early_data(const SSL* s) {
  return s->max_early_data;
}
int SSL_CTX_set_recv_max_early_data(SSL_CTX* ctx, uint32_t recv_max_early_data) {
  ctx->recv_max_early_data = recv_max_early_data;
  return 1;
}
uint32_t SSL_CTX_get_recv_max_early_data(const SSL_CTX* ctx) {
  return ctx->recv_max_early_data;
}
int SSL_set_recv_max_early_data(SSL* s, uint32_t recv_max_early_data) {
  s->recv_max_early_data = recv_max_early_data;
  return 1;
}
uint32_t SSL_get_recv_max_early_data(const SSL* s) {
  return s->recv_max_early_data;
}

// SSL_read_early_data(3) on a server: the handshake goes on (WANT_READ and
// the like through SSL_get_error, as SSL_do_handshake); once it is done,
// SSL_READ_EARLY_DATA_FINISH with nothing read.
int SSL_read_early_data(SSL* s, void*, size_t, size_t* readbytes) {
  if (readbytes != nullptr) *readbytes = 0;
  if (s->role == rapidtls::ssl::Role::client) {
    ERR_raise(ERR_LIB_SSL, ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED);
    return SSL_READ_EARLY_DATA_ERROR;
  }
  if (s->role == rapidtls::ssl::Role::unset) SSL_set_accept_state(s);
  if (SSL_do_handshake(s) != 1) return SSL_READ_EARLY_DATA_ERROR;
  return SSL_READ_EARLY_DATA_FINISH;
}

int SSL_get_early_data_status(const SSL* s) {
  const bool rejected = s->conn != nullptr && s->conn->session() != nullptr &&
                        s->conn->session()->early_data_rejected;
  return rejected ? SSL_EARLY_DATA_REJECTED : SSL_EARLY_DATA_NOT_SENT;
}

}  // extern "C"
