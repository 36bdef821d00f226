#include "common/clock.h"

#include <chrono>

namespace rapidtls {
namespace {
class SystemClock final : public Clock {
 public:
  uint64_t now_ms() const override {
    using namespace std::chrono;
    return static_cast<uint64_t>(
        duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  }
};
}  // namespace

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace rapidtls
