// Forged TLS 1.3 server flights toward a client (issue 17): the test plays the server by
// hand. It answers the client's ClientHello with a ServerHello carrying a fixed X25519
// share, runs the RFC 8446 7.1 key schedule itself (HKDF through libcrypto's EVP_KDF, never
// the library under test), and seals EncryptedExtensions, Certificate, CertificateVerify and
// Finished under the server handshake traffic keys (RFC 8446 5.2, TLS_AES_128_GCM_SHA256).
// One row per forgery: what the client answers (its alert, opened with the client handshake
// traffic keys when it is protected) is checked against OpenSSL 3.0's answer (the oracle).
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>

#include "harness.h"
#include "hostile_wire.h"

namespace conformance {
namespace {

using namespace wire;  // NOLINT(google-build-using-namespace): the test vocabulary

// --- The test's own key schedule (RFC 8446 7.1), SHA-256 -------------------------------

constexpr size_t kHashLen = 32;

Bytes Sha256(const Bytes& data) {
  Bytes out(kHashLen);
  unsigned int n = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), out.data(), &n, EVP_sha256(), nullptr), 1);
  return out;
}

Bytes Hkdf(int mode, const Bytes& salt, const Bytes& key, const Bytes& info, size_t len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  Bytes out(len);
  OSSL_PARAM params[6];
  size_t i = 0;
  params[i++] =
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0);
  params[i++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
  params[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                  const_cast<uint8_t*>(key.data()), key.size());
  if (mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY) {
    params[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                    const_cast<uint8_t*>(salt.data()), salt.size());
  } else {
    params[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                    const_cast<uint8_t*>(info.data()), info.size());
  }
  params[i] = OSSL_PARAM_construct_end();
  EXPECT_EQ(EVP_KDF_derive(ctx, out.data(), out.size(), params), 1);
  EVP_KDF_CTX_free(ctx);
  EVP_KDF_free(kdf);
  return out;
}

Bytes Extract(const Bytes& salt, const Bytes& ikm) {
  return Hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, salt, ikm, {}, kHashLen);
}

// HKDF-Expand-Label(Secret, Label, Context, Length): HkdfLabel is the length, "tls13 " +
// Label with its length, the context with its length.
Bytes ExpandLabel(const Bytes& secret, const std::string& label, const Bytes& context, size_t len) {
  Bytes info;
  Put16(info, len);
  const std::string full = "tls13 " + label;
  Append(info, V8(Bytes(full.begin(), full.end())));
  Append(info, V8(context));
  return Hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, {}, secret, info, len);
}

// Derive-Secret(Secret, Label, Messages) with the messages' hash already taken.
Bytes DeriveSecret(const Bytes& secret, const std::string& label, const Bytes& hash) {
  return ExpandLabel(secret, label, hash, kHashLen);
}

Bytes Hmac(const Bytes& key, const Bytes& data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  EXPECT_NE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
                 out.data(), &n),
            nullptr);
  out.resize(n);
  return out;
}

// AES-128-GCM record protection (RFC 8446 5.2, 5.3) with its own sequence number.
struct TrafficKeys {
  Bytes key, iv;
  uint64_t seq = 0;

  explicit TrafficKeys(const Bytes& secret)
      : key(ExpandLabel(secret, "key", {}, 16)), iv(ExpandLabel(secret, "iv", {}, 12)) {}

  Bytes Nonce() {
    Bytes n = iv;
    for (int i = 0; i < 8; ++i) n[11 - i] ^= static_cast<uint8_t>(seq >> (8 * i));
    ++seq;
    return n;
  }

