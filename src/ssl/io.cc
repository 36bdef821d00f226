// The C interface's side of moving records: io/ moves them; here a stop
// becomes SSL_get_error's WANT_READ / WANT_WRITE and the ERR queue's entry.
#include <openssl/err.h>
#include <cerrno>
#include <cstring>

#include "io/transport.h"
#include "ssl/internal.h"

namespace rapidtls::ssl {

// Send buffers up to this size are kept for the next write (a full record
// takes 32 KiB); larger ones, such as a batch of three full records' 64 KiB,
// are given back once their records have left, so an idle connection does
// not keep what its last bulk write needed. Sealing a batch asks for its
// whole size at once (Connection::send_app): one allocation, no copying.
constexpr size_t kKeepSendBuffer = 32 * 1024;

io::Transport transport_of(const SSL* s) {
  return io::Transport{s->rbio, s->wbio, s->fd, &s->read_spin, &s->ktls_budget};
}

int stopped(SSL* s, const io::IoResult& r, const char* func) {
  switch (r.status) {
    case io::IoStatus::done:
      return 1;
    case io::IoStatus::want_read:
      s->last_io = LastIo::want_read;
      return -1;
    case io::IoStatus::want_write:
      s->last_io = LastIo::want_write;
      return -1;
    case io::IoStatus::eof:
      ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_EOF_WHILE_READING);
      s->last_io = LastIo::ssl;
      return -1;
    case io::IoStatus::no_bio:
      ERR_raise(ERR_LIB_SSL, SSL_R_BIO_NOT_SET);
      s->last_io = LastIo::ssl;
      return -1;
    case io::IoStatus::failed:
      break;
  }
  if (r.kernel_refused_keys && r.error) {
    // The connection ends here, with nothing more sent (no alert either: it
    // would have to leave under keys the kernel no longer has).
    ERR_raise_data(ERR_LIB_SSL, r.error->reason,
                   "kernel TLS refused the new sending keys (setsockopt TLS_TX: %s)",
                   std::strerror(r.errno_value));
    s->last_io = LastIo::ssl;
    s->dead = true;
    return -1;
  }
  if (r.error) return fail(s, *r.error, func);
  // As OpenSSL's socket BIO: errno says why (ECONNRESET, EPIPE, ...), nothing
  // goes on the error queue (SSL_get_error(3): SSL_ERROR_SYSCALL).
  if (r.errno_value != 0) errno = r.errno_value;
  s->last_io = LastIo::syscall;
  return -1;
}

void release_send_buffer(SSL* s) {
  // A big write's buffer goes with it; with SSL_MODE_RELEASE_BUFFERS any.
  s->conn->release_send_buffer((s->mode & SSL_MODE_RELEASE_BUFFERS) != 0 ? 0 : kKeepSendBuffer);
}

io::IoResult flush_keeping_buffer(SSL* s, bool flush_bio) {
  return io::flush(*s->conn, transport_of(s), flush_bio);
}

io::IoResult flush(SSL* s) {
  const io::IoResult r = flush_keeping_buffer(s);
  if (r.status == io::IoStatus::done) release_send_buffer(s);
  return r;
}

io::IoResult fill(SSL* s, size_t room) {
  const io::IoResult r = io::fill(*s->conn, transport_of(s), room);
  report_handshakes(s);
  // Nothing arrived and nothing is buffered: the connection is quiet, and its
  // receive buffer (32 KiB at most) goes back to the allocator until the next
  // record; with SSL_MODE_RELEASE_BUFFERS the send buffer goes too.
  if (r.status == io::IoStatus::want_read && s->conn->unprocessed() == 0 &&
      s->conn->app_pending() == 0) {
    s->conn->release_receive_buffer();
    if ((s->mode & SSL_MODE_RELEASE_BUFFERS) != 0) s->conn->release_send_buffer();
  }
  return r;
}

io::DirectRead read_direct(SSL* s, MutBytes out) {
  const io::DirectRead r = io::read_app_direct(*s->conn, transport_of(s), out);
  if (r.consumed > 0) report_handshakes(s);
  return r;
}

void report_handshakes(SSL* s) {
  if (!s->conn) return;
  while (s->handshakes_reported < s->conn->handshakes_completed()) {
    ++s->handshakes_reported;
    if (s->info_callback != nullptr) s->info_callback(s, SSL_CB_HANDSHAKE_DONE, 1);
  }
  report_tickets(s);
}

int dead_end(SSL* s) {
  s->last_io = LastIo::syscall;
  return -1;
}

int fail(SSL* s, const Error& e, const char* func) {
  raise(e, func);
  s->last_io = LastIo::ssl;
  s->dead = true;
  // Best effort: let the alert the engine queued reach the peer.
  if (s->conn && s->conn->wants_write()) {
    ERR_set_mark();
    (void)flush(s);
    ERR_pop_to_mark();
  }
  return -1;
}

int do_handshake(SSL* s) {
  if (!s->ensure_connection()) {
    ERR_raise(ERR_LIB_SSL, SSL_R_CONNECTION_TYPE_NOT_SET);
    s->last_io = LastIo::ssl;
    return -1;
  }
  conn::Connection& c = *s->conn;
  if (c.error()) return fail(s, *c.error(), "SSL_do_handshake");
  if (Status st = c.start(); !st.ok()) return fail(s, st.error(), "SSL_do_handshake");
  for (int guard = 0; guard < 1 << 20; ++guard) {
    if (const io::IoResult r = flush(s); r.status != io::IoStatus::done) {
      return stopped(s, r, "SSL_do_handshake");
    }
    if (c.handshake_done()) {
      if (c.unprocessed() == 0 && c.app_pending() == 0) c.release_buffers();
      start_kernel_tls(s);
      return 1;
    }
    if (c.renegotiating() && c.app_readable()) {
      // TLS 1.2: application data arrived ahead of the peer's handshake
      // messages. It is the reader's: SSL_read takes it (and carries the
      // renegotiation on); a handshake call cannot get past it.
      s->last_io = LastIo::want_read;
      return -1;
    }
    // With read-ahead (SSL_set_read_ahead), as in OpenSSL, the handshake too
    // takes all the transport has: a server's last handshake read brings the
    // client's first request along (one recv instead of a header and a body
    // per record); without it, record by record.
    if (const io::IoResult r = fill(s, s->read_ahead ? SIZE_MAX : 0);
        r.status != io::IoStatus::done) {
      return stopped(s, r, "SSL_do_handshake");
    }
  }
  return fail(s, internal_error(), "SSL_do_handshake");
}

}  // namespace rapidtls::ssl
