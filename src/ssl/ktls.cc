// Kernel TLS for the C interface (io/ktls.h, docs/ktls.md): with
// SSL_OP_ENABLE_KTLS, a connection on a socket set with SSL_set_fd hands its
// sending side to the kernel once the handshake is done and nothing waits to
// be sent, and its receiving side once nothing received waits (TLS 1.3 only
// where the kernel can change receiving keys: io::kernel_can_rekey_receive).
// BIO_get_ktls_send / _recv on its BIOs then say 1: libcrypto's socket BIO
// cannot know, so the socket BIO gets a filter in front of it that answers
// from the connection and passes everything else through.
#include <openssl/bio.h>
#include <openssl/err.h>

#include "io/ktls.h"
#include "ssl/internal.h"

namespace rapidtls::ssl {
namespace {

long ktls_filter_ctrl(BIO* b, int cmd, long num, void* ptr) {
  const SSL* s = static_cast<const SSL*>(BIO_get_data(b));
  switch (cmd) {
    case BIO_CTRL_GET_KTLS_SEND:
      return s != nullptr && s->conn != nullptr && s->conn->write_handed_off() ? 1 : 0;
    case BIO_CTRL_GET_KTLS_RECV:
      return s != nullptr && s->conn != nullptr && s->conn->read_handed_off() ? 1 : 0;
    default:
      break;
  }
  BIO* next = BIO_next(b);
  return next != nullptr ? BIO_ctrl(next, cmd, num, ptr) : 0;
}

int ktls_filter_write(BIO* b, const char* data, int len) {
  BIO* next = BIO_next(b);
  if (next == nullptr) return 0;
  BIO_clear_retry_flags(b);
  const int r = BIO_write(next, data, len);
  BIO_copy_next_retry(b);
  return r;
}

int ktls_filter_read(BIO* b, char* data, int len) {
  BIO* next = BIO_next(b);
  if (next == nullptr) return 0;
  BIO_clear_retry_flags(b);
  const int r = BIO_read(next, data, len);
  BIO_copy_next_retry(b);
  return r;
}

int ktls_filter_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

const BIO_METHOD* ktls_filter_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_FILTER, "rapidtls kernel TLS");
    if (m == nullptr) return m;
    BIO_meth_set_write(m, ktls_filter_write);
    BIO_meth_set_read(m, ktls_filter_read);
    BIO_meth_set_ctrl(m, ktls_filter_ctrl);
    BIO_meth_set_create(m, ktls_filter_create);
    return m;
  }();
  return method;
}

}  // namespace

void start_kernel_tls(SSL* s) {
  if ((s->options & SSL_OP_ENABLE_KTLS) == 0 || s->fd < 0 || !s->conn) return;
  if (s->ktls_tried && s->ktls_rx_tried) return;
  conn::Connection& c = *s->conn;
  if (!c.handshake_done() || c.renegotiating() || c.error()) return;
  // The kernel refusing (no kernel TLS: ENOENT; a suite it lacks) is no
  // error: records are sealed and opened here, as without the option.
  // Sending: between writes, with everything sealed so far already sent.
  if (!s->ktls_tried && !c.wants_write() && !s->pending_write.active) {
    s->ktls_tried = true;
    s->ktls_send_errno = io::start_kernel_send(c, s->fd, &s->ktls_budget);
  }
  // Receiving: with nothing received waiting to be processed or read.
  if (!s->ktls_rx_tried && c.idle_in()) {
    s->ktls_rx_tried = true;
    s->ktls_recv_errno = io::start_kernel_receive(c, s->fd);
  }
  if (s->ktls_filter || !(c.write_handed_off() || c.read_handed_off()) || s->wbio == nullptr) {
    return;
  }
  BIO* filter = BIO_new(ktls_filter_method());
  if (filter == nullptr) return;
  BIO_set_data(filter, s);
  const bool shared = s->rbio == s->wbio;
  s->wbio = BIO_push(filter, s->wbio);
  if (shared) s->rbio = s->wbio;
  s->ktls_filter = true;
}

}  // namespace rapidtls::ssl