  // TLSInnerPlaintext (content, type, no padding) sealed into a TLSCiphertext.
  Bytes Seal(uint8_t type, const Bytes& content) {
    Bytes inner = content;
    inner.push_back(type);
    const size_t len = inner.size() + 16;
    Bytes header = {kAppData, 0x03, 0x03, static_cast<uint8_t>(len >> 8),
                    static_cast<uint8_t>(len)};
    const Bytes nonce = Nonce();
    Bytes out = header;
    out.resize(5 + len);
    EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
    int n = 0;
    bool ok = EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), nullptr, key.data(), nonce.data()) == 1 &&
              EVP_EncryptUpdate(c, nullptr, &n, header.data(), 5) == 1 &&
              EVP_EncryptUpdate(c, out.data() + 5, &n, inner.data(),
                                static_cast<int>(inner.size())) == 1 &&
              EVP_EncryptFinal_ex(c, out.data() + 5 + n, &n) == 1 &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out.data() + 5 + inner.size()) == 1;
    EVP_CIPHER_CTX_free(c);
    EXPECT_TRUE(ok) << "sealing a record";
    return out;
  }

  // Opens a protected record (header and body); returns its inner content type and
  // content, or nothing if the tag does not verify.
  std::optional<Message> Open(const Bytes& record) {
    if (record.size() < 5 + 17) return std::nullopt;
    const Bytes nonce = Nonce();
    const size_t len = record.size() - 5 - 16;
    Bytes plain(len);
    EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
    int n = 0;
    Bytes tag(record.end() - 16, record.end());
    const bool ok =
        EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), nullptr, key.data(), nonce.data()) == 1 &&
        EVP_DecryptUpdate(c, nullptr, &n, record.data(), 5) == 1 &&
        EVP_DecryptUpdate(c, plain.data(), &n, record.data() + 5, static_cast<int>(len)) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1 &&
        EVP_DecryptFinal_ex(c, plain.data() + n, &n) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok) return std::nullopt;
    while (!plain.empty() && plain.back() == 0) plain.pop_back();  // padding
    if (plain.empty()) return std::nullopt;
    const uint8_t type = plain.back();
    plain.pop_back();
    return Message{type, plain};
  }
};

// --- The ClientHello, read by hand ------------------------------------------------------

struct ClientHelloSeen {
  Bytes message;  // the whole handshake message, for the transcript
  Bytes session_id;
  Bytes x25519_share;
};

std::optional<ClientHelloSeen> ReadClientHello(const Bytes& wire) {
  const Answer a = Parse(wire);
  const Message* ch = a.find(kClientHelloType);
  if (ch == nullptr) return std::nullopt;
  ClientHelloSeen seen;
  seen.message = HandshakeMsg(kClientHelloType, ch->body);
  const Bytes& b = ch->body;
  size_t at = 34;  // legacy_version, random
  auto need = [&](size_t n) { return at + n <= b.size(); };
  if (!need(1) || !need(1 + b[at])) return std::nullopt;
  seen.session_id.assign(b.begin() + at + 1, b.begin() + at + 1 + b[at]);
  at += 1 + b[at];
  if (!need(2)) return std::nullopt;
  at += 2 + (size_t{b[at]} << 8 | b[at + 1]);  // cipher_suites
  if (!need(1)) return std::nullopt;
  at += 1 + b[at];  // legacy_compression_methods
  if (!need(2)) return std::nullopt;
  const size_t end = at + 2 + (size_t{b[at]} << 8 | b[at + 1]);
  at += 2;
  while (at + 4 <= end && end <= b.size()) {
    const uint16_t type = static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
    const size_t len = size_t{b[at + 2]} << 8 | b[at + 3];
    const size_t body = at + 4;
    at = body + len;
    if (type != kKeyShare || at > end) continue;
    // KeyShareClientHello: client_shares<0..2^16-1> of (group, key_exchange<1..2^16-1>).
    for (size_t e = body + 2; e + 4 <= at;) {
      const uint16_t group = static_cast<uint16_t>(b[e] << 8 | b[e + 1]);
      const size_t klen = size_t{b[e + 2]} << 8 | b[e + 3];
      if (group == 0x001d && e + 4 + klen <= at) {
        seen.x25519_share.assign(b.begin() + e + 4, b.begin() + e + 4 + klen);
      }
      e += 4 + klen;
    }
  }
  if (seen.x25519_share.size() != 32) return std::nullopt;
  return seen;
}

// --- The server's flight, as a row changes it --------------------------------------------

