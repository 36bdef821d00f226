#include "crypto/verify_cache.h"

#include <openssl/x509_vfy.h>

#include <algorithm>

#include "crypto/hash.h"

namespace rapidtls::crypto {
namespace {

void append_u64(Hash& h, uint64_t v) {
  std::array<uint8_t, 8> b;
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  h.update(Bytes(b));
}

// Each part length-prefixed, so that no two different inputs hash the same bytes.
void append_bytes(Hash& h, Bytes data) {
  append_u64(h, data.size());
  h.update(data);
}

}  // namespace

TrustStore::Outcome VerifiedChainCache::verify(const TrustStore& store,
                                               const std::vector<Certificate>& chain,
                                               const std::string& host, Purpose purpose,
                                               int64_t now_s, int depth_limit) {
  const std::optional<ByteVec> state = store.reuse_state();
  std::optional<Key> key;
  if (state && capacity_ > 0 && !chain.empty()) {
    auto h = Hash::create(HashAlg::sha256);
    if (h.ok()) {
      append_bytes(*h, *state);
      append_u64(*h, chain.size());
      for (const Certificate& cert : chain) append_bytes(*h, cert.der());
      append_bytes(*h, Bytes(reinterpret_cast<const uint8_t*>(host.data()), host.size()));
      append_u64(*h, static_cast<uint64_t>(purpose));
      append_u64(*h, static_cast<uint64_t>(static_cast<int64_t>(depth_limit)));
      auto digest = h->current();
      if (digest.ok() && digest->size() == Key().size()) {
        key.emplace();
        std::copy(digest->bytes().begin(), digest->bytes().end(), key->begin());
      }
    }
  }

  if (key) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = entries_.size(); i-- > 0;) {
      if (entries_[i].key != *key) continue;
      const Entry e = entries_[i];
      entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
      // A clock that went back, the TTL or a certificate's end: verify anew.
      if (now_s < e.verified_s || now_s >= e.valid_until_s) break;
      entries_.push_back(e);  // the most recent at the back
      ++hits_;
      return TrustStore::Outcome{Status(), X509_V_OK};
    }
  }

  int64_t not_after_s = now_s;
  TrustStore::Outcome outcome =
      store.verify(chain, host, purpose, now_s, depth_limit, key ? &not_after_s : nullptr);
  std::lock_guard<std::mutex> lock(mutex_);
  ++misses_;
  if (!key || !outcome.status.ok()) return outcome;
  const int64_t valid_until_s = std::min(now_s + ttl_s_, not_after_s);
  if (valid_until_s <= now_s) return outcome;
  // Another thread may have verified the same chain meanwhile: keep one entry.
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) { return e.key == *key; }),
                 entries_.end());
  if (entries_.size() >= capacity_) entries_.erase(entries_.begin());
  entries_.push_back(Entry{*key, now_s, valid_until_s});
  return outcome;
}

void VerifiedChainCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.clear();
}

size_t VerifiedChainCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

uint64_t VerifiedChainCache::hits() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return hits_;
}

uint64_t VerifiedChainCache::misses() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return misses_;
}

}  // namespace rapidtls::crypto
