// The certificates of an SSL_CTX or SSL: as OpenSSL, one slot per key type
// (RSA, RSA-PSS, ECDSA of any curve, Ed25519, Ed448), each with its
// certificate, key and intermediates, and one "current" slot that the
// single-certificate functions act on (SSL_CTX_use_PrivateKey,
// SSL_CTX_add1_chain_cert, SSL_CTX_get0_certificate, ...). A server sends
// the slot each handshake picks (handshake/certificate_choice.h).
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <optional>
#include <vector>

#include "crypto/sig.h"
#include "crypto/x509.h"
#include "handshake/config.h"

namespace rapidtls::ssl {

// OpenSSL's SSL_PKEY_* slots that rapidtls can sign with, in its order.
enum class SlotType : uint8_t { rsa, rsa_pss, ecdsa, ed25519, ed448 };
constexpr size_t kSlotCount = 5;

// The slot of a key's type; nullopt for types rapidtls has none for (DSA, ...).
std::optional<size_t> slot_of(EVP_PKEY* key);

struct CertSlot {
  std::optional<crypto::Certificate> leaf;
  std::vector<crypto::Certificate> chain;  // intermediates (SSL_CTX_add1_chain_cert)
  std::optional<crypto::PrivateKey> key;
  bool complete() const { return leaf && key; }
};

class CertSlots {
 public:
  CertSlots() = default;
  CertSlots(const CertSlots& o);
  CertSlots& operator=(const CertSlots& o);

  CertSlot& current() { return slots_[current_]; }
  const CertSlot& current() const { return slots_[current_]; }

  // SSL_CTX_use_certificate(3): into the slot of the certificate's key type,
  // which becomes current; a key already there that does not match it is
  // dropped (as OpenSSL 3.0: set the certificate first, then its key). 1, or
  // 0 with an ERR entry.
  int use_certificate(X509* x);
  // SSL_CTX_use_PrivateKey(3): into the slot of its type, which becomes
  // current; it must match a certificate already there
  // (X509_R_KEY_VALUES_MISMATCH).
  int use_key(EVP_PKEY* pkey);
  // SSL_CTX_use_certificate_chain_file(3): the leaf as use_certificate, the
  // rest as that slot's intermediates.
  int use_chain(std::vector<crypto::Certificate> chain);
  // SSL_CTX_check_private_key(3), for the current slot.
  int check_private_key() const;

  // The control commands on certificates shared by SSL_CTX_ctrl and SSL_ctrl
  // (SSL_CTRL_CHAIN, _CHAIN_CERT, _GET_CHAIN_CERTS, _SET_CURRENT_CERT,
  // _SELECT_CURRENT_CERT); `stack` keeps the STACK_OF(X509) handed out.
  // nullopt for any other command.
  std::optional<long> ctrl(int cmd, long larg, void* parg, STACK_OF(X509) * *stack);

  // SSL_CTX_build_cert_chain(3): the current certificate's chain made again
  // from `store` (its intermediates as untrusted helpers with
  // SSL_BUILD_CHAIN_FLAG_UNTRUSTED; with SSL_BUILD_CHAIN_FLAG_CHECK from its
  // own certificates only, put in order): 1, 2 when
  // SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR let a verification error pass, 0 with
  // an ERR entry. SSL_BUILD_CHAIN_FLAG_NO_ROOT leaves out a self-signed root.
  int build_chain(long flags, X509_STORE* store);
  // The leaf and key of a slot holding `x` (a server's certificate sent).
  const CertSlot* find(X509* x) const;
  // The engine's certificates: each complete slot, the current one first (a
  // client's), its intermediates or, without any, `extra` (the context's
  // SSL_CTX_add_extra_chain_cert certificates, shared by all slots).
  std::vector<handshake::CertifiedKey> certified(
      const std::vector<crypto::Certificate>& extra) const;

 private:
  std::array<CertSlot, kSlotCount> slots_;
  size_t current_ = 0;  // OpenSSL starts at its RSA slot
};

// A STACK_OF(X509) with a reference to each of `certs`, in *stack (whose
// previous stack is freed); null for none, as OpenSSL.
void fill_stack(const std::vector<crypto::Certificate>& certs, STACK_OF(X509) * *stack);

}  // namespace rapidtls::ssl
