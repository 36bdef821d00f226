// Per-key-type certificate slots of an SSL_CTX or SSL (cert_slots.h).
#include "ssl/cert_slots.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace rapidtls::ssl {

namespace {

crypto::PrivateKey copy_key(const crypto::PrivateKey& k) {
  // A new reference to the same EVP_PKEY: from_evp cannot fail on a key it took before.
  return crypto::PrivateKey::from_evp(k.raw()).value();
}

}  // namespace

std::optional<size_t> slot_of(EVP_PKEY* key) {
  if (key == nullptr) return std::nullopt;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return static_cast<size_t>(SlotType::rsa);
    case EVP_PKEY_RSA_PSS:
      return static_cast<size_t>(SlotType::rsa_pss);
    case EVP_PKEY_EC:
      return static_cast<size_t>(SlotType::ecdsa);
    case EVP_PKEY_ED25519:
      return static_cast<size_t>(SlotType::ed25519);
    case EVP_PKEY_ED448:
      return static_cast<size_t>(SlotType::ed448);
    default:
      return std::nullopt;
  }
}

CertSlots::CertSlots(const CertSlots& o) {
  *this = o;
}

CertSlots& CertSlots::operator=(const CertSlots& o) {
  if (this == &o) return *this;
  for (size_t i = 0; i < kSlotCount; ++i) {
    slots_[i].leaf = o.slots_[i].leaf;
    slots_[i].chain = o.slots_[i].chain;
    slots_[i].key.reset();
    if (o.slots_[i].key) slots_[i].key.emplace(copy_key(*o.slots_[i].key));
  }
  current_ = o.current_;
  return *this;
}

int CertSlots::use_certificate(X509* x) {
  if (x == nullptr) {
    ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
    return 0;
  }
  const auto i = slot_of(X509_get0_pubkey(x));
  if (!i) {
    ERR_raise(ERR_LIB_SSL, SSL_R_UNKNOWN_CERTIFICATE_TYPE);
    return 0;
  }
  CertSlot& slot = slots_[*i];
  slot.leaf = crypto::Certificate::from_x509(x);
  // The key of the certificate this one replaces: kept only if it fits.
  if (slot.key && !slot.key->matches(*slot.leaf)) slot.key.reset();
  current_ = *i;
  return 1;
}

int CertSlots::use_key(EVP_PKEY* pkey) {
  if (pkey == nullptr) {
    ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
    return 0;
  }
  const auto i = slot_of(pkey);
  auto key = crypto::PrivateKey::from_evp(pkey);
  if (!i || !key.ok()) {
    ERR_raise(ERR_LIB_SSL, SSL_R_UNKNOWN_CERTIFICATE_TYPE);
    return 0;
  }
  CertSlot& slot = slots_[*i];
  if (slot.leaf && !key->matches(*slot.leaf)) {
    ERR_raise(ERR_LIB_X509, X509_R_KEY_VALUES_MISMATCH);
    return 0;
  }
  slot.key.emplace(std::move(key).value());
  current_ = *i;
  return 1;
}

int CertSlots::use_chain(std::vector<crypto::Certificate> chain) {
  if (chain.empty()) {
    ERR_raise(ERR_LIB_SSL, ERR_R_PEM_LIB);
    return 0;
  }
  if (use_certificate(chain[0].raw()) != 1) return 0;
  current().chain.assign(chain.begin() + 1, chain.end());
  return 1;
}

int CertSlots::check_private_key() const {
  const CertSlot& slot = current();
  if (!slot.leaf) {
    ERR_raise(ERR_LIB_SSL, SSL_R_NO_CERTIFICATE_ASSIGNED);
    return 0;
  }
  if (!slot.key) {
    ERR_raise(ERR_LIB_SSL, SSL_R_NO_PRIVATE_KEY_ASSIGNED);
    return 0;
  }
  if (!slot.key->matches(*slot.leaf)) {
    ERR_raise(ERR_LIB_X509, X509_R_KEY_VALUES_MISMATCH);
    return 0;
  }
  return 1;
}

std::optional<long> CertSlots::ctrl(int cmd, long larg, void* parg, STACK_OF(X509) * *stack) {
  switch (cmd) {
    case SSL_CTRL_CHAIN: {
      // SSL_CTX_set0_chain (larg 0: the stack is taken) / set1_chain (larg 1:
      // copied): the current certificate's intermediates; null clears them.
      auto* sk = static_cast<STACK_OF(X509)*>(parg);
      std::vector<crypto::Certificate> next;
      for (int i = 0; sk != nullptr && i < sk_X509_num(sk); ++i) {
        next.push_back(crypto::Certificate::from_x509(sk_X509_value(sk, i)));
      }
      current().chain = std::move(next);
      if (larg == 0 && sk != nullptr) sk_X509_pop_free(sk, X509_free);
      return 1;
    }
    case SSL_CTRL_CHAIN_CERT: {
      // SSL_CTX_add0_chain_cert (larg 0: the reference is taken) / add1.
      X509* x = static_cast<X509*>(parg);
      if (x == nullptr) return 0;
      current().chain.push_back(crypto::Certificate::from_x509(x));
      if (larg == 0) X509_free(x);
      return 1;
    }
    case SSL_CTRL_GET_CHAIN_CERTS: {
      auto** out = static_cast<STACK_OF(X509)**>(parg);
      if (out == nullptr) return 0;
      fill_stack(current().chain, stack);
      *out = *stack;
      return 1;
    }
    case SSL_CTRL_SET_CURRENT_CERT: {
      // SSL_CERT_SET_FIRST / SSL_CERT_SET_NEXT walk the slots with both a
      // certificate and its key (nginx and HAProxy iterate so).
      size_t from = 0;
      if (larg == SSL_CERT_SET_NEXT) {
        from = current_ + 1;
      } else if (larg != SSL_CERT_SET_FIRST) {
        return 0;
      }
      for (size_t i = from; i < kSlotCount; ++i) {
        if (slots_[i].complete()) {
          current_ = i;
          return 1;
        }
      }
      return 0;
    }
    case SSL_CTRL_SELECT_CURRENT_CERT: {
      // SSL_CTX_select_current_cert: a certificate loaded before, with its key.
      X509* x = static_cast<X509*>(parg);
      if (x == nullptr) return 0;
      for (size_t i = 0; i < kSlotCount; ++i) {
        if (slots_[i].complete() && X509_cmp(slots_[i].leaf->raw(), x) == 0) {
          current_ = i;
          return 1;
        }
      }
      return 0;
    }
    default:
      return std::nullopt;
  }
}

