// `rapidtls get URL`: one HTTPS GET with certificate and host name checks,
// written against OpenSSL's API (linked with rapidtls's C interface).
#include "get.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/host.h"
#include "self_signed.h"

namespace rapidtls::tool {

namespace {

constexpr unsigned char kAlpnHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
// The response head must fit in this (a bound on what a server can make us hold).
constexpr size_t kMaxResponseHead = 64 * 1024;

struct Url {
  std::string host;  // without brackets
  std::string port = "443";
  std::string path_and_query = "/";
};

std::optional<Url> parse_url(const std::string& s) {
  http_parser_url u;
  http_parser_url_init(&u);
  if (http_parser_parse_url(s.data(), s.size(), 0, &u) != 0) return std::nullopt;
  auto field = [&](int f) {
    return (u.field_set & (1 << f)) ? s.substr(u.field_data[f].off, u.field_data[f].len)
                                    : std::string();
  };
  if (strcasecmp(field(UF_SCHEMA).c_str(), "https") != 0) return std::nullopt;
  Url url;
  url.host = field(UF_HOST);
  if (url.host.empty()) return std::nullopt;
  if (u.field_set & (1 << UF_PORT)) url.port = field(UF_PORT);
  if (u.field_set & (1 << UF_PATH)) url.path_and_query = field(UF_PATH);
  if (u.field_set & (1 << UF_QUERY)) {
    url.path_and_query += '?';
    url.path_and_query += field(UF_QUERY);
  }
  return url;
}

void print_errors(const char* what) {
  fprintf(stderr, "rapidtls get: %s\n", what);
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    fprintf(stderr, "  %s\n", buf);
  }
}

// Connects with a timeout, then leaves the socket blocking with send and
// receive timeouts. -1 (message printed) on failure.
int connect_to(const Url& url, int timeout_s, bool verbose) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (const int r = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &res); r != 0) {
    fprintf(stderr, "rapidtls get: %s: %s\n", url.host.c_str(), gai_strerror(r));
    return -1;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(res, freeaddrinfo);
  int last_errno = 0;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int r = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, timeout_s * 1000) == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        errno = err;
        r = err == 0 ? 0 : -1;
      } else {
        errno = ETIMEDOUT;
      }
    }
    if (r == 0) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      timeval tv{timeout_s, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      if (verbose) {
        char addr[INET6_ADDRSTRLEN] = "?";
        const void* a =
            ai->ai_family == AF_INET
                ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr)
                : static_cast<const void*>(
                      &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr);
        inet_ntop(ai->ai_family, a, addr, sizeof addr);
        fprintf(stderr, "* connected to %s (%s) port %s\n", url.host.c_str(), addr,
                url.port.c_str());
      }
      return fd;
    }
    last_errno = errno;
    ::close(fd);
  }
  fprintf(stderr, "rapidtls get: cannot connect to %s port %s: %s\n", url.host.c_str(),
          url.port.c_str(), strerror(last_errno));
  return -1;
}

std::string group_name(SSL* ssl) {
  const int nid = static_cast<int>(SSL_get_negotiated_group(ssl));
  switch (nid) {
    case 0:
      return "unknown";
    case NID_X25519:
      return "X25519";
    case NID_X9_62_prime256v1:
      return "P-256";
    case NID_secp384r1:
      return "P-384";
    default:
      return OBJ_nid2sn(nid);
  }
}

