// SSL_write_ex, SSL_write and SSL_sendfile, following SSL_write(3) (the
// requirements W1..W18 of docs/write-semantics.md).
//
// Bytes are sealed straight from the caller's buffer into the record queue
// (the one copy), up to three full records at a time (io::kStreamWriteMax),
// and leave in one transport call. A call that cannot finish returns
// WANT_WRITE/WANT_READ and remembers how much of the caller's buffer is
// already sealed; the retry resumes there, so no byte is sent twice or lost
// (W12), and a retry that could not be the same write is refused (W13).
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <unistd.h>

#include "io/ktls.h"
#include "ssl/internal.h"

namespace {

using rapidtls::Bytes;
using rapidtls::ssl::FlushResult;
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
  switch (rapidtls::ssl::flush(s)) {
    case FlushResult::retry:
    case FlushResult::failed:
      return -1;
    case FlushResult::done:
      break;
  }
  size_t sent = 0;
  const rapidtls::io::IoResult r =
      rapidtls::io::sendfile_kernel(*s->conn, s->fd, fd, offset, size, &sent, &s->ktls_budget);
  if (sent > 0 || r.status == rapidtls::io::IoStatus::done) return static_cast<ossl_ssize_t>(sent);
  if (s->conn->error()) return rapidtls::ssl::fail(s, *s->conn->error(), "SSL_sendfile");
  if (r.status == rapidtls::io::IoStatus::want_write) {
    s->last_io = LastIo::want_write;
    return -1;
  }
  // As OpenSSL: errno says why (SSL_ERROR_SYSCALL); EBADF, EINVAL and the
  // like about the file go on the queue too.
  errno = r.errno_value;
  ERR_raise_data(ERR_LIB_SYS, r.errno_value, "calling sendfile()");
  s->last_io = LastIo::syscall;
  return -1;
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

// `blocking`: the caller knows the transport blocks (SSL_sendfile asks once
// per call), so records are sealed a batch at a time without asking the
// transport how much it takes (system calls per batch) first.
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

int write_internal(SSL* s, const uint8_t* buf, size_t num, size_t* written, bool blocking = false) {
  *written = 0;
  if (const int r = start_write(s); r <= 0) return r;
  s->apply_changed_settings();
  rapidtls::ssl::start_kernel_tls(s);
  rapidtls::conn::Connection& c = *s->conn;
  if (c.error()) return rapidtls::ssl::fail(s, *c.error(), "SSL_write");  // W17

  rapidtls::ssl::PendingWrite& pw = s->pending_write;
  if (pw.active) {
    // W13: a retry carries the same data. What is already sealed cannot be
    // taken back, so a shorter buffer is refused; another pointer is refused
    // unless the caller allowed moving buffers. Both are fatal, as in OpenSSL.
    if (num < pw.sealed + pw.reserved) return refuse_fatally(s, SSL_R_BAD_LENGTH);
    if (buf != pw.buf && (s->mode & SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) == 0) {
      return refuse_fatally(s, SSL_R_BAD_WRITE_RETRY);
    }
    pw.buf = buf;
    pw.len = num;
  } else {
    pw = {true, buf, num, 0};
  }

  const bool partial = (s->mode & SSL_MODE_ENABLE_PARTIAL_WRITE) != 0;
  // A blocking transport stays so for the call: asked once, not per batch.
  bool known_blocking = blocking;
  for (;;) {
    // The send buffer serves the call's next batch; it goes back at the end.
    switch (rapidtls::ssl::flush_keeping_buffer(s, /*flush_bio=*/!s->conn->handshake_done())) {
      case FlushResult::retry:
        return -1;  // W8: WANT_WRITE (or WANT_READ), pw kept for W12
      case FlushResult::failed:
        return -1;
      case FlushResult::done:
        break;
    }
    // W10 / W11: done when all of it has left, or in partial mode when one
    // record has.
    if (pw.sealed == pw.len || (partial && pw.sealed > 0)) {
      *written = pw.sealed;
      pw = {};
      rapidtls::ssl::release_send_buffer(s);
      return 1;
    }
    // One record's application bytes: 2^14, or the peer's smaller
    // record_size_limit (RFC 8449).
    const size_t step = c.send_fragment();
    // A BIO pair takes the records straight into its buffer (in partial
    // mode one record per call, as OpenSSL returns after each).
    const size_t left = pw.len - pw.sealed;
    auto direct = rapidtls::ssl::write_direct(
        s, Bytes(buf + pw.sealed, partial ? std::min(left, step) : left));
    if (!direct.ok()) {
      pw = {};
      return rapidtls::ssl::fail(s, direct.error(), "SSL_write");
    }
    if (*direct > 0) {
      pw.sealed += *direct;
      pw.reserved -= std::min(pw.reserved, *direct);
      continue;
    }
    // A BIO pair without free space: OpenSSL would seal the next record into
    // its own buffer and copy it into the pair once there is room. Here the
    // record is only reserved, and sealed straight into the pair when the
    // caller repeats the call (W12): no copy, and nothing but the reservation
    // waits. The reserved bytes count as taken for the retry rules, as the
    // record OpenSSL holds does (W13). In partial-write mode the record is
    // sealed aside as below: the count a repeated call returns is its length.
    if (!partial && rapidtls::ssl::write_side_full(s)) {
      if (pw.reserved == 0) pw.reserved = std::min(left, step);
      return -1;
    }
    // Seal only what the transport can take now (at least one record), so
    // that when it fills up a single record is in flight, as in OpenSSL: the
    // bytes "already processed" on WANT_WRITE are those of OpenSSL (W12, W13).
    // Blocking transports and roomy sockets get up to three full records per
    // transport write: whole records, as many as one TCP packet takes
    // (io::kStreamWriteMax; more with a peer's smaller record_size_limit),
    // which also keeps a 1 GiB write from being buffered whole.
    // At least a record's worth: 2^14 bytes, in whole records of the peer's
    // size when its record_size_limit is smaller; in partial-write mode one
    // record, whose length the call returns (W11).
    size_t n = partial
                   ? std::min(left, step)
                   : std::min(left, std::max(step, rapidtls::record::kMaxPlaintext / step * step));
    const size_t most = std::min(left, c.app_bytes_per_write(rapidtls::io::kStreamWriteMax));
    // Asking the transport costs system calls: only when there is more than
    // one record to seal, and for a blocking one once per call.
    if (!partial && n < most) {
      const size_t budget = known_blocking ? SIZE_MAX : rapidtls::ssl::write_budget(s);
      known_blocking = budget == SIZE_MAX;
      if (known_blocking) {
        n = most;
      } else {
        // Record by record (the peer's record size), while they fit.
        while (n < most &&
               c.sealed_size(std::min(most, n + step)) + c.pending_output().size() <= budget) {
          n = std::min(most, n + step);
        }
      }
    }
    auto r = c.send_app(Bytes(buf + pw.sealed, n));
    if (!r.ok()) {
      pw = {};
      return rapidtls::ssl::fail(s, r.error(), "SSL_write");
    }
    pw.sealed += n;
    // What was reserved on a full pair is now sealed (the pair had a few
    // bytes free this time, too few to take a record straight).
    pw.reserved -= std::min(pw.reserved, n);
  }
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
  const bool blocking = rapidtls::ssl::write_budget(s) == SIZE_MAX;
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
      ssize_t got;
      do {
        got = ::pread(fd, chunk, want, offset + static_cast<off_t>(total));
      } while (got < 0 && errno == EINTR);
      if (got < 0) {
        ERR_raise_data(ERR_LIB_SYS, errno, "calling pread()");
        s->last_io = LastIo::syscall;
        return finish(total, true);
      }
      if (got == 0) break;  // end of file
      n = static_cast<size_t>(got);
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
