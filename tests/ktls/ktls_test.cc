// Kernel TLS through the C interface (docs/ktls.md): a rapidtls
// server with SSL_OP_ENABLE_KTLS on a loopback TCP socket hands its sending
// keys to the kernel; SSL_sendfile then calls sendfile(2) and the kernel seals
// the records. The receiver opens them in user space: rapidtls in a thread
// here, and `openssl s_client` (KtlsOpenSslPeer.*). Every transfer is checked
// by SHA-256; /proc/net/tls_stat must show the kernel's records, and
// sendfile(2) and pread(2) are counted (this binary defines both; the library
// calls them through the dynamic linker).
//
// On a kernel without kernel TLS (CONFIG_TLS off) every test skips, saying
// why; in Debian's kernel under qemu (scripts/ktls_vm.sh) they must run.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

std::atomic<int> g_sendfiles{0};
std::atomic<int> g_preads{0};

}  // namespace

extern "C" ssize_t sendfile(int out, int in, off_t* offset, size_t count) {
  g_sendfiles.fetch_add(1);
  return syscall(SYS_sendfile, out, in, offset, count);
}

extern "C" ssize_t pread(int fd, void* buf, size_t count, off_t offset) {
  g_preads.fetch_add(1);
  return syscall(SYS_pread64, fd, buf, count, offset);
}

namespace {

// ---- helpers ------------------------------------------------------------------------------

std::string sha256_hex(const void* data, size_t n) {
  unsigned char md[32];
  unsigned int len = 0;
  EVP_Digest(data, n, md, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::vector<unsigned char> pattern(size_t n, unsigned seed) {
  std::vector<unsigned char> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : v) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<unsigned char>(x);
  }
  return v;
}

// A file holding `data` (memfd: in the guest as here, no disk needed).
int make_file(const std::vector<unsigned char>& data) {
  const int fd = memfd_create("ktls", 0);
  if (fd < 0) return -1;
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t w = write(fd, data.data() + off, data.size() - off);
    if (w <= 0) {
      close(fd);
      return -1;
    }
    off += static_cast<size_t>(w);
  }
  return fd;
}

// /proc/net/tls_stat as name -> value (empty without the tls module).
std::map<std::string, long> tls_stat() {
  std::map<std::string, long> m;
  std::ifstream f("/proc/net/tls_stat");
  std::string name;
  long v;
  while (f >> name >> v) m[name] = v;
  return m;
}

