// A server Connection fed arbitrary bytes, split at a fuzzer-chosen point,
// with fixed randomness so that a crash reproduces.
#include "conn/connection.h"
#include "engine_pair.h"

using namespace rapidtls;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto config = [] {
    auto cfg = testing::server_config();
    static testing::SeededRandom rng(7);
    cfg->rng = &rng;
    return cfg;
  }();
  conn::Connection server(conn::Role::server, config);
  const size_t split = size ? data[0] % (size + 1) : 0;
  Bytes all(data, size);
  for (Bytes part : {all.first(split), all.subspan(split)}) {
    auto r = server.receive(part);
    if (!r.ok()) break;
    uint8_t buf[1024];
    while (server.read_app(buf) > 0) {
    }
  }
  return 0;
}
