#include "io/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>

#include "io/ktls.h"

namespace rapidtls::io {
namespace {

// A stream of full records: the peer had more to send than one record held.
// Both how much a read takes and whether it polls before sleeping follow it.
bool in_stream(const conn::Connection& c) {
  return c.last_app_record() >= kStreamRecord;
}

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

ssize_t recv_retrying(int fd, MutBytes room, int flags) {
  ssize_t n;
  do {
    n = ::recv(fd, room.data(), room.size(), flags);
  } while (n < 0 && errno == EINTR);
  return n;
}

// A spin-wait hint to the processor (none where there is no such hint).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Polls for up to the budget; true when the socket became readable.
bool poll_briefly(int fd, uint32_t budget_ns) {
  const uint64_t start = now_ns();
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) return true;
    const uint64_t t = now_ns();
    if (t - start >= budget_ns) return false;
    // About a microsecond between looks: the socket's state is the sender's
    // to write, and a reader looking all the time slows it down.
    while (now_ns() - t < 1'000) cpu_relax();
  }
}

// recv() for the engine's buffer. In a stream of full records on a blocking
// socket, a read that would wait polls first (ReadSpin).
ssize_t receive_from_socket(const conn::Connection& c, const Transport& t, MutBytes room) {
  ReadSpin* spin = t.spin;
  if (spin == nullptr || spin->nonblocking || !in_stream(c)) {
    return recv_retrying(t.fd, room, 0);
  }
  const ssize_t n = recv_retrying(t.fd, room, MSG_DONTWAIT);
  if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return n;
  const int fl = ::fcntl(t.fd, F_GETFL);
  if (fl < 0 || (fl & O_NONBLOCK) != 0) {
    spin->nonblocking = true;
    errno = EAGAIN;
    return -1;
  }
  if (spin->budget_ns > 0) {
    if (poll_briefly(t.fd, spin->budget_ns)) return recv_retrying(t.fd, room, 0);
    spin->poll_came_up_empty();
  }
  const uint64_t t0 = now_ns();
  const ssize_t r = recv_retrying(t.fd, room, 0);
  spin->slept(now_ns() - t0);
  return r;
}

}  // namespace

IoResult flush(conn::Connection& c, const Transport& t, bool flush_bio) {
  if (c.write_handed_off() && t.fd >= 0) return flush_kernel(c, t.fd, t.ktls_budget);
  bool wrote_to_bio = false;
  while (c.wants_write()) {
    const Bytes out = c.pending_output();
    if (t.fd >= 0) {
      const ssize_t n = ::send(t.fd, out.data(), out.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoStatus::want_write};
        return {IoStatus::failed, errno};
      }
      c.consume_output(static_cast<size_t>(n));
      continue;
    }
    if (t.wbio == nullptr) return {IoStatus::no_bio};
    const int want = static_cast<int>(std::min<size_t>(out.size(), INT32_MAX));
    const int n = BIO_write(t.wbio, out.data(), want);
    if (n <= 0) {
      // A write that has to wait is WANT_WRITE whenever the BIO says "write", as
      // in OpenSSL's SSL_get_error: a BIO that serves both directions may still
      // carry the "read" flag of an earlier read (HAProxy's never clears its
      // flags), and WANT_READ would have the caller wait for the peer to send.
      if (BIO_should_retry(t.wbio)) {
        return {BIO_should_write(t.wbio) || !BIO_should_read(t.wbio) ? IoStatus::want_write
                                                                     : IoStatus::want_read};
      }
      return {IoStatus::failed, errno};
    }
    c.consume_output(static_cast<size_t>(n));
    wrote_to_bio = true;
  }
  if (flush_bio && wrote_to_bio && BIO_flush(t.wbio) <= 0) {
    if (BIO_should_retry(t.wbio)) return {IoStatus::want_write};
    return {IoStatus::failed, errno};
  }
  return {IoStatus::done};
}

namespace {

// fill() for BIOs: one BIO_read of what the connection allows.
IoResult fill_from_bio(conn::Connection& c, const Transport& t, size_t reader_room) {
  const MutBytes room = c.receive_buffer(c.receive_allowance(reader_room, false));
  if (room.empty()) return {IoStatus::done};  // the engine holds unread data
  if (t.rbio == nullptr) return {IoStatus::no_bio};
  const int want = static_cast<int>(std::min<size_t>(room.size(), INT32_MAX));
  const int r = BIO_read(t.rbio, room.data(), want);
  if (r < 0 || (r == 0 && BIO_should_retry(t.rbio))) {
    // As for a write (flush): the flag of this direction wins over a stale one.
    if (BIO_should_retry(t.rbio)) {
      return {BIO_should_read(t.rbio) || !BIO_should_write(t.rbio) ? IoStatus::want_read
                                                                   : IoStatus::want_write};
    }
    return {IoStatus::failed, errno};
  }
  if (r == 0) return {IoStatus::eof};
  if (Status st = c.commit_received(static_cast<size_t>(r)); !st.ok()) {
    return {IoStatus::failed, 0, st.error()};
  }
  return {IoStatus::done};
}

}  // namespace

