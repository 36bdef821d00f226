// SSL_read_ex, SSL_read, SSL_peek_ex, SSL_peek, SSL_pending, SSL_has_pending.
#include <openssl/err.h>

#include "ssl/internal.h"

namespace {

using rapidtls::MutBytes;
using rapidtls::ssl::LastIo;
using rapidtls::ssl::Role;

int read_internal(SSL* s, uint8_t* buf, size_t num, size_t* readbytes, bool peek) {
  *readbytes = 0;
  s->last_io = LastIo::none;
  if (s->dead) return rapidtls::ssl::dead_end(s);
  if (s->role == Role::unset) {
    ERR_raise(ERR_LIB_SSL, SSL_R_UNINITIALIZED);
    s->last_io = LastIo::ssl;
    return -1;
  }
  // The first handshake completes before any read; a renegotiation runs
  // inside the read loop, with application data still arriving.
  if (!s->conn || !s->conn->session()) {
    const int r = rapidtls::ssl::do_handshake(s);
    if (r <= 0) return r;
  }
  s->apply_changed_settings();
  rapidtls::ssl::start_kernel_tls(s);
  rapidtls::conn::Connection& c = *s->conn;
  for (int guard = 0; guard < 1 << 20; ++guard) {
    if (c.app_readable()) {
      // Decrypted bytes, or whole records that may hold some: read_app opens
      // as many as the buffer takes. A record without application data (a
      // KeyUpdate, a ticket, an alert) gives 0 bytes: look again.
      const size_t n = peek ? c.peek_app(MutBytes(buf, num)) : c.read_app(MutBytes(buf, num));
      // Tickets opened on the way reach the new-session callback now.
      rapidtls::ssl::report_tickets(s);
      if (n > 0 || (num == 0 && c.app_pending() > 0)) {
        *readbytes = n;
        return 1;
      }
      continue;
    }
    if (c.error()) return rapidtls::ssl::fail(s, *c.error(), "SSL_read");
    if (c.peer_closed()) {
      s->shutdown_flags |= SSL_RECEIVED_SHUTDOWN;
      s->last_io = LastIo::zero_return;
      return 0;
    }
    // Answers to what arrived (a KeyUpdate's) go out when the transport
    // takes them. A full transport must not stop the read: the queued records
    // may be a pending SSL_write's, and the peer may be waiting for us to
    // read before it reads again (both sides writing at once).
    // (Nothing queued is the usual case: no error-queue mark for it.)
    if (c.wants_write()) {
      ERR_set_mark();
      if (const rapidtls::io::IoResult r = rapidtls::ssl::flush(s);
          r.status != rapidtls::io::IoStatus::done && !rapidtls::io::must_wait(r.status)) {
        ERR_clear_last_mark();
        return rapidtls::ssl::stopped(s, r, "SSL_read");
      }
      ERR_pop_to_mark();
    }
    if (!peek && num > 0) {
      // A BIO pair's records are opened straight from its buffer.
      const rapidtls::io::DirectRead d = rapidtls::ssl::read_direct(s, MutBytes(buf, num));
      if (d.app_bytes > 0) {
        *readbytes = d.app_bytes;
        return 1;
      }
      if (d.consumed > 0) continue;  // records without application data: look again
    }
    // Without read-ahead (the default, as in OpenSSL) a read takes the
    // record under way and the next record's header, nothing more: later
    // records stay in the kernel, so poll() still reports them, and in a
    // stream one system call brings one record (OpenSSL makes two). With
    // read-ahead it takes all the transport has, up to its buffer's limit
    // (SSL_has_pending then reports it). Measured on loopback TCP, a reader
    // that takes more per call sleeps more often and each of its wake-ups
    // costs the writer more than the system calls saved (docs/benchmarks.md).
    const rapidtls::io::IoResult r = rapidtls::ssl::fill(s, s->read_ahead ? SIZE_MAX : 0);
    if (r.status == rapidtls::io::IoStatus::eof) {
      if (s->options & SSL_OP_IGNORE_UNEXPECTED_EOF) {
        s->shutdown_flags |= SSL_RECEIVED_SHUTDOWN;
        s->last_io = LastIo::zero_return;
        return 0;
      }
      // OpenSSL 3.0: EOF without close_notify is an error, and SSL_read
      // returns 0 for it (SSL_ERROR_SSL tells it from a clean close).
      (void)rapidtls::ssl::stopped(s, r, "SSL_read");
      return 0;
    }
    if (r.status != rapidtls::io::IoStatus::done) return rapidtls::ssl::stopped(s, r, "SSL_read");
  }
  return rapidtls::ssl::fail(s, rapidtls::internal_error(), "SSL_read");
}

}  // namespace

extern "C" {

int SSL_read_ex(SSL* s, void* buf, size_t num, size_t* readbytes) {
  size_t n = 0;
  const int r = read_internal(s, static_cast<uint8_t*>(buf), num, &n, false);
  if (readbytes != nullptr) *readbytes = n;
  return r > 0 ? 1 : 0;
}

int SSL_read(SSL* s, void* buf, int num) {
  if (num < 0) {
    ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
    return -1;
  }
  size_t n = 0;
  const int r = read_internal(s, static_cast<uint8_t*>(buf), static_cast<size_t>(num), &n, false);
  return r > 0 ? static_cast<int>(n) : r;
}

int SSL_peek_ex(SSL* s, void* buf, size_t num, size_t* readbytes) {
  size_t n = 0;
  const int r = read_internal(s, static_cast<uint8_t*>(buf), num, &n, true);
  if (readbytes != nullptr) *readbytes = n;
  return r > 0 ? 1 : 0;
}

int SSL_peek(SSL* s, void* buf, int num) {
  if (num < 0) {
    ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
    return -1;
  }
  size_t n = 0;
  const int r = read_internal(s, static_cast<uint8_t*>(buf), static_cast<size_t>(num), &n, true);
  return r > 0 ? static_cast<int>(n) : r;
}

int SSL_get_read_ahead(const SSL* s) {
  return s->read_ahead ? 1 : 0;
}

void SSL_set_read_ahead(SSL* s, int yes) {
  s->read_ahead = yes != 0;
}

int SSL_pending(const SSL* s) {
  return s->conn ? static_cast<int>(std::min<size_t>(s->conn->app_pending(), INT32_MAX)) : 0;
}

int SSL_has_pending(const SSL* s) {
  if (!s->conn) return 0;
  const rapidtls::conn::Connection& c = *s->conn;
  if (c.app_readable()) return 1;
  // Without read-ahead a read also takes the next record's header (its body
  // is still in the kernel): that alone is not reported, as OpenSSL, which
  // reads headers separately, would have nothing buffered.
  const size_t lookahead = s->read_ahead ? 0 : rapidtls::record::kHeaderSize;
  return c.unprocessed() > lookahead ? 1 : 0;
}

}  // extern "C"
