#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <thread>

namespace conformance {
namespace {

void Require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test setup failed: ") + what);
}

// One self-signed ECDSA P-256 certificate for "localhost", made once per process.
struct Identity {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};

const Identity& TestIdentity() {
  static const Identity id = [] {
    Identity r;
    r.key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    Require(r.key != nullptr, "EVP_PKEY_Q_keygen");
    r.cert = X509_new();
    Require(r.cert != nullptr, "X509_new");
    X509_set_version(r.cert, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(r.cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(r.cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(r.cert), 7 * 24 * 3600);
    X509_NAME* name = X509_get_subject_name(r.cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(r.cert, name);
    X509_set_pubkey(r.cert, r.key);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, r.cert, r.cert, nullptr, nullptr, 0);
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "DNS:localhost");
    Require(san != nullptr, "subjectAltName");
    X509_add_ext(r.cert, san, -1);
    X509_EXTENSION_free(san);
    Require(X509_sign(r.cert, r.key, EVP_sha256()) > 0, "X509_sign");
    return r;
  }();
  return id;
}

CtxPtr MakeCtx(bool server, int version) {
  CtxPtr ctx(SSL_CTX_new(TLS_method()));
  Require(ctx != nullptr, "SSL_CTX_new");
  Require(SSL_CTX_set_min_proto_version(ctx.get(), version) == 1, "min version");
  Require(SSL_CTX_set_max_proto_version(ctx.get(), version) == 1, "max version");
  const Identity& id = TestIdentity();
  if (server) {
    Require(SSL_CTX_use_certificate(ctx.get(), id.cert) == 1, "use_certificate");
    Require(SSL_CTX_use_PrivateKey(ctx.get(), id.key) == 1, "use_PrivateKey");
  } else {
    Require(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), id.cert) == 1,
            "X509_STORE_add_cert");
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  return ctx;
}

void MakeSsls(Link& l, int version, bool set_roles) {
  l.client_ctx = MakeClientCtx(version);
  l.server_ctx = MakeServerCtx(version);
  l.client.reset(SSL_new(l.client_ctx.get()));
  l.server.reset(SSL_new(l.server_ctx.get()));
  Require(l.client && l.server, "SSL_new");
  Require(SSL_set1_host(l.client.get(), "localhost") == 1, "SSL_set1_host");
  if (set_roles) {
    SSL_set_connect_state(l.client.get());
    SSL_set_accept_state(l.server.get());
  }
}

// --- the one-byte filter BIO ---------------------------------------------------------
int OneByteWrite(BIO* b, const char* in, int len) {
  BIO* next = BIO_next(b);
  if (next == nullptr) return 0;
  BIO_clear_retry_flags(b);
  int n = BIO_write(next, in, std::min(len, 1));
  BIO_copy_next_retry(b);
  return n;
}

int OneByteRead(BIO* b, char* out, int len) {
  BIO* next = BIO_next(b);
  if (next == nullptr) return 0;
  BIO_clear_retry_flags(b);
  int n = BIO_read(next, out, std::min(len, 1));
  BIO_copy_next_retry(b);
  return n;
}

long OneByteCtrl(BIO* b, int cmd, long num, void* ptr) {
  BIO* next = BIO_next(b);
  if (next == nullptr) return 0;
  return BIO_ctrl(next, cmd, num, ptr);
}

int OneByteCreate(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

int OneByteDestroy(BIO*) {
  return 1;
}

const BIO_METHOD* OneByteMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_FILTER, "one byte per call");
    Require(m != nullptr, "BIO_meth_new");
    BIO_meth_set_write(m, OneByteWrite);
    BIO_meth_set_read(m, OneByteRead);
    BIO_meth_set_ctrl(m, OneByteCtrl);
    BIO_meth_set_create(m, OneByteCreate);
    BIO_meth_set_destroy(m, OneByteDestroy);
    return m;
  }();
  return method;
}

void SetTimeouts(int fd) {
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void SetBuffers(int fd, int buffer) {
  if (buffer <= 0) return;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
}

bool Retryable(int err) {
  return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE;
}

std::string Describe(const char* who, int rc, int err) {
  return std::string(who) + " rc=" + std::to_string(rc) + " SSL_get_error=" + std::to_string(err) +
         " queue: " + ErrorQueueText();
}

}  // namespace

Bytes Pattern(size_t n, uint32_t seed) {
  Bytes out(n);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    out[i] = static_cast<uint8_t>(x >> 24);
  }
  return out;
}

