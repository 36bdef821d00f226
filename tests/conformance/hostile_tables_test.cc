// Table-driven hostile hellos (issue 17, "Go further"): ClientHellos and the records that
// carry them, built byte by byte from RFC 8446, 5246, 8422, 7627, 5746, 6066 and 8449,
// fed to a server over memory BIOs; one row per case: a name, the bytes, what the server
// answers. The expectations hold for OpenSSL's libssl (the oracle) and rapidtls alike;
// where rapidtls deliberately answers otherwise the row says so in its last column (see
// README.md, "Protocol conformance").
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <algorithm>
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

// What a peer did with the bytes, besides an alert (>= 0) in the clear.
constexpr int kNothing = -1;         // no alert, no hello: it waits for more
constexpr int kServerHello = -2;     // answered with a ServerHello and went on waiting
constexpr int kHelloRetry = -3;      // answered with a HelloRetryRequest
constexpr int kFailedLater = -4;     // a hello, then a fatal error whose alert is protected
constexpr int kFailedSilently = -5;  // a fatal error, no alert sent
constexpr int kSame = -100;          // rapidtls column: as OpenSSL

std::string OutcomeName(int o) {
  switch (o) {
    case kNothing:
      return "nothing";
    case kServerHello:
      return "ServerHello";
    case kHelloRetry:
      return "HelloRetryRequest";
    case kFailedLater:
      return "hello, then a protected alert";
    case kFailedSilently:
      return "fatal error, no alert";
    default:
      return "alert " + std::to_string(o);
  }
}

// RFC 8446 4.1.3: the random of a HelloRetryRequest, SHA-256("HelloRetryRequest").
const Bytes kHrrRandom = {0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
                          0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
                          0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

// ---------------------------------------------------------------------------------------
// A ClientHello as its parts, each with its own length prefix, so that a row can break
// any one of them (RFC 8446 4.1.2, RFC 5246 7.4.1.2).

struct Ch {
  uint16_t record_version = 0x0301;
  size_t max_fragment = 16384;
  uint8_t msg_type = kClientHelloType;
  Bytes version = U16s({0x0303});
  Bytes random = Bytes(32, 0x11);
  Bytes session_id = V8(Bytes(32, 0x22));
  Bytes suites;
  Bytes compression = V8({0});
  std::vector<Ext> exts;
  std::optional<Bytes> raw_extensions;  // replaces the block made of `exts`
  bool no_extensions = false;           // a hello that ends after the compression methods
  Bytes trailing;                       // after the extension block, inside the message

  Bytes Body() const {
    Bytes b = Cat({version, random, session_id, suites, compression});
    if (raw_extensions) {
      Append(b, *raw_extensions);
    } else if (!no_extensions) {
      Append(b, ExtensionsBlock(exts));
    }
    Append(b, trailing);
    return b;
  }
  Bytes Msg() const { return HandshakeMsg(msg_type, Body()); }
  Bytes Wire() const { return InRecords(kHandshake, record_version, Msg(), max_fragment); }

  Ext* find(uint16_t type) {
    for (Ext& e : exts) {
      if (e.type == type) return &e;
    }
    return nullptr;
  }
};

// RFC 7748 4.1: u = 9, the base point, is a valid X25519 public key.
Bytes X25519Share() {
  Bytes b = {9};
  b.resize(32, 0);
  return b;
}
Bytes KeyShareEntry(uint16_t group, const Bytes& key) {
  Bytes b;
  Put16(b, group);
  Append(b, V16(key));
  return b;
}
// RFC 6066 3: a ServerNameList with one host_name.
Bytes HostName(const Bytes& name) {
  return V16(Cat({{0}, V16(name)}));
}
Bytes Ascii(const char* s) {
  return Bytes(s, s + std::char_traits<char>::length(s));
}

// A TLS 1.3 ClientHello as clients send it (and the server's P-256 ECDSA certificate
// accepts): one X25519 share.
Ch Base13() {
  Ch c;
  c.suites = U16List({0x1301, 0x1302, 0x1303});
  c.exts = {
      {kServerName, HostName(Ascii("localhost"))},
      {kSupportedVersions, V8(U16s({0x0304}))},
      {kSupportedGroups, U16List({0x001d, 0x0017})},
      {kSignatureAlgorithms, U16List({0x0403, 0x0804, 0x0401})},
      {kKeyShare, V16(KeyShareEntry(0x001d, X25519Share()))},
      {kPskKeyExchangeModes, V8({1})},
  };
  return c;
}

// A TLS 1.2 ClientHello: ECDHE with AES-GCM, and the extensions of RFC 8422, 7627, 5746.
Ch Base12() {
  Ch c;
  c.suites = U16List({0xc02b, 0xc02f});
  c.exts = {
      {kServerName, HostName(Ascii("localhost"))},
      {kSupportedGroups, U16List({0x0017, 0x001d})},
      {kEcPointFormats, V8({0})},
      {kSignatureAlgorithms, U16List({0x0403, 0x0804, 0x0401})},
      {kExtendedMasterSecret, {}},
      {kRenegotiationInfo, V8({})},
  };
  return c;
}

using Edit = std::function<void(Ch&)>;
using Builder = std::function<Bytes()>;

// The hello of `base` with `edit` applied, in records.
Builder Hello(Ch (*base)(), Edit edit) {
  return [base, edit] {
    Ch c = base();
    edit(c);
    return c.Wire();
  };
}
Builder H13(Edit edit) {
  return Hello(Base13, std::move(edit));
}
Builder H12(Edit edit) {
  return Hello(Base12, std::move(edit));
}
// The extension `type` gets `body` (added at the end if the hello had none).
Edit Set(uint16_t type, Bytes body) {
  return [type, body](Ch& c) {
    if (Ext* e = c.find(type)) {
      e->body = body;
    } else {
      c.exts.push_back({type, body});
    }
  };
}
Edit Add(uint16_t type, Bytes body) {
  return [type, body](Ch& c) { c.exts.push_back({type, body}); };
}
Edit Drop(uint16_t type) {
  return [type](Ch& c) { std::erase_if(c.exts, [type](const Ext& e) { return e.type == type; }); };
}
// The extension twice, the copy right after it.
Edit Dup(uint16_t type) {
  return [type](Ch& c) {
    for (size_t i = 0; i < c.exts.size(); ++i) {
      if (c.exts[i].type == type) {
        c.exts.insert(c.exts.begin() + static_cast<std::ptrdiff_t>(i) + 1, c.exts[i]);
        return;
      }
    }
    ADD_FAILURE() << "no extension " << type << " to duplicate";
  };
}
// The extension moved to the front of the block.
Edit First(uint16_t type) {
  return [type](Ch& c) {
    std::stable_partition(c.exts.begin(), c.exts.end(),
                          [type](const Ext& e) { return e.type == type; });
  };
}
// The extension's body with one byte more (a trailing byte) or with its last byte cut
// (the inner length then overruns).
Edit Trailing(uint16_t type) {
  return [type](Ch& c) { c.find(type)->body.push_back(0); };
}
Edit Cut(uint16_t type) {
  return [type](Ch& c) { c.find(type)->body.pop_back(); };
}
Edit Then(Edit a, Edit b) {
  return [a, b](Ch& c) {
    a(c);
    b(c);
  };
}
// Empty extensions for every unassigned id in [first, last], skipping the ids OpenSSL
// or rapidtls know (none in the ranges the rows use are assigned by IANA except those).
Edit Unknown(uint16_t first, uint16_t last) {
  return [first, last](Ch& c) {
    for (uint32_t id = first; id <= last; ++id) {
      if (id == 0x3374 || id == 0x4469 || id == 0xfe0d || id == 0xff01) continue;
      c.exts.push_back({static_cast<uint16_t>(id), {}});
    }
  };
}
// Raw extension block bytes: the extensions of the base, then `tail` inside the block,
// with the block's length adjusted by `delta`.
Edit RawBlock(Bytes tail, int delta) {
  return [tail, delta](Ch& c) {
    Bytes block = ExtensionsBlock(c.exts);
    Append(block, tail);
    const size_t len = block.size() - 2 + static_cast<size_t>(delta);
    block[0] = static_cast<uint8_t>(len >> 8);
    block[1] = static_cast<uint8_t>(len);
    c.raw_extensions = block;
  };
}

// Records around the hello: `before`, the hello cut at `split` (0: whole), `between` in
// the cut, `after`.
Builder Around(Ch (*base)(), Bytes before, size_t split, Bytes between, Bytes after) {
  return [=] {
    const Ch c = base();
    const Bytes msg = c.Msg();
    Bytes out = before;
    if (split == 0) {
      Append(out, c.Wire());
    } else {
      Append(out, Record(kHandshake, 0x0301, Bytes(msg.begin(), msg.begin() + split)));
      Append(out, between);
      Append(out, Record(kHandshake, 0x0301, Bytes(msg.begin() + split, msg.end())));
    }
    Append(out, after);
    return out;
  };
}
Builder Raw(Bytes bytes) {
  return [bytes] { return bytes; };
}

const Bytes kCcs = Record(kChangeCipherSpec, 0x0303, {1});
const Bytes kWarningAlert = Record(kAlert, 0x0303, {1, 0});  // warning close_notify
const Bytes kAppRecord = Record(kAppData, 0x0303, {'x'});
const Bytes kEmptyHandshake = Record(kHandshake, 0x0303, {});

struct Row {
  const char* name;
  Builder build;
  int expect;            // OpenSSL's answer (and rapidtls's unless the next is set)
  int rapidtls = kSame;  // a deliberate difference (README.md)
};

// Runs `in` through a server of `ctx`: the first alert in the clear, else whether it sent
// a ServerHello or HelloRetryRequest, and whether it failed after it.
int ServeOutcome(SSL_CTX* ctx, const Bytes& in) {
  SslPtr s(SSL_new(ctx));
  BIO* rb = BIO_new(BIO_s_mem());
  BIO* wb = BIO_new(BIO_s_mem());
  BIO_write(rb, in.data(), static_cast<int>(in.size()));
  SSL_set_bio(s.get(), rb, wb);
  SSL_set_accept_state(s.get());
  const bool failed = HandshakeFails(s.get());
  const Answer a = Parse(DrainBio(wb));
  if (a.alert >= 0) return a.alert;
  const Message* sh = a.find(kServerHelloType);
  if (sh == nullptr) return failed ? kFailedSilently : kNothing;
  if (failed) return kFailedLater;
  const bool hrr =
      sh->body.size() >= 34 && Bytes(sh->body.begin() + 2, sh->body.begin() + 34) == kHrrRandom;
  return hrr ? kHelloRetry : kServerHello;
}

CtxPtr PinnedServerCtx(int min_version, int max_version) {
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), min_version);
  SSL_CTX_set_max_proto_version(ctx.get(), max_version);
  UseTestIdentity(ctx.get());
  return ctx;
}