const CertSlot* CertSlots::find(X509* x) const {
  for (const CertSlot& slot : slots_) {
    if (slot.leaf && (slot.leaf->raw() == x || X509_cmp(slot.leaf->raw(), x) == 0)) return &slot;
  }
  return nullptr;
}

std::vector<handshake::CertifiedKey> CertSlots::certified(
    const std::vector<crypto::Certificate>& extra) const {
  std::vector<handshake::CertifiedKey> out;
  auto add = [&](const CertSlot& slot) {
    if (!slot.complete()) return;
    auto key = crypto::PrivateKey::from_evp(slot.key->raw());
    if (!key.ok()) return;
    handshake::CertifiedKey ck;
    ck.chain.reserve(1 + (slot.chain.empty() ? extra.size() : slot.chain.size()));
    ck.chain.push_back(*slot.leaf);
    const auto& rest = slot.chain.empty() ? extra : slot.chain;
    ck.chain.insert(ck.chain.end(), rest.begin(), rest.end());
    ck.signer = std::make_shared<handshake::KeySigner>(std::move(key).value());
    out.push_back(std::move(ck));
  };
  add(slots_[current_]);
  for (size_t i = 0; i < kSlotCount; ++i) {
    if (i != current_) add(slots_[i]);
  }
  return out;
}

void fill_stack(const std::vector<crypto::Certificate>& certs, STACK_OF(X509) * *stack) {
  sk_X509_pop_free(*stack, X509_free);
  *stack = nullptr;
  if (certs.empty()) return;
  *stack = sk_X509_new_null();
  for (size_t i = 0; *stack != nullptr && i < certs.size(); ++i) {
    X509_up_ref(certs[i].raw());
    sk_X509_push(*stack, certs[i].raw());
  }
}

int CertSlots::build_chain(long flags, X509_STORE* store) {
  CertSlot& slot = current();
  if (!slot.leaf) {
    ERR_raise(ERR_LIB_SSL, SSL_R_NO_CERTIFICATE_SET);
    return 0;
  }
  // SSL_BUILD_CHAIN_FLAG_CHECK: only the certificates there are (the leaf
  // too: it may be self-signed) serve as trust anchors; else the store, with
  // the intermediates as untrusted helpers if SSL_BUILD_CHAIN_FLAG_UNTRUSTED.
  const bool check = (flags & SSL_BUILD_CHAIN_FLAG_CHECK) != 0;
  X509_STORE* own = check ? X509_STORE_new() : nullptr;
  if (check && own != nullptr) {
    X509_STORE_add_cert(own, slot.leaf->raw());
    for (const auto& c : slot.chain) X509_STORE_add_cert(own, c.raw());
  }
  X509_STORE_CTX* xs = X509_STORE_CTX_new();
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  int rv = 0;
  if (xs != nullptr && untrusted != nullptr && (!check || own != nullptr)) {
    if ((flags & SSL_BUILD_CHAIN_FLAG_UNTRUSTED) != 0 && !check) {
      for (const auto& c : slot.chain) sk_X509_push(untrusted, c.raw());  // borrowed
    }
    if (X509_STORE_CTX_init(xs, check ? own : store, slot.leaf->raw(), untrusted) == 1) {
      rv = X509_verify_cert(xs) > 0 ? 1 : 0;
      if (rv == 0 && (flags & SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR) != 0) {
        if ((flags & SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR) != 0) ERR_clear_error();
        rv = 2;
      } else if (rv == 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED);
      }
      STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(xs);
      if (rv != 0 && built != nullptr) {
        int n = sk_X509_num(built);
        // The root: last, self-signed.
        if ((flags & SSL_BUILD_CHAIN_FLAG_NO_ROOT) != 0 && n > 1 &&
            (X509_get_extension_flags(sk_X509_value(built, n - 1)) & EXFLAG_SS) != 0) {
          --n;
        }
        std::vector<crypto::Certificate> chain;
        for (int i = 1; i < n; ++i)
          chain.push_back(crypto::Certificate::from_x509(sk_X509_value(built, i)));
        slot.chain = std::move(chain);
      }
    }
  }
  sk_X509_free(untrusted);
  X509_STORE_CTX_free(xs);
  X509_STORE_free(own);
  return rv;
}

}  // namespace rapidtls::ssl
