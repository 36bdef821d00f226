// `rapidtls serve`: set-up (certificate, SSL_CTX, listening sockets, one
// event loop per core) and the orderly stop on SIGINT/SIGTERM.
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "files.h"
#include "loop.h"
#include "self_signed.h"

namespace rapidtls::tool {

namespace {

constexpr unsigned char kHttp11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};

// ALPN (RFC 7301): http/1.1 when offered; a client offering only other
// protocols (h2 alone) gets no ALPN answer rather than a refusal.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned int in_len, void*) {
  for (unsigned i = 0; i < in_len;) {
    const unsigned n = in[i];
    if (i + 1 + n > in_len) break;
    if (n == sizeof kHttp11 && memcmp(in + i + 1, kHttp11, n) == 0) {
      *out = in + i + 1;
      *out_len = static_cast<unsigned char>(n);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + n;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

FILE* g_keylog = nullptr;
std::mutex g_keylog_mutex;

void write_keylog(const SSL*, const char* line) {
  std::lock_guard<std::mutex> lock(g_keylog_mutex);
  fprintf(g_keylog, "%s\n", line);
  fflush(g_keylog);
}

void print_ssl_errors(const char* what) {
  fprintf(stderr, "rapidtls serve: %s\n", what);
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    fprintf(stderr, "  %s\n", buf);
  }
}

// The self-signed certificate's PEM goes to a fresh private folder, so that
// `curl --cacert` can use it; it is removed at exit.
struct TempCert {
  std::string dir, path;
  ~TempCert() {
    if (!path.empty()) ::unlink(path.c_str());
    if (!dir.empty()) ::rmdir(dir.c_str());
  }
};

bool write_cert_pem(X509* cert, TempCert* out) {
  const char* tmp = getenv("TMPDIR");
  std::string templ =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/rapidtls-serve.XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) return false;
  out->dir = templ;
  out->path = templ + "/cert.pem";
  FILE* f = fopen(out->path.c_str(), "w");
  if (f == nullptr) return false;
  const bool ok = PEM_write_X509(f, cert) == 1;
  return fclose(f) == 0 && ok;
}

// Why this kernel cannot seal TLS records ("" when it can): kernel TLS needs
// the "tls" upper layer protocol on a connected TCP socket (CONFIG_TLS), tried
// on a throwaway loopback connection.
std::string kernel_tls_absent() {
  const int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  std::string why;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (l < 0 || s < 0 || bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      listen(l, 1) != 0 || getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) != 0 ||
      connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    why = std::string("cannot try it: ") + strerror(errno);
  } else if (setsockopt(s, SOL_TCP, TCP_ULP, "tls", sizeof "tls") != 0) {
    why = std::string("this kernel has none: setsockopt(TCP_ULP, \"tls\"): ") + strerror(errno);
  }
  if (s >= 0) close(s);
  if (l >= 0) close(l);
  return why;
}

// A listening socket with SO_REUSEPORT, so that every loop has its own
// accept queue on the same port. Returns the fd or -1 (message printed).
int make_listener(const addrinfo* ai, int port) {
  sockaddr_storage ss{};
  memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
  if (ss.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(static_cast<uint16_t>(port));
  } else {
    reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(static_cast<uint16_t>(port));
  }
  const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    perror("rapidtls serve: socket");
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), ai->ai_addrlen) != 0 ||
      ::listen(fd, 1024) != 0) {
    fprintf(stderr, "rapidtls serve: cannot listen on port %d: %s\n", port, strerror(errno));
    ::close(fd);
    return -1;
  }
  return fd;
}

int bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return -1;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

// The URL to print: wildcard addresses are reached through loopback.
std::string url_host(const std::string& bind, int family) {
  if (family == AF_INET6) return bind == "::" ? "[::1]" : "[" + bind + "]";
  return bind == "0.0.0.0" ? "127.0.0.1" : bind;
}