void RunServerRows(int min_version, int max_version, const std::vector<Row>& rows) {
  CtxPtr ctx = PinnedServerCtx(min_version, max_version);
  for (const Row& row : rows) {
    const int want = kOracle || row.rapidtls == kSame ? row.expect : row.rapidtls;
    const int got = ServeOutcome(ctx.get(), row.build());
    EXPECT_EQ(OutcomeName(got), OutcomeName(want)) << row.name;
    if (getenv("HOSTILE_TABLES_DUMP") != nullptr) {
      printf("ROW %s | %s | want %s\n", row.name, OutcomeName(got).c_str(),
             OutcomeName(want).c_str());
    }
  }
}

// ---------------------------------------------------------------------------------------
// TLS 1.3 server.

const std::vector<Row>& Tls13ServerRows() {
  static const std::vector<Row> rows = {
      // The hello as clients send it, and its legacy fields (RFC 8446 4.1.2, D.5).
      {"baseline", H13([](Ch&) {}), kServerHello},
      {"legacy_version 0x0304", H13([](Ch& c) { c.version = U16s({0x0304}); }), kServerHello},
      {"legacy_version 0x0301", H13([](Ch& c) { c.version = U16s({0x0301}); }), kServerHello},
      {"legacy_version 0xffff", H13([](Ch& c) { c.version = U16s({0xffff}); }), kServerHello},
      {"session id empty", H13([](Ch& c) { c.session_id = V8({}); }), kServerHello},
      {"session id 1 byte", H13([](Ch& c) { c.session_id = V8({7}); }), kServerHello},
      {"session id 33 bytes", H13([](Ch& c) { c.session_id = V8(Bytes(33, 1)); }), kDecodeError},
      {"session id 255 bytes", H13([](Ch& c) { c.session_id = V8(Bytes(255, 1)); }),
       kDecodeError},
      {"compression {1}", H13([](Ch& c) { c.compression = V8({1}); }), kDecodeError, kIllegalParameter},
      {"compression {0,1}", H13([](Ch& c) { c.compression = V8({0, 1}); }), kIllegalParameter},
      {"compression {1,0}", H13([](Ch& c) { c.compression = V8({1, 0}); }), kIllegalParameter},
      {"compression empty", H13([](Ch& c) { c.compression = V8({}); }), kDecodeError},
      {"suites odd length", H13([](Ch& c) { c.suites = V16({0x13, 0x01, 0x13}); }),
       kDecodeError},
      {"suites empty", H13([](Ch& c) { c.suites = V16({}); }), kIllegalParameter},
      {"suites unknown only", H13([](Ch& c) { c.suites = U16List({0x0a0a, 0x1234}); }),
       kHandshakeFailure},
      {"suites TLS 1.2 only", H13([](Ch& c) { c.suites = U16List({0xc02b, 0xc02f}); }),
       kHandshakeFailure},
      {"suites with renegotiation SCSV", H13([](Ch& c) { c.suites = U16List({0x00ff, 0x1301}); }),
       kServerHello},
      {"suites with fallback SCSV at the highest version",
       H13([](Ch& c) { c.suites = U16List({0x1301, 0x5600}); }), kServerHello},
      {"suites with GREASE", H13([](Ch& c) { c.suites = U16List({0x7a7a, 0x1301}); }),
       kServerHello},
      {"suite length overruns the message", H13([](Ch& c) {
         c.suites = Cat({U16s({0x0100}), U16s({0x1301})});
       }),
       kDecodeError},
      {"no extension block", H13([](Ch& c) { c.no_extensions = true; }), kProtocolVersion},
      {"extension block empty", H13([](Ch& c) { c.exts.clear(); }), kProtocolVersion},
      {"extension block overruns", H13(RawBlock({}, 1)), kDecodeError},
      {"extension block underruns", H13(RawBlock({}, -1)), kDecodeError},
      {"extension length overruns the block", H13(RawBlock({0x0a, 0x0a, 0x00, 0x05, 0}, 0)),
       kDecodeError},
      {"extension header cut", H13(RawBlock({0x0a}, 0)), kDecodeError},
      {"byte after the extension block", H13([](Ch& c) { c.trailing = {0}; }), kDecodeError},
      {"random cut", H13([](Ch& c) {
         c.random.resize(20);
         c.session_id.clear();
         c.suites.clear();
         c.compression.clear();
         c.no_extensions = true;
       }),
       kDecodeError},
      {"message empty", Raw(Record(kHandshake, 0x0301, HandshakeMsg(1, {}))), kDecodeError},
      {"message type server_hello",
       H13([](Ch& c) { c.msg_type = kServerHelloType; }), kUnexpectedMessage},
      {"message type finished", H13([](Ch& c) { c.msg_type = kFinishedType; }),
       kUnexpectedMessage},
      {"message type 99", H13([](Ch& c) { c.msg_type = 99; }), kUnexpectedMessage},

      // supported_versions (RFC 8446 4.2.1).
      {"supported_versions empty body", H13(Set(kSupportedVersions, {})), kProtocolVersion, kDecodeError},
      {"supported_versions empty list", H13(Set(kSupportedVersions, {0})), kProtocolVersion, kDecodeError},
      {"supported_versions odd list", H13(Set(kSupportedVersions, {3, 3, 4, 3})), kProtocolVersion, kDecodeError},
      {"supported_versions list overruns", H13(Set(kSupportedVersions, {4, 3, 4})), kProtocolVersion, kDecodeError},
      {"supported_versions trailing byte", H13(Trailing(kSupportedVersions)), kProtocolVersion, kDecodeError},
      {"supported_versions 1.2 only", H13(Set(kSupportedVersions, V8(U16s({0x0303})))),
       kProtocolVersion},
      {"supported_versions unknown only",
       H13(Set(kSupportedVersions, V8(U16s({0x0305, 0x7f1c})))), kProtocolVersion},
      {"supported_versions GREASE first",
       H13(Set(kSupportedVersions, V8(U16s({0x2a2a, 0x0304})))), kServerHello},
      {"supported_versions 1.3 twice", H13(Set(kSupportedVersions, V8(U16s({0x0304, 0x0304})))),
       kServerHello},
      {"supported_versions 127 versions", H13([](Ch& c) {
         Bytes list;
         for (int i = 0; i < 126; ++i) Put16(list, 0x0a0a + 0x1010 * (i % 15));
         Put16(list, 0x0304);
         c.find(kSupportedVersions)->body = V8(list);
       }),
       kServerHello},
      {"supported_versions duplicated", H13(Dup(kSupportedVersions)), kIllegalParameter},

      // supported_groups (4.2.7) and key_share (4.2.8).
      {"supported_groups empty body", H13(Set(kSupportedGroups, {})), kDecodeError},
      {"supported_groups empty list", H13(Set(kSupportedGroups, V16({}))), kDecodeError},
      {"supported_groups odd list", H13(Set(kSupportedGroups, V16({0, 0x1d, 0}))),
       kDecodeError},
      {"supported_groups list overruns", H13(Cut(kSupportedGroups)), kDecodeError},
      {"supported_groups trailing byte", H13(Trailing(kSupportedGroups)), kDecodeError},
      {"supported_groups duplicated", H13(Dup(kSupportedGroups)), kIllegalParameter},
      {"supported_groups missing", H13(Drop(kSupportedGroups)), kMissingExtension},
      {"supported_groups with unknown and FFDHE first",
       H13(Set(kSupportedGroups, U16List({0x0a0a, 0x0100, 0x001d}))), kServerHello},
      {"share for a group not in supported_groups",
       H13(Set(kSupportedGroups, U16List({0x0017}))), kIllegalParameter},
      {"supported_groups unknown only, no share", H13(Then(
           Set(kSupportedGroups, U16List({0x0a0a, 0x1234})), Set(kKeyShare, V16({})))),
       kHandshakeFailure},
      {"key_share empty body", H13(Set(kKeyShare, {})), kDecodeError},
      {"key_share empty list", H13(Set(kKeyShare, V16({}))), kHelloRetry},
      {"key_share list overruns", H13(Cut(kKeyShare)), kDecodeError},
      {"key_share trailing byte", H13(Trailing(kKeyShare)), kDecodeError},
      {"key_share entry without key", H13(Set(kKeyShare, V16(KeyShareEntry(0x001d, {})))),
       kDecodeError},
      {"key_share X25519 of 31 bytes",
       H13(Set(kKeyShare, V16(KeyShareEntry(0x001d, Bytes(31, 9))))), kIllegalParameter},
      {"key_share X25519 of 33 bytes",
       H13(Set(kKeyShare, V16(KeyShareEntry(0x001d, Bytes(33, 9))))), kIllegalParameter},
      {"key_share P-256 not on the curve", H13(Set(kKeyShare, V16(KeyShareEntry(0x0017, [] {
                                                 Bytes p(65, 1);
                                                 p[0] = 4;
                                                 return p;
                                               }())))),
       kIllegalParameter},
      {"key_share P-256 compressed", H13(Set(kKeyShare, V16(KeyShareEntry(0x0017, [] {
                                           Bytes p(33, 1);
                                           p[0] = 2;
                                           return p;
                                         }())))),
       kIllegalParameter},
      {"key_share same group twice", H13(Set(kKeyShare, V16(Cat({
                                                               KeyShareEntry(0x001d, X25519Share()),
                                                               KeyShareEntry(0x001d, X25519Share()),
                                                           })))), kServerHello},
      {"key_share unknown group first", H13(Then(
           Set(kSupportedGroups, U16List({0x1234, 0x001d})),
           Set(kKeyShare, V16(Cat({KeyShareEntry(0x1234, {1, 2, 3}),
                                   KeyShareEntry(0x001d, X25519Share())}))))),
       kServerHello},
      {"key_share for an unknown group only", H13(Then(
           Set(kSupportedGroups, U16List({0x1234, 0x001d})),
           Set(kKeyShare, V16(KeyShareEntry(0x1234, {1, 2, 3}))))),
       kHelloRetry},
      {"key_share duplicated", H13(Dup(kKeyShare)), kIllegalParameter},
      {"key_share missing", H13(Drop(kKeyShare)), kMissingExtension},

      // signature_algorithms (4.2.3).
      {"signature_algorithms empty body", H13(Set(kSignatureAlgorithms, {})), kDecodeError},
      {"signature_algorithms empty list", H13(Set(kSignatureAlgorithms, V16({}))),
       kDecodeError},
      {"signature_algorithms odd list", H13(Set(kSignatureAlgorithms, V16({4, 3, 8}))),
       kDecodeError},
      {"signature_algorithms list overruns", H13(Cut(kSignatureAlgorithms)), kDecodeError},
      {"signature_algorithms trailing byte", H13(Trailing(kSignatureAlgorithms)),
       kDecodeError},
      {"signature_algorithms unknown only", H13(Set(kSignatureAlgorithms, U16List({0x0101}))),
       kHandshakeFailure},
      {"signature_algorithms none for the key",
       H13(Set(kSignatureAlgorithms, U16List({0x0401, 0x0804}))), kHandshakeFailure},
      {"signature_algorithms duplicated", H13(Dup(kSignatureAlgorithms)), kIllegalParameter},
      {"signature_algorithms missing", H13(Drop(kSignatureAlgorithms)), kMissingExtension},
      {"signature_algorithms_cert empty list", H13(Add(kSignatureAlgorithmsCert, V16({}))),
       kDecodeError},
      {"signature_algorithms_cert trailing byte",
       H13(Add(kSignatureAlgorithmsCert, Cat({U16List({0x0403}), {0}}))), kDecodeError},

      // server_name (RFC 6066 3).
      {"server_name empty body", H13(Set(kServerName, {})), kDecodeError},
      {"server_name empty list", H13(Set(kServerName, V16({}))), kDecodeError},
      {"server_name empty name", H13(Set(kServerName, HostName({}))), kServerHello, kDecodeError},
      {"server_name name overruns", H13(Cut(kServerName)), kDecodeError},
      {"server_name trailing byte", H13(Trailing(kServerName)), kDecodeError},
      {"server_name two host names", H13(Set(kServerName, V16(Cat({
                                                            {0}, V16(Ascii("a")), {0},
                                                            V16(Ascii("b"))})))),
       kDecodeError},
      {"server_name unknown name type", H13(Set(kServerName, V16(Cat({{7}, V16(Ascii("a"))})))),
       kDecodeError},
      {"server_name with NUL", H13(Set(kServerName, HostName({'a', 0, 'b'}))),
       kUnrecognizedName},
      {"server_name of 256 bytes", H13(Set(kServerName, HostName(Bytes(256, 'a')))),
       kUnrecognizedName},
      {"server_name duplicated", H13(Dup(kServerName)), kIllegalParameter},

      // application_layer_protocol_negotiation (RFC 7301 3.1): the server has none.
      {"alpn empty body", H13(Add(kAlpn, {})), kDecodeError},
      {"alpn empty list", H13(Add(kAlpn, V16({}))), kDecodeError},
      {"alpn empty name", H13(Add(kAlpn, V16({0}))), kDecodeError},
      {"alpn name overruns", H13(Add(kAlpn, V16({3, 'h', '2'}))), kDecodeError},
      {"alpn trailing byte", H13(Add(kAlpn, Cat({V16(V8(Ascii("h2"))), {0}}))), kDecodeError},
      {"alpn well formed", H13(Add(kAlpn, V16(V8(Ascii("h2"))))), kServerHello},
      {"alpn duplicated", H13(Then(Add(kAlpn, V16(V8(Ascii("h2")))), Dup(kAlpn))),
       kIllegalParameter},

      // psk_key_exchange_modes (4.2.9), pre_shared_key (4.2.11), early_data (4.2.10),
      // cookie (4.2.2), post_handshake_auth (4.2.6).
      {"psk_key_exchange_modes empty body", H13(Set(kPskKeyExchangeModes, {})), kDecodeError},
      {"psk_key_exchange_modes empty list", H13(Set(kPskKeyExchangeModes, V8({}))),
       kDecodeError},
      {"psk_key_exchange_modes unknown mode", H13(Set(kPskKeyExchangeModes, V8({7}))),
       kServerHello},
      {"psk_key_exchange_modes duplicated", H13(Dup(kPskKeyExchangeModes)), kIllegalParameter},
      {"pre_shared_key unknown ticket", H13(Add(kPreSharedKey, Cat({
                                                                   V16(Cat({V16({1, 2, 3}),
                                                                            {0, 0, 0, 0}})),
                                                                   V16(V8(Bytes(32, 5))),
                                                               }))),
       kServerHello},
      {"pre_shared_key not last", H13(Then(Add(kPreSharedKey, Cat({
                                                                 V16(Cat({V16({1, 2, 3}),
                                                                          {0, 0, 0, 0}})),
                                                                 V16(V8(Bytes(32, 5))),
                                                             })),
                                           First(kPreSharedKey))),
       kIllegalParameter},
      {"pre_shared_key empty body", H13(Add(kPreSharedKey, {})), kDecodeError},
      {"pre_shared_key binder of 31 bytes", H13(Add(kPreSharedKey, Cat({
                                                                       V16(Cat({V16({1, 2, 3}),
                                                                                {0, 0, 0, 0}})),
                                                                       V16(V8(Bytes(31, 5))),
                                                                   }))), kServerHello, kDecodeError},
      {"early_data with a body", H13(Add(kEarlyData, {0})), kDecodeError},
      {"early_data without a PSK", H13(Add(kEarlyData, {})), kServerHello},
      {"cookie in the first hello", H13(Add(kCookie, V16({1, 2, 3}))), kServerHello},
      {"post_handshake_auth with a body", H13(Add(kPostHandshakeAuth, {0})), kDecodeError},
      {"post_handshake_auth duplicated",
       H13(Then(Add(kPostHandshakeAuth, {}), Dup(kPostHandshakeAuth))), kIllegalParameter},

      // Others the server parses or must ignore (RFC 6066, 8446 4.2.4, 7685, 8449).
      {"status_request empty body", H13(Add(kStatusRequest, {})), kDecodeError},
      {"status_request unknown type", H13(Add(kStatusRequest, {2, 0, 0})), kServerHello},
      {"status_request ocsp cut", H13(Add(kStatusRequest, {1, 0, 0, 0})), kDecodeError},
      {"certificate_authorities empty list", H13(Add(kCertificateAuthorities, V16({}))), kServerHello},
      {"max_fragment_length 2^9", H13(Add(kMaxFragmentLength, {1})), kServerHello},
      {"max_fragment_length value 5", H13(Add(kMaxFragmentLength, {5})), kIllegalParameter},
      {"max_fragment_length empty body", H13(Add(kMaxFragmentLength, {})), kDecodeError},
      {"max_fragment_length trailing byte", H13(Add(kMaxFragmentLength, {1, 0})), kDecodeError},
      {"record_size_limit 64", H13(Add(kRecordSizeLimit, U16s({64}))), kServerHello},
      {"record_size_limit 63", H13(Add(kRecordSizeLimit, U16s({63}))), kServerHello, kIllegalParameter},
      {"record_size_limit empty body", H13(Add(kRecordSizeLimit, {})), kServerHello, kDecodeError},
      {"record_size_limit trailing byte", H13(Add(kRecordSizeLimit, {0x40, 0, 0})), kServerHello, kDecodeError},
      {"signed_certificate_timestamp with a body", H13(Add(kSct, {1})), kServerHello},
      {"encrypt_then_mac with a body", H13(Add(kEncryptThenMac, {1})), kServerHello},
      {"session_ticket garbage", H13(Add(kSessionTicket, {1, 2, 3})), kServerHello},
      {"padding with non-zero bytes", H13(Add(kPadding, {1, 2, 3})), kServerHello},
      {"padding of 512 bytes", H13(Add(kPadding, Bytes(512, 0))), kServerHello},
      {"oid_filters (CertificateRequest only) ignored", H13(Add(kOidFilters, V16({}))),
       kServerHello},
      {"TLS 1.2 extensions ignored", H13(Then(Add(kEcPointFormats, V8({0})),
                                              Then(Add(kExtendedMasterSecret, {}),
                                                   Add(kRenegotiationInfo, V8({}))))),
       kServerHello},

      // Unknown extensions are ignored (RFC 8446 4.2), thousands of them in one hello, with
      // bodies, with GREASE values (RFC 8701).
      {"unknown ids 60..4000", H13(Unknown(60, 4000)), kServerHello},
      {"unknown ids 4001..8000", H13(Unknown(4001, 8000)), kServerHello},
      {"unknown ids 8001..12000", H13(Unknown(8001, 12000)), kServerHello},
      {"unknown ids 12001..16000", H13(Unknown(12001, 16000)), kServerHello},
      {"unknown ids 16001..20000", H13(Unknown(16001, 20000)), kServerHello},
      {"unknown ids 40000..44000", H13(Unknown(40000, 44000)), kServerHello},
      {"unknown ids 61280..65279", H13(Unknown(61280, 65279)), kServerHello},
      {"unknown id with a 60000-byte body", H13(Add(0x1234, Bytes(60000, 0xee))),
       kServerHello},
      {"GREASE ids first and last", H13(Then(Add(0xfafa, {}), Then(First(0xfafa),
                                                                    Add(0x0a0a, {0})))),
       kServerHello},

      // Records (RFC 8446 5.1): versions, fragments, other types in between.
      {"record version 0x0300", H13([](Ch& c) { c.record_version = 0x0300; }), kServerHello},
      {"record version 0x0303", H13([](Ch& c) { c.record_version = 0x0303; }), kServerHello},
      {"record version 0x0304", H13([](Ch& c) { c.record_version = 0x0304; }), kServerHello},
      {"record version 0x0200", H13([](Ch& c) { c.record_version = 0x0200; }), kFailedSilently},
      {"record version 0x0400", H13([](Ch& c) { c.record_version = 0x0400; }), kFailedSilently},
      {"hello one byte per record", H13([](Ch& c) { c.max_fragment = 1; }), kServerHello},
      {"hello 7 bytes per record", H13([](Ch& c) { c.max_fragment = 7; }), kServerHello},
      {"empty handshake record before", Around(Base13, kEmptyHandshake, 0, {}, {}),
       kServerHello},
      {"change_cipher_spec before", Around(Base13, kCcs, 0, {}, {}), kUnexpectedMessage},
      {"change_cipher_spec inside", Around(Base13, {}, 9, kCcs, {}), kUnexpectedMessage},
      {"change_cipher_spec after", Around(Base13, {}, 0, {}, kCcs), kServerHello},
      {"change_cipher_spec twice after", Around(Base13, {}, 0, {}, Cat({kCcs, kCcs})),
       kServerHello},
      {"change_cipher_spec of value 2 after",
       Around(Base13, {}, 0, {}, Record(kChangeCipherSpec, 0x0303, {2})), kFailedLater},
      {"change_cipher_spec of 2 bytes after",
       Around(Base13, {}, 0, {}, Record(kChangeCipherSpec, 0x0303, {1, 1})), kFailedLater},
      {"alert inside", Around(Base13, {}, 9, kWarningAlert, {}), kUnexpectedMessage},
      {"application data before", Around(Base13, kAppRecord, 0, {}, {}), kUnexpectedMessage},
      {"application data inside", Around(Base13, {}, 9, kAppRecord, {}), kUnexpectedMessage},
      {"header cut across records", Around(Base13, {}, 2, {}, {}), kServerHello},
      {"content type 24 before", Around(Base13, Record(24, 0x0303, {1}), 0, {}, {}),
       kUnexpectedMessage},
      {"content type 255 before", Around(Base13, Record(255, 0x0303, {1}), 0, {}, {}),
       kUnexpectedMessage},
      {"record of 2^14+1 bytes", H13([](Ch& c) {
         c.exts.push_back({0x1234, Bytes(16384, 0)});
         c.max_fragment = 16385;
       }),
       kRecordOverflow},
      {"handshake bytes after the hello in its record", [] {
         Bytes msg = Base13().Msg();
         Append(msg, {kFinishedType, 0, 0});
         return Record(kHandshake, 0x0301, msg);
       }, kUnexpectedMessage},
  };
  return rows;
}

