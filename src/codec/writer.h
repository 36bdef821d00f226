// Builds wire bytes by appending to a caller's byte vector. Length-prefixed
// blocks are written through with_prefix*: the prefix is reserved, the body is
// written by a callback, and the length is filled in afterwards; a body that
// outgrows its prefix makes the writer fail (and every later call fails too).
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/result.h"

namespace rapidtls::codec {

class Writer {
 public:
  explicit Writer(ByteVec& out) : out_(out) {}

  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { put_uint(v, 2); }
  void u24(uint32_t v) { put_uint(v, 3); }
  void u32(uint32_t v) { put_uint(v, 4); }
  void u64(uint64_t v) { put_uint(v, 8); }
  void bytes(Bytes b) { out_.insert(out_.end(), b.begin(), b.end()); }

  void vec8(Bytes b) {
    with_prefix(1, [&](Writer& w) { w.bytes(b); });
  }
  void vec16(Bytes b) {
    with_prefix(2, [&](Writer& w) { w.bytes(b); });
  }
  void vec24(Bytes b) {
    with_prefix(3, [&](Writer& w) { w.bytes(b); });
  }

  template <class F>
  void with_prefix8(F&& body) {
    with_prefix(1, body);
  }
  template <class F>
  void with_prefix16(F&& body) {
    with_prefix(2, body);
  }
  template <class F>
  void with_prefix24(F&& body) {
    with_prefix(3, body);
  }

  // False once any block overflowed its length prefix.
  [[nodiscard]] bool ok() const { return ok_; }
  // The same as a Status: what was written cannot be sent (an internal
  // error: the caller built a block longer than its length prefix allows).
  [[nodiscard]] Status status() const {
    if (ok_) return {};
    return Error{Alert::internal_error, SSL_R_LENGTH_TOO_LONG};
  }
  size_t size() const { return out_.size(); }
  ByteVec& buffer() { return out_; }

 private:
  void put_uint(uint64_t v, size_t n) {
    for (size_t i = n; i-- > 0;) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  template <class F>
  void with_prefix(size_t n, F&& body) {
    size_t at = out_.size();
    out_.resize(at + n);
    Writer child(out_);
    body(child);
    if (!child.ok_) ok_ = false;
    size_t len = out_.size() - at - n;
    if (n < 8 && len >= (uint64_t{1} << (8 * n))) {
      ok_ = false;
      return;
    }
    for (size_t i = 0; i < n; ++i) out_[at + i] = static_cast<uint8_t>(len >> (8 * (n - 1 - i)));
  }

  ByteVec& out_;
  bool ok_ = true;
};

}  // namespace rapidtls::codec
