// TLS 1.2 against real OpenSSL (the oracle): a libssl client and server run a
// TLS 1.2 handshake over memory BIOs while a pump between them records every
// byte. From the recorded traffic, the randoms and OpenSSL's master secret:
//  - our key block opens OpenSSL's Finished and application data records
//    (master secret use + key block + record layer together);
//  - tls12_verify_data over a transcript hash built from the captured
//    handshake messages equals the verify_data inside both Finished records
//    (with EMS on, that hash is also the session hash, RFC 7627 3);
//  - our sealed records equal OpenSSL's byte for byte where the nonce is
//    deterministic, and OpenSSL's server reads the records we seal;
//  - our message parsers reserialise OpenSSL's handshake messages exactly.
//
// This file links libssl, so it builds into its own executable
// (rapidtls_tls12_oracle_tests), never into rapidtls_unit_tests.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codec/reader.h"
#include "crypto/hash.h"
#include "crypto/prf12.h"
#include "handshake/messages12.h"
#include "record/record.h"

namespace rapidtls {
namespace {

using crypto::AeadAlg;
using crypto::AeadDirection;
using crypto::HashAlg;
using record::ContentType;
using record::Protection;

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;

struct Suite {
  const char* openssl_name;
  AeadAlg aead;
  HashAlg hash;
  size_t key_len;
  size_t iv_len;
};

constexpr Suite kAes128Gcm = {"ECDHE-ECDSA-AES128-GCM-SHA256", AeadAlg::aes_128_gcm,
                              HashAlg::sha256, 16, 4};
constexpr Suite kAes256Gcm = {"ECDHE-ECDSA-AES256-GCM-SHA384", AeadAlg::aes_256_gcm,
                              HashAlg::sha384, 32, 4};
constexpr Suite kChaCha20 = {"ECDHE-ECDSA-CHACHA20-POLY1305", AeadAlg::chacha20_poly1305,
                             HashAlg::sha256, 32, 12};

constexpr std::string_view kClientMessage = "rapidtls meets OpenSSL over TLS 1.2";
constexpr std::string_view kServerMessage = "and OpenSSL answers";

enum class Dir { c2s, s2c };

struct Record {
  Dir dir;
  ContentType type;
  ByteVec bytes;  // header and body
};

// A libssl client and server joined by memory BIOs, and everything they sent.
class OraclePair {
 public:
  explicit OraclePair(const Suite& suite) {
    client_ctx_.reset(SSL_CTX_new(TLS_method()));
    server_ctx_.reset(SSL_CTX_new(TLS_method()));
    for (SSL_CTX* ctx : {client_ctx_.get(), server_ctx_.get()}) {
      EXPECT_EQ(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION), 1);
      EXPECT_EQ(SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION), 1);
      EXPECT_EQ(SSL_CTX_set_cipher_list(ctx, suite.openssl_name), 1);
    }
    const std::string data = RAPIDTLS_TEST_DATA;
    EXPECT_EQ(SSL_CTX_use_certificate_chain_file(server_ctx_.get(), (data + "/p256.pem").c_str()),
              1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey_file(server_ctx_.get(), (data + "/p256.key").c_str(),
                                          SSL_FILETYPE_PEM),
              1);
    SSL_CTX_set_verify(client_ctx_.get(), SSL_VERIFY_NONE, nullptr);
    client_.reset(SSL_new(client_ctx_.get()));
    server_.reset(SSL_new(server_ctx_.get()));
    // Each side reads from one memory BIO and writes to another; pump()
    // carries the bytes across and records them. The SSL objects own the BIOs.
    client_out_ = BIO_new(BIO_s_mem());
    server_out_ = BIO_new(BIO_s_mem());
    client_in_ = BIO_new(BIO_s_mem());
    server_in_ = BIO_new(BIO_s_mem());
    SSL_set_bio(client_.get(), client_in_, client_out_);
    SSL_set_bio(server_.get(), server_in_, server_out_);
    SSL_set_connect_state(client_.get());
    SSL_set_accept_state(server_.get());
  }

  SSL* client() { return client_.get(); }
  SSL* server() { return server_.get(); }

  // Moves what each side wrote to the other side; returns bytes moved.
  size_t pump() {
    return move(client_out_, server_in_, Dir::c2s) + move(server_out_, client_in_, Dir::s2c);
  }

