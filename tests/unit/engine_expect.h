// GoogleTest helpers for engine tests over a Pair (kept out of engine_pair.h,
// which the fuzz targets use without GoogleTest).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine_forge.h"
#include "engine_pair.h"
#include "handshake/types.h"

namespace rapidtls::testing {

// "{alert, reason N}" or "no error", for failure messages.
inline std::string describe(const std::optional<Error>& e) {
  if (!e) return "no error";
  return std::string("{") + alert_name(e->alert) + ", reason " + std::to_string(e->reason) + "}";
}

// Sends `data` from one side, pumps, and checks it arrived whole and once.
inline void expect_transfer(Pair& p, Role from, const ByteVec& data) {
  conn::Connection& sender = from == Role::client ? p.client : p.server;
  ByteVec& sink = from == Role::client ? p.server_received : p.client_received;
  sink.clear();
  auto sent = sender.send_app(data);
  ASSERT_TRUE(sent.ok()) << describe(sent.ok() ? std::nullopt : std::optional(sent.error()));
  EXPECT_EQ(*sent, data.size());
  ASSERT_TRUE(p.pump()) << describe(p.error());
  EXPECT_EQ(sink.size(), data.size());
  EXPECT_TRUE(sink == data) << "application data differs";
}

// Checks that `side` failed with `want` and that the other side received
// the matching alert.
inline void expect_failure(const Pair& p, Role side, Alert alert, int reason) {
  const conn::Connection& c = side == Role::client ? p.client : p.server;
  const conn::Connection& other = side == Role::client ? p.server : p.client;
  ASSERT_TRUE(c.error().has_value()) << "no error on the side that should have failed";
  EXPECT_EQ(c.error()->alert, alert) << describe(c.error());
  EXPECT_EQ(c.error()->reason, reason) << describe(c.error());
  EXPECT_FALSE(c.error_from_peer());
  ASSERT_TRUE(other.error().has_value()) << "the peer did not receive the alert";
  EXPECT_TRUE(other.error_from_peer());
  EXPECT_EQ(other.error()->alert, alert);
  EXPECT_EQ(other.error()->reason, 1000 + static_cast<int>(alert));
}

// Rewrites the server's encrypted handshake flight: f gets the messages.
inline void alter_server_flight(Pair& p, std::function<void(std::vector<ByteVec>&)> f) {
  p.tamper = [&p, f](Role from, ByteVec& bytes) {
    if (from != Role::server) return;
    auto records = split_records(bytes);
    bool done = false;
    for (auto& rec : records) {
      if (rec.type != kAppData || done) continue;
      auto secret = keylog_secret(p.server_keylog, "SERVER_HANDSHAKE_TRAFFIC_SECRET");
      RecordKeys reader(0x1301, secret), writer(0x1301, secret);
      uint8_t type = 0;
      ByteVec hs = reader.open(rec, &type);
      auto messages = split_messages(hs);
      f(messages);
      ByteVec joined;
      for (const auto& m : messages) joined.insert(joined.end(), m.begin(), m.end());
      auto sealed = split_records(writer.seal(kHandshake, joined));
      rec = sealed[0];
      done = true;
    }
    bytes = join_records(records);
  };
}

inline ByteVec& find_message(std::vector<ByteVec>& messages, handshake::HandshakeType t) {
  for (auto& m : messages) {
    if (m[0] == static_cast<uint8_t>(t)) return m;
  }
  std::abort();
}

}  // namespace rapidtls::testing
