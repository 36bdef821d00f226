// Handshake message codecs (RFC 8446 section 4): round trips, truncation,
// the RFC 8448 traces and hostile inputs.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string_view>
#include <vector>

#include "handshake/extensions.h"
#include "handshake/messages.h"
#include "handshake/messages12.h"
#include "handshake_test_util.h"
#include "rfc8448_vectors.h"

namespace rapidtls::handshake {
namespace {

using testutil::body_of;
using testutil::fails_with;
using testutil::kBadExtension;
using testutil::kDecodeError;
using testutil::kDuplicateExtension;
using testutil::serialize_result;
using testutil::wire_of;
using testutil::with_trailing_byte;

constexpr size_t kSha256Len = 32;

uint16_t ext(ExtensionType t) {
  return static_cast<uint16_t>(t);
}

// Parses `body` as the message type named in the header, and serialises the
// result again (Finished: SHA-256 sized).
Result<ByteVec> reparse(HandshakeType type, Bytes body) {
  switch (type) {
    case HandshakeType::client_hello:
      return serialize_result(ClientHello::parse(body));
    case HandshakeType::server_hello:
      return serialize_result(ServerHello::parse(body));
    case HandshakeType::encrypted_extensions:
      return serialize_result(EncryptedExtensions::parse(body));
    case HandshakeType::certificate_request:
      return serialize_result(CertificateRequest::parse(body));
    case HandshakeType::certificate:
      return serialize_result(CertificateMsg::parse(body));
    case HandshakeType::certificate_verify:
      return serialize_result(CertificateVerify::parse(body));
    case HandshakeType::finished:
      return serialize_result(Finished::parse(body, kSha256Len));
    case HandshakeType::new_session_ticket:
      return serialize_result(NewSessionTicket::parse(body));
    case HandshakeType::key_update:
      return serialize_result(KeyUpdate::parse(body));
    default:
      return internal_error();
  }
}

HandshakeType type_of(const ByteVec& message) {
  return static_cast<HandshakeType>(message[0]);
}

// The header is {type, uint24 length of the rest}; parsing the body and
// serialising again reproduces the message byte for byte.
void expect_round_trip(const ByteVec& message, HandshakeType type) {
  ASSERT_GE(message.size(), 4u);
  EXPECT_EQ(type_of(message), type);
  codec::Reader header{Bytes(message)};
  uint8_t msg_type = 0;
  uint32_t length = 0;
  ASSERT_TRUE(header.read_u8(&msg_type) && header.read_u24(&length));
  EXPECT_EQ(length, message.size() - 4);
  Result<ByteVec> again = reparse(type, body_of(message));
  ASSERT_TRUE(again.ok()) << testutil::describe(again.error());
  EXPECT_EQ(to_hex(*again), to_hex(message));
}

Random counting_random() {
  Random r{};
  for (size_t i = 0; i < r.size(); ++i) r[i] = static_cast<uint8_t>(i);
  return r;
}

// --- Sample messages ----------------------------------------------------------------------

ClientHello sample_client_hello() {
  ClientHello ch;
  ch.random = counting_random();
  ch.legacy_session_id = ByteVec(32, 0xaa);
  ch.cipher_suites = {0x1301, 0x1302, 0x1303};
  ch.extensions = {
      {ext(ExtensionType::server_name), encode_server_name_ch("example.com")},
      {ext(ExtensionType::supported_versions), encode_supported_versions_ch({kTls13, kTls12})},
      {ext(ExtensionType::supported_groups), encode_u16_list({0x001d, 0x0017})},
      {ext(ExtensionType::key_share), encode_key_share_ch({{0x001d, ByteVec(32, 0x11)}})},
      {ext(ExtensionType::early_data), {}},
  };
  return ch;
}

ServerHello sample_server_hello() {
  ServerHello sh;
  sh.random = counting_random();
  sh.legacy_session_id_echo = ByteVec(32, 0xaa);
  sh.cipher_suite = 0x1301;
  sh.extensions = {
      {ext(ExtensionType::supported_versions), encode_supported_versions_sh(kTls13)},
      {ext(ExtensionType::key_share), encode_key_share_sh({0x001d, ByteVec(32, 0x22)})},
  };
  return sh;
}

ServerHello sample_hello_retry_request() {
  ServerHello hrr = sample_server_hello();
  hrr.random = kHelloRetryRequestRandom;
  hrr.extensions = {
      {ext(ExtensionType::supported_versions), encode_supported_versions_sh(kTls13)},
      {ext(ExtensionType::key_share), encode_key_share_hrr(0x0017)},
      {ext(ExtensionType::cookie), encode_cookie(ByteVec(40, 0xcc))},
  };
  return hrr;
}

EncryptedExtensions sample_encrypted_extensions() {
  EncryptedExtensions ee;
  ee.extensions = {
      {ext(ExtensionType::server_name), {}},
      {ext(ExtensionType::application_layer_protocol_negotiation),
       encode_alpn({ByteVec{'h', '2'}}).value()},
  };
  return ee;
}

CertificateRequest sample_certificate_request() {
  CertificateRequest cr;
  cr.certificate_request_context = {1, 2, 3};
  cr.extensions = {{ext(ExtensionType::signature_algorithms), encode_u16_list({0x0804, 0x0403})}};
  return cr;
}

CertificateMsg sample_certificate() {
  CertificateMsg cert;
  cert.certificate_request_context = {9, 9};
  cert.certificate_list = {
      {ByteVec(300, 0x30), {{ext(ExtensionType::status_request), {1, 0, 0, 1, 0xff}}}},
      {ByteVec{0x30}, {}},
  };
  return cert;
}

CertificateVerify sample_certificate_verify() {
  return {0x0804, ByteVec(256, 0x5a)};
}

Finished sample_finished() {
  return {ByteVec(kSha256Len, 0xf1)};
}

NewSessionTicket sample_new_session_ticket() {
  NewSessionTicket nst;
  nst.ticket_lifetime = 604800;
  nst.ticket_age_add = 0xdeadbeef;
  nst.ticket_nonce = {0, 1};
  nst.ticket = ByteVec(100, 0x7e);
  nst.extensions = {{ext(ExtensionType::early_data), encode_early_data_nst(16384)}};
  return nst;
}

// Every sample above, the TLS 1.2-style ClientHello and the RFC 8448 messages.
std::vector<ByteVec> all_messages() {
  ClientHello tls12_hello = sample_client_hello();
  tls12_hello.extensions.clear();
  CertificateMsg empty_certificate;
  CertificateVerify empty_signature{0x0403, {}};
  return {
      wire_of(sample_client_hello()),
      wire_of(tls12_hello),
      wire_of(sample_server_hello()),
      wire_of(sample_hello_retry_request()),
      wire_of(sample_encrypted_extensions()),
      wire_of(EncryptedExtensions{}),
      wire_of(sample_certificate_request()),
      wire_of(sample_certificate()),
      wire_of(empty_certificate),
      wire_of(sample_certificate_verify()),
      wire_of(empty_signature),
      wire_of(sample_finished()),
      wire_of(sample_new_session_ticket()),
      wire_of(KeyUpdate{KeyUpdateRequest::update_not_requested}),
      wire_of(KeyUpdate{KeyUpdateRequest::update_requested}),
      from_hex(testvec::kRfc8448S3ClientHello),
      from_hex(testvec::kRfc8448S3ServerHello),
      from_hex(testvec::kRfc8448S3EncryptedExtensions),
      from_hex(testvec::kRfc8448S3Certificate),
      from_hex(testvec::kRfc8448S3CertificateVerify),
      from_hex(testvec::kRfc8448S3ServerFinished),
      from_hex(testvec::kRfc8448S3ClientFinished),
      from_hex(testvec::kRfc8448S3NewSessionTicket),
      from_hex(testvec::kRfc8448S4ClientHello),
      from_hex(testvec::kRfc8448S5HelloRetryRequest),
  };
}

// --- Round trips --------------------------------------------------------------------------

TEST(Messages, ClientHelloRoundTrip) {
  ClientHello ch = sample_client_hello();
  ByteVec wire = wire_of(ch);
  expect_round_trip(wire, HandshakeType::client_hello);
  Result<ClientHello> parsed = ClientHello::parse(body_of(wire));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->legacy_version, kTls12);
  EXPECT_EQ(parsed->random, ch.random);
  EXPECT_EQ(parsed->legacy_session_id, ch.legacy_session_id);
  EXPECT_EQ(parsed->cipher_suites, ch.cipher_suites);
  EXPECT_EQ(parsed->legacy_compression_methods, ByteVec{0});
  ASSERT_EQ(parsed->extensions.size(), ch.extensions.size());
  for (size_t i = 0; i < ch.extensions.size(); ++i) {
    EXPECT_EQ(parsed->extensions[i].type, ch.extensions[i].type);
    EXPECT_EQ(parsed->extensions[i].body, ch.extensions[i].body);
  }
}

TEST(Messages, ClientHelloWithoutExtensionsRoundTrip) {
  ClientHello ch = sample_client_hello();
  ch.extensions.clear();
  ByteVec wire = wire_of(ch);
  // Ends right after legacy_compression_methods: no extensions block at all.
  EXPECT_EQ(wire.size(), 4u + 2 + 32 + 1 + 32 + 2 + 6 + 1 + 1);
  expect_round_trip(wire, HandshakeType::client_hello);
  Result<ClientHello> parsed = ClientHello::parse(body_of(wire));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->extensions.empty());
}