  // Takes what `dir`'s sender wrote without delivering it.
  ByteVec intercept(Dir dir) {
    BIO* from = dir == Dir::c2s ? client_out_ : server_out_;
    ByteVec out(static_cast<size_t>(BIO_ctrl_pending(from)));
    if (!out.empty()) {
      EXPECT_EQ(BIO_read(from, out.data(), static_cast<int>(out.size())),
                static_cast<int>(out.size()));
    }
    return out;
  }
  // Delivers bytes to the receiver of `dir`.
  void deliver(Dir dir, Bytes b) {
    BIO* to = dir == Dir::c2s ? server_in_ : client_in_;
    EXPECT_EQ(BIO_write(to, b.data(), static_cast<int>(b.size())), static_cast<int>(b.size()));
  }

  bool handshake() {
    for (int round = 0; round < 20; ++round) {
      const int c = SSL_do_handshake(client_.get());
      const int s = SSL_do_handshake(server_.get());
      const size_t moved = pump();
      if (c == 1 && s == 1 && moved == 0) return true;
    }
    return false;
  }

  const std::vector<Record>& records() const { return records_; }

 private:
  size_t move(BIO* from, BIO* to, Dir dir) {
    ByteVec chunk(static_cast<size_t>(BIO_ctrl_pending(from)));
    if (chunk.empty()) return 0;
    EXPECT_EQ(BIO_read(from, chunk.data(), static_cast<int>(chunk.size())),
              static_cast<int>(chunk.size()));
    split(dir, chunk);
    EXPECT_EQ(BIO_write(to, chunk.data(), static_cast<int>(chunk.size())),
              static_cast<int>(chunk.size()));
    return chunk.size();
  }

  // A flight is whole records (OpenSSL flushes records, not fragments).
  void split(Dir dir, Bytes chunk) {
    codec::Reader r(chunk);
    while (!r.empty()) {
      Bytes whole;
      uint8_t type = 0;
      uint16_t version = 0;
      Bytes body;
      codec::Reader peek = r;
      ASSERT_TRUE(peek.read_u8(&type) && peek.read_u16(&version) && peek.read_vec16(&body));
      ASSERT_TRUE(r.read_bytes(record::kHeaderSize + body.size(), &whole));
      records_.push_back(
          {dir, static_cast<ContentType>(type), ByteVec(whole.begin(), whole.end())});
    }
  }

  SslCtxPtr client_ctx_, server_ctx_;
  SslPtr client_, server_;
  BIO* client_out_ = nullptr;
  BIO* server_out_ = nullptr;
  BIO* client_in_ = nullptr;
  BIO* server_in_ = nullptr;
  std::vector<Record> records_;
};

ByteVec to_vec(std::string_view s) {
  const Bytes b = as_bytes(s);
  return ByteVec(b.begin(), b.end());
}

// What the oracle handshake gives us: randoms, master secret, our key block.
struct Session {
  ByteVec client_random, server_random, master;
  crypto::KeyBlock12 keys;
};

Session session_of(SSL* client, const Suite& suite) {
  Session s;
  s.client_random.resize(SSL_get_client_random(client, nullptr, 0));
  s.server_random.resize(SSL_get_server_random(client, nullptr, 0));
  EXPECT_EQ(SSL_get_client_random(client, s.client_random.data(), s.client_random.size()), 32u);
  EXPECT_EQ(SSL_get_server_random(client, s.server_random.data(), s.server_random.size()), 32u);
  s.master.resize(SSL_SESSION_get_master_key(SSL_get_session(client), nullptr, 0));
  EXPECT_EQ(SSL_SESSION_get_master_key(SSL_get_session(client), s.master.data(), s.master.size()),
            48u);
  Result<crypto::KeyBlock12> kb = crypto::tls12_key_block(
      suite.hash, s.master, s.client_random, s.server_random, suite.key_len, suite.iv_len);
  EXPECT_TRUE(kb.ok());
  if (kb.ok()) s.keys = *kb;
  return s;
}

// A whole TLS 1.2 record opened in place: its plaintext.
Result<MutBytes> open12(Protection& p, MutBytes record) {
  RTLS_ASSIGN(const record::OpenedRecord opened, p.open(record));
  return opened.payload;
}

Protection protection(const Suite& suite, AeadDirection dir, const crypto::Secret& key,
                      const crypto::Secret& iv) {
  Result<Protection> p = Protection::create(kTls12, suite.aead, dir, key.bytes(), iv.bytes());
  EXPECT_TRUE(p.ok());
  return std::move(p).value();
}

