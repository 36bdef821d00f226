// A client Connection that has sent its ClientHello, fed arbitrary bytes as
// the server's answer. For an input of odd length the client offers a ticket
// for resumption (RFC 8446 4.2.11), so that a ServerHello selecting it takes
// the resumed path (no certificates, the PSK in the key schedule); the whole
// input is the answer either way (the seeds of make_handshake_seeds.py keep
// their meaning).
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
  handshake::ClientOptions options{"localhost", ""};
  if (size & 1) {
    handshake::StoredTicket t;
    t.suite = 0x1301;
    t.ticket.assign(48, 0x5a);
    t.psk = crypto::Secret(Bytes(t.ticket.data(), 32));
    t.lifetime_s = 7200;
    t.received_ms = config->clock->now_ms();
    t.verified_host = "localhost";
    t.server_name = "localhost";
    options.resume = std::move(t);
  }
  conn::Connection client(conn::Role::client, config, std::move(options));
  if (!client.start().ok()) return 0;
  client.consume_output(client.pending_output().size());
  auto r = client.receive(Bytes(data, size));
  (void)r;
  return 0;
}
