// A client Connection that has sent its ClientHello, fed arbitrary bytes as
// the server's answer. For an input of odd length the client offers a ticket
// for resumption (RFC 8446 4.2.11), so that a ServerHello selecting it takes
// the resumed path (no certificates, the PSK in the key schedule); the whole
// input is the answer either way (the seeds of make_handshake_seeds.py keep
// their meaning). The randomness restarts for each input, so an input
// replays exactly.
//
// Built twice: fuzz_client (TLS 1.3 and 1.2 offered) and, with
// RAPIDTLS_FUZZ_TLS12, fuzz_client12 (TLS 1.2 only: no key shares or
// supported_versions offered, the downgrade sentinel checked, and for odd
// lengths a TLS 1.2 session offered by ticket and id, RFC 5077 3.4).
#include "conn/connection.h"
#include "engine_pair.h"
#include "fuzz_target.h"

using namespace rapidtls;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static testing::SeededRandom rng(9);
  static auto config = [] {
    auto cfg = testing::client_config();
    cfg->rng = &rng;
#ifdef RAPIDTLS_FUZZ_TLS12
    cfg->max_version = handshake::kTls12;
#endif
    return cfg;
  }();
  rng = testing::SeededRandom(9);
  handshake::ClientOptions options{"localhost", ""};
  if (size & 1) {
    handshake::StoredTicket t;
#ifdef RAPIDTLS_FUZZ_TLS12
    t.version = handshake::kTls12;
    t.suite = 0xc02b;  // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    t.session_id.assign(32, 0x33);
    t.extended_master_secret = true;
    t.ticket.assign(48, 0x5a);
    t.psk = crypto::Secret(Bytes(t.ticket.data(), 48));
#else
    t.suite = 0x1301;
    t.ticket.assign(48, 0x5a);
    t.psk = crypto::Secret(Bytes(t.ticket.data(), 32));
#endif
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
