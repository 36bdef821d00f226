// Test harness for the differential conformance suite. It uses only the public OpenSSL 3.0
// API (libssl names plus libcrypto for keys, certificates and hashes), so the same code
// links against the system's libssl (the oracle) or rapidtls's implementation of it.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace conformance {

// Which library the binary is linked with. Tests consult it ONLY where rapidtls
// deliberately differs from OpenSSL (listed in README.md), and say so.
#if defined(CONFORMANCE_IMPL_OPENSSL)
inline constexpr bool kOracle = true;
inline constexpr const char* kImplName = "openssl";
#elif defined(CONFORMANCE_IMPL_RAPIDTLS)
inline constexpr bool kOracle = false;
inline constexpr const char* kImplName = "rapidtls";
#else
#error "define CONFORMANCE_IMPL_OPENSSL or CONFORMANCE_IMPL_RAPIDTLS"
#endif

using Bytes = std::vector<uint8_t>;

struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free_all(b); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

// Deterministic pseudo-random bytes, so a lost, doubled or reordered byte shows.
Bytes Pattern(size_t n, uint32_t seed = 1);
std::string Sha256Hex(const uint8_t* data, size_t n);
// Lower-case hex of bytes, and bytes of hex (pairs of digits; no separators).
// The suite is built against the system's libssl too, so it has its own, once.
std::string Hex(const uint8_t* data, size_t n);
inline std::string Hex(const Bytes& b) {
  return Hex(b.data(), b.size());
}
Bytes FromHex(std::string_view hex);
inline std::string Sha256Hex(const Bytes& b) {
  return Sha256Hex(b.data(), b.size());
}

// Contexts with an ECDSA P-256 certificate for "localhost" made at test time. The
// client verifies the server against that certificate. Both ends are pinned to
// `version` (TLS 1.3 unless a test is about TLS 1.2 behaviour).
CtxPtr MakeServerCtx(int version = TLS1_3_VERSION);
CtxPtr MakeClientCtx(int version = TLS1_3_VERSION);
// The test certificate (self-signed, CN and DNS name localhost) and its key.
void UseTestIdentity(SSL_CTX* ctx);
void TrustTestIdentity(SSL_CTX* ctx);
// The certificate's DER bytes and its private key (owned by the process), for tests that
// play a server by hand.
Bytes TestCertificateDer();
EVP_PKEY* TestKey();

// Two connections joined in memory. `client_bio`/`server_bio` are the ends the SSL
// objects read and write (owned by them). With a `wire`, the ends are not joined
// directly: bytes travel only when Pump() moves them, and the tamper hook may alter them.
struct Link {
  CtxPtr client_ctx;
  CtxPtr server_ctx;
  SslPtr client;
  SslPtr server;
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  // Only for links made with MakeWiredLink: our side of each connection's BIO pair.
  BioPtr client_net;
  BioPtr server_net;
  // Called on each chunk moved client->server (to_server=true) or back; may alter it.
  std::function<void(bool to_server, Bytes& chunk)> tamper;

  // Wired links: moves every byte that can move, both ways; returns the bytes moved.
  size_t Pump();
};

// A client and a server made from the given contexts (a test's own settings),
// joined by a BIO pair of `buffer_size` each way, roles set. Both null if
// something failed.
// A key and its certificate made by a test, freed together.
struct KeyAndCert {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  KeyAndCert() = default;
  KeyAndCert(const KeyAndCert&) = delete;
  KeyAndCert& operator=(const KeyAndCert&) = delete;
  ~KeyAndCert() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

struct SslPair {
  SslPtr client;
  SslPtr server;
};
SslPair MakeSslPairOn(SSL_CTX* client_ctx, SSL_CTX* server_ctx, size_t buffer_size = 17 * 1024);

// Roles are set with SSL_set_connect_state / SSL_set_accept_state unless set_roles is false.
Link MakeBioPairLink(size_t buffer_size, int version = TLS1_3_VERSION, bool set_roles = true);
// As above, with each SSL on its own BIO pair and the test moving the bytes (Link::Pump).
Link MakeWiredLink(size_t buffer_size, int version = TLS1_3_VERSION);
// As MakeBioPairLink, but both directions pass a filter BIO that moves one byte per call.
Link MakeOneByteLink(size_t buffer_size, int version = TLS1_3_VERSION);
// As MakeBioPairLink, but each SSL's BIO is a filter of the given method (read, write
// and ctrl passing on to the pair) in front of its end of the pair.
Link MakeFilteredLink(size_t buffer_size, const BIO_METHOD* filter, int version = TLS1_3_VERSION);

// A BIO filter whose write and read move at most one byte per call (retry flags copied
// from the next BIO). Push it in front of a source/sink BIO with BIO_push.
BIO* NewOneByteFilter();

// Drives both handshakes in this thread until both are done (iteration-bounded). For
// sockets, waits with poll(2) between rounds. Returns "" or a description of the failure.
std::string Handshake(Link& link);
// TLS 1.2: the server asks for a renegotiation (HelloRequest) and the client takes
// the request in with one read, which answers with a ClientHello and reports
// WANT_READ. Empty on success, else what went wrong.
std::string ServerRequestsRenegotiation(Link& link);
std::string HandshakeSsl(SSL* client, SSL* server, int client_fd = -1, int server_fd = -1);

// Reads all application data currently available (non-blocking transports), appending
// it to `out`. Returns false on a fatal error (not on WANT_READ).
bool DrainApp(SSL* ssl, Bytes& out);

// Writes all of `data` with SSL_write, retrying on WANT_READ/WANT_WRITE with the same
// arguments and calling `between` (which moves data on) after each retryable failure.
// Returns the final return value of SSL_write; `calls` counts the calls made.
int WriteAllRetrying(SSL* ssl, const Bytes& data, const std::function<void()>& between,
                     int* calls = nullptr, int max_calls = 100000);

// The error queue as text (for failure messages), and the reason of its first entry
// (0 if empty). Neither removes entries.
std::string ErrorQueueText();
int FirstErrorReason();
int FirstErrorLib();

// Sockets. Fd closes on destruction.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  void Close();
};
struct FdPair {
  Fd a;
  Fd b;
};
// AF_UNIX SOCK_STREAM pair; both ends get 10 s SO_RCVTIMEO/SO_SNDTIMEO so a blocking
// test cannot hang; non_blocking sets O_NONBLOCK; buffer>0 sets SO_SNDBUF/SO_RCVBUF.
FdPair SocketPair(bool non_blocking, int buffer = 0);
// TCP over 127.0.0.1 (a is the connecting end, b the accepted end), same options.
FdPair TcpLoopback(bool non_blocking, int buffer = 0);
void SetNonBlocking(int fd, bool on);

// SSL objects on socket fds (SSL_set_fd), roles set.
struct SocketLink {
  CtxPtr client_ctx;
  CtxPtr server_ctx;
  SslPtr client;
  SslPtr server;
  FdPair fds;  // a: client, b: server
};
SocketLink MakeSocketLink(FdPair fds, int version = TLS1_3_VERSION);
// Handshake for blocking sockets: the server runs in a second thread (joined).
std::string HandshakeBlocking(SocketLink& link);

// Reads with SSL_read_ex until `want` bytes arrived, EOF or an error (blocking fds, with
// the socket timeouts bounding each read). For use in a reader thread.
Bytes ReadExactly(SSL* ssl, size_t want);

// Waits (poll, bounded) until fd is readable/writable. Returns false on timeout.
bool WaitFd(int fd, bool for_write, int timeout_ms = 2000);

}  // namespace conformance
