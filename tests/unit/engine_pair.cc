#include "engine_pair.h"

#include <algorithm>
#include <cstdlib>

namespace rapidtls::testing {

void SeededRandom::fill(MutBytes out) {
  for (auto& b : out) {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    b = static_cast<uint8_t>(state_ >> 24);
  }
}

std::shared_ptr<Config> client_config() {
  auto cfg = std::make_shared<Config>();
  cfg->trust = TestPki::get().trust();
  cfg->verify = handshake::VerifyMode::peer;
  return cfg;
}

std::shared_ptr<Config> server_config(KeyType t) {
  auto cfg = std::make_shared<Config>();
  cfg->certificates = {TestPki::get().leaf(t).certified()};
  cfg->ticket_issuer = handshake::make_sealing_ticket_issuer(*cfg->rng, 7200);
  return cfg;
}

ByteVec pattern(size_t n, uint32_t seed) {
  ByteVec v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : v) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  return v;
}

Pair::Pair(std::shared_ptr<Config> client_cfg, std::shared_ptr<Config> server_cfg,
           handshake::ClientOptions options)
    : client(Role::client, std::move(client_cfg), std::move(options)),
      server(Role::server, std::move(server_cfg)) {
  client.set_callbacks(&client_callbacks);
  server.set_callbacks(&server_callbacks);
  // RAPIDTLS_TEST_OPEN_ON_READ=1 runs every engine test with records opened
  // by read_app (as the C interface does); CTest runs the engine tests both ways.
  const char* env = std::getenv("RAPIDTLS_TEST_OPEN_ON_READ");
  if (env != nullptr && std::string(env) == "1") {
    client.set_open_on_read(true);
    server.set_open_on_read(true);
  }
}

bool Pair::transfer(conn::Connection& from, conn::Connection& to, ByteVec& to_sink,
                    Role from_role) {
  if (!from.wants_write()) return false;
  ByteVec bytes(from.pending_output().begin(), from.pending_output().end());
  from.consume_output(bytes.size());
  if (tamper) tamper(from_role, bytes);
  Bytes rest(bytes);
  uint8_t buf[8192];
  while (!rest.empty()) {
    auto taken = to.receive(rest);
    if (!taken.ok()) break;
    rest = rest.subspan(*taken);
    for (size_t n; (n = to.read_app(buf)) > 0;) to_sink.insert(to_sink.end(), buf, buf + n);
  }
  for (size_t n; (n = to.read_app(buf)) > 0;) to_sink.insert(to_sink.end(), buf, buf + n);
  return true;
}

bool Pair::pump(int max_rounds) {
  for (int i = 0; i < max_rounds; ++i) {
    const bool a = transfer(client, server, server_received, Role::client);
    const bool b = transfer(server, client, client_received, Role::server);
    if (!a && !b) break;
  }
  return !client.error() && !server.error();
}

bool Pair::handshake() {
  if (!client.start().ok()) return false;
  return pump() && client.handshake_done() && server.handshake_done();
}

std::optional<Error> Pair::error() const {
  if (client.error()) return client.error();
  return server.error();
}

}  // namespace rapidtls::testing
