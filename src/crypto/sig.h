// Signatures for CertificateVerify (RFC 8446 4.4.3) and keys loaded from PEM.
#pragma once

#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/ptr.h"

namespace rapidtls::crypto {

// RFC 8446 4.2.3 SignatureScheme values.
enum class SignatureScheme : uint16_t {
  rsa_pkcs1_sha256 = 0x0401,
  rsa_pkcs1_sha384 = 0x0501,
  rsa_pkcs1_sha512 = 0x0601,
  ecdsa_secp256r1_sha256 = 0x0403,
  ecdsa_secp384r1_sha384 = 0x0503,
  ecdsa_secp521r1_sha512 = 0x0603,
  rsa_pss_rsae_sha256 = 0x0804,
  rsa_pss_rsae_sha384 = 0x0805,
  rsa_pss_rsae_sha512 = 0x0806,
  ed25519 = 0x0807,
  ed448 = 0x0808,
  rsa_pss_pss_sha256 = 0x0809,
  rsa_pss_pss_sha384 = 0x080a,
  rsa_pss_pss_sha512 = 0x080b,
};

const char* scheme_name(SignatureScheme s);
// Schemes allowed in TLS 1.3 CertificateVerify (RFC 8446 4.2.3: not rsa_pkcs1_*).
bool scheme_allowed_in_tls13_cert_verify(SignatureScheme s);

// Which protocol's rule binds a scheme to a key. TLS 1.3 (RFC 8446 4.2.3):
// an ECDSA scheme names the curve as well as the hash. TLS 1.2 (RFC 5246
// 7.4.1.4.1, RFC 8422 5.1.1): it names only the hash (ecdsa_secp256r1_sha256
// is {sha256, ecdsa}), and the key may be on any curve we support.
enum class SchemeRules : uint8_t { tls13, tls12 };

class Certificate;
// What a key is for scheme selection (defined in sig.cc); worked out once
// when a key object is made, as it takes several libcrypto name look-ups.
enum class KeyKind : uint8_t;

// A public key, from a certificate's SubjectPublicKeyInfo.
class PublicKey {
 public:
  static Result<PublicKey> from_certificate(const Certificate& cert);
  PublicKey(PublicKey&&) noexcept = default;
  PublicKey& operator=(PublicKey&&) noexcept = default;

  // Whether this key type and size can verify with `scheme` (an EC key only
  // with its own curve's scheme; an rsaEncryption key with rsa_pss_rsae_* and
  // rsa_pkcs1_*; an RSASSA-PSS key with rsa_pss_pss_*; Ed25519 with ed25519).
  bool compatible(SignatureScheme scheme, SchemeRules rules = SchemeRules::tls13) const;
  // A bad signature fails with {decrypt_error, SSL_R_BAD_SIGNATURE}; an
  // incompatible scheme with {illegal_parameter, SSL_R_WRONG_SIGNATURE_TYPE}.
  Status verify(SignatureScheme scheme, Bytes message, Bytes signature,
                SchemeRules rules = SchemeRules::tls13) const;
  EVP_PKEY* raw() const { return key_.get(); }
  // An EC key's curve as a TLS NamedGroup (RFC 8422 5.1.1: 0x0017, 0x0018,
  // 0x0019); 0 for any other key.
  uint16_t ec_group_id() const;

 private:
  explicit PublicKey(EvpPkeyPtr key);
  EvpPkeyPtr key_;
  KeyKind kind_;
};

// A private key that signs with the schemes its type allows. RSA-PSS uses a
// salt as long as the hash (RFC 8446 4.2.3).
class PrivateKey {
 public:
  static Result<PrivateKey> from_pem(Bytes pem);
  static Result<PrivateKey> from_pem_file(const std::string& path);
  // Takes a reference of an existing key (EVP_PKEY_up_ref).
  static Result<PrivateKey> from_evp(EVP_PKEY* key);
  PrivateKey(PrivateKey&&) noexcept = default;
  PrivateKey& operator=(PrivateKey&&) noexcept = default;

  bool compatible(SignatureScheme scheme, SchemeRules rules = SchemeRules::tls13) const;
  // The TLS 1.3 schemes this key can sign with, most preferred first.
  std::vector<SignatureScheme> tls13_schemes() const;
  // The TLS 1.2 schemes: as tls13_schemes(), with the ECDSA schemes of every
  // hash for an EC key of any supported curve, and rsa_pkcs1_* last for RSA.
  std::vector<SignatureScheme> tls12_schemes() const;
  Result<ByteVec> sign(SignatureScheme scheme, Bytes message,
                       SchemeRules rules = SchemeRules::tls13) const;
  // Whether the certificate's public key is this key's public half.
  bool matches(const Certificate& cert) const;
  EVP_PKEY* raw() const { return key_.get(); }

 private:
  explicit PrivateKey(EvpPkeyPtr key);
  // ECDSA with the curve's own hash (the TLS 1.3 scheme) through sign_ctx_:
  // the digest computed here, then EVP_PKEY_sign on a copy of the context.
  Result<ByteVec> sign_prepared(Bytes message) const;
  EvpPkeyPtr key_;
  KeyKind kind_;
  // An ECDSA key's signing context, EVP_PKEY_sign_init'd with its curve's
  // hash once when the key is made: EVP_DigestSignInit looks up the
  // signature algorithm and key manager on every handshake. Shared by every
  // connection (and thread) using the key, so only ever duplicated, never
  // used itself. Null for other keys, which sign through EVP_DigestSign.
  EvpPkeyCtxPtr sign_ctx_;
  SignatureScheme sign_ctx_scheme_ = SignatureScheme::ecdsa_secp256r1_sha256;
};

}  // namespace rapidtls::crypto