struct Walk {
  // Handshake messages in transcript order: plaintext ones as sent, the
  // encrypted Finished messages as decrypted.
  ByteVec transcript;
  size_t before_client_finished = 0;
  size_t before_server_finished = 0;
  ByteVec client_finished, server_finished;  // decrypted bodies (header included)
  std::vector<Record> client_finished_record, server_finished_record;
};

// Walks the captured records: each direction is plaintext until its
// ChangeCipherSpec, after which its handshake records are opened with our
// Protection (sequence 0 for Finished).
Walk walk(const std::vector<Record>& records, Protection& client_opener,
          Protection& server_opener) {
  Walk w;
  bool encrypted[2] = {false, false};
  for (const Record& rec : records) {
    const int d = rec.dir == Dir::c2s ? 0 : 1;
    if (rec.type == ContentType::change_cipher_spec) {
      encrypted[d] = true;
      continue;
    }
    if (rec.type != ContentType::handshake) continue;
    if (!encrypted[d]) {
      w.transcript.insert(w.transcript.end(), rec.bytes.begin() + record::kHeaderSize,
                          rec.bytes.end());
      continue;
    }
    ByteVec copy = rec.bytes;
    Protection& opener = d == 0 ? client_opener : server_opener;
    Result<MutBytes> plain = open12(opener, copy);
    EXPECT_TRUE(plain.ok()) << "Finished record did not open";
    if (!plain.ok()) continue;
    ByteVec fin(plain->begin(), plain->end());
    if (d == 0) {
      w.before_client_finished = w.transcript.size();
      w.client_finished = fin;
      w.client_finished_record = {rec};
    } else {
      w.before_server_finished = w.transcript.size();
      w.server_finished = fin;
      w.server_finished_record = {rec};
    }
    w.transcript.insert(w.transcript.end(), fin.begin(), fin.end());
  }
  return w;
}

struct OracleRun {
  Session session;
  Walk walk;
  ByteVec client_app_record;  // OpenSSL's record of kClientMessage (seq 1, client keys)
  ByteVec server_app_record;  // OpenSSL's record of kServerMessage (seq 1, server keys)
  std::vector<Record> records;
};

// Runs the handshake, then has each side SSL_write one message, captured but
// not delivered.
std::optional<OracleRun> run_oracle(const Suite& suite, OraclePair& pair) {
  if (!pair.handshake()) {
    ADD_FAILURE() << "OpenSSL TLS 1.2 handshake failed";
    return std::nullopt;
  }
  EXPECT_EQ(SSL_version(pair.client()), TLS1_2_VERSION);
  EXPECT_STREQ(SSL_get_cipher_name(pair.client()), suite.openssl_name);
  // OpenSSL's default: extended master secret on (RFC 7627).
  EXPECT_EQ(SSL_get_extms_support(pair.client()), 1);
  OracleRun r;
  r.session = session_of(pair.client(), suite);
  r.records = pair.records();
  Protection client_opener =
      protection(suite, AeadDirection::open, r.session.keys.client_key, r.session.keys.client_iv);
  Protection server_opener =
      protection(suite, AeadDirection::open, r.session.keys.server_key, r.session.keys.server_iv);
  r.walk = walk(r.records, client_opener, server_opener);

  EXPECT_EQ(
      SSL_write(pair.client(), kClientMessage.data(), static_cast<int>(kClientMessage.size())),
      static_cast<int>(kClientMessage.size()));
  r.client_app_record = pair.intercept(Dir::c2s);
  EXPECT_EQ(
      SSL_write(pair.server(), kServerMessage.data(), static_cast<int>(kServerMessage.size())),
      static_cast<int>(kServerMessage.size()));
  r.server_app_record = pair.intercept(Dir::s2c);
  return r;
}

// The transcript hash of the first n bytes of handshake messages.
ByteVec transcript_hash(HashAlg alg, const ByteVec& transcript, size_t n) {
  Result<crypto::Secret> h = crypto::hash(alg, Bytes(transcript).first(n));
  EXPECT_TRUE(h.ok());
  return h.ok() ? ByteVec(h->bytes().begin(), h->bytes().end()) : ByteVec();
}

// --- The key block opens OpenSSL's records ---------------------------------------------------

