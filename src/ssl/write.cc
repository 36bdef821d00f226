// SSL_write_ex, SSL_write and SSL_sendfile, following SSL_write(3) (the
// requirements W1..W18 of docs/write-semantics.md).
//
// The records are made and moved by io::write_app, the one write loop (also
// FdStream's): bytes are sealed straight from the caller's buffer into the
// record queue (the one copy), a batch of whole records per transport call.
// Here are the rules of the calls: a call that cannot finish returns
// WANT_WRITE/WANT_READ and remembers how much of the caller's buffer is
// already sealed; the retry resumes there, so no byte is sent twice or lost
// (W12), and a retry that could not be the same write is refused (W13).
#include <openssl/bio.h>
#include <openssl/err.h>

#include "io/ktls.h"
#include "ssl/internal.h"

namespace {

using rapidtls::Bytes;
using rapidtls::MutBytes;
using rapidtls::io::IoResult;
using rapidtls::io::IoStatus;
using rapidtls::ssl::LastIo;
using rapidtls::ssl::Role;

// SSL_sendfile without kernel TLS reads the file in pieces: one pread, one
// seal batch and one send each (a full non-blocking socket strands little
// read-ahead; the buffer stays between calls only while a piece is pending in
// it). A piece is as many whole records as one send of io::kStreamWriteMax
// takes: three full ones, or more of a peer's smaller record_size_limit (RFC
// 8449), so that no piece ends in a short record (SSL_sendfile negotiates
// before its first piece). A piece is one send on a blocking socket, and a
// 256 KiB send costs more than the three-record one (io::kStreamWriteMax;
// docs/benchmarks.md, "one TCP packet per send").
constexpr size_t kSendfileChunk = 3 * rapidtls::record::kMaxPlaintext;

size_t sendfile_piece(const SSL* s) {
  if (!s->conn || !s->conn->handshake_done()) return kSendfileChunk;
  return s->conn->app_bytes_per_write(rapidtls::io::kStreamWriteMax);
}

// W3 with kernel TLS: what is queued leaves first, then sendfile(2) moves the
// file's pages to the socket and the kernel seals them, no copy through user
// space. A blocking socket takes all of it (or the file ends); a non-blocking
// one what it can: the count, or -1 and WANT_WRITE when it took nothing (the
// caller repeats the call with the same arguments, W12).
ossl_ssize_t sendfile_kernel(SSL* s, int fd, off_t offset, size_t size) {
  if (s->conn->error()) return rapidtls::ssl::fail(s, *s->conn->error(), "SSL_sendfile");
  if (const IoResult r = rapidtls::ssl::flush(s); r.status != IoStatus::done) {
    return rapidtls::ssl::stopped(s, r, "SSL_sendfile");
  }
  size_t sent = 0;
  const IoResult r =
      rapidtls::io::sendfile_kernel(*s->conn, s->fd, fd, offset, size, &sent, &s->ktls_budget);
  if (sent > 0 || r.status == IoStatus::done) return static_cast<ossl_ssize_t>(sent);
  // As OpenSSL: errno says why (SSL_ERROR_SYSCALL); EBADF, EINVAL and the
  // like about the file go on the queue too.
  if (r.status == IoStatus::failed && !r.error) {
    ERR_raise_data(ERR_LIB_SYS, r.errno_value, "calling sendfile()");
  }
  return rapidtls::ssl::stopped(s, r, "SSL_sendfile");
}

int refuse(SSL* s, int reason) {
  ERR_raise(ERR_LIB_SSL, reason);
  s->last_io = LastIo::ssl;
  return -1;
}

// A retry that breaks W13's rules ends the connection, as in OpenSSL 3.0: the
// reason goes on the queue, the peer gets internal_error, later calls fail.
int refuse_fatally(SSL* s, int reason) {
  s->pending_write = {};
  (void)s->conn->abort(rapidtls::Error{rapidtls::Alert::internal_error, reason});
  return rapidtls::ssl::fail(s, rapidtls::Error{rapidtls::Alert::internal_error, reason},
                             "SSL_write");
}

// What every write does first: refuse what cannot write (W17, W5, after our
// close_notify), and negotiate when no handshake was done (W4). 1 to go on,
// else the call's return value.
int start_write(SSL* s) {
  s->last_io = LastIo::none;
  if (s->dead) return rapidtls::ssl::dead_end(s);                     // W17
  if (s->role == Role::unset) return refuse(s, SSL_R_UNINITIALIZED);  // W5
  if (s->shutdown_flags & SSL_SENT_SHUTDOWN) return refuse(s, SSL_R_PROTOCOL_IS_SHUTDOWN);
  if (!s->conn || !s->conn->handshake_done()) return rapidtls::ssl::do_handshake(s);  // W4
  return 1;
}

// `blocking`: the caller knows the transport blocks (SSL_sendfile asks once
// per call; io::AppWriteMode).
int write_internal(SSL* s, const uint8_t* buf, size_t num, size_t* written, bool blocking = false) {
  *written = 0;
  if (const int r = start_write(s); r <= 0) return r;
  s->apply_changed_settings();
  rapidtls::ssl::start_kernel_tls(s);
  rapidtls::conn::Connection& c = *s->conn;
  if (c.error()) return rapidtls::ssl::fail(s, *c.error(), "SSL_write");  // W17

  rapidtls::ssl::PendingWrite& pw = s->pending_write;
  if (pw.active) {
    // W13: a retry carries the same data. What is already sealed (or
    // reserved) cannot be taken back, so a shorter buffer is refused; another
    // pointer is refused unless the caller allowed moving buffers. Both are
    // fatal, as in OpenSSL.
    if (num < pw.progress.sealed + pw.progress.reserved) {
      return refuse_fatally(s, SSL_R_BAD_LENGTH);
    }
    if (buf != pw.buf && (s->mode & SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) == 0) {
      return refuse_fatally(s, SSL_R_BAD_WRITE_RETRY);
    }
    pw.buf = buf;
    pw.len = num;
  } else {
    pw = {true, buf, num, {}};
  }
  const rapidtls::io::AppWriteMode mode{(s->mode & SSL_MODE_ENABLE_PARTIAL_WRITE) != 0, blocking};
  const IoResult r = rapidtls::io::write_app(c, rapidtls::ssl::transport_of(s), Bytes(buf, num),
                                             pw.progress, mode);
  if (r.status == IoStatus::done) {
    // W10 / W11: all of it has left, or in partial mode one record.
    *written = pw.progress.sealed;
    pw = {};
    rapidtls::ssl::release_send_buffer(s);
    return 1;
  }
  // W8: a stop the caller retries keeps pw for W12; anything else ends it.
  if (!rapidtls::io::must_wait(r.status) && r.error) pw = {};
  return rapidtls::ssl::stopped(s, r, "SSL_write");
}

}  // namespace