std::string Sha256Hex(const uint8_t* data, size_t n) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  Require(EVP_Digest(data, n, md, &len, EVP_sha256(), nullptr) == 1, "EVP_Digest");
  return Hex(md, len);
}

std::string Hex(const uint8_t* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    s += kDigits[data[i] >> 4];
    s += kDigits[data[i] & 15];
  }
  return s;
}

Bytes FromHex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

void UseTestIdentity(SSL_CTX* ctx) {
  const Identity& id = TestIdentity();
  Require(SSL_CTX_use_certificate(ctx, id.cert) == 1, "use_certificate");
  Require(SSL_CTX_use_PrivateKey(ctx, id.key) == 1, "use_PrivateKey");
}

void TrustTestIdentity(SSL_CTX* ctx) {
  Require(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), TestIdentity().cert) == 1,
          "X509_STORE_add_cert");
}

Bytes TestCertificateDer() {
  const int n = i2d_X509(TestIdentity().cert, nullptr);
  Require(n > 0, "i2d_X509");
  Bytes der(static_cast<size_t>(n));
  unsigned char* p = der.data();
  Require(i2d_X509(TestIdentity().cert, &p) == n, "i2d_X509");
  return der;
}

EVP_PKEY* TestKey() {
  return TestIdentity().key;
}

CtxPtr MakeServerCtx(int version) {
  return MakeCtx(true, version);
}
CtxPtr MakeClientCtx(int version) {
  return MakeCtx(false, version);
}

std::string ServerRequestsRenegotiation(Link& l) {
  if (SSL_renegotiate(l.server.get()) != 1) return "SSL_renegotiate: " + ErrorQueueText();
  if (SSL_do_handshake(l.server.get()) != 1) return "server SSL_do_handshake: " + ErrorQueueText();
  unsigned char buf[64];
  size_t n = 0;
  const int rc = SSL_read_ex(l.client.get(), buf, sizeof buf, &n);
  if (SSL_get_error(l.client.get(), rc) != SSL_ERROR_WANT_READ) {
    return "the client's read did not wait for the renegotiation: " + ErrorQueueText();
  }
  return "";
}

size_t Link::Pump() {
  size_t moved = 0;
  for (int round = 0; round < 64; ++round) {
    size_t this_round = 0;
    for (bool to_server : {true, false}) {
      BIO* from = to_server ? client_net.get() : server_net.get();
      BIO* to = to_server ? server_net.get() : client_net.get();
      size_t n = std::min(BIO_ctrl_pending(from), BIO_ctrl_get_write_guarantee(to));
      if (n == 0) continue;
      Bytes chunk(n);
      int got = BIO_read(from, chunk.data(), static_cast<int>(n));
      if (got <= 0) continue;
      chunk.resize(static_cast<size_t>(got));
      if (tamper) tamper(to_server, chunk);
      int put = BIO_write(to, chunk.data(), static_cast<int>(chunk.size()));
      Require(put == got, "Pump: the write guarantee did not hold");
      this_round += static_cast<size_t>(got);
    }
    if (this_round == 0) break;
    moved += this_round;
  }
  return moved;
}

SslPair MakeSslPairOn(SSL_CTX* client_ctx, SSL_CTX* server_ctx, size_t buffer_size) {
  SslPair p{SslPtr(SSL_new(client_ctx)), SslPtr(SSL_new(server_ctx))};
  BIO* cb = nullptr;
  BIO* sb = nullptr;
  if (!p.client || !p.server || BIO_new_bio_pair(&cb, buffer_size, &sb, buffer_size) != 1) {
    return {};
  }
  SSL_set_bio(p.client.get(), cb, cb);
  SSL_set_bio(p.server.get(), sb, sb);
  SSL_set_connect_state(p.client.get());
  SSL_set_accept_state(p.server.get());
  return p;
}

Link MakeBioPairLink(size_t buffer_size, int version, bool set_roles) {
  Link l;
  MakeSsls(l, version, set_roles);
  Require(BIO_new_bio_pair(&l.client_bio, buffer_size, &l.server_bio, buffer_size) == 1,
          "BIO_new_bio_pair");
  SSL_set_bio(l.client.get(), l.client_bio, l.client_bio);
  SSL_set_bio(l.server.get(), l.server_bio, l.server_bio);
  return l;
}

