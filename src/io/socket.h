// Plain TCP sockets for the stream helpers and the test programs: connect
// to a host, listen on an address, accept one peer. Blocking sockets; the
// caller owns (and closes) the returned descriptors.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace rapidtls::io {

// Connects to `host` (a name or an address literal) on `port`, trying each
// address the resolver gives. A failure is {internal_error, ERR_R_SYS_LIB};
// `out_errno` (when given) receives the last errno.
Result<int> connect_tcp(const std::string& host, uint16_t port, int* out_errno = nullptr);

// A listening socket on `address` (an IPv4 or IPv6 literal) and `port`; port
// 0 lets the kernel choose (see local_port()).
Result<int> listen_tcp(const std::string& address, uint16_t port, int* out_errno = nullptr);

// The local port a socket is bound to.
Result<uint16_t> local_port(int fd);

// Accepts one connection on a listening socket.
Result<int> accept_one(int listen_fd, int* out_errno = nullptr);

// Closes a descriptor (ignoring EINTR).
void close_fd(int fd);

// Closes a TCP socket after a failure without losing what was sent last (a
// fatal alert): closing with received bytes still unread makes the kernel
// send a reset, and a peer that meets it may never read the alert. So the
// write side is shut first and what still arrives is read and dropped, until
// the peer closes or `timeout_ms` has passed; then the socket is closed.
void close_lingering(int fd, int timeout_ms = 1000);

}  // namespace rapidtls::io
