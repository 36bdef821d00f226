// Extension body codecs (RFC 8446 4.2, RFC 6066 3, RFC 7301 3.1): round
// trips, truncation, real bytes from RFC 8448 and hostile inputs.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "handshake/extensions.h"
#include "handshake/messages.h"
#include "handshake_test_util.h"
#include "rfc8448_vectors.h"

namespace rapidtls::handshake {
namespace {

using testutil::fails_with;
using testutil::kBadExtension;
using testutil::with_trailing_byte;

const Error kPskCountMismatch{Alert::illegal_parameter, SSL_R_BAD_EXTENSION};
const Error kUnusableHostName{Alert::unrecognized_name, SSL_R_BAD_EXTENSION};

ByteVec bytes_of(std::string_view s) {
  Bytes b = as_bytes(s);
  return ByteVec(b.begin(), b.end());
}

// Parses an extension body and encodes the result again; fails as the parser does.
using Reencode = std::function<Result<ByteVec>(Bytes)>;

template <class T, class Encode>
Result<ByteVec> reencode(Result<T> parsed, Encode encode) {
  if (!parsed.ok()) return parsed.error();
  return encode(*parsed);
}

struct Codec {
  const char* name;
  ByteVec body;  // a valid body
  Reencode reencode;
};

OfferedPsks sample_psks() {
  OfferedPsks psks;
  psks.identities = {{ByteVec(16, 0x1d), 1000}, {ByteVec{0x42}, 0xffffffff}};
  psks.binders = {ByteVec(32, 0xb1), ByteVec(48, 0xb2)};
  return psks;
}

// One valid body per codec, with the parse-then-encode function.
std::vector<Codec> all_codecs() {
  return {
      {"server_name", encode_server_name_ch("www.example.com"),
       [](Bytes b) { return reencode(parse_server_name_ch(b), encode_server_name_ch); }},
      {"supported_versions_ch", encode_supported_versions_ch({kTls13, kTls12}),
       [](Bytes b) {
         return reencode(parse_supported_versions_ch(b), encode_supported_versions_ch);
       }},
      {"supported_versions_sh", encode_supported_versions_sh(kTls13),
       [](Bytes b) {
         return reencode(parse_supported_versions_sh(b), encode_supported_versions_sh);
       }},
      {"u16_list", encode_u16_list({0x001d, 0x0017, 0x0018}),
       [](Bytes b) { return reencode(parse_u16_list(b), encode_u16_list); }},
      {"key_share_ch", encode_key_share_ch({{0x001d, ByteVec(32, 1)}, {0x0017, ByteVec(65, 4)}}),
       [](Bytes b) { return reencode(parse_key_share_ch(b), encode_key_share_ch); }},
      {"key_share_sh", encode_key_share_sh({0x0017, ByteVec(65, 4)}),
       [](Bytes b) { return reencode(parse_key_share_sh(b), encode_key_share_sh); }},
      {"key_share_hrr", encode_key_share_hrr(0x0018),
       [](Bytes b) { return reencode(parse_key_share_hrr(b), encode_key_share_hrr); }},
      {"alpn", encode_alpn({bytes_of("h2"), bytes_of("http/1.1")}).value(),
       [](Bytes b) { return reencode(parse_alpn(b), encode_alpn); }},
      {"cookie", encode_cookie(ByteVec(50, 0xc0)),
       [](Bytes b) {
         return reencode(parse_cookie(b), [](const ByteVec& c) { return encode_cookie(c); });
       }},
      {"psk_key_exchange_modes", encode_psk_key_exchange_modes({0, 1}),
       [](Bytes b) {
         return reencode(parse_psk_key_exchange_modes(b), encode_psk_key_exchange_modes);
       }},
      {"pre_shared_key_ch", encode_pre_shared_key_ch(sample_psks()),
       [](Bytes b) { return reencode(parse_pre_shared_key_ch(b), encode_pre_shared_key_ch); }},
      {"pre_shared_key_sh", encode_pre_shared_key_sh(1),
       [](Bytes b) { return reencode(parse_pre_shared_key_sh(b), encode_pre_shared_key_sh); }},
      {"early_data_nst", encode_early_data_nst(0xffffffff),
       [](Bytes b) { return reencode(parse_early_data_nst(b), encode_early_data_nst); }},
  };
}

// --- Round trips and exact encodings ------------------------------------------------------

TEST(Extensions, EveryCodecRoundTrips) {
  for (const Codec& c : all_codecs()) {
    SCOPED_TRACE(c.name);
    Result<ByteVec> again = c.reencode(c.body);
    ASSERT_TRUE(again.ok()) << testutil::describe(again.error());
    EXPECT_EQ(to_hex(*again), to_hex(c.body));
  }
}

TEST(Extensions, NoStrictPrefixParses) {
  for (const Codec& c : all_codecs()) {
    SCOPED_TRACE(c.name);
    const Bytes body(c.body);
    for (size_t n = 0; n < body.size(); ++n) {
      EXPECT_TRUE(fails_with(c.reencode(body.first(n)), kBadExtension)) << "prefix " << n;
    }
  }
}

TEST(Extensions, TrailingByteRejected) {
  for (const Codec& c : all_codecs()) {
    SCOPED_TRACE(c.name);
    EXPECT_TRUE(fails_with(c.reencode(with_trailing_byte(c.body)), kBadExtension));
  }
}

TEST(Extensions, ServerNameRoundTrip) {
  ByteVec body = encode_server_name_ch("server");
  // ServerNameList length 9: host_name(0), HostName length 6, "server".
  EXPECT_EQ(to_hex(body), "0009000006736572766572");
  Result<std::string> host = parse_server_name_ch(body);
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(*host, "server");
}

TEST(Extensions, SupportedVersionsRoundTrip) {
  EXPECT_EQ(to_hex(encode_supported_versions_ch({kTls13, kTls12})), "0403040303");
  EXPECT_EQ(to_hex(encode_supported_versions_sh(kTls13)), "0304");
  Result<std::vector<uint16_t>> versions = parse_supported_versions_ch(from_hex("0403040303"));
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(*versions, (std::vector<uint16_t>{kTls13, kTls12}));
}

TEST(Extensions, U16ListRoundTrip) {
  EXPECT_EQ(to_hex(encode_u16_list({0x0804, 0x0403})), "000408040403");
  Result<std::vector<uint16_t>> list = parse_u16_list(from_hex("000408040403"));
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, (std::vector<uint16_t>{0x0804, 0x0403}));
}

TEST(Extensions, KeyShareRoundTrip) {
  EXPECT_EQ(to_hex(encode_key_share_ch({{0x001d, {0xaa, 0xbb}}})), "0006001d0002aabb");
  EXPECT_EQ(to_hex(encode_key_share_sh({0x001d, {0xaa, 0xbb}})), "001d0002aabb");
  EXPECT_EQ(to_hex(encode_key_share_hrr(0x0017)), "0017");
  // An empty client_shares vector asks for a HelloRetryRequest (RFC 8446 4.2.8).
  Result<std::vector<KeyShareEntry>> none = parse_key_share_ch(from_hex("0000"));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(to_hex(encode_key_share_ch({})), "0000");
}

TEST(Extensions, AlpnRoundTrip) {
  ByteVec body = encode_alpn({bytes_of("h2"), bytes_of("http/1.1")}).value();
  EXPECT_EQ(to_hex(body), "000c02683208687474702f312e31");
  // RFC 7301 3.1: ProtocolName<1..2^8-1>: a longer name cannot be encoded.
  EXPECT_TRUE(testutil::fails_with(encode_alpn({ByteVec(256, 'a')}),
                                   Error{Alert::internal_error, SSL_R_LENGTH_TOO_LONG}));
  Result<std::vector<ByteVec>> names = parse_alpn(body);
  ASSERT_TRUE(names.ok());
  ASSERT_EQ(names->size(), 2u);
  EXPECT_EQ((*names)[1], bytes_of("http/1.1"));
}

TEST(Extensions, CookieRoundTrip) {
  EXPECT_EQ(to_hex(encode_cookie(ByteVec{1, 2, 3})), "0003010203");
  Result<ByteVec> cookie = parse_cookie(from_hex("0003010203"));
  ASSERT_TRUE(cookie.ok());
  EXPECT_EQ(*cookie, (ByteVec{1, 2, 3}));
}

TEST(Extensions, PskKeyExchangeModesRoundTrip) {
  EXPECT_EQ(to_hex(encode_psk_key_exchange_modes({1})), "0101");
  Result<std::vector<uint8_t>> modes = parse_psk_key_exchange_modes(from_hex("020001"));
  ASSERT_TRUE(modes.ok());
  EXPECT_EQ(*modes, (std::vector<uint8_t>{0, 1}));
}

TEST(Extensions, PreSharedKeyRoundTrip) {
  OfferedPsks psks = sample_psks();
  ByteVec body = encode_pre_shared_key_ch(psks);
  Result<OfferedPsks> parsed = parse_pre_shared_key_ch(body);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->identities.size(), 2u);
  EXPECT_EQ(parsed->identities[0].identity, psks.identities[0].identity);
  EXPECT_EQ(parsed->identities[0].obfuscated_ticket_age, 1000u);
  EXPECT_EQ(parsed->identities[1].obfuscated_ticket_age, 0xffffffffu);
  EXPECT_EQ(parsed->binders, psks.binders);
  // u16 length + (1 + 32) + (1 + 48).
  EXPECT_EQ(parsed->binders_block_size, 2u + 33 + 49);
  EXPECT_EQ(to_hex(encode_pre_shared_key_sh(3)), "0003");
}

