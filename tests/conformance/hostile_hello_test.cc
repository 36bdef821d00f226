// Hostile and minimal ClientHellos and records, built byte by byte from RFC 8446, 5246,
// 8422 and 7627, fed to a server over memory BIOs. What the server answers (its hello
// flight, or an alert) must be what OpenSSL's libssl answers: the expectations below hold
// for both libraries.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <optional>
#include <string>

#include "harness.h"
#include "hostile_wire.h"

namespace conformance {
namespace {

using namespace wire;  // NOLINT(google-build-using-namespace): the test vocabulary

Ext Groups(std::initializer_list<uint16_t> g) {
  return {kSupportedGroups, U16List(g)};
}
Ext SigAlgs(std::initializer_list<uint16_t> s) {
  return {kSignatureAlgorithms, U16List(s)};
}
Ext PointFormats() {
  return {kEcPointFormats, {1, 0}};  // uncompressed
}
Ext Versions13() {
  return {kSupportedVersions, {2, 0x03, 0x04}};
}
// RFC 7748 4.1: u = 9, the base point, is a valid X25519 public key.
Ext KeyShareX25519() {
  Bytes b;
  Put16(b, 2 + 2 + 32);
  Put16(b, 0x001d);
  Put16(b, 32);
  b.push_back(9);
  b.resize(b.size() + 31, 0);
  return {kKeyShare, b};
}

struct Hello {
  uint16_t record_version = 0x0301;
  uint16_t legacy_version = 0x0303;
  std::vector<uint16_t> suites;
  std::vector<Ext> extensions;
};

// RFC 8446 4.1.2 / RFC 5246 7.4.1.2, in one record.
Bytes Encode(const Hello& h) {
  Bytes body;
  Put16(body, h.legacy_version);
  body.resize(body.size() + 32, 0x11);  // random
  Put8(body, 32);
  body.resize(body.size() + 32, 0x22);  // legacy_session_id
  Put16(body, h.suites.size() * 2);
  for (uint16_t s : h.suites) Put16(body, s);
  Put8(body, 1);
  Put8(body, 0);  // null compression
  Bytes exts;
  for (const Ext& e : h.extensions) {
    Put16(exts, e.type);
    Put16(exts, e.body.size());
    exts.insert(exts.end(), e.body.begin(), e.body.end());
  }
  Put16(body, exts.size());
  body.insert(body.end(), exts.begin(), exts.end());
  Bytes msg;
  Put8(msg, 1);  // client_hello
  Put24(msg, body.size());
  msg.insert(msg.end(), body.begin(), body.end());
  return Record(kHandshake, h.record_version, msg);
}

// The extension types of a ServerHello body (RFC 8446 4.1.3).
std::vector<uint16_t> ServerHelloExtensions(const Bytes& sh) {
  std::vector<uint16_t> out;
  size_t at = 2 + 32;
  if (sh.size() < at + 1) return out;
  at += 1 + sh[at] + 2 + 1;  // session id, suite, compression
  if (sh.size() < at + 2) return out;
  const size_t end = std::min(sh.size(), at + 2 + (size_t{sh[at]} << 8 | sh[at + 1]));
  for (at += 2; at + 4 <= end;) {
    out.push_back(static_cast<uint16_t>(sh[at] << 8 | sh[at + 1]));
    at += 4 + (size_t{sh[at + 2]} << 8 | sh[at + 3]);
  }
  return out;
}

uint16_t ServerHelloSuite(const Bytes& sh) {
  const size_t at = 2 + 32 + 1 + sh.at(34);
  return static_cast<uint16_t>(sh.at(at) << 8 | sh.at(at + 1));
}

// RFC 8422 5.4: ECParameters (curve_type, named curve), the point, then the
// signature's algorithm.
struct Ske {
  uint16_t group;
  uint16_t scheme;
};
Ske ParseSke(const Bytes& ske) {
  const size_t point = 3;
  const size_t after = point + 1 + ske.at(point);
  return {static_cast<uint16_t>(ske.at(1) << 8 | ske.at(2)),
          static_cast<uint16_t>(ske.at(after) << 8 | ske.at(after + 1))};
}

// A self-signed "localhost" certificate of the given key, made once per key kind.
struct Identity {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};

Identity MakeIdentity(EVP_PKEY* key) {
  Identity r;
  r.key = key;
  r.cert = X509_new();
  X509_set_version(r.cert, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(r.cert), 7);
  X509_gmtime_adj(X509_getm_notBefore(r.cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(r.cert), 7 * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(r.cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(r.cert, name);
  X509_set_pubkey(r.cert, r.key);
  X509_sign(r.cert, r.key, EVP_sha256());
  return r;
}

const Identity& RsaIdentity() {
  static const Identity id = MakeIdentity(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  return id;
}
const Identity& P384Identity() {
  static const Identity id = MakeIdentity(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  return id;
}

// A TLS 1.2 (or 1.3) server context with `id` as its certificate.
CtxPtr ServerCtx(int version, const Identity* id = nullptr) {
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), version);
  SSL_CTX_set_max_proto_version(ctx.get(), version);
  if (id == nullptr) {
    UseTestIdentity(ctx.get());
  } else {
    EXPECT_EQ(SSL_CTX_use_certificate(ctx.get(), id->cert), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), id->key), 1);
  }
  return ctx;
}

// A minimal TLS 1.2 ECDHE hello for both ECDSA and RSA certificates.
Hello Hello12(std::vector<Ext> exts) {
  Hello h;
  h.suites = {0xc02b, 0xc02f};  // ECDHE_ECDSA / ECDHE_RSA with AES_128_GCM_SHA256
  h.extensions = std::move(exts);
  return h;
}

// --- Issue 17, item 1: nothing in a ServerHello that the client did not offer --------------

TEST(HostileHello, Tls12ServerHelloHasOnlyOfferedExtensions) {
  CtxPtr ctx = ServerCtx(TLS1_2_VERSION);
  // RFC 5246 7.4.1.4: no ec_point_formats (RFC 8422 5.1.2: then uncompressed only), no
  // extended_master_secret, no renegotiation_info: the ServerHello carries none of them.
  Answer a = Serve(ctx.get(), Encode(Hello12({Groups({0x17}), SigAlgs({0x0403})})));
  const Message* sh = a.find(2);
  ASSERT_NE(sh, nullptr) << "alert " << a.alert;
  EXPECT_EQ(ServerHelloExtensions(sh->body), std::vector<uint16_t>{})
      << "RFC 5246 7.4.1.4: only extensions the client offered";
  EXPECT_NE(a.find(12), nullptr) << "a ServerKeyExchange";

  // Offered, each is answered.
  a = Serve(ctx.get(), Encode(Hello12({Groups({0x17}),
                                       SigAlgs({0x0403}),
                                       PointFormats(),
                                       {kExtendedMasterSecret, {}},
                                       {kRenegotiationInfo, {0}}})));
  sh = a.find(2);
  ASSERT_NE(sh, nullptr) << "alert " << a.alert;
  std::vector<uint16_t> got = ServerHelloExtensions(sh->body);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got,
            (std::vector<uint16_t>{kEcPointFormats, kExtendedMasterSecret, kRenegotiationInfo}));
}

TEST(HostileHello, Tls13ServerHelloHasOnlyOfferedExtensions) {
  CtxPtr ctx = ServerCtx(TLS1_3_VERSION);
  Hello h;
  h.suites = {0x1301};
  h.extensions = {Versions13(), Groups({0x1d}), SigAlgs({0x0403}), KeyShareX25519()};
  Answer a = Serve(ctx.get(), Encode(h));
  const Message* sh = a.find(2);
  ASSERT_NE(sh, nullptr) << "alert " << a.alert;
  std::vector<uint16_t> got = ServerHelloExtensions(sh->body);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<uint16_t>{kSupportedVersions, kKeyShare}));
}