TEST(Messages, ServerHelloRoundTrip) {
  ByteVec wire = wire_of(sample_server_hello());
  expect_round_trip(wire, HandshakeType::server_hello);
  Result<ServerHello> parsed = ServerHello::parse(body_of(wire));
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->is_hello_retry_request());
  EXPECT_EQ(parsed->cipher_suite, 0x1301);
  EXPECT_EQ(parsed->legacy_session_id_echo, ByteVec(32, 0xaa));
  EXPECT_EQ(parsed->extensions.size(), 2u);
}

TEST(Messages, HelloRetryRequestRoundTrip) {
  ByteVec wire = wire_of(sample_hello_retry_request());
  expect_round_trip(wire, HandshakeType::server_hello);
  Result<ServerHello> parsed = ServerHello::parse(body_of(wire));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->is_hello_retry_request());
}

TEST(Messages, EncryptedExtensionsRoundTrip) {
  expect_round_trip(wire_of(sample_encrypted_extensions()), HandshakeType::encrypted_extensions);
  ByteVec empty = wire_of(EncryptedExtensions{});
  EXPECT_EQ(to_hex(empty), "080000020000");
  expect_round_trip(empty, HandshakeType::encrypted_extensions);
}

TEST(Messages, CertificateRequestRoundTrip) {
  ByteVec wire = wire_of(sample_certificate_request());
  expect_round_trip(wire, HandshakeType::certificate_request);
  Result<CertificateRequest> parsed = CertificateRequest::parse(body_of(wire));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->certificate_request_context, (ByteVec{1, 2, 3}));
  EXPECT_NE(find_extension(parsed->extensions, ExtensionType::signature_algorithms), nullptr);
}

