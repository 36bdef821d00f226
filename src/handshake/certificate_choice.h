// A server's choice among its certificates (Config::certificates): which one
// a handshake sends, with which signature scheme, and in TLS 1.2 which suite.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "handshake/config.h"

namespace rapidtls::handshake::detail {

struct CertificateChoice {
  size_t index = 0;  // into Config::certificates
  SignatureScheme scheme{};
};

// TLS 1.3: the certificate is the first one that can sign with the client's
// most preferred scheme among those it offered and we allow (OpenSSL 3.0's
// order, without SSL_OP_CIPHER_SERVER_PREFERENCE: it walks the shared
// signature algorithms in the client's order and takes the first with a
// certificate). A P-256 key signs only ecdsa_secp256r1_sha256 in TLS 1.3, so
// the scheme fixes an ECDSA certificate's curve. For that certificate the
// scheme is then our first preference the client accepts (choose_scheme), so
// with one certificate nothing changes. nullopt: no certificate fits.
std::optional<CertificateChoice> choose_certificate13(const Config& config,
                                                      const std::vector<uint16_t>& client_schemes);

struct CertificateChoice12 {
  size_t index = 0;  // into Config::certificates
  SignatureScheme scheme{};
  const Suite12Info* suite = nullptr;
};

// TLS 1.2: the suite decides the certificate's type (ECDHE_ECDSA or
// ECDHE_RSA). The suite is our first preference that the client offers and
// for which we hold a usable certificate of its type: one with a scheme the
// client accepts (choose_scheme12) and, for ECDSA, on a curve in the
// client's supported_groups when it sent them (RFC 8422 5.1.1). Of several
// certificates of the type, the first configured. Fails with
// {handshake_failure, SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM} when no
// certificate has a scheme the client accepts, else SSL_R_NO_SHARED_CIPHER.
Result<CertificateChoice12> choose_certificate12(const Config& config,
                                                 const std::vector<uint16_t>& client_suites,
                                                 const std::vector<uint16_t>& client_schemes,
                                                 const std::vector<uint16_t>& client_groups);

}  // namespace rapidtls::handshake::detail
