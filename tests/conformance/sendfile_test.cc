// W3: SSL_sendfile. OpenSSL 3.0 offers it only with kernel TLS send active; rapidtls
// deliberately goes further and writes the file through a userspace path without it.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "harness.h"

namespace conformance {
namespace {

// An anonymous file holding `contents`.
Fd MakeFile(const Bytes& contents) {
  Fd f(memfd_create("conformance-w3", MFD_CLOEXEC));
  size_t off = 0;
  while (f.fd >= 0 && off < contents.size()) {
    ssize_t n = write(f.fd, contents.data() + off, contents.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  return f;
}

// Sends `size` bytes of `file` from `offset`, calling again after a short count.
// Returns the total, or the first negative return.
ossl_ssize_t SendfileAll(SSL* ssl, int file, off_t offset, size_t size) {
  size_t total = 0;
  for (int i = 0; i < 10000 && total < size; ++i) {
    ossl_ssize_t n = SSL_sendfile(ssl, file, offset + static_cast<off_t>(total), size - total, 0);
    if (n < 0) return n;
    total += static_cast<size_t>(n);
  }
  return static_cast<ossl_ssize_t>(total);
}

std::string KernelTlsAbsentReason() {
  std::ifstream ulp("/proc/sys/net/ipv4/tcp_available_ulp");
  std::stringstream list;
  list << ulp.rdbuf();
  if (list.str().find("tls") == std::string::npos) {
    return "this kernel has no kernel TLS (CONFIG_TLS off: no \"tls\" in "
           "/proc/sys/net/ipv4/tcp_available_ulp)";
  }
  return "kernel TLS send did not switch on for this connection";
}

TEST(WritePath, W3_SendfileWithoutKernelTls) {
  // An AF_UNIX socket can never carry kernel TLS, so this runs the same on any kernel.
  SocketLink l = MakeSocketLink(SocketPair(/*non_blocking=*/false, 0));
  ASSERT_EQ(HandshakeBlocking(l), "");
  ASSERT_FALSE(BIO_get_ktls_send(SSL_get_wbio(l.client.get())))
      << "precondition: no kernel TLS on a socketpair";
  Bytes contents = Pattern(100000, 3);
  Fd file = MakeFile(contents);
  ASSERT_GE(file.fd, 0) << "memfd_create";
  const off_t offset = 1000;
  const size_t size = 50000;

  if (kOracle) {
    // OpenSSL 3.0: SSL_sendfile refuses when BIO_get_ktls_send is false, with
    // SSL_R_UNINITIALIZED, and sends nothing.
    ERR_clear_error();
    ossl_ssize_t rc = SSL_sendfile(l.client.get(), file.fd, offset, size, 0);
    EXPECT_EQ(rc, -1) << "W3: OpenSSL 3.0 fails without kernel TLS";
    EXPECT_EQ(SSL_get_error(l.client.get(), static_cast<int>(rc)), SSL_ERROR_SSL)
        << "W3: as a non-retryable error";
    EXPECT_EQ(FirstErrorReason(), SSL_R_UNINITIALIZED) << "W3: " << ErrorQueueText();
    SetNonBlocking(l.fds.b.fd, true);
    ERR_clear_error();  // SSL_get_error looks at this thread's queue first
    unsigned char buf[64];
    size_t got = 0;
    int r = SSL_read_ex(l.server.get(), buf, sizeof buf, &got);
    EXPECT_EQ(SSL_get_error(l.server.get(), r), SSL_ERROR_WANT_READ)
        << "W3: the peer received nothing";
  } else {
    // rapidtls: a userspace path writes the file; the reader checks every byte.
    Bytes got;
    std::thread reader([&] { got = ReadExactly(l.server.get(), size); });
    ossl_ssize_t rc = SendfileAll(l.client.get(), file.fd, offset, size);
    if (rc < 0) shutdown(l.fds.a.fd, SHUT_RDWR);
    reader.join();
    EXPECT_EQ(rc, static_cast<ossl_ssize_t>(size))
        << "W3: rapidtls writes the file without kernel TLS; " << ErrorQueueText();
    EXPECT_EQ(Sha256Hex(got), Sha256Hex(contents.data() + offset, size))
        << "W3: exactly the bytes [offset, offset+size) of the file arrive, once";
  }
}

TEST(WritePath, W3_SendfileZeroCopyWithKernelTls) {
  SocketLink l = MakeSocketLink(TcpLoopback(/*non_blocking=*/false));
  SSL_set_options(l.client.get(), SSL_OP_ENABLE_KTLS);
  SSL_set_options(l.server.get(), SSL_OP_ENABLE_KTLS);
  ASSERT_EQ(HandshakeBlocking(l), "");
  if (!BIO_get_ktls_send(SSL_get_wbio(l.client.get()))) {
    GTEST_SKIP() << "W3 zero-copy path needs kernel TLS: " << KernelTlsAbsentReason();
  }
  Bytes contents = Pattern(200000, 33);
  Fd file = MakeFile(contents);
  ASSERT_GE(file.fd, 0) << "memfd_create";
  const off_t offset = 4096;
  const size_t size = 150000;
  Bytes got;
  std::thread reader([&] { got = ReadExactly(l.server.get(), size); });
  ossl_ssize_t rc = SendfileAll(l.client.get(), file.fd, offset, size);
  if (rc < 0) shutdown(l.fds.a.fd, SHUT_RDWR);
  reader.join();
  EXPECT_EQ(rc, static_cast<ossl_ssize_t>(size)) << "W3: sendfile writes the whole range";
  EXPECT_EQ(Sha256Hex(got), Sha256Hex(contents.data() + offset, size))
      << "W3: exactly the bytes [offset, offset+size) arrive, once";
}

}  // namespace
}  // namespace conformance