void expect_opens_openssl_records(const Suite& suite) {
  OraclePair pair(suite);
  std::optional<OracleRun> r = run_oracle(suite, pair);
  ASSERT_TRUE(r);
  Protection client_opener =
      protection(suite, AeadDirection::open, r->session.keys.client_key, r->session.keys.client_iv);
  Protection server_opener =
      protection(suite, AeadDirection::open, r->session.keys.server_key, r->session.keys.server_iv);
  // Sequence 0 was each side's Finished.
  ASSERT_EQ(r->walk.client_finished_record.size(), 1u);
  ASSERT_EQ(r->walk.server_finished_record.size(), 1u);
  ByteVec cf = r->walk.client_finished_record[0].bytes;
  ByteVec sf = r->walk.server_finished_record[0].bytes;
  ASSERT_TRUE(open12(client_opener, cf).ok());
  ASSERT_TRUE(open12(server_opener, sf).ok());

  ASSERT_EQ(r->client_app_record.size(), client_opener.sealed_size(kClientMessage.size()));
  EXPECT_EQ(r->client_app_record[0], static_cast<uint8_t>(ContentType::application_data));
  ByteVec rec = r->client_app_record;
  Result<MutBytes> plain = open12(client_opener, rec);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(ByteVec(plain->begin(), plain->end()), to_vec(kClientMessage));
  EXPECT_EQ(client_opener.sequence(), 2u);

  ByteVec srec = r->server_app_record;
  Result<MutBytes> splain = open12(server_opener, srec);
  ASSERT_TRUE(splain.ok());
  EXPECT_EQ(ByteVec(splain->begin(), splain->end()), to_vec(kServerMessage));
}

TEST(Tls12Record, OpensOpenSslRecord_Aes128Gcm) {
  expect_opens_openssl_records(kAes128Gcm);
}
TEST(Tls12Record, OpensOpenSslRecord_Aes256Gcm) {
  expect_opens_openssl_records(kAes256Gcm);
}
TEST(Tls12Record, OpensOpenSslRecord_ChaCha20) {
  expect_opens_openssl_records(kChaCha20);
}

// --- Our sealed records against OpenSSL's ---------------------------------------------------

// Seals the client's Finished (seq 0) and kClientMessage (seq 1) with our
// client-write Protection and compares with OpenSSL's records; then hands
// our application record to OpenSSL's server, which must read it.
struct SealComparison {
  bool finished_equal = false;
  bool app_equal = false;
  ByteVec openssl_explicit_nonces;  // GCM: the 8 bytes before each record's ciphertext
  ByteVec openssl_app_record;       // kClientMessage at sequence 1
  crypto::KeyBlock12 keys;
};

SealComparison seal_and_compare(const Suite& suite) {
  SealComparison out;
  OraclePair pair(suite);
  std::optional<OracleRun> r = run_oracle(suite, pair);
  if (!r) return out;
  Protection sealer =
      protection(suite, AeadDirection::seal, r->session.keys.client_key, r->session.keys.client_iv);
  EXPECT_EQ(r->walk.client_finished.size(), 16u);
  ByteVec fin(sealer.sealed_size(r->walk.client_finished.size()));
  EXPECT_TRUE(sealer.seal_into(fin.data(), ContentType::handshake, r->walk.client_finished).ok());
  ByteVec app(sealer.sealed_size(kClientMessage.size()));
  EXPECT_TRUE(
      sealer.seal_into(app.data(), ContentType::application_data, as_bytes(kClientMessage)).ok());
  if (r->walk.client_finished_record.size() != 1) return out;
  const ByteVec& theirs_fin = r->walk.client_finished_record[0].bytes;
  out.finished_equal = fin == theirs_fin;
  out.app_equal = app == r->client_app_record;
  out.openssl_app_record = r->client_app_record;
  out.keys = r->session.keys;
  if (suite.iv_len == 4) {
    for (const ByteVec* rec : {&theirs_fin, &std::as_const(r->client_app_record)}) {
      out.openssl_explicit_nonces.insert(out.openssl_explicit_nonces.end(),
                                         rec->begin() + record::kHeaderSize,
                                         rec->begin() + record::kHeaderSize + 8);
    }
  }
  // OpenSSL's server has read the Finished; it expects sequence 1 next and
  // gets our record in place of OpenSSL's.
  pair.deliver(Dir::c2s, app);
  char buf[128];
  const int n = SSL_read(pair.server(), buf, sizeof(buf));
  EXPECT_EQ(n, static_cast<int>(kClientMessage.size())) << "OpenSSL refused our record";
  if (n > 0) {
    EXPECT_EQ(std::string_view(buf, static_cast<size_t>(n)), kClientMessage);
  }
  return out;
}

