// Injectable time, for ticket ages and certificate validity checks.
#pragma once

#include <cstdint>

namespace rapidtls {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t now_ms() const = 0;  // milliseconds since the Unix epoch
};

// The real-time clock.
const Clock& system_clock();

}  // namespace rapidtls
