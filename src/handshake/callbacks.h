// The calls a connection and its handshakes make out to the application that
// owns the connection (issue 13): one virtual function per callback, typed,
// each defaulting to what happens when the application sets none. The C
// interface's SSL implements it; a native user overrides what it needs. A
// Connection never owns its callbacks (Connection::set_callbacks).
//
// What is the same for every connection of a configuration (its certificates,
// trust, suites) stays in Config; what reaches back into the one connection
// (its SSL, its application state) is here.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/bytes.h"

namespace rapidtls::handshake {

class ConnectionCallbacks {
 public:
  virtual ~ConnectionCallbacks() = default;

  // Whether on_message wants to be called. Asked before each record that
  // carries no application data: false spares the tracing work.
  virtual bool traces_messages() const { return false; }
  // Each handshake message, alert and change_cipher_spec the connection sends
  // (sent = true) or receives, whole and in the clear: the C interface's
  // SSL_CTX_set_msg_callback. content_type is RFC 8446's.
  virtual void on_message(bool /*sent*/, uint16_t /*version*/, uint8_t /*content_type*/,
                          Bytes /*data*/) {}

  // Whether on_key_log wants the secrets: false spares formatting them (and
  // deriving the exporter secret only a key log shows).
  virtual bool logs_keys() const { return false; }
  // One NSS key-log line per secret (SSLKEYLOGFILE format), without newline.
  virtual void on_key_log(std::string_view /*line*/) {}
};

// What a connection calls when it is given no callbacks: every default.
inline ConnectionCallbacks& no_callbacks() {
  static ConnectionCallbacks none;
  return none;
}

}  // namespace rapidtls::handshake
