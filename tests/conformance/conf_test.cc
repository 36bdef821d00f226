// SSL_CONF_cmd(3) and friends: return values, ERR entries and the settings
// applied, as OpenSSL 3.0 gives them. Where rapidtls cannot carry a command out
// it fails with ERR_R_UNSUPPORTED (the kOracle branches, listed in README.md).
#include <gtest/gtest.h>
#include <openssl/conf.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"

namespace conformance {
namespace {

struct Outcome {
  int rv = 0;
  std::vector<std::pair<int, int>> errors;  // (library, reason), oldest first
  std::string last_data;                    // the last entry's data
};

Outcome Cmd(SSL_CONF_CTX* c, const char* cmd, const char* value) {
  ERR_clear_error();
  Outcome o;
  o.rv = SSL_CONF_cmd(c, cmd, value);
  const char* data = nullptr;
  int flags = 0;
  unsigned long e;
  while ((e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    o.errors.emplace_back(ERR_GET_LIB(e), ERR_GET_REASON(e));
    o.last_data = (flags & ERR_TXT_STRING) != 0 && data != nullptr ? data : "";
  }
  return o;
}

using Errors = std::vector<std::pair<int, int>>;
const std::pair<int, int> kBadValue{ERR_LIB_SSL, SSL_R_BAD_VALUE};
const std::pair<int, int> kUnknownCmd{ERR_LIB_SSL, SSL_R_UNKNOWN_CMD_NAME};

struct ConfFree {
  void operator()(SSL_CONF_CTX* c) const { SSL_CONF_CTX_free(c); }
};
using ConfPtr = std::unique_ptr<SSL_CONF_CTX, ConfFree>;

struct Fixture {
  CtxPtr ctx{SSL_CTX_new(TLS_method())};
  ConfPtr conf{SSL_CONF_CTX_new()};
  uint64_t base = SSL_CTX_get_options(ctx.get());
  explicit Fixture(unsigned flags) {
    SSL_CONF_CTX_set_flags(conf.get(), flags);
    SSL_CONF_CTX_set_ssl_ctx(conf.get(), ctx.get());
  }
  uint64_t added() const { return SSL_CTX_get_options(ctx.get()) & ~base; }
  uint64_t removed() const { return base & ~SSL_CTX_get_options(ctx.get()); }
};

constexpr unsigned kCmdAll =
    SSL_CONF_FLAG_CMDLINE | SSL_CONF_FLAG_CLIENT | SSL_CONF_FLAG_SERVER | SSL_CONF_FLAG_CERTIFICATE;
constexpr unsigned kFileAll =
    SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_CLIENT | SSL_CONF_FLAG_SERVER | SSL_CONF_FLAG_CERTIFICATE;

// A P-256 key and a self-signed certificate for it, written as PEM files.
struct PemFiles {
  std::string cert, key;
  PemFiles() {
    char dir[] = "/tmp/conf_testXXXXXX";
    const std::string d = mkdtemp(dir);
    cert = d + "/cert.pem";
    key = d + "/key.pem";
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("conf-test"), -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, pkey);
    X509_sign(x, pkey, EVP_sha256());
    FILE* f = fopen(cert.c_str(), "w");
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(key.c_str(), "w");
    PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(pkey);
  }
};

const PemFiles& Pem() {
  static const PemFiles files;
  return files;
}

TEST(SslConf, CommandLineReturnValues) {
  Fixture f(kCmdAll);
  SSL_CONF_CTX* c = f.conf.get();
  EXPECT_EQ(Cmd(c, "-cipher", "HIGH").rv, 2);
  EXPECT_EQ(Cmd(c, "-cipher", nullptr).rv, -3);
  EXPECT_EQ(Cmd(c, "-foo", "x").rv, -2);
  EXPECT_EQ(Cmd(c, "cipher", "HIGH").rv, -2);  // no "-"
  EXPECT_EQ(Cmd(c, "-", nullptr).rv, -2);
  EXPECT_EQ(Cmd(c, "CipherString", "HIGH").rv, -2);  // a file command
  EXPECT_EQ(Cmd(c, "-no_ticket", nullptr).rv, 1);
  EXPECT_EQ(Cmd(c, "-no_ticket", "ignored").rv, 1);
  EXPECT_EQ(Cmd(c, "-ciphersuites", "TLS_AES_128_GCM_SHA256").rv, 2);
  EXPECT_EQ(Cmd(c, "-groups", "X25519:P-256").rv, 2);
  EXPECT_EQ(Cmd(c, "-curves", "P-384").rv, 2);
  EXPECT_EQ(Cmd(c, "-named_curve", "auto").rv, 2);
  EXPECT_EQ(Cmd(c, "-named_curve", "P-256:X25519").rv, 0);
  EXPECT_EQ(Cmd(c, "-named_curve", "P-256").rv, 2);
  EXPECT_EQ(Cmd(c, "-min_protocol", "TLSv1.2").rv, 2);
  EXPECT_EQ(Cmd(c, "-max_protocol", "TLSv1.3").rv, 2);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(f.ctx.get()), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(f.ctx.get()), TLS1_3_VERSION);
  EXPECT_EQ(Cmd(c, "-min_protocol", "tlsv1.2").rv, 0);  // names are case sensitive
  EXPECT_EQ(Cmd(c, "-max_protocol", "DTLSv1").rv, 2);   // accepted, nothing changes
  EXPECT_EQ(SSL_CTX_get_max_proto_version(f.ctx.get()), TLS1_3_VERSION);
  EXPECT_EQ(Cmd(c, "-min_protocol", "None").rv, 2);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(f.ctx.get()), 0);
  EXPECT_EQ(Cmd(c, "-num_tickets", "5").rv, 2);
  EXPECT_EQ(SSL_CTX_get_num_tickets(f.ctx.get()), 5u);
  EXPECT_EQ(Cmd(c, "-num_tickets", "-1").rv, 0);
  EXPECT_EQ(SSL_CTX_get_num_tickets(f.ctx.get()), 5u);
  EXPECT_EQ(Cmd(c, "-cert", Pem().cert.c_str()).rv, 2);
  EXPECT_EQ(Cmd(c, "-key", Pem().key.c_str()).rv, 2);
  EXPECT_EQ(SSL_CTX_check_private_key(f.ctx.get()), 1);
  EXPECT_EQ(Cmd(c, "-verifyCAfile", Pem().cert.c_str()).rv, 2);
  EXPECT_EQ(Cmd(c, "-verifyCAfile", "/nonexistent/ca.pem").rv, 0);
  EXPECT_EQ(Cmd(c, "-cert", "/nonexistent/cert.pem").rv, 0);
}