TEST(Messages, CertificateRoundTrip) {
  CertificateMsg cert = sample_certificate();
  ByteVec wire = wire_of(cert);
  expect_round_trip(wire, HandshakeType::certificate);
  Result<CertificateMsg> parsed = CertificateMsg::parse(body_of(wire));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->certificate_request_context, cert.certificate_request_context);
  ASSERT_EQ(parsed->certificate_list.size(), 2u);
  EXPECT_EQ(parsed->certificate_list[0].cert_data, cert.certificate_list[0].cert_data);
  EXPECT_EQ(parsed->certificate_list[0].extensions.size(), 1u);
  EXPECT_EQ(parsed->certificate_list[1].cert_data, ByteVec{0x30});
  EXPECT_TRUE(parsed->certificate_list[1].extensions.empty());

  ByteVec empty = wire_of(CertificateMsg{});
  EXPECT_EQ(to_hex(empty), "0b00000400000000");
  expect_round_trip(empty, HandshakeType::certificate);
}

TEST(Messages, CertificateVerifyRoundTrip) {
  expect_round_trip(wire_of(sample_certificate_verify()), HandshakeType::certificate_verify);
  // signature<0..2^16-1>: an empty signature is well formed at the codec level.
  ByteVec empty = wire_of(CertificateVerify{0x0403, {}});
  EXPECT_EQ(to_hex(empty), "0f00000404030000");
  expect_round_trip(empty, HandshakeType::certificate_verify);
}

TEST(Messages, FinishedRoundTrip) {
  expect_round_trip(wire_of(sample_finished()), HandshakeType::finished);
  // SHA-384 suites: 48 bytes.
  ByteVec wire48 = wire_of(Finished{ByteVec(48, 0x48)});
  Result<Finished> parsed = Finished::parse(body_of(wire48), 48);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(wire_of(*parsed), wire48);
}

TEST(Messages, NewSessionTicketRoundTrip) {
  NewSessionTicket nst = sample_new_session_ticket();
  ByteVec wire = wire_of(nst);
  expect_round_trip(wire, HandshakeType::new_session_ticket);
  Result<NewSessionTicket> parsed = NewSessionTicket::parse(body_of(wire));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->ticket_lifetime, 604800u);
  EXPECT_EQ(parsed->ticket_age_add, 0xdeadbeefu);
  EXPECT_EQ(parsed->ticket_nonce, nst.ticket_nonce);
  EXPECT_EQ(parsed->ticket, nst.ticket);
  ASSERT_EQ(parsed->extensions.size(), 1u);
}

TEST(Messages, KeyUpdateRoundTrip) {
  ByteVec not_requested = wire_of(KeyUpdate{KeyUpdateRequest::update_not_requested});
  ByteVec requested = wire_of(KeyUpdate{KeyUpdateRequest::update_requested});
  EXPECT_EQ(to_hex(not_requested), "1800000100");
  EXPECT_EQ(to_hex(requested), "1800000101");
  expect_round_trip(not_requested, HandshakeType::key_update);
  expect_round_trip(requested, HandshakeType::key_update);
  Result<KeyUpdate> parsed = KeyUpdate::parse(body_of(requested));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->request_update, KeyUpdateRequest::update_requested);
}

TEST(Messages, SerializeAppendsToOutput) {
  ByteVec out = {0xee};
  EXPECT_TRUE(KeyUpdate{}.serialize(out).ok());
  EXPECT_EQ(to_hex(out), "ee1800000100");
}

TEST(Messages, WriteHandshakeWritesHeader) {
  ByteVec out;
  const uint8_t body[] = {0xaa, 0xbb, 0xcc};
  EXPECT_TRUE(write_handshake(out, HandshakeType::finished, body).ok());
  EXPECT_EQ(to_hex(out), "14000003aabbcc");
}

// --- Truncation and trailing bytes --------------------------------------------------------

// A ClientHello may end after legacy_compression_methods (TLS 1.2 clients), so
// for one with extensions that cut is a (different) valid ClientHello. Returns
// the body length of that cut, or 0 for other messages.
// RFC 5246 7.4.1.2 / 7.4.1.3: TLS 1.2 hellos may end before their extensions,
// so a hello cut exactly there parses (as one without extensions).
size_t tls12_client_hello_cut(const ByteVec& message) {
  if (type_of(message) == HandshakeType::client_hello) {
    Result<ClientHello> ch = ClientHello::parse(body_of(message));
    if (!ch.ok() || ch->extensions.empty()) return 0;
    ch->extensions.clear();
    return wire_of(*ch).size() - 4;
  }
  if (type_of(message) == HandshakeType::server_hello) {
    Result<ServerHello> sh = ServerHello::parse(body_of(message));
    if (!sh.ok() || sh->extensions.empty()) return 0;
    sh->extensions.clear();
    sh->extensions_block = false;
    return wire_of(*sh).size() - 4;
  }
  return 0;
}

