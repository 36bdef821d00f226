// A program built against an installed rapidtls: both ends of a handshake
// in memory through the public headers.
#include <cstdio>
#include <memory>

#include "conn/connection.h"
#include "crypto/kex.h"

int main() {
  auto share = rapidtls::crypto::KeyShare::generate(rapidtls::crypto::NamedGroup::x25519,
                                                    rapidtls::crypto::system_random());
  if (!share.ok() || share->public_key().size() != 32) return 1;
  auto config = std::make_shared<rapidtls::handshake::Config>();
  rapidtls::conn::Connection client(rapidtls::conn::Role::client, config, {"localhost", ""});
  if (!client.start().ok() || client.pending_output().empty()) return 1;
  std::printf("ClientHello of %zu bytes\n", client.pending_output().size());
  return 0;
}
