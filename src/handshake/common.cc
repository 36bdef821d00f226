#include "handshake/common.h"

#include <algorithm>
#include <cstdio>

#include "crypto/prf12.h"
#include "handshake/extensions.h"
#include "handshake/messages12.h"

namespace rapidtls::handshake {

Status set_read_secret(HandshakeIo& io, const SuiteInfo& suite, const Secret& secret, Epoch epoch,
                       Secret* finished_key) {
  RTLS_ASSIGN(const TrafficKeys keys, traffic_keys(suite, secret, finished_key));
  return io.set_read_keys(keys, epoch);
}

Status set_write_secret(HandshakeIo& io, const SuiteInfo& suite, const Secret& secret, Epoch epoch,
                        Secret* finished_key) {
  RTLS_ASSIGN(const TrafficKeys keys, traffic_keys(suite, secret, finished_key));
  return io.set_write_keys(keys, epoch);
}

TrafficKeys tls12_traffic_keys(const Suite12Info& suite, const Secret& key, const Secret& iv) {
  TrafficKeys keys;
  keys.version = kTls12;
  keys.aead = suite.aead;
  keys.key = key;
  keys.iv = iv;
  return keys;
}

void Handshake::keylog(std::string_view label, const Secret& secret) const {
  if (!callbacks_->logs_keys()) return;
  std::string line(label);
  line += ' ';
  line += to_hex(client_random_);
  line += ' ';
  line += to_hex(secret.bytes());
  callbacks_->on_key_log(line);
}

ByteVec certificate_verify_content(Role signer, Bytes transcript_hash) {
  // RFC 8446 4.4.3: 64 spaces, the context string, a zero byte, the hash.
  static constexpr std::string_view kServer = "TLS 1.3, server CertificateVerify";
  static constexpr std::string_view kClient = "TLS 1.3, client CertificateVerify";
  const std::string_view context = signer == Role::server ? kServer : kClient;
  ByteVec out;
  out.reserve(64 + context.size() + 1 + transcript_hash.size());
  out.assign(64, 0x20);
  out.insert(out.end(), context.begin(), context.end());
  out.push_back(0);
  out.insert(out.end(), transcript_hash.begin(), transcript_hash.end());
  return out;
}

crypto::TrustStore::Outcome verify_peer_chain(const Config& config,
                                              const std::vector<crypto::Certificate>& chain,
                                              const std::string& host, crypto::Purpose purpose,
                                              ConnectionCallbacks& callbacks) {
  const int64_t now_s = static_cast<int64_t>(config.clock->now_ms() / 1000);
  const X509_VERIFY_PARAM* params = callbacks.verify_parameters();
  if (config.verify_callback != nullptr) {
    const VerifyCallback callback = config.verify_callback;
    const crypto::TrustStore::Hook hook = [callback, &callbacks](int ok, X509_STORE_CTX* ctx) {
      return callbacks.on_verify(callback, ok, ctx);
    };
    return config.trust->verify(chain, host, purpose, now_s, config.verify_depth, nullptr, &hook,
                                params);
  }
  if (params != nullptr) {
    return config.trust->verify(chain, host, purpose, now_s, config.verify_depth, nullptr, nullptr,
                                params);
  }
  if (config.verify_cache) {
    return config.verify_cache->verify(*config.trust, chain, host, purpose, now_s,
                                       config.verify_depth);
  }
  return config.trust->verify(chain, host, purpose, now_s, config.verify_depth);
}

namespace detail {

Result<const CertifiedKey*> client_certificate(const Config& config, ConnectionCallbacks& callbacks,
                                               std::optional<CertifiedKey>& holder) {
  RTLS_ASSIGN(std::optional<CertifiedKey> chosen, callbacks.on_certificate_request());
  if (chosen) {
    holder = std::move(chosen);
    return holder->signer && !holder->chain.empty() ? &*holder : nullptr;
  }
  if (const CertifiedKey* mine = config.certificate()) return mine;
  holder = callbacks.supply_client_certificate();
  return holder && holder->signer && !holder->chain.empty() ? &*holder : nullptr;
}

Result<ByteVec> build_certificate(const CertifiedKey* key, Bytes request_context,
                                  Bytes ocsp_response) {
  CertificateMsg msg;
  msg.certificate_request_context = to_vec(request_context);
  if (key != nullptr) {
    for (const auto& cert : key->chain) msg.certificate_list.push_back({to_vec(cert.der()), {}});
  }
  if (!ocsp_response.empty() && !msg.certificate_list.empty()) {
    RTLS_ASSIGN(ByteVec status, encode_certificate_status(ocsp_response));
    msg.certificate_list.front().extensions.push_back(
        {static_cast<uint16_t>(ExtensionType::status_request), std::move(status)});
  }
  ByteVec out;
  RTLS_TRY(msg.serialize(out));
  return out;
}

Result<std::vector<crypto::Certificate>> certificate_chain(const CertificateMsg& msg,
                                                           crypto::CertificateCache* cache) {
  std::vector<crypto::Certificate> chain;
  chain.reserve(msg.certificate_list.size());
  for (const auto& entry : msg.certificate_list) {
    auto cert = cache != nullptr ? cache->parse(entry.cert_data)
                                 : crypto::Certificate::from_der(entry.cert_data);
    if (!cert) return Error{Alert::bad_certificate, ERR_R_ASN1_LIB};
    chain.push_back(std::move(cert).value());
  }
  return chain;
}

Status verify_chain(const Config& config, const std::vector<crypto::Certificate>& chain,
                    const std::string& host, crypto::Purpose purpose, SessionInfo& session,
                    ConnectionCallbacks& callbacks) {
  if (!config.trust) {
    session.verify_result = 20;  // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    if (config.verify == VerifyMode::none) return {};
    return Error{Alert::unknown_ca, SSL_R_CERTIFICATE_VERIFY_FAILED};
  }
  if (config.verify == VerifyMode::none && config.verify_callback == nullptr) {
    // The result is still available (as in OpenSSL), computed on request.
    session.verify_deferred = true;
    session.verify_host = host;
    session.verify_purpose = purpose;
    return {};
  }
  auto outcome = verify_peer_chain(config, chain, host, purpose, callbacks);
  session.verify_result = outcome.verify_result;
  // Without verification the handshake goes on whatever the chain (and a
  // callback, called as OpenSSL calls it, answered).
  if (config.verify == VerifyMode::none) return {};
  return outcome.status;
}

std::optional<SignatureScheme> choose_scheme(const std::vector<SignatureScheme>& ours,
                                             const std::vector<uint16_t>& peer_offered,
                                             const Signer& signer) {
  const auto usable = signer.schemes();
  for (SignatureScheme s : ours) {
    if (!crypto::scheme_allowed_in_tls13_cert_verify(s)) continue;
    if (std::find(usable.begin(), usable.end(), s) == usable.end()) continue;
    if (std::find(peer_offered.begin(), peer_offered.end(), static_cast<uint16_t>(s)) ==
        peer_offered.end()) {
      continue;
    }
    return s;
  }
  return std::nullopt;
}

std::optional<SignatureScheme> choose_scheme12(const std::vector<SignatureScheme>& ours,
                                               const std::vector<uint16_t>& peer_offered,
                                               const Signer& signer) {
  const auto usable = signer.tls12_schemes();
  for (SignatureScheme s : ours) {
    if (std::find(usable.begin(), usable.end(), s) == usable.end()) continue;
    if (std::find(peer_offered.begin(), peer_offered.end(), static_cast<uint16_t>(s)) ==
        peer_offered.end()) {
      continue;
    }
    return s;
  }
  return std::nullopt;
}

bool scheme_is_ecdsa_auth12(SignatureScheme s) {
  // RFC 8446 4.2.3 / RFC 5246 7.4.1.4.1: the low byte 3 is ECDSA.
  return (static_cast<uint16_t>(s) & 0xff) == 0x03 || s == SignatureScheme::ed25519 ||
         s == SignatureScheme::ed448;
}

Result<ByteVec> build_certificate_verify(Signer& signer, SignatureScheme scheme, Role role,
                                         Bytes transcript_hash) {
  const ByteVec content = certificate_verify_content(role, transcript_hash);
  RTLS_ASSIGN(ByteVec signature, signer.sign(scheme, content));
  CertificateVerify cv;
  cv.algorithm = static_cast<uint16_t>(scheme);
  cv.signature = std::move(signature);
  ByteVec out;
  RTLS_TRY(cv.serialize(out));
  return out;
}

Status check_certificate_verify(const CertificateVerify& cv, const crypto::Certificate& leaf,
                                const std::vector<SignatureScheme>& offered, Role signer,
                                Bytes transcript_hash) {
  const auto scheme = static_cast<SignatureScheme>(cv.algorithm);
  // RFC 8446 4.4.3: the algorithm must have been offered, and rsa_pkcs1 is
  // never valid in a TLS 1.3 CertificateVerify.
  if (std::find(offered.begin(), offered.end(), scheme) == offered.end() ||
      !crypto::scheme_allowed_in_tls13_cert_verify(scheme)) {
    return Error{Alert::illegal_parameter, SSL_R_WRONG_SIGNATURE_TYPE};
  }
  RTLS_ASSIGN(crypto::PublicKey key, crypto::PublicKey::from_certificate(leaf));
  if (!key.compatible(scheme)) return Error{Alert::illegal_parameter, SSL_R_WRONG_SIGNATURE_TYPE};
  const ByteVec content = certificate_verify_content(signer, transcript_hash);
  return key.verify(scheme, content, cv.signature);
}

Result<ByteVec> build_finished(HashAlg alg, const Secret& base_key, Bytes transcript_hash) {
  RTLS_ASSIGN(const Secret key, finished_key(alg, base_key));
  return build_finished_with_key(alg, key, transcript_hash);
}

Status check_finished(HashAlg alg, const Secret& base_key, Bytes transcript_hash, Bytes body) {
  RTLS_ASSIGN(const Secret key, finished_key(alg, base_key));
  return check_finished_with_key(alg, key, transcript_hash, body);
}

Result<ByteVec> build_finished_with_key(HashAlg alg, const Secret& finished_key,
                                        Bytes transcript_hash) {
  RTLS_ASSIGN(Secret verify_data,
              verify_data_from_finished_key(alg, finished_key, transcript_hash));
  Finished fin;
  fin.verify_data = to_vec(verify_data.bytes());
  ByteVec out;
  RTLS_TRY(fin.serialize(out));
  return out;
}

Status check_finished_with_key(HashAlg alg, const Secret& finished_key, Bytes transcript_hash,
                               Bytes body) {
  RTLS_ASSIGN(Finished fin, Finished::parse(body, crypto::hash_size(alg)));
  RTLS_ASSIGN(Secret expected, verify_data_from_finished_key(alg, finished_key, transcript_hash));
  if (!ct_equal(expected.bytes(), fin.verify_data)) {
    return Error{Alert::decrypt_error, SSL_R_DIGEST_CHECK_FAILED};
  }
  return {};
}

Result<Secret> psk_binder(KeySchedule& early, Bytes transcript_hash) {
  const HashAlg alg = early.alg();
  RTLS_ASSIGN(const Secret binder_key, early.derive_early("res binder", empty_hash(alg)));
  return finished_verify_data(alg, binder_key, transcript_hash);
}

Result<std::optional<ByteVec>> choose_alpn(const Config& config, ConnectionCallbacks& callbacks,
                                           const std::vector<ByteVec>& offered) {
  if (callbacks.selects_alpn()) return callbacks.on_select_alpn(offered);
  for (const auto& mine : config.alpn) {
    if (std::find(offered.begin(), offered.end(), mine) != offered.end()) {
      return std::optional<ByteVec>(mine);
    }
  }
  if (config.alpn.empty()) return std::optional<ByteVec>();
  return Error{Alert::no_application_protocol, SSL_R_NO_APPLICATION_PROTOCOL};
}

Result<std::vector<crypto::Certificate>> certificate_chain12(const std::vector<ByteVec>& ders,
                                                             crypto::CertificateCache* cache) {
  CertificateMsg msg;
  for (const auto& der : ders) msg.certificate_list.push_back({der, {}});
  return certificate_chain(msg, cache);
}

Result<ByteVec> verify_data12(const Suite12Info& suite, const Secret& master, bool client,
                              Bytes transcript_hash) {
  RTLS_ASSIGN(Secret vd,
              crypto::tls12_verify_data(suite.hash, master.bytes(), client, transcript_hash));
  return to_vec(vd.bytes());
}

Result<ByteVec> check_finished12(const Suite12Info& suite, const Secret& master, bool client,
                                 Bytes transcript_hash, Bytes body) {
  RTLS_ASSIGN(Finished fin, Finished::parse(body, 12));
  RTLS_ASSIGN(ByteVec expected, verify_data12(suite, master, client, transcript_hash));
  if (!ct_equal(expected, fin.verify_data)) {
    return Error{Alert::decrypt_error, SSL_R_DIGEST_CHECK_FAILED};
  }
  return expected;
}

Result<ByteVec> send_ccs_and_finished12(HandshakeIo& io, const Suite12Info& suite,
                                        const Secret& master, bool client, const Secret& key,
                                        const Secret& iv, Transcript& transcript, ByteVec& raw) {
  RTLS_TRY(io.send_change_cipher_spec());
  RTLS_TRY(io.set_write_keys(tls12_traffic_keys(suite, key, iv), Epoch::application));
  RTLS_ASSIGN(Secret th, transcript.current());
  Finished fin;
  RTLS_ASSIGN(fin.verify_data, verify_data12(suite, master, client, th.bytes()));
  ByteVec msg;
  RTLS_TRY(fin.serialize(msg));
  transcript.add(msg);
  raw.insert(raw.end(), msg.begin(), msg.end());
  RTLS_TRY(io.send_message(msg));
  return std::move(fin.verify_data);
}

Result<std::vector<uint16_t>> signature_algorithms(const Extensions& exts) {
  const Extension* ext = find_extension(exts, ExtensionType::signature_algorithms);
  if (ext == nullptr) return std::vector<uint16_t>{};
  return parse_u16_list(ext->body);
}

}  // namespace detail
}  // namespace rapidtls::handshake
