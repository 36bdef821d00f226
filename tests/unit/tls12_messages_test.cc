// TLS 1.2 handshake message and extension codecs (RFC 5246 7.4, RFC 8422 5,
// RFC 5746 3.2): round trips, exact wire forms, no strict prefix parses,
// trailing bytes, and hostile inputs with their alert and reason.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "handshake/messages12.h"
#include "handshake_test_util.h"

namespace rapidtls::handshake {
namespace {

using testutil::body_of;
using testutil::fails_with;
using testutil::kBadExtension;
using testutil::kDecodeError;
using testutil::serialize_result;
using testutil::wire_of;
using testutil::with_trailing_byte;

ByteVec bytes_of(std::initializer_list<uint8_t> b) {
  return ByteVec(b);
}

ServerKeyExchange sample_ske() {
  ServerKeyExchange ske;
  ske.named_group = 0x0017;  // secp256r1
  ske.public_key = ByteVec(65, 0x04);
  ske.signature_algorithm = 0x0403;  // ecdsa_secp256r1_sha256
  ske.signature = ByteVec(71, 0x30);
  return ske;
}

ClientKeyExchange sample_cke() {
  return ClientKeyExchange{ByteVec(32, 0x5a)};  // an x25519 share
}

Certificate12 sample_certificate() {
  Certificate12 c;
  c.certificate_list = {ByteVec(300, 0x30), ByteVec(1, 0x31)};
  return c;
}

CertificateRequest12 sample_certificate_request() {
  CertificateRequest12 cr;
  cr.certificate_types = {1, 64};  // rsa_sign, ecdsa_sign
  cr.signature_algorithms = {0x0403, 0x0804, 0x0401};
  cr.certificate_authorities = {ByteVec(20, 0x30), ByteVec(1, 0x31)};
  return cr;
}

// One entry per message: its serialised form and a parser that reserialises.
struct Case {
  std::string name;
  ByteVec message;
  std::function<Result<ByteVec>(Bytes)> reparse;
};

std::vector<Case> all_messages() {
  CertificateRequest12 no_cas = sample_certificate_request();
  no_cas.certificate_authorities.clear();
  ServerKeyExchange unsigned_ske = sample_ske();
  unsigned_ske.signature.clear();
  return {
      {"ServerKeyExchange", wire_of(sample_ske()),
       [](Bytes b) { return serialize_result(ServerKeyExchange::parse(b)); }},
      {"ServerKeyExchangeEmptySignature", wire_of(unsigned_ske),
       [](Bytes b) { return serialize_result(ServerKeyExchange::parse(b)); }},
      {"ClientKeyExchange", wire_of(sample_cke()),
       [](Bytes b) { return serialize_result(ClientKeyExchange::parse(b)); }},
      {"ServerHelloDone", wire_of(ServerHelloDone{}),
       [](Bytes b) { return serialize_result(ServerHelloDone::parse(b)); }},
      {"HelloRequest", wire_of(HelloRequest{}),
       [](Bytes b) { return serialize_result(HelloRequest::parse(b)); }},
      {"Certificate", wire_of(sample_certificate()),
       [](Bytes b) { return serialize_result(Certificate12::parse(b)); }},
      {"CertificateEmpty", wire_of(Certificate12{}),
       [](Bytes b) { return serialize_result(Certificate12::parse(b)); }},
      {"CertificateRequest", wire_of(sample_certificate_request()),
       [](Bytes b) { return serialize_result(CertificateRequest12::parse(b)); }},
      {"CertificateRequestNoCas", wire_of(no_cas),
       [](Bytes b) { return serialize_result(CertificateRequest12::parse(b)); }},
  };
}

// --- Round trips ------------------------------------------------------------------------------

TEST(Tls12Messages, RoundTripEveryMessage) {
  for (const Case& c : all_messages()) {
    SCOPED_TRACE(c.name);
    Result<ByteVec> again = c.reparse(body_of(c.message));
    ASSERT_TRUE(again.ok()) << to_hex(c.message);
    EXPECT_EQ(*again, c.message);
  }
}

TEST(Tls12Messages, HeaderCarriesTls12TypeAndLength) {
  struct Want {
    ByteVec message;
    uint8_t type;
  };
  const std::vector<Want> wants = {
      {wire_of(sample_ske()), kServerKeyExchange},
      {wire_of(sample_cke()), kClientKeyExchange},
      {wire_of(ServerHelloDone{}), kServerHelloDone},
      {wire_of(HelloRequest{}), kHelloRequest},
      {wire_of(sample_certificate()), 11},
      {wire_of(sample_certificate_request()), 13},
  };
  for (const Want& w : wants) {
    ASSERT_GE(w.message.size(), 4u);
    EXPECT_EQ(w.message[0], w.type);
    const size_t len = size_t{w.message[1]} << 16 | size_t{w.message[2]} << 8 | w.message[3];
    EXPECT_EQ(len, w.message.size() - 4);
  }
}

TEST(Tls12Messages, ServerKeyExchangeFields) {
  const ServerKeyExchange ske = sample_ske();
  Result<ServerKeyExchange> parsed = ServerKeyExchange::parse(body_of(wire_of(ske)));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->named_group, ske.named_group);
  EXPECT_EQ(parsed->public_key, ske.public_key);
  EXPECT_EQ(parsed->signature_algorithm, ske.signature_algorithm);
  EXPECT_EQ(parsed->signature, ske.signature);
}

// RFC 8422 5.4: the signature covers ClientHello.random || ServerHello.random
// || ServerECDHParams, which is curve_type(3) || namedcurve || ECPoint.
TEST(Tls12Messages, ServerKeyExchangeParamsAreSignedPrefix) {
  ServerKeyExchange ske;
  ske.named_group = 0x001d;  // x25519
  ske.public_key = {0xaa, 0xbb};
  ske.signature_algorithm = 0x0804;
  ske.signature = {0x01, 0x02, 0x03};
  EXPECT_EQ(ske.params().value(), bytes_of({0x03, 0x00, 0x1d, 0x02, 0xaa, 0xbb}));
  EXPECT_EQ(wire_of(ske), bytes_of({12, 0x00, 0x00, 0x0d,                // header
                                    0x03, 0x00, 0x1d, 0x02, 0xaa, 0xbb,  // params
                                    0x08, 0x04, 0x00, 0x03, 0x01, 0x02, 0x03}));
}

TEST(Tls12Messages, ExactWireForms) {
  EXPECT_EQ(wire_of(ServerHelloDone{}), bytes_of({14, 0, 0, 0}));
  EXPECT_EQ(wire_of(HelloRequest{}), bytes_of({0, 0, 0, 0}));
  EXPECT_EQ(wire_of(ClientKeyExchange{{0x04, 0x01}}), bytes_of({16, 0, 0, 3, 0x02, 0x04, 0x01}));
  Certificate12 cert;
  cert.certificate_list = {{0xde, 0xad}};
  EXPECT_EQ(wire_of(cert), bytes_of({11, 0, 0, 8, 0, 0, 5, 0, 0, 2, 0xde, 0xad}));
  EXPECT_EQ(wire_of(Certificate12{}), bytes_of({11, 0, 0, 3, 0, 0, 0}));
  CertificateRequest12 cr;
  cr.certificate_types = {64};
  cr.signature_algorithms = {0x0403};
  cr.certificate_authorities = {{0x30}};
  EXPECT_EQ(wire_of(cr), bytes_of({13, 0, 0, 11, 0x01, 64, 0x00, 0x02, 0x04, 0x03,  //
                                   0x00, 0x03, 0x00, 0x01, 0x30}));
}

TEST(Tls12Messages, SerializeAppendsToOutput) {
  ByteVec out = {0xff};
  EXPECT_TRUE(ServerHelloDone{}.serialize(out).ok());
  EXPECT_EQ(out, bytes_of({0xff, 14, 0, 0, 0}));
}

// --- Truncation and trailing bytes ------------------------------------------------------------

TEST(Tls12Messages, NoStrictPrefixParses) {
  for (const Case& c : all_messages()) {
    SCOPED_TRACE(c.name);
    const Bytes body = body_of(c.message);
    for (size_t n = 0; n < body.size(); ++n) {
      Result<ByteVec> r = c.reparse(body.first(n));
      ASSERT_TRUE(fails_with(r, kDecodeError)) << "prefix " << n << " of " << body.size();
    }
  }
}

TEST(Tls12Messages, TrailingByteRejected) {
  for (const Case& c : all_messages()) {
    SCOPED_TRACE(c.name);
    EXPECT_TRUE(fails_with(c.reparse(with_trailing_byte(body_of(c.message))), kDecodeError));
  }
}

// --- Hostile inputs ---------------------------------------------------------------------------

// RFC 8422 5.4: only named_curve (3) is allowed; explicit curves are refused.
TEST(Tls12Messages, ServerKeyExchangeCurveTypeNot3Rejected) {
  const ByteVec message = wire_of(sample_ske());
  for (uint8_t curve_type : {0, 1, 2, 4, 255}) {
    ByteVec body(body_of(message).begin(), body_of(message).end());
    body[0] = curve_type;
    EXPECT_TRUE(fails_with(ServerKeyExchange::parse(body),
                           Error{Alert::illegal_parameter, SSL_R_WRONG_CURVE}))
        << "curve_type " << int{curve_type};
  }
}

// RFC 8422 5.4 / 5.7: ECPoint point<1..2^8-1>: an empty public key is malformed.
TEST(Tls12Messages, EmptyPublicKeyRejected) {
  // curve_type, secp256r1, empty point, ecdsa_secp256r1_sha256, empty signature
  const ByteVec ske = {0x03, 0x00, 0x17, 0x00, 0x04, 0x03, 0x00, 0x00};
  EXPECT_TRUE(fails_with(ServerKeyExchange::parse(ske), kDecodeError));
  const ByteVec cke = {0x00};
  EXPECT_TRUE(fails_with(ClientKeyExchange::parse(cke), kDecodeError));
  EXPECT_TRUE(fails_with(ClientKeyExchange::parse({}), kDecodeError));
}

TEST(Tls12Messages, ServerKeyExchangeSignatureLengthMismatchRejected) {
  const ByteVec ske = {0x03, 0x00, 0x17, 0x01, 0x04, 0x04, 0x03, 0x00, 0x02, 0xaa};
  EXPECT_TRUE(fails_with(ServerKeyExchange::parse(ske), kDecodeError));
}

// RFC 5246 7.4.1.1 / 7.4.5: both bodies are empty structs.
TEST(Tls12Messages, HelloRequestWithBodyRejected) {
  const ByteVec one = {0x00};
  EXPECT_TRUE(fails_with(HelloRequest::parse(one), kDecodeError));
  EXPECT_TRUE(fails_with(ServerHelloDone::parse(one), kDecodeError));
  EXPECT_TRUE(HelloRequest::parse({}).ok());
  EXPECT_TRUE(ServerHelloDone::parse({}).ok());
}

// RFC 5246 7.4.4: supported_signature_algorithms<2..2^16-2> of 2-byte entries.
TEST(Tls12Messages, CertificateRequestOddSigAlgLengthRejected) {
  // types {64}, sig algs of 3 bytes, no CAs
  const ByteVec odd = {0x01, 64, 0x00, 0x03, 0x04, 0x03, 0x08, 0x00, 0x00};
  EXPECT_TRUE(fails_with(CertificateRequest12::parse(odd), kDecodeError));
}

TEST(Tls12Messages, CertificateRequestEmptyListsRejected) {
  // certificate_types<1..2^8-1>
  const ByteVec no_types = {0x00, 0x00, 0x02, 0x04, 0x03, 0x00, 0x00};
  EXPECT_TRUE(fails_with(CertificateRequest12::parse(no_types), kDecodeError));
  // supported_signature_algorithms<2..2^16-2>
  const ByteVec no_algs = {0x01, 64, 0x00, 0x00, 0x00, 0x00};
  EXPECT_TRUE(fails_with(CertificateRequest12::parse(no_algs), kDecodeError));
  // DistinguishedName<1..2^16-1>
  const ByteVec empty_dn = {0x01, 64, 0x00, 0x02, 0x04, 0x03, 0x00, 0x02, 0x00, 0x00};
  EXPECT_TRUE(fails_with(CertificateRequest12::parse(empty_dn), kDecodeError));
}

// RFC 5246 7.4.2: ASN.1Cert<1..2^24-1>.
TEST(Tls12Messages, EmptyCertificateEntryRejected) {
  const ByteVec body = {0x00, 0x00, 0x03, 0x00, 0x00, 0x00};
  EXPECT_TRUE(fails_with(Certificate12::parse(body), kDecodeError));
}

TEST(Tls12Messages, CertificateEntryOverrunsListRejected) {
  const ByteVec body = {0x00, 0x00, 0x04, 0x00, 0x00, 0x02, 0x30};
  EXPECT_TRUE(fails_with(Certificate12::parse(body), kDecodeError));
}

// --- renegotiation_info (RFC 5746 3.2) --------------------------------------------------------

TEST(Tls12Extensions, RenegotiationInfoRoundTrip) {
  // Empty on an initial handshake (3.4); 12 bytes of client verify_data from
  // a client (3.5); 24 bytes from a server on renegotiation (3.6).
  for (size_t n : {0u, 12u, 24u, 255u}) {
    const ByteVec connection(n, 0x42);
    const ByteVec body = encode_renegotiation_info(connection).value();
    ASSERT_EQ(body.size(), n + 1);
    EXPECT_EQ(body[0], n);
    Result<ByteVec> parsed = parse_renegotiation_info(body);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, connection);
  }
  EXPECT_EQ(encode_renegotiation_info({}).value(), bytes_of({0x00}));
}

