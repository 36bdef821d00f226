// Drives a sans-IO Connection over a connected, blocking socket: the
// handshake, writes, reads and the closing alert. Records queued by the
// connection leave in one send() per batch; received bytes are read in large
// chunks (up to kReadChunk) straight into the connection's record buffer.
// This is one of the two places (with ssl/) that make system calls.
#pragma once

#include "common/result.h"
#include "conn/connection.h"

namespace rapidtls::io {

// Room for a whole maximum-size record and then some, so one recv() usually
// brings in at least one complete record.
constexpr size_t kReadChunk = 2 * record::kMaxRecord;

class FdStream {
 public:
  // `conn` and `fd` must outlive the stream; the stream closes neither.
  FdStream(conn::Connection& conn, int fd);
  FdStream(const FdStream&) = delete;
  FdStream& operator=(const FdStream&) = delete;

  conn::Connection& connection() { return conn_; }
  int fd() const { return fd_; }

  // Runs the handshake to completion. On failure the alert the connection
  // queued has been sent (as far as the socket took it).
  Status handshake();
  // Sends all of `data` (running the handshake first if needed).
  Status write_all(Bytes data);
  // Reads application data into `out`: at least one byte, or 0 once the
  // peer's close_notify has arrived. A transport EOF without close_notify is
  // {internal_error, SSL_R_UNEXPECTED_EOF_WHILE_READING}.
  Result<size_t> read(MutBytes out);
  // Sends whatever the connection has queued (KeyUpdate, alerts, records).
  Status flush();
  // Sends close_notify and flushes it. Does not wait for the peer's.
  Status shutdown();
  // Bounds each wait for the peer's bytes (a negative value: wait forever).
  // A wait that times out fails with {internal_error, SSL_R_READ_TIMEOUT_EXPIRED}.
  void set_read_timeout_ms(int ms) { read_timeout_ms_ = ms; }
  // The errno of the last failed system call (0 if none failed).
  int last_errno() const { return last_errno_; }

 private:
  // Receives one chunk into the connection, then flushes what it queued in
  // answer. Returns false at a transport EOF.
  Result<bool> pump();
  // Sends the alert a failed connection queued, then returns its error.
  Error fail_with(Error e);

  conn::Connection& conn_;
  int fd_;
  int last_errno_ = 0;
  int read_timeout_ms_ = -1;
};

}  // namespace rapidtls::io