TEST(Messages, NoStrictPrefixParses) {
  for (const ByteVec& message : all_messages()) {
    const HandshakeType type = type_of(message);
    SCOPED_TRACE(handshake_type_name(type));
    const Bytes body = body_of(message);
    ASSERT_TRUE(reparse(type, body).ok()) << to_hex(message);
    const size_t allowed_cut = tls12_client_hello_cut(message);
    for (size_t n = 0; n < body.size(); ++n) {
      Result<ByteVec> r = reparse(type, body.first(n));
      if (n == allowed_cut && n != 0) {
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->size(), n + 4);  // the hello without extensions
        continue;
      }
      ASSERT_FALSE(r.ok()) << "prefix of " << n << " of " << body.size() << " bytes parsed";
      EXPECT_EQ(r.error().alert, Alert::decode_error) << "prefix " << n;
    }
  }
}

TEST(Messages, TrailingByteRejected) {
  for (const ByteVec& message : all_messages()) {
    const HandshakeType type = type_of(message);
    SCOPED_TRACE(handshake_type_name(type));
    Result<ByteVec> r = reparse(type, with_trailing_byte(body_of(message)));
    ASSERT_FALSE(r.ok()) << to_hex(message);
    EXPECT_EQ(r.error().alert, Alert::decode_error);
  }
}

// --- RFC 8448 traces ----------------------------------------------------------------------

TEST(Messages, Rfc8448_S3_ClientHelloParses) {
  const ByteVec wire = from_hex(testvec::kRfc8448S3ClientHello);
  ASSERT_EQ(wire.size(), 196u);
  Result<ClientHello> ch = ClientHello::parse(body_of(wire));
  ASSERT_TRUE(ch.ok()) << testutil::describe(ch.error());
  EXPECT_EQ(ch->legacy_version, kTls12);
  EXPECT_EQ(to_hex(ch->random), "cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7");
  EXPECT_TRUE(ch->legacy_session_id.empty());
  EXPECT_EQ(ch->cipher_suites, (std::vector<uint16_t>{0x1301, 0x1303, 0x1302}));
  EXPECT_EQ(ch->legacy_compression_methods, ByteVec{0});

  std::vector<uint16_t> types;
  for (const Extension& e : ch->extensions) types.push_back(e.type);
  EXPECT_EQ(types, (std::vector<uint16_t>{0x0000, 0xff01, 0x000a, 0x0023, 0x0033, 0x002b, 0x000d,
                                          0x002d, 0x001c}));

  const Extension* sni = find_extension(ch->extensions, ExtensionType::server_name);
  ASSERT_NE(sni, nullptr);
  Result<std::string> host = parse_server_name_ch(sni->body);
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(*host, "server");

  const Extension* ks = find_extension(ch->extensions, ExtensionType::key_share);
  ASSERT_NE(ks, nullptr);
  Result<std::vector<KeyShareEntry>> shares = parse_key_share_ch(ks->body);
  ASSERT_TRUE(shares.ok());
  ASSERT_EQ(shares->size(), 1u);
  EXPECT_EQ((*shares)[0].group, static_cast<uint16_t>(crypto::NamedGroup::x25519));
  EXPECT_EQ(to_hex((*shares)[0].key_exchange),
            "99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c");

  const Extension* sv = find_extension(ch->extensions, ExtensionType::supported_versions);
  ASSERT_NE(sv, nullptr);
  Result<std::vector<uint16_t>> versions = parse_supported_versions_ch(sv->body);
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(*versions, std::vector<uint16_t>{kTls13});

  const Extension* groups = find_extension(ch->extensions, ExtensionType::supported_groups);
  ASSERT_NE(groups, nullptr);
  Result<std::vector<uint16_t>> group_list = parse_u16_list(groups->body);
  ASSERT_TRUE(group_list.ok());
  EXPECT_EQ(*group_list, (std::vector<uint16_t>{0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101,
                                                0x0102, 0x0103, 0x0104}));

  const Extension* sigalgs = find_extension(ch->extensions, ExtensionType::signature_algorithms);
  ASSERT_NE(sigalgs, nullptr);
  Result<std::vector<uint16_t>> schemes = parse_u16_list(sigalgs->body);
  ASSERT_TRUE(schemes.ok());
  EXPECT_EQ(schemes->size(), 15u);
  EXPECT_EQ(schemes->front(), 0x0403);

  const Extension* modes = find_extension(ch->extensions, ExtensionType::psk_key_exchange_modes);
  ASSERT_NE(modes, nullptr);
  Result<std::vector<uint8_t>> mode_list = parse_psk_key_exchange_modes(modes->body);
  ASSERT_TRUE(mode_list.ok());
  EXPECT_EQ(*mode_list, std::vector<uint8_t>{1});

  EXPECT_EQ(to_hex(wire_of(*ch)), to_hex(wire));
}