extern "C" {

int SSL_write_ex(SSL* s, const void* buf, size_t num, size_t* written) {
  size_t n = 0;
  const int r = write_internal(s, static_cast<const uint8_t*>(buf), num, &n);
  if (written != nullptr) *written = n;
  return r > 0 ? 1 : 0;  // W15
}

int SSL_write(SSL* s, const void* buf, int num) {
  if (num < 0) {
    ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
    return -1;
  }
  size_t n = 0;
  const int r = write_internal(s, static_cast<const uint8_t*>(buf), static_cast<size_t>(num), &n);
  // W2 / W14: the count on success; a write of 0 bytes therefore returns 0.
  return r > 0 ? static_cast<int>(n) : r;
}

// W3: with kernel TLS the kernel would do the work; this kernel has none, and
// rapidtls then still serves the call, through a userspace path: the file is
// read in pieces into a per-connection buffer and written as SSL_write_ex
// would. A piece cut short by WANT_WRITE stays pending: the caller's next call
// (at offset + the count returned) resumes it without reading it again.
//
// The call knows the whole range up front. On a blocking transport (asked
// once per call, not once per write as a read()+SSL_write_ex loop does) each
// piece is sealed in one batch and sent in one call. A non-blocking transport
// gets the write path's own batching, sized to what the socket can take.
ossl_ssize_t SSL_sendfile(SSL* s, int fd, off_t offset, size_t size, int /*flags*/) {
  if (s->role == Role::unset) return refuse(s, SSL_R_UNINITIALIZED);
  rapidtls::ssl::PendingWrite& pw = s->pending_write;
  auto pending_here = [s, &pw] {
    const uint8_t* b = s->sendfile_buf.get();
    return pw.active && b != nullptr && pw.buf >= b && pw.buf < b + s->sendfile_cap;
  };
  const bool blocking = rapidtls::io::write_budget(rapidtls::ssl::transport_of(s)) == SIZE_MAX;
  // Negotiated first, as a write would (W4), so that the first piece too is
  // sized by the peer's record size.
  if (!pending_here() && start_write(s) <= 0) return -1;
  // The buffer goes back when the call ends with nothing pending in it: an
  // idle connection (a server's keep-alive one, say) does not keep a piece's
  // buffer (48-64 KiB) for its next file. A piece cut short keeps it for the
  // retry (W12).
  auto finish = [s, &pending_here](size_t total, bool failed) -> ossl_ssize_t {
    if (!pending_here()) {
      s->sendfile_buf.reset();
      s->sendfile_cap = 0;
    }
    if (failed && total == 0) return -1;
    return static_cast<ossl_ssize_t>(total);
  };
  if (!pending_here() && s->conn && s->conn->handshake_done()) {
    rapidtls::ssl::start_kernel_tls(s);
    if (s->conn->write_handed_off() && s->fd >= 0) return sendfile_kernel(s, fd, offset, size);
  }
  size_t total = 0;
  while (total < size) {
    const uint8_t* piece;
    size_t n;
    if (pending_here()) {
      piece = pw.buf;  // resume the piece already being written
      n = pw.len;
    } else {
      // A buffer for the piece, not more (the first piece may have completed
      // the handshake, and with it learnt the peer's record size).
      const size_t want = std::min(size - total, sendfile_piece(s));
      if (s->sendfile_cap < want) {
        s->sendfile_buf.reset();
        s->sendfile_buf = std::make_unique_for_overwrite<uint8_t[]>(want);
        s->sendfile_cap = want;
      }
      uint8_t* chunk = s->sendfile_buf.get();
      piece = chunk;
      const rapidtls::io::FileRead got =
          rapidtls::io::read_file_at(fd, MutBytes(chunk, want), offset + static_cast<off_t>(total));
      if (got.result.status != IoStatus::done) {
        ERR_raise_data(ERR_LIB_SYS, got.result.errno_value, "calling pread()");
        (void)rapidtls::ssl::stopped(s, got.result, "SSL_sendfile");
        return finish(total, true);
      }
      if (got.bytes == 0) break;  // end of file
      n = got.bytes;
    }
    // In partial-write mode a call may take only part of the piece: the rest
    // is written from the buffer, not read again.
    for (size_t done = 0; done < n;) {
      size_t w = 0;
      if (write_internal(s, piece + done, n - done, &w, blocking) <= 0) {
        return finish(total, true);
      }
      done += w;
      total += w;
    }
  }
  return finish(total, false);
}

}  // extern "C"
