// The SSL BIO (BIO_f_ssl(3)): a filter BIO whose reads and writes are
// SSL_read/SSL_write on an SSL, whose transport is the BIO pushed below it.
// The method is made with libcrypto's BIO_meth_* functions under
// BIO_TYPE_SSL, so BIO_find_type, BIO_push and BIO_free_all treat it as
// libssl's own.
#include <openssl/bio.h>
#include <openssl/err.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <ctime>
#include <mutex>
#include <vector>

#include "ssl/internal.h"

namespace {

// What an SSL BIO holds besides its SSL: the counters of
// BIO_set_ssl_renegotiate_bytes / _timeout.
struct SslBio {
  SSL* ssl = nullptr;
  long renegotiate_bytes = 0;  // 0: off; else at least 512
  unsigned long byte_count = 0;
  long renegotiate_timeout = 0;  // seconds; 0: off
  time_t last_time = 0;
  long num_renegotiates = 0;
};

SslBio* state(BIO* b) {
  return static_cast<SslBio*>(BIO_get_data(b));
}

// BIO_set_ssl_renegotiate_bytes / _timeout: after that much I/O (or time) the
// SSL BIO renegotiates. rapidtls renegotiates TLS 1.2 only; on TLS 1.3 (which
// has no renegotiation) the event is counted and nothing else happens.
void count_io(SslBio* st, size_t n) {
  bool due = false;
  if (st->renegotiate_bytes > 0) {
    st->byte_count += n;
    if (st->byte_count > static_cast<unsigned long>(st->renegotiate_bytes)) {
      st->byte_count = 0;
      due = true;
    }
  }
  if (!due && st->renegotiate_timeout > 0) {
    const time_t now = time(nullptr);
    if (now > st->last_time + st->renegotiate_timeout) {
      st->last_time = now;
      due = true;
    }
  }
  if (!due) return;
  ++st->num_renegotiates;
  if (SSL_version(st->ssl) == TLS1_2_VERSION && SSL_is_init_finished(st->ssl)) {
    (void)SSL_renegotiate(st->ssl);
  }
}

// Sets b's retry flags from the SSL's state after a call that returned r, so
// that BIO_should_retry / BIO_should_read / BIO_should_write /
// BIO_should_io_special tell a non-blocking caller what to wait for.
void set_retry(BIO* b, SSL* ssl, int r) {
  switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ:
      BIO_set_retry_read(b);
      break;
    case SSL_ERROR_WANT_WRITE:
      BIO_set_retry_write(b);
      break;
    case SSL_ERROR_WANT_X509_LOOKUP:
      BIO_set_retry_special(b);
      BIO_set_retry_reason(b, BIO_RR_SSL_X509_LOOKUP);
      break;
    case SSL_ERROR_WANT_ACCEPT:
      BIO_set_retry_special(b);
      BIO_set_retry_reason(b, BIO_RR_ACCEPT);
      break;
    case SSL_ERROR_WANT_CONNECT:
      BIO_set_retry_special(b);
      BIO_set_retry_reason(b, BIO_RR_CONNECT);
      break;
    default:  // NONE, ZERO_RETURN, SYSCALL, SSL: nothing to retry
      break;
  }
}

// The methods return as SSL_read / SSL_write do (-1 for a retry, 0 at the
// end), which BIO_read / BIO_write hand on, as libssl's SSL BIO does.
int ssl_bio_read(BIO* b, char* out, size_t len, size_t* readbytes) {
  SslBio* st = state(b);
  if (out == nullptr || st == nullptr || st->ssl == nullptr) return 0;
  BIO_clear_retry_flags(b);
  const int r = SSL_read(st->ssl, out, static_cast<int>(std::min<size_t>(len, INT_MAX)));
  if (r > 0) {
    *readbytes = static_cast<size_t>(r);
    count_io(st, *readbytes);
  } else {
    set_retry(b, st->ssl, r);
  }
  return r;
}