TEST(Messages, Rfc8448_S3_ServerHelloParses) {
  const ByteVec wire = from_hex(testvec::kRfc8448S3ServerHello);
  ASSERT_EQ(wire.size(), 90u);
  Result<ServerHello> sh = ServerHello::parse(body_of(wire));
  ASSERT_TRUE(sh.ok()) << testutil::describe(sh.error());
  EXPECT_EQ(sh->legacy_version, kTls12);
  EXPECT_EQ(to_hex(sh->random), "a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928");
  EXPECT_FALSE(sh->is_hello_retry_request());
  EXPECT_TRUE(sh->legacy_session_id_echo.empty());
  EXPECT_EQ(sh->cipher_suite, static_cast<uint16_t>(CipherSuite::tls_aes_128_gcm_sha256));
  EXPECT_EQ(sh->legacy_compression_method, 0);

  const Extension* ks = find_extension(sh->extensions, ExtensionType::key_share);
  ASSERT_NE(ks, nullptr);
  Result<KeyShareEntry> share = parse_key_share_sh(ks->body);
  ASSERT_TRUE(share.ok());
  EXPECT_EQ(share->group, static_cast<uint16_t>(crypto::NamedGroup::x25519));
  EXPECT_EQ(to_hex(share->key_exchange),
            "c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f");

  const Extension* sv = find_extension(sh->extensions, ExtensionType::supported_versions);
  ASSERT_NE(sv, nullptr);
  Result<uint16_t> version = parse_supported_versions_sh(sv->body);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, kTls13);

  EXPECT_EQ(to_hex(wire_of(*sh)), to_hex(wire));
}

TEST(Messages, Rfc8448_S3_EncryptedExtensionsParses) {
  const ByteVec wire = from_hex(testvec::kRfc8448S3EncryptedExtensions);
  Result<EncryptedExtensions> ee = EncryptedExtensions::parse(body_of(wire));
  ASSERT_TRUE(ee.ok()) << testutil::describe(ee.error());
  ASSERT_EQ(ee->extensions.size(), 3u);
  const Extension* groups = find_extension(ee->extensions, ExtensionType::supported_groups);
  ASSERT_NE(groups, nullptr);
  EXPECT_TRUE(parse_u16_list(groups->body).ok());
  const Extension* limit = find_extension(ee->extensions, ExtensionType::record_size_limit);
  ASSERT_NE(limit, nullptr);
  EXPECT_EQ(to_hex(limit->body), "4001");
  const Extension* sni = find_extension(ee->extensions, ExtensionType::server_name);
  ASSERT_NE(sni, nullptr);
  EXPECT_TRUE(expect_empty(sni->body).ok());
  EXPECT_EQ(to_hex(wire_of(*ee)), to_hex(wire));
}

TEST(Messages, Rfc8448_S3_CertificateParses) {
  const ByteVec wire = from_hex(testvec::kRfc8448S3Certificate);
  Result<CertificateMsg> cert = CertificateMsg::parse(body_of(wire));
  ASSERT_TRUE(cert.ok()) << testutil::describe(cert.error());
  EXPECT_TRUE(cert->certificate_request_context.empty());
  ASSERT_EQ(cert->certificate_list.size(), 1u);
  const ByteVec& der = cert->certificate_list[0].cert_data;
  ASSERT_EQ(der.size(), 432u);
  EXPECT_EQ(to_hex(Bytes(der).first(4)), "308201ac");  // SEQUENCE of 0x1ac bytes
  EXPECT_TRUE(cert->certificate_list[0].extensions.empty());
  EXPECT_EQ(to_hex(wire_of(*cert)), to_hex(wire));
}

TEST(Messages, Rfc8448_S3_CertificateVerifyParses) {
  const ByteVec wire = from_hex(testvec::kRfc8448S3CertificateVerify);
  Result<CertificateVerify> cv = CertificateVerify::parse(body_of(wire));
  ASSERT_TRUE(cv.ok()) << testutil::describe(cv.error());
  EXPECT_EQ(cv->algorithm, 0x0804);  // rsa_pss_rsae_sha256
  ASSERT_EQ(cv->signature.size(), 128u);
  EXPECT_EQ(cv->signature[0], 0x5a);
  EXPECT_EQ(to_hex(wire_of(*cv)), to_hex(wire));
}

TEST(Messages, Rfc8448_S3_FinishedParses) {
  for (const char* hex : {testvec::kRfc8448S3ServerFinished, testvec::kRfc8448S3ClientFinished}) {
    const ByteVec wire = from_hex(hex);
    Result<Finished> fin = Finished::parse(body_of(wire), kSha256Len);
    ASSERT_TRUE(fin.ok()) << testutil::describe(fin.error());
    EXPECT_EQ(fin->verify_data.size(), kSha256Len);
    EXPECT_EQ(to_hex(wire_of(*fin)), to_hex(wire));
    EXPECT_TRUE(fails_with(Finished::parse(body_of(wire), 48), kDecodeError));
  }
  Result<Finished> server =
      Finished::parse(body_of(from_hex(testvec::kRfc8448S3ServerFinished)), kSha256Len);
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(to_hex(server->verify_data),
            "9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718");
}