TEST(SslConf, RolesAndCertificateFlags) {
  Fixture client(SSL_CONF_FLAG_CMDLINE | SSL_CONF_FLAG_CLIENT);
  EXPECT_EQ(Cmd(client.conf.get(), "-serverpref", nullptr).rv, -2);
  EXPECT_EQ(Cmd(client.conf.get(), "-num_tickets", "1").rv, -2);
  EXPECT_EQ(Cmd(client.conf.get(), "-cert", "x").rv, -2);  // needs SSL_CONF_FLAG_CERTIFICATE
  EXPECT_EQ(Cmd(client.conf.get(), "-legacy_server_connect", nullptr).rv, 1);
  EXPECT_EQ(SSL_CONF_cmd_value_type(client.conf.get(), "-cipher"), SSL_CONF_TYPE_STRING);
  EXPECT_EQ(SSL_CONF_cmd_value_type(client.conf.get(), "-cert"), SSL_CONF_TYPE_UNKNOWN);
  EXPECT_EQ(SSL_CONF_cmd_value_type(client.conf.get(), "-no_ticket"), SSL_CONF_TYPE_NONE);
  Fixture server(SSL_CONF_FLAG_CMDLINE | SSL_CONF_FLAG_SERVER | SSL_CONF_FLAG_CERTIFICATE);
  EXPECT_EQ(Cmd(server.conf.get(), "-legacy_server_connect", nullptr).rv, -2);
  EXPECT_EQ(Cmd(server.conf.get(), "-serverpref", nullptr).rv, 1);
  EXPECT_EQ(SSL_CONF_cmd_value_type(server.conf.get(), "-cert"), SSL_CONF_TYPE_FILE);
  EXPECT_EQ(SSL_CONF_cmd_value_type(server.conf.get(), "-verifyCApath"), SSL_CONF_TYPE_DIR);
  EXPECT_EQ(SSL_CONF_cmd_value_type(server.conf.get(), "-verifyCAstore"), SSL_CONF_TYPE_STORE);
  EXPECT_EQ(SSL_CONF_cmd_value_type(server.conf.get(), "-requestCAFile"), SSL_CONF_TYPE_FILE);
  EXPECT_EQ(SSL_CONF_cmd_value_type(server.conf.get(), "-requestCAfile"), SSL_CONF_TYPE_UNKNOWN);
  EXPECT_EQ(SSL_CONF_cmd_value_type(server.conf.get(), nullptr), SSL_CONF_TYPE_UNKNOWN);
}

