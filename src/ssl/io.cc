// Moving records between the engine and the transport: a libcrypto BIO, or
// for SSL_set_fd sockets the socket itself (send with MSG_NOSIGNAL, so a
// write to a closed peer never raises SIGPIPE, and several records leave in
// one call).
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include "ssl/internal.h"

namespace rapidtls::ssl {
namespace {

// Reads up to this much per transport call: several full records.
constexpr size_t kReadChunk = 4 * record::kMaxRecord;

void raise_syscall(int err) {
  ERR_raise_data(ERR_LIB_SYS, err, "calling send/recv");
}

}  // namespace

FlushResult flush(SSL* s) {
  conn::Connection& c = *s->conn;
  while (c.wants_write()) {
    Bytes out = c.pending_output();
    if (s->fd >= 0) {
      const ssize_t n = ::send(s->fd, out.data(), out.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          s->last_io = LastIo::want_write;
          return FlushResult::retry;
        }
        raise_syscall(errno);
        s->last_io = LastIo::syscall;
        return FlushResult::failed;
      }
      c.consume_output(static_cast<size_t>(n));
      continue;
    }
    if (s->wbio == nullptr) {
      ERR_raise(ERR_LIB_SSL, SSL_R_BIO_NOT_SET);
      s->last_io = LastIo::ssl;
      return FlushResult::failed;
    }
    const int want = static_cast<int>(std::min<size_t>(out.size(), INT32_MAX));
    const int n = BIO_write(s->wbio, out.data(), want);
    if (n <= 0) {
      if (BIO_should_retry(s->wbio)) {
        s->last_io = BIO_should_read(s->wbio) ? LastIo::want_read : LastIo::want_write;
        return FlushResult::retry;
      }
      s->last_io = LastIo::syscall;
      return FlushResult::failed;
    }
    c.consume_output(static_cast<size_t>(n));
  }
  return FlushResult::done;
}

FillResult fill(SSL* s) {
  conn::Connection& c = *s->conn;
  MutBytes room = c.receive_buffer(kReadChunk);
  if (room.empty()) return FillResult::progress;  // the engine holds unread data
  ssize_t n;
  if (s->fd >= 0) {
    do {
      n = ::recv(s->fd, room.data(), room.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        s->last_io = LastIo::want_read;
        return FillResult::retry;
      }
      raise_syscall(errno);
      s->last_io = LastIo::syscall;
      return FillResult::failed;
    }
  } else {
    if (s->rbio == nullptr) {
      ERR_raise(ERR_LIB_SSL, SSL_R_BIO_NOT_SET);
      s->last_io = LastIo::ssl;
      return FillResult::failed;
    }
    const int want = static_cast<int>(std::min<size_t>(room.size(), INT32_MAX));
    const int r = BIO_read(s->rbio, room.data(), want);
    if (r <= 0) {
      if (BIO_should_retry(s->rbio)) {
        s->last_io = BIO_should_write(s->rbio) ? LastIo::want_write : LastIo::want_read;
        return FillResult::retry;
      }
      if (r < 0) {
        s->last_io = LastIo::syscall;
        return FillResult::failed;
      }
    }
    n = r;
  }
  if (n == 0) return FillResult::eof;
  if (Status st = c.commit_received(static_cast<size_t>(n)); !st.ok()) {
    fail(s, st.error(), "fill");
    return FillResult::failed;
  }
  return FillResult::progress;
}

int fail(SSL* s, const Error& e, const char* func) {
  raise(e, func);
  s->last_io = LastIo::ssl;
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
    if (c.handshake_done()) return 1;
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
