// Moves a Connection's records over a transport that may be non-blocking: a
// pair of libcrypto BIOs, or a socket used directly (send with MSG_NOSIGNAL,
// so a write to a closed peer never raises SIGPIPE; several records leave in
// one call). The C interface (ssl/) maps the outcomes to SSL_get_error's
// WANT_READ / WANT_WRITE; this layer makes the system and BIO calls.
#pragma once

#include <openssl/types.h>

#include <optional>

#include "conn/connection.h"

namespace rapidtls::io {

// A blocking socket's reader in a stream of full-size records polls briefly
// before it sleeps: the next record is usually a few microseconds away, and
// a sleeping reader costs the sender a wake-up for every record (on a 2-core
// VM, more than the record's own system calls). How long it polls adapts:
// it grows while waits turn out short and shrinks while polls come up empty,
// so a reader on a slow network stops polling. Non-blocking sockets never
// poll (the caller waits in its own event loop).
// Polling starts at, and never exceeds, these.
constexpr uint32_t kMinSpinNs = 2'000;
constexpr uint32_t kMaxSpinNs = 100'000;
struct ReadSpin {
  uint32_t budget_ns = 0;    // how long to poll before sleeping (0: sleep at once)
  bool nonblocking = false;  // the socket was seen non-blocking: never poll

  // A poll of budget_ns found nothing: poll half as long next time, and not
  // at all once that is under kMinSpinNs.
  void poll_came_up_empty() {
    budget_ns /= 2;
    if (budget_ns < kMinSpinNs) budget_ns = 0;
  }
  // A blocking read slept `ns`. A sleep shorter than kMaxSpinNs would have
  // been caught by polling twice as long: the budget becomes that (at least
  // kMinSpinNs, never less than it was, at most kMaxSpinNs). A longer sleep
  // leaves the budget as it is.
  void slept(uint64_t ns) {
    if (ns >= kMaxSpinNs) return;
    const uint64_t floor = budget_ns > kMinSpinNs ? budget_ns : kMinSpinNs;
    const uint64_t want = 2 * ns < floor ? floor : 2 * ns;
    budget_ns = static_cast<uint32_t>(want > kMaxSpinNs ? kMaxSpinNs : want);
  }
};
// A record carrying at least this much application data marks a stream.
constexpr size_t kStreamRecord = 8192;
// The most sealed bytes written to a stream socket in one call. Linux's TCP
// builds packets of up to 64 KiB on loopback; a send that fits in one (three
// full records) cost its writer about half the kernel time per byte of a
// 256 KiB send cut into several (docs/benchmarks.md, "one TCP packet per send":
// bulk over loopback TCP with ChaCha20, medians 1,693 -> 2,052 MiB/s).
constexpr size_t kStreamWriteMax = 65'000;

// The records the kernel has sealed under its current sending keys, bounded
// from above without asking it: one send of n bytes makes at most
// n / 2^14 + 1 records. Only when the bound reaches the limit (RFC 8446 5.5:
// conn::kRecordsPerKey, well before AES-GCM's 2^24.5) is the kernel asked
// for its exact count (getsockopt TLS_TX); at the limit the connection
// changes keys (a KeyUpdate, where the kernel can take new keys) or ends.
struct KernelRecordBudget {
  uint64_t limit = conn::kRecordsPerKey;
  uint64_t bound = 0;  // at least the sequence number of the next record
  void start(uint64_t first_sequence) { bound = first_sequence; }
  void spent(size_t bytes) { bound += bytes / record::kMaxPlaintext + 1; }
  bool must_ask() const { return bound >= limit; }
};

struct Transport {
  BIO* rbio = nullptr;
  BIO* wbio = nullptr;
  int fd = -1;               // >= 0: read and write this socket directly, not the BIOs
  ReadSpin* spin = nullptr;  // for fd: the reader's polling state (none: never poll)
  KernelRecordBudget* ktls_budget = nullptr;  // for fd with kernel TLS sending (io/ktls.h)
};

enum class IoStatus : uint8_t {
  done,        // flush: everything left; fill: bytes were read and processed
  want_read,   // the transport has nothing for us now
  want_write,  // the transport cannot take more now
  eof,         // fill: the peer closed the transport
  no_bio,      // no BIO was set for this direction
  failed,      // a system or BIO error (see errno_value), or the engine failed
};

// The transport has to wait (for the peer, or for room): a retry later.
inline bool must_wait(IoStatus s) {
  return s == IoStatus::want_read || s == IoStatus::want_write;
}

struct IoResult {
  IoStatus status;
  int errno_value = 0;  // for failed system calls
  // failed: the engine's error, when the engine failed without keeping it as
  // the connection's (Connection::error(); a write the connection refuses).
  std::optional<Error> error = std::nullopt;
  // failed: the kernel refused the sending keys of a KeyUpdate (setsockopt
  // TLS_TX, errno_value says why); the connection ended with nothing more sent.
  bool kernel_refused_keys = false;
};

// Sends what the connection has queued, until done or the transport stops.
// With `flush_bio`, a BIO transport is then flushed (BIO_flush), as OpenSSL
// does after handshake flights and alerts: a BIO that buffers writes
// (Apache's mod_ssl) passes them on. Application data alone is not flushed,
// as in OpenSSL: such a program flushes it itself.
IoResult flush(conn::Connection& c, const Transport& t, bool flush_bio = true);
// Reads into the connection's buffer and lets it process what arrived: each
// read at most what Connection::receive_allowance(room) allows for a reader
// with `room` bytes of buffer (0 in a handshake: record by record). A BIO is
// read once; a socket again while what it gave only extended a record still
// arriving and it gave all that was asked (header, then body); a stop on
// that second read is reported as such (WANT_READ, EOF), the header staying
// buffered. An engine error is `failed` with the error in IoResult::error.
IoResult fill(conn::Connection& c, const Transport& t, size_t room = 0);
// A BIO pair lends its own buffer: records are sealed straight into it and
// opened straight out of it, instead of being copied by BIO_write/BIO_read.
// write_app_direct seals whole records of `data` into the pair's free space
// while nothing else is queued, and returns the plaintext bytes taken (0 for
// any other transport, or when no whole record fits: use send_app + flush).
Result<size_t> write_app_direct(conn::Connection& c, const Transport& t, Bytes data);
// read_app_direct opens whole records waiting in the pair straight into
// `out`, while the connection holds nothing received. Both counts are 0 for
// any other transport or when the next record cannot go that way (use fill).
struct DirectRead {
  size_t app_bytes = 0;  // written to out
  size_t consumed = 0;   // record bytes taken from the BIO pair
};
DirectRead read_app_direct(conn::Connection& c, const Transport& t, MutBytes out);

// True when the write side is a BIO pair without a byte of free space (not
// one that is closed or has no peer). Its write BIO is then marked as a
// BIO_write that found it full leaves it (should retry, should write).
bool bio_pair_full(const Transport& t);

// How many bytes the write side can take now without blocking: SIZE_MAX for
// a blocking socket, the free space of a BIO pair or of a non-blocking
// socket's send buffer, 0 when it cannot be known.
size_t write_budget(const Transport& t);

}  // namespace rapidtls::io