TEST(SslConf, SwitchesSetAndClearOptions) {
  const struct {
    const char* cmd;
    uint64_t added, removed;
  } kCases[] = {
      {"-no_ssl3", SSL_OP_NO_SSLv3, 0},
      {"-no_tls1", SSL_OP_NO_TLSv1, 0},
      {"-no_tls1_1", SSL_OP_NO_TLSv1_1, 0},
      {"-no_tls1_2", SSL_OP_NO_TLSv1_2, 0},
      {"-no_tls1_3", SSL_OP_NO_TLSv1_3, 0},
      {"-bugs", SSL_OP_ALL, 0},
      {"-no_comp", 0, 0},  // already set by default
      {"-comp", 0, SSL_OP_NO_COMPRESSION},
      {"-ecdh_single", 0, 0},
      {"-no_ticket", SSL_OP_NO_TICKET, 0},
      {"-serverpref", SSL_OP_CIPHER_SERVER_PREFERENCE, 0},
      {"-legacy_renegotiation", SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION, 0},
      {"-client_renegotiation", SSL_OP_ALLOW_CLIENT_RENEGOTIATION, 0},
      {"-legacy_server_connect", SSL_OP_LEGACY_SERVER_CONNECT, 0},
      {"-no_legacy_server_connect", 0, 0},
      {"-no_resumption_on_reneg", SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION, 0},
      {"-no_renegotiation", SSL_OP_NO_RENEGOTIATION, 0},
      {"-allow_no_dhe_kex", SSL_OP_ALLOW_NO_DHE_KEX, 0},
      {"-prioritize_chacha", SSL_OP_PRIORITIZE_CHACHA, 0},
      {"-no_middlebox", 0, SSL_OP_ENABLE_MIDDLEBOX_COMPAT},
      {"-anti_replay", 0, 0},
      {"-no_anti_replay", SSL_OP_NO_ANTI_REPLAY, 0},
      {"-no_etm", SSL_OP_NO_ENCRYPT_THEN_MAC, 0},
  };
  for (const auto& k : kCases) {
    Fixture f(kCmdAll);
    EXPECT_EQ(Cmd(f.conf.get(), k.cmd, nullptr).rv, 1) << k.cmd;
    EXPECT_EQ(f.added(), k.added) << k.cmd;
    EXPECT_EQ(f.removed(), k.removed) << k.cmd;
  }
}