std::string human_bytes(double n) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (n >= 1024 && u < 4) {
    n /= 1024;
    ++u;
  }
  char buf[32];
  snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", n, kUnits[u]);
  return buf;
}

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// A one-line progress bar on a terminal's stderr: bytes, rate, time left.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), start_(now_s()) {}
  void set_total(uint64_t already, std::optional<uint64_t> total) {
    already_ = already;
    total_ = total;
  }
  void update(uint64_t received, bool final = false) {
    if (!enabled_) return;
    const double t = now_s();
    if (!final && t - last_ < 0.2) return;
    last_ = t;
    const double elapsed = std::max(t - start_, 1e-3);
    const double rate = static_cast<double>(received) / elapsed;
    const uint64_t have = already_ + received;
    char line[160];
    if (total_) {
      const double pct = *total_ > 0 ? 100.0 * static_cast<double>(have) / *total_ : 100.0;
      const double left_s =
          rate > 0 ? static_cast<double>(*total_ > have ? *total_ - have : 0) / rate : 0;
      const int left = static_cast<int>(left_s + 0.5);
      snprintf(line, sizeof line, "\r%10s / %-10s %3.0f%%  %10s/s  %d:%02d:%02d left ",
               human_bytes(static_cast<double>(have)).c_str(),
               human_bytes(static_cast<double>(*total_)).c_str(), pct, human_bytes(rate).c_str(),
               left / 3600, left / 60 % 60, left % 60);
    } else {
      snprintf(line, sizeof line, "\r%10s  %10s/s ", human_bytes(static_cast<double>(have)).c_str(),
               human_bytes(rate).c_str());
    }
    fputs(line, stderr);
    if (final) fputs("\n", stderr);
  }

 private:
  bool enabled_;
  double start_;
  double last_ = 0;
  uint64_t already_ = 0;
  std::optional<uint64_t> total_;
};

// The response as it is parsed, and where its body goes.
struct Response {
  http_parser parser{};
  http_parser_settings settings{};
  std::string field, value;
  bool in_value = false;
  size_t head_bytes = 0;
  bool headers_done = false;
  bool complete = false;
  bool verbose = false;
  int status = 0;
  std::string content_range;
  // Body sink.
  FILE* out = nullptr;
  bool write_body = false;
  uint64_t body = 0;
  bool write_failed = false;
  Progress* progress = nullptr;
  // Decided at headers_complete by the caller's hook.
  int (*on_head)(Response*) = nullptr;
  void* ctx = nullptr;

  void end_header() {
    if (field.empty()) return;
    if (verbose) fprintf(stderr, "< %s: %s\n", field.c_str(), value.c_str());
    if (strcasecmp(field.c_str(), "content-range") == 0) content_range = value;
    field.clear();
    value.clear();
  }
};

int on_status(http_parser* p, const char* at, size_t n) {
  auto* r = static_cast<Response*>(p->data);
  if (r->verbose) {
    fprintf(stderr, "< HTTP/%u.%u %u %.*s\n", p->http_major, p->http_minor, p->status_code,
            static_cast<int>(n), at);
  }
  return 0;
}

int on_header_field(http_parser* p, const char* at, size_t n) {
  auto* r = static_cast<Response*>(p->data);
  if (r->in_value) {
    r->end_header();
    r->in_value = false;
  }
  r->field.append(at, n);
  return r->field.size() > kMaxResponseHead ? 1 : 0;
}

int on_header_value(http_parser* p, const char* at, size_t n) {
  auto* r = static_cast<Response*>(p->data);
  r->in_value = true;
  r->value.append(at, n);
  return r->value.size() > kMaxResponseHead ? 1 : 0;
}

int on_headers_complete(http_parser* p) {
  auto* r = static_cast<Response*>(p->data);
  r->end_header();
  r->headers_done = true;
  r->status = p->status_code;
  return r->on_head(r);
}

int on_body(http_parser* p, const char* at, size_t n) {
  auto* r = static_cast<Response*>(p->data);
  if (r->write_body && fwrite(at, 1, n, r->out) != n) {
    r->write_failed = true;
    return 1;
  }
  r->body += n;
  if (r->write_body) r->progress->update(r->body);
  return 0;
}

int on_message_complete(http_parser* p) {
  static_cast<Response*>(p->data)->complete = true;
  return 0;
}

