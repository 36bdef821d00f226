// Kernel TLS (Linux, docs/ktls.md): the kernel seals a socket's records. Once
// a connection's handshake is done, its sending keys go to the kernel
// (TCP_ULP "tls", then TLS_TX with the key, IV or salt and the next sequence
// number); from then on the connection queues plain records
// (Connection::hand_off_write) and these functions send their payloads:
// application data with send, other types as control messages
// (TLS_SET_RECORD_TYPE), and files with sendfile(2), which the kernel seals
// without copying them through user space. Where the kernel has no TLS
// (CONFIG_TLS off: ENOENT), or refuses the suite, nothing changes: records
// are sealed in user space as before.
#pragma once

#include <sys/types.h>

#include "conn/connection.h"
#include "io/transport.h"

namespace rapidtls::io {

// Gives the kernel of socket `fd` the connection's sending keys and hands the
// connection's write side over to it. 0 when done; else the errno of the
// refusal (ENOENT: no kernel TLS; EINVAL, ENOPROTOOPT: a suite or version
// it does not do; EBADMSG: the connection cannot hand over now) and the
// connection is unchanged.
int start_kernel_send(conn::Connection& c, int fd, KernelRecordBudget* budget);

// Sends what a handed-off connection has queued: plain records, with a key
// change (a TLS 1.3 KeyUpdate) installed in the kernel right after the
// records that go under the old keys. A kernel that refuses the new keys
// (Linux before 6.14 cannot change them: EBUSY) ends the connection without
// another record (the KeyUpdate has gone; nothing may follow under the old
// keys): `failed`, with c.error() set to SSL_R_BAD_KEY_UPDATE and the errno.
IoResult flush_kernel(conn::Connection& c, int fd, KernelRecordBudget* budget);

// The receiving side: the kernel opens the peer's records (TLS_RX). TLS 1.3
// only where the kernel can change its receiving keys (a peer may send a
// KeyUpdate whenever it likes): kernel_can_rekey_receive() tries, once per
// process, a second TLS_RX on a throwaway loopback connection (Linux 6.1
// refuses it: EBUSY); elsewhere TLS 1.3 receiving stays in user space
// (EOPNOTSUPP). 0 when done, else the errno; the connection is then unchanged.
int start_kernel_receive(conn::Connection& c, int fd);
bool kernel_can_rekey_receive();

// Reads one record's plaintext (recvmsg: the kernel gives the record type
// in a TLS_GET_RECORD_TYPE control message) into the connection as a plain
// record, which it then processes; a KeyUpdate's new keys go to the kernel
// before the next read. `failed` with c.error() set when the kernel found a
// record that does not open (EBADMSG: bad_record_mac) or refused new keys.
IoResult fill_kernel(conn::Connection& c, int fd);

// sendfile(2) of `size` bytes of `file` from `offset` to the handed-off
// socket: until all have gone, the file ends, or the socket stops.
// *sent says how many went (also when the result is want_write or failed).
// At the record limit it first changes keys as flush_kernel does.
IoResult sendfile_kernel(conn::Connection& c, int fd, int file, off_t offset, size_t size,
                         size_t* sent, KernelRecordBudget* budget);

// Whether this kernel takes a second TLS_TX on a socket (Linux 6.1 does not:
// EBUSY), tried once per process on a throwaway loopback connection.
bool kernel_can_rekey_send();

// The kernel's record sequence number for the next record of `fd`'s sending
// side (getsockopt TLS_TX); false if it cannot tell.
bool kernel_send_sequence(int fd, uint64_t* seq);

}  // namespace rapidtls::io
