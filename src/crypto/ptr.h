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

// Declared here so that ptr.h needs only <openssl/types.h>. EC_GROUP and
// EC_POINT are typedef'd in <openssl/ec.h>; repeating an identical typedef is
// allowed.
extern "C" {
typedef struct ec_group_st EC_GROUP;
typedef struct ec_point_st EC_POINT;
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
void BN_clear_free(BIGNUM*);
void BN_CTX_free(BN_CTX*);
void EC_GROUP_free(EC_GROUP*);
void EC_POINT_free(EC_POINT*);
void OSSL_PARAM_BLD_free(OSSL_PARAM_BLD*);
void OSSL_PARAM_free(OSSL_PARAM*);
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
// BIGNUMs here often hold private scalars, so they are wiped on release.
using BignumPtr = std::unique_ptr<BIGNUM, FreeDeleter<BN_clear_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, FreeDeleter<BN_CTX_free>>;
using EcGroupPtr = std::unique_ptr<EC_GROUP, FreeDeleter<EC_GROUP_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, FreeDeleter<EC_POINT_free>>;
using OsslParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, FreeDeleter<OSSL_PARAM_BLD_free>>;
using OsslParamPtr = std::unique_ptr<OSSL_PARAM, FreeDeleter<OSSL_PARAM_free>>;

}  // namespace rapidtls::crypto
