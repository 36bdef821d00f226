// tls_bench: one TLS workload, run once, one result line. Written only against
// the OpenSSL 3.0 API and built twice: tls_bench_openssl links the system's
// libssl, tls_bench_rapidtls links rapidtls_ssl; scripts/bench.sh runs the two
// in turn and compares medians.
//
//   tls_bench_<impl> --workload W [--suite aes128gcm|chacha20] [options] [--check]
//
//   handshake   full TLS 1.3 handshakes per second, client and server in this
//               thread over a BIO pair; --verify: the client verifies the chain
//   bulk_mem    --bytes of SSL_write_ex in 1 MiB calls through a BIO pair
//               (--pair-buf bytes each way), read on the other side
//   bulk_tcp    the same over loopback TCP, writer and reader in two threads
//   small_tcp   SSL_write calls of --size bytes per second over loopback TCP
//   idle_heap   heap bytes per established idle connection (client + server),
//               mallinfo2 deltas over --conns connections on BIO pairs
//   sendfile    --file over loopback TCP: --mode sendfile (SSL_sendfile) or
//               --mode loop (read() + SSL_write_ex in --chunk pieces); the
//               reader checksums what arrives; --repeat N sends it N times
//               over the connection (longer runs, less noise)
//
// Every connection: TLS 1.3 only, X25519, the suite forced, an ECDSA P-256
// certificate issued at start by a P-256 CA, no tickets. --check verifies
// that the data round-trips (checksums on both ends); the CTest smoke tests
// use it. Exit status: 0 done, 77 not supported by this library, else failure.
#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "common.h"

#ifndef TLS_BENCH_IMPL
#error "define TLS_BENCH_IMPL (\"openssl\" or \"rapidtls\")"
#endif

namespace {

constexpr size_t kWriteCall = size_t{1} << 20;  // bulk: 1 MiB per SSL_write_ex
constexpr size_t kReadBuf = size_t{1} << 20;
constexpr int kUnsupported = 77;  // CTest's SKIP_RETURN_CODE
constexpr double kMiB = 1024.0 * 1024.0;
const char kHost[] = "localhost";

struct Options {
  std::string workload;
  std::string suite = "aes128gcm";
  double seconds = 1.0;
  size_t bytes = size_t{256} << 20;
  size_t size = 64;
  size_t conns = 1000;
  std::string file;
  size_t chunk = size_t{64} << 10;
  size_t pair_buf = size_t{256} << 10;
  size_t repeat = 1;
  std::string mode = "sendfile";
  bool verify = false;
  bool resume = false;  // handshake: every connection resumes one TLS 1.3 session
  bool release_buffers = false;
  bool check = false;
};

const char kUsage[] =
    "usage: tls_bench --workload handshake|bulk_mem|bulk_tcp|small_tcp|idle_heap|sendfile\n"
    "  [--suite aes128gcm|chacha20] [--seconds S] [--bytes N] [--size N] [--conns N]\n"
    "  [--file PATH] [--mode sendfile|loop] [--chunk N] [--repeat N] [--pair-buf N] [--verify]\n"
    "  [--resume]"
    "  [--release-buffers] [--check]   (N accepts K, M, G)";

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) bench::die(kUsage);
      return argv[++i];
    };
    if (a == "--workload") {
      o.workload = next();
    } else if (a == "--suite") {
      o.suite = next();
    } else if (a == "--seconds") {
      o.seconds = std::atof(next());
    } else if (a == "--bytes") {
      o.bytes = bench::parse_size(next());
    } else if (a == "--size") {
      o.size = bench::parse_size(next());
    } else if (a == "--conns") {
      o.conns = bench::parse_size(next());
    } else if (a == "--file") {
      o.file = next();
    } else if (a == "--mode") {
      o.mode = next();
    } else if (a == "--chunk") {
      o.chunk = bench::parse_size(next());
    } else if (a == "--pair-buf") {
      o.pair_buf = bench::parse_size(next());
    } else if (a == "--repeat") {
      o.repeat = bench::parse_size(next());
    } else if (a == "--verify") {
      o.verify = true;
    } else if (a == "--resume") {
      o.resume = true;
    } else if (a == "--release-buffers") {
      o.release_buffers = true;
    } else if (a == "--check") {
      o.check = true;
    } else {
      bench::die(kUsage);
    }
  }
  if (o.workload.empty()) bench::die(kUsage);
  return o;
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "tls_bench (%s): %s\n", TLS_BENCH_IMPL, what);
  ERR_print_errors_fp(stderr);
  std::exit(1);
}

