// Certificates made at test time with libcrypto: one ECDSA P-256 CA and leaf
// certificates of every key type the engine signs with.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/sig.h"
#include "crypto/x509.h"
#include "handshake/config.h"

namespace rapidtls::testing {

enum class KeyType { ecdsa_p256, ecdsa_p384, ecdsa_p521, rsa2048, rsa_pss2048, ed25519 };
const char* key_type_name(KeyType t);

struct Leaf {
  std::vector<crypto::Certificate> chain;  // leaf, then nothing (the CA is the trust anchor)
  std::shared_ptr<handshake::Signer> signer;
  handshake::CertifiedKey certified() const { return {chain, signer}; }
};

class TestPki {
 public:
  // Made once per process (RSA keys are slow to make).
  static const TestPki& get();

  const crypto::Certificate& ca() const { return *ca_; }
  std::shared_ptr<crypto::TrustStore> trust() const { return trust_; }
  // A leaf for DNS "localhost" and IP 127.0.0.1, valid now for a century.
  const Leaf& leaf(KeyType t) const;
  // A leaf signed by another, untrusted CA.
  const Leaf& untrusted_leaf() const { return untrusted_; }
  // A leaf whose validity ended in the past.
  const Leaf& expired_leaf() const { return expired_; }

 private:
  TestPki();
  std::optional<crypto::Certificate> ca_;
  std::shared_ptr<crypto::TrustStore> trust_;
  std::vector<std::pair<KeyType, Leaf>> leaves_;
  Leaf untrusted_;
  Leaf expired_;
};

}  // namespace rapidtls::testing
