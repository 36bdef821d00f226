// A client Connection that has sent its ClientHello, fed arbitrary bytes as
// the server's answer.
#include "conn/connection.h"
#include "engine_pair.h"

using namespace rapidtls;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto config = [] {
    auto cfg = testing::client_config();
    static testing::SeededRandom rng(9);
    cfg->rng = &rng;
    return cfg;
  }();
  conn::Connection client(conn::Role::client, config, {"localhost", ""});
  if (!client.start().ok()) return 0;
  client.consume_output(client.pending_output().size());
  auto r = client.receive(Bytes(data, size));
  (void)r;
  return 0;
}