void require(bool ok, const char* what) {
  if (!ok) fail(what);
}

const char* suite_name(const std::string& suite) {
  if (suite == "aes128gcm") return "TLS_AES_128_GCM_SHA256";
  if (suite == "chacha20") return "TLS_CHACHA20_POLY1305_SHA256";
  bench::die("--suite aes128gcm or chacha20");
}

// ---- certificates: a P-256 CA and a P-256 leaf for "localhost" it signed ---------------

struct Pki {
  EVP_PKEY* ca_key = nullptr;
  X509* ca = nullptr;
  EVP_PKEY* leaf_key = nullptr;
  X509* leaf = nullptr;
};

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
  require(ext != nullptr && X509_add_ext(cert, ext, -1) == 1, "X509 extension");
  X509_EXTENSION_free(ext);
}

X509* issue(const char* cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, long serial) {
  X509* cert = X509_new();
  require(cert != nullptr, "X509_new");
  X509_set_version(cert, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 7 * 24 * 3600);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(cert, X509_get_subject_name(issuer != nullptr ? issuer : cert));
  X509_set_pubkey(cert, key);
  X509* signer = issuer != nullptr ? issuer : cert;
  if (issuer == nullptr) {
    add_ext(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert, signer, NID_key_usage, "critical,keyCertSign");
  } else {
    add_ext(cert, signer, NID_subject_alt_name, "DNS:localhost");
    add_ext(cert, signer, NID_key_usage, "critical,digitalSignature");
  }
  require(X509_sign(cert, issuer_key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

Pki make_pki() {
  Pki p;
  p.ca_key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  p.leaf_key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  require(p.ca_key != nullptr && p.leaf_key != nullptr, "EC P-256 keygen");
  p.ca = issue("rapidtls bench CA", p.ca_key, nullptr, p.ca_key, 1);
  p.leaf = issue(kHost, p.leaf_key, p.ca, p.ca_key, 2);
  return p;
}

// ---- contexts and connections -------------------------------------------------------------

enum class Side { client, server };

SSL_CTX* make_ctx(const Options& o, const Pki& pki, Side side) {
  SSL_CTX* ctx = SSL_CTX_new(side == Side::client ? TLS_client_method() : TLS_server_method());
  require(ctx != nullptr, "SSL_CTX_new");
  require(SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1 &&
              SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1,
          "TLS 1.3 only");
  require(SSL_CTX_set_ciphersuites(ctx, suite_name(o.suite)) == 1, "SSL_CTX_set_ciphersuites");
  require(SSL_CTX_set1_groups_list(ctx, "X25519") == 1, "SSL_CTX_set1_groups_list");
  // No tickets (the issue's handshakes), but for --resume: one per connection.
  require(SSL_CTX_set_num_tickets(ctx, o.resume ? 1 : 0) == 1, "SSL_CTX_set_num_tickets");
  if (!o.resume) SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  if (o.release_buffers) SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (side == Side::server) {
    require(SSL_CTX_use_certificate(ctx, pki.leaf) == 1, "SSL_CTX_use_certificate");
    require(SSL_CTX_use_PrivateKey(ctx, pki.leaf_key) == 1, "SSL_CTX_use_PrivateKey");
    // Only SSL_sendfile needs it; with kernel TLS absent both fall back.
    if (o.workload == "sendfile" && o.mode == "sendfile") {
      SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
    }
  } else {
    require(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), pki.ca) == 1, "X509_STORE_add_cert");
    SSL_CTX_set_verify(ctx, o.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  }
  return ctx;
}

struct Contexts {
  SSL_CTX* client;
  SSL_CTX* server;
};

SSL* new_client(const Options& o, SSL_CTX* ctx) {
  SSL* s = SSL_new(ctx);
  require(s != nullptr, "SSL_new");
  SSL_set_connect_state(s);
  require(SSL_set_tlsext_host_name(s, kHost) == 1, "SNI");
  if (o.verify) require(SSL_set1_host(s, kHost) == 1, "SSL_set1_host");
  return s;
}

SSL* new_server(SSL_CTX* ctx) {
  SSL* s = SSL_new(ctx);
  require(s != nullptr, "SSL_new");
  SSL_set_accept_state(s);
  return s;
}

struct Pair {
  SSL* client = nullptr;
  SSL* server = nullptr;
};

// Client and server joined by a BIO pair with `buf` bytes each way (0: the default).
Pair make_bio_pair(const Options& o, const Contexts& ctx, size_t buf) {
  BIO* cb = nullptr;
  BIO* sb = nullptr;
  require(BIO_new_bio_pair(&cb, buf, &sb, buf) == 1, "BIO_new_bio_pair");
  Pair p{new_client(o, ctx.client), new_server(ctx.server)};
  SSL_set_bio(p.client, cb, cb);
  SSL_set_bio(p.server, sb, sb);
  return p;
}

void free_pair(Pair& p) {
  SSL_free(p.client);
  SSL_free(p.server);
  p = {};
}

bool retryable(SSL* s, int r) {
  const int e = SSL_get_error(s, r);
  return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

// Both handshakes in this thread, taking turns.
void handshake_in_memory(Pair& p) {
  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < 64 && !(client_done && server_done); ++round) {
    if (!client_done) {
      const int r = SSL_do_handshake(p.client);
      client_done = r == 1;
      require(client_done || retryable(p.client, r), "client handshake");
    }
    if (!server_done) {
      const int r = SSL_do_handshake(p.server);
      server_done = r == 1;
      require(server_done || retryable(p.server, r), "server handshake");
    }
  }
  require(client_done && server_done, "handshake did not finish");
}

// The workload's parameters really are in force: the suite, X25519, and
// with --verify a chain that verified.
void check_negotiated(const Options& o, SSL* s) {
  const SSL_CIPHER* c = SSL_get_current_cipher(s);
  require(c != nullptr && std::string(SSL_CIPHER_get_name(c)) == suite_name(o.suite),
          "negotiated suite differs from --suite");
  require(SSL_get_negotiated_group(s) == NID_X25519, "negotiated group is not X25519");
  if (o.verify) require(SSL_get_verify_result(s) == X509_V_OK, "verification result");
}

// Reads everything `s` has now (until WANT_READ); returns the bytes read.
size_t drain(SSL* s, uint8_t* buf, size_t cap, bench::StreamChecksum* sum) {
  size_t total = 0;
  for (;;) {
    size_t n = 0;
    if (SSL_read_ex(s, buf, cap, &n) != 1) {
      require(SSL_get_error(s, 0) == SSL_ERROR_WANT_READ, "SSL_read_ex");
      return total;
    }
    if (sum != nullptr) sum->update(buf, n);
    total += n;
  }
}

// A small message each way, compared byte for byte.
void check_round_trip(Pair& p) {
  uint8_t msg[1024];
  uint8_t got[sizeof msg];
  bench::fill_pattern(msg, sizeof msg, 9);
  for (int dir = 0; dir < 2; ++dir) {
    SSL* from = dir == 0 ? p.client : p.server;
    SSL* to = dir == 0 ? p.server : p.client;
    size_t n = 0;
    require(SSL_write_ex(from, msg, sizeof msg, &n) == 1 && n == sizeof msg, "SSL_write_ex");
    size_t have = 0;
    while (have < sizeof msg) {
      require(SSL_read_ex(to, got + have, sizeof got - have, &n) == 1, "SSL_read_ex");
      have += n;
    }
    require(std::memcmp(msg, got, sizeof msg) == 0, "round trip: data differs");
  }
}

void print(const Options& o, double value, const char* unit, const std::string& extra = "") {
  char line[512];
  std::snprintf(line, sizeof line, "impl=%s workload=%s suite=%s value=%.6g unit=%s%s%s",
                TLS_BENCH_IMPL, o.workload.c_str(), o.suite.c_str(), value, unit,
                extra.empty() ? "" : " ", extra.c_str());
  bench::print_result(line);
}

// ---- 1. handshakes ------------------------------------------------------------------------

// --resume: a first connection's session, its ticket read in; both ends
// closed with close_notify (OpenSSL does not resume a session whose
// connection was freed without it).
SSL_SESSION* first_session(const Options& o, const Contexts& ctx) {
  Pair p = make_bio_pair(o, ctx, 0);
  handshake_in_memory(p);
  uint8_t buf[64];
  size_t n = 0;
  require(SSL_read_ex(p.client, buf, sizeof buf, &n) == 0 &&
              SSL_get_error(p.client, 0) == SSL_ERROR_WANT_READ,
          "reading the ticket");
  SSL_SESSION* sess = SSL_get1_session(p.client);
  require(sess != nullptr && SSL_SESSION_is_resumable(sess) == 1, "no resumable session");
  SSL_shutdown(p.client);
  SSL_shutdown(p.server);
  free_pair(p);
  return sess;
}

void run_handshake(const Options& o, const Contexts& ctx) {
  SSL_SESSION* sess = o.resume ? first_session(o, ctx) : nullptr;
  size_t count = 0;
  const double t0 = bench::now_seconds();
  double t1 = t0;
  while (t1 - t0 < o.seconds || count == 0) {
    Pair p = make_bio_pair(o, ctx, 0);
    if (sess != nullptr) require(SSL_set_session(p.client, sess) == 1, "SSL_set_session");
    handshake_in_memory(p);
    if (count == 0) {
      check_negotiated(o, p.client);
      if (sess != nullptr)
        require(SSL_session_reused(p.client) == 1, "the session was not resumed");
      if (o.check) check_round_trip(p);
    }
    if (sess != nullptr) SSL_shutdown(p.client);  // keeps the session resumable (OpenSSL)
    free_pair(p);
    ++count;
    t1 = bench::now_seconds();
  }
  SSL_SESSION_free(sess);
  print(o, static_cast<double>(count) / (t1 - t0), "hs/s",
        std::string("verify=") + (o.verify ? "1" : "0") + " resume=" + (o.resume ? "1" : "0") +
            " count=" + std::to_string(count));
}

// ---- 2. bulk through a BIO pair -------------------------------------------------------------

void run_bulk_mem(const Options& o, const Contexts& ctx) {
  Pair p = make_bio_pair(o, ctx, o.pair_buf);
  handshake_in_memory(p);
  check_negotiated(o, p.client);
  std::vector<uint8_t> src(kWriteCall);
  std::vector<uint8_t> buf(kReadBuf);
  bench::fill_pattern(src.data(), src.size(), 5);
  bench::StreamChecksum sent;
  bench::StreamChecksum got;
  bench::StreamChecksum* got_sum = o.check ? &got : nullptr;

  size_t written = 0;
  size_t read = 0;
  const double t0 = bench::now_seconds();
  while (written < o.bytes) {
    const size_t n = std::min(kWriteCall, o.bytes - written);
    size_t w = 0;
    // A full BIO pair: read on the other side, then retry the same write.
    for (int stalls = 0; SSL_write_ex(p.client, src.data(), n, &w) != 1; ++stalls) {
      require(retryable(p.client, 0), "SSL_write_ex");
      const size_t r = drain(p.server, buf.data(), buf.size(), got_sum);
      require(r > 0 || stalls < 4, "SSL_write_ex makes no progress");
      read += r;
    }
    require(w == n, "SSL_write_ex: short count");
    if (o.check) sent.update(src.data(), n);
    written += n;
    read += drain(p.server, buf.data(), buf.size(), got_sum);
  }
  const double t1 = bench::now_seconds();
  require(read == written, "bytes read differ from bytes written");
  require(!o.check || sent.digest() == got.digest(), "checksum of the data read differs");
  free_pair(p);
  print(o, static_cast<double>(written) / kMiB / (t1 - t0), "MiB/s",
        "bytes=" + std::to_string(written) + " pair_buf=" + std::to_string(o.pair_buf));
}

// ---- loopback TCP ---------------------------------------------------------------------------

struct TcpPair {
  int client = -1;  // the connecting end
  int server = -1;  // the accepted end
};

TcpPair tcp_loopback() {
  const int l = ::socket(AF_INET, SOCK_STREAM, 0);
  require(l >= 0, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  require(::bind(l, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(l, 1) == 0 &&
              ::getsockname(l, reinterpret_cast<sockaddr*>(&addr), &len) == 0,
          "listen on 127.0.0.1");
  TcpPair t;
  t.client = ::socket(AF_INET, SOCK_STREAM, 0);
  require(
      t.client >= 0 && ::connect(t.client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0,
      "connect");
  t.server = ::accept(l, nullptr, nullptr);
  require(t.server >= 0, "accept");
  ::close(l);
  // Small records leave at once, as TLS servers configure their sockets.
  const int one = 1;
  ::setsockopt(t.client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::setsockopt(t.server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return t;
}

// Two threads over loopback TCP: `client_work` and `server_work` run after
// both handshakes; the time is taken from then until both have returned. A
// side that fails shuts the sockets down so the other one cannot hang.
struct TcpRun {
  double seconds = 0;
  bool client_ok = false;
  bool server_ok = false;
  double client_cpu = 0;  // seconds each thread spent on a CPU while working
  double server_cpu = 0;
  // "writer_busy=0.67 reader_busy=1.00": the share of the run each side spent
  // on a CPU, which tells which side bounded the rate (the client writes).
  std::string busy() const {
    char b[64];
    std::snprintf(b, sizeof b, "writer_busy=%.2f reader_busy=%.2f", client_cpu / seconds,
                  server_cpu / seconds);
    return b;
  }
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

template <typename ClientWork, typename ServerWork>
TcpRun run_over_tcp(const Options& o, const Contexts& ctx, ClientWork client_work,
                    ServerWork server_work) {
  TcpPair t = tcp_loopback();
  SSL* c = new_client(o, ctx.client);
  SSL* s = new_server(ctx.server);
  require(SSL_set_fd(c, t.client) == 1 && SSL_set_fd(s, t.server) == 1, "SSL_set_fd");
  std::barrier sync(3);
  std::atomic<bool> handshakes_ok{true};
  TcpRun run;
  auto abort_io = [&] {
    ::shutdown(t.client, SHUT_RDWR);
    ::shutdown(t.server, SHUT_RDWR);
  };
  std::thread client([&] {
    if (SSL_connect(c) != 1) handshakes_ok = false;
    sync.arrive_and_wait();  // handshakes done
    sync.arrive_and_wait();  // clock started
    if (!handshakes_ok) return;
    const double cpu0 = thread_cpu_seconds();
    run.client_ok = client_work(c);
    run.client_cpu = thread_cpu_seconds() - cpu0;
    if (!run.client_ok) abort_io();
  });
  std::thread server([&] {
    if (SSL_accept(s) != 1) handshakes_ok = false;
    sync.arrive_and_wait();
    sync.arrive_and_wait();
    if (!handshakes_ok) return;
    const double cpu0 = thread_cpu_seconds();
    run.server_ok = server_work(s);
    run.server_cpu = thread_cpu_seconds() - cpu0;
    if (!run.server_ok) abort_io();
  });
  sync.arrive_and_wait();
  if (handshakes_ok) check_negotiated(o, c);
  const double t0 = bench::now_seconds();
  sync.arrive_and_wait();
  client.join();
  server.join();
  run.seconds = bench::now_seconds() - t0;
  require(handshakes_ok, "handshake over TCP");
  SSL_free(c);
  SSL_free(s);
  ::close(t.client);
  ::close(t.server);
  return run;
}

// Reads until `want` bytes arrived; false on an error or early EOF.
bool read_exactly(SSL* s, size_t want, bench::StreamChecksum* sum) {
  std::vector<uint8_t> buf(kReadBuf);
  size_t got = 0;
  while (got < want) {
    size_t n = 0;
    if (SSL_read_ex(s, buf.data(), std::min(buf.size(), want - got), &n) != 1) return false;
    if (sum != nullptr) sum->update(buf.data(), n);
    got += n;
  }
  return true;
}

// ---- 3. bulk over loopback TCP ----------------------------------------------------------------

void run_bulk_tcp(const Options& o, const Contexts& ctx) {
  std::vector<uint8_t> src(kWriteCall);
  bench::fill_pattern(src.data(), src.size(), 6);
  bench::StreamChecksum sent;
  bench::StreamChecksum got;
  const TcpRun run = run_over_tcp(
      o, ctx,
      [&](SSL* c) {
        for (size_t written = 0; written < o.bytes;) {
          const size_t n = std::min(kWriteCall, o.bytes - written);
          size_t w = 0;
          if (SSL_write_ex(c, src.data(), n, &w) != 1 || w != n) return false;
          if (o.check) sent.update(src.data(), n);
          written += n;
        }
        return true;
      },
      [&](SSL* s) { return read_exactly(s, o.bytes, o.check ? &got : nullptr); });
  require(run.client_ok, "writer failed");
  require(run.server_ok, "reader failed");
  require(!o.check || sent.digest() == got.digest(), "checksum of the data read differs");
  print(o, static_cast<double>(o.bytes) / kMiB / run.seconds, "MiB/s",
        "bytes=" + std::to_string(o.bytes) + " " + run.busy());
}

// ---- 4. small messages over loopback TCP --------------------------------------------------------

void run_small_tcp(const Options& o, const Contexts& ctx) {
  require(o.size > 0 && o.size <= 16384, "--size between 1 and 16384");
  std::vector<uint8_t> msg(o.size);
  bench::fill_pattern(msg.data(), msg.size(), 7);
  const int len = static_cast<int>(o.size);
  size_t messages = 0;
  size_t received = 0;
  bench::StreamChecksum sent;
  bench::StreamChecksum got;
  const TcpRun run = run_over_tcp(
      o, ctx,
      [&](SSL* c) {
        const double start = bench::now_seconds();
        do {
          for (int i = 0; i < 256; ++i) {
            if (SSL_write(c, msg.data(), len) != len) return false;
            if (o.check) sent.update(msg.data(), msg.size());
          }
          messages += 256;
        } while (bench::now_seconds() - start < o.seconds);
        // close_notify tells the reader the count is complete.
        return SSL_shutdown(c) >= 0;
      },
      [&](SSL* s) {
        std::vector<uint8_t> buf(16384);
        for (;;) {
          size_t n = 0;
          if (SSL_read_ex(s, buf.data(), buf.size(), &n) != 1) {
            return SSL_get_error(s, 0) == SSL_ERROR_ZERO_RETURN;
          }
          if (o.check) got.update(buf.data(), n);
          received += n;
        }
      });
  require(run.client_ok, "writer failed");
  require(run.server_ok, "reader failed");
  require(received == messages * o.size, "bytes read differ from bytes written");
  require(!o.check || sent.digest() == got.digest(), "checksum of the data read differs");
  print(o, static_cast<double>(messages) / run.seconds, "writes/s",
        "size=" + std::to_string(o.size) + " count=" + std::to_string(messages) + " " + run.busy());
}

// ---- 5. heap per idle connection --------------------------------------------------------------

size_t heap_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

void run_idle_heap(const Options& o, const Contexts& ctx) {
  // A first connection loads what each library loads once (providers,
  // fetched algorithms, error strings): that is not per-connection cost.
  {
    Pair p = make_bio_pair(o, ctx, 0);
    handshake_in_memory(p);
    free_pair(p);
  }
  // The BIO pairs themselves are the benchmark's transport, not the
  // library's: measured alone and subtracted.
  const size_t b0 = heap_in_use();
  std::vector<std::pair<BIO*, BIO*>> bios(o.conns);
  for (auto& [a, b] : bios) require(BIO_new_bio_pair(&a, 0, &b, 0) == 1, "BIO_new_bio_pair");
  const size_t b1 = heap_in_use();
  for (auto& [a, b] : bios) {
    BIO_free(a);
    BIO_free(b);
  }

  std::vector<uint8_t> buf(4096);
  std::vector<Pair> pairs(o.conns);
  const size_t h0 = heap_in_use();
  for (Pair& p : pairs) {
    p = make_bio_pair(o, ctx, 0);
    handshake_in_memory(p);
    // Idle: both ends have read everything there is (nothing, without tickets).
    require(drain(p.client, buf.data(), buf.size(), nullptr) == 0, "unexpected data");
    require(drain(p.server, buf.data(), buf.size(), nullptr) == 0, "unexpected data");
  }
  const size_t h1 = heap_in_use();
  check_negotiated(o, pairs.front().client);
  if (o.check) {
    for (Pair& p : pairs) check_round_trip(p);
  }
  for (Pair& p : pairs) free_pair(p);

  const double per_conn =
      (static_cast<double>(h1 - h0) - static_cast<double>(b1 - b0)) / static_cast<double>(o.conns);
  print(o, per_conn, "B/conn",
        "conns=" + std::to_string(o.conns) + " bio_pair_bytes=" + std::to_string(b1 - b0) +
            " release_buffers=" + (o.release_buffers ? "1" : "0"));
}

// ---- 6. SSL_sendfile versus read() + SSL_write_ex
// ------------------------------------------------

void run_sendfile(const Options& o, const Contexts& ctx) {
  require(o.mode == "sendfile" || o.mode == "loop", "--mode sendfile or loop");
  require(!o.file.empty(), "--file");
  const int fd = ::open(o.file.c_str(), O_RDONLY);
  require(fd >= 0, "open --file");
  struct stat st {};
  require(::fstat(fd, &st) == 0 && st.st_size > 0, "fstat --file");
  const size_t size = static_cast<size_t>(st.st_size);

  // What the reader must see, summed before the clock starts.
  bench::StreamChecksum expected;
  {
    std::vector<uint8_t> buf(kReadBuf);
    for (size_t copy = 0; copy < o.repeat; ++copy) {
      for (size_t off = 0; off < size;) {
        const ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(off));
        require(n > 0, "pread --file");
        expected.update(buf.data(), static_cast<size_t>(n));
        off += static_cast<size_t>(n);
      }
    }
  }

  std::atomic<bool> unsupported{false};
  std::atomic<unsigned long> sendfile_error{0};  // the ERR queue is per thread
  bench::StreamChecksum got;
  // One copy of the file, the way the mode sends it.
  auto send_file = [&](SSL* s) {
    if (o.mode == "sendfile") {
      for (size_t off = 0; off < size;) {
        const ossl_ssize_t n = SSL_sendfile(s, fd, static_cast<off_t>(off), size - off, 0);
        if (n <= 0) {
          if (off == 0) unsupported = true;  // OpenSSL without kernel TLS
          sendfile_error = ERR_peek_error();
          return false;
        }
        off += static_cast<size_t>(n);
      }
      return true;
    }
    std::vector<uint8_t> buf(o.chunk);
    if (::lseek(fd, 0, SEEK_SET) != 0) return false;
    for (;;) {
      const ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0) return false;
      if (n == 0) return true;
      size_t w = 0;
      if (SSL_write_ex(s, buf.data(), static_cast<size_t>(n), &w) != 1) return false;
    }
  };
  const TcpRun run = run_over_tcp(
      o, ctx, [&](SSL* c) { return read_exactly(c, size * o.repeat, &got); },
      [&](SSL* s) {
        for (size_t copy = 0; copy < o.repeat; ++copy) {
          if (!send_file(s)) return false;
        }
        return true;
      });
  ::close(fd);
  if (unsupported) {
    const char* reason = ERR_reason_error_string(sendfile_error);
    std::fprintf(stderr, "tls_bench (%s): SSL_sendfile failed: %s\n", TLS_BENCH_IMPL,
                 reason != nullptr ? reason : "no reason given");
    print(o, NAN, "MiB/s", "mode=" + o.mode + " status=unsupported");
    std::exit(kUnsupported);
  }
  require(run.server_ok, "sender failed");
  require(run.client_ok, "reader failed");
  require(got.bytes() == size * o.repeat && got.digest() == expected.digest(),
          "checksum of the file received differs");
  print(o, static_cast<double>(size * o.repeat) / kMiB / run.seconds, "MiB/s",
        "mode=" + o.mode + " bytes=" + std::to_string(size) +
            " repeat=" + std::to_string(o.repeat) +
            (o.mode == "loop" ? " chunk=" + std::to_string(o.chunk) : ""));
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  // A peer that went away is an error to report, not a reason to die.
  signal(SIGPIPE, SIG_IGN);
  OPENSSL_init_ssl(0, nullptr);
  const Pki pki = make_pki();
  const Contexts ctx{make_ctx(o, pki, Side::client), make_ctx(o, pki, Side::server)};

  if (o.workload == "handshake") {
    run_handshake(o, ctx);
  } else if (o.workload == "bulk_mem") {
    run_bulk_mem(o, ctx);
  } else if (o.workload == "bulk_tcp") {
    run_bulk_tcp(o, ctx);
  } else if (o.workload == "small_tcp") {
    run_small_tcp(o, ctx);
  } else if (o.workload == "idle_heap") {
    run_idle_heap(o, ctx);
  } else if (o.workload == "sendfile") {
    run_sendfile(o, ctx);
  } else {
    bench::die(kUsage);
  }

  SSL_CTX_free(ctx.client);
  SSL_CTX_free(ctx.server);
  X509_free(pki.leaf);
  X509_free(pki.ca);
  EVP_PKEY_free(pki.leaf_key);
  EVP_PKEY_free(pki.ca_key);
  return 0;
}