TEST(Messages, Rfc8448_S3_NewSessionTicketParses) {
  const ByteVec wire = from_hex(testvec::kRfc8448S3NewSessionTicket);
  Result<NewSessionTicket> nst = NewSessionTicket::parse(body_of(wire));
  ASSERT_TRUE(nst.ok()) << testutil::describe(nst.error());
  EXPECT_EQ(nst->ticket_lifetime, 30u);
  EXPECT_EQ(nst->ticket_age_add, 0xfad6aac5u);
  EXPECT_EQ(nst->ticket_nonce, (ByteVec{0, 0}));
  EXPECT_EQ(nst->ticket.size(), 178u);
  const Extension* early = find_extension(nst->extensions, ExtensionType::early_data);
  ASSERT_NE(early, nullptr);
  Result<uint32_t> max_early = parse_early_data_nst(early->body);
  ASSERT_TRUE(max_early.ok());
  EXPECT_EQ(*max_early, 1024u);
  EXPECT_EQ(to_hex(wire_of(*nst)), to_hex(wire));
}

TEST(Messages, Rfc8448_S5_HelloRetryRequestParses) {
  const ByteVec wire = from_hex(testvec::kRfc8448S5HelloRetryRequest);
  ASSERT_EQ(wire.size(), 176u);
  Result<ServerHello> hrr = ServerHello::parse(body_of(wire));
  ASSERT_TRUE(hrr.ok()) << testutil::describe(hrr.error());
  EXPECT_TRUE(hrr->is_hello_retry_request());
  EXPECT_EQ(hrr->cipher_suite, 0x1301);

  const Extension* ks = find_extension(hrr->extensions, ExtensionType::key_share);
  ASSERT_NE(ks, nullptr);
  Result<uint16_t> group = parse_key_share_hrr(ks->body);
  ASSERT_TRUE(group.ok());
  EXPECT_EQ(*group, static_cast<uint16_t>(crypto::NamedGroup::secp256r1));

  const Extension* cookie_ext = find_extension(hrr->extensions, ExtensionType::cookie);
  ASSERT_NE(cookie_ext, nullptr);
  Result<ByteVec> cookie = parse_cookie(cookie_ext->body);
  ASSERT_TRUE(cookie.ok());
  EXPECT_EQ(cookie->size(), 114u);
  EXPECT_EQ(to_hex(Bytes(*cookie).first(4)), "71dcd04b");

  const Extension* sv = find_extension(hrr->extensions, ExtensionType::supported_versions);
  ASSERT_NE(sv, nullptr);
  Result<uint16_t> version = parse_supported_versions_sh(sv->body);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, kTls13);

  EXPECT_EQ(to_hex(wire_of(*hrr)), to_hex(wire));
}

TEST(Messages, HelloRetryRequestRandomIsSha256OfName) {
  constexpr std::string_view kName = "HelloRetryRequest";
  Random digest{};
  unsigned int len = 0;
  ASSERT_EQ(EVP_Digest(kName.data(), kName.size(), digest.data(), &len, EVP_sha256(), nullptr), 1);
  ASSERT_EQ(len, digest.size());
  EXPECT_EQ(kHelloRetryRequestRandom, digest);
}

// --- Hostile inputs -----------------------------------------------------------------------

// A ClientHello body with the given extension block bytes (u16 length included).
ByteVec client_hello_body_with_extensions(std::string_view ext_block_hex) {
  ClientHello ch = sample_client_hello();
  ch.extensions.clear();
  const ByteVec wire = wire_of(ch);
  ByteVec body(body_of(wire).begin(), body_of(wire).end());
  ByteVec block = from_hex(ext_block_hex);
  body.insert(body.end(), block.begin(), block.end());
  return body;
}

TEST(Messages, DuplicateExtensionRejected) {
  // Two supported_versions extensions.
  ByteVec body = client_hello_body_with_extensions("000e 002b 0003 020304 002b 0003 020304");
  EXPECT_TRUE(fails_with(ClientHello::parse(body), kDuplicateExtension));

  EncryptedExtensions ee;
  ee.extensions = {{ext(ExtensionType::server_name), {}}, {ext(ExtensionType::server_name), {}}};
  EXPECT_TRUE(fails_with(EncryptedExtensions::parse(body_of(wire_of(ee))), kDuplicateExtension));

  // Not adjacent: alpn, server_name, alpn.
  ee.extensions = {{16, {0, 3, 2, 'h', '2'}}, {0, {}}, {16, {0, 3, 2, 'h', '2'}}};
  EXPECT_TRUE(fails_with(EncryptedExtensions::parse(body_of(wire_of(ee))), kDuplicateExtension));
}

TEST(Messages, BadExtensionLengthsRejected) {
  // The extension claims 4 bytes but the block ends after 3.
  EXPECT_TRUE(fails_with(
      ClientHello::parse(client_hello_body_with_extensions("0009 002b 0004 020304 0000 00")),
      kBadExtension));
  // The block claims more bytes than the message has.
  EXPECT_TRUE(
      fails_with(ClientHello::parse(client_hello_body_with_extensions("00ff 002b 0003 020304")),
                 kBadExtension));
  // A block of 1 byte cannot hold an extension header.
  EXPECT_TRUE(fails_with(EncryptedExtensions::parse(from_hex("0001 00")), kBadExtension));
}

ByteVec body_of_vec(const ByteVec& message) {
  return ByteVec(message.begin() + 4, message.end());
}

