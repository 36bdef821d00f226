// `rapidtls get`: downloads one URL over HTTPS through the C interface.
#pragma once

#include <string>

namespace rapidtls::tool {

struct GetOptions {
  std::string url;
  std::string output;  // empty: standard output
  std::string cafile;  // empty: the system's trust store
  bool insecure = false;
  bool verbose = false;
  bool resume = false;  // -C: continue a partial -o FILE with a Range request
  bool silent = false;  // no progress bar
  int timeout_s = 30;
};

// The process exit status: 0 done, 1 failed (network, TLS, HTTP status).
int run_get(const GetOptions& options);

}  // namespace rapidtls::tool