TEST(HostileTables, Tls13ServerAgainstClientHellos) {
  RunServerRows(TLS1_3_VERSION, TLS1_3_VERSION, Tls13ServerRows());
}

// ---------------------------------------------------------------------------------------
// TLS 1.2 server.

const std::vector<Row>& Tls12ServerRows() {
  static const std::vector<Row> rows = {
      {"baseline", H12([](Ch&) {}), kServerHello},
      {"legacy_version 0x0304", H12([](Ch& c) { c.version = U16s({0x0304}); }), kServerHello},
      {"legacy_version 0x0400", H12([](Ch& c) { c.version = U16s({0x0400}); }), kServerHello},
      {"legacy_version 0x0302", H12([](Ch& c) { c.version = U16s({0x0302}); }), kProtocolVersion},
      {"legacy_version 0x0300", H12([](Ch& c) { c.version = U16s({0x0300}); }), kHandshakeFailure,
       kProtocolVersion},
      {"legacy_version 0x0200", H12([](Ch& c) { c.version = U16s({0x0200}); }), kProtocolVersion},
      {"session id empty", H12([](Ch& c) { c.session_id = V8({}); }), kServerHello},
      {"session id 33 bytes", H12([](Ch& c) { c.session_id = V8(Bytes(33, 1)); }), kDecodeError},
      {"compression {1,0}", H12([](Ch& c) {
         c.compression = V8({1, 0});
       }),
       kServerHello},
      {"compression {1}", H12([](Ch& c) { c.compression = V8({1}); }), kDecodeError},
      {"compression empty", H12([](Ch& c) { c.compression = V8({}); }), kDecodeError},
      {"suites odd length", H12([](Ch& c) {
         c.suites = V16({0xc0, 0x2b, 0xc0});
       }),
       kDecodeError},
      {"suites empty", H12([](Ch& c) { c.suites = V16({}); }), kIllegalParameter},
      {"suites unknown only", H12([](Ch& c) {
         c.suites = U16List({0x0a0a, 0x1234});
       }),
       kHandshakeFailure},
      {"suites TLS 1.3 only", H12([](Ch& c) {
         c.suites = U16List({0x1301, 0x1302});
       }),
       kHandshakeFailure},
      {"suites renegotiation SCSV only", H12([](Ch& c) { c.suites = U16List({0x00ff}); }),
       kHandshakeFailure},
      {"suites with renegotiation SCSV",
       H12(Then(
           [](Ch& c) {
             c.suites = U16List({0x00ff, 0xc02b});
           },
           Drop(kRenegotiationInfo))),
       kServerHello},
      {"no extension block", H12([](Ch& c) { c.no_extensions = true; }), kHandshakeFailure},
      {"extension block overruns", H12(RawBlock({}, 1)), kDecodeError},
      {"extension block underruns", H12(RawBlock({}, -1)), kDecodeError},
      {"extension length overruns the block", H12(RawBlock({0x0a, 0x0a, 0x00, 0x05, 0}, 0)),
       kDecodeError},
      {"byte after the extension block", H12([](Ch& c) { c.trailing = {0}; }), kDecodeError},
      {"message type 99", H12([](Ch& c) { c.msg_type = 99; }), kUnexpectedMessage},
      {"extension block empty", H12([](Ch& c) { c.exts.clear(); }), kHandshakeFailure},
      {"signature_algorithms_cert empty list", H12(Add(kSignatureAlgorithmsCert, V16({}))),
       kDecodeError},
      {"max_fragment_length value 0", H12(Add(kMaxFragmentLength, {0})), kIllegalParameter},
      {"max_fragment_length 2^12", H12(Add(kMaxFragmentLength, {4})), kServerHello},
      {"record_size_limit 63", H12(Add(kRecordSizeLimit, U16s({63}))), kServerHello},
      {"early_data ignored", H12(Add(kEarlyData, {1})), kServerHello},
      {"psk_key_exchange_modes empty ignored", H12(Add(kPskKeyExchangeModes, {})), kServerHello},

      // RFC 8446 4.2.1: a TLS 1.2 server reads supported_versions too.
      {"supported_versions 1.2", H12(Add(kSupportedVersions, V8(U16s({0x0303})))), kServerHello},
      {"supported_versions 1.3 only", H12(Add(kSupportedVersions, V8(U16s({0x0304})))),
       kProtocolVersion},
      {"supported_versions empty list", H12(Add(kSupportedVersions, V8({}))), kProtocolVersion,
       kDecodeError},
      {"TLS 1.3 extensions ignored",
       H12(Then(Add(kKeyShare, V16({})),
                Then(Add(kPskKeyExchangeModes, V8({1})), Add(kCookie, V16({1}))))),
       kServerHello},
      {"key_share malformed, ignored", H12(Add(kKeyShare, {1})), kServerHello},

      // supported_groups and ec_point_formats (RFC 8422 5.1).
      {"supported_groups empty list", H12(Set(kSupportedGroups, V16({}))), kDecodeError},
      {"supported_groups odd list", H12(Set(kSupportedGroups, V16({0, 0x17, 0}))), kDecodeError},
      {"supported_groups trailing byte", H12(Trailing(kSupportedGroups)), kDecodeError},
      {"supported_groups unknown only", H12(Set(kSupportedGroups, U16List({0x1234}))),
       kHandshakeFailure},
      {"supported_groups duplicated", H12(Dup(kSupportedGroups)), kIllegalParameter},
      {"ec_point_formats empty body", H12(Set(kEcPointFormats, {})), kDecodeError},
      {"ec_point_formats empty list", H12(Set(kEcPointFormats, V8({}))), kDecodeError},
      {"ec_point_formats without uncompressed", H12(Set(kEcPointFormats, V8({1, 2}))),
       kHandshakeFailure, kIllegalParameter},
      {"ec_point_formats compressed first", H12(Set(kEcPointFormats, V8({1, 0}))), kServerHello},
      {"ec_point_formats trailing byte", H12(Trailing(kEcPointFormats)), kDecodeError},
      {"ec_point_formats duplicated", H12(Dup(kEcPointFormats)), kIllegalParameter},

      // signature_algorithms (RFC 5246 7.4.1.4.1).
      {"signature_algorithms empty list", H12(Set(kSignatureAlgorithms, V16({}))), kDecodeError},
      {"signature_algorithms odd list", H12(Set(kSignatureAlgorithms, V16({4, 3, 8}))),
       kDecodeError},
      {"signature_algorithms trailing byte", H12(Trailing(kSignatureAlgorithms)), kDecodeError},
      {"signature_algorithms unknown only", H12(Set(kSignatureAlgorithms, U16List({0x0101}))),
       kHandshakeFailure},
      {"signature_algorithms SHA-1 ECDSA only", H12(Set(kSignatureAlgorithms, U16List({0x0203}))),
       kHandshakeFailure},
      {"signature_algorithms duplicated", H12(Dup(kSignatureAlgorithms)), kIllegalParameter},

      // extended_master_secret (RFC 7627 5.1), renegotiation_info (RFC 5746 3.2, 3.6).
      {"extended_master_secret with a body", H12(Set(kExtendedMasterSecret, {0})), kDecodeError},
      {"extended_master_secret duplicated", H12(Dup(kExtendedMasterSecret)), kIllegalParameter},
      {"renegotiation_info empty body", H12(Set(kRenegotiationInfo, {})), kDecodeError},
      {"renegotiation_info not empty", H12(Set(kRenegotiationInfo, V8(Bytes(12, 1)))),
       kHandshakeFailure},
      {"renegotiation_info overruns", H12(Set(kRenegotiationInfo, {2, 0})), kDecodeError},
      {"renegotiation_info trailing byte", H12(Trailing(kRenegotiationInfo)), kServerHello,
       kDecodeError},
      {"renegotiation_info duplicated", H12(Dup(kRenegotiationInfo)), kIllegalParameter},
      {"renegotiation_info and SCSV", H12([](Ch& c) {
         c.suites = U16List({0x00ff, 0xc02b});
       }),
       kServerHello},
      // RFC 7507 3: TLS_FALLBACK_SCSV from a client whose highest version is the
      // server's highest (1.2 here) is no fallback.
      {"fallback SCSV, server's highest version", H12([](Ch& c) {
         c.suites = U16List({0xc02b, 0x5600});
       }),
       kServerHello},

      // server_name, ALPN, status_request, session_ticket (RFC 6066, 7301, 5077).
      {"server_name empty list", H12(Set(kServerName, V16({}))), kDecodeError},
      {"server_name name overruns", H12(Cut(kServerName)), kDecodeError},
      {"server_name with NUL", H12(Set(kServerName, HostName({'a', 0}))), kUnrecognizedName},
      {"server_name duplicated", H12(Dup(kServerName)), kIllegalParameter},
      {"alpn empty name", H12(Add(kAlpn, V16({0}))), kDecodeError},
      {"alpn trailing byte", H12(Add(kAlpn, Cat({V16(V8(Ascii("h2"))), {0}}))), kDecodeError},
      {"status_request ocsp cut", H12(Add(kStatusRequest, {1, 0, 0, 0})), kDecodeError},
      {"session_ticket garbage", H12(Add(kSessionTicket, Bytes(100, 0x5a))), kServerHello},
      {"session_ticket empty", H12(Add(kSessionTicket, {})), kServerHello},
      {"encrypt_then_mac with a body", H12(Add(kEncryptThenMac, {0})), kServerHello},
      {"padding with non-zero bytes", H12(Add(kPadding, {1})), kServerHello},

      {"unknown ids 60..4000", H12(Unknown(60, 4000)), kServerHello},
      {"unknown ids 20001..24000", H12(Unknown(20001, 24000)), kServerHello},
      {"unknown ids 61280..65279", H12(Unknown(61280, 65279)), kServerHello},

      // Records (RFC 5246 6.2.1).
      {"record version 0x0300", H12([](Ch& c) { c.record_version = 0x0300; }), kServerHello},
      {"record version 0x0303", H12([](Ch& c) { c.record_version = 0x0303; }), kServerHello},
      {"record version 0x0304", H12([](Ch& c) { c.record_version = 0x0304; }), kServerHello},
      {"record version 0x0200", H12([](Ch& c) { c.record_version = 0x0200; }), kFailedSilently},
      {"hello one byte per record", H12([](Ch& c) { c.max_fragment = 1; }), kServerHello},
      {"change_cipher_spec before", Around(Base12, kCcs, 0, {}, {}), kUnexpectedMessage},
      {"change_cipher_spec inside", Around(Base12, {}, 9, kCcs, {}), kUnexpectedMessage},
      {"change_cipher_spec after", Around(Base12, {}, 0, {}, kCcs), kUnexpectedMessage},
      {"alert inside", Around(Base12, {}, 9, kWarningAlert, {}), kUnexpectedMessage},
      {"application data inside", Around(Base12, {}, 9, kAppRecord, {}), kUnexpectedMessage},
      {"record of 2^14+1 bytes", H12([](Ch& c) {
         c.exts.push_back({0x1234, Bytes(16384, 0)});
         c.max_fragment = 16385;
       }),
       kRecordOverflow},
      {"handshake bytes after the hello in its record (no key change)",
       [] {
         Bytes msg = Base12().Msg();
         Append(msg, {kFinishedType, 0, 0});
         return Record(kHandshake, 0x0301, msg);
       },
       kServerHello},
  };
  return rows;
}