// A connected loopback pair: fds[0] the server's end, fds[1] the client's.
bool tcp_pair(int fds[2]) {
  const int l = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(l, 1) != 0 ||
      getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(l);
    return false;
  }
  fds[1] = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fds[1], reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(l);
    return false;
  }
  fds[0] = accept(l, nullptr, nullptr);
  close(l);
  // Nothing here may hang: blocking calls give up after 60 s.
  const timeval tv{60, 0};
  for (int i = 0; i < 2; ++i) {
    setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fds[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  return fds[0] >= 0;
}

// Why this kernel cannot do kernel TLS ("" when it can).
std::string kernel_tls_absent() {
  int fds[2];
  if (!tcp_pair(fds)) return std::string("no loopback connection: ") + strerror(errno);
  std::string why;
  if (setsockopt(fds[1], SOL_TCP, TCP_ULP, "tls", sizeof "tls") != 0) {
    why = std::string("setsockopt(TCP_ULP, \"tls\") failed: ") + strerror(errno) +
          " (this kernel has no kernel TLS; scripts/ktls_vm.sh runs these tests in one that has)";
  }
  close(fds[0]);
  close(fds[1]);
  return why;
}

// Whether this kernel takes a second TLS_RX on a socket (a TLS 1.3 key
// change): Linux 6.1 refuses it (EBUSY). Tried on a throwaway connection.
bool kernel_changes_receive_keys() {
  int fds[2];
  if (!tcp_pair(fds)) return false;
  tls12_crypto_info_aes_gcm_128 ci{};
  ci.info.version = TLS_1_3_VERSION;
  ci.info.cipher_type = TLS_CIPHER_AES_GCM_128;
  const bool can = setsockopt(fds[0], SOL_TCP, TCP_ULP, "tls", sizeof "tls") == 0 &&
                   setsockopt(fds[0], SOL_TLS, TLS_RX, &ci, sizeof ci) == 0 &&
                   setsockopt(fds[0], SOL_TLS, TLS_RX, &ci, sizeof ci) == 0;
  close(fds[0]);
  close(fds[1]);
  return can;
}

struct Pki {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  Pki() {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    X509_sign(cert, key, EVP_sha256());
  }
  ~Pki() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

const Pki& pki() {
  static Pki p;
  return p;
}

struct Suite {
  const char* name;     // for the test's name
  int version;          // TLS1_3_VERSION or TLS1_2_VERSION
  const char* ciphers;  // SSL_CTX_set_ciphersuites (1.3) or set_cipher_list (1.2)
};

const Suite kSuites[] = {
    {"tls13_aes128gcm", TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256"},
    {"tls13_aes256gcm", TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384"},
    {"tls13_chacha20", TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256"},
    {"tls12_aes128gcm", TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"tls12_aes256gcm", TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"tls12_chacha20", TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305"},
};

SSL_CTX* server_ctx(const Suite& s) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(ctx, pki().cert);
  SSL_CTX_use_PrivateKey(ctx, pki().key);
  SSL_CTX_set_min_proto_version(ctx, s.version);
  SSL_CTX_set_max_proto_version(ctx, s.version);
  if (s.version == TLS1_3_VERSION) {
    SSL_CTX_set_ciphersuites(ctx, s.ciphers);
  } else {
    SSL_CTX_set_cipher_list(ctx, s.ciphers);
  }
  SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
  return ctx;
}

std::string errors() {
  std::string out;
  unsigned long e;
  char buf[256];
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof buf);
    out += buf;
    out += "; ";
  }
  return out;
}

// A rapidtls server with kernel TLS and a rapidtls client (user space), connected.
struct Link {
  SSL_CTX* sctx = nullptr;
  SSL_CTX* cctx = nullptr;
  SSL* server = nullptr;
  SSL* client = nullptr;
  int fds[2] = {-1, -1};
  bool ok = false;

  explicit Link(const Suite& suite, bool client_ktls = true, bool server_ktls = true) {
    sctx = server_ctx(suite);
    if (!server_ktls) SSL_CTX_clear_options(sctx, SSL_OP_ENABLE_KTLS);
    cctx = SSL_CTX_new(TLS_client_method());
    // The client receives through the kernel where it can (TLS 1.2; TLS 1.3
    // where the kernel can change receiving keys).
    if (client_ktls) SSL_CTX_set_options(cctx, SSL_OP_ENABLE_KTLS);
    if (!tcp_pair(fds)) return;
    server = SSL_new(sctx);
    client = SSL_new(cctx);
    SSL_set_fd(server, fds[0]);
    SSL_set_fd(client, fds[1]);
    int client_rc = 0;
    std::thread t([&] { client_rc = SSL_connect(client); });
    const int server_rc = SSL_accept(server);
    t.join();
    ok = server_rc == 1 && client_rc == 1;
    if (!ok) ADD_FAILURE() << "handshake: " << errors();
  }
  ~Link() {
    SSL_free(server);
    SSL_free(client);
    for (int fd : fds) {
      if (fd >= 0) close(fd);
    }
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
  }
  bool kernel_sends() const { return BIO_get_ktls_send(SSL_get_wbio(server)) == 1; }
  bool kernel_receives() const { return BIO_get_ktls_recv(SSL_get_rbio(client)) == 1; }
};

// Reads exactly n bytes (or until the connection ends) from a blocking SSL.
std::vector<unsigned char> read_exactly(SSL* s, size_t n, std::string* why) {
  std::vector<unsigned char> got(n);
  size_t have = 0;
  while (have < n) {
    size_t r = 0;
    if (SSL_read_ex(s, got.data() + have, n - have, &r) != 1) {
      *why = "SSL_read_ex: error " + std::to_string(SSL_get_error(s, 0)) + " " + errors();
      break;
    }
    have += r;
  }
  got.resize(have);
  return got;
}

// SSL_sendfile until `size` bytes have gone, waiting on a non-blocking socket.
ossl_ssize_t sendfile_all(SSL* s, int fd, int file, off_t offset, size_t size, int* want_writes) {
  size_t done = 0;
  while (done < size) {
    const ossl_ssize_t r = SSL_sendfile(s, file, offset + static_cast<off_t>(done), size - done, 0);
    if (r > 0) {
      done += static_cast<size_t>(r);
      continue;
    }
    if (r == 0) break;
    if (SSL_get_error(s, static_cast<int>(r)) != SSL_ERROR_WANT_WRITE) return -1;
    ++*want_writes;
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, 60000) != 1) return -1;
  }
  return static_cast<ossl_ssize_t>(done);
}

// ---- the matrix: each suite, both versions, blocking and not, each size ---------------------

struct Case {
  const Suite* suite;
  bool nonblocking;
};

std::string case_name(const testing::TestParamInfo<Case>& info) {
  return std::string(info.param.suite->name) +
         (info.param.nonblocking ? "_nonblocking" : "_blocking");
}

class KtlsSendfile : public testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    const std::string why = kernel_tls_absent();
    if (!why.empty()) GTEST_SKIP() << why;
  }
};