ByteVec sample_server_hello_without_extensions() {
  ServerHello sh = sample_server_hello();
  sh.extensions.clear();
  sh.extensions_block = false;
  return wire_of(sh);
}

// A TLS 1.2 ServerHello without extensions, and one with an empty block, both
// survive a round trip byte for byte (found by fuzz_messages).
TEST(Messages, ServerHelloExtensionBlockPresenceRoundTrips) {
  const ByteVec without = sample_server_hello_without_extensions();
  ByteVec empty_block(without.begin() + 4, without.end());
  empty_block.insert(empty_block.end(), {0x00, 0x00});
  for (const ByteVec& body : {ByteVec(without.begin() + 4, without.end()), empty_block}) {
    auto sh = ServerHello::parse(body);
    ASSERT_TRUE(sh.ok());
    EXPECT_TRUE(sh->extensions.empty());
    EXPECT_EQ(body_of_vec(wire_of(*sh)), body);
  }
}

// The same for a ClientHello: an empty block, now accepted before the
// version is known, comes back as it was (fuzz_messages found it written
// out without its two length bytes).
TEST(Messages, ClientHelloEmptyExtensionBlockRoundTrips) {
  const ByteVec body = client_hello_body_with_extensions("0000");
  auto ch = ClientHello::parse(body);
  ASSERT_TRUE(ch.ok());
  EXPECT_TRUE(ch->extensions.empty());
  EXPECT_EQ(body_of_vec(wire_of(*ch)), body);
  ByteVec none(body.begin(), body.end() - 2);  // no block at all
  auto bare = ClientHello::parse(none);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(body_of_vec(wire_of(*bare)), none);
}

TEST(Messages, ExtensionBlockBelowMinimumRejected) {
  // ClientHello: TLS 1.3's extensions<8..2^16-1> is not applied before the version is
  // known (a TLS 1.2 hello may have an empty block, RFC 5246 7.4.1.2; as OpenSSL).
  Result<ClientHello> empty = ClientHello::parse(client_hello_body_with_extensions("0000"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->extensions.empty());
  Result<ClientHello> one = ClientHello::parse(client_hello_body_with_extensions("0004 0017 0000"));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->extensions.size(), 1u);
  EXPECT_TRUE(fails_with(ClientHello::parse(client_hello_body_with_extensions("0002 0017")),
                         kBadExtension));
  // ServerHello: a TLS 1.2 server may send an extension-less hello or an
  // empty block (RFC 5246 7.4.1.3); both parse to no extensions, while a
  // block too short for an extension header does not.
  ServerHello sh = sample_server_hello();
  sh.extensions = {{ext(ExtensionType::extended_master_secret), {}}};
  EXPECT_TRUE(ServerHello::parse(body_of(wire_of(sh))).ok());
  ByteVec empty_block = body_of_vec(sample_server_hello_without_extensions());
  empty_block.insert(empty_block.end(), {0x00, 0x00});
  auto parsed = ServerHello::parse(empty_block);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->extensions.empty());
  ByteVec short_block = body_of_vec(sample_server_hello_without_extensions());
  short_block.insert(short_block.end(), {0x00, 0x02, 0x00, 0x17});
  EXPECT_TRUE(fails_with(ServerHello::parse(short_block), kBadExtension));
  // CertificateRequest: Extension extensions<2..2^16-1>.
  CertificateRequest cr;
  EXPECT_TRUE(fails_with(CertificateRequest::parse(body_of(wire_of(cr))), kBadExtension));
}

TEST(Messages, NewSessionTicketExtensionBlockAtMost65534) {
  NewSessionTicket nst = sample_new_session_ticket();
  nst.extensions = {{0x1234, ByteVec(0xffff - 4, 0)}};  // block of exactly 2^16-1 bytes
  EXPECT_TRUE(fails_with(NewSessionTicket::parse(body_of(wire_of(nst))), kBadExtension));
  nst.extensions = {{0x1234, ByteVec(0xfffe - 4, 0)}};  // 2^16-2 is the limit
  EXPECT_TRUE(NewSessionTicket::parse(body_of(wire_of(nst))).ok());
}

TEST(Messages, EmptyCipherSuitesRejected) {
  // cipher_suites<2..2^16-2>; OpenSSL: illegal_parameter, SSL_R_NO_CIPHERS_SPECIFIED.
  ClientHello ch = sample_client_hello();
  ch.cipher_suites.clear();
  EXPECT_TRUE(fails_with(ClientHello::parse(body_of(wire_of(ch))),
                         Error{Alert::illegal_parameter, SSL_R_NO_CIPHERS_SPECIFIED}));
}

TEST(Messages, OddCipherSuiteLengthRejected) {
  // version, random, empty session id, cipher_suites of 3 bytes, compression, no extensions.
  ByteVec body = from_hex("0303" + std::string(64, '0') + "00 0003 130113 0100");
  EXPECT_TRUE(fails_with(ClientHello::parse(body), kDecodeError));
  // The same with 4 bytes parses.
  body = from_hex("0303" + std::string(64, '0') + "00 0004 13011302 0100");
  EXPECT_TRUE(ClientHello::parse(body).ok());
}

