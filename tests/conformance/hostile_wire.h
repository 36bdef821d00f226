// Byte-by-byte builders of TLS records and hellos (RFC 8446, RFC 5246) and a reader of
// what a peer answered in the clear, shared by the hostile-peer tests
// (hostile_hello_test.cc, hostile_tables_test.cc). Public OpenSSL API only.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "harness.h"

namespace conformance::wire {

// RFC 8446 B.2 / RFC 5246 A.3: alert descriptions.
inline constexpr int kUnexpectedMessage = 10, kBadRecordMac = 20, kRecordOverflow = 22,
                     kHandshakeFailure = 40, kBadCertificate = 42, kIllegalParameter = 47,
                     kDecodeError = 50, kDecryptError = 51, kProtocolVersion = 70,
                     kInsufficientSecurity = 71, kInternalError = 80, kInappropriateFallback = 86,
                     kMissingExtension = 109, kUnsupportedExtension = 110, kUnrecognizedName = 112,
                     kNoApplicationProtocol = 120;

// Extension types (RFC 8446 4.2, RFC 6066, RFC 8422 5.1, RFC 7627 5.1, RFC 5746 3.2,
// RFC 8449 4, RFC 7301 3.1, RFC 7685, RFC 7366, RFC 5077).
inline constexpr uint16_t kServerName = 0, kMaxFragmentLength = 1, kStatusRequest = 5,
                          kSupportedGroups = 10, kEcPointFormats = 11, kSignatureAlgorithms = 13,
                          kAlpn = 16, kSct = 18, kPadding = 21, kEncryptThenMac = 22,
                          kExtendedMasterSecret = 23, kRecordSizeLimit = 28, kSessionTicket = 35,
                          kPreSharedKey = 41, kEarlyData = 42, kSupportedVersions = 43,
                          kCookie = 44, kPskKeyExchangeModes = 45, kCertificateAuthorities = 47,
                          kOidFilters = 48, kPostHandshakeAuth = 49, kSignatureAlgorithmsCert = 50,
                          kKeyShare = 51, kRenegotiationInfo = 0xff01;

// Record content types (RFC 8446 5.1).
inline constexpr uint8_t kChangeCipherSpec = 20, kAlert = 21, kHandshake = 22, kAppData = 23;

// Handshake types (RFC 8446 4, RFC 5246 7.4).
inline constexpr uint8_t kClientHelloType = 1, kServerHelloType = 2, kEncryptedExtensionsType = 8,
                         kCertificateType = 11, kServerKeyExchangeType = 12,
                         kServerHelloDoneType = 14, kFinishedType = 20;

struct Ext {
  uint16_t type;
  Bytes body;
};

inline void Put8(Bytes& b, size_t v) {
  b.push_back(static_cast<uint8_t>(v));
}
inline void Put16(Bytes& b, size_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void Put24(Bytes& b, size_t v) {
  b.push_back(static_cast<uint8_t>(v >> 16));
  Put16(b, v);
}
inline void Append(Bytes& b, const Bytes& more) {
  b.insert(b.end(), more.begin(), more.end());
}
inline Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const Bytes& p : parts) Append(b, p);
  return b;
}
// opaque x<0..2^8-1> and <0..2^16-1>: the length, then the bytes.
inline Bytes V8(const Bytes& body) {
  Bytes b;
  Put8(b, body.size());
  Append(b, body);
  return b;
}
inline Bytes V16(const Bytes& body) {
  Bytes b;
  Put16(b, body.size());
  Append(b, body);
  return b;
}
inline Bytes U16s(std::initializer_list<uint16_t> list) {
  Bytes b;
  for (uint16_t v : list) Put16(b, v);
  return b;
}
inline Bytes U16List(std::initializer_list<uint16_t> list) {
  return V16(U16s(list));
}

inline Bytes Record(uint8_t type, uint16_t version, const Bytes& body) {
  Bytes r;
  Put8(r, type);
  Put16(r, version);
  Put16(r, body.size());
  Append(r, body);
  return r;
}

// struct { HandshakeType msg_type; uint24 length; ... } Handshake;
inline Bytes HandshakeMsg(uint8_t type, const Bytes& body) {
  Bytes m;
  Put8(m, type);
  Put24(m, body.size());
  Append(m, body);
  return m;
}

// The extension block: each extension's type and length-prefixed body.
inline Bytes ExtensionsBlock(const std::vector<Ext>& exts) {
  Bytes block;
  for (const Ext& e : exts) {
    Put16(block, e.type);
    Put16(block, e.body.size());
    Append(block, e.body);
  }
  return V16(block);
}