TEST_P(KtlsSendfile, SizesAtOffsetsArriveWholeAndTheKernelSealedThem) {
  const Case& c = GetParam();
  const auto before = tls_stat();  // the handshake's end already hands the keys over
  Link l(*c.suite);
  ASSERT_TRUE(l.ok);
  ASSERT_TRUE(l.kernel_sends()) << "the kernel has TLS, but BIO_get_ktls_send is 0 for "
                                << c.suite->name;
  // Receiving: TLS 1.2 always; TLS 1.3 only where the kernel can follow the
  // peer's KeyUpdates (docs/ktls.md).
  const bool want_receive = c.suite->version == TLS1_2_VERSION || kernel_changes_receive_keys();
  EXPECT_EQ(l.kernel_receives(), want_receive) << c.suite->name;
  const auto data = pattern(10 * 1024 * 1024 + 8192, 7);
  const int file = make_file(data);
  ASSERT_GE(file, 0);
  if (c.nonblocking) fcntl(l.fds[0], F_SETFL, fcntl(l.fds[0], F_GETFL) | O_NONBLOCK);
  g_sendfiles = 0;
  g_preads = 0;
  int want_writes = 0;
  // 0 B, 1 B, 16 KiB, 16 KiB + 1 and 10 MiB, each at an offset of its own.
  const std::pair<size_t, off_t> kTransfers[] = {
      {0, 5}, {1, 77}, {16384, 3}, {16385, 4095}, {10 * 1024 * 1024, 4097}};
  for (const auto& transfer : kTransfers) {
    // (Named copies: clang 14 cannot capture structured bindings in lambdas.)
    const size_t size = transfer.first;
    const off_t offset = transfer.second;
    std::string why;
    std::vector<unsigned char> got;
    std::thread reader([&] { got = read_exactly(l.client, size, &why); });
    const ossl_ssize_t r = sendfile_all(l.server, l.fds[0], file, offset, size, &want_writes);
    if (r != static_cast<ossl_ssize_t>(size)) shutdown(l.fds[0], SHUT_RDWR);
    reader.join();
    EXPECT_EQ(r, static_cast<ossl_ssize_t>(size))
        << "SSL_sendfile of " << size << " B: " << errors();
    EXPECT_EQ(why, "");
    EXPECT_EQ(sha256_hex(got.data(), got.size()), sha256_hex(data.data() + offset, size))
        << size << " B at offset " << offset << " arrive exactly once, in order";
  }
  // And SSL_write through the kernel, then close_notify as a control record.
  const char kTail[] = "written after the files";
  std::string why;
  std::vector<unsigned char> got;
  std::thread reader([&] { got = read_exactly(l.client, sizeof kTail, &why); });
  size_t w = 0;
  while (SSL_write_ex(l.server, kTail, sizeof kTail, &w) != 1) {
    ASSERT_EQ(SSL_get_error(l.server, 0), SSL_ERROR_WANT_WRITE) << errors();
    pollfd p{l.fds[0], POLLOUT, 0};
    poll(&p, 1, 60000);
  }
  reader.join();
  EXPECT_EQ(std::string(got.begin(), got.end()), std::string(kTail, sizeof kTail)) << why;
  int sd = SSL_shutdown(l.server);
  for (int i = 0; sd < 0 && i < 1000; ++i) {
    pollfd p{l.fds[0], POLLOUT, 0};
    poll(&p, 1, 1000);
    sd = SSL_shutdown(l.server);
  }
  EXPECT_EQ(sd, 0) << "close_notify sent";
  unsigned char b;
  EXPECT_EQ(SSL_read(l.client, &b, 1), 0);
  EXPECT_EQ(SSL_get_error(l.client, 0), SSL_ERROR_ZERO_RETURN)
      << "the client opened the kernel's close_notify: " << errors();

  const auto after = tls_stat();
  EXPECT_GT(after.at("TlsTxSw"), before.count("TlsTxSw") ? before.at("TlsTxSw") : 0)
      << "/proc/net/tls_stat counts a socket whose records the kernel sealed";
  if (want_receive) {
    EXPECT_GT(after.at("TlsRxSw"), before.count("TlsRxSw") ? before.at("TlsRxSw") : 0)
        << "and one whose records it opened";
  }
  EXPECT_GT(g_sendfiles.load(), 0) << "SSL_sendfile called sendfile(2)";
  EXPECT_EQ(g_preads.load(), 0) << "nothing went through the user-space pread path";
  if (c.nonblocking) {
    std::printf("[ info ] %s: %d WANT_WRITE retries\n", c.suite->name, want_writes);
  }
  close(file);
}