TEST(HostileTables, Tls12ServerAgainstClientHellos) {
  RunServerRows(TLS1_2_VERSION, TLS1_2_VERSION, Tls12ServerRows());
}

// ---------------------------------------------------------------------------------------
// SSL 2.0-format ClientHellos (RFC 5246 E.2; RFC 6176 forbids SSL 2.0 itself): a two-byte
// header with the high bit set and the 15-bit length, msg_type 1, the version, three
// lengths, 3-byte cipher specs, the session id and the challenge.

struct V2Hello {
  size_t length_delta = 0;  // added to the header's length
  uint8_t msg_type = kClientHelloType;
  uint16_t version = 0x0303;
  Bytes cipher_specs = {0x00, 0xc0, 0x2b, 0x00, 0xc0, 0x2f, 0x00, 0x00, 0xff};
  Bytes session_id;
  Bytes challenge = Bytes(32, 0x5c);
  size_t cipher_spec_delta = 0;  // added to cipher_spec_length

  Bytes Wire() const {
    Bytes body;
    Put8(body, msg_type);
    Put16(body, version);
    Put16(body, cipher_specs.size() + cipher_spec_delta);
    Put16(body, session_id.size());
    Put16(body, challenge.size());
    Append(body, Cat({cipher_specs, session_id, challenge}));
    const size_t len = body.size() + length_delta;
    Bytes out = {static_cast<uint8_t>(0x80 | (len >> 8)), static_cast<uint8_t>(len)};
    Append(out, body);
    return out;
  }
};

