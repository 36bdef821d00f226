// The event loop of `rapidtls serve`: TLS handshakes, HTTP/1.1 requests and
// responses over non-blocking sockets, all through the C interface.
//
// The loop is level-triggered: a connection says what it waits for
// (EPOLLIN or EPOLLOUT, from SSL_get_error's WANT_READ / WANT_WRITE) and is
// called again when the socket is ready. Each call does a bounded amount of
// work, so one fast download cannot starve the other connections of its loop,
// and a client that stops reading only parks its own connection. A write cut
// short by WANT_WRITE is retried with the same arguments, as SSL_write(3)
// requires: the response head lives in a string that does not change until
// it has left, and SSL_sendfile is called again at the same offset.
#include "loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <ctime>

#include "http.h"

namespace rapidtls::tool {

namespace {

// Plaintext read per SSL_read_ex call.
constexpr size_t kReadBuffer = 16 * 1024;
// File bytes handed to one SSL_sendfile call, and per readiness event: then
// the loop moves on to other connections (it comes back while the socket
// stays writable).
constexpr size_t kSendfileStep = 256 * 1024;
constexpr size_t kWriteBudgetPerEvent = 1024 * 1024;
// Bodies up to this size are read into the response's buffer behind the head
// and written with it (a full record holds 16 KiB).
constexpr uint64_t kInlineBody = 12 * 1024;
// Steps of one connection's state machine per event (pipelined requests).
constexpr int kStepsPerEvent = 16;
// Answers to pipelined requests that are already read go out together, up to
// this much: one SSL_write, one record, one send for a run of small answers
// instead of one each.
constexpr size_t kResponseBatch = 16 * 1024;
// How long a closing connection waits for the client to close its side, so
// that unread bytes do not turn our close into a reset that destroys the end
// of the response on the way.
constexpr int64_t kLingerMs = 2000;
// After SIGINT/SIGTERM, connections get this long to take their close_notify.
constexpr int64_t kStopGraceMs = 2000;
// How often deadlines are checked.
constexpr int kTickMs = 250;
constexpr int kAcceptsPerEvent = 64;
// The largest response buffer the loop keeps for the next response (a head
// and an inline body are at most ~13 KiB); a larger one (a big folder
// listing) is freed with its response.
constexpr size_t kSpareResponseBuffer = 32 * 1024;

int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string peer_name(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
    std::string name(1, '[');
    name += host;
    name += "]:";
    name += std::to_string(port);
    return name;
  }
  return "?";
}

// A request target as it may appear in the log: no control characters,
// quotes or backslashes from the client reach the terminal, and it is short.
std::string loggable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 512)) {
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 512) out += "...";
  return out;
}

// SSL_get_error(3) needs the thread's error queue empty before each SSL call.
// ERR_clear_error walks every slot of the queue even when it is empty (~800
// instructions in OpenSSL 3.0, three calls per request); a look first costs
// a fraction of that, and a failure clears the queue anyway (io_stop).
void clear_errors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

template <typename T>
void append_number(std::string* out, T v, int base = 10) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, base);
  out->append(buf, r.ptr);
}

std::string first_error_string() {
  const unsigned long e = ERR_peek_error();
  if (e == 0) return "connection closed";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

struct Connection {
  enum class State : uint8_t { handshake, reading, writing, close_notify, linger };

  int fd = -1;
  SSL* ssl = nullptr;
  std::string peer;
  State state = State::handshake;
  uint32_t events = 0;  // the epoll interest now
  int64_t deadline_ms = 0;
  bool head_timer_started = false;
  bool await_request = false;  // a response just finished: wait for the next request

  RequestParser parser;
  std::string stash;  // bytes after the request being answered (pipelining)
  // Whole answers held back while the stash holds the next request; they
  // leave, in order, in front of the next answer that is not held back.
  std::string batch;
  bool flush_only = false;  // `out` is a held-back batch alone: no request of its own

  // The response in progress.
  std::string out;  // head, and the body when it is small (errors, listings)
  size_t out_sent = 0;
  size_t out_body = 0;  // bytes of `out` that are body
  int file_fd = -1;
  off_t file_off = 0;
  uint64_t file_left = 0;
  bool keep_alive = true;
  int status = 0;
  uint64_t body_sent = 0;
  std::string log_method, log_target;
  int log_minor = 1;

  ~Connection() {
    if (file_fd >= 0) ::close(file_fd);
    SSL_free(ssl);
    if (fd >= 0) ::close(fd);
  }
};

EventLoop::EventLoop(ServerShared& shared, int listen_fd)
    : shared_(shared), listen_fd_(listen_fd), read_buf_(kReadBuffer) {}

EventLoop::~EventLoop() {
  conns_.clear();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

bool EventLoop::init() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) return false;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd_;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) != 0) return false;
  ev.data.fd = wake_fd_;
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) == 0;
}