TEST(Extensions, EarlyDataAndEmptyBodies) {
  EXPECT_EQ(to_hex(encode_early_data_nst(16384)), "00004000");
  Result<uint32_t> max = parse_early_data_nst(from_hex("00004000"));
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(*max, 16384u);
  EXPECT_TRUE(expect_empty({}).ok());
  Status not_empty = expect_empty(from_hex("00"));
  ASSERT_FALSE(not_empty.ok());
  EXPECT_EQ(not_empty.error(), kBadExtension);
}

// --- Real bytes ---------------------------------------------------------------------------

TEST(Extensions, Rfc8448_S4_PreSharedKeyParses) {
  const ByteVec wire = from_hex(testvec::kRfc8448S4ClientHello);
  ASSERT_EQ(wire.size(), 512u);
  Result<ClientHello> ch = ClientHello::parse(testutil::body_of(wire));
  ASSERT_TRUE(ch.ok()) << testutil::describe(ch.error());
  // RFC 8446 4.2.11: pre_shared_key must be the last extension.
  ASSERT_FALSE(ch->extensions.empty());
  const Extension& psk_ext = ch->extensions.back();
  EXPECT_EQ(psk_ext.type, static_cast<uint16_t>(ExtensionType::pre_shared_key));
  Result<OfferedPsks> psks = parse_pre_shared_key_ch(psk_ext.body);
  ASSERT_TRUE(psks.ok()) << testutil::describe(psks.error());
  ASSERT_EQ(psks->identities.size(), 1u);
  EXPECT_EQ(psks->identities[0].identity.size(), 178u);
  EXPECT_EQ(psks->identities[0].obfuscated_ticket_age, 0xfad6aacbu);
  ASSERT_EQ(psks->binders.size(), 1u);
  EXPECT_EQ(to_hex(psks->binders[0]),
            "3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d");
  EXPECT_EQ(psks->binders_block_size, 35u);
  // The binders block is the tail of the message: the truncated ClientHello
  // (RFC 8446 4.2.11.2) is everything before it.
  const Bytes tail = Bytes(wire).last(psks->binders_block_size);
  EXPECT_EQ(to_hex(tail.first(3)), "002120");
  EXPECT_EQ(encode_pre_shared_key_ch(*psks), psk_ext.body);
  // The ticket is the one of the section 3 NewSessionTicket.
  Result<NewSessionTicket> nst =
      NewSessionTicket::parse(testutil::body_of(from_hex(testvec::kRfc8448S3NewSessionTicket)));
  ASSERT_TRUE(nst.ok());
  EXPECT_EQ(psks->identities[0].identity, nst->ticket);
}

