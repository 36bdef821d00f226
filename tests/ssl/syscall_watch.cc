#include "syscall_watch.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <ctime>
#include <mutex>

namespace ssltest {

std::atomic<int> g_watched_fd{-1};
std::atomic<int> g_sends{0};
std::atomic<size_t> g_send_max{0};
std::atomic<size_t> g_send_unit{0};
std::atomic<int> g_sends_off_unit{0};
std::atomic<int> g_fcntls{0};
std::atomic<int> g_polls{0};
std::atomic<int> g_watched_file{-1};
std::atomic<int> g_preads{0};
std::atomic<size_t> g_pread_bytes{0};
std::atomic<int> g_short_sleeps{0};
std::atomic<int> g_waits_after_short{0};
std::atomic<int> g_unpolled_after_short{0};

namespace {
// The reader's wait in progress (only the reader's thread reads the watched
// socket, so these change in its order).
std::atomic<bool> g_in_wait{false};        // a MSG_DONTWAIT recv() found nothing
std::atomic<bool> g_polled{false};         // and a poll() followed it
std::atomic<bool> g_after_short{false};    // the last sleep was short
std::atomic<bool> g_checking_wait{false};  // this wait follows a short sleep
std::mutex g_pread_sizes_mutex;
std::vector<size_t> g_pread_sizes;
}  // namespace

std::vector<size_t> PreadSizes() {
  std::lock_guard<std::mutex> lock(g_pread_sizes_mutex);
  return g_pread_sizes;
}

void Watch(int fd, int file) {
  g_watched_fd = -1;
  g_watched_file = -1;
  g_sends = 0;
  g_send_max = 0;
  g_send_unit = 0;
  g_sends_off_unit = 0;
  g_fcntls = 0;
  g_polls = 0;
  g_preads = 0;
  g_pread_bytes = 0;
  g_short_sleeps = 0;
  g_waits_after_short = 0;
  g_unpolled_after_short = 0;
  g_in_wait = false;
  g_polled = false;
  g_after_short = false;
  g_checking_wait = false;
  {
    std::lock_guard<std::mutex> lock(g_pread_sizes_mutex);
    g_pread_sizes.clear();
  }
  g_watched_fd = fd;
  g_watched_file = file;
}

Ctx::Ctx() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, X509_get_subject_name(x));
  X509_sign(x, key, EVP_sha256());
  server = SSL_CTX_new(TLS_server_method());
  client = SSL_CTX_new(TLS_client_method());
  SSL_CTX_use_certificate(server, x);
  SSL_CTX_use_PrivateKey(server, key);
  X509_free(x);
  EVP_PKEY_free(key);
}

Ctx::~Ctx() {
  SSL_CTX_free(server);
  SSL_CTX_free(client);
}

}  // namespace ssltest

extern "C" ssize_t send(int fd, const void* buf, size_t len, int flags) {
  if (fd == ssltest::g_watched_fd.load()) {
    ssltest::g_sends.fetch_add(1);
    size_t max = ssltest::g_send_max.load();
    while (len > max && !ssltest::g_send_max.compare_exchange_weak(max, len)) {
    }
    const size_t unit = ssltest::g_send_unit.load();
    if (unit != 0 && len % unit != 0) ssltest::g_sends_off_unit.fetch_add(1);
  }
  return syscall(SYS_sendto, fd, buf, len, flags, nullptr, 0);
}

extern "C" ssize_t pread(int fd, void* buf, size_t count, off_t offset) {
  const long n = syscall(SYS_pread64, fd, buf, count, offset);
  if (fd == ssltest::g_watched_file.load()) {
    ssltest::g_preads.fetch_add(1);
    {
      std::lock_guard<std::mutex> lock(ssltest::g_pread_sizes_mutex);
      ssltest::g_pread_sizes.push_back(count);
    }
    if (n > 0) ssltest::g_pread_bytes.fetch_add(static_cast<size_t>(n));
  }
  return n;
}

extern "C" int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  const long arg = va_arg(ap, long);  // every command the library uses takes an int or none
  va_end(ap);
  if (fd == ssltest::g_watched_fd.load()) ssltest::g_fcntls.fetch_add(1);
  return static_cast<int>(syscall(SYS_fcntl, fd, cmd, arg));
}

extern "C" int poll(struct pollfd* fds, nfds_t nfds, int timeout) {
  const int watched = ssltest::g_watched_fd.load();
  for (nfds_t i = 0; i < nfds; ++i) {
    if (fds[i].fd == watched && watched >= 0) {
      ssltest::g_polls.fetch_add(1);
      const timespec ts{timeout / 1000, (timeout % 1000) * 1000000L};
      const int r = static_cast<int>(
          syscall(SYS_ppoll, fds, nfds, timeout < 0 ? nullptr : &ts, nullptr, size_t{8}));
      ssltest::g_polled = true;
      if (r > 0) ssltest::g_in_wait = false;  // the poll caught the data: no sleep
      return r;
    }
  }
  const timespec ts{timeout / 1000, (timeout % 1000) * 1000000L};
  return static_cast<int>(
      syscall(SYS_ppoll, fds, nfds, timeout < 0 ? nullptr : &ts, nullptr, size_t{8}));
}

namespace {
long monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000L + ts.tv_nsec;
}
}  // namespace

extern "C" ssize_t recv(int fd, void* buf, size_t len, int flags) {
  using namespace ssltest;
  if (fd != g_watched_fd.load() || fd < 0) {
    return syscall(SYS_recvfrom, fd, buf, len, flags, nullptr, nullptr);
  }
  if ((flags & MSG_DONTWAIT) != 0) {
    const ssize_t n = syscall(SYS_recvfrom, fd, buf, len, flags, nullptr, nullptr);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const int saved = errno;
      g_in_wait = true;
      g_polled = false;
      g_checking_wait = g_after_short.exchange(false);
      if (g_checking_wait) g_waits_after_short.fetch_add(1);
      errno = saved;
    }
    return n;
  }
  const bool sleep = g_in_wait.exchange(false);
  if (sleep && g_checking_wait.exchange(false) && !g_polled) g_unpolled_after_short.fetch_add(1);
  const long t0 = monotonic_ns();
  const ssize_t n = syscall(SYS_recvfrom, fd, buf, len, flags, nullptr, nullptr);
  const int saved = errno;
  if (sleep && monotonic_ns() - t0 < kShortSleepNs) {
    g_short_sleeps.fetch_add(1);
    g_after_short = true;
  }
  errno = saved;
  return n;
}