int ssl_bio_write(BIO* b, const char* in, size_t len, size_t* written) {
  SslBio* st = state(b);
  if (in == nullptr || st == nullptr || st->ssl == nullptr) return 0;
  BIO_clear_retry_flags(b);
  const int r = SSL_write(st->ssl, in, static_cast<int>(std::min<size_t>(len, INT_MAX)));
  if (r > 0) {
    *written = static_cast<size_t>(r);
    count_io(st, *written);
  } else {
    set_retry(b, st->ssl, r);
  }
  return r;
}

int ssl_bio_puts(BIO* b, const char* str) {
  return BIO_write(b, str, static_cast<int>(strlen(str)));
}

int ssl_bio_create(BIO* b) {
  auto* st = new (std::nothrow) SslBio();
  if (st == nullptr) {
    ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
    return 0;
  }
  BIO_set_data(b, st);
  BIO_set_init(b, 0);
  return 1;
}

// Lets go of the SSL: with BIO_CLOSE an established connection is shut down
// (close_notify sent) and the SSL freed.
void release_ssl(BIO* b, SslBio* st) {
  if (st->ssl != nullptr && BIO_get_shutdown(b)) {
    if (SSL_is_init_finished(st->ssl) && (SSL_get_shutdown(st->ssl) & SSL_SENT_SHUTDOWN) == 0) {
      (void)SSL_shutdown(st->ssl);
      ERR_clear_error();  // a transport already gone is no error of the free
    }
    SSL_free(st->ssl);
  }
  st->ssl = nullptr;
  BIO_clear_flags(b, ~0);
  BIO_set_init(b, 0);
}

int ssl_bio_destroy(BIO* b) {
  SslBio* st = state(b);
  if (st == nullptr) return 0;
  release_ssl(b, st);
  delete st;
  BIO_set_data(b, nullptr);
  return 1;
}

long unsupported(const char* what) {
  ERR_raise_data(ERR_LIB_SSL, ERR_R_UNSUPPORTED, "%s: not implemented by rapidtls", what);
  return 0;
}

