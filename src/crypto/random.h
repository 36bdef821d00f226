// Injectable randomness. The engine never calls a random function directly:
// it asks a RandomSource, so tests (RFC 8448 replay, fuzzing) can make every
// random value deterministic.
#pragma once

#include "common/bytes.h"

namespace rapidtls::crypto {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills out entirely. The system source aborts the process if the system
  // generator fails (as continuing with predictable bytes would be worse).
  virtual void fill(MutBytes out) = 0;
};

// RAND_bytes from libcrypto.
RandomSource& system_random();

}  // namespace rapidtls::crypto
