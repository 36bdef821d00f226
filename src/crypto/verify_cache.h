// Outcomes of chain verification kept for reuse: a client meets the same
// server chain again and again, and verifying it (mostly the ECDSA or RSA
// check of each signature in it) is a large share of a full handshake.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "crypto/x509.h"

namespace rapidtls::crypto {

// Successful verifications of one trust configuration (one SSL_CTX). An entry
// is keyed by SHA-256 over the exact DER bytes of the chain as received, the
// host checked, the purpose, the depth limit and TrustStore::reuse_state()
// (the store's identity, its certificate and CRL count, its parameters). It is
// reused only while the time (from the caller, who reads the injected clock)
// is in [verified, min(verified + ttl, earliest notAfter of the chain built)).
// Failures are never kept: a chain that failed is verified again each time, so
// a failing chain cannot come out of here as passing. A store whose outcome
// cannot be captured (reuse_state() is nullopt) bypasses the cache. At most
// `capacity` entries, the least recently used going first. Thread-safe.
class VerifiedChainCache {
 public:
  static constexpr size_t kDefaultCapacity = 64;
  // Bounds how long a change the state does not capture (a purpose set on the
  // store's parameters, a hashed directory's files) can go unnoticed.
  static constexpr int64_t kDefaultTtlSeconds = 60;

  explicit VerifiedChainCache(size_t capacity = kDefaultCapacity,
                              int64_t ttl_s = kDefaultTtlSeconds)
      : capacity_(capacity), ttl_s_(ttl_s) {}

  // As store.verify(chain, host, purpose, now_s, depth_limit), reusing an
  // earlier success when one applies.
  TrustStore::Outcome verify(const TrustStore& store, const std::vector<Certificate>& chain,
                             const std::string& host, Purpose purpose, int64_t now_s,
                             int depth_limit);

  // Forgets everything (the trust configuration changed).
  void clear();
  size_t size() const;
  uint64_t hits() const;
  uint64_t misses() const;  // verifications run, including bypasses

 private:
  using Key = std::array<uint8_t, 32>;
  struct Entry {
    Key key;
    int64_t verified_s;     // when it was verified
    int64_t valid_until_s;  // first second it no longer applies
  };

  mutable std::mutex mutex_;
  size_t capacity_;
  int64_t ttl_s_;
  std::vector<Entry> entries_;  // most recently used last
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace rapidtls::crypto
