#include "io/socket.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>

namespace rapidtls::io {

namespace {

Error sys_error(int* out_errno) {
  if (out_errno != nullptr) *out_errno = errno;
  return Error{Alert::internal_error, ERR_R_SYS_LIB};
}

// Records leave as soon as they are written: a TLS flight is one send().
void set_nodelay(int fd) {
  const int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

void close_fd(int fd) {
  if (fd >= 0) (void)::close(fd);
}

void close_lingering(int fd, int timeout_ms) {
  if (fd < 0) return;
  if (::shutdown(fd, SHUT_WR) == 0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    uint8_t sink[4096];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      const ssize_t n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n <= 0) break;  // the peer closed, or the connection failed
    }
  }
  (void)::close(fd);
}

Result<int> connect_tcp(const std::string& host, uint16_t port, int* out_errno) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &list) != 0) {
    if (out_errno != nullptr) *out_errno = EHOSTUNREACH;
    return Error{Alert::internal_error, ERR_R_SYS_LIB};
  }
  int saved = ECONNREFUSED;
  int fd = -1;
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      saved = errno;
      continue;
    }
    int r;
    do {
      r = ::connect(fd, a->ai_addr, a->ai_addrlen);
    } while (r < 0 && errno == EINTR);
    if (r == 0) break;
    saved = errno;
    close_fd(fd);
    fd = -1;
  }
  ::freeaddrinfo(list);
  if (fd < 0) {
    errno = saved;
    return sys_error(out_errno);
  }
  set_nodelay(fd);
  return fd;
}

Result<int> listen_tcp(const std::string& address, uint16_t port, int* out_errno) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof *v6;
  } else {
    errno = EINVAL;
    return sys_error(out_errno);
  }
  const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_error(out_errno);
  const int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, 16) != 0) {
    Error e = sys_error(out_errno);
    close_fd(fd);
    return e;
  }
  return fd;
}

Result<uint16_t> local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return sys_error(nullptr);
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

Result<int> accept_one(int listen_fd, int* out_errno) {
  int fd;
  do {
    fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return sys_error(out_errno);
  set_nodelay(fd);
  return fd;
}

}  // namespace rapidtls::io