// RFC 7905 2: the nonce is a function of the key block and sequence number,
// so both implementations must produce identical records.
TEST(Tls12Record, SealMatchesOpenSslRecord_ChaCha20) {
  SealComparison c = seal_and_compare(kChaCha20);
  EXPECT_TRUE(c.finished_equal);
  EXPECT_TRUE(c.app_equal);
}

// RFC 5288 3 leaves the explicit nonce to the sender, and OpenSSL 3.0 does
// not send the sequence number (observed: a random 8-byte start, set up by
// EVP_CTRL_GCM_SET_IV_FIXED, counting up by one per record), so its records
// cannot equal ours byte for byte. What is checked instead:
//  - its explicit nonces count up by one from the Finished to the next record;
//  - its record is exactly salt || explicit as nonce and seq(1) || type ||
//    0x0303 || length as additional data over the plaintext (the same
//    construction Tls12Record.SealMatchesRfcConstruction proves our records
//    use with explicit = sequence number);
//  - its server reads the record we seal (in seal_and_compare).
void expect_gcm_seal_accepted(const Suite& suite) {
  SealComparison c = seal_and_compare(suite);
  ASSERT_EQ(c.openssl_explicit_nonces.size(), 16u);
  codec::Reader r{Bytes(c.openssl_explicit_nonces)};
  uint64_t first = 0, second = 0;
  ASSERT_TRUE(r.read_u64(&first) && r.read_u64(&second));
  EXPECT_EQ(second, first + 1);
  if (first == 0) {
    // Had OpenSSL sent the sequence number, the records would be identical.
    EXPECT_TRUE(c.finished_equal);
    EXPECT_TRUE(c.app_equal);
  }

  const Bytes salt = c.keys.client_iv.bytes();
  ASSERT_EQ(salt.size(), 4u);
  ByteVec nonce(salt.begin(), salt.end());
  nonce.insert(nonce.end(), c.openssl_explicit_nonces.begin() + 8, c.openssl_explicit_nonces.end());
  const ByteVec plain = to_vec(kClientMessage);
  const ByteVec aad = {
      0, 0, 0, 0, 0, 0, 0, 1, 23, 0x03, 0x03, 0x00, static_cast<uint8_t>(plain.size())};
  Result<crypto::AeadContext> raw =
      crypto::AeadContext::create(suite.aead, AeadDirection::seal, c.keys.client_key.bytes());
  ASSERT_TRUE(raw.ok());
  ByteVec sealed(plain.size() + crypto::kAeadTagSize);
  ASSERT_TRUE(raw->seal(nonce, aad, plain, {}, sealed.data()).ok());
  ByteVec want = {23, 0x03, 0x03, 0x00, static_cast<uint8_t>(8 + sealed.size())};
  want.insert(want.end(), nonce.begin() + 4, nonce.end());
  want.insert(want.end(), sealed.begin(), sealed.end());
  EXPECT_EQ(to_hex(c.openssl_app_record), to_hex(want));
}

TEST(Tls12Record, OpenSslReadsOurRecord_Aes128Gcm) {
  expect_gcm_seal_accepted(kAes128Gcm);
}
TEST(Tls12Record, OpenSslReadsOurRecord_Aes256Gcm) {
  expect_gcm_seal_accepted(kAes256Gcm);
}

// --- verify_data over the captured transcript -----------------------------------------------

// RFC 5246 7.4.9: verify_data = PRF(master_secret, finished_label,
// Hash(handshake_messages))[0..11], the messages up to but excluding this
// Finished; the server's includes the client's Finished.
void expect_verify_data_matches(const Suite& suite) {
  OraclePair pair(suite);
  std::optional<OracleRun> r = run_oracle(suite, pair);
  ASSERT_TRUE(r);
  const Walk& w = r->walk;
  ASSERT_EQ(w.client_finished.size(), 16u);
  ASSERT_EQ(w.server_finished.size(), 16u);
  // Finished header: type 20, length 12.
  EXPECT_EQ(ByteVec(w.client_finished.begin(), w.client_finished.begin() + 4),
            (ByteVec{20, 0, 0, 12}));

  const ByteVec client_hash = transcript_hash(suite.hash, w.transcript, w.before_client_finished);
  Result<crypto::Secret> client_vd =
      crypto::tls12_verify_data(suite.hash, r->session.master, true, client_hash);
  ASSERT_TRUE(client_vd.ok());
  EXPECT_EQ(to_hex(client_vd->bytes()), to_hex(Bytes(w.client_finished).subspan(4)));

  const ByteVec server_hash = transcript_hash(suite.hash, w.transcript, w.before_server_finished);
  Result<crypto::Secret> server_vd =
      crypto::tls12_verify_data(suite.hash, r->session.master, false, server_hash);
  ASSERT_TRUE(server_vd.ok());
  EXPECT_EQ(to_hex(server_vd->bytes()), to_hex(Bytes(w.server_finished).subspan(4)));
}

