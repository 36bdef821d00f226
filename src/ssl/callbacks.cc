// The engine's calls back into an SSL (rapidtls::handshake::ConnectionCallbacks,
// which ssl_st implements): each mapped onto the OpenSSL callback set on the
// SSL or its context, with the SSL as OpenSSL passes it.
#include <string>

#include "ssl/internal.h"

void ssl_st::on_message(bool sent, uint16_t version, uint8_t content_type, rapidtls::Bytes data) {
  if (msg_callback == nullptr) return;
  msg_callback(sent ? 1 : 0, version, content_type, data.data(), data.size(), this,
               msg_callback_arg);
}

void ssl_st::on_key_log(std::string_view line) {
  if (ctx->keylog == nullptr) return;
  const std::string terminated(line);
  ctx->keylog(this, terminated.c_str());
}