// RFC 7748 6.1: Bob's private key, the server's fixed X25519 key.
const Bytes kServerPrivate = {0x5d, 0xab, 0x08, 0x7e, 0x62, 0x4a, 0x8a, 0x4b, 0x79, 0xe1, 0x7f,
                              0x8b, 0x83, 0x80, 0x0e, 0xe6, 0x6f, 0x3b, 0xb1, 0x29, 0x26, 0x18,
                              0xb6, 0xfd, 0x1c, 0x2f, 0x8b, 0x27, 0xff, 0x88, 0xe0, 0xeb};

struct X25519 {
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, kServerPrivate.data(),
                                               kServerPrivate.size());
  ~X25519() { EVP_PKEY_free(key); }

  Bytes Public() const {
    Bytes pub(32);
    size_t n = pub.size();
    EXPECT_EQ(EVP_PKEY_get_raw_public_key(key, pub.data(), &n), 1);
    return pub;
  }
  Bytes Shared(const Bytes& peer) const {
    EVP_PKEY* p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer.data(), peer.size());
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
    Bytes out(32);
    size_t n = out.size();
    const bool ok = p != nullptr && EVP_PKEY_derive_init(ctx) == 1 &&
                    EVP_PKEY_derive_set_peer(ctx, p) == 1 &&
                    EVP_PKEY_derive(ctx, out.data(), &n) == 1;
    EXPECT_TRUE(ok) << "X25519";
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(p);
    return out;
  }
};

// The server's handshake messages after the ServerHello, as bodies a row may change; a
// message left unset is not sent. `cv_scheme` signs with the test key (ECDSA P-256), and
// whatever the scheme says, the signature is ECDSA with SHA-256.
struct Flight {
  std::optional<Bytes> encrypted_extensions = ExtensionsBlock({});
  std::optional<Bytes> certificate;  // set by Default(): context, list of one entry
  uint16_t cv_scheme = 0x0403;       // ecdsa_secp256r1_sha256
  bool cv_signature_wrong = false;
  bool send_certificate_verify = true;
  bool finished_wrong = false;
  size_t finished_len = kHashLen;
  Bytes before_finished;  // extra handshake bytes sealed before Finished
};

Bytes CertificateEntry(const Bytes& der, const Bytes& extensions) {
  Bytes e;
  Put24(e, der.size());
  Append(e, der);
  Append(e, extensions);
  return e;
}
// RFC 8446 4.4.2: certificate_request_context<0..2^8-1>, certificate_list<0..2^24-1>.
Bytes CertificateBody(const Bytes& context, const Bytes& entries) {
  Bytes b = V8(context);
  Put24(b, entries.size());
  Append(b, entries);
  return b;
}
Flight Default() {
  Flight f;
  f.certificate = CertificateBody({}, CertificateEntry(TestCertificateDer(), V16({})));
  return f;
}

// RFC 8446 4.4.3: 64 spaces, the context string, a zero byte, the transcript hash.
Bytes SignCertificateVerify(const Bytes& transcript_hash) {
  Bytes content(64, 0x20);
  const std::string label = "TLS 1.3, server CertificateVerify";
  content.insert(content.end(), label.begin(), label.end());
  content.push_back(0);
  Append(content, transcript_hash);
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  Bytes sig(256);
  size_t n = sig.size();
  EXPECT_EQ(EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, TestKey()), 1);
  EXPECT_EQ(EVP_DigestSign(md, sig.data(), &n, content.data(), content.size()), 1);
  EVP_MD_CTX_free(md);
  sig.resize(n);
  return sig;
}

// What the client did with the flight.
constexpr int kClientFinished = -1;  // it sent its Finished: the handshake completed
constexpr int kNoAnswer = -2;        // nothing readable: it waits
constexpr int kSilentFailure = -3;   // the handshake failed with no alert

std::string Outcome(int o) {
  switch (o) {
    case kClientFinished:
      return "client Finished";
    case kNoAnswer:
      return "nothing";
    case kSilentFailure:
      return "fatal error, no alert";
    default:
      return "alert " + std::to_string(o);
  }
}

