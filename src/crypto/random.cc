#include "crypto/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

namespace rapidtls::crypto {
namespace {

class SystemRandom final : public RandomSource {
 public:
  void fill(MutBytes out) override {
    // RAND_bytes takes an int length, so very large requests go in chunks.
    while (!out.empty()) {
      size_t n = std::min<size_t>(out.size(), INT_MAX);
      // Continuing with predictable bytes would be worse than stopping.
      if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) std::abort();
      out = out.subspan(n);
    }
  }
};

}  // namespace

RandomSource& system_random() {
  static SystemRandom source;
  return source;
}

}  // namespace rapidtls::crypto
