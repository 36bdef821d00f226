#include "io/fd_stream.h"

#include "io/app_write.h"
#include "io/transport.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace rapidtls::io {

namespace {

// A failed system call. The errno value is kept by the stream (last_errno()).
Error sys_error() {
  return Error{Alert::internal_error, ERR_R_SYS_LIB};
}

Error unexpected_eof() {
  return Error{Alert::internal_error, SSL_R_UNEXPECTED_EOF_WHILE_READING};
}

// Waits until `fd` is ready for `events` or `timeout_ms` passes (negative:
// no limit). Returns poll()'s result: > 0 ready, 0 timed out, < 0 failed.
int wait_for(int fd, short events, int timeout_ms = -1) {
  pollfd p{fd, events, 0};
  int r;
  do {
    r = ::poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  return r;
}

}  // namespace

FdStream::FdStream(conn::Connection& conn, int fd) : conn_(conn), fd_(fd) {}

Error FdStream::fail_with(Error e) {
  // The connection queued its alert when it failed; let it out if we can.
  (void)flush();
  return e;
}

Status FdStream::flush() {
  // Everything the connection queued leaves in one send() unless the socket
  // takes only part of it (io::flush).
  for (;;) {
    const IoResult r = io::flush(conn_, Transport{nullptr, nullptr, fd_});
    if (r.status == IoStatus::done) return {};
    // A socket meant to be blocking that reports EAGAIN anyway (O_NONBLOCK
    // set behind our back): wait until it can take more.
    if (r.status == IoStatus::want_write && wait_for(fd_, POLLOUT) > 0) continue;
    last_errno_ = r.errno_value != 0 ? r.errno_value : errno;
    return sys_error();
  }
}

Result<bool> FdStream::pump() {
  // Received bytes go straight into the connection's record buffer (no copy
  // through a buffer of ours).
  for (;;) {
    if (read_timeout_ms_ >= 0) {
      const int ready = wait_for(fd_, POLLIN, read_timeout_ms_);
      if (ready == 0) return Error{Alert::internal_error, SSL_R_READ_TIMEOUT_EXPIRED};
      if (ready < 0) {
        last_errno_ = errno;
        return sys_error();
      }
    }
    const IoResult r = io::fill(conn_, Transport{nullptr, nullptr, fd_});
    if (r.status == IoStatus::done) break;
    if (r.status == IoStatus::eof) return false;
    if (r.status == IoStatus::want_read && wait_for(fd_, POLLIN) > 0) continue;
    if (conn_.error()) return fail_with(*conn_.error());
    last_errno_ = r.errno_value != 0 ? r.errno_value : errno;
    return sys_error();
  }
  RTLS_TRY(flush());
  return true;
}

Status FdStream::handshake() {
  if (conn_.handshake_done()) return {};
  if (Status s = conn_.start(); !s.ok()) return fail_with(s.error());
  RTLS_TRY(flush());
  while (!conn_.handshake_done()) {
    if (conn_.error()) return fail_with(*conn_.error());
    // A close_notify before the handshake finished ends it as an EOF would.
    if (conn_.peer_closed()) return unexpected_eof();
    RTLS_ASSIGN(bool more, pump());
    if (!more) return unexpected_eof();
  }
  return flush();
}

Status FdStream::write_all(Bytes data) {
  RTLS_TRY(handshake());
  // The one write loop (io::write_app), as SSL_write's: whole records, a
  // batch of kStreamWriteMax per send on a blocking socket.
  AppWrite progress;
  for (;;) {
    const IoResult r = write_app(conn_, Transport{nullptr, nullptr, fd_}, data, progress,
                                 AppWriteMode{false, true});
    if (r.status == IoStatus::done) return {};
    if (r.error) return fail_with(*r.error);
    // A socket meant to be blocking that reports EAGAIN anyway (O_NONBLOCK
    // set behind our back): wait until it can take more.
    if (r.status == IoStatus::want_write && wait_for(fd_, POLLOUT) > 0) continue;
    last_errno_ = r.errno_value != 0 ? r.errno_value : errno;
    return sys_error();
  }
}

Result<size_t> FdStream::read(MutBytes out) {
  RTLS_TRY(handshake());
  if (out.empty()) return size_t{0};
  for (;;) {
    const size_t n = conn_.read_app(out);
    // Reading may have processed records behind the drained one (a
    // KeyUpdate to answer); send what they queued.
    if (n > 0) {
      RTLS_TRY(flush());
      return n;
    }
    if (conn_.error()) return fail_with(*conn_.error());
    if (conn_.peer_closed()) return size_t{0};
    RTLS_ASSIGN(bool more, pump());
    if (!more) return unexpected_eof();
  }
}

Status FdStream::shutdown() {
  if (Status s = conn_.close(); !s.ok()) return fail_with(s.error());
  return flush();
}

}  // namespace rapidtls::io
