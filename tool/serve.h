// `rapidtls serve`: an HTTPS file server on the libssl-compatible interface.
#pragma once

#include <string>

namespace rapidtls::tool {

struct ServeOptions {
  std::string dir = ".";
  std::string bind = "127.0.0.1";
  int port = 8443;
  std::string cert;  // PEM chain; with no --cert a self-signed one is made
  std::string key;   // PEM key (default: the --cert file)
  std::string keylog;
  bool tls12 = false;
  bool tls13 = false;
  unsigned loops = 0;  // event loops (threads); 0: one per core
  size_t max_connections = 4096;
  int idle_timeout_s = 60;    // keep-alive wait, and a stalled response
  int header_timeout_s = 10;  // the handshake and a request head must arrive within this
  bool access_log = true;
  // Kernel TLS (docs/ktls.md): on when the kernel has it, unless --no-ktls.
  bool ktls = true;
  // -v: a line per connection once its handshake is done (version, suite,
  // whether the kernel seals its records).
  bool verbose = false;
};

// Runs until SIGINT or SIGTERM; the process exit status.
int run_serve(const ServeOptions& options);

}  // namespace rapidtls::tool