Link MakeWiredLink(size_t buffer_size, int version) {
  Link l;
  MakeSsls(l, version, true);
  BIO* cnet = nullptr;
  BIO* snet = nullptr;
  Require(BIO_new_bio_pair(&l.client_bio, buffer_size, &cnet, buffer_size) == 1, "pair");
  Require(BIO_new_bio_pair(&l.server_bio, buffer_size, &snet, buffer_size) == 1, "pair");
  l.client_net.reset(cnet);
  l.server_net.reset(snet);
  SSL_set_bio(l.client.get(), l.client_bio, l.client_bio);
  SSL_set_bio(l.server.get(), l.server_bio, l.server_bio);
  return l;
}

BIO* NewOneByteFilter() {
  return BIO_new(OneByteMethod());
}

Link MakeOneByteLink(size_t buffer_size, int version) {
  return MakeFilteredLink(buffer_size, OneByteMethod(), version);
}

Link MakeFilteredLink(size_t buffer_size, const BIO_METHOD* filter, int version) {
  Link l;
  MakeSsls(l, version, true);
  BIO* a = nullptr;
  BIO* b = nullptr;
  Require(BIO_new_bio_pair(&a, buffer_size, &b, buffer_size) == 1, "BIO_new_bio_pair");
  BIO* fa = BIO_new(filter);
  BIO* fb = BIO_new(filter);
  Require(fa != nullptr && fb != nullptr, "BIO_new(filter)");
  l.client_bio = BIO_push(fa, a);
  l.server_bio = BIO_push(fb, b);
  SSL_set_bio(l.client.get(), l.client_bio, l.client_bio);
  SSL_set_bio(l.server.get(), l.server_bio, l.server_bio);
  return l;
}

namespace {
std::string HandshakeLoop(SSL* client, SSL* server, const std::function<void()>& between) {
  bool client_done = false;
  bool server_done = false;
  for (int i = 0; i < 5000; ++i) {
    if (!client_done) {
      int rc = SSL_do_handshake(client);
      if (rc == 1) {
        client_done = true;
      } else if (int err = SSL_get_error(client, rc); !Retryable(err)) {
        return Describe("client handshake", rc, err);
      }
    } else {
      // Let the client take in what the server sends after its Finished (tickets),
      // without consuming application data.
      unsigned char byte;
      size_t got = 0;
      if (SSL_peek_ex(client, &byte, 1, &got) != 1) {
        int err = SSL_get_error(client, 0);
        if (!Retryable(err)) return Describe("client peek", 0, err);
      }
    }
    if (!server_done) {
      int rc = SSL_do_handshake(server);
      if (rc == 1) {
        server_done = true;
      } else if (int err = SSL_get_error(server, rc); !Retryable(err)) {
        return Describe("server handshake", rc, err);
      }
    }
    if (client_done && server_done) return "";
    if (between) between();
  }
  return "handshake did not finish within the iteration bound";
}
}  // namespace

std::string Handshake(Link& l) {
  std::function<void()> between;
  if (l.client_net) between = [&l] { l.Pump(); };
  return HandshakeLoop(l.client.get(), l.server.get(), between);
}

std::string HandshakeSsl(SSL* client, SSL* server, int client_fd, int server_fd) {
  std::function<void()> between;
  if (client_fd >= 0) {
    between = [=] {
      pollfd p[2] = {{client_fd, POLLIN, 0}, {server_fd, POLLIN, 0}};
      poll(p, 2, 20);
    };
  }
  return HandshakeLoop(client, server, between);
}

bool DrainApp(SSL* ssl, Bytes& out) {
  unsigned char buf[16384];
  for (int i = 0; i < 100000; ++i) {
    size_t got = 0;
    if (SSL_read_ex(ssl, buf, sizeof buf, &got) == 1) {
      out.insert(out.end(), buf, buf + got);
      continue;
    }
    int err = SSL_get_error(ssl, 0);
    return Retryable(err) || err == SSL_ERROR_ZERO_RETURN;
  }
  return false;
}

int WriteAllRetrying(SSL* ssl, const Bytes& data, const std::function<void()>& between, int* calls,
                     int max_calls) {
  int rc = -1;
  int n = 0;
  for (; n < max_calls; ++n) {
    rc = SSL_write(ssl, data.data(), static_cast<int>(data.size()));
    if (rc > 0) break;
    if (!Retryable(SSL_get_error(ssl, rc))) break;
    if (between) between();
  }
  if (calls) *calls = n + 1;
  return rc;
}