// --- Hostile inputs -----------------------------------------------------------------------

TEST(Extensions, KeyShareDuplicateGroupKept) {
  // RFC 8446 4.2.8: servers MAY check; OpenSSL does not, and takes the first.
  ByteVec body = encode_key_share_ch(
      {{0x001d, ByteVec(32, 1)}, {0x0017, ByteVec(65, 4)}, {0x001d, ByteVec(32, 2)}});
  Result<std::vector<KeyShareEntry>> shares = parse_key_share_ch(body);
  ASSERT_TRUE(shares.ok());
  ASSERT_EQ(shares->size(), 3u);
  EXPECT_EQ((*shares)[0].key_exchange, ByteVec(32, 1));
  EXPECT_EQ((*shares)[2].key_exchange, ByteVec(32, 2));
}

TEST(Extensions, KeyShareBadLengthsRejected) {
  // key_exchange<1..2^16-1>: empty is malformed.
  EXPECT_TRUE(fails_with(parse_key_share_ch(from_hex("0004 001d 0000")), kBadExtension));
  EXPECT_TRUE(fails_with(parse_key_share_sh(from_hex("001d 0000")), kBadExtension));
  // The entry claims 3 key bytes, the list holds 2.
  EXPECT_TRUE(fails_with(parse_key_share_ch(from_hex("0006 001d 0003 aabb")), kBadExtension));
  // The list length is longer than the body.
  EXPECT_TRUE(fails_with(parse_key_share_ch(from_hex("0007 001d 0002 aabb")), kBadExtension));
  // HelloRetryRequest: exactly one NamedGroup.
  EXPECT_TRUE(fails_with(parse_key_share_hrr(from_hex("001d00")), kBadExtension));
}