void EventLoop::stop() {
  stop_requested_.store(true);
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void EventLoop::run() {
  std::vector<epoll_event> events(256);
  int64_t next_sweep = now_ms() + kTickMs;
  for (;;) {
    if (stopping_ && (conns_.empty() || now_ms() >= stop_deadline_ms_)) break;
    const int timeout = ready_.empty() ? kTickMs : 0;
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout);
    if (n < 0 && errno != EINTR) {
      perror("rapidtls serve: epoll_wait");
      break;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_fd_) {
        accept_all();
      } else if (fd == wake_fd_) {
        uint64_t v;
        (void)!::read(wake_fd_, &v, sizeof v);
        if (stop_requested_.load() && !stopping_) begin_stop();
      } else if (auto it = conns_.find(fd); it != conns_.end()) {
        drive(*it->second);
      }
    }
    if (!ready_.empty()) {
      std::vector<int> ready;
      ready.swap(ready_);
      for (int fd : ready) {
        if (auto it = conns_.find(fd); it != conns_.end()) drive(*it->second);
      }
    }
    if (now_ms() >= next_sweep) {
      sweep_timeouts();
      next_sweep = now_ms() + kTickMs;
    }
    flush_log();
  }
  conns_.clear();  // whoever is left after the grace period
  flush_log();
}

void EventLoop::accept_all() {
  const ServeOptions& opt = *shared_.options;
  for (int i = 0; i < kAcceptsPerEvent && !stopping_; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd =
        ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        if (refused_++ % 1000 == 0) perror("rapidtls serve: accept");
      }
      return;  // EAGAIN, or out of descriptors until some close
    }
    // The cap: beyond it a connection is closed at once, before any TLS work.
    if (shared_.connections.fetch_add(1) >= opt.max_connections) {
      shared_.connections.fetch_sub(1);
      ::close(fd);
      if (refused_++ % 1000 == 0) {
        fprintf(stderr, "rapidtls serve: connection limit (%zu) reached; refusing\n",
                opt.max_connections);
      }
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->peer = peer_name(ss);
    c->ssl = SSL_new(shared_.ctx);
    if (c->ssl == nullptr || SSL_set_fd(c->ssl, fd) != 1) {
      ERR_clear_error();
      shared_.connections.fetch_sub(1);
      continue;  // ~Connection closes fd
    }
    SSL_set_accept_state(c->ssl);
    // Read-ahead: one recv takes whatever the client sent (a request is a
    // small record: without it a header read, then a body read). The loop
    // reads until WANT_READ before it waits, so nothing waits unseen here.
    SSL_set_read_ahead(c->ssl, 1);
    c->deadline_ms = now_ms() + opt.header_timeout_s * 1000L;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      shared_.connections.fetch_sub(1);
      continue;
    }
    c->events = EPOLLIN;
    conns_.emplace(fd, std::move(c));
  }
}

void EventLoop::set_interest(Connection& c, uint32_t events) {
  if (c.events == events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = c.fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev) == 0) c.events = events;
}

void EventLoop::drive(Connection& c) {
  for (int step = 0; step < kStepsPerEvent; ++step) {
    Progress p = Progress::wait;
    switch (c.state) {
      case Connection::State::handshake:
        p = step_handshake(c);
        break;
      case Connection::State::reading:
        p = step_read(c);
        break;
      case Connection::State::writing:
        p = step_write(c);
        break;
      case Connection::State::close_notify:
        p = step_close_notify(c);
        break;
      case Connection::State::linger:
        p = step_linger(c);
        break;
    }
    if (p != Progress::more) return;
  }
  // Work is left that no socket event may announce (pipelined requests
  // already read): come back after the others have had their turn.
  ready_.push_back(c.fd);
}

