// The one write loop: seals a caller's application data into records and
// moves them over a transport, for SSL_write_ex/SSL_write, SSL_sendfile's
// pieces and FdStream::write_all alike. The transport policy lives here (how
// many records to seal per transport call, asking the transport how much it
// takes, a BIO pair's zero-copy path and its full-pair reservation); the C
// interface keeps the rules of SSL_write(3) about retries (W12, W13) and maps
// the outcome onto OpenSSL's vocabulary.
#pragma once

#include "io/transport.h"

namespace rapidtls::io {

// How far one write of a caller's buffer has got. It survives a stop
// (WANT_WRITE, WANT_READ): the caller repeats the write with the same buffer
// and the same AppWrite, and sealing resumes after `sealed`, so no byte is
// sent twice or lost (W12).
struct AppWrite {
  size_t sealed = 0;  // bytes of the buffer sealed into records
  // Bytes after `sealed` counted as taken though not sealed yet: the record a
  // full BIO pair could not take. OpenSSL seals that record into a buffer of
  // its own and copies it into the pair once there is room; here the record
  // is only reserved and sealed straight into the pair when the write is
  // repeated (no copy). The caller's retry rules count these bytes as taken,
  // as the record OpenSSL holds is (W13).
  size_t reserved = 0;

  void took(size_t n) {
    sealed += n;
    reserved -= reserved < n ? reserved : n;
  }
};

struct AppWriteMode {
  // Done as soon as one record's bytes have left (SSL_MODE_ENABLE_PARTIAL_
  // WRITE, W11): each step seals one record, and a full BIO pair gets no
  // reservation (the record is sealed aside; its length is the count).
  bool partial = false;
  // The caller knows the transport blocks (SSL_sendfile asks once per call):
  // records are sealed a batch at a time without asking the transport how
  // much it takes first.
  bool blocking = false;
};

// Writes `data` (the whole caller's buffer; `w` says how much of it is
// already sealed): flushes what is queued, seals the next records, and
// repeats until everything has left the connection (in partial mode: once
// something has). `done` then, with w.sealed the count; otherwise the
// transport's stop (want_write, want_read, no_bio, failed with errno_value)
// or `failed` with the engine's error, `w` kept for a retry of the same
// write. The send buffer is kept across batches; the caller decides when it
// goes back (Connection::release_send_buffer).
//
// Per batch it seals what the transport can take now, at least one record,
// so that when a non-blocking transport fills up a single record is in
// flight, as in OpenSSL (the bytes already taken on WANT_WRITE are those of
// OpenSSL: W12, W13). Blocking transports and roomy sockets get up to
// kStreamWriteMax of whole records per transport write (more records with a
// peer's smaller record_size_limit, RFC 8449), which also keeps a 1 GiB write
// from being buffered whole.
IoResult write_app(conn::Connection& c, const Transport& t, Bytes data, AppWrite& w,
                   AppWriteMode mode);

// Reads up to out.size() bytes of file `fd` at `offset` (pread, retried on
// EINTR): the count (0 at the end of the file), or `failed` with errno_value.
struct FileRead {
  IoResult result;
  size_t bytes = 0;
};
FileRead read_file_at(int fd, MutBytes out, off_t offset);

}  // namespace rapidtls::io