TEST(Extensions, PreSharedKeyCountMismatchRejected) {
  OfferedPsks psks = sample_psks();
  psks.binders.pop_back();
  EXPECT_TRUE(
      fails_with(parse_pre_shared_key_ch(encode_pre_shared_key_ch(psks)), kPskCountMismatch));
  psks = sample_psks();
  psks.binders.push_back(ByteVec(32, 0xb3));
  EXPECT_TRUE(
      fails_with(parse_pre_shared_key_ch(encode_pre_shared_key_ch(psks)), kPskCountMismatch));
}

TEST(Extensions, PreSharedKeyBinderShorterThan32Rejected) {
  OfferedPsks psks = sample_psks();
  psks.binders[1] = ByteVec(31, 0xb2);
  EXPECT_TRUE(fails_with(parse_pre_shared_key_ch(encode_pre_shared_key_ch(psks)), kBadExtension));
  psks.binders[1] = ByteVec(255, 0xb2);  // the longest binder is fine
  EXPECT_TRUE(parse_pre_shared_key_ch(encode_pre_shared_key_ch(psks)).ok());
}

TEST(Extensions, PreSharedKeyEmptyListsRejected) {
  OfferedPsks psks;
  EXPECT_TRUE(fails_with(parse_pre_shared_key_ch(encode_pre_shared_key_ch(psks)), kBadExtension));
  psks = sample_psks();
  psks.identities[0].identity.clear();  // identity<1..2^16-1>
  EXPECT_TRUE(fails_with(parse_pre_shared_key_ch(encode_pre_shared_key_ch(psks)), kBadExtension));
}

