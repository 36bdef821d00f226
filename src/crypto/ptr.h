// Owned libcrypto objects: one std::unique_ptr alias per type, each with the
// matching *_free as deleter. No *_free call appears outside crypto/.
#pragma once

#include <openssl/types.h>

#include <memory>

namespace rapidtls::crypto {

template <auto FreeFn>
struct FreeDeleter {
  template <class T>
  void operator()(T* p) const {
    FreeFn(p);
  }
};

}  // namespace rapidtls::crypto

// Declared here so that ptr.h needs only <openssl/types.h>.
extern "C" {
void EVP_CIPHER_CTX_free(EVP_CIPHER_CTX*);
void EVP_MD_CTX_free(EVP_MD_CTX*);
void EVP_PKEY_free(EVP_PKEY*);
void EVP_PKEY_CTX_free(EVP_PKEY_CTX*);
void EVP_MAC_CTX_free(EVP_MAC_CTX*);
void EVP_KDF_CTX_free(EVP_KDF_CTX*);
void X509_free(X509*);
void X509_STORE_free(X509_STORE*);
void X509_STORE_CTX_free(X509_STORE_CTX*);
void BIO_free_all(BIO*);
}

namespace rapidtls::crypto {

using EvpCipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, FreeDeleter<EVP_CIPHER_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, FreeDeleter<EVP_MD_CTX_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, FreeDeleter<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, FreeDeleter<EVP_PKEY_CTX_free>>;
using EvpMacCtxPtr = std::unique_ptr<EVP_MAC_CTX, FreeDeleter<EVP_MAC_CTX_free>>;
using EvpKdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, FreeDeleter<EVP_KDF_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, FreeDeleter<X509_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, FreeDeleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, FreeDeleter<X509_STORE_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, FreeDeleter<BIO_free_all>>;

}  // namespace rapidtls::crypto