// --- Issue 17, item 2: TLS 1.2 with PKCS #1 v1.5 only, and the RFC defaults ---------------

TEST(HostileHello, Tls12RsaServerSignsWithPkcs1WhenThatIsAllOffered) {
  CtxPtr ctx = ServerCtx(TLS1_2_VERSION, &RsaIdentity());
  for (uint16_t scheme : {0x0401, 0x0501, 0x0601}) {
    SCOPED_TRACE(scheme);
    Answer a =
        Serve(ctx.get(), Encode(Hello12({Groups({0x17}), SigAlgs({scheme}), PointFormats()})));
    const Message* sh = a.find(2);
    ASSERT_NE(sh, nullptr) << "alert " << a.alert;
    EXPECT_EQ(ServerHelloSuite(sh->body), 0xc02f);
    const Message* ske = a.find(12);
    ASSERT_NE(ske, nullptr);
    EXPECT_EQ(ParseSke(ske->body).scheme, scheme) << "RFC 5246 7.4.1.4.1: rsa_pkcs1 is valid";
  }
}

TEST(HostileHello, Tls12WithoutSignatureAlgorithmsIsRefused) {
  // RFC 5246 7.4.1.4.1: without the extension only SHA-1 may be used, which neither
  // library signs with (OpenSSL 3.0: below security level 1): handshake_failure.
  for (const Identity* id : {static_cast<const Identity*>(nullptr), &RsaIdentity()}) {
    CtxPtr ctx = ServerCtx(TLS1_2_VERSION, id);
    Answer a = Serve(ctx.get(), Encode(Hello12({Groups({0x17}), PointFormats()})));
    EXPECT_EQ(a.find(2), nullptr);
    EXPECT_EQ(a.alert, kHandshakeFailure);
  }
}