TEST(Extensions, ServerNameHostileInputs) {
  // A host name with a NUL byte, and one of 256 bytes.
  EXPECT_TRUE(fails_with(parse_server_name_ch(encode_server_name_ch(std::string("a\0b", 3))),
                         kUnusableHostName));
  EXPECT_TRUE(fails_with(parse_server_name_ch(encode_server_name_ch(std::string(256, 'a'))),
                         kUnusableHostName));
  Result<std::string> longest = parse_server_name_ch(encode_server_name_ch(std::string(255, 'a')));
  ASSERT_TRUE(longest.ok());
  EXPECT_EQ(longest->size(), 255u);
  // Empty list; empty HostName; HostName longer than the list.
  EXPECT_TRUE(fails_with(parse_server_name_ch(from_hex("0000")), kBadExtension));
  EXPECT_TRUE(fails_with(parse_server_name_ch(from_hex("0003 00 0000")), kBadExtension));
  EXPECT_TRUE(fails_with(parse_server_name_ch(from_hex("0005 00 0003 6162")), kBadExtension));
  // Two host_name entries (RFC 6066 3).
  EXPECT_TRUE(
      fails_with(parse_server_name_ch(from_hex("000a 00 0002 6162 00 0002 6364")), kBadExtension));
  // An entry of another name type, alone or after the host name (OpenSSL: the list is
  // exactly one host_name; HostileTables "server_name unknown name type").
  EXPECT_TRUE(fails_with(parse_server_name_ch(from_hex("0005 01 0002 6162")), kBadExtension));
  EXPECT_TRUE(
      fails_with(parse_server_name_ch(from_hex("000a 00 0002 6162 01 0002 6364")), kBadExtension));
}

TEST(Extensions, VersionAndListBadLengthsRejected) {
  // supported_versions CH: versions<2..254>, even.
  EXPECT_TRUE(fails_with(parse_supported_versions_ch(from_hex("00")), kBadExtension));
  EXPECT_TRUE(fails_with(parse_supported_versions_ch(from_hex("03 030403")), kBadExtension));
  EXPECT_TRUE(fails_with(parse_supported_versions_ch(from_hex("04 0304")), kBadExtension));
  EXPECT_TRUE(fails_with(parse_supported_versions_sh(from_hex("03")), kBadExtension));
  // supported_groups / signature_algorithms: non-empty, even.
  EXPECT_TRUE(fails_with(parse_u16_list(from_hex("0000")), kBadExtension));
  EXPECT_TRUE(fails_with(parse_u16_list(from_hex("0003 001d00")), kBadExtension));
  EXPECT_TRUE(fails_with(parse_u16_list(from_hex("0002 001d 00")), kBadExtension));
}

TEST(Extensions, AlpnCookieModesBadLengthsRejected) {
  EXPECT_TRUE(fails_with(parse_alpn(from_hex("0000")), kBadExtension));
  EXPECT_TRUE(fails_with(parse_alpn(from_hex("0001 00")), kBadExtension));          // empty name
  EXPECT_TRUE(fails_with(parse_alpn(from_hex("0004 02 6832 00")), kBadExtension));  // empty name
  EXPECT_TRUE(fails_with(parse_alpn(from_hex("0003 03 6832")), kBadExtension));     // overrun
  EXPECT_TRUE(fails_with(parse_cookie(from_hex("0000")), kBadExtension));           // cookie<1..>
  EXPECT_TRUE(fails_with(parse_psk_key_exchange_modes(from_hex("00")), kBadExtension));
  EXPECT_TRUE(fails_with(parse_early_data_nst(from_hex("000040")), kBadExtension));
  EXPECT_TRUE(fails_with(parse_pre_shared_key_sh(from_hex("000100")), kBadExtension));
}

}  // namespace
}  // namespace rapidtls::handshake