TEST(SslConf, FileOptionsProtocolVerifyMode) {
  const struct {
    unsigned flags;
    const char* cmd;
    const char* value;
    int rv;
    uint64_t added, removed;
  } kCases[] = {
      {kFileAll, "Options", "SessionTicket", 2, 0, 0},
      {kFileAll, "Options", "-SessionTicket", 2, SSL_OP_NO_TICKET, 0},
      {kFileAll, "Options", "Bugs,-SessionTicket", 2, SSL_OP_ALL | SSL_OP_NO_TICKET, 0},
      {kFileAll, "options", "bugs, sessionticket", 2, SSL_OP_ALL, 0},
      {kFileAll, "Options", "+Bugs", 2, SSL_OP_ALL, 0},
      {kFileAll, "Options", "Compression", 2, 0, SSL_OP_NO_COMPRESSION},
      {kFileAll, "Options", "-EncryptThenMac", 2, SSL_OP_NO_ENCRYPT_THEN_MAC, 0},
      {kFileAll, "Options", "-MiddleboxCompat", 2, 0, SSL_OP_ENABLE_MIDDLEBOX_COMPAT},
      {kFileAll, "Options", "-AntiReplay,-ExtendedMasterSecret,-CANames", 2,
       SSL_OP_NO_ANTI_REPLAY | SSL_OP_NO_EXTENDED_MASTER_SECRET | SSL_OP_DISABLE_TLSEXT_CA_NAMES,
       0},
      {kFileAll, "Options", "ServerPreference,ClientRenegotiation,KTLS", 2,
       SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_ALLOW_CLIENT_RENEGOTIATION | SSL_OP_ENABLE_KTLS, 0},
      {kFileAll, "Options", "Bugs,", 0, SSL_OP_ALL, 0},  // applied up to the bad item
      {kFileAll, "Options", "", 0, 0, 0},
      {kFileAll, "Options", "IgnoreUnexpectedEOF", 0, 0, 0},
      {SSL_CONF_FLAG_FILE, "Options", "SessionTicket", 0, 0, 0},  // no role: nothing matches
      {SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_CLIENT, "Options", "ServerPreference", 0, 0, 0},
      {kFileAll, "Protocol", "-ALL,TLSv1.2", 2, SSL_OP_NO_SSL_MASK & ~SSL_OP_NO_TLSv1_2, 0},
      {kFileAll, "Protocol", "-TLSv1.3", 2, SSL_OP_NO_TLSv1_3, 0},
      {kFileAll, "protocol", "tlsv1.2,-sslv3", 2, SSL_OP_NO_SSLv3, 0},
      {kFileAll, "Protocol", "bogus", 0, 0, 0},
  };
  for (const auto& k : kCases) {
    Fixture f(k.flags);
    EXPECT_EQ(Cmd(f.conf.get(), k.cmd, k.value).rv, k.rv) << k.cmd << " " << k.value;
    EXPECT_EQ(f.added(), k.added) << k.cmd << " " << k.value;
    EXPECT_EQ(f.removed(), k.removed) << k.cmd << " " << k.value;
  }
  Fixture v(kFileAll);
  for (const char* m : {"Require", "Peer", "Once", "RequestPostHandshake", "RequirePostHandshake",
                        "Request", "-Peer"}) {
    EXPECT_EQ(Cmd(v.conf.get(), "VerifyMode", m).rv, 2) << m;
  }
  EXPECT_EQ(SSL_CTX_get_verify_mode(v.ctx.get()),
            SSL_VERIFY_FAIL_IF_NO_PEER_CERT | SSL_VERIFY_CLIENT_ONCE | SSL_VERIFY_POST_HANDSHAKE);
  Fixture client(SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_CLIENT);
  EXPECT_EQ(Cmd(client.conf.get(), "VerifyMode", "Peer").rv, 2);
  EXPECT_EQ(Cmd(client.conf.get(), "VerifyMode", "Require").rv, 0);  // a server's word
  EXPECT_EQ(SSL_CTX_get_verify_mode(client.ctx.get()), SSL_VERIFY_PEER);
}