// A client of `ctx` meets the hand-made server of `flight`. Returns the client's first
// alert (in the clear or protected), or kClientFinished.
int RunFlight(SSL_CTX* ctx, const Flight& flight) {
  MemoryClient c = StartMemoryClient(ctx);
  BIO* rb = c.in;
  BIO* wb = c.out;
  const std::optional<ClientHelloSeen> ch = ReadClientHello(DrainBio(wb));
  if (!ch) {
    ADD_FAILURE() << "no ClientHello with an X25519 share";
    return kNoAnswer;
  }

  // ServerHello (RFC 8446 4.1.3) with supported_versions and the server's share.
  const X25519 server_key;
  Bytes sh = U16s({0x0303});
  Append(sh, Bytes(32, 0x5e));  // random
  Append(sh, V8(ch->session_id));
  Append(sh, U16s({0x1301}));  // TLS_AES_128_GCM_SHA256
  sh.push_back(0);             // legacy_compression_method
  Bytes share = U16s({0x001d});
  Append(share, V16(server_key.Public()));
  Append(sh, ExtensionsBlock({{kSupportedVersions, U16s({0x0304})}, {kKeyShare, share}}));
  const Bytes sh_msg = HandshakeMsg(kServerHelloType, sh);
  Bytes transcript = Cat({ch->message, sh_msg});

  // RFC 8446 7.1: early secret from no PSK, then the handshake secret.
  const Bytes zeros(kHashLen, 0);
  const Bytes early = Extract(zeros, zeros);
  const Bytes derived = DeriveSecret(early, "derived", Sha256({}));
  const Bytes hs = Extract(derived, server_key.Shared(ch->x25519_share));
  const Bytes hello_hash = Sha256(transcript);
  TrafficKeys server_keys(DeriveSecret(hs, "s hs traffic", hello_hash));
  TrafficKeys client_keys(DeriveSecret(hs, "c hs traffic", hello_hash));
  const Bytes finished_key =
      ExpandLabel(DeriveSecret(hs, "s hs traffic", hello_hash), "finished", {}, kHashLen);

  Bytes messages;
  auto add = [&](uint8_t type, const Bytes& body) {
    const Bytes m = HandshakeMsg(type, body);
    Append(messages, m);
    Append(transcript, m);
  };
  if (flight.encrypted_extensions) add(kEncryptedExtensionsType, *flight.encrypted_extensions);
  if (flight.certificate) add(kCertificateType, *flight.certificate);
  if (flight.send_certificate_verify) {
    Bytes sig = SignCertificateVerify(Sha256(transcript));
    if (flight.cv_signature_wrong) sig[sig.size() / 2] ^= 1;
    Bytes cv = U16s({flight.cv_scheme});
    Append(cv, V16(sig));
    add(15, cv);  // certificate_verify
  }
  Append(messages, flight.before_finished);
  Append(transcript, flight.before_finished);
  Bytes verify_data = Hmac(finished_key, Sha256(transcript));
  if (flight.finished_wrong) verify_data[0] ^= 1;
  verify_data.resize(flight.finished_len);
  add(kFinishedType, verify_data);

  const Bytes in = Cat({Record(kHandshake, 0x0303, sh_msg), Record(kChangeCipherSpec, 0x0303, {1}),
                        server_keys.Seal(kHandshake, messages)});
  BIO_write(rb, in.data(), static_cast<int>(in.size()));
  const bool failed = HandshakeFails(c.ssl.get());

  // The client's records: change_cipher_spec and alerts in the clear, then records
  // under its handshake traffic keys.
  const Bytes out = DrainBio(wb);
  for (size_t at = 0; at + 5 <= out.size();) {
    const size_t len = size_t{out[at + 3]} << 8 | out[at + 4];
    if (at + 5 + len > out.size()) break;
    const Bytes record(out.begin() + at, out.begin() + at + 5 + len);
    at += 5 + len;
    if (record[0] == kAlert && len == 2) return record[6];
    if (record[0] != kAppData) continue;
    const std::optional<Message> inner = client_keys.Open(record);
    if (!inner) {
      ADD_FAILURE() << "a client record that its handshake keys do not open";
      return kNoAnswer;
    }
    if (inner->type == kAlert && inner->body.size() == 2) return inner->body[1];
    if (inner->type == kHandshake && !inner->body.empty() && inner->body[0] == kFinishedType) {
      return failed ? kSilentFailure : kClientFinished;
    }
  }
  return failed ? kSilentFailure : kNoAnswer;
}

constexpr int kSame = -100;

