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

namespace {

io::Transport transport_of(const SSL* s) {
  return io::Transport{s->rbio, s->wbio, s->fd, &s->read_spin, &s->ktls_budget};
}

// Maps a transport stop to SSL_get_error's state and the ERR queue.
void note_stop(SSL* s, const io::IoResult& r) {
  switch (r.status) {
    case io::IoStatus::want_read:
      s->last_io = LastIo::want_read;
      break;
    case io::IoStatus::want_write:
      s->last_io = LastIo::want_write;
      break;
    case io::IoStatus::no_bio:
      ERR_raise(ERR_LIB_SSL, SSL_R_BIO_NOT_SET);
      s->last_io = LastIo::ssl;
      break;
    case io::IoStatus::failed:
      // As OpenSSL's socket BIO: errno says why (ECONNRESET, EPIPE, ...),
      // nothing goes on the error queue (SSL_get_error(3): SSL_ERROR_SYSCALL).
      if (r.errno_value != 0) errno = r.errno_value;
      s->last_io = LastIo::syscall;
      break;
    case io::IoStatus::done:
    case io::IoStatus::eof:
      break;
  }
}

}  // namespace

void release_send_buffer(SSL* s) {
  // A big write's buffer goes with it; with SSL_MODE_RELEASE_BUFFERS any.
  s->conn->release_send_buffer((s->mode & SSL_MODE_RELEASE_BUFFERS) != 0 ? 0 : kKeepSendBuffer);
}

FlushResult flush_keeping_buffer(SSL* s, bool flush_bio) {
  const io::IoResult r = io::flush(*s->conn, transport_of(s), flush_bio);
  if (r.status == io::IoStatus::done) return FlushResult::done;
  if (r.status == io::IoStatus::failed && s->conn->error() && !s->dead &&
      s->conn->write_handed_off()) {
    // Kernel TLS refused a KeyUpdate's new keys (io::flush_kernel): the
    // connection ends here, with nothing more sent.
    ERR_raise_data(ERR_LIB_SSL, s->conn->error()->reason,
                   "kernel TLS refused the new sending keys (setsockopt TLS_TX: %s)",
                   std::strerror(r.errno_value));
    s->last_io = LastIo::ssl;
    s->dead = true;
    return FlushResult::failed;
  }
  note_stop(s, r);
  return r.status == io::IoStatus::want_read || r.status == io::IoStatus::want_write
             ? FlushResult::retry
             : FlushResult::failed;
}

FlushResult flush(SSL* s) {
  const FlushResult r = flush_keeping_buffer(s);
  if (r == FlushResult::done) release_send_buffer(s);
  return r;
}

FillResult fill(SSL* s, size_t room) {
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
  switch (r.status) {
    case io::IoStatus::done:
      return FillResult::progress;
    case io::IoStatus::eof:
      return FillResult::eof;
    case io::IoStatus::want_read:
    case io::IoStatus::want_write:
      note_stop(s, r);
      return FillResult::retry;
    case io::IoStatus::failed:
      if (s->conn->error()) {
        fail(s, *s->conn->error(), "SSL_read");
        return FillResult::failed;
      }
      note_stop(s, r);
      return FillResult::failed;
    case io::IoStatus::no_bio:
      note_stop(s, r);
      return FillResult::failed;
  }
  return FillResult::failed;
}

Result<size_t> write_direct(SSL* s, Bytes data) {
  return io::write_app_direct(*s->conn, transport_of(s), data);
}

io::DirectRead read_direct(SSL* s, MutBytes out) {
  const io::DirectRead r = io::read_app_direct(*s->conn, transport_of(s), out);
  if (r.consumed > 0) report_handshakes(s);
  return r;
}

size_t write_budget(SSL* s) {
  return io::write_budget(transport_of(s));
}

bool write_side_full(SSL* s) {
  if (!io::bio_pair_full(transport_of(s))) return false;
  s->last_io = LastIo::want_write;
  return true;
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
    switch (flush(s)) {
      case FlushResult::retry:
        return -1;
      case FlushResult::failed:
        return -1;
      case FlushResult::done:
        break;
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
    switch (fill(s)) {
      case FillResult::retry:
        return -1;
      case FillResult::failed:
        return -1;
      case FillResult::eof:
        ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_EOF_WHILE_READING);
        s->last_io = LastIo::ssl;
        return -1;
      case FillResult::progress:
        break;
    }
  }
  return fail(s, internal_error(), "SSL_do_handshake");
}

}  // namespace rapidtls::ssl