TEST(SslConf, ErrorsWithShowErrors) {
  Fixture f(SSL_CONF_FLAG_CMDLINE | SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SHOW_ERRORS);
  Outcome o = Cmd(f.conf.get(), "-foo", "x");
  EXPECT_EQ(o.rv, -2);
  EXPECT_EQ(o.errors, Errors{kUnknownCmd});
  EXPECT_EQ(o.last_data, "cmd=foo");
  o = Cmd(f.conf.get(), "cipher", "x");  // the "-" is required with CMDLINE set
  EXPECT_EQ(o.rv, -2);
  EXPECT_EQ(o.errors, Errors{kUnknownCmd});
  EXPECT_EQ(o.last_data, "cmd=cipher");
  o = Cmd(f.conf.get(), "-cipher", nullptr);
  EXPECT_EQ(o.rv, -3);
  EXPECT_EQ(o.errors, Errors{kBadValue});
  EXPECT_EQ(o.last_data, "cmd=cipher, value=<EMPTY>");
  o = Cmd(f.conf.get(), "-max_protocol", "bogus");
  EXPECT_EQ(o.rv, 0);
  EXPECT_EQ(o.errors, Errors{kBadValue});
  EXPECT_EQ(o.last_data, "cmd=max_protocol, value=bogus");
  o = Cmd(f.conf.get(), "-cipher", "BOGUS");
  EXPECT_EQ(o.rv, 0);
  EXPECT_EQ(o.errors, (Errors{{ERR_LIB_SSL, SSL_R_NO_CIPHER_MATCH}, kBadValue}));
  EXPECT_EQ(o.last_data, "cmd=cipher, value=BOGUS");
  Fixture quiet(SSL_CONF_FLAG_CMDLINE);
  o = Cmd(quiet.conf.get(), "-foo", "x");
  EXPECT_EQ(o.rv, -2);
  EXPECT_TRUE(o.errors.empty());
  o = Cmd(quiet.conf.get(), "-max_protocol", "bogus");
  EXPECT_EQ(o.rv, 0);
  EXPECT_TRUE(o.errors.empty());
}

TEST(SslConf, NullCommand) {
  Fixture f(kCmdAll);
  const Outcome o = Cmd(f.conf.get(), nullptr, "x");
  EXPECT_EQ(o.rv, 0);
  EXPECT_EQ(o.errors, (Errors{{ERR_LIB_SSL, SSL_R_INVALID_NULL_CMD_NAME}}));
}

TEST(SslConf, Prefix) {
  Fixture f(SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SHOW_ERRORS);
  EXPECT_EQ(SSL_CONF_CTX_set1_prefix(f.conf.get(), "SSL"), 1);
  Outcome o = Cmd(f.conf.get(), "SSLCipherString", "BOGUS");
  EXPECT_EQ(o.rv, 0);
  EXPECT_EQ(o.last_data, "cmd=CipherString, value=BOGUS");
  EXPECT_EQ(Cmd(f.conf.get(), "sslciphersuites", "TLS_AES_128_GCM_SHA256").rv, 2);
  o = Cmd(f.conf.get(), "CipherString", "x");
  EXPECT_EQ(o.rv, -2);
  EXPECT_EQ(o.last_data, "cmd=CipherString");
  EXPECT_EQ(Cmd(f.conf.get(), "SSL", "x").rv, -2);
  EXPECT_EQ(SSL_CONF_CTX_set1_prefix(f.conf.get(), nullptr), 1);
  EXPECT_EQ(Cmd(f.conf.get(), "CipherString", "HIGH").rv, 2);
  Fixture cmdline(SSL_CONF_FLAG_CMDLINE);
  SSL_CONF_CTX_set1_prefix(cmdline.conf.get(), "--");
  EXPECT_EQ(Cmd(cmdline.conf.get(), "--cipher", "HIGH").rv, 2);
  EXPECT_EQ(Cmd(cmdline.conf.get(), "-cipher", "HIGH").rv, -2);
  SSL_CONF_CTX_set1_prefix(cmdline.conf.get(), "");
  EXPECT_EQ(Cmd(cmdline.conf.get(), "cipher", "HIGH").rv, 2);
}