std::string ErrorQueueText() {
  // Take every entry off the queue, describe it, then put it back as it was.
  struct Entry {
    unsigned long code;
    std::string file, func, data;
    int line;
  };
  std::vector<Entry> entries;
  const char* file = nullptr;
  const char* func = nullptr;
  const char* data = nullptr;
  int line = 0;
  int flags = 0;
  while (unsigned long code = ERR_get_error_all(&file, &line, &func, &data, &flags)) {
    entries.push_back({code, file ? file : "", func ? func : "",
                       (data && (flags & ERR_TXT_STRING)) ? data : "", line});
  }
  std::string text;
  char buf[256];
  for (const Entry& e : entries) {
    ERR_error_string_n(e.code, buf, sizeof buf);
    text += std::string(buf) + " (" + e.func + ")" + (e.data.empty() ? "" : " " + e.data) + "; ";
    ERR_new();
    ERR_set_debug(e.file.c_str(), e.line, e.func.c_str());
    ERR_set_error(ERR_GET_LIB(e.code), ERR_GET_REASON(e.code), e.data.empty() ? nullptr : "%s",
                  e.data.c_str());
  }
  return text.empty() ? "(empty)" : text;
}

int FirstErrorReason() {
  return ERR_GET_REASON(ERR_peek_error());
}
int FirstErrorLib() {
  return ERR_GET_LIB(ERR_peek_error());
}

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    Close();
    fd = o.fd;
    o.fd = -1;
  }
  return *this;
}

Fd::~Fd() {
  Close();
}

void Fd::Close() {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void SetNonBlocking(int fd, bool on) {
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

FdPair SocketPair(bool non_blocking, int buffer) {
  int sv[2];
  Require(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
  FdPair p{Fd(sv[0]), Fd(sv[1])};
  for (int fd : sv) {
    SetTimeouts(fd);
    SetBuffers(fd, buffer);
    SetNonBlocking(fd, non_blocking);
  }
  return p;
}

FdPair TcpLoopback(bool non_blocking, int buffer) {
  Fd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  Require(listener.fd >= 0, "socket");
  SetBuffers(listener.fd, buffer);  // inherited by the accepted socket
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  Require(bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "bind");
  Require(listen(listener.fd, 1) == 0, "listen");
  socklen_t len = sizeof addr;
  Require(getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0, "getsockname");
  Fd client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  Require(client.fd >= 0, "socket");
  SetBuffers(client.fd, buffer);
  SetTimeouts(client.fd);
  SetTimeouts(listener.fd);
  Require(connect(client.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "connect");
  Fd server(accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
  Require(server.fd >= 0, "accept");
  SetTimeouts(server.fd);
  int one = 1;
  for (int fd : {client.fd, server.fd}) {
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    SetNonBlocking(fd, non_blocking);
  }
  return FdPair{std::move(client), std::move(server)};
}

SocketLink MakeSocketLink(FdPair fds, int version) {
  SocketLink l;
  l.fds = std::move(fds);
  l.client_ctx = MakeClientCtx(version);
  l.server_ctx = MakeServerCtx(version);
  l.client.reset(SSL_new(l.client_ctx.get()));
  l.server.reset(SSL_new(l.server_ctx.get()));
  Require(l.client && l.server, "SSL_new");
  Require(SSL_set1_host(l.client.get(), "localhost") == 1, "SSL_set1_host");
  Require(SSL_set_fd(l.client.get(), l.fds.a.fd) == 1, "SSL_set_fd");
  Require(SSL_set_fd(l.server.get(), l.fds.b.fd) == 1, "SSL_set_fd");
  SSL_set_connect_state(l.client.get());
  SSL_set_accept_state(l.server.get());
  return l;
}

std::string HandshakeBlocking(SocketLink& l) {
  std::string server_error;
  std::thread server([&] {
    int rc = SSL_accept(l.server.get());
    if (rc != 1) server_error = "SSL_accept rc=" + std::to_string(rc);
  });
  int rc = SSL_connect(l.client.get());
  std::string client_error;
  if (rc != 1) {
    client_error = Describe("SSL_connect", rc, SSL_get_error(l.client.get(), rc));
    // Unblock the server so the join cannot hang.
    shutdown(l.fds.a.fd, SHUT_RDWR);
  }
  server.join();
  return client_error + server_error;
}

Bytes ReadExactly(SSL* ssl, size_t want) {
  Bytes out;
  out.reserve(want);
  unsigned char buf[16384];
  for (size_t i = 0; out.size() < want && i < want + 1000; ++i) {
    size_t got = 0;
    if (SSL_read_ex(ssl, buf, std::min(sizeof buf, want - out.size()), &got) != 1) break;
    out.insert(out.end(), buf, buf + got);
  }
  return out;
}

bool WaitFd(int fd, bool for_write, int timeout_ms) {
  pollfd p{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  return poll(&p, 1, timeout_ms) == 1;
}

}  // namespace conformance