struct FlightRow {
  const char* name;
  std::function<void(Flight&)> edit;
  int expect;            // OpenSSL 3.0's answer (and rapidtls's unless the next is set)
  int rapidtls = kSame;  // a deliberate difference (README.md)
};

void RunFlightRows(const std::vector<FlightRow>& rows) {
  CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
  // One share, X25519 (the server's). The signature schemes are each library's default
  // (rapidtls has no SSL_CTX_set1_sigalgs_list): OpenSSL 3.0's lack the TLS 1.3 brainpool
  // schemes (RFC 8734), so a row names one of those as a scheme not offered.
  ASSERT_EQ(SSL_CTX_set1_groups_list(ctx.get(), "X25519:P-256"), 1);
  ASSERT_EQ(SSL_CTX_set_ciphersuites(ctx.get(), "TLS_AES_128_GCM_SHA256"), 1);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  for (const FlightRow& row : rows) {
    Flight f = Default();
    row.edit(f);
    const int want = kOracle || row.rapidtls == kSame ? row.expect : row.rapidtls;
    const int got = RunFlight(ctx.get(), f);
    EXPECT_EQ(Outcome(got), Outcome(want)) << row.name;
    if (getenv("HOSTILE_TABLES_DUMP") != nullptr) {
      printf("ROW %s | %s | want %s\n", row.name, Outcome(got).c_str(), Outcome(want).c_str());
    }
  }
}

Bytes Ee(const std::vector<Ext>& exts) {
  return ExtensionsBlock(exts);
}