TEST(SslConf, Argv) {
  ConfPtr c(SSL_CONF_CTX_new());
  EXPECT_EQ(SSL_CONF_CTX_set_flags(c.get(), SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_CLIENT),
            unsigned{SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_CLIENT});
  EXPECT_EQ(SSL_CONF_CTX_clear_flags(c.get(), SSL_CONF_FLAG_CLIENT), unsigned{SSL_CONF_FLAG_FILE});
  SSL_CONF_CTX_set_flags(c.get(), SSL_CONF_FLAG_CLIENT);
  char a0[] = "-cipher", a1[] = "HIGH", a2[] = "-no_ticket", a3[] = "-foo", a4[] = "-cipher";
  char* args[] = {a0, a1, a2, a3, a4, nullptr};
  char** p = args;
  int n = 5;
  EXPECT_EQ(SSL_CONF_cmd_argv(c.get(), &n, &p), 2);
  EXPECT_EQ(n, 3);
  EXPECT_EQ(p, args + 2);
  // Arguments are command-line commands: FILE cleared, CMDLINE set.
  EXPECT_EQ(SSL_CONF_CTX_set_flags(c.get(), 0),
            unsigned{SSL_CONF_FLAG_CMDLINE | SSL_CONF_FLAG_CLIENT});
  EXPECT_EQ(SSL_CONF_cmd_argv(c.get(), &n, &p), 1);
  EXPECT_EQ(n, 2);
  EXPECT_EQ(SSL_CONF_cmd_argv(c.get(), &n, &p), 0);  // -foo: not ours, nothing taken
  EXPECT_EQ(n, 2);
  ++p;
  --n;
  EXPECT_EQ(SSL_CONF_cmd_argv(c.get(), &n, &p), -3);  // -cipher without its value
  EXPECT_EQ(n, 1);
  char b0[] = "-max_protocol", b1[] = "bogus";
  char* bad[] = {b0, b1, nullptr};
  p = bad;
  n = 2;
  EXPECT_EQ(SSL_CONF_cmd_argv(c.get(), &n, &p), -1);
  n = 0;
  EXPECT_EQ(SSL_CONF_cmd_argv(c.get(), &n, &p), 0);
}

TEST(SslConf, OnAnSsl) {
  CtxPtr ctx(SSL_CTX_new(TLS_method()));
  SslPtr ssl(SSL_new(ctx.get()));
  ConfPtr c(SSL_CONF_CTX_new());
  SSL_CONF_CTX_set_flags(c.get(), kFileAll);
  SSL_CONF_CTX_set_ssl(c.get(), ssl.get());
  EXPECT_EQ(Cmd(c.get(), "Options", "-SessionTicket,ServerPreference").rv, 2);
  EXPECT_NE(SSL_get_options(ssl.get()) & SSL_OP_NO_TICKET, 0u);
  EXPECT_NE(SSL_get_options(ssl.get()) & SSL_OP_CIPHER_SERVER_PREFERENCE, 0u);
  EXPECT_EQ(SSL_CTX_get_options(ctx.get()) & SSL_OP_NO_TICKET, 0u);  // the context is untouched
}

TEST(SslConf, Finish) {
  // REQUIRE_PRIVATE: a certificate file without a key command gives the key
  // from the same file.
  const std::string both = Pem().cert + ".both";
  {
    FILE* out = fopen(both.c_str(), "w");
    for (const std::string& in : {Pem().cert, Pem().key}) {
      FILE* f = fopen(in.c_str(), "r");
      char buf[4096];
      size_t n;
      while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, out);
      fclose(f);
    }
    fclose(out);
  }
  Fixture f(kFileAll | SSL_CONF_FLAG_REQUIRE_PRIVATE);
  EXPECT_EQ(Cmd(f.conf.get(), "Certificate", both.c_str()).rv, 2);
  EXPECT_EQ(SSL_CONF_CTX_finish(f.conf.get()), 1);
  EXPECT_EQ(SSL_CTX_check_private_key(f.ctx.get()), 1);
  Fixture none(kFileAll);
  EXPECT_EQ(SSL_CONF_CTX_finish(none.conf.get()), 1);
}