// What a failed SSL call means for the connection: wait for the socket, or
// give up on it.
EventLoop::Progress EventLoop::io_stop(Connection& c, int ret) {
  const int err = SSL_get_error(c.ssl, ret);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      set_interest(c, EPOLLIN);
      return Progress::wait;
    case SSL_ERROR_WANT_WRITE:
      set_interest(c, EPOLLOUT);
      return Progress::wait;
    case SSL_ERROR_ZERO_RETURN:  // the client's close_notify: answer with ours
      ERR_clear_error();
      begin_close(c, true);
      return Progress::more;
    default:
      break;
  }
  if (err == SSL_ERROR_SSL && c.state == Connection::State::handshake &&
      ERR_GET_REASON(ERR_peek_error()) != SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    fprintf(stderr, "rapidtls serve: %s: TLS handshake failed: %s\n", c.peer.c_str(),
            first_error_string().c_str());
  } else if (c.state == Connection::State::writing && !c.flush_only) {
    log_request(c);  // the response was cut short: log what left
  }
  ERR_clear_error();
  if (err == SSL_ERROR_SSL) {
    // The connection failed in TLS: our fatal alert went out (as far as the
    // socket took it), or the client's came in. Closing now, with the
    // client's later bytes unread, would answer them with a reset, and a
    // client that meets the reset on a write may never read our alert: end
    // our side of TCP and read until the client's FIN (or the linger time),
    // as a close does.
    begin_close(c, false);
    return Progress::more;
  }
  close_now(c);
  return Progress::closed;
}

EventLoop::Progress EventLoop::step_handshake(Connection& c) {
  clear_errors();
  const int r = SSL_do_handshake(c.ssl);
  if (r != 1) return io_stop(c, r);
  c.state = Connection::State::reading;
  if (shared_.options->verbose) {
    // -v: what the connection uses, kernel TLS included (docs/ktls.md).
    std::lock_guard<std::mutex> lock(shared_.stdout_mutex);
    printf("tls: fd %d: %s %s, kernel TLS send %s, receive %s\n", c.fd, SSL_get_version(c.ssl),
           SSL_CIPHER_get_name(SSL_get_current_cipher(c.ssl)),
           BIO_get_ktls_send(SSL_get_wbio(c.ssl)) ? "on" : "off",
           BIO_get_ktls_recv(SSL_get_rbio(c.ssl)) ? "on" : "off");
    fflush(stdout);
  }
  return Progress::more;
}

EventLoop::Progress EventLoop::step_read(Connection& c) {
  if (!c.stash.empty()) {
    std::string pending;
    pending.swap(c.stash);
    take_input(c, pending);
    return Progress::more;
  }
  if (c.await_request) {
    c.await_request = false;
    // A keep-alive client sends its next request after it has read this
    // response, so a read now would nearly always find nothing: an SSL_read
    // whose recv fails with EAGAIN, per request. Records the TLS layer
    // already holds (read ahead with this one) are read at once; otherwise
    // level-triggered EPOLLIN (set by finish_response) says when bytes come.
    if (SSL_has_pending(c.ssl) == 0) return Progress::wait;
  }
  if (!c.batch.empty()) {
    // The stash ended inside a request: what is held back leaves before
    // waiting for the rest (the client may read the answers first).
    start_flush(c);
    return Progress::more;
  }
  clear_errors();
  size_t n = 0;
  const int r = SSL_read_ex(c.ssl, read_buf_.data(), read_buf_.size(), &n);
  if (r != 1) return io_stop(c, r);
  take_input(c, std::string_view(read_buf_.data(), n));
  return Progress::more;
}

// Feeds request bytes to the parser; starts the response when a request (or
// a malformed one) is complete. Bytes past the request wait in the stash.
bool EventLoop::take_input(Connection& c, std::string_view data) {
  while (!data.empty() && c.state == Connection::State::reading) {
    const RequestParser::Fed fed = c.parser.feed(data);
    data.remove_prefix(std::min(fed.consumed, data.size()));
    if (!c.head_timer_started && c.parser.started()) {
      // The slow-header clock: the whole head must arrive within the limit.
      c.head_timer_started = true;
      c.deadline_ms = now_ms() + shared_.options->header_timeout_s * 1000L;
    }
    switch (fed.outcome) {
      case RequestParser::Outcome::request:
        c.stash.assign(data);
        begin_response(c);
        return true;
      case RequestParser::Outcome::error:
        c.stash.clear();
        c.log_method.assign(1, '-');
        c.log_target.assign(1, '-');
        respond_simple(c, fed.status, {}, true);
        return true;
      case RequestParser::Outcome::need_more:
        break;
    }
  }
  return false;
}