TEST(Messages, SessionIdOf33BytesRejected) {
  ClientHello ch = sample_client_hello();
  ch.legacy_session_id = ByteVec(33, 0x01);
  EXPECT_TRUE(fails_with(ClientHello::parse(body_of(wire_of(ch))), kDecodeError));
  ServerHello sh = sample_server_hello();
  sh.legacy_session_id_echo = ByteVec(33, 0x01);
  EXPECT_TRUE(fails_with(ServerHello::parse(body_of(wire_of(sh))), kDecodeError));
}

TEST(Messages, EmptyCompressionMethodsRejected) {
  ClientHello ch = sample_client_hello();
  ch.legacy_compression_methods.clear();
  EXPECT_TRUE(fails_with(ClientHello::parse(body_of(wire_of(ch))), kDecodeError));
}

TEST(Messages, KeyUpdateValue2Rejected) {
  const Error bad_key_update{Alert::illegal_parameter, SSL_R_BAD_KEY_UPDATE};
  EXPECT_TRUE(fails_with(KeyUpdate::parse(from_hex("02")), bad_key_update));
  EXPECT_TRUE(fails_with(KeyUpdate::parse(from_hex("ff")), bad_key_update));
  EXPECT_TRUE(fails_with(KeyUpdate::parse(from_hex("")), kDecodeError));
  EXPECT_TRUE(fails_with(KeyUpdate::parse(from_hex("0100")), kDecodeError));
}

TEST(Messages, FinishedOfWrongLengthRejected) {
  EXPECT_TRUE(fails_with(Finished::parse(ByteVec(31, 0), kSha256Len), kDecodeError));
  EXPECT_TRUE(fails_with(Finished::parse(ByteVec(33, 0), kSha256Len), kDecodeError));
  EXPECT_TRUE(fails_with(Finished::parse(ByteVec(32, 0), 48), kDecodeError));
  EXPECT_TRUE(Finished::parse(ByteVec(48, 0), 48).ok());
}

TEST(Messages, EmptyCertificateDataRejected) {
  // context<0>, certificate_list of one entry with cert_data<0> and no extensions.
  EXPECT_TRUE(fails_with(CertificateMsg::parse(from_hex("00 000005 000000 0000")), kDecodeError));
  EXPECT_TRUE(CertificateMsg::parse(from_hex("00 000006 000001 30 0000")).ok());
}

TEST(Messages, EmptyTicketRejected) {
  NewSessionTicket nst = sample_new_session_ticket();
  nst.ticket.clear();
  EXPECT_TRUE(fails_with(NewSessionTicket::parse(body_of(wire_of(nst))), kDecodeError));
}

// A field longer than its length prefix allows is an error the caller gets
// (and propagates: the handshake fails with internal_error), in every build:
// never a message whose length bytes are wrong.
TEST(Messages, SerializeRefusesAFieldLongerThanItsLengthPrefix) {
  const Error too_long{Alert::internal_error, SSL_R_LENGTH_TOO_LONG};
  ByteVec out;
  CertificateVerify cv;
  cv.algorithm = 0x0403;
  cv.signature = ByteVec(0x10000, 1);  // opaque signature<0..2^16-1>
  EXPECT_TRUE(fails_with(cv.serialize(out), too_long));
  cv.signature.resize(0xffff);
  EXPECT_TRUE(cv.serialize(out).ok());

  ClientHello ch;
  ch.cipher_suites = {0x1301};
  ch.legacy_compression_methods = {0};
  ch.legacy_session_id = ByteVec(256, 2);  // opaque legacy_session_id<0..32> in a vec8
  EXPECT_TRUE(fails_with(ch.serialize(out), too_long));

  // An extension body that outgrows the 16-bit extension length.
  EncryptedExtensions ee;
  ee.extensions.push_back({0x10, ByteVec(0x10000, 3)});
  EXPECT_TRUE(fails_with(ee.serialize(out), too_long));

  // A whole message over 2^24 - 1 bytes.
  CertificateMsg cert;
  cert.certificate_list.push_back({ByteVec(0xffffff, 4), {}});
  EXPECT_TRUE(fails_with(cert.serialize(out), too_long));
  EXPECT_TRUE(
      fails_with(write_handshake(out, HandshakeType::finished, ByteVec(0x1000000, 5)), too_long));
  EXPECT_TRUE(fails_with(encode_certificate_status(ByteVec(0x1000000, 6)), too_long));
}

TEST(Messages, HandshakeTypeNames) {
  EXPECT_STREQ(handshake_type_name(HandshakeType::client_hello), "client_hello");
  EXPECT_STREQ(handshake_type_name(HandshakeType::certificate_verify), "certificate_verify");
  EXPECT_STREQ(handshake_type_name(HandshakeType::message_hash), "message_hash");
  EXPECT_STREQ(handshake_type_name(static_cast<HandshakeType>(99)), "unknown");
}

TEST(Messages, FindExtension) {
  ClientHello ch = sample_client_hello();
  const Extension* ks = find_extension(ch.extensions, ExtensionType::key_share);
  ASSERT_NE(ks, nullptr);
  EXPECT_EQ(ks, &ch.extensions[3]);
  EXPECT_EQ(find_extension(ch.extensions, ExtensionType::cookie), nullptr);
}

}  // namespace
}  // namespace rapidtls::handshake
