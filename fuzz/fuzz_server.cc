// A server Connection fed arbitrary bytes, split at a fuzzer-chosen point,
// with randomness that restarts for each input, so that a crash reproduces.
// Built twice: fuzz_server (TLS 1.3 and 1.2) and, with RAPIDTLS_FUZZ_TLS12,
// fuzz_server12 (TLS 1.2 only: a ClientHello offering TLS 1.3 is answered
// in TLS 1.2, with the downgrade sentinel of RFC 8446 4.1.3).
#include "conn/connection.h"
#include "engine_pair.h"
#include "fuzz_target.h"

using namespace rapidtls;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static testing::SeededRandom rng(7);
  static auto config = [] {
    auto cfg = testing::server_config();
    cfg->rng = &rng;
#ifdef RAPIDTLS_FUZZ_TLS12
    cfg->max_version = handshake::kTls12;
#endif
    return cfg;
  }();
  rng = testing::SeededRandom(7);
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
