// A byte queue for records on their way in or out: bytes are appended at the
// tail (written in place, without zero-filling first) and consumed from the
// head. An empty buffer can give its memory back, so an idle connection holds
// no record buffers.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>

#include "common/bytes.h"

namespace rapidtls {

class Buffer {
 public:
  Buffer() = default;
  Buffer(Buffer&&) noexcept = default;
  Buffer& operator=(Buffer&&) noexcept = default;

  size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  size_t capacity() const { return cap_; }
  Bytes data() const { return Bytes(buf_.get() + begin_, size()); }
  uint8_t* begin_ptr() { return buf_.get() + begin_; }

  // Returns room for at least n more bytes at the tail; write them, then commit.
  uint8_t* reserve_tail(size_t n) {
    if (cap_ - end_ < n) make_room(n);
    return buf_.get() + end_;
  }
  void commit(size_t n) { end_ += n; }
  void append(Bytes b) {
    if (b.empty()) return;
    std::memcpy(reserve_tail(b.size()), b.data(), b.size());
    commit(b.size());
  }
  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  void clear() { begin_ = end_ = 0; }
  // Frees the storage when nothing is queued.
  void release_if_empty() {
    if (empty() && buf_) {
      buf_.reset();
      cap_ = 0;
    }
  }

 private:
  void make_room(size_t n) {
    size_t used = size();
    if (begin_ > 0 && cap_ - used >= n && used <= cap_ / 2) {
      // Enough room once the consumed head is reclaimed.
      std::memmove(buf_.get(), buf_.get() + begin_, used);
    } else {
      size_t new_cap = cap_ ? cap_ : 256;
      while (new_cap - used < n) new_cap *= 2;
      auto fresh = std::make_unique_for_overwrite<uint8_t[]>(new_cap);
      if (used) std::memcpy(fresh.get(), buf_.get() + begin_, used);
      buf_ = std::move(fresh);
      cap_ = new_cap;
    }
    begin_ = 0;
    end_ = used;
  }

  std::unique_ptr<uint8_t[]> buf_;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace rapidtls
