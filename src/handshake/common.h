// Pieces both handshake sides use: certificates, CertificateVerify, Finished.
#pragma once

#include "handshake/handshake.h"
#include "handshake/transcript.h"

namespace rapidtls::handshake::detail {

// RFC 8446 4.4.2: the Certificate message for `key`, with an empty
// extensions block per entry.
// With `ocsp_response` (a server's, RFC 8446 4.4.2.1): in a status_request
// extension of the end-entity's CertificateEntry.
Result<ByteVec> build_certificate(const CertifiedKey* key, Bytes request_context,
                                  Bytes ocsp_response = {});

// Parses the DER certificates of a Certificate message. Undecodable DER ->
// {bad_certificate, ERR_R_ASN1_LIB}.
Result<std::vector<crypto::Certificate>> certificate_chain(const CertificateMsg& msg,
                                                           crypto::CertificateCache* cache);

// Verifies the peer's chain as `mode` asks and records the verify result in
// session. An empty chain is the caller's to judge.
Status verify_chain(const Config& config, const std::vector<crypto::Certificate>& chain,
                    const std::string& host, crypto::Purpose purpose, SessionInfo& session,
                    ConnectionCallbacks& callbacks);

// The certificate a client answers a CertificateRequest with: what
// callbacks.on_certificate_request chooses, else the configured one, else what
// callbacks.supply_client_certificate gives (those two kept in `holder`);
// null for none; an error when the first ends the handshake.
Result<const CertifiedKey*> client_certificate(const Config& config, ConnectionCallbacks& callbacks,
                                               std::optional<CertifiedKey>& holder);

// Picks the first of our preferred schemes the peer offered and the signer can use.
std::optional<SignatureScheme> choose_scheme(const std::vector<SignatureScheme>& ours,
                                             const std::vector<uint16_t>& peer_offered,
                                             const Signer& signer);

// TLS 1.2 (ServerKeyExchange, CertificateVerify): the first of our schemes
// the peer offered that the signer can use under TLS 1.2's rules: PKCS #1
// v1.5 allowed, an ECDSA scheme names only the hash (crypto::SchemeRules).
std::optional<SignatureScheme> choose_scheme12(const std::vector<SignatureScheme>& ours,
                                               const std::vector<uint16_t>& peer_offered,
                                               const Signer& signer);

// TLS 1.2: whether a scheme authenticates ECDHE_ECDSA suites (ECDSA, and
// EdDSA per RFC 8422 5.1.1) rather than ECDHE_RSA ones.
bool scheme_is_ecdsa_auth12(SignatureScheme s);

// Builds CertificateVerify: signs the transcript hash as `role`.
Result<ByteVec> build_certificate_verify(Signer& signer, SignatureScheme scheme, Role role,
                                         Bytes transcript_hash);

// Checks the peer's CertificateVerify (RFC 8446 4.4.3): the scheme must be one
// we offered, usable in TLS 1.3 and fit the key; the signature must verify.
Status check_certificate_verify(const CertificateVerify& cv, const crypto::Certificate& leaf,
                                const std::vector<SignatureScheme>& offered, Role signer,
                                Bytes transcript_hash);

// Finished (RFC 8446 4.4.4) for `base_key` over `transcript_hash`.
Result<ByteVec> build_finished(HashAlg alg, const Secret& base_key, Bytes transcript_hash);
// A wrong verify_data -> {decrypt_error, SSL_R_DIGEST_CHECK_FAILED}.
Status check_finished(HashAlg alg, const Secret& base_key, Bytes transcript_hash, Bytes body);
// The same given the finished_key itself: the handshake's, which
// set_*_secret derive with the handshake traffic keys.
Result<ByteVec> build_finished_with_key(HashAlg alg, const Secret& finished_key,
                                        Bytes transcript_hash);
Status check_finished_with_key(HashAlg alg, const Secret& finished_key, Bytes transcript_hash,
                               Bytes body);

// RFC 8446 4.2.11.2: a resumption PSK's binder, computed as a Finished is,
// with binder_key = Derive-Secret(Early Secret(psk), "res binder", "") as the
// base key, over the transcript hash up to and including the truncated
// ClientHello (`transcript_hash`).
// `early` is a schedule at the PSK's Early Secret (init_early(psk)); the
// handshake that resumes goes on from it.
Result<Secret> psk_binder(KeySchedule& early, Bytes transcript_hash);

// A server's ALPN choice among the client's offer (RFC 7301 3.2): the
// connection's callback, else the config's first protocol the client offered;
// no overlap with a configured list is {no_application_protocol}.
Result<std::optional<ByteVec>> choose_alpn(const Config& config, ConnectionCallbacks& callbacks,
                                           const std::vector<ByteVec>& offered);

// The DER certificates of a TLS 1.2 Certificate message, parsed (as certificate_chain).
Result<std::vector<crypto::Certificate>> certificate_chain12(const std::vector<ByteVec>& ders,
                                                             crypto::CertificateCache* cache);

// TLS 1.2 Finished (RFC 5246 7.4.9): the verify_data `client` (or the
// server) sends over the transcript hash, and the check of a received one
// (a wrong value is {decrypt_error, SSL_R_DIGEST_CHECK_FAILED}).
Result<ByteVec> verify_data12(const Suite12Info& suite, const Secret& master, bool client,
                              Bytes transcript_hash);
Result<ByteVec> check_finished12(const Suite12Info& suite, const Secret& master, bool client,
                                 Bytes transcript_hash, Bytes body);
// TLS 1.2, our side's switch to the new keys (RFC 5246 7.1, 7.4.9):
// change_cipher_spec, writing under our keys from the key block (`key`,
// `iv`), then our Finished over the transcript, which is added to it and to
// `raw` (the handshake's messages as sent and received). Returns our
// verify_data.
Result<ByteVec> send_ccs_and_finished12(HandshakeIo& io, const Suite12Info& suite,
                                        const Secret& master, bool client, const Secret& key,
                                        const Secret& iv, Transcript& transcript, ByteVec& raw);

// The peer's signature_algorithms, as a u16 list (empty if the extension is absent).
Result<std::vector<uint16_t>> signature_algorithms(const Extensions& exts);

inline ByteVec to_vec(Bytes b) {
  return ByteVec(b.begin(), b.end());
}

}  // namespace rapidtls::handshake::detail