TEST(Tls12Extensions, RenegotiationInfoNoStrictPrefixOrTrailingByte) {
  const ByteVec body = encode_renegotiation_info(ByteVec(12, 0x07)).value();
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_TRUE(fails_with(parse_renegotiation_info(Bytes(body).first(n)), kBadExtension))
        << "prefix " << n;
  }
  EXPECT_TRUE(fails_with(parse_renegotiation_info(with_trailing_byte(body)), kBadExtension));
}

// --- ec_point_formats (RFC 8422 5.1.2) --------------------------------------------------------

TEST(Tls12Extensions, EcPointFormatsEncodesUncompressed) {
  const ByteVec body = encode_ec_point_formats();
  EXPECT_EQ(body, bytes_of({0x01, 0x00}));
  EXPECT_TRUE(check_ec_point_formats(body).ok());
}

TEST(Tls12Extensions, EcPointFormatsAcceptsUncompressedAnywhere) {
  // ansiX962_compressed_prime(1), ansiX962_compressed_char2(2), uncompressed(0)
  const ByteVec body = {0x03, 0x01, 0x02, 0x00};
  EXPECT_TRUE(check_ec_point_formats(body).ok());
}

TEST(Tls12Extensions, EcPointFormatsWithoutUncompressedRejected) {
  const ByteVec body = {0x02, 0x01, 0x02};
  Status s = check_ec_point_formats(body);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), (Error{Alert::illegal_parameter, SSL_R_TLS_INVALID_ECPOINTFORMAT_LIST}));
}

