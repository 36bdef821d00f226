#include "handshake/transcript.h"

#include "handshake/types.h"

namespace rapidtls::handshake {

void Transcript::add(Bytes message) {
  if (hash_) {
    hash_->update(message);
  } else {
    kept_.insert(kept_.end(), message.begin(), message.end());
  }
}

Status Transcript::set_hash(crypto::HashAlg alg) {
  RTLS_ASSIGN(crypto::Hash h, crypto::Hash::create(alg));
  h.update(kept_);
  kept_.clear();
  kept_.shrink_to_fit();
  hash_.emplace(std::move(h));
  return {};
}

Status Transcript::replace_with_message_hash() {
  if (!hash_) return internal_error();
  RTLS_ASSIGN(crypto::Secret ch1_hash, hash_->current());
  RTLS_ASSIGN(crypto::Hash h, crypto::Hash::create(hash_->alg()));
  const uint8_t header[4] = {static_cast<uint8_t>(HandshakeType::message_hash), 0, 0,
                             static_cast<uint8_t>(ch1_hash.size())};
  h.update(header);
  h.update(ch1_hash.bytes());
  hash_.emplace(std::move(h));
  return {};
}

Result<crypto::Secret> Transcript::hash_with(crypto::HashAlg alg, Bytes extra) const {
  if (hash_ && hash_->alg() != alg) return internal_error();
  std::optional<crypto::Hash> h = hash_;
  if (!h) {
    RTLS_ASSIGN(crypto::Hash fresh, crypto::Hash::create(alg));
    fresh.update(kept_);
    h.emplace(std::move(fresh));
  }
  h->update(extra);
  return h->current();
}

Result<crypto::Secret> Transcript::current() const {
  if (!hash_) return internal_error();
  return hash_->current();
}

}  // namespace rapidtls::handshake
