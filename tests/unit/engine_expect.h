// GoogleTest helpers for engine tests over a Pair (kept out of engine_pair.h,
// which the fuzz targets use without GoogleTest).
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "engine_pair.h"

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

}  // namespace rapidtls::testing