// SSL_CTX_config reads the ssl_conf module of libcrypto's configuration.
TEST(SslConf, CtxConfigFromConfigurationFile) {
  char path[] = "/tmp/conf_test_cnfXXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string text =
      "conf_test_init = conf_test_sect\n"
      "[conf_test_sect]\n"
      "ssl_conf = conf_test_ssl\n"
      "[conf_test_ssl]\n"
      "good = conf_test_good\n"
      "bad = conf_test_bad\n"
      "[conf_test_good]\n"
      "MinProtocol = TLSv1.3\n"
      "Options = -SessionTicket\n"
      "[conf_test_bad]\n"
      "MaxProtocol = TLSv9\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  OPENSSL_init_ssl(0, nullptr);
  ASSERT_EQ(CONF_modules_load_file(path, "conf_test_init", 0), 1);
  unlink(path);
  CtxPtr ctx(SSL_CTX_new(TLS_method()));
  ERR_clear_error();
  EXPECT_EQ(SSL_CTX_config(ctx.get(), "good"), 1);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx.get()), TLS1_3_VERSION);
  EXPECT_NE(SSL_CTX_get_options(ctx.get()) & SSL_OP_NO_TICKET, 0u);
  EXPECT_EQ(ERR_peek_error(), 0u);
  EXPECT_EQ(SSL_CTX_config(ctx.get(), "bad"), 0);  // every command tried, nothing queued
  EXPECT_EQ(ERR_peek_error(), 0u);
  ERR_clear_error();
  EXPECT_EQ(SSL_CTX_config(ctx.get(), "no_such_name"), 0);
  EXPECT_EQ(ERR_GET_REASON(ERR_peek_last_error()), SSL_R_INVALID_CONFIGURATION_NAME);
  ERR_clear_error();
  SslPtr ssl(SSL_new(ctx.get()));
  SSL_clear_options(ssl.get(), SSL_OP_NO_TICKET);
  EXPECT_EQ(SSL_config(ssl.get(), "good"), kOracle ? 1 : 0);  // MinProtocol on an SSL
  EXPECT_NE(SSL_get_options(ssl.get()) & SSL_OP_NO_TICKET, kOracle ? 0u : 1u);
  CONF_modules_unload(1);
  ERR_clear_error();
}

// Commands whose setting rapidtls has no way to make: OpenSSL carries them
// out; rapidtls fails them with ERR_R_UNSUPPORTED (README.md).
TEST(SslConf, UnsupportedCommandsFailWithAReason) {
  const struct {
    const char* cmd;
    const char* value;
  } kCases[] = {
      {"-sigalgs", "ECDSA+SHA256"}, {"-client_sigalgs", "ECDSA+SHA256"}, {"-record_padding", "100"},
      {"-strict", nullptr},         {"-chainCAfile", nullptr},  // value filled below
      {"-requestCAFile", nullptr},
  };
  for (const auto& k : kCases) {
    Fixture f(kCmdAll);
    const bool file = k.value == nullptr && std::string(k.cmd) != "-strict";
    const Outcome o = Cmd(f.conf.get(), k.cmd, file ? Pem().cert.c_str() : k.value);
    const int expected = std::string(k.cmd) == "-strict" ? 1 : 2;
    if (kOracle) {
      EXPECT_EQ(o.rv, expected) << k.cmd;
    } else {
      EXPECT_EQ(o.rv, 0) << k.cmd;
      ASSERT_FALSE(o.errors.empty()) << k.cmd;
      EXPECT_EQ(o.errors.back(), std::make_pair(int{ERR_LIB_SSL}, int{ERR_R_UNSUPPORTED})) << k.cmd;
    }
  }
  // TLS 1.1 and older: rapidtls speaks TLS 1.2 and 1.3 only.
  Fixture f(kCmdAll);
  const Outcome o = Cmd(f.conf.get(), "-max_protocol", "TLSv1.1");
  EXPECT_EQ(o.rv, kOracle ? 2 : 0);
  if (!kOracle) {
    EXPECT_EQ(o.errors, (Errors{{ERR_LIB_SSL, SSL_R_UNSUPPORTED_PROTOCOL}}));
  }
}

}  // namespace
}  // namespace conformance