long ssl_bio_ctrl(BIO* b, int cmd, long num, void* ptr) {
  SslBio* st = state(b);
  if (st == nullptr) return 0;
  SSL* ssl = st->ssl;
  // BIO_set_ssl and the close flag work before an SSL is attached; nothing else does.
  if (ssl == nullptr && cmd != BIO_C_SET_SSL && cmd != BIO_CTRL_GET_CLOSE &&
      cmd != BIO_CTRL_SET_CLOSE && cmd != BIO_C_GET_SSL) {
    return 0;
  }
  switch (cmd) {
    case BIO_C_SET_SSL: {
      release_ssl(b, st);
      SSL* s = static_cast<SSL*>(ptr);
      BIO_set_shutdown(b, static_cast<int>(num));
      st->ssl = s;
      st->byte_count = 0;
      st->last_time = time(nullptr);
      if (s == nullptr) return 1;
      // The SSL's own transport goes below the SSL BIO (ahead of anything
      // already there), with a reference of the chain's own.
      if (BIO* rb = SSL_get_rbio(s); rb != nullptr) {
        if (BIO* next = BIO_next(b); next != nullptr) BIO_push(rb, next);
        BIO_set_next(b, rb);
        BIO_up_ref(rb);
      }
      BIO_set_init(b, 1);
      return 1;
    }
    case BIO_C_GET_SSL:
      if (ptr != nullptr) *static_cast<SSL**>(ptr) = ssl;
      return ssl != nullptr ? 1 : 0;
    case BIO_CTRL_GET_CLOSE:
      return BIO_get_shutdown(b);
    case BIO_CTRL_SET_CLOSE:
      BIO_set_shutdown(b, static_cast<int>(num));
      return 1;
    case BIO_C_SSL_MODE:
      if (num != 0) {
        SSL_set_connect_state(ssl);
      } else {
        SSL_set_accept_state(ssl);
      }
      return 1;
    case BIO_C_SET_SSL_RENEGOTIATE_BYTES: {
      const long old = st->renegotiate_bytes;
      if (num >= 512) st->renegotiate_bytes = num;
      return old;
    }
    case BIO_C_SET_SSL_RENEGOTIATE_TIMEOUT: {
      const long old = st->renegotiate_timeout;
      st->renegotiate_timeout = num < 0 ? 0 : num;
      st->last_time = time(nullptr);
      return old;
    }
    case BIO_C_GET_SSL_NUM_RENEGOTIATES:
      return st->num_renegotiates;
    case BIO_C_DO_STATE_MACHINE: {
      BIO_clear_retry_flags(b);
      const int r = SSL_do_handshake(ssl);
      if (r <= 0) {
        set_retry(b, ssl, r);
        // A connect BIO below that is still connecting: its reason goes up.
        if (SSL_get_error(ssl, r) == SSL_ERROR_WANT_CONNECT) {
          BIO_set_retry_reason(b, BIO_get_retry_reason(BIO_next(b)));
        }
      }
      return r;
    }
    case BIO_CTRL_RESET:
      // OpenSSL shuts the connection down and returns the SSL to its initial
      // state with SSL_clear(3), which rapidtls does not have: nothing is
      // touched, and the reset fails.
      return unsupported("BIO_reset on an SSL BIO (SSL_clear)");
    case BIO_CTRL_DUP:
      // BIO_dup_chain: OpenSSL copies the SSL with SSL_dup(3), which rapidtls
      // does not have.
      return unsupported("BIO_dup_chain over an SSL BIO (SSL_dup)");
    case BIO_CTRL_PUSH:
      // A BIO pushed below becomes the SSL's transport (both directions),
      // holding a reference of the SSL's; popping the SSL BIO gives it back.
      if (BIO* next = BIO_next(b); next != nullptr && next != SSL_get_rbio(ssl)) {
        BIO_up_ref(next);
        SSL_set_bio(ssl, next, next);
      }
      return 1;
    case BIO_CTRL_POP:
      if (b == ptr) SSL_set_bio(ssl, nullptr, nullptr);
      return 1;
    case BIO_CTRL_PENDING: {
      const int n = SSL_pending(ssl);
      return n > 0 ? n : BIO_pending(SSL_get_rbio(ssl));
    }
    case BIO_CTRL_WPENDING:
      return BIO_ctrl(SSL_get_wbio(ssl), cmd, num, ptr);
    case BIO_CTRL_FLUSH: {
      BIO_clear_retry_flags(b);
      BIO* wb = SSL_get_wbio(ssl);
      if (wb == nullptr) return 0;
      const long r = BIO_ctrl(wb, cmd, num, ptr);
      BIO_set_flags(b, BIO_get_flags(wb) & (BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY));
      BIO_set_retry_reason(b, BIO_get_retry_reason(wb));
      return r;
    }
    case BIO_CTRL_SET_CALLBACK:
      return 0;  // through BIO_callback_ctrl
    case BIO_CTRL_GET_CALLBACK:
      if (ptr != nullptr) {
        *static_cast<void (**)(const SSL*, int, int)>(ptr) = ssl->info_callback;
      }
      return 1;
    default:
      // Anything else is the transport's business (BIO_get_fd, BIO_eof, ...).
      return BIO_ctrl(SSL_get_rbio(ssl), cmd, num, ptr);
  }
}

long ssl_bio_callback_ctrl(BIO* b, int cmd, BIO_info_cb* fp) {
  SslBio* st = state(b);
  if (st == nullptr || st->ssl == nullptr) return 0;
  if (cmd == BIO_CTRL_SET_CALLBACK) {
    // As OpenSSL: the function is the SSL's info callback.
    // The application cast its info callback to BIO_info_cb; it is called as what it is.
    SSL_set_info_callback(st->ssl, reinterpret_cast<void (*)(const SSL*, int, int)>(
                                       reinterpret_cast<void (*)(void)>(fp)));
    return 1;
  }
  return BIO_callback_ctrl(SSL_get_rbio(st->ssl), cmd, fp);
}