// Room for the connection cap: the soft descriptor limit up to the hard one.
void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int run_serve(const ServeOptions& o) {
  // --tls1.2 / --tls1.3 limit the versions; neither (or both) allows both.
  const int min_version = o.tls13 && !o.tls12 ? TLS1_3_VERSION : TLS1_2_VERSION;
  const int max_version = o.tls12 && !o.tls13 ? TLS1_2_VERSION : TLS1_3_VERSION;
  DocumentRoot root;
  if (!root.open(o.dir)) {
    fprintf(stderr, "rapidtls serve: %s: not a readable folder: %s\n", o.dir.c_str(),
            strerror(errno));
    return 1;
  }

  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()),
                                                        SSL_CTX_free);
  if (!ctx || SSL_CTX_set_min_proto_version(ctx.get(), min_version) != 1 ||
      SSL_CTX_set_max_proto_version(ctx.get(), max_version) != 1) {
    print_ssl_errors("cannot make an SSL_CTX");
    return 1;
  }
  // Kernel TLS where the kernel has it: SSL_sendfile then hands files to
  // sendfile(2) and the kernel seals their records (docs/ktls.md).
  const std::string ktls_absent = o.ktls ? kernel_tls_absent() : "--no-ktls";
  if (ktls_absent.empty()) SSL_CTX_set_options(ctx.get(), SSL_OP_ENABLE_KTLS);
  TempCert temp_cert;
  std::string fingerprint;
  if (!o.cert.empty()) {
    const std::string& key = o.key.empty() ? o.cert : o.key;
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), o.cert.c_str()) != 1) {
      print_ssl_errors(("cannot load the certificate chain " + o.cert).c_str());
      return 1;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1) {
      print_ssl_errors(("cannot use the private key " + key).c_str());
      return 1;
    }
  } else if (!o.key.empty()) {
    fprintf(stderr, "rapidtls serve: --key needs --cert\n");
    return 2;
  } else {
    SelfSigned ss = make_self_signed();
    if (!ss.cert || SSL_CTX_use_certificate(ctx.get(), ss.cert.get()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx.get(), ss.key.get()) != 1) {
      print_ssl_errors("cannot make a self-signed certificate");
      return 1;
    }
    if (!write_cert_pem(ss.cert.get(), &temp_cert)) {
      perror("rapidtls serve: cannot write the certificate");
      return 1;
    }
    fingerprint = sha256_fingerprint(ss.cert.get());
  }
  SSL_CTX_set_alpn_select_cb(ctx.get(), select_alpn, nullptr);
  if (!o.keylog.empty()) {
    g_keylog = fopen(o.keylog.c_str(), "a");
    if (g_keylog == nullptr) {
      fprintf(stderr, "rapidtls serve: --keylog %s: %s\n", o.keylog.c_str(), strerror(errno));
      return 1;
    }
    SSL_CTX_set_keylog_callback(ctx.get(), write_keylog);
  }

  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* ai = nullptr;
  if (const int r = ::getaddrinfo(o.bind.c_str(), nullptr, &hints, &ai); r != 0) {
    fprintf(stderr, "rapidtls serve: --bind %s: %s (give a numeric address)\n", o.bind.c_str(),
            gai_strerror(r));
    return 2;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> ai_owner(ai, freeaddrinfo);
  if (o.port < 0 || o.port > 65535) {
    fprintf(stderr, "rapidtls serve: --port %d is not a port\n", o.port);
    return 2;
  }
  raise_fd_limit();
  ::signal(SIGPIPE, SIG_IGN);

  // The first socket fixes the port (the kernel's choice for --port 0); the
  // others join it.
  const unsigned n_loops =
      o.loops != 0 ? o.loops : std::max(1u, std::thread::hardware_concurrency());
  std::vector<int> listeners;
  int port = o.port;
  for (unsigned i = 0; i < n_loops; ++i) {
    const int fd = make_listener(ai, port);
    if (fd < 0) {
      for (int l : listeners) ::close(l);
      return 1;
    }
    if (i == 0) port = bound_port(fd);
    listeners.push_back(fd);
  }

  // SIGINT and SIGTERM arrive through a signalfd read by this thread; the
  // loops (started after the mask is set) never see them.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  const int sig_fd = ::signalfd(-1, &mask, SFD_CLOEXEC);
  if (sig_fd < 0) {
    perror("rapidtls serve: signalfd");
    return 1;
  }

  ServerShared shared;
  shared.ctx = ctx.get();
  shared.root = &root;
  shared.options = &o;
  std::vector<std::unique_ptr<EventLoop>> loops;
  for (int fd : listeners) {
    loops.push_back(std::make_unique<EventLoop>(shared, fd));
    if (!loops.back()->init()) {
      perror("rapidtls serve: epoll");
      return 1;
    }
  }

  const std::string url =
      "https://" + url_host(o.bind, ai->ai_family) + ":" + std::to_string(port) + "/";
  {
    std::lock_guard<std::mutex> lock(shared.stdout_mutex);
    if (!fingerprint.empty()) {
      printf(
          "rapidtls serve: made a self-signed ECDSA P-256 certificate for localhost, "
          "127.0.0.1 and ::1\n");
      printf("  SHA-256 fingerprint: %s\n", fingerprint.c_str());
      printf("  certificate (PEM):   %s\n", temp_cert.path.c_str());
    }
    printf("serving %s at %s (%s, ALPN http/1.1, %u event loops)\n", root.real_path().c_str(),
           url.c_str(),
           min_version == max_version ? (min_version == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2")
                                      : "TLS 1.2 and 1.3",
           n_loops);
    if (ktls_absent.empty()) {
      printf("kernel TLS: on (files go out with sendfile(2); the kernel seals their records)\n");
    } else {
      printf("kernel TLS: off (%s): records are sealed in user space\n", ktls_absent.c_str());
    }
    if (!fingerprint.empty()) {
      printf("try: curl --cacert %s %s\n", temp_cert.path.c_str(), url.c_str());
    } else {
      printf("try: curl %s\n", url.c_str());
    }
    fflush(stdout);
  }

  std::vector<std::thread> threads;
  for (auto& loop : loops) threads.emplace_back([&loop] { loop->run(); });

  signalfd_siginfo info{};
  for (;;) {
    const ssize_t n = ::read(sig_fd, &info, sizeof info);
    if (n == static_cast<ssize_t>(sizeof info)) break;
    if (n < 0 && errno != EINTR) break;
  }
  fprintf(stderr, "rapidtls serve: %s: no longer accepting; closing connections\n",
          strsignal(static_cast<int>(info.ssi_signo)));
  for (auto& loop : loops) loop->stop();
  for (auto& t : threads) t.join();
  ::close(sig_fd);
  loops.clear();
  if (g_keylog != nullptr) fclose(g_keylog);
  fprintf(stderr, "rapidtls serve: stopped\n");
  return 0;
}

}  // namespace rapidtls::tool
