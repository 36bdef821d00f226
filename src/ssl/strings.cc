// Human-readable names: alerts (SSL_alert_*_string*) and handshake states
// (SSL_state_string*, SSL_get_state), with the texts OpenSSL prints, so that
// programs' logs read the same.
#include <openssl/ssl.h>

#include "ssl/internal.h"

namespace {

struct AlertName {
  int value;  // RFC 8446 6 / RFC 5246 7.2 AlertDescription
  const char* long_name;
  const char* short_name;
};

const AlertName kAlerts[] = {
    {0, "close notify", "CN"},
    {10, "unexpected_message", "UM"},
    {20, "bad record mac", "BM"},
    {21, "decryption failed", "DC"},
    {22, "record overflow", "RO"},
    {30, "decompression failure", "DF"},
    {40, "handshake failure", "HF"},
    {41, "no certificate", "NC"},
    {42, "bad certificate", "BC"},
    {43, "unsupported certificate", "UC"},
    {44, "certificate revoked", "CR"},
    {45, "certificate expired", "CE"},
    {46, "certificate unknown", "CU"},
    {47, "illegal parameter", "IP"},
    {48, "unknown CA", "CA"},
    {49, "access denied", "AD"},
    {50, "decode error", "DE"},
    {51, "decrypt error", "CY"},
    {60, "export restriction", "ER"},
    {70, "protocol version", "PV"},
    {71, "insufficient security", "IS"},
    {80, "internal error", "IE"},
    {90, "user canceled", "US"},
    {100, "no renegotiation", "NR"},
    {110, "unsupported extension", "UE"},
    {111, "certificate unobtainable", "CO"},
    {112, "unrecognized name", "UN"},
    {113, "bad certificate status response", "BR"},
    {114, "bad certificate hash value", "BH"},
    {115, "unknown PSK identity", "UP"},
    {120, "no application protocol", "UK"},
};

const AlertName* find_alert(int value) {
  for (const auto& a : kAlerts) {
    if (a.value == (value & 0xff)) return &a;
  }
  return nullptr;
}

}  // namespace

extern "C" {

// `value` as the info callback passes it: level << 8 | description.
const char* SSL_alert_type_string_long(int value) {
  switch (value >> 8) {
    case SSL3_AL_WARNING:
      return "warning";
    case SSL3_AL_FATAL:
      return "fatal";
    default:
      return "unknown";
  }
}

const char* SSL_alert_type_string(int value) {
  switch (value >> 8) {
    case SSL3_AL_WARNING:
      return "W";
    case SSL3_AL_FATAL:
      return "F";
    default:
      return "U";
  }
}

const char* SSL_alert_desc_string_long(int value) {
  const AlertName* a = find_alert(value);
  return a != nullptr ? a->long_name : "unknown";
}

const char* SSL_alert_desc_string(int value) {
  const AlertName* a = find_alert(value);
  return a != nullptr ? a->short_name : "UK";
}

// rapidtls's state machines are not OpenSSL's: before, during and after the
// handshake are told apart (the states programs test for), and a handshake in
// progress is named by its first step on each side.
OSSL_HANDSHAKE_STATE SSL_get_state(const SSL* s) {
  if (!s->conn) return TLS_ST_BEFORE;
  if (s->conn->handshake_done() && !s->conn->renegotiating()) return TLS_ST_OK;
  return s->role == rapidtls::ssl::Role::server ? TLS_ST_SR_CLNT_HELLO : TLS_ST_CW_CLNT_HELLO;
}

const char* SSL_state_string_long(const SSL* s) {
  if (s->dead) return "error";
  switch (SSL_get_state(s)) {
    case TLS_ST_BEFORE:
      return "before SSL initialization";
    case TLS_ST_OK:
      return "SSL negotiation finished successfully";
    case TLS_ST_SR_CLNT_HELLO:
      return "SSLv3/TLS read client hello";
    default:
      return "SSLv3/TLS write client hello";
  }
}

const char* SSL_state_string(const SSL* s) {
  if (s->dead) return "SSLERR";
  switch (SSL_get_state(s)) {
    case TLS_ST_BEFORE:
      return "PINIT";
    case TLS_ST_OK:
      return "SSLOK";
    case TLS_ST_SR_CLNT_HELLO:
      return "TRCH";
    default:
      return "TWCH";
  }
}

}  // extern "C"