TEST(Tls12Extensions, EcPointFormatsMalformedRejected) {
  const std::vector<ByteVec> bad = {
      {},                  // no list length
      {0x00},              // ec_point_format_list<1..2^8-1>: empty
      {0x02, 0x00},        // list overruns the body
      {0x01, 0x00, 0x00},  // trailing byte
  };
  for (const ByteVec& body : bad) {
    Status s = check_ec_point_formats(body);
    ASSERT_FALSE(s.ok()) << to_hex(body);
    EXPECT_EQ(s.error(), kBadExtension) << to_hex(body);
  }
}

TEST(Tls12Messages, SuiteNumbersMatchRegistry) {
  // RFC 5289 3 (ECDHE-GCM) and RFC 7905 2 (ChaCha20-Poly1305).
  EXPECT_EQ(static_cast<uint16_t>(Suite12::ecdhe_ecdsa_aes_128_gcm_sha256), 0xc02b);
  EXPECT_EQ(static_cast<uint16_t>(Suite12::ecdhe_rsa_aes_256_gcm_sha384), 0xc030);
  EXPECT_EQ(static_cast<uint16_t>(Suite12::ecdhe_ecdsa_chacha20_poly1305_sha256), 0xcca9);
}

}  // namespace
}  // namespace rapidtls::handshake