std::vector<Case> all_cases() {
  std::vector<Case> v;
  for (const Suite& s : kSuites) {
    v.push_back({&s, false});
    v.push_back({&s, true});
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Suites, KtlsSendfile, testing::ValuesIn(all_cases()), case_name);

// ---- key changes ------------------------------------------------------------------------------

class KtlsKeyUpdate : public testing::TestWithParam<const Suite*> {
 protected:
  void SetUp() override {
    const std::string why = kernel_tls_absent();
    if (!why.empty()) GTEST_SKIP() << why;
  }
};

// Writes `text` from the server; returns 1, or 0 with *error the SSL_get_error.
int server_write(Link& l, const std::string& text, int* error) {
  size_t w = 0;
  if (SSL_write_ex(l.server, text.data(), text.size(), &w) == 1) return 1;
  *error = SSL_get_error(l.server, 0);
  return 0;
}

// The peer asks for a KeyUpdate (update_requested): the server must send its
// own and change its sending keys before its next data. A kernel that can
// change the keys of a kTLS socket takes the new ones and the data arrives
// under them; one that cannot (Linux 6.1: EBUSY) ends the connection right
// after the KeyUpdate, and nothing is ever sent under the old keys (the
// client would see bad_record_mac).
TEST_P(KtlsKeyUpdate, PeerRequestedKeyUpdateNeverLeavesAStaleKeyRecord) {
  Link l(*GetParam(), /*client_ktls=*/false);  // the peer changes its keys in user space
  ASSERT_TRUE(l.ok);
  ASSERT_TRUE(l.kernel_sends());
  int error = 0;
  ASSERT_EQ(server_write(l, "before", &error), 1);
  std::string why;
  auto got = read_exactly(l.client, 6, &why);
  ASSERT_EQ(std::string(got.begin(), got.end()), "before") << why;
  ASSERT_EQ(SSL_key_update(l.client, SSL_KEY_UPDATE_REQUESTED), 1);
  size_t w = 0;
  ASSERT_EQ(SSL_write_ex(l.client, "x", 1, &w), 1);  // carries the KeyUpdate to the server
  unsigned char x;
  ASSERT_EQ(SSL_read(l.server, &x, 1), 1) << errors();  // the server takes it (user space)
  const int wrote = server_write(l, "after", &error);
  const std::string server_errors = errors();
  if (wrote == 1) {
    std::printf("[ info ] this kernel changed the sending keys (TLS_TX again)\n");
    got = read_exactly(l.client, 5, &why);
    EXPECT_EQ(std::string(got.begin(), got.end()), "after") << why;
  } else {
    std::printf("[ info ] this kernel refused the new keys: %s\n", server_errors.c_str());
    EXPECT_EQ(error, SSL_ERROR_SSL);
    EXPECT_NE(server_errors.find("bad key update"), std::string::npos) << server_errors;
    // The server gives up the connection; the client sees it end (after the
    // KeyUpdate, which it takes) and never a record under the old keys.
    shutdown(l.fds[0], SHUT_RDWR);
    got = read_exactly(l.client, 5, &why);
    EXPECT_TRUE(got.empty());
    EXPECT_EQ(why.find("bad record mac"), std::string::npos) << why;
    EXPECT_EQ(why.find("decryption failed"), std::string::npos) << why;
    // And the server stays failed.
    EXPECT_EQ(server_write(l, "again", &error), 0);
  }
}

// The server's own SSL_key_update on a kernel-TLS socket: the same rule.
TEST_P(KtlsKeyUpdate, OwnKeyUpdateNeverLeavesAStaleKeyRecord) {
  Link l(*GetParam());
  ASSERT_TRUE(l.ok);
  ASSERT_TRUE(l.kernel_sends());
  ASSERT_EQ(SSL_key_update(l.server, SSL_KEY_UPDATE_NOT_REQUESTED), 1);
  int error = 0;
  const int wrote = server_write(l, "after", &error);
  const std::string server_errors = errors();
  std::string why;
  if (wrote == 1) {
    auto got = read_exactly(l.client, 5, &why);
    EXPECT_EQ(std::string(got.begin(), got.end()), "after") << why;
  } else {
    EXPECT_EQ(error, SSL_ERROR_SSL);
    EXPECT_NE(server_errors.find("bad key update"), std::string::npos) << server_errors;
    shutdown(l.fds[0], SHUT_RDWR);
    auto got = read_exactly(l.client, 5, &why);
    EXPECT_TRUE(got.empty());
    EXPECT_EQ(why.find("bad record mac"), std::string::npos) << why;
  }
}

const Suite* const kTls13Suites[] = {&kSuites[0], &kSuites[1], &kSuites[2]};
INSTANTIATE_TEST_SUITE_P(Tls13, KtlsKeyUpdate, testing::ValuesIn(kTls13Suites),
                         [](const testing::TestParamInfo<const Suite*>& i) {
                           return std::string(i.param->name);
                         });

// TLS 1.2: the kernel cannot take a new handshake's keys, so a renegotiation
// the client asks for is declined with no_renegotiation (a warning, sent by
// the kernel as a control record); the server's connection goes on, and the
// client (as OpenSSL's) ends its attempt with handshake_failure.
TEST(KtlsTls12, RenegotiationIsDeclinedWithAWarningTheKernelSends) {
  const std::string absent = kernel_tls_absent();
  if (!absent.empty()) GTEST_SKIP() << absent;
  Link l(kSuites[3], /*client_ktls=*/false);  // a client that can renegotiate
  ASSERT_TRUE(l.ok);
  ASSERT_TRUE(l.kernel_sends());
  fcntl(l.fds[1], F_SETFL, fcntl(l.fds[1], F_GETFL) | O_NONBLOCK);
  ASSERT_EQ(SSL_renegotiate(l.client), 1);
  ASSERT_EQ(SSL_do_handshake(l.client), -1);  // the ClientHello left
  ASSERT_EQ(SSL_get_error(l.client, -1), SSL_ERROR_WANT_READ) << errors();
  // The server takes the ClientHello and declines it.
  fcntl(l.fds[0], F_SETFL, fcntl(l.fds[0], F_GETFL) | O_NONBLOCK);
  pollfd p{l.fds[0], POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 30000), 1);
  unsigned char x;
  EXPECT_EQ(SSL_read(l.server, &x, 1), -1);
  EXPECT_EQ(SSL_get_error(l.server, -1), SSL_ERROR_WANT_READ) << errors();
  int error = 0;
  EXPECT_EQ(server_write(l, "still", &error), 1) << errors();
  EXPECT_TRUE(l.kernel_sends());
  // The client reads the warning (the kernel sealed it as an alert record).
  fcntl(l.fds[1], F_SETFL, fcntl(l.fds[1], F_GETFL) & ~O_NONBLOCK);
  EXPECT_LE(SSL_do_handshake(l.client), 0);
  const std::string client_errors = errors();
  EXPECT_NE(client_errors.find("no renegotiation"), std::string::npos) << client_errors;
}

