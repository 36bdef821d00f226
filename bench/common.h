// Pieces shared by the benchmark programs: a monotonic clock, a streaming
// checksum (so a lost, doubled or reordered byte shows), size parsing, and
// the one machine-readable result line each run prints. libcrypto and the C
// library only: nothing here depends on which libssl a program links with.
#pragma once

#include <time.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace bench {

inline double now_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

[[noreturn]] inline void die(const char* what) {
  std::fprintf(stderr, "bench: %s\n", what);
  std::exit(2);
}

// "256M", "4K", "1G" or a plain number of bytes (binary multiples).
inline size_t parse_size(const char* s) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 10);
  size_t mult = 1;
  if (end != nullptr && *end != '\0') {
    switch (*end) {
      case 'K':
      case 'k':
        mult = size_t{1} << 10;
        break;
      case 'M':
      case 'm':
        mult = size_t{1} << 20;
        break;
      case 'G':
      case 'g':
        mult = size_t{1} << 30;
        break;
      default:
        die("bad size suffix (K, M or G)");
    }
  }
  return static_cast<size_t>(v) * mult;
}

// A checksum that does not depend on how the stream is cut into pieces: four
// multiply-xor lanes over 32-byte blocks (several GB/s, so it does not hide
// the TLS cost), the partial block carried between calls.
class StreamChecksum {
 public:
  void update(const uint8_t* p, size_t n) {
    total_ += n;
    if (tail_len_ > 0) {
      const size_t take = std::min(n, sizeof tail_ - tail_len_);
      std::memcpy(tail_ + tail_len_, p, take);
      tail_len_ += take;
      p += take;
      n -= take;
      if (tail_len_ < sizeof tail_) return;
      block(tail_);
      tail_len_ = 0;
    }
    while (n >= sizeof tail_) {
      block(p);
      p += sizeof tail_;
      n -= sizeof tail_;
    }
    std::memcpy(tail_, p, n);
    tail_len_ = n;
  }

  uint64_t digest() const {
    uint64_t h = total_ * kPrime;
    for (uint64_t l : lane_) h = mix(h ^ l);
    for (size_t i = 0; i < tail_len_; ++i) h = mix(h ^ tail_[i]);
    return h;
  }
  uint64_t bytes() const { return total_; }

 private:
  static constexpr uint64_t kPrime = 0x9E3779B97F4A7C15ull;
  static uint64_t mix(uint64_t x) {
    x *= kPrime;
    return x ^ (x >> 29);
  }
  void block(const uint8_t* p) {
    for (int i = 0; i < 4; ++i) {
      uint64_t w;
      std::memcpy(&w, p + 8 * i, 8);
      lane_[i] = mix(lane_[i] ^ w);
    }
  }

  uint64_t lane_[4] = {1, 2, 3, 4};
  uint8_t tail_[32] = {};
  size_t tail_len_ = 0;
  uint64_t total_ = 0;
};

// Deterministic pseudo-random bytes (xorshift64*): incompressible enough,
// and the same in every run.
inline void fill_pattern(uint8_t* p, size_t n, uint64_t seed) {
  uint64_t x = seed * 0x2545F4914F6CDD1Dull + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    p[i] = static_cast<uint8_t>((x * 0x2545F4914F6CDD1Dull) >> 56);
  }
}

// The one line a run prints, key=value pairs separated by spaces; the driver
// (scripts/bench_driver.py) parses it.
inline void print_result(const std::string& fields) {
  std::printf("%s\n", fields.c_str());
  std::fflush(stdout);
}

}  // namespace bench
