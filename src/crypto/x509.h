// Certificates and chain verification through X509_STORE / X509_verify_cert,
// with host name checking (X509_VERIFY_PARAM_set1_host).
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/ptr.h"

namespace rapidtls::crypto {

class Certificate {
 public:
  static Result<Certificate> from_der(Bytes der);
  // Every certificate in a PEM file (leaf first), at least one.
  static Result<std::vector<Certificate>> chain_from_pem(Bytes pem);
  static Result<std::vector<Certificate>> chain_from_pem_file(const std::string& path);
  // Takes a reference of an existing X509 (X509_up_ref).
  static Certificate from_x509(X509* x);

  Certificate(const Certificate& o);
  Certificate& operator=(const Certificate& o);
  Certificate(Certificate&&) noexcept = default;
  Certificate& operator=(Certificate&&) noexcept = default;

  Bytes der() const { return Bytes(der_.data(), der_.size()); }
  X509* raw() const { return x509_.get(); }
  std::string subject() const;  // one line, RFC 2253 style

 private:
  Certificate(X509Ptr x, ByteVec der) : x509_(std::move(x)), der_(std::move(der)) {}
  X509Ptr x509_;
  ByteVec der_;
};

// Parsed certificates shared between connections: a server presents the same
// chain to every client, a client meets the same servers again. Parsing a
// certificate is most of a TLS client's non-cryptographic handshake cost in
// libcrypto 3.0 (the key decoder framework), and each parsed X509 holds
// kilobytes; a hit hands out another reference to the same X509. Entries are
// matched on the exact DER bytes. Thread-safe.
class CertificateCache {
 public:
  explicit CertificateCache(size_t capacity = 64) : capacity_(capacity) {}
  // As Certificate::from_der, from the cache when the same bytes were seen.
  Result<Certificate> parse(Bytes der);
  size_t size() const;

 private:
  mutable std::mutex mutex_;
  size_t capacity_;
  std::vector<Certificate> entries_;  // most recently used last
};

// Whether `der` is exactly one DER X.509 Name (a DistinguishedName of RFC
// 5246 7.4.4 / RFC 8446 4.2.4), nothing after it.
bool is_distinguished_name(Bytes der);

enum class Purpose : uint8_t { server, client };  // which end the verified chain belongs to

// Trust anchors plus verification settings. Thread-safe once configured.
class TrustStore {
 public:
  TrustStore();
  // Shares an existing store (X509_STORE_up_ref): what SSL_CTX_get_cert_store hands out.
  static TrustStore from_store(X509_STORE* store);
  TrustStore(TrustStore&&) noexcept = default;
  TrustStore& operator=(TrustStore&&) noexcept = default;

  Status add_pem_file(const std::string& file);  // CA certificates
  Status add_directory(const std::string& dir);  // hashed directory (c_rehash layout)
  Status add_certificate(const Certificate& ca);
  Status use_default_paths();  // the system trust store
  X509_STORE* raw() const { return store_.get(); }

  struct Outcome {
    Status status;       // ok, or the alert + SSL_R_CERTIFICATE_VERIFY_FAILED
    long verify_result;  // X509_V_OK or the X509_V_ERR_* code (for SSL_get_verify_result)
  };
  // Verifies chain[0] (the leaf) up to a trust anchor, using chain[1..] as
  // intermediates, at time `now_s` (seconds since the epoch), for `purpose`.
  // A non-empty host must match the leaf (DNS name or IP address). Alerts per
  // RFC 8446 6.2: an expired certificate -> certificate_expired, an untrusted
  // root -> unknown_ca, a revoked one -> certificate_revoked, a host mismatch
  // or a malformed certificate -> bad_certificate, else certificate_unknown.
  // On success, *valid_until_s (when given) receives the earliest notAfter of
  // the chain that was built, trust anchor included: from then on the same
  // verification fails.
  //
  // `hook`, when given, is called by X509_verify_cert at each step, as the
  // verify callback of X509_STORE_CTX_set_verify_cb: with preverify_ok and the
  // store context, and its answer decides (1: go on, even past an error; 0:
  // stop). An error it let pass stays the verify_result of a success.
  //
  // `params`, when given, are copied into the store context's parameters
  // first (X509_VERIFY_PARAM_set1: flags, host names, host flags, purpose):
  // the C interface's SSL_get0_param. The arguments above apply over them,
  // except `depth_limit` where they set a depth (SSL_set_verify_depth).
  using Hook = std::function<int(int preverify_ok, X509_STORE_CTX* ctx)>;
  Outcome verify(const std::vector<Certificate>& chain, const std::string& host, Purpose purpose,
                 int64_t now_s, int depth_limit = 100, int64_t* valid_until_s = nullptr,
                 const Hook* hook = nullptr, const X509_VERIFY_PARAM* params = nullptr) const;

  // What the outcome of verify() depends on besides its arguments, as bytes to
  // compare: the store's identity, its number of certificates and CRLs (a
  // store only grows), and the verification parameters that can be read back
  // (flags, depth, security level, host checks). nullopt when the store's set-up
  // cannot be captured this way, so that outcomes must not be reused: a
  // verification callback or another replaced step, CRL checks (a CRL's
  // nextUpdate would bound the outcome too) or policy checks (the policy set
  // cannot be read back). Not covered: a purpose or trust setting put on the
  // store's own parameters, and lookup methods added to it directly.
  std::optional<ByteVec> reuse_state() const;

 private:
  explicit TrustStore(X509StorePtr store) : store_(std::move(store)) {}
  X509StorePtr store_;
};

}  // namespace rapidtls::crypto