TEST(HostileHello, Tls12WithoutSupportedGroupsOrPointFormats) {
  // RFC 8422 4: without supported_groups the server picks any curve; 5.1.2: without
  // ec_point_formats only uncompressed points, and none in the answer. OpenSSL 3.0 refuses
  // such a hello (handshake_failure): a deliberate difference (README.md), rapidtls takes
  // the RFC's default.
  CtxPtr ctx = ServerCtx(TLS1_2_VERSION, &RsaIdentity());
  Answer a = Serve(ctx.get(), Encode(Hello12({SigAlgs({0x0401})})));
  if (kOracle) {
    EXPECT_EQ(a.alert, kHandshakeFailure);
    return;
  }
  const Message* sh = a.find(2);
  ASSERT_NE(sh, nullptr) << "alert " << a.alert;
  EXPECT_EQ(ServerHelloExtensions(sh->body), std::vector<uint16_t>{});
  const Message* ske = a.find(12);
  ASSERT_NE(ske, nullptr);
  EXPECT_EQ(ParseSke(ske->body).scheme, 0x0401);
  // Without ec_point_formats but with the groups, both libraries answer.
  a = Serve(ctx.get(), Encode(Hello12({Groups({0x17}), SigAlgs({0x0401})})));
  ASSERT_NE(a.find(2), nullptr) << "alert " << a.alert;
  EXPECT_EQ(ServerHelloExtensions(a.find(2)->body), std::vector<uint16_t>{});
}

TEST(HostileHello, Tls12EcdsaCertificateCurveMustBeASupportedGroup) {
  // RFC 8422 5.1.1 (as OpenSSL): supported_groups also names the curves of the ECDSA
  // certificate the client accepts; a P-256 certificate for a client of x25519 only is
  // unusable: handshake_failure.
  CtxPtr ctx = ServerCtx(TLS1_2_VERSION);
  Answer a = Serve(ctx.get(), Encode(Hello12({Groups({0x1d}), SigAlgs({0x0403})})));
  EXPECT_EQ(a.find(2), nullptr);
  EXPECT_EQ(a.alert, kHandshakeFailure);
}

// --- Issue 17, item 7: in TLS 1.2 an ECDSA scheme names the hash, not the curve -----------

TEST(HostileHello, Tls12P384KeySignsWithEcdsaSha256) {
  CtxPtr ctx = ServerCtx(TLS1_2_VERSION, &P384Identity());
  Answer a =
      Serve(ctx.get(), Encode(Hello12({Groups({0x17, 0x18}), SigAlgs({0x0403}), PointFormats()})));
  const Message* sh = a.find(2);
  ASSERT_NE(sh, nullptr) << "alert " << a.alert;
  EXPECT_EQ(ServerHelloSuite(sh->body), 0xc02b);
  const Message* ske = a.find(12);
  ASSERT_NE(ske, nullptr);
  EXPECT_EQ(ParseSke(ske->body).scheme, 0x0403) << "{sha256, ecdsa} with a P-384 key";
}

// --- Issue 17, item 4: a TLS 1.3 ClientHello's legacy_version -----------------------------

TEST(HostileHello, Tls13LegacyVersionSsl3OrBelowIsProtocolVersion) {
  CtxPtr ctx = ServerCtx(TLS1_3_VERSION);
  Hello h;
  h.suites = {0x1301};
  h.extensions = {Versions13(), Groups({0x1d}), SigAlgs({0x0403}), KeyShareX25519()};
  // RFC 8446 D.5: 0x0300 MUST be refused with protocol_version; OpenSSL refuses anything
  // below it with protocol_version too, and 0x0300 itself with handshake_failure (a
  // deliberate difference: rapidtls follows D.5, README.md).
  for (uint16_t v : {0x0300, 0x0000, 0x0200, 0x02ff}) {
    SCOPED_TRACE(v);
    h.legacy_version = v;
    Answer a = Serve(ctx.get(), Encode(h));
    EXPECT_EQ(a.find(2), nullptr);
    EXPECT_EQ(a.alert, kOracle && v == 0x0300 ? kHandshakeFailure : kProtocolVersion);
  }
  // TLS 1.0 and 1.1 there are tolerated (RFC 8446 4.1.2 asks 0x0303 of clients only).
  for (uint16_t v : {0x0301, 0x0302, 0x0303}) {
    SCOPED_TRACE(v);
    h.legacy_version = v;
    Answer a = Serve(ctx.get(), Encode(h));
    EXPECT_NE(a.find(2), nullptr) << "alert " << a.alert;
  }
}