// A record that does not open under the keys, arriving at a socket whose
// kernel opens the records: the read fails with bad_record_mac's reason, as in
// user space (RFC 5246 6.2.3.3 / RFC 8446 5.2), and nothing is delivered.
TEST(KtlsReceive, ARecordThatDoesNotOpenIsBadRecordMac) {
  const std::string absent = kernel_tls_absent();
  if (!absent.empty()) GTEST_SKIP() << absent;
  // The server seals in user space: a send() on its socket is then raw bytes
  // (on a kernel-TLS socket the kernel would seal them as data).
  Link l(kSuites[3], /*client_ktls=*/true, /*server_ktls=*/false);
  ASSERT_TRUE(l.ok);
  ASSERT_TRUE(l.kernel_receives());
  // Straight onto the server's socket, around its TLS: a forged record.
  unsigned char forged[5 + 8 + 20 + 16] = {23, 3, 3, 0, 8 + 20 + 16};
  for (size_t i = 5; i < sizeof forged; ++i) forged[i] = static_cast<unsigned char>(i * 7);
  ASSERT_EQ(send(l.fds[0], forged, sizeof forged, 0), static_cast<ssize_t>(sizeof forged));
  unsigned char buf[64];
  EXPECT_LE(SSL_read(l.client, buf, sizeof buf), 0);
  EXPECT_EQ(SSL_get_error(l.client, 0), SSL_ERROR_SSL);
  const std::string e = errors();
  EXPECT_NE(e.find("decryption failed or bad record mac"), std::string::npos) << e;
}

