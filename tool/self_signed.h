// The certificate `rapidtls serve` makes for itself when given none.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace rapidtls::tool {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

struct SelfSigned {
  X509Ptr cert;
  EvpPkeyPtr key;
};

// An ECDSA P-256 key and a self-signed certificate for DNS:localhost and
// IP:127.0.0.1 (and ::1), valid from an hour ago for 30 days. Empty on failure.
SelfSigned make_self_signed();

// "AB:CD:..." (SHA-256 of the DER certificate), as browsers show it.
std::string sha256_fingerprint(X509* cert);

// One-line names, "O = rapidtls serve, CN = localhost".
std::string subject_line(X509* cert);
std::string issuer_line(X509* cert);

}  // namespace rapidtls::tool