TEST(Tls12Prf, VerifyDataMatchesOpenSsl_Aes128Gcm) {
  expect_verify_data_matches(kAes128Gcm);
}
TEST(Tls12Prf, VerifyDataMatchesOpenSsl_Aes256GcmSha384) {
  expect_verify_data_matches(kAes256Gcm);
}
TEST(Tls12Prf, VerifyDataMatchesOpenSsl_ChaCha20) {
  expect_verify_data_matches(kChaCha20);
}

// --- Our parsers on OpenSSL's messages --------------------------------------------------------

template <class Msg>
void expect_reserialises(Bytes message, Result<Msg> parsed) {
  ASSERT_TRUE(parsed.ok()) << to_hex(message);
  ByteVec again;
  EXPECT_TRUE(parsed->serialize(again).ok());
  EXPECT_EQ(to_hex(again), to_hex(message));
}

TEST(Tls12Messages, ParsesOpenSslHandshakeMessages) {
  OraclePair pair(kAes128Gcm);
  std::optional<OracleRun> r = run_oracle(kAes128Gcm, pair);
  ASSERT_TRUE(r);
  codec::Reader messages{Bytes(r->walk.transcript)};
  std::vector<uint8_t> seen;
  while (!messages.empty()) {
    Bytes whole = messages.rest();
    uint8_t type = 0;
    Bytes body;
    ASSERT_TRUE(messages.read_u8(&type) && messages.read_vec24(&body));
    const Bytes message = whole.first(4 + body.size());
    seen.push_back(type);
    using namespace handshake;
    switch (type) {
      case kServerKeyExchange: {
        Result<ServerKeyExchange> ske = ServerKeyExchange::parse(body);
        ASSERT_TRUE(ske.ok());
        EXPECT_EQ(ske->signature_algorithm >> 8, 0x04);  // ecdsa_secp256r1_sha256 family
        expect_reserialises(message, std::move(ske));
        break;
      }
      case kClientKeyExchange:
        expect_reserialises(message, ClientKeyExchange::parse(body));
        break;
      case kServerHelloDone:
        expect_reserialises(message, ServerHelloDone::parse(body));
        break;
      case 11:  // Certificate
        expect_reserialises(message, Certificate12::parse(body));
        break;
      case 1:  // ClientHello (shared with TLS 1.3); check its TLS 1.2 extensions
      {
        Result<ClientHello> ch = ClientHello::parse(body);
        ASSERT_TRUE(ch.ok());
        if (const Extension* e = find_extension(ch->extensions, ExtensionType::ec_point_formats)) {
          EXPECT_TRUE(check_ec_point_formats(e->body).ok());
        }
        if (const Extension* e =
                find_extension(ch->extensions, ExtensionType::renegotiation_info)) {
          Result<ByteVec> ri = parse_renegotiation_info(e->body);
          ASSERT_TRUE(ri.ok());
          EXPECT_TRUE(ri->empty());  // RFC 5746 3.4: initial handshake
        }
        break;
      }
      case 2: {  // ServerHello
        Result<ServerHello> sh = ServerHello::parse(body);
        ASSERT_TRUE(sh.ok());
        EXPECT_EQ(sh->cipher_suite, static_cast<uint16_t>(Suite12::ecdhe_ecdsa_aes_128_gcm_sha256));
        const Extension* ri = find_extension(sh->extensions, ExtensionType::renegotiation_info);
        ASSERT_NE(ri, nullptr);
        EXPECT_EQ(ri->body, encode_renegotiation_info({}).value());
        break;
      }
      default:
        break;
    }
  }
  // ClientHello, ServerHello, Certificate, ServerKeyExchange, ServerHelloDone,
  // ClientKeyExchange, Finished, [NewSessionTicket,] Finished.
  ASSERT_GE(seen.size(), 8u);
  EXPECT_EQ(std::vector<uint8_t>(seen.begin(), seen.begin() + 7),
            (std::vector<uint8_t>{1, 2, 11, 12, 14, 16, 20}));
  EXPECT_EQ(seen.back(), 20);
}

}  // namespace
}  // namespace rapidtls