Builder V2(std::function<void(V2Hello&)> edit, Bytes after = {}) {
  return [edit, after] {
    V2Hello h;
    edit(h);
    return Cat({h.Wire(), after});
  };
}

// Rows for a server whose lowest version is TLS 1.2 (`max13`: and whose highest is 1.3).
std::vector<Row> V2HelloRows() {
  // Deliberate (README.md, compatibility note 12): RFC 8446 D.5 recommends against
  // accepting them; rapidtls reads the first two bytes as no TLS record header (the
  // version byte is not 3) and fails as it does for any bytes that are not TLS: no alert,
  // SSL_R_WRONG_VERSION_NUMBER. OpenSSL 3.0 parses them; without extensions the hello
  // allows only SHA-1 signatures, so even a well-formed one gets handshake_failure.
  constexpr int kV2 = kFailedSilently;
  return {
      {"SSLv2 hello offering TLS 1.2", V2([](V2Hello&) {}), kHandshakeFailure, kV2},
      {"SSLv2 hello offering TLS 1.0", V2([](V2Hello& h) { h.version = 0x0301; }), kProtocolVersion,
       kV2},
      {"SSLv2 hello offering SSL 2.0", V2([](V2Hello& h) { h.version = 0x0002; }), kProtocolVersion,
       kV2},
      {"SSLv2 hello offering TLS 1.3 (0x0304)", V2([](V2Hello& h) { h.version = 0x0304; }),
       kHandshakeFailure, kV2},
      {"SSLv2 hello, msg_type 2", V2([](V2Hello& h) { h.msg_type = 2; }), kFailedSilently},
      {"SSLv2 hello, cipher specs not a multiple of 3",
       V2([](V2Hello& h) { h.cipher_specs.pop_back(); }), kDecodeError, kV2},
      {"SSLv2 hello, no cipher specs", V2([](V2Hello& h) { h.cipher_specs.clear(); }),
       kIllegalParameter, kV2},
      {"SSLv2 hello, cipher spec length overruns", V2([](V2Hello& h) { h.cipher_spec_delta = 3; }),
       kDecodeError, kV2},
      {"SSLv2 hello, challenge empty", V2([](V2Hello& h) { h.challenge.clear(); }),
       kHandshakeFailure, kV2},
      {"SSLv2 hello, challenge of 15 bytes", V2([](V2Hello& h) { h.challenge.resize(15); }),
       kHandshakeFailure, kV2},
      {"SSLv2 hello, challenge of 33 bytes", V2([](V2Hello& h) { h.challenge.resize(33, 1); }),
       kHandshakeFailure, kV2},
      {"SSLv2 hello, session id of 16 bytes", V2([](V2Hello& h) { h.session_id = Bytes(16, 3); }),
       kHandshakeFailure, kV2},
      {"SSLv2 hello, header length 1 short", V2([](V2Hello& h) { h.length_delta = size_t(-1); }),
       kDecodeError, kV2},
      {"SSLv2 hello, header length 1 over", V2([](V2Hello& h) { h.length_delta = 1; }), kNothing,
       kV2},
      {"SSLv2 hello, cut in its header", Raw({0x80}), kNothing},
      {"SSLv2 hello, header alone, length 0", Raw({0x80, 0x00}), kNothing},
      {"SSLv2 hello, header of 3 bytes (no high bit)",
       [] {
         Bytes w = V2Hello().Wire();
         w[0] &= 0x7f;
         return w;
       },
       kFailedSilently},
      {"SSLv2 hello, then a TLS record", V2([](V2Hello&) {}, kCcs), kHandshakeFailure, kV2},
  };
}

TEST(HostileTables, Tls12ServerAgainstSslV2Hellos) {
  RunServerRows(TLS1_2_VERSION, TLS1_2_VERSION, V2HelloRows());
}

// rapidtls's refusal of an SSL 2.0-format hello is a clear failure: SSL_ERROR_SSL with
// SSL_R_WRONG_VERSION_NUMBER at once, nothing sent, nothing waited for.
TEST(HostileTables, SslV2HelloRefusedWithWrongVersionNumber) {
  if (kOracle) GTEST_SKIP() << "OpenSSL 3.0 parses SSL 2.0-format hellos (the rows above)";
  CtxPtr ctx = PinnedServerCtx(TLS1_2_VERSION, TLS1_3_VERSION);
  SslPtr s(SSL_new(ctx.get()));
  BIO* rb = BIO_new(BIO_s_mem());
  BIO* wb = BIO_new(BIO_s_mem());
  const Bytes in = V2Hello().Wire();
  BIO_write(rb, in.data(), static_cast<int>(in.size()));
  SSL_set_bio(s.get(), rb, wb);
  SSL_set_accept_state(s.get());
  ERR_clear_error();
  const int rc = SSL_do_handshake(s.get());
  EXPECT_EQ(rc, -1);
  EXPECT_EQ(SSL_get_error(s.get(), rc), SSL_ERROR_SSL);
  EXPECT_EQ(ERR_GET_REASON(ERR_peek_error()), SSL_R_WRONG_VERSION_NUMBER);
  EXPECT_EQ(BIO_ctrl_pending(wb), 0u) << "no alert, no hello";
  ERR_clear_error();
}

