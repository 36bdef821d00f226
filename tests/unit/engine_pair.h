// Two Connections joined in memory, for engine tests: each flight of records
// goes from one to the other through an optional tamper hook; application
// data that arrives is read into a per-side sink.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "conn/connection.h"
#include "handshake/callbacks.h"
#include "handshake/config.h"
#include "test_pki.h"

namespace rapidtls::testing {

using handshake::Config;
using handshake::Role;

// A deterministic RandomSource (a counter through SHA-256 would do as well;
// this one is a simple xorshift, enough for tests).
class SeededRandom final : public crypto::RandomSource {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed | 1) {}
  void fill(MutBytes out) override;

 private:
  uint64_t state_;
};

// A client config trusting the test CA and verifying the server.
std::shared_ptr<Config> client_config();
// A server config with a leaf of key type `t`.
std::shared_ptr<Config> server_config(KeyType t = KeyType::ecdsa_p256);

// Deterministic test data.
ByteVec pattern(size_t n, uint32_t seed = 1);

// One side's callbacks in a Pair: keeps every key-log line and hands every
// call on to `next` (a test's own callbacks; none by default).
class PairCallbacks final : public handshake::ConnectionCallbacks {
 public:
  explicit PairCallbacks(std::vector<std::string>* keylog) : keylog_(keylog) {}
  handshake::ConnectionCallbacks* next = &handshake::no_callbacks();

  bool traces_messages() const override { return next->traces_messages(); }
  void on_message(bool sent, uint16_t version, uint8_t content_type, Bytes data) override {
    next->on_message(sent, version, content_type, data);
  }
  bool logs_keys() const override { return true; }
  void on_key_log(std::string_view line) override {
    keylog_->emplace_back(line);
    if (next->logs_keys()) next->on_key_log(line);
  }
  int on_verify(handshake::VerifyCallback callback, int preverify_ok,
                X509_STORE_CTX* ctx) override {
    return next->on_verify(callback, preverify_ok, ctx);
  }
  const X509_VERIFY_PARAM* verify_parameters() const override { return next->verify_parameters(); }
  Result<std::optional<handshake::CertifiedKey>> on_certificate_request() override {
    return next->on_certificate_request();
  }
  std::optional<handshake::CertifiedKey> supply_client_certificate() override {
    return next->supply_client_certificate();
  }
  bool selects_alpn() const override { return next->selects_alpn(); }
  std::optional<ByteVec> on_select_alpn(const std::vector<ByteVec>& offered) override {
    return next->on_select_alpn(offered);
  }
  bool hooks_client_hello() const override { return next->hooks_client_hello(); }
  Result<handshake::ClientHelloDecision> on_client_hello(const handshake::ClientHello& hello,
                                                         const std::string& name) override {
    return next->on_client_hello(hello, name);
  }
  int on_ocsp_response(Bytes response) override { return next->on_ocsp_response(response); }
  Result<std::optional<ByteVec>> on_ocsp_staple(size_t certificate) override {
    return next->on_ocsp_staple(certificate);
  }

 private:
  std::vector<std::string>* keylog_;
};

class Pair {
 public:
  // Called with each batch of bytes one side sends, before the other sees them.
  using Tamper = std::function<void(Role from, ByteVec& bytes)>;

  Pair(std::shared_ptr<Config> client, std::shared_ptr<Config> server,
       handshake::ClientOptions options = {"localhost", ""});

  // Every line each side wrote to its key log.
  std::vector<std::string> client_keylog;
  std::vector<std::string> server_keylog;
  // Each side's callbacks; a test puts its own behind them (`next`) before
  // the handshake.
  PairCallbacks client_callbacks{&client_keylog};
  PairCallbacks server_callbacks{&server_keylog};
  conn::Connection client;
  conn::Connection server;
  ByteVec client_received;
  ByteVec server_received;
  Tamper tamper;

  // Moves bytes both ways until neither side has anything to send. Returns
  // false once either side has failed.
  bool pump(int max_rounds = 64);
  // Starts the client and pumps; true when both sides completed.
  bool handshake();
  // The first error of either side (client first), if any.
  std::optional<Error> error() const;

 private:
  bool transfer(conn::Connection& from, conn::Connection& to, ByteVec& to_sink, Role from_role);
};

}  // namespace rapidtls::testing
