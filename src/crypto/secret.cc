#include "crypto/secret.h"

#include <cstring>

namespace rapidtls::crypto {

void Secret::assign(Bytes b) {
  secure_zero(MutBytes(buf_));
  if (b.size() > kMaxSize) {
    size_ = 0;
    return;
  }
  if (!b.empty()) std::memcpy(buf_.data(), b.data(), b.size());
  size_ = b.size();
}

void Secret::resize(size_t n) {
  if (n > kMaxSize) n = kMaxSize;
  if (n > size_) std::memset(buf_.data() + size_, 0, n - size_);
  size_ = n;
}

}  // namespace rapidtls::crypto