TEST(HostileFlights, Tls13ClientAgainstForgedServerFlights) {
  const Bytes der = TestCertificateDer();
  RunFlightRows({
      {"baseline", [](Flight&) {}, kClientFinished},

      // EncryptedExtensions (RFC 8446 4.3.1, 4.2).
      {"EE with ALPN not offered",
       [](Flight& f) {
         f.encrypted_extensions = Ee({{kAlpn, V16(V8({'h', '2'}))}});
       },
       kUnsupportedExtension},
      // Deliberate: RFC 8446 4.2, a response to nothing sent (OpenSSL ignores it).
      {"EE with an unknown extension",
       [](Flight& f) {
         f.encrypted_extensions = Ee({{0x1234, {}}});
       },
       kClientFinished, kUnsupportedExtension},
      {"EE with server_name twice",
       [](Flight& f) {
         f.encrypted_extensions = Ee({{kServerName, {}}, {kServerName, {}}});
       },
       kIllegalParameter},
      {"EE with supported_groups twice",
       [](Flight& f) {
         f.encrypted_extensions =
             Ee({{kSupportedGroups, U16List({0x1d})}, {kSupportedGroups, U16List({0x1d})}});
       },
       kIllegalParameter},
      {"EE with supported_versions",
       [](Flight& f) {
         f.encrypted_extensions = Ee({{kSupportedVersions, U16s({0x0304})}});
       },
       kIllegalParameter},
      {"EE with key_share",
       [](Flight& f) {
         Bytes share = U16s({0x001d});
         Append(share, V16(Bytes(32, 9)));
         f.encrypted_extensions = Ee({{kKeyShare, share}});
       },
       kIllegalParameter},
      {"EE with pre_shared_key",
       [](Flight& f) {
         f.encrypted_extensions = Ee({{kPreSharedKey, U16s({0})}});
       },
       kIllegalParameter},
      {"EE with cookie (not offered)",
       [](Flight& f) {
         f.encrypted_extensions = Ee({{kCookie, V16({1})}});
       },
       kIllegalParameter},
      {"EE with status_request (not offered)",
       [](Flight& f) {
         f.encrypted_extensions = Ee({{kStatusRequest, {}}});
       },
       kIllegalParameter},
      {"EE with signature_algorithms",
       [](Flight& f) {
         f.encrypted_extensions = Ee({{kSignatureAlgorithms, U16List({0x0403})}});
       },
       kIllegalParameter},
      {"EE with server_name not empty",
       [](Flight& f) {
         f.encrypted_extensions = Ee({{kServerName, {0}}});
       },
       kDecodeError},
      {"EE with a trailing byte",
       [](Flight& f) {
         f.encrypted_extensions = Cat({Ee({}), {0}});
       },
       kDecodeError},
      {"EE empty body", [](Flight& f) { f.encrypted_extensions = Bytes{}; }, kDecodeError},
      {"EE missing (Certificate first)", [](Flight& f) { f.encrypted_extensions.reset(); },
       kUnexpectedMessage},

      // Certificate (RFC 8446 4.4.2, 4.4.2.4).
      {"Certificate with an empty list",
       [](Flight& f) {
         f.certificate = CertificateBody({}, {});
         f.send_certificate_verify = false;
       },
       kDecodeError},
      {"Certificate entry cut (length overruns)",
       [der](Flight& f) {
         Bytes entry = CertificateEntry(der, V16({}));
         entry.resize(entry.size() - 10);
         f.certificate = CertificateBody({}, entry);
       },
       kDecodeError},
      {"Certificate entry without its extensions",
       [der](Flight& f) {
         Bytes entry = CertificateEntry(der, {});
         f.certificate = CertificateBody({}, entry);
       },
       kDecodeError},
      {"Certificate of garbage bytes",
       [](Flight& f) {
         f.certificate = CertificateBody({}, CertificateEntry(Bytes(100, 0x30), V16({})));
       },
       kBadCertificate},
      {"certificate_request_context not empty",
       [der](Flight& f) {
         f.certificate = CertificateBody({1, 2, 3, 4}, CertificateEntry(der, V16({})));
       },
       kDecodeError},
      {"Certificate entry with status_request not asked for",
       [der](Flight& f) {
         Bytes ocsp = {1};  // CertificateStatus: ocsp, then OCSPResponse<1..2^24-1>
         Put24(ocsp, 1);
         ocsp.push_back(0);
         Bytes ext;
         Put16(ext, kStatusRequest);
         Append(ext, V16(ocsp));
         f.certificate = CertificateBody({}, CertificateEntry(der, V16(ext)));
       },
       kUnsupportedExtension},
      {"Certificate missing (CertificateVerify after EE)", [](Flight& f) { f.certificate.reset(); },
       kUnexpectedMessage},

      // CertificateVerify (RFC 8446 4.4.3).
      {"CertificateVerify with a scheme not offered (ecdsa_brainpoolP256r1tls13_sha256)",
       [](Flight& f) { f.cv_scheme = 0x081a; }, kIllegalParameter},
      {"CertificateVerify with an unassigned scheme 0x0b0b",
       [](Flight& f) { f.cv_scheme = 0x0b0b; }, kIllegalParameter},
      {"CertificateVerify with ecdsa_secp521r1_sha512 for a P-256 key",
       [](Flight& f) { f.cv_scheme = 0x0603; }, kIllegalParameter},
      {"CertificateVerify with rsa_pkcs1_sha256 (not for TLS 1.3)",
       [](Flight& f) { f.cv_scheme = 0x0401; }, kIllegalParameter},
      {"CertificateVerify with rsa_pss_rsae_sha256 for an ECDSA key",
       [](Flight& f) { f.cv_scheme = 0x0804; }, kIllegalParameter},
      {"CertificateVerify with ecdsa_secp384r1_sha384 for a P-256 key",
       [](Flight& f) { f.cv_scheme = 0x0503; }, kIllegalParameter},
      {"CertificateVerify signature wrong", [](Flight& f) { f.cv_signature_wrong = true; },
       kDecryptError},
      {"CertificateVerify missing (Finished after Certificate)",
       [](Flight& f) { f.send_certificate_verify = false; }, kUnexpectedMessage},

      // Finished (RFC 8446 4.4.4).
      {"Finished with a wrong verify_data", [](Flight& f) { f.finished_wrong = true; },
       kDecryptError},
      {"Finished of 31 bytes", [](Flight& f) { f.finished_len = 31; }, kDecodeError},
      {"Finished of 33 bytes", [](Flight& f) { f.finished_len = 33; }, kDecodeError},
      {"a second EncryptedExtensions before Finished",
       [](Flight& f) { f.before_finished = HandshakeMsg(kEncryptedExtensionsType, Ee({})); },
       kUnexpectedMessage},
  });
}

}  // namespace
}  // namespace conformance
