// One event loop (epoll, level-triggered, non-blocking sockets) of `rapidtls
// serve`. Each loop owns its listening socket (SO_REUSEPORT spreads the
// connections over the loops) and its connections; nothing is shared between
// loops but the SSL_CTX, the served folder, the connection count and stdout.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "files.h"
#include "serve.h"

namespace rapidtls::tool {

struct ServerShared {
  SSL_CTX* ctx = nullptr;
  const DocumentRoot* root = nullptr;
  const ServeOptions* options = nullptr;
  std::atomic<size_t> connections{0};
  std::mutex stdout_mutex;  // access-log lines leave whole
};

struct Connection;

class EventLoop {
 public:
  EventLoop(ServerShared& shared, int listen_fd);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  bool init();  // false with errno
  void run();   // returns after stop() once every connection is closed
  void stop();  // from another thread

 private:
  enum class Progress : uint8_t { more, wait, closed };

  void accept_all();
  void drive(Connection& c);
  Progress step_handshake(Connection& c);
  Progress step_read(Connection& c);
  Progress step_write(Connection& c);
  Progress step_close_notify(Connection& c);
  Progress step_linger(Connection& c);
  Progress io_stop(Connection& c, int ret);
  bool take_input(Connection& c, std::string_view data);
  void begin_response(Connection& c);
  void respond_simple(Connection& c, int status, std::string extra_headers = {},
                      bool close_after = false);
  void finish_response(Connection& c);
  bool can_hold_back(const Connection& c) const;
  void start_flush(Connection& c);
  void begin_close(Connection& c, bool notify);
  void close_now(Connection& c);
  void set_interest(Connection& c, uint32_t events);
  void sweep_timeouts();
  void begin_stop();
  void log_request(const Connection& c);
  void flush_log();
  const std::string& date_header();
  const std::string& last_modified_header(time_t t);
  void start_head(Connection& c, int status);

  ServerShared& shared_;
  int listen_fd_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  bool stopping_ = false;
  int64_t stop_deadline_ms_ = 0;
  std::atomic<bool> stop_requested_{false};
  std::unordered_map<int, std::unique_ptr<Connection>> conns_;
  std::vector<int> ready_;  // connections with work left that no event will announce
  std::string log_;
  std::string date_;
  int64_t date_second_ = -1;
  std::string last_modified_;
  time_t last_modified_second_ = 0;
  bool last_modified_valid_ = false;
  std::string spare_;  // a response buffer kept between responses (start_head)
  std::string etag_;   // the ETag of the response being built
  std::vector<char> read_buf_;
  size_t refused_ = 0;
};

}  // namespace rapidtls::tool