// `msg` in records of at most `max_fragment` bytes each (RFC 8446 5.1: 2^14).
inline Bytes InRecords(uint8_t type, uint16_t version, const Bytes& msg,
                       size_t max_fragment = 16384) {
  Bytes out;
  for (size_t at = 0; at < msg.size(); at += max_fragment) {
    const size_t n = std::min(max_fragment, msg.size() - at);
    Append(out, Record(type, version, Bytes(msg.begin() + at, msg.begin() + at + n)));
  }
  return out;
}

struct Message {
  uint8_t type;
  Bytes body;
};

// What a peer wrote in the clear: its first alert, and its handshake messages up to the
// first protected record.
struct Answer {
  int alert = -1;
  std::vector<Message> messages;
  const Message* find(uint8_t type) const {
    for (const Message& m : messages) {
      if (m.type == type) return &m;
    }
    return nullptr;
  }
};

inline Answer Parse(const Bytes& wire) {
  Answer a;
  Bytes hs;
  for (size_t at = 0; at + 5 <= wire.size();) {
    const uint8_t type = wire[at];
    const size_t len = size_t{wire[at + 3]} << 8 | wire[at + 4];
    if (at + 5 + len > wire.size() || type == kAppData) break;
    if (type == kAlert && len == 2 && a.alert < 0) a.alert = wire[at + 6];
    if (type == kHandshake) hs.insert(hs.end(), wire.begin() + at + 5, wire.begin() + at + 5 + len);
    at += 5 + len;
  }
  for (size_t at = 0; at + 4 <= hs.size();) {
    const size_t len = size_t{hs[at + 1]} << 16 | size_t{hs[at + 2]} << 8 | hs[at + 3];
    if (at + 4 + len > hs.size()) break;
    a.messages.push_back({hs[at], Bytes(hs.begin() + at + 4, hs.begin() + at + 4 + len)});
    at += 4 + len;
  }
  return a;
}

// Everything `bio` holds.
inline Bytes DrainBio(BIO* bio) {
  Bytes out;
  uint8_t buf[4096];
  for (int n; (n = BIO_read(bio, buf, sizeof buf)) > 0;) out.insert(out.end(), buf, buf + n);
  return out;
}

// A client of `ctx` on memory BIOs, asking for "localhost", that has written
// its ClientHello to `out` (a client cannot finish on its first step).
struct MemoryClient {
  SslPtr ssl;
  BIO* in = nullptr;   // what the test gives the client
  BIO* out = nullptr;  // what the client wrote
};
inline MemoryClient StartMemoryClient(SSL_CTX* ctx) {
  MemoryClient c{SslPtr(SSL_new(ctx)), BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem())};
  SSL_set_bio(c.ssl.get(), c.in, c.out);
  SSL_set_connect_state(c.ssl.get());
  SSL_set_tlsext_host_name(c.ssl.get(), "localhost");
  (void)SSL_do_handshake(c.ssl.get());
  return c;
}

// Runs `ssl`'s handshake on what its read BIO holds, a few steps at most
// (each may take more of it); true when it failed (anything but WANT_READ),
// false when it completed or waits for more. The error queue is cleared.
inline bool HandshakeFails(SSL* ssl) {
  bool failed = false;
  for (int i = 0; i < 8; ++i) {
    const int rc = SSL_do_handshake(ssl);
    if (rc == 1) break;
    if (SSL_get_error(ssl, rc) != SSL_ERROR_WANT_READ) {
      failed = true;
      break;
    }
  }
  ERR_clear_error();
  return failed;
}

// Feeds `in` to a fresh server of `ctx` and collects what it answers.
inline Answer Serve(SSL_CTX* ctx, const Bytes& in) {
  SslPtr s(SSL_new(ctx));
  if (!s) return {};
  BIO* rb = BIO_new(BIO_s_mem());
  BIO* wb = BIO_new(BIO_s_mem());
  BIO_write(rb, in.data(), static_cast<int>(in.size()));
  SSL_set_bio(s.get(), rb, wb);
  SSL_set_accept_state(s.get());
  for (int i = 0; i < 4; ++i) {
    const int rc = SSL_do_handshake(s.get());
    if (rc == 1 || SSL_get_error(s.get(), rc) != SSL_ERROR_WANT_READ) break;
  }
  ERR_clear_error();
  return Parse(DrainBio(wb));
}

}  // namespace conformance::wire