TEST(HostileTables, Tls13ServerAgainstSslV2Hellos) {
  RunServerRows(TLS1_2_VERSION, TLS1_3_VERSION, V2HelloRows());
}

// ---------------------------------------------------------------------------------------
// TLS_FALLBACK_SCSV (RFC 7507, 0x5600) to a server that speaks TLS 1.2 and 1.3: a
// ClientHello whose highest version is below the server's gets inappropriate_fallback.

TEST(HostileTables, FallbackScsvToATls13Server) {
  RunServerRows(TLS1_2_VERSION, TLS1_3_VERSION,
                {
                    {"1.2 hello without the SCSV", H12([](Ch&) {}), kServerHello},
                    {"1.2 hello with the SCSV last", H12([](Ch& c) {
                       c.suites = U16List({0xc02b, 0xc02f, 0x5600});
                     }),
                     kInappropriateFallback},
                    {"1.2 hello with the SCSV first", H12([](Ch& c) {
                       c.suites = U16List({0x5600, 0xc02b});
                     }),
                     kInappropriateFallback},
                    {"1.2 hello with supported_versions {1.2} and the SCSV",
                     H12(Then(
                         [](Ch& c) {
                           c.suites = U16List({0xc02b, 0x5600});
                         },
                         Add(kSupportedVersions, V8(U16s({0x0303}))))),
                     kInappropriateFallback},
                    {"1.3 hello with the SCSV", H13([](Ch& c) {
                       c.suites = U16List({0x1301, 0x5600});
                     }),
                     kServerHello},
                    {"1.3 hello offering 1.3 and 1.2 with the SCSV", H13([](Ch& c) {
                       c.suites = U16List({0x1301, 0xc02b, 0x5600});
                       c.find(kSupportedVersions)->body = V8(U16s({0x0304, 0x0303}));
                     }),
                     kServerHello},
                    {"1.1 hello with the SCSV", H12([](Ch& c) {
                       c.version = U16s({0x0302});
                       c.suites = U16List({0xc02b, 0x5600});
                     }),
                     kProtocolVersion},
                });
}

// ---------------------------------------------------------------------------------------
// Client side: a client's ClientHello is answered byte by byte with hostile ServerHellos
// and HelloRetryRequests (RFC 8446 4.1.3, 4.1.4, RFC 5246 7.4.1.3). The TLS 1.3 flight
// after the ServerHello is protected, so the rows stop at the hellos: a valid one leaves
// the client waiting for it (kNothing).

// A ServerHello as its parts. `session_id` empty: the client's own is echoed.
struct Sh {
  uint16_t record_version = 0x0303;
  size_t max_fragment = 16384;
  uint8_t msg_type = kServerHelloType;
  Bytes version = U16s({0x0303});
  Bytes random = Bytes(32, 0x33);
  std::optional<Bytes> session_id;  // with its length; unset: the client's, echoed
  Bytes suite;
  Bytes compression = {0};
  std::vector<Ext> exts;
  std::optional<Bytes> raw_extensions;
  Bytes trailing;

  Bytes Wire(const Bytes& client_session_id) const {
    Bytes body =
        Cat({version, random, session_id.value_or(V8(client_session_id)), suite, compression});
    Append(body, raw_extensions.value_or(ExtensionsBlock(exts)));
    Append(body, trailing);
    return InRecords(kHandshake, record_version, HandshakeMsg(msg_type, body), max_fragment);
  }
  Ext* find(uint16_t type) {
    for (Ext& e : exts) {
      if (e.type == type) return &e;
    }
    return nullptr;
  }
};

Sh ServerHello13() {
  Sh s;
  s.suite = U16s({0x1301});
  s.exts = {{kSupportedVersions, U16s({0x0304})},
            {kKeyShare, KeyShareEntry(0x001d, X25519Share())}};
  return s;
}
Sh Hrr13(uint16_t group) {
  Sh s = ServerHello13();
  s.random = kHrrRandom;
  s.find(kKeyShare)->body = U16s({group});
  return s;
}
Sh ServerHello12() {
  Sh s;
  s.session_id = V8(Bytes(32, 0x44));
  s.suite = U16s({0xc02b});
  s.exts = {{kRenegotiationInfo, V8({})}, {kExtendedMasterSecret, {}}, {kEcPointFormats, V8({0})}};
  return s;
}

using ShEdit = std::function<void(Sh&)>;
// What the server saw of the ClientHello: its legacy_session_id (echoed) and random (signed
// over in a TLS 1.2 ServerKeyExchange).
struct Seen {
  Bytes session_id;
  Bytes random;
};
// What the server sends: its hello(s) as a function of the client's hello.
using ServerBytes = std::function<Bytes(const Seen& seen)>;

ServerBytes S(Sh (*base)(), ShEdit edit) {
  return [base, edit](const Seen& seen) {
    Sh s = base();
    edit(s);
    return s.Wire(seen.session_id);
  };
}
ServerBytes S13(ShEdit edit) {
  return S(ServerHello13, std::move(edit));
}
ServerBytes S12(ShEdit edit) {
  return S(ServerHello12, std::move(edit));
}
ServerBytes Hrr(uint16_t group, ShEdit edit) {
  return [group, edit](const Seen& seen) {
    Sh s = Hrr13(group);
    edit(s);
    return s.Wire(seen.session_id);
  };
}
ShEdit ShSet(uint16_t type, Bytes body) {
  return [type, body](Sh& s) {
    if (Ext* e = s.find(type)) {
      e->body = body;
    } else {
      s.exts.push_back({type, body});
    }
  };
}
ShEdit ShDrop(uint16_t type) {
  return [type](Sh& s) { std::erase_if(s.exts, [type](const Ext& e) { return e.type == type; }); };
}
ShEdit ShDup(uint16_t type) {
  return [type](Sh& s) { s.exts.push_back(*s.find(type)); };
}
ShEdit ShThen(ShEdit a, ShEdit b) {
  return [a, b](Sh& s) {
    a(s);
    b(s);
  };
}
// Records before or after the server's hello.
ServerBytes WithRecords(Bytes before, ServerBytes hello, Bytes after) {
  return [before, hello, after](const Seen& seen) { return Cat({before, hello(seen), after}); };
}

struct ClientRow {
  const char* name;
  ServerBytes build;
  int expect;
  int rapidtls = kSame;
};

// The random and legacy_session_id of a ClientHello in `wire` (one record or more).
Seen ClientHelloSeen(const Bytes& wire) {
  const Answer a = Parse(wire);
  const Message* ch = a.find(kClientHelloType);
  if (ch == nullptr || ch->body.size() < 35) return {};
  Seen seen;
  seen.random = Bytes(ch->body.begin() + 2, ch->body.begin() + 34);
  const size_t len = ch->body[34];
  if (ch->body.size() < 35 + len) return seen;
  seen.session_id =
      Bytes(ch->body.begin() + 35, ch->body.begin() + 35 + static_cast<std::ptrdiff_t>(len));
  return seen;
}

// A client of `ctx` sends its ClientHello and gets `row`'s bytes: its first alert in the
// clear, a second ClientHello (kHelloRetry: it answered a HelloRetryRequest), or nothing.
int ClientOutcome(SSL_CTX* ctx, const ServerBytes& server) {
  MemoryClient c = StartMemoryClient(ctx);
  const Bytes in = server(ClientHelloSeen(DrainBio(c.out)));
  BIO_write(c.in, in.data(), static_cast<int>(in.size()));
  const bool failed = HandshakeFails(c.ssl.get());
  const Answer a = Parse(DrainBio(c.out));
  if (a.alert >= 0) return a.alert;
  if (failed) return kFailedSilently;
  return a.find(kClientHelloType) != nullptr ? kHelloRetry : kNothing;
}

// `groups`: the client's supported_groups (SSL_CTX_set1_groups_list), else its default.
void RunClientRows(int min_version, int max_version, const std::vector<ClientRow>& rows,
                   const char* groups = nullptr) {
  CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), min_version);
  SSL_CTX_set_max_proto_version(ctx.get(), max_version);
  if (groups != nullptr) {
    ASSERT_EQ(SSL_CTX_set1_groups_list(ctx.get(), groups), 1) << groups;
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  for (const ClientRow& row : rows) {
    const int want = kOracle || row.rapidtls == kSame ? row.expect : row.rapidtls;
    const int got = ClientOutcome(ctx.get(), row.build);
    EXPECT_EQ(OutcomeName(got), OutcomeName(want)) << row.name;
    if (getenv("HOSTILE_TABLES_DUMP") != nullptr) {
      printf("ROW %s | %s | want %s\n", row.name, OutcomeName(got).c_str(),
             OutcomeName(want).c_str());
    }
  }
}