struct HeadDecision {
  const GetOptions* options;
  uint64_t offset;  // bytes already in the file when resuming
  std::string* error;
  bool already_complete = false;
  bool restarted = false;
};

// Decides what to do with the body once the status and headers are known.
int decide(Response* r) {
  auto* d = static_cast<HeadDecision*>(r->ctx);
  const uint64_t content_length =
      r->parser.content_length != ULLONG_MAX ? r->parser.content_length : 0;
  const bool length_known = r->parser.content_length != ULLONG_MAX;
  if (r->status == 206 && d->offset > 0) {
    // Content-Range: bytes first-last/size must start where the file ends.
    unsigned long long first = 0, last = 0, size = 0;
    if (sscanf(r->content_range.c_str(), "bytes %llu-%llu/%llu", &first, &last, &size) != 3 ||
        first != d->offset) {
      *d->error =
          "the server answered the Range request with another range (" + r->content_range + ")";
      return 1;
    }
    r->write_body = true;
    r->progress->set_total(d->offset, size);
    return 0;
  }
  if (r->status == 416 && d->offset > 0) {
    unsigned long long size = 0;
    if (sscanf(r->content_range.c_str(), "bytes */%llu", &size) == 1 && size == d->offset) {
      d->already_complete = true;  // nothing left to fetch
      return 0;
    }
    *d->error = "HTTP 416: the server's file is shorter than the partial one";
    return 1;
  }
  if (r->status == 200) {
    if (d->offset > 0) {
      // The server sent the whole file: start again from its first byte.
      d->restarted = true;
      if (fflush(r->out) != 0 || ftruncate(fileno(r->out), 0) != 0 ||
          fseeko(r->out, 0, SEEK_SET) != 0) {
        *d->error = std::string("cannot truncate the output: ") + strerror(errno);
        return 1;
      }
    }
    r->write_body = true;
    r->progress->set_total(0,
                           length_known ? std::optional<uint64_t>(content_length) : std::nullopt);
    return 0;
  }
  char buf[64];
  snprintf(buf, sizeof buf, "HTTP %d %s", r->status,
           http_status_str(static_cast<http_status>(r->status)));
  *d->error = buf;
  return 0;  // read (and drop) the body, then fail
}

}  // namespace

