#include "io/app_write.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace rapidtls::io {

IoResult write_app(conn::Connection& c, const Transport& t, Bytes data, AppWrite& w,
                   AppWriteMode mode) {
  // A blocking transport stays so for the call: asked once, not per batch.
  bool blocking = mode.blocking;
  for (;;) {
    // Handshake flights a first write drove are BIO_flush'ed, as OpenSSL
    // does; application data is the program's to flush.
    if (IoResult r = flush(c, t, /*flush_bio=*/!c.handshake_done()); r.status != IoStatus::done) {
      return r;
    }
    // W10 / W11: done when all of it has left, or in partial mode when one
    // record has.
    if (w.sealed == data.size() || (mode.partial && w.sealed > 0)) return {IoStatus::done};
    // One record's application bytes: 2^14, or the peer's smaller
    // record_size_limit (RFC 8449).
    const size_t step = c.send_fragment();
    const size_t left = data.size() - w.sealed;
    // A BIO pair takes the records straight into its buffer (in partial mode
    // one record per call, as OpenSSL returns after each).
    Result<size_t> direct =
        write_app_direct(c, t, data.subspan(w.sealed, mode.partial ? std::min(left, step) : left));
    if (!direct.ok()) return IoResult{IoStatus::failed, 0, direct.error()};
    if (*direct > 0) {
      w.took(*direct);
      continue;
    }
    // A BIO pair without free space: reserve the next record (AppWrite).
    if (!mode.partial && bio_pair_full(t)) {
      if (w.reserved == 0) w.reserved = std::min(left, step);
      return {IoStatus::want_write};
    }
    // At least a record's worth: 2^14 bytes, in whole records of the peer's
    // size when its record_size_limit is smaller; in partial mode one record,
    // whose length is the count (W11).
    size_t n = mode.partial ? std::min(left, step)
                            : std::min(left, std::max(step, record::kMaxPlaintext / step * step));
    const size_t most = std::min(left, c.app_bytes_per_write(kStreamWriteMax));
    // Asking the transport costs system calls: only when there is more than
    // one record to seal, and for a blocking one once per call.
    if (!mode.partial && n < most) {
      const size_t budget = blocking ? SIZE_MAX : write_budget(t);
      blocking = budget == SIZE_MAX;
      if (blocking) {
        n = most;
      } else {
        // Record by record (the peer's record size), while they fit.
        while (n < most &&
               c.sealed_size(std::min(most, n + step)) + c.pending_output().size() <= budget) {
          n = std::min(most, n + step);
        }
      }
    }
    Result<size_t> sealed = c.send_app(data.subspan(w.sealed, n));
    if (!sealed.ok()) return IoResult{IoStatus::failed, 0, sealed.error()};
    // What was reserved on a full pair is now sealed (the pair had a few
    // bytes free this time, too few to take a record straight).
    w.took(n);
  }
}

FileRead read_file_at(int fd, MutBytes out, off_t offset) {
  ssize_t got;
  do {
    got = ::pread(fd, out.data(), out.size(), offset);
  } while (got < 0 && errno == EINTR);
  if (got < 0) return {IoResult{IoStatus::failed, errno}, 0};
  return {IoResult{IoStatus::done}, static_cast<size_t>(got)};
}

}  // namespace rapidtls::io
