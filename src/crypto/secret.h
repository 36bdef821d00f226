// Small fixed-capacity byte strings (hash outputs, traffic secrets, keys).
// Secret wipes itself on destruction and on reassignment.
#pragma once

#include <array>
#include <cstdint>

#include "common/bytes.h"

namespace rapidtls::crypto {

class Secret {
 public:
  static constexpr size_t kMaxSize = 64;

  Secret() = default;
  explicit Secret(Bytes b) { assign(b); }
  Secret(const Secret& o) { assign(o.bytes()); }
  Secret& operator=(const Secret& o) {
    if (this != &o) assign(o.bytes());
    return *this;
  }
  ~Secret() { secure_zero(MutBytes(buf_)); }

  // Copies b; b.size() must be <= kMaxSize (larger input is truncated to 0 bytes).
  void assign(Bytes b);
  // Sets the size (<= kMaxSize); new bytes are zero.
  void resize(size_t n);

  Bytes bytes() const { return Bytes(buf_.data(), size_); }
  uint8_t* data() { return buf_.data(); }
  const uint8_t* data() const { return buf_.data(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  std::array<uint8_t, kMaxSize> buf_{};
  size_t size_ = 0;
};

}  // namespace rapidtls::crypto