int run_get(const GetOptions& o) {
  const std::optional<Url> url = parse_url(o.url);
  if (!url) {
    fprintf(stderr, "rapidtls get: %s: not an https:// URL\n", o.url.c_str());
    return 2;
  }
  if (o.resume && o.output.empty()) {
    fprintf(stderr, "rapidtls get: -C needs -o FILE\n");
    return 2;
  }

  // Where the body goes, and what is already there when resuming.
  uint64_t offset = 0;
  FILE* out = stdout;
  std::unique_ptr<FILE, int (*)(FILE*)> out_owner(nullptr, fclose);
  if (!o.output.empty()) {
    if (o.resume) {
      const int fd = ::open(o.output.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      struct stat st {};
      if (fd < 0 || ::fstat(fd, &st) != 0) {
        fprintf(stderr, "rapidtls get: %s: %s\n", o.output.c_str(), strerror(errno));
        return 1;
      }
      offset = static_cast<uint64_t>(st.st_size);
      out = fdopen(fd, "r+b");
      if (out != nullptr) fseeko(out, 0, SEEK_END);
    } else {
      out = fopen(o.output.c_str(), "wb");
    }
    if (out == nullptr) {
      fprintf(stderr, "rapidtls get: %s: %s\n", o.output.c_str(), strerror(errno));
      return 1;
    }
    out_owner.reset(out);
  }

  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  if (!ctx || SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) {
    print_errors("cannot make an SSL_CTX");
    return 1;
  }
  // Kernel TLS where the kernel has it (else records are opened here, as
  // without it); -v says which (docs/ktls.md).
  SSL_CTX_set_options(ctx.get(), SSL_OP_ENABLE_KTLS);
  if (!o.insecure) {
    const int loaded = o.cafile.empty()
                           ? SSL_CTX_set_default_verify_paths(ctx.get())
                           : SSL_CTX_load_verify_locations(ctx.get(), o.cafile.c_str(), nullptr);
    if (loaded != 1) {
      print_errors("cannot load the trusted certificates");
      return 1;
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  SSL_CTX_set_alpn_protos(ctx.get(), kAlpnHttp11, sizeof kAlpnHttp11);

  const int fd = connect_to(*url, o.timeout_s, o.verbose);
  if (fd < 0) return 1;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) {
    print_errors("cannot make an SSL");
    ::close(fd);
    return 1;
  }
  // RFC 6066 3: no server_name for address literals; the name is checked
  // against the certificate in both cases.
  if (!rapidtls::is_ip_literal(url->host)) SSL_set_tlsext_host_name(ssl.get(), url->host.c_str());
  if (!o.insecure) SSL_set1_host(ssl.get(), url->host.c_str());

  if (SSL_connect(ssl.get()) != 1) {
    const long v = SSL_get_verify_result(ssl.get());
    if (v != X509_V_OK) {
      fprintf(stderr, "rapidtls get: the server's certificate is not trusted: %s\n",
              X509_verify_cert_error_string(v));
      ERR_clear_error();
    } else {
      print_errors("TLS handshake failed");
    }
    ::close(fd);
    return 1;
  }
  if (o.verbose) {
    const unsigned char* alpn = nullptr;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(ssl.get(), &alpn, &alpn_len);
    fprintf(stderr, "* kernel TLS: send %s, receive %s\n",
            BIO_get_ktls_send(SSL_get_wbio(ssl.get())) ? "on" : "off",
            BIO_get_ktls_recv(SSL_get_rbio(ssl.get())) ? "on" : "off");
    fprintf(stderr, "* %s, suite %s, group %s, ALPN %s\n", SSL_get_version(ssl.get()),
            SSL_CIPHER_get_name(SSL_get_current_cipher(ssl.get())), group_name(ssl.get()).c_str(),
            alpn_len > 0 ? std::string(reinterpret_cast<const char*>(alpn), alpn_len).c_str()
                         : "(none)");
    if (X509* peer = SSL_get1_peer_certificate(ssl.get())) {
      fprintf(stderr, "* certificate subject: %s\n", subject_line(peer).c_str());
      fprintf(stderr, "* certificate issuer: %s\n", issuer_line(peer).c_str());
      fprintf(stderr, "* certificate SHA-256: %s\n", sha256_fingerprint(peer).c_str());
      X509_free(peer);
    }
    fprintf(stderr, "* certificate %s\n",
            o.insecure ? "not verified (--insecure)" : "verified, host name matches");
  }

  // The request.
  std::string host_header =
      url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
  if (url->port != "443") host_header += ":" + url->port;
  std::string request = "GET " + url->path_and_query + " HTTP/1.1\r\nHost: " + host_header +
                        "\r\nUser-Agent: rapidtls/0.1\r\nAccept: */*\r\n";
  if (offset > 0) request += "Range: bytes=" + std::to_string(offset) + "-\r\n";
  request += "Connection: close\r\n\r\n";
  if (o.verbose) {
    fprintf(stderr, "> GET %s HTTP/1.1\n", url->path_and_query.c_str());
    if (offset > 0)
      fprintf(stderr, "> Range: bytes=%llu-\n", static_cast<unsigned long long>(offset));
  }
  size_t written = 0;
  if (SSL_write_ex(ssl.get(), request.data(), request.size(), &written) != 1) {
    print_errors("cannot send the request");
    ::close(fd);
    return 1;
  }

  // The response.
  Progress progress(!o.silent && isatty(STDERR_FILENO) && out != stdout);
  Response resp;
  std::string error;
  HeadDecision decision{&o, offset, &error};
  http_parser_settings_init(&resp.settings);
  resp.settings.on_status = on_status;
  resp.settings.on_header_field = on_header_field;
  resp.settings.on_header_value = on_header_value;
  resp.settings.on_headers_complete = on_headers_complete;
  resp.settings.on_body = on_body;
  resp.settings.on_message_complete = on_message_complete;
  http_parser_init(&resp.parser, HTTP_RESPONSE);
  resp.parser.data = &resp;
  resp.verbose = o.verbose;
  resp.out = out;
  resp.progress = &progress;
  resp.on_head = decide;
  resp.ctx = &decision;

  std::vector<char> buf(64 * 1024);
  bool clean_close = false;
  while (!resp.complete) {
    size_t n = 0;
    ERR_clear_error();
    const int r = SSL_read_ex(ssl.get(), buf.data(), buf.size(), &n);
    if (r != 1) {
      const int err = SSL_get_error(ssl.get(), r);
      clean_close = err == SSL_ERROR_ZERO_RETURN;
      if (!clean_close) {
        if (err != SSL_ERROR_SSL ||
            ERR_GET_REASON(ERR_peek_error()) != SSL_R_UNEXPECTED_EOF_WHILE_READING) {
          print_errors("reading the response failed");
          ::close(fd);
          return 1;
        }
        ERR_clear_error();
        // EOF without close_notify is harmless where HTTP marks the end itself
        // (Content-Length, chunked): the parser then knows whether all came.
        // A body delimited by the close alone could have been cut short.
        const bool eof_delimited = resp.headers_done && resp.parser.content_length == ULLONG_MAX &&
                                   (resp.parser.flags & F_CHUNKED) == 0;
        if (eof_delimited && !resp.complete) {
          fprintf(stderr,
                  "rapidtls get: the server closed the connection without close_notify; "
                  "the body (delimited by the close) may be truncated\n");
          ::close(fd);
          return 1;
        }
      }
      http_parser_execute(&resp.parser, &resp.settings, nullptr, 0);  // EOF
      break;
    }
    const size_t parsed = http_parser_execute(&resp.parser, &resp.settings, buf.data(), n);
    if (!resp.headers_done) resp.head_bytes += n;
    if (parsed != n || HTTP_PARSER_ERRNO(&resp.parser) != HPE_OK) break;
    if (!resp.headers_done && resp.head_bytes > kMaxResponseHead) break;
  }
  if (resp.write_body) progress.update(resp.body, true);
  if (fflush(out) != 0) resp.write_failed = true;
  if (clean_close || resp.complete) {
    ERR_clear_error();
    SSL_shutdown(ssl.get());  // our close_notify
  }
  ::close(fd);

  if (resp.write_failed) {
    fprintf(stderr, "rapidtls get: cannot write the body: %s\n", strerror(errno));
    return 1;
  }
  if (!error.empty()) {
    fprintf(stderr, "rapidtls get: %s\n", error.c_str());
    return 1;
  }
  if (!resp.complete) {
    const http_errno e = HTTP_PARSER_ERRNO(&resp.parser);
    fprintf(stderr, "rapidtls get: the response is incomplete or malformed (%s, %llu body bytes)\n",
            e != HPE_OK ? http_errno_description(e) : "connection closed early",
            static_cast<unsigned long long>(resp.body));
    return 1;
  }
  if (decision.already_complete) {
    fprintf(stderr, "rapidtls get: %s is already complete (%llu bytes)\n", o.output.c_str(),
            static_cast<unsigned long long>(offset));
  } else if (decision.restarted) {
    fprintf(stderr, "rapidtls get: the server does not resume; downloaded the whole file\n");
  }
  if (o.verbose) {
    fprintf(stderr, "* %llu body bytes\n", static_cast<unsigned long long>(resp.body));
  }
  return 0;
}

}  // namespace rapidtls::tool