const std::string& EventLoop::date_header() {
  const time_t t = ::time(nullptr);
  if (t != date_second_) {
    date_second_ = t;
    date_ = http_date(t);
  }
  return date_;
}

// Last-Modified of the file answered last, kept: a run of requests for the
// same file formats its date once.
const std::string& EventLoop::last_modified_header(time_t t) {
  if (!last_modified_valid_ || t != last_modified_second_) {
    last_modified_second_ = t;
    last_modified_valid_ = true;
    char buf[kHttpDateSize];
    if (format_http_date(t, buf)) {
      last_modified_.assign(buf, kHttpDateSize);
    } else {
      last_modified_ = http_date(t);
    }
  }
  return last_modified_;
}

// Starts a response head in c.out: status line, Server and Date. The head is
// built in the loop's spare buffer when the connection has none as large, so
// that a run of responses reuses one allocation (finish_response gives it
// back).
void EventLoop::start_head(Connection& c, int status) {
  if (c.out.capacity() < spare_.capacity()) c.out.swap(spare_);
  c.out.clear();
  c.out += "HTTP/1.1 ";
  append_number(&c.out, status);
  c.out += ' ';
  c.out += reason_phrase(status);
  c.out += "\r\nServer: rapidtls\r\nDate: ";
  c.out += date_header();
  c.out += "\r\n";
}