IoResult fill(conn::Connection& c, const Transport& t, size_t reader_room) {
  if (c.read_handed_off() && t.fd >= 0) return fill_kernel(c, t.fd);
  // The next record's header rides along only on sockets, and only in a
  // stream of full records: one recv per record there. Small records are read
  // as OpenSSL reads every record, header then body: on loopback a reader
  // that takes small records as fast as they come sleeps after each and the
  // writer pays a wake-up per record, several times the extra recv (measured:
  // docs/benchmarks.md, 1 KiB writes 0.71x -> about 1.25x of OpenSSL). From
  // a BIO pair, taking a header ahead would keep the records after it off the
  // zero-copy path (read_app_direct needs an empty receive buffer).
  if (t.fd < 0) return fill_from_bio(c, t, reader_room);
  // A socket read that brought a header goes on to the body in the same
  // call, as the caller would next: the same system calls, without a round
  // through the caller for each. Only while the bytes read did nothing but
  // extend a record still arriving: once a record was processed (a handshake
  // message that may end the handshake, an alert, a KeyUpdate) or is held for
  // the reader, the caller decides what comes next, as before. A stop on the
  // second read is what the caller's next call would have met: WANT_READ or EOF.
  for (;;) {
    const MutBytes room = c.receive_buffer(c.receive_allowance(reader_room, in_stream(c)));
    if (room.empty()) return {IoStatus::done};  // the engine holds unread data
    const size_t before = c.unprocessed();
    const ssize_t n = receive_from_socket(c, t, room);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoStatus::want_read};
      return {IoStatus::failed, errno};
    }
    if (n == 0) return {IoStatus::eof};
    if (Status st = c.commit_received(static_cast<size_t>(n)); !st.ok()) {
      return {IoStatus::failed, 0, st.error()};
    }
    const bool only_buffered = c.unprocessed() == before + static_cast<size_t>(n) &&
                               !c.app_readable() && !c.wants_write() && !c.peer_closed();
    if (!only_buffered || static_cast<size_t>(n) < room.size()) return {IoStatus::done};
  }
}

namespace {

bool is_bio_pair(BIO* b) {
  return b != nullptr && BIO_method_type(b) == BIO_TYPE_BIO;
}

}  // namespace

Result<size_t> write_app_direct(conn::Connection& c, const Transport& t, Bytes data) {
  if (t.fd >= 0 || !is_bio_pair(t.wbio)) return size_t{0};
  size_t taken = 0;
  while (taken < data.size() && !c.wants_write()) {
    char* room = nullptr;
    const int avail = BIO_nwrite0(t.wbio, &room);
    if (avail <= 0 || room == nullptr) break;
    size_t used = 0;
    RTLS_ASSIGN(const size_t n,
                c.send_app_to(
                    data.subspan(taken),
                    MutBytes(reinterpret_cast<uint8_t*>(room), static_cast<size_t>(avail)), &used));
    if (n == 0) break;
    // Commits what was sealed in place.
    if (BIO_nwrite(t.wbio, &room, static_cast<int>(used)) != static_cast<int>(used)) {
      return Error{Alert::internal_error, ERR_R_INTERNAL_ERROR};
    }
    taken += n;
  }
  return taken;
}

DirectRead read_app_direct(conn::Connection& c, const Transport& t, MutBytes out) {
  DirectRead r;
  if (t.fd >= 0 || !is_bio_pair(t.rbio)) return r;
  while (c.idle_in() && !c.error() && r.app_bytes < out.size()) {
    if (BIO_ctrl_pending(t.rbio) == 0) break;
    char* data = nullptr;
    const int avail = BIO_nread0(t.rbio, &data);
    if (avail <= 0 || data == nullptr) break;
    const size_t used =
        c.read_app_from(Bytes(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(avail)),
                        out, &r.app_bytes);
    if (used == 0) break;
    (void)BIO_nread(t.rbio, &data, static_cast<int>(used));
    r.consumed += used;
  }
  return r;
}

bool bio_pair_full(const Transport& t) {
  if (t.fd >= 0 || !is_bio_pair(t.wbio)) return false;
  // Asked the way a write would meet it: a pair without room answers -1 and
  // marks the BIO "retry, write"; one that is closed or has no peer answers
  // otherwise (and queues its error: dropped here, the write meets it again).
  ERR_set_mark();
  char* room = nullptr;
  const bool full =
      BIO_nwrite0(t.wbio, &room) < 0 && BIO_should_retry(t.wbio) && BIO_should_write(t.wbio);
  ERR_pop_to_mark();
  return full;
}

size_t write_budget(const Transport& t) {
  int fd = t.fd;
  if (fd < 0 && t.wbio != nullptr) {
    // A BIO pair knows exactly how much it can take.
    if (BIO_method_type(t.wbio) == BIO_TYPE_BIO) {
      const long guarantee = BIO_ctrl_get_write_guarantee(t.wbio);
      return guarantee > 0 ? static_cast<size_t>(guarantee) : 0;
    }
    if (BIO_method_type(t.wbio) == BIO_TYPE_SOCKET) {
      fd = static_cast<int>(BIO_get_fd(t.wbio, nullptr));
    }
  }
  if (fd < 0) return 0;
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return 0;
  if ((flags & O_NONBLOCK) == 0) return SIZE_MAX;
  // Free room in the send buffer. Linux reports SO_SNDBUF doubled for its
  // bookkeeping; about half of it is payload.
  int sndbuf = 0;
  socklen_t len = sizeof sndbuf;
  int queued = 0;
  if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) != 0 ||
      ::ioctl(fd, SIOCOUTQ, &queued) != 0) {
    return 0;
  }
  const int room = sndbuf / 2 - queued;
  return room > 0 ? static_cast<size_t>(room) : 0;
}

}  // namespace rapidtls::io