// --- Issue 17, item 3: zero-length records of each type, in the clear ---------------------

// A zero-length record of `type`, before the ClientHello or right after it (TLS 1.2: the
// server then waits for the ClientKeyExchange in the clear; TLS 1.3: only a
// change_cipher_spec may come in the clear).
int AlertForRecord(int version, bool after_hello, uint8_t type, const Bytes& body = {}) {
  CtxPtr ctx = ServerCtx(version);
  Bytes in;
  if (after_hello) {
    Hello h = Hello12({Groups({0x17}), SigAlgs({0x0403}), PointFormats()});
    if (version == TLS1_3_VERSION) {
      h.suites = {0x1301};
      h.extensions = {Versions13(), Groups({0x1d}), SigAlgs({0x0403}), KeyShareX25519()};
    }
    in = Encode(h);
  }
  const Bytes rec = Record(type, 0x0303, body);
  in.insert(in.end(), rec.begin(), rec.end());
  return Serve(ctx.get(), in).alert;
}

TEST(HostileRecords, ZeroLengthRecordsInTheClear) {
  struct Case {
    int version;
    bool after_hello;
    uint8_t type;
    int alert;
  };
  // OpenSSL 3.0's answers. -1: none, the record is ignored (an empty handshake fragment, a
  // CCS with no byte) or the server waits; in TLS 1.3 after the ClientHello the server's
  // alert is protected (tests/unit/engine_hostile_test.cc checks those cases).
  const Case cases[] = {
      {TLS1_3_VERSION, false, kAlert, kUnexpectedMessage},
      {TLS1_3_VERSION, false, kHandshake, -1},
      {TLS1_3_VERSION, false, kChangeCipherSpec, -1},
      {TLS1_3_VERSION, false, kAppData, kUnexpectedMessage},
      {TLS1_2_VERSION, false, kAlert, kUnexpectedMessage},
      {TLS1_2_VERSION, false, kHandshake, -1},
      {TLS1_2_VERSION, false, kChangeCipherSpec, -1},
      {TLS1_2_VERSION, false, kAppData, kUnexpectedMessage},
      {TLS1_2_VERSION, true, kAlert, kUnexpectedMessage},
      {TLS1_2_VERSION, true, kHandshake, -1},
      {TLS1_2_VERSION, true, kChangeCipherSpec, -1},
      {TLS1_2_VERSION, true, kAppData, kUnexpectedMessage},
  };
  for (const Case& c : cases) {
    const int got = AlertForRecord(c.version, c.after_hello, c.type);
    EXPECT_EQ(got, c.alert) << "version " << std::hex << c.version << std::dec << " after_hello "
                            << c.after_hello << " type " << int{c.type};
  }
}

// CBC and CCM suites stay out of rapidtls by design (README.md): a TLS 1.2 client that
// offers only those gets handshake_failure; OpenSSL answers CBC with a ServerHello.
TEST(HostileHello, Tls12CbcOrCcmOnlyIsHandshakeFailure) {
  CtxPtr ctx = ServerCtx(TLS1_2_VERSION);
  Hello h = Hello12({Groups({0x17}), SigAlgs({0x0403}), PointFormats()});
  h.suites = {0xc009, 0xc023};  // ECDHE_ECDSA_WITH_AES_128_CBC_SHA, _SHA256
  Answer a = Serve(ctx.get(), Encode(h));
  if (kOracle) {
    EXPECT_NE(a.find(2), nullptr) << "alert " << a.alert;
  } else {
    EXPECT_EQ(a.find(2), nullptr);
    EXPECT_EQ(a.alert, kHandshakeFailure);
  }
  h.suites = {0xc0ac};  // ECDHE_ECDSA_WITH_AES_128_CCM (RFC 7251): neither library by default
  a = Serve(ctx.get(), Encode(h));
  EXPECT_EQ(a.alert, kHandshakeFailure);
}

// An alert record of the wrong length (RFC 8446 6 / RFC 5246 7.2: two bytes) is an
// unexpected message for OpenSSL 3.0, whatever the length.
TEST(HostileRecords, AlertRecordOfWrongLengthInTheClear) {
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    for (const Bytes& body : {Bytes{2}, Bytes{2, 40, 0}, Bytes{1, 0, 1, 0}}) {
      EXPECT_EQ(AlertForRecord(version, false, kAlert, body), kUnexpectedMessage)
          << "version " << std::hex << version << std::dec << " length " << body.size();
    }
  }
}

}  // namespace
}  // namespace conformance