namespace {

// Appends the range's bytes of `fd` to `out`; false (out unchanged) when
// the file gave fewer (it shrank): then the sendfile path answers as before.
bool read_inline(int fd, const ByteRange& range, std::string* out) {
  const size_t at = out->size();
  out->resize(at + range.length);
  size_t got = 0;
  while (got < range.length) {
    const ssize_t n = ::pread(fd, out->data() + at + got, range.length - got,
                              static_cast<off_t>(range.first + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      out->resize(at);
      return false;
    }
    got += static_cast<size_t>(n);
  }
  return true;
}

// "size-mtime-nanoseconds" in hex, quoted (RFC 9110 8.8.3). Formatted with to_chars rather than
// snprintf (~1,600 instructions a request), into the loop's reused string; the text is the same as
// "%llx-%llx-%lx" printed.
void etag_for(const struct stat& st, std::string* out) {
  out->assign(1, '"');
  append_number(out, static_cast<unsigned long long>(st.st_size), 16);
  *out += '-';
  append_number(out, static_cast<unsigned long long>(st.st_mtim.tv_sec), 16);
  *out += '-';
  append_number(out, static_cast<unsigned long>(st.st_mtim.tv_nsec), 16);
  *out += '"';
}

}  // namespace

void EventLoop::respond_simple(Connection& c, int status, std::string extra_headers,
                               bool close_after) {
  const std::string title = std::to_string(status) + " " + std::string(reason_phrase(status));
  const std::string body = "<!DOCTYPE html>\n<html><head><title>" + title +
                           "</title></head><body><h1>" + title + "</h1></body></html>\n";
  if (close_after) c.keep_alive = false;
  const bool head_only = c.log_method == "HEAD";
  c.status = status;
  start_head(c, status);
  c.out += "Content-Type: text/html; charset=utf-8\r\nContent-Length: ";
  append_number(&c.out, body.size());
  c.out += "\r\n";
  c.out += extra_headers;
  if (!c.keep_alive) c.out += "Connection: close\r\n";
  c.out += "\r\n";
  if (!head_only) {
    c.out += body;
    c.out_body = body.size();
  }
  c.out_sent = 0;
  c.state = Connection::State::writing;
}

void EventLoop::begin_response(Connection& c) {
  const Request& req = c.parser.request();
  c.log_method = req.method;
  c.log_target = req.target;
  c.log_minor = req.http_minor;
  c.keep_alive = req.keep_alive && !stopping_;
  c.out_body = 0;
  c.body_sent = 0;
  c.file_left = 0;
  if (req.method != "GET" && req.method != "HEAD") {
    respond_simple(c, 405, "Allow: GET, HEAD\r\n");
    return;
  }
  const bool head_only = req.method == "HEAD";
  DocumentRoot::Found found = shared_.root->find(req.target);
  if (found.status == 301) {
    std::string location = req.target.substr(0, req.target.find('?'));
    location += '/';
    if (const size_t q = req.target.find('?'); q != std::string::npos) {
      location += req.target.substr(q);
    }
    respond_simple(c, 301, "Location: " + location + "\r\n");
    return;
  }
  if (found.status != 200) {
    respond_simple(c, found.status, {}, found.status == 400);
    return;
  }
  std::string head;
  if (S_ISDIR(found.st.st_mode)) {
    const std::string body = folder_listing(found.fd, found.path);
    ::close(found.fd);
    c.status = 200;
    start_head(c, 200);
    c.out += "Content-Type: text/html; charset=utf-8\r\nCache-Control: no-cache\r\n";
    c.out += "Content-Length: ";
    append_number(&c.out, body.size());
    c.out += "\r\n";
    if (!c.keep_alive) c.out += "Connection: close\r\n";
    c.out += "\r\n";
    if (!head_only) {
      c.out += body;
      c.out_body = body.size();
    }
    c.out_sent = 0;
    c.state = Connection::State::writing;
    return;
  }

  // A regular file: the whole of it, or one range.
  const uint64_t size = static_cast<uint64_t>(found.st.st_size);
  std::string& etag = etag_;
  etag_for(found.st, &etag);
  const std::string& last_modified = last_modified_header(found.st.st_mtim.tv_sec);
  ByteRange range{0, size};
  RangeKind kind = RangeKind::none;
  // RFC 9110 13.1.5: If-Range that no longer matches means "send it all".
  if (!req.range.empty() &&
      (req.if_range.empty() || req.if_range == etag || req.if_range == last_modified)) {
    kind = parse_range(req.range, size, &range);
  }
  if (kind == RangeKind::unsatisfiable) {
    ::close(found.fd);
    respond_simple(c, 416, "Content-Range: bytes */" + std::to_string(size) + "\r\n");
    return;
  }
  c.status = kind == RangeKind::satisfiable ? 206 : 200;
  start_head(c, c.status);
  c.out += "Content-Type: ";
  c.out += content_type_for(found.path);
  c.out += "\r\nContent-Length: ";
  append_number(&c.out, range.length);
  c.out += "\r\n";
  if (kind == RangeKind::satisfiable) {
    c.out += "Content-Range: bytes ";
    append_number(&c.out, range.first);
    c.out += '-';
    append_number(&c.out, range.first + range.length - 1);
    c.out += '/';
    append_number(&c.out, size);
    c.out += "\r\n";
  }
  c.out += "Accept-Ranges: bytes\r\nLast-Modified: ";
  c.out += last_modified;
  c.out += "\r\nETag: ";
  c.out += etag;
  c.out += "\r\n";
  if (!c.keep_alive) c.out += "Connection: close\r\n";
  c.out += "\r\n";
  c.out_sent = 0;
  if (head_only || range.length == 0) {
    ::close(found.fd);
  } else if (range.length <= kInlineBody && read_inline(found.fd, range, &c.out)) {
    // A small body goes with the head: one SSL_write, one record when both
    // fit in 16 KiB, one send, instead of a write for the head and
    // SSL_sendfile's pread, seal and send for the body.
    ::close(found.fd);
    c.out_body = range.length;
  } else {
    c.file_fd = found.fd;
    c.file_off = static_cast<off_t>(range.first);
    c.file_left = range.length;
  }
  c.state = Connection::State::writing;
}

// An answer in `out` whose whole is in memory, when the next request is
// already read (its head is in the stash) and there is room in the batch:
// held back rather than written now.
bool EventLoop::can_hold_back(const Connection& c) const {
  return c.out_sent == 0 && !c.flush_only && c.file_left == 0 && c.keep_alive && !stopping_ &&
         c.batch.size() + c.out.size() <= kResponseBatch &&
         c.stash.find("\r\n\r\n") != std::string::npos;
}

// Writes what is held back, with no answer of its own after it.
void EventLoop::start_flush(Connection& c) {
  c.out.swap(c.batch);
  c.batch.clear();
  c.batch.shrink_to_fit();
  c.out_sent = 0;
  c.out_body = 0;
  c.flush_only = true;
  c.state = Connection::State::writing;
}

EventLoop::Progress EventLoop::step_write(Connection& c) {
  const int64_t idle_ms = shared_.options->idle_timeout_s * 1000L;
  if (c.out_sent == 0 && !c.flush_only) {
    if (can_hold_back(c)) {
      c.batch += c.out;
      finish_response(c);
      return Progress::more;
    }
    if (!c.batch.empty()) {
      // The held-back answers go first, in the same write as this one's head.
      c.batch += c.out;
      c.out.swap(c.batch);
      c.batch.clear();
      c.batch.shrink_to_fit();  // (the head's buffer: finish_response recycles `out`'s)
    }
  }
  while (c.out_sent < c.out.size()) {
    clear_errors();
    size_t w = 0;
    // After WANT_WRITE this is called again with the same pointer and length.
    const int r = SSL_write_ex(c.ssl, c.out.data() + c.out_sent, c.out.size() - c.out_sent, &w);
    if (r != 1) return io_stop(c, r);
    c.out_sent += w;
    c.deadline_ms = now_ms() + idle_ms;
  }
  size_t budget = kWriteBudgetPerEvent;
  while (c.file_left > 0) {
    if (budget == 0) {
      set_interest(c, EPOLLOUT);  // level-triggered: back while the socket has room
      return Progress::wait;
    }
    const size_t want = static_cast<size_t>(std::min<uint64_t>(c.file_left, kSendfileStep));
    clear_errors();
    const ossl_ssize_t r = SSL_sendfile(c.ssl, c.file_fd, c.file_off, want, 0);
    if (r <= 0) return io_stop(c, static_cast<int>(r));
    c.file_off += static_cast<off_t>(r);
    c.file_left -= static_cast<uint64_t>(r);
    c.body_sent += static_cast<uint64_t>(r);
    budget -= std::min(budget, static_cast<size_t>(r));
    c.deadline_ms = now_ms() + idle_ms;
  }
  finish_response(c);
  return Progress::more;
}

void EventLoop::finish_response(Connection& c) {
  if (c.flush_only) {
    // A batch alone left: the request under way is still being read.
    c.flush_only = false;
    c.out.clear();
    c.out.shrink_to_fit();
    c.out_sent = 0;
    if (!c.keep_alive || stopping_) {
      begin_close(c, true);
      return;
    }
    c.state = Connection::State::reading;
    c.deadline_ms = now_ms() + shared_.options->idle_timeout_s * 1000L;
    set_interest(c, EPOLLIN);
    return;
  }
  c.body_sent += c.out_body;
  log_request(c);
  if (c.file_fd >= 0) {
    ::close(c.file_fd);
    c.file_fd = -1;
  }
  // The buffer goes back to the loop for the next response, or is freed: an
  // idle keep-alive connection holds none.
  c.out.clear();
  if (c.out.capacity() > spare_.capacity() && c.out.capacity() <= kSpareResponseBuffer) {
    c.out.swap(spare_);
  }
  c.out.shrink_to_fit();
  c.out_sent = 0;
  c.out_body = 0;
  if (!c.keep_alive || stopping_) {
    begin_close(c, true);
    return;
  }
  c.parser.next();
  c.head_timer_started = false;
  c.await_request = c.stash.empty();
  c.state = Connection::State::reading;
  c.deadline_ms = now_ms() + shared_.options->idle_timeout_s * 1000L;
  set_interest(c, EPOLLIN);
}

void EventLoop::log_request(const Connection& c) {
  if (!shared_.options->access_log) return;
  char when[32];
  const time_t t = ::time(nullptr);
  struct tm tm_utc {};
  gmtime_r(&t, &tm_utc);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm_utc);
  const SSL_CIPHER* cipher = SSL_get_current_cipher(c.ssl);
  log_ += when;
  log_ += ' ';
  log_ += c.peer;
  log_ += " \"";
  log_ += loggable(c.log_method);
  log_ += ' ';
  log_ += loggable(c.log_target);
  log_ += " HTTP/1.";
  log_ += std::to_string(c.log_minor);
  log_ += "\" ";
  log_ += std::to_string(c.status);
  log_ += ' ';
  log_ += std::to_string(c.body_sent);
  log_ += ' ';
  log_ += SSL_get_version(c.ssl);
  log_ += ' ';
  log_ += cipher != nullptr ? SSL_CIPHER_get_name(cipher) : "-";
  log_ += '\n';
}

