// The C interface's socket path: several records leave in one system call
// (issue 3, "on a socket several records leave in one system call"), and
// nothing is lost doing so. This binary defines send() itself, counting the
// calls made on the watched socket: librapidtls-ssl.so calls send through the
// dynamic linker, which finds this definition first.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {
std::atomic<int> g_watched_fd{-1};
std::atomic<int> g_sends{0};
}  // namespace

extern "C" ssize_t send(int fd, const void* buf, size_t len, int flags) {
  if (fd == g_watched_fd.load()) g_sends.fetch_add(1);
  return syscall(SYS_sendto, fd, buf, len, flags, nullptr, 0);
}

namespace {

struct Ctx {
  SSL_CTX* server = nullptr;
  SSL_CTX* client = nullptr;
  Ctx() {
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
  ~Ctx() {
    SSL_CTX_free(server);
    SSL_CTX_free(client);
  }
};

TEST(SocketPath, SeveralRecordsLeaveInOneSystemCall) {
  Ctx ctx;
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  // Room for the whole write, so the kernel takes it in one call.
  const int big = 4 << 20;
  setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  SSL* c = SSL_new(ctx.client);
  SSL* s = SSL_new(ctx.server);
  SSL_set_fd(c, fds[0]);
  SSL_set_fd(s, fds[1]);
  std::thread server([s] { ASSERT_EQ(SSL_accept(s), 1); });
  ASSERT_EQ(SSL_connect(c), 1);
  server.join();

  std::vector<unsigned char> data(256 * 1024);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i * 131 + 7);
  g_sends = 0;
  g_watched_fd = fds[0];
  size_t written = 0;
  ASSERT_EQ(SSL_write_ex(c, data.data(), data.size(), &written), 1);
  g_watched_fd = -1;
  EXPECT_EQ(written, data.size());
  // 16 records of 2^14 bytes; a blocking socket with room takes them in one
  // send (two if the batch boundary falls inside).
  EXPECT_LE(g_sends.load(), 2) << "records were sent one system call each";
  EXPECT_GE(g_sends.load(), 1);

  std::vector<unsigned char> got;
  unsigned char buf[65536];
  while (got.size() < data.size()) {
    size_t n = 0;
    ASSERT_EQ(SSL_read_ex(s, buf, sizeof buf, &n), 1);
    got.insert(got.end(), buf, buf + n);
  }
  EXPECT_EQ(got, data) << "every byte arrived once, in order";
  SSL_free(c);
  SSL_free(s);
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