const std::vector<ClientRow>& Tls13ClientRows() {
  static const std::vector<ClientRow> rows = {
      {"baseline", S13([](Sh&) {}), kNothing},
      {"legacy_version 0x0304", S13([](Sh& s) { s.version = U16s({0x0304}); }), kNothing},
      {"legacy_version 0x0301", S13([](Sh& s) { s.version = U16s({0x0301}); }), kNothing},
      {"session id echo differs", S13([](Sh& s) { s.session_id = V8(Bytes(32, 9)); }),
       kIllegalParameter},
      {"session id echo empty", S13([](Sh& s) { s.session_id = V8({}); }), kIllegalParameter},
      // Deliberate: RFC 8446 6, legacy_session_id_echo<0..32>.
      {"session id of 33 bytes", S13([](Sh& s) { s.session_id = V8(Bytes(33, 9)); }),
       kIllegalParameter, kDecodeError},
      {"suite not offered", S13([](Sh& s) { s.suite = U16s({0x1304}); }), kIllegalParameter},
      {"suite of TLS 1.2", S13([](Sh& s) { s.suite = U16s({0xc02b}); }), kIllegalParameter},
      {"compression 1", S13([](Sh& s) { s.compression = {1}; }), kIllegalParameter},
      {"no extension block", S13([](Sh& s) { s.raw_extensions = Bytes{}; }), kProtocolVersion},
      {"extension block overruns", S13([](Sh& s) {
         s.raw_extensions = ExtensionsBlock(s.exts);
         (*s.raw_extensions)[1]++;
       }),
       kDecodeError},
      {"byte after the extension block", S13([](Sh& s) { s.trailing = {0}; }), kDecodeError},
      {"supported_versions 1.2", S13(ShSet(kSupportedVersions, U16s({0x0303}))), kIllegalParameter},
      {"supported_versions 0x0305", S13(ShSet(kSupportedVersions, U16s({0x0305}))),
       kIllegalParameter},
      {"supported_versions of 3 bytes", S13(ShSet(kSupportedVersions, {3, 4, 0})), kDecodeError},
      {"supported_versions as a list", S13(ShSet(kSupportedVersions, V8(U16s({0x0304})))),
       kDecodeError},
      {"supported_versions duplicated", S13(ShDup(kSupportedVersions)), kIllegalParameter},
      {"key_share missing", S13(ShDrop(kKeyShare)), kMissingExtension},
      {"key_share empty", S13(ShSet(kKeyShare, {})), kDecodeError},
      {"key_share for P-256, no share offered",
       S13(ShSet(kKeyShare, KeyShareEntry(0x0017, Bytes(65, 4)))), kIllegalParameter},
      {"key_share for an unknown group", S13(ShSet(kKeyShare, KeyShareEntry(0x1234, {1}))),
       kIllegalParameter},
      {"key_share X25519 of 31 bytes", S13(ShSet(kKeyShare, KeyShareEntry(0x001d, Bytes(31, 9)))),
       kIllegalParameter},
      {"key_share trailing byte",
       S13(ShSet(kKeyShare, Cat({KeyShareEntry(0x001d, X25519Share()), {0}}))), kDecodeError},
      {"key_share duplicated", S13(ShDup(kKeyShare)), kIllegalParameter},
      {"server_name (EncryptedExtensions only)", S13(ShSet(kServerName, {})), kIllegalParameter},
      {"alpn not offered", S13(ShSet(kAlpn, V16(V8(Ascii("h2"))))), kUnsupportedExtension},
      {"supported_groups (EncryptedExtensions only)",
       S13(ShSet(kSupportedGroups, U16List({0x001d}))), kIllegalParameter},
      {"early_data (not for ServerHello)", S13(ShSet(kEarlyData, {})), kIllegalParameter},
      {"pre_shared_key not offered", S13(ShSet(kPreSharedKey, U16s({0}))), kUnsupportedExtension},
      {"cookie (HelloRetryRequest only)", S13(ShSet(kCookie, V16({1}))), kIllegalParameter},
      // Deliberate: RFC 8446 4.2, a response to nothing sent.
      {"unknown extension", S13(ShSet(0x1234, {})), kNothing, kUnsupportedExtension},
      {"extended_master_secret (TLS 1.2 only)", S13(ShSet(kExtendedMasterSecret, {})),
       kIllegalParameter},
      {"message type certificate first", S13([](Sh& s) { s.msg_type = kCertificateType; }),
       kUnexpectedMessage},
      {"hello one byte per record", S13([](Sh& s) { s.max_fragment = 1; }), kNothing},
      {"record version 0x0301", S13([](Sh& s) { s.record_version = 0x0301; }), kNothing},
      // Deliberate: RFC 8446 5, dropped once the ClientHello has left.
      {"change_cipher_spec before the hello", WithRecords(kCcs, S13([](Sh&) {}), {}),
       kUnexpectedMessage, kNothing},
      {"change_cipher_spec after the hello", WithRecords({}, S13([](Sh&) {}), kCcs), kNothing},
      {"alert record of 3 bytes before the hello",
       WithRecords(Record(kAlert, 0x0303, {2, 40, 0}), S13([](Sh&) {}), {}), kUnexpectedMessage},

      // HelloRetryRequest (RFC 8446 4.1.4).
      {"HRR for P-256", Hrr(0x0017, [](Sh&) {}), kHelloRetry},
      {"HRR for the group of the share sent", Hrr(0x001d, [](Sh&) {}), kIllegalParameter},
      {"HRR for a group not offered", Hrr(0x1234, [](Sh&) {}), kIllegalParameter},
      {"HRR changing nothing", Hrr(0x0017, ShDrop(kKeyShare)), kIllegalParameter},
      {"HRR with a cookie only", Hrr(0x0017, ShThen(ShDrop(kKeyShare), ShSet(kCookie, V16({7})))),
       kHelloRetry},
      // Deliberate: RFC 8446 4.2.2, cookie<1..2^16-1>.
      {"HRR with an empty cookie", Hrr(0x0017, ShSet(kCookie, V16({}))), kHelloRetry, kDecodeError},
      {"HRR with a suite not offered", Hrr(0x0017, [](Sh& s) { s.suite = U16s({0x1304}); }),
       kIllegalParameter},
      {"HRR for TLS 1.2", Hrr(0x0017, ShSet(kSupportedVersions, U16s({0x0303}))),
       kIllegalParameter},
      // Deliberate: RFC 8446 4.2.
      {"HRR with an unknown extension", Hrr(0x0017, ShSet(0x1234, {})), kHelloRetry,
       kUnsupportedExtension},
      {"HRR with key_share of 3 bytes", Hrr(0x0017, ShSet(kKeyShare, {0, 0x17, 0})), kDecodeError},
      {"HRR twice",
       [](const Seen& seen) {
         return Cat({Hrr13(0x0017).Wire(seen.session_id), Hrr13(0x0017).Wire(seen.session_id)});
       },
       kUnexpectedMessage},
  };
  return rows;
}

TEST(HostileTables, Tls13ClientAgainstServerHellos) {
  RunClientRows(TLS1_3_VERSION, TLS1_3_VERSION, Tls13ClientRows());
}

const std::vector<ClientRow>& Tls12ClientRows() {
  static const std::vector<ClientRow> rows = {
      {"baseline", S12([](Sh&) {}), kNothing},
      {"legacy_version 0x0302", S12([](Sh& s) { s.version = U16s({0x0302}); }), kProtocolVersion},
      {"legacy_version 0x0304", S12([](Sh& s) { s.version = U16s({0x0304}); }), kProtocolVersion},
      // Deliberate: RFC 5246 7.4.1.3, SessionID<0..32>.
      {"session id of 33 bytes", S12([](Sh& s) { s.session_id = V8(Bytes(33, 9)); }),
       kIllegalParameter, kDecodeError},
      {"session id empty", S12([](Sh& s) { s.session_id = V8({}); }), kNothing},
      {"suite not offered", S12([](Sh& s) { s.suite = U16s({0x0005}); }), kIllegalParameter},
      {"suite of TLS 1.3", S12([](Sh& s) { s.suite = U16s({0x1301}); }), kIllegalParameter},
      {"compression 1", S12([](Sh& s) { s.compression = {1}; }), kIllegalParameter},
      // RFC 5746 4.1: OpenSSL 3.0 refuses a server without renegotiation_info.
      {"no extension block", S12([](Sh& s) { s.raw_extensions = Bytes{}; }), kHandshakeFailure},
      {"empty extension block", S12([](Sh& s) { s.exts.clear(); }), kHandshakeFailure},
      {"byte after the extension block", S12([](Sh& s) { s.trailing = {0}; }), kDecodeError},
      {"extension block overruns", S12([](Sh& s) {
         s.raw_extensions = ExtensionsBlock(s.exts);
         (*s.raw_extensions)[1]++;
       }),
       kDecodeError},
      // Deliberate: RFC 5746 3.4, handshake_failure.
      {"renegotiation_info not empty", S12(ShSet(kRenegotiationInfo, V8({1, 2}))),
       kIllegalParameter, kHandshakeFailure},
      {"renegotiation_info empty body", S12(ShSet(kRenegotiationInfo, {})), kDecodeError},
      {"renegotiation_info duplicated", S12(ShDup(kRenegotiationInfo)), kIllegalParameter},
      // Deliberate: RFC 7627 5.1, empty extension_data.
      {"extended_master_secret with a body", S12(ShSet(kExtendedMasterSecret, {0})), kNothing,
       kDecodeError},
      // Deliberate: RFC 8422 5.2, the server's list MUST hold uncompressed.
      {"ec_point_formats without uncompressed", S12(ShSet(kEcPointFormats, V8({1}))), kNothing,
       kIllegalParameter},
      {"ec_point_formats empty list", S12(ShSet(kEcPointFormats, V8({}))), kDecodeError},
      {"alpn not offered", S12(ShSet(kAlpn, V16(V8(Ascii("h2"))))), kUnsupportedExtension},
      {"status_request not offered", S12(ShSet(kStatusRequest, {})), kUnsupportedExtension},
      {"key_share (TLS 1.3 only)", S12(ShSet(kKeyShare, KeyShareEntry(0x001d, X25519Share()))),
       kUnsupportedExtension},
      {"supported_versions 1.2", S12(ShSet(kSupportedVersions, U16s({0x0303}))),
       kUnsupportedExtension},
      {"supported_groups (offered, ignored)", S12(ShSet(kSupportedGroups, U16List({0x17}))),
       kNothing},
      // Deliberate: RFC 5246 7.4.1.4, unsupported_extension.
      {"unknown extension", S12(ShSet(0x1234, {})), kNothing, kUnsupportedExtension},
      {"server_name not empty", S12(ShSet(kServerName, {1})), kDecodeError},
      {"server_name empty", S12(ShSet(kServerName, {})), kNothing},
      {"record version 0x0301", S12([](Sh& s) { s.record_version = 0x0301; }), kNothing},
      {"record version 0x0302", S12([](Sh& s) { s.record_version = 0x0302; }), kNothing},
      {"hello one byte per record", S12([](Sh& s) { s.max_fragment = 1; }), kNothing},
      {"change_cipher_spec before the hello", WithRecords(kCcs, S12([](Sh&) {}), {}),
       kUnexpectedMessage},
      {"change_cipher_spec after the hello", WithRecords({}, S12([](Sh&) {}), kCcs),
       kUnexpectedMessage},
      {"HelloRetryRequest random in TLS 1.2", S12([](Sh& s) { s.random = kHrrRandom; }), kNothing},
  };
  return rows;
}