// ---- a user-space peer that is not rapidtls: openssl s_client ----------------------------

class KtlsOpenSslPeer : public testing::TestWithParam<const Suite*> {
 protected:
  void SetUp() override {
    const std::string why = kernel_tls_absent();
    if (!why.empty()) GTEST_SKIP() << why;
    if (system("command -v openssl >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "no openssl command (Debian's package openssl)";
    }
  }
};

TEST_P(KtlsOpenSslPeer, SClientReceivesTheFileIntact) {
  const Suite& suite = *GetParam();
  SSL_CTX* ctx = server_ctx(suite);
  const int l = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(l, 1), 0);
  ASSERT_EQ(getsockname(l, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const auto data = pattern(3 * 1024 * 1024 + 100, 11);
  const int file = make_file(data);
  const off_t offset = 100;
  const size_t size = data.size() - offset;
  char out_path[] = "/tmp/ktls_s_client_XXXXXX";
  const int out = mkstemp(out_path);
  ASSERT_GE(out, 0);
  const std::string version = suite.version == TLS1_3_VERSION ? "-tls1_3" : "-tls1_2";
  const std::string ciphers = suite.version == TLS1_3_VERSION
                                  ? std::string("-ciphersuites ") + suite.ciphers
                                  : std::string("-cipher ") + suite.ciphers;
  // s_client reads until the server's close_notify (its stdin stays open).
  const std::string cmd_open = "sleep 600 | openssl s_client -quiet " + version + " " + ciphers +
                               " -connect 127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + " >" +
                               out_path + " 2>/dev/null";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", cmd_open.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const int fd = accept(l, nullptr, nullptr);
  close(l);
  ASSERT_GE(fd, 0);
  SSL* s = SSL_new(ctx);
  SSL_set_fd(s, fd);
  ASSERT_EQ(SSL_accept(s), 1) << errors();
  ASSERT_TRUE(BIO_get_ktls_send(SSL_get_wbio(s)) == 1);
  int want_writes = 0;
  EXPECT_EQ(sendfile_all(s, fd, file, offset, size, &want_writes), static_cast<ossl_ssize_t>(size))
      << errors();
  SSL_shutdown(s);
  // s_client ends on close_notify; its output then holds the file.
  for (int i = 0; i < 600; ++i) {
    struct stat st {};
    if (fstat(out, &st) == 0 && static_cast<size_t>(st.st_size) >= size) break;
    usleep(100000);
  }
  usleep(200000);
  kill(-pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  std::vector<unsigned char> got;
  {
    std::ifstream f(out_path, std::ios::binary);
    got.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  unlink(out_path);
  close(out);
  EXPECT_EQ(got.size(), size);
  EXPECT_EQ(sha256_hex(got.data(), got.size()), sha256_hex(data.data() + offset, size))
      << "openssl s_client opened every record the kernel sealed";
  SSL_free(s);
  close(fd);
  close(file);
  SSL_CTX_free(ctx);
}

const Suite* const kAllSuites[] = {&kSuites[0], &kSuites[1], &kSuites[2],
                                   &kSuites[3], &kSuites[4], &kSuites[5]};
INSTANTIATE_TEST_SUITE_P(Suites, KtlsOpenSslPeer, testing::ValuesIn(kAllSuites),
                         [](const testing::TestParamInfo<const Suite*>& i) {
                           return std::string(i.param->name);
                         });

// ---- fallback ---------------------------------------------------------------------------------

// Where the kernel refuses (here: CONFIG_TLS off), SSL_OP_ENABLE_KTLS changes
// nothing: BIO_get_ktls_send says 0 and SSL_sendfile works in user space.
TEST(KtlsFallback, WithoutKernelTlsSendfileWorksInUserSpace) {
  const std::string absent = kernel_tls_absent();
  if (absent.empty()) GTEST_SKIP() << "this kernel has kernel TLS: the fallback is not taken";
  Link l(kSuites[0]);
  ASSERT_TRUE(l.ok);
  EXPECT_FALSE(l.kernel_sends());
  const auto data = pattern(200000, 3);
  const int file = make_file(data);
  g_sendfiles = 0;
  g_preads = 0;
  std::string why;
  std::vector<unsigned char> got;
  std::thread reader([&] { got = read_exactly(l.client, 150000, &why); });
  int want_writes = 0;
  EXPECT_EQ(sendfile_all(l.server, l.fds[0], file, 1000, 150000, &want_writes), 150000);
  reader.join();
  EXPECT_EQ(sha256_hex(got.data(), got.size()), sha256_hex(data.data() + 1000, 150000));
  EXPECT_EQ(g_sendfiles.load(), 0);
  EXPECT_GT(g_preads.load(), 0) << "the user-space path reads the file";
  close(file);
}

}  // namespace