BIO_METHOD* make_method() {
  BIO_METHOD* m = BIO_meth_new(BIO_TYPE_SSL, "ssl");
  if (m == nullptr) return nullptr;
  if (!BIO_meth_set_write_ex(m, ssl_bio_write) || !BIO_meth_set_read_ex(m, ssl_bio_read) ||
      !BIO_meth_set_puts(m, ssl_bio_puts) || !BIO_meth_set_ctrl(m, ssl_bio_ctrl) ||
      !BIO_meth_set_create(m, ssl_bio_create) || !BIO_meth_set_destroy(m, ssl_bio_destroy) ||
      !BIO_meth_set_callback_ctrl(m, ssl_bio_callback_ctrl)) {
    BIO_meth_free(m);
    return nullptr;
  }
  return m;
}

// The SSL of the first SSL BIO in a chain, or null.
SSL* ssl_in_chain(BIO* chain) {
  BIO* b = BIO_find_type(chain, BIO_TYPE_SSL);
  if (b == nullptr || state(b) == nullptr) return nullptr;
  return state(b)->ssl;
}

}  // namespace

extern "C" {

const BIO_METHOD* BIO_f_ssl(void) {
  // Made once and kept for the life of the process, as libssl's static one.
  static BIO_METHOD* const method = make_method();
  return method;
}

BIO* BIO_new_ssl(SSL_CTX* ctx, int client) {
  const BIO_METHOD* m = BIO_f_ssl();
  if (m == nullptr) return nullptr;
  BIO* b = BIO_new(m);
  if (b == nullptr) return nullptr;
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) {
    BIO_free(b);
    return nullptr;
  }
  if (client) {
    SSL_set_connect_state(ssl);
  } else {
    SSL_set_accept_state(ssl);
  }
  BIO_set_ssl(b, ssl, BIO_CLOSE);
  return b;
}

BIO* BIO_new_ssl_connect(SSL_CTX* ctx) {
  BIO* con = BIO_new(BIO_s_connect());
  if (con == nullptr) return nullptr;
  BIO* ssl = BIO_new_ssl(ctx, 1);
  if (ssl == nullptr) {
    BIO_free(con);
    return nullptr;
  }
  return BIO_push(ssl, con);
}

BIO* BIO_new_buffer_ssl_connect(SSL_CTX* ctx) {
  BIO* buf = BIO_new(BIO_f_buffer());
  if (buf == nullptr) return nullptr;
  BIO* ssl = BIO_new_ssl_connect(ctx);
  if (ssl == nullptr) {
    BIO_free(buf);
    return nullptr;
  }
  return BIO_push(buf, ssl);
}

// OpenSSL calls SSL_copy_session_id(3); rapidtls copies what resumption
// needs, the session (none when `from` has none yet, as OpenSSL) and the
// session id context (the two SSLs' contexts provide the rest).
int BIO_ssl_copy_session_id(BIO* to, BIO* from) {
  SSL* t = ssl_in_chain(to);
  SSL* f = ssl_in_chain(from);
  if (t == nullptr || f == nullptr) return 0;
  if (SSL_set_session(t, SSL_get_session(f)) != 1) return 0;
  const std::vector<uint8_t>& from_ctx = f->own_sid_ctx ? f->sid_ctx : f->ctx->sid_ctx;
  const std::vector<uint8_t>& to_ctx = t->own_sid_ctx ? t->sid_ctx : t->ctx->sid_ctx;
  if (from_ctx == to_ctx) return 1;
  return SSL_set_session_id_context(t, from_ctx.data(), static_cast<unsigned>(from_ctx.size()));
}

void BIO_ssl_shutdown(BIO* b) {
  for (; b != nullptr; b = BIO_next(b)) {
    if (BIO_method_type(b) != BIO_TYPE_SSL || state(b) == nullptr) continue;
    if (state(b)->ssl != nullptr) (void)SSL_shutdown(state(b)->ssl);
  }
}

}  // extern "C"