void EventLoop::flush_log() {
  if (log_.empty()) return;
  {
    std::lock_guard<std::mutex> lock(shared_.stdout_mutex);
    size_t off = 0;
    while (off < log_.size()) {
      const ssize_t n = ::write(STDOUT_FILENO, log_.data() + off, log_.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // stdout gone: drop the log, keep serving
      off += static_cast<size_t>(n);
    }
  }
  log_.clear();
}

// Ends a connection politely: close_notify (when the handshake is done), then
// our side of TCP, then a short wait for the client's FIN.
void EventLoop::begin_close(Connection& c, bool notify) {
  if (c.file_fd >= 0) {
    ::close(c.file_fd);
    c.file_fd = -1;
  }
  if (notify && SSL_is_init_finished(c.ssl)) {
    c.state = Connection::State::close_notify;
    c.deadline_ms = now_ms() + kLingerMs;
    return;
  }
  ::shutdown(c.fd, SHUT_WR);
  c.state = Connection::State::linger;
  c.deadline_ms = now_ms() + kLingerMs;
  set_interest(c, EPOLLIN);
}

EventLoop::Progress EventLoop::step_close_notify(Connection& c) {
  clear_errors();
  const int r = SSL_shutdown(c.ssl);
  if (r < 0 && SSL_get_error(c.ssl, r) == SSL_ERROR_WANT_WRITE) {
    set_interest(c, EPOLLOUT);  // the alert waits behind a full socket
    return Progress::wait;
  }
  ERR_clear_error();
  begin_close(c, false);
  return Progress::more;
}

EventLoop::Progress EventLoop::step_linger(Connection& c) {
  char sink[4096];
  for (int i = 0; i < 16; ++i) {
    const ssize_t n = ::recv(c.fd, sink, sizeof sink, 0);
    if (n > 0) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Progress::wait;
    if (n < 0 && errno == EINTR) continue;
    close_now(c);  // FIN (or a reset): done
    return Progress::closed;
  }
  return Progress::wait;
}

void EventLoop::close_now(Connection& c) {
  const int fd = c.fd;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  shared_.connections.fetch_sub(1);
  conns_.erase(fd);  // destroys c: SSL_free, close
}

void EventLoop::sweep_timeouts() {
  const int64_t now = now_ms();
  std::vector<Connection*> expired;
  for (auto& [fd, c] : conns_) {
    if (now >= c->deadline_ms) expired.push_back(c.get());
  }
  for (Connection* c : expired) {
    switch (c->state) {
      case Connection::State::reading:
        // Idle keep-alive, or a request head that came too slowly.
        begin_close(*c, true);
        drive(*c);
        break;
      case Connection::State::writing:
        log_request(*c);  // a client that stopped reading: give up on it
        close_now(*c);
        break;
      default:  // the handshake, or closing: no more waiting
        close_now(*c);
        break;
    }
  }
}

void EventLoop::begin_stop() {
  stopping_ = true;
  stop_deadline_ms_ = now_ms() + kStopGraceMs;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  ::close(listen_fd_);
  listen_fd_ = -1;
  std::vector<Connection*> all;
  for (auto& [fd, c] : conns_) all.push_back(c.get());
  for (Connection* c : all) {
    switch (c->state) {
      case Connection::State::handshake:
        close_now(*c);
        break;
      case Connection::State::reading:
      case Connection::State::writing:
        if (c->state == Connection::State::reading && !c->batch.empty()) {
          // Answers held back leave first, then the connection closes.
          c->keep_alive = false;
          start_flush(*c);
          drive(*c);
          break;
        }
        if (c->state == Connection::State::writing && !c->flush_only) log_request(*c);
        begin_close(*c, true);
        drive(*c);
        break;
      default:
        break;
    }
  }
}

}  // namespace rapidtls::tool