TEST(HostileTables, Tls12ClientAgainstServerHellos) {
  RunClientRows(TLS1_2_VERSION, TLS1_2_VERSION, Tls12ClientRows());
}

// ---------------------------------------------------------------------------------------
// TLS 1.2 client against the server's ServerKeyExchange (RFC 8422 5.4, 5.1.1): the
// ServerHello, the test certificate, then a ServerKeyExchange whose parameters a row
// breaks, signed as RFC 5246 7.4.3 says (client random, server random, parameters) with
// the certificate's key, so that only the parameters are wrong, and ServerHelloDone.

// RFC 8422 5.4: ECCurveType named_curve.
constexpr uint8_t kNamedCurveType = 3;

// A fresh P-256 public key, uncompressed (RFC 8422 5.4.1: 04 || X || Y).
Bytes P256Point() {
  static const Bytes point = [] {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    Bytes p(65);
    size_t n = 0;
    if (key == nullptr || EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                          p.data(), p.size(), &n) != 1) {
      ADD_FAILURE() << "P-256 key";
    }
    EVP_PKEY_free(key);
    p.resize(n);
    return p;
  }();
  return point;
}
// The same point in compressed form (RFC 8422 5.4.1 deprecates it: 02/03 || X).
Bytes P256Compressed() {
  const Bytes p = P256Point();
  Bytes c = {static_cast<uint8_t>(2 + (p[64] & 1))};
  c.insert(c.end(), p.begin() + 1, p.begin() + 33);
  return c;
}
// ServerECDHParams: curve_type, named curve, the point with its length.
Bytes EcParams(uint16_t group, const Bytes& point) {
  Bytes b = {kNamedCurveType};
  Put16(b, group);
  Append(b, V8(point));
  return b;
}
// RFC 5246 7.4.3 with ecdsa_secp256r1_sha256: the signature over both randoms and `params`.
Bytes SignParams(const Bytes& client_random, const Bytes& server_random, const Bytes& params) {
  const Bytes content = Cat({client_random, server_random, params});
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  size_t n = 0;
  Bytes sig;
  if (EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, TestKey()) == 1 &&
      EVP_DigestSign(md, nullptr, &n, content.data(), content.size()) == 1) {
    sig.resize(n);
    if (EVP_DigestSign(md, sig.data(), &n, content.data(), content.size()) != 1) n = 0;
    sig.resize(n);
  }
  EVP_MD_CTX_free(md);
  if (sig.empty()) ADD_FAILURE() << "signing the ServerKeyExchange";
  return sig;
}

// RFC 5246 7.4.2: certificate_list with the test certificate alone.
Bytes CertificateMsg12() {
  const Bytes der = TestCertificateDer();
  Bytes entry;
  Put24(entry, der.size());
  Append(entry, der);
  Bytes list;
  Put24(list, entry.size());
  Append(list, entry);
  return HandshakeMsg(kCertificateType, list);
}

enum class Signed { kYes, kGarbage };

// The server's flight with `params` as the ServerKeyExchange's parameters, followed by the
// signature (or by `raw_tail` instead of the signature when it is set).
ServerBytes SkeFlight(Bytes params, Signed sign = Signed::kYes,
                      std::optional<Bytes> raw_tail = std::nullopt) {
  return [params, sign, raw_tail](const Seen& seen) {
    const Sh hello = ServerHello12();
    Bytes ske = params;
    if (raw_tail) {
      Append(ske, *raw_tail);
    } else {
      Put16(ske, 0x0403);  // ecdsa_secp256r1_sha256
      Append(ske, V16(sign == Signed::kYes ? SignParams(seen.random, hello.random, params)
                                           : Bytes(71, 0x30)));
    }
    return Cat({hello.Wire(seen.session_id),
                Record(kHandshake, 0x0303,
                       Cat({CertificateMsg12(), HandshakeMsg(kServerKeyExchangeType, ske),
                            HandshakeMsg(kServerHelloDoneType, {})}))});
  };
}

const std::vector<ClientRow>& Tls12ServerKeyExchangeRows() {
  static const std::vector<ClientRow> rows = {
      // Baselines: well-formed parameters; the client answers with its second flight
      // (ClientKeyExchange, ChangeCipherSpec, Finished: nothing in the clear to read here)
      // or, with a signature that does not verify, decrypt_error (RFC 5246 7.2.2).
      {"SKE P-256, signed", SkeFlight(EcParams(0x0017, P256Point())), kNothing},
      {"SKE X25519, signed", SkeFlight(EcParams(0x001d, X25519Share())), kNothing},
      {"SKE P-256, signature wrong", SkeFlight(EcParams(0x0017, P256Point()), Signed::kGarbage),
       kDecryptError},

      // RFC 8422 5.1.1, 5.4: a curve the client did not offer.
      {"SKE secp256k1 (not offered)", SkeFlight(EcParams(0x0016, P256Point())), kIllegalParameter},
      {"SKE brainpoolP256r1 (not offered)", SkeFlight(EcParams(0x001a, P256Point())),
       kIllegalParameter},
      {"SKE unknown group 0x1234", SkeFlight(EcParams(0x1234, P256Point())), kIllegalParameter},
      // Deliberate: RFC 8422 5.4, an ECDHE exchange names a curve the client offered
      // (OpenSSL offers FFDHE groups too, takes the group, then fails: internal_error).
      {"SKE ffdhe2048 (not an EC group)", SkeFlight(EcParams(0x0100, Bytes(32, 7))), kInternalError,
       kIllegalParameter},
      {"SKE curve_type explicit_prime", SkeFlight(Cat({{1}, U16s({0x0017}), V8(P256Point())})),
       kIllegalParameter},
      {"SKE curve_type 0", SkeFlight(Cat({{0}, U16s({0x0017}), V8(P256Point())})),
       kIllegalParameter},

      // A curve offered, its point malformed (RFC 8422 5.4.1, RFC 7748 5).
      {"SKE P-256 point not on the curve",
       SkeFlight(EcParams(0x0017,
                          [] {
                            Bytes p = P256Point();
                            p[64] ^= 1;
                            return p;
                          }())),
       kIllegalParameter},
      {"SKE P-256 point of 64 bytes",
       SkeFlight(EcParams(0x0017,
                          [] {
                            Bytes p = P256Point();
                            p.pop_back();
                            return p;
                          }())),
       kIllegalParameter},
      {"SKE P-256 point of 66 bytes", SkeFlight(EcParams(0x0017, Cat({P256Point(), {0}}))),
       kIllegalParameter},
      {"SKE P-256 point, form byte 05",
       SkeFlight(EcParams(0x0017,
                          [] {
                            Bytes p = P256Point();
                            p[0] = 5;
                            return p;
                          }())),
       kIllegalParameter},
      // Deliberate: RFC 8422 5.4, not a point of the curve (OpenSSL internal_error).
      {"SKE P-256 point at infinity", SkeFlight(EcParams(0x0017, {0})), kInternalError,
       kIllegalParameter},
      // Deliberate: RFC 8422 5.1.2, 5.4.1: only the uncompressed form (OpenSSL takes it).
      {"SKE P-256 compressed point", SkeFlight(EcParams(0x0017, P256Compressed())), kNothing,
       kIllegalParameter},
      {"SKE X25519 point of 31 bytes", SkeFlight(EcParams(0x001d, Bytes(31, 9))),
       kIllegalParameter},
      {"SKE X25519 point of 33 bytes", SkeFlight(EcParams(0x001d, Cat({X25519Share(), {0}}))),
       kIllegalParameter},
      {"SKE X25519 point all zero (low order)", SkeFlight(EcParams(0x001d, Bytes(32, 0))),
       kIllegalParameter},

      // Lengths (RFC 8422 5.4: opaque point <1..2^8-1>).
      // Deliberate: RFC 8422 5.4, point<1..2^8-1> (OpenSSL illegal_parameter).
      {"SKE point empty", SkeFlight(EcParams(0x0017, {})), kIllegalParameter, kDecodeError},
      {"SKE point length overruns",
       SkeFlight(Cat({{kNamedCurveType}, U16s({0x0017}), {66}}), Signed::kYes, Bytes(65, 4)),
       kDecodeError},
      {"SKE cut after the curve",
       SkeFlight(Cat({{kNamedCurveType}, U16s({0x0017})}), Signed::kYes, Bytes{}), kDecodeError},
      {"SKE without a signature", SkeFlight(EcParams(0x0017, P256Point()), Signed::kYes, Bytes{}),
       kDecodeError},
  };
  return rows;
}

TEST(HostileTables, Tls12ClientAgainstServerKeyExchanges) {
  RunClientRows(TLS1_2_VERSION, TLS1_2_VERSION, Tls12ServerKeyExchangeRows());
}

// RFC 8422 5.1.1: a client that offered P-256 only refuses X25519 (and P-384) parameters.
TEST(HostileTables, Tls12ClientOfferingP256OnlyAgainstOtherCurves) {
  RunClientRows(TLS1_2_VERSION, TLS1_2_VERSION,
                {
                    {"SKE P-256 (offered)", SkeFlight(EcParams(0x0017, P256Point())), kNothing},
                    {"SKE X25519 (not offered)", SkeFlight(EcParams(0x001d, X25519Share())),
                     kIllegalParameter},
                    {"SKE P-384 (not offered)",
                     SkeFlight(EcParams(0x0018,
                                        [] {
                                          Bytes p(97, 1);
                                          p[0] = 4;
                                          return p;
                                        }())),
                     kIllegalParameter},
                },
                "P-256");
}

}  // namespace
}  // namespace conformance
