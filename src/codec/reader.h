// A bounds-checked, copyable view over bytes being parsed. Every read either
// succeeds and advances, or fails and leaves the reader unchanged. A
// length-prefixed read yields a child Reader that sees only its own bytes.
#pragma once

#include <cstdint>
#include <cstring>

#include "common/bytes.h"

namespace rapidtls::codec {

class Reader {
 public:
  Reader() = default;
  explicit Reader(Bytes data) : data_(data) {}

  size_t remaining() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  Bytes rest() const { return data_; }

  [[nodiscard]] bool read_u8(uint8_t* out) { return read_uint(1, out); }
  [[nodiscard]] bool read_u16(uint16_t* out) { return read_uint(2, out); }
  [[nodiscard]] bool read_u24(uint32_t* out) { return read_uint(3, out); }
  [[nodiscard]] bool read_u32(uint32_t* out) { return read_uint(4, out); }
  [[nodiscard]] bool read_u64(uint64_t* out) { return read_uint(8, out); }

  // The next n bytes as a view.
  [[nodiscard]] bool read_bytes(size_t n, Bytes* out) {
    if (data_.size() < n) return false;
    *out = data_.first(n);
    data_ = data_.subspan(n);
    return true;
  }
  [[nodiscard]] bool skip(size_t n) {
    Bytes ignored;
    return read_bytes(n, &ignored);
  }

  // A body with an 8/16/24-bit length prefix, as a child reader.
  [[nodiscard]] bool read_prefixed8(Reader* out) { return read_prefixed(1, out); }
  [[nodiscard]] bool read_prefixed16(Reader* out) { return read_prefixed(2, out); }
  [[nodiscard]] bool read_prefixed24(Reader* out) { return read_prefixed(3, out); }

  // The same, as a byte view.
  [[nodiscard]] bool read_vec8(Bytes* out) { return read_vec(1, out); }
  [[nodiscard]] bool read_vec16(Bytes* out) { return read_vec(2, out); }
  [[nodiscard]] bool read_vec24(Bytes* out) { return read_vec(3, out); }

  // True when every byte has been consumed: parsers reject trailing bytes.
  [[nodiscard]] bool expect_end() const { return data_.empty(); }

 private:
  template <class T>
  bool read_uint(size_t n, T* out) {
    if (data_.size() < n) return false;
    T v = 0;
    for (size_t i = 0; i < n; ++i) v = static_cast<T>((v << 8) | data_[i]);
    *out = v;
    data_ = data_.subspan(n);
    return true;
  }
  bool read_vec(size_t prefix_len, Bytes* out) {
    Reader copy = *this;
    uint64_t len = 0;
    if (!copy.read_uint(prefix_len, &len)) return false;
    if (!copy.read_bytes(static_cast<size_t>(len), out)) return false;
    *this = copy;
    return true;
  }
  bool read_prefixed(size_t prefix_len, Reader* out) {
    Bytes body;
    if (!read_vec(prefix_len, &body)) return false;
    *out = Reader(body);
    return true;
  }

  Bytes data_;
};

}  // namespace rapidtls::codec
