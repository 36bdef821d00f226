#include "handshake/certificate_choice.h"

#include <algorithm>

#include "handshake/common.h"

namespace rapidtls::handshake::detail {

namespace {

bool usable(const CertifiedKey& c) {
  return c.signer && !c.chain.empty();
}

template <class T>
bool has(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

std::optional<CertificateChoice> choose_certificate13(const Config& config,
                                                      const std::vector<uint16_t>& client_schemes) {
  const auto& certs = config.certificates;
  // One certificate (the common case): no scheme lists to walk twice.
  if (certs.size() == 1) {
    if (!usable(certs[0])) return std::nullopt;
    auto scheme = choose_scheme(config.signature_schemes, client_schemes, *certs[0].signer);
    if (!scheme) return std::nullopt;
    return CertificateChoice{0, *scheme};
  }
  std::vector<std::vector<SignatureScheme>> signs(certs.size());
  for (size_t i = 0; i < certs.size(); ++i) {
    if (usable(certs[i])) signs[i] = certs[i].signer->schemes();
  }
  for (uint16_t offered : client_schemes) {
    const auto s = static_cast<SignatureScheme>(offered);
    if (!crypto::scheme_allowed_in_tls13_cert_verify(s) || !has(config.signature_schemes, s)) {
      continue;
    }
    for (size_t i = 0; i < certs.size(); ++i) {
      if (!has(signs[i], s)) continue;
      auto scheme = choose_scheme(config.signature_schemes, client_schemes, *certs[i].signer);
      if (scheme) return CertificateChoice{i, *scheme};
    }
  }
  return std::nullopt;
}

Result<CertificateChoice12> choose_certificate12(const Config& config,
                                                 const std::vector<uint16_t>& client_suites,
                                                 const std::vector<uint16_t>& client_schemes,
                                                 const std::vector<uint16_t>& client_groups) {
  // Each certificate's scheme and type, when the client can take it.
  struct Candidate {
    size_t index;
    SignatureScheme scheme;
    Auth12 auth;
  };
  std::vector<Candidate> candidates;
  bool any_scheme = false;
  for (size_t i = 0; i < config.certificates.size(); ++i) {
    const CertifiedKey& c = config.certificates[i];
    if (!usable(c)) continue;
    // RFC 5246 7.4.1.4.1: without signature_algorithms the client takes only
    // SHA-1 ({sha1,rsa}, {sha1,ecdsa}), which rapidtls does not sign with: no
    // scheme is left, as in OpenSSL 3.0 (SHA-1 is below its security level 1).
    auto scheme = choose_scheme12(config.signature_schemes, client_schemes, *c.signer);
    if (!scheme) continue;
    any_scheme = true;
    const bool ecdsa = scheme_is_ecdsa_auth12(*scheme);
    // RFC 8422 5.1.1: supported_groups names the curves the client takes for
    // ECDSA too; a certificate on another curve is unusable (as OpenSSL).
    if (ecdsa && !client_groups.empty()) {
      auto pub = crypto::PublicKey::from_certificate(c.chain[0]);
      if (!pub.ok()) continue;
      const uint16_t curve = pub->ec_group_id();
      if (curve != 0 && !has(client_groups, curve)) continue;
    }
    candidates.push_back({i, *scheme, ecdsa ? Auth12::ecdsa : Auth12::rsa});
  }
  if (!any_scheme) {
    return Error{Alert::handshake_failure, SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM};
  }
  for (uint16_t id : config.cipher_suites12) {
    const Suite12Info* info = suite12_info(id);
    if (info == nullptr || !has(client_suites, id)) continue;
    for (const Candidate& c : candidates) {
      if (c.auth == info->auth) return CertificateChoice12{c.index, c.scheme, info};
    }
  }
  return Error{Alert::handshake_failure, SSL_R_NO_SHARED_CIPHER};
}

}  // namespace rapidtls::handshake::detail
