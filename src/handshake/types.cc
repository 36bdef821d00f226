#include "handshake/types.h"

namespace rapidtls::handshake {

// Names as written in RFC 8446 4 (HandshakeType), for logs and errors.
const char* handshake_type_name(HandshakeType t) {
  switch (t) {
    case HandshakeType::client_hello:
      return "client_hello";
    case HandshakeType::server_hello:
      return "server_hello";
    case HandshakeType::new_session_ticket:
      return "new_session_ticket";
    case HandshakeType::end_of_early_data:
      return "end_of_early_data";
    case HandshakeType::encrypted_extensions:
      return "encrypted_extensions";
    case HandshakeType::certificate:
      return "certificate";
    case HandshakeType::certificate_request:
      return "certificate_request";
    case HandshakeType::certificate_verify:
      return "certificate_verify";
    case HandshakeType::finished:
      return "finished";
    case HandshakeType::key_update:
      return "key_update";
    case HandshakeType::message_hash:
      return "message_hash";
  }
  return "unknown";
}

}  // namespace rapidtls::handshake
