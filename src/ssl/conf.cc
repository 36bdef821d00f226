// The configuration interface: SSL_CONF_CTX, SSL_CONF_cmd (command-line and
// file forms), SSL_CONF_cmd_argv, SSL_CTX_config / SSL_config. Settings are
// applied through the public SSL_CTX_* / SSL_* functions; a command whose
// setting rapidtls cannot make fails (0, an ERR_R_UNSUPPORTED entry saying
// which), never a silent success.
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ssl/internal.h"

// libcrypto 3.0's ssl_conf module keeps the sections named under
// "ssl_conf = ..." of the configuration; libssl reads them through these
// three functions, which libcrypto.so.3 exports (version OPENSSL_3.0.0) but
// no public header declares.
extern "C" {
int conf_ssl_name_find(const char* name, size_t* idx);
void* conf_ssl_get(size_t idx, const char** name, size_t* cnt);
void conf_ssl_get_cmd(const void* cmds, size_t idx, char** cmd, char** arg);
}

struct ssl_conf_ctx_st {
  unsigned int flags = 0;
  std::optional<std::string> prefix;  // none: "-" on command lines, nothing in files
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  // Files given to Certificate, for SSL_CONF_FLAG_REQUIRE_PRIVATE at finish.
  std::vector<std::string> cert_files;
};

namespace {

using Conf = ssl_conf_ctx_st;

constexpr unsigned kClient = SSL_CONF_FLAG_CLIENT;
constexpr unsigned kServer = SSL_CONF_FLAG_SERVER;
constexpr unsigned kCert = SSL_CONF_FLAG_CERTIFICATE;

// Reason strings that rapidtls's common table (errors.cc) does not carry.
const ERR_STRING_DATA kConfReasons[] = {
    {ERR_PACK(ERR_LIB_SSL, 0, SSL_R_INVALID_NULL_CMD_NAME), "invalid null cmd name"},
    {ERR_PACK(ERR_LIB_SSL, 0, SSL_R_INVALID_CONFIGURATION_NAME), "invalid configuration name"},
    {0, nullptr},
};

void load_conf_strings() {
  static std::once_flag once;
  std::call_once(once, [] {
    rapidtls::ssl::load_error_strings();
    ERR_load_strings_const(kConfReasons);
  });
}

// A command rapidtls cannot carry out: 0 with a reason that says so.
int unsupported(const char* what) {
  ERR_raise_data(ERR_LIB_SSL, ERR_R_UNSUPPORTED, "%s: not supported by rapidtls", what);
  return 0;
}

int unsupported_on_ssl(const Conf& c, const char* what) {
  if (c.ssl == nullptr) return 1;
  ERR_raise_data(ERR_LIB_SSL, ERR_R_UNSUPPORTED,
                 "%s on an SSL (SSL_CONF_CTX_set_ssl): not supported by rapidtls; use an SSL_CTX",
                 what);
  return 0;
}

bool equal_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

void set_options(Conf& c, uint64_t op, bool on) {
  if (op == 0) return;
  if (c.ssl != nullptr) {
    on ? SSL_set_options(c.ssl, op) : SSL_clear_options(c.ssl, op);
  } else if (c.ctx != nullptr) {
    on ? SSL_CTX_set_options(c.ctx, op) : SSL_CTX_clear_options(c.ctx, op);
  }
}

// ---- lists of flags: Options, Protocol, VerifyMode ----------------------------------------

struct Flag {
  const char* name;
  unsigned roles;  // kClient, kServer or both: the SSL_CONF_CTX must have one of them
  uint64_t bits;
  bool inverted;  // naming it clears the bits
};

const Flag kOptionFlags[] = {
    {"SessionTicket", kClient | kServer, SSL_OP_NO_TICKET, true},
    {"Compression", kClient | kServer, SSL_OP_NO_COMPRESSION, true},
    {"EmptyFragments", kClient | kServer, SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS, true},
    {"Bugs", kClient | kServer, SSL_OP_ALL, false},
    {"DHSingle", kServer, 0, false},
    {"ECDHSingle", kServer, 0, false},
    {"ServerPreference", kServer, SSL_OP_CIPHER_SERVER_PREFERENCE, false},
    {"NoResumptionOnRenegotiation", kServer, SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION, false},
    {"UnsafeLegacyRenegotiation", kClient | kServer, SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION,
     false},
    {"UnsafeLegacyServerConnect", kClient | kServer, SSL_OP_LEGACY_SERVER_CONNECT, false},
    {"ClientRenegotiation", kClient | kServer, SSL_OP_ALLOW_CLIENT_RENEGOTIATION, false},
    {"EncryptThenMac", kClient | kServer, SSL_OP_NO_ENCRYPT_THEN_MAC, true},
    {"NoRenegotiation", kClient | kServer, SSL_OP_NO_RENEGOTIATION, false},
    {"AllowNoDHEKEX", kClient | kServer, SSL_OP_ALLOW_NO_DHE_KEX, false},
    {"PrioritizeChaCha", kClient | kServer, SSL_OP_PRIORITIZE_CHACHA, false},
    {"MiddleboxCompat", kClient | kServer, SSL_OP_ENABLE_MIDDLEBOX_COMPAT, false},
    {"AntiReplay", kClient | kServer, SSL_OP_NO_ANTI_REPLAY, true},
    {"ExtendedMasterSecret", kClient | kServer, SSL_OP_NO_EXTENDED_MASTER_SECRET, true},
    {"CANames", kClient | kServer, SSL_OP_DISABLE_TLSEXT_CA_NAMES, true},
    {"KTLS", kClient | kServer, SSL_OP_ENABLE_KTLS, false},
};

const Flag kProtocolFlags[] = {
    {"SSLv2", kClient | kServer, 0, true},
    {"SSLv3", kClient | kServer, SSL_OP_NO_SSLv3, true},
    {"TLSv1", kClient | kServer, SSL_OP_NO_TLSv1, true},
    {"TLSv1.1", kClient | kServer, SSL_OP_NO_TLSv1_1, true},
    {"TLSv1.2", kClient | kServer, SSL_OP_NO_TLSv1_2, true},
    {"TLSv1.3", kClient | kServer, SSL_OP_NO_TLSv1_3, true},
    {"DTLSv1", kClient | kServer, SSL_OP_NO_DTLSv1, true},
    {"DTLSv1.2", kClient | kServer, SSL_OP_NO_DTLSv1_2, true},
    {"ALL", kClient | kServer, SSL_OP_NO_SSL_MASK, true},
};

const Flag kVerifyFlags[] = {
    {"Peer", kClient, SSL_VERIFY_PEER, false},
    {"Request", kServer, SSL_VERIFY_PEER, false},
    {"Require", kServer, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, false},
    {"Once", kServer, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, false},
    {"RequestPostHandshake", kServer, SSL_VERIFY_PEER | SSL_VERIFY_POST_HANDSHAKE, false},
    {"RequirePostHandshake", kServer,
     SSL_VERIFY_PEER | SSL_VERIFY_POST_HANDSHAKE | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, false},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A comma-separated list of names from `table`, each optionally prefixed with
// '+' (on, the default) or '-' (off), applied one after the other with
// apply(flag, on); stops at the first name that does not match (0).
template <size_t N, typename Apply>
int parse_flag_list(const Conf& c, const char* value, const Flag (&table)[N], Apply apply) {
  std::string_view rest(value);
  for (;;) {
    const size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    bool on = true;
    if (!item.empty() && (item.front() == '-' || item.front() == '+')) {
      on = item.front() == '+';
      item.remove_prefix(1);
    }
    if (item.empty()) return 0;
    const Flag* found = nullptr;
    for (const Flag& f : table) {
      if ((c.flags & f.roles & (kClient | kServer)) != 0 && equal_nocase(item, f.name)) {
        found = &f;
        break;
      }
    }
    if (found == nullptr) return 0;
    apply(*found, on);
    if (comma == std::string_view::npos) return 1;
    rest.remove_prefix(comma + 1);
  }
}

int cmd_options(Conf& c, const char* value) {
  return parse_flag_list(c, value, kOptionFlags, [&c](const Flag& f, bool on) {
    set_options(c, f.bits, on != f.inverted);
  });
}

int cmd_protocol(Conf& c, const char* value) {
  return parse_flag_list(c, value, kProtocolFlags, [&c](const Flag& f, bool on) {
    set_options(c, f.bits, on != f.inverted);
  });
}

int cmd_verify_mode(Conf& c, const char* value) {
  return parse_flag_list(c, value, kVerifyFlags, [&c](const Flag& f, bool on) {
    const int bits = static_cast<int>(f.bits);
    if (c.ssl != nullptr) {
      const int mode = on ? (c.ssl->verify_mode | bits) : (c.ssl->verify_mode & ~bits);
      SSL_set_verify(c.ssl, mode, nullptr);  // a null callback keeps the SSL's
    } else if (c.ctx != nullptr) {
      const int old = SSL_CTX_get_verify_mode(c.ctx);
      SSL_CTX_set_verify(c.ctx, on ? (old | bits) : (old & ~bits),
                         SSL_CTX_get_verify_callback(c.ctx));
    }
  });
}

// ---- values --------------------------------------------------------------------------------

int cmd_cipher_list(Conf& c, const char* value) {
  if (c.ssl != nullptr) return unsupported_on_ssl(c, "CipherString");
  if (c.ctx != nullptr) return SSL_CTX_set_cipher_list(c.ctx, value) > 0;
  return 1;
}

int cmd_ciphersuites(Conf& c, const char* value) {
  if (c.ssl != nullptr) return unsupported_on_ssl(c, "Ciphersuites");
  if (c.ctx != nullptr) return SSL_CTX_set_ciphersuites(c.ctx, value) > 0;
  return 1;
}

int cmd_groups(Conf& c, const char* value) {
  if (c.ssl != nullptr) return unsupported_on_ssl(c, "Groups");
  if (c.ctx != nullptr) return SSL_CTX_set1_groups_list(c.ctx, value) > 0;
  return 1;
}

// ECDHParameters / -named_curve: one group, or the 1.0.2 words for the
// automatic choice, which are accepted and change nothing.
int cmd_ecdh_parameters(Conf& c, const char* value) {
  const bool automatic =
      (c.flags & SSL_CONF_FLAG_FILE) != 0
          ? (strcasecmp(value, "+automatic") == 0 || strcasecmp(value, "automatic") == 0)
          : strcmp(value, "auto") == 0;
  if (automatic) return 1;
  if (strchr(value, ':') != nullptr) return 0;
  return cmd_groups(c, value);
}

int cmd_sigalgs(Conf&, const char*) {
  // rapidtls's engine chooses its signature schemes itself; there is no
  // list to set through the C interface yet.
  return unsupported("SignatureAlgorithms (SSL_CTX_set1_sigalgs_list)");
}

int cmd_client_sigalgs(Conf&, const char*) {
  return unsupported("ClientSignatureAlgorithms (SSL_CTX_set1_client_sigalgs_list)");
}

std::optional<int> protocol_version(const char* value) {
  static const struct {
    const char* name;
    int version;
  } kVersions[] = {
      {"None", 0},
      {"SSLv3", SSL3_VERSION},
      {"TLSv1", TLS1_VERSION},
      {"TLSv1.1", TLS1_1_VERSION},
      {"TLSv1.2", TLS1_2_VERSION},
      {"TLSv1.3", TLS1_3_VERSION},
      {"DTLSv1", DTLS1_VERSION},
      {"DTLSv1.2", DTLS1_2_VERSION},
  };
  for (const auto& v : kVersions) {
    if (strcmp(value, v.name) == 0) return v.version;
  }
  return std::nullopt;
}

int set_version_bound(Conf& c, const char* value, bool min) {
  const auto v = protocol_version(value);
  if (!v || (c.ctx == nullptr && c.ssl == nullptr)) return 0;
  // A DTLS version says nothing about a TLS method: accepted, nothing changes.
  if (*v == DTLS1_VERSION || *v == DTLS1_2_VERSION) return 1;
  if (c.ssl != nullptr) {
    return unsupported_on_ssl(c, min ? "MinProtocol" : "MaxProtocol");
  }
  const int ok =
      min ? SSL_CTX_set_min_proto_version(c.ctx, *v) : SSL_CTX_set_max_proto_version(c.ctx, *v);
  if (ok != 1) {
    // rapidtls speaks TLS 1.2 and 1.3 only: a maximum below TLS 1.2 is refused.
    ERR_raise_data(ERR_LIB_SSL, SSL_R_UNSUPPORTED_PROTOCOL, "%s %s: rapidtls speaks TLSv1.2 and up",
                   min ? "MinProtocol" : "MaxProtocol", value);
    return 0;
  }
  return 1;
}

int cmd_min_protocol(Conf& c, const char* value) {
  return set_version_bound(c, value, true);
}
int cmd_max_protocol(Conf& c, const char* value) {
  return set_version_bound(c, value, false);
}

int cmd_certificate(Conf& c, const char* value) {
  if (c.ssl != nullptr) return unsupported_on_ssl(c, "Certificate");
  if (c.ctx == nullptr) return 1;
  if (SSL_CTX_use_certificate_chain_file(c.ctx, value) <= 0) return 0;
  c.cert_files.emplace_back(value);
  return 1;
}

int cmd_private_key(Conf& c, const char* value) {
  if (c.ssl != nullptr) return unsupported_on_ssl(c, "PrivateKey");
  if (c.ctx == nullptr) return 1;
  return SSL_CTX_use_PrivateKey_file(c.ctx, value, SSL_FILETYPE_PEM) > 0;
}

// VerifyCAFile / VerifyCAPath / VerifyCAStore: OpenSSL loads them into a
// separate verification store; rapidtls has one store per context, the one
// SSL_CTX_get_cert_store returns, and loads them there.
int cmd_verify_ca_file(Conf& c, const char* value) {
  if (c.ssl != nullptr) return unsupported_on_ssl(c, "VerifyCAFile");
  if (c.ctx == nullptr) return 1;
  return SSL_CTX_load_verify_locations(c.ctx, value, nullptr) > 0;
}

int cmd_verify_ca_path(Conf& c, const char* value) {
  if (c.ssl != nullptr) return unsupported_on_ssl(c, "VerifyCAPath");
  if (c.ctx == nullptr) return 1;
  return SSL_CTX_load_verify_locations(c.ctx, nullptr, value) > 0;
}

int cmd_verify_ca_store(Conf& c, const char* value) {
  if (c.ssl != nullptr) return unsupported_on_ssl(c, "VerifyCAStore");
  if (c.ctx == nullptr) return 1;
  return X509_STORE_load_store(SSL_CTX_get_cert_store(c.ctx), value) > 0;
}

int cmd_chain_ca(Conf&, const char*) {
  // The chain store builds a server's chain when it has none; rapidtls
  // sends the chain it was given (SSL_CTX_use_certificate_chain_file).
  return unsupported("ChainCAFile / ChainCAPath / ChainCAStore (chain store)");
}

int cmd_request_ca(Conf&, const char*) {
  // The certificate_authorities names a server sends with its request.
  return unsupported("RequestCA* / ClientCA* (CA names sent to the peer)");
}

int cmd_server_info(Conf&, const char*) {
  return unsupported("ServerInfoFile (SSL_CTX_use_serverinfo_file)");
}

int cmd_dh_parameters(Conf&, const char*) {
  return unsupported("DHParameters (rapidtls has no finite-field DHE)");
}

int cmd_record_padding(Conf&, const char*) {
  return unsupported("RecordPadding (SSL_CTX_set_block_padding)");
}

int cmd_num_tickets(Conf& c, const char* value) {
  const int n = atoi(value);
  if (n < 0 || (c.ctx == nullptr && c.ssl == nullptr)) return 0;
  if (c.ssl != nullptr) return unsupported_on_ssl(c, "NumTickets");
  return SSL_CTX_set_num_tickets(c.ctx, static_cast<size_t>(n));
}

// ---- the table ----------------------------------------------------------------------------

struct Command {
  const char* cmdline;             // without the "-"; null: file only
  const char* file;                // null: command line only
  unsigned needs;                  // kClient, kServer, kCert: the SSL_CONF_CTX flags it needs
  int type;                        // SSL_CONF_TYPE_*
  int (*run)(Conf&, const char*);  // value commands
  uint64_t bits = 0;               // switches: options set (or cleared)
  bool clear = false;
  bool supported = true;  // a switch rapidtls cannot carry out
};

constexpr int kString = SSL_CONF_TYPE_STRING;
constexpr int kFile = SSL_CONF_TYPE_FILE;
constexpr int kDir = SSL_CONF_TYPE_DIR;
constexpr int kStore = SSL_CONF_TYPE_STORE;
constexpr int kNone = SSL_CONF_TYPE_NONE;

const Command kCommands[] = {
    // Switches: command line only.
    {"no_ssl3", nullptr, 0, kNone, nullptr, SSL_OP_NO_SSLv3},
    {"no_tls1", nullptr, 0, kNone, nullptr, SSL_OP_NO_TLSv1},
    {"no_tls1_1", nullptr, 0, kNone, nullptr, SSL_OP_NO_TLSv1_1},
    {"no_tls1_2", nullptr, 0, kNone, nullptr, SSL_OP_NO_TLSv1_2},
    {"no_tls1_3", nullptr, 0, kNone, nullptr, SSL_OP_NO_TLSv1_3},
    {"bugs", nullptr, 0, kNone, nullptr, SSL_OP_ALL},
    {"no_comp", nullptr, 0, kNone, nullptr, SSL_OP_NO_COMPRESSION},
    {"comp", nullptr, 0, kNone, nullptr, SSL_OP_NO_COMPRESSION, true},
    {"ecdh_single", nullptr, kServer, kNone, nullptr, 0},
    {"no_ticket", nullptr, 0, kNone, nullptr, SSL_OP_NO_TICKET},
    {"serverpref", nullptr, kServer, kNone, nullptr, SSL_OP_CIPHER_SERVER_PREFERENCE},
    {"legacy_renegotiation", nullptr, 0, kNone, nullptr, SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION},
    {"client_renegotiation", nullptr, kServer, kNone, nullptr, SSL_OP_ALLOW_CLIENT_RENEGOTIATION},
    {"legacy_server_connect", nullptr, kClient, kNone, nullptr, SSL_OP_LEGACY_SERVER_CONNECT},
    {"no_legacy_server_connect", nullptr, kClient, kNone, nullptr, SSL_OP_LEGACY_SERVER_CONNECT,
     true},
    {"no_resumption_on_reneg", nullptr, kServer, kNone, nullptr,
     SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION},
    {"no_renegotiation", nullptr, 0, kNone, nullptr, SSL_OP_NO_RENEGOTIATION},
    {"allow_no_dhe_kex", nullptr, 0, kNone, nullptr, SSL_OP_ALLOW_NO_DHE_KEX},
    {"prioritize_chacha", nullptr, kServer, kNone, nullptr, SSL_OP_PRIORITIZE_CHACHA},
    // Suite B / strict certificate checks (SSL_CERT_FLAG_TLS_STRICT): not in rapidtls.
    {"strict", nullptr, 0, kNone, nullptr, 0, false, false},
    {"no_middlebox", nullptr, 0, kNone, nullptr, SSL_OP_ENABLE_MIDDLEBOX_COMPAT, true},
    {"anti_replay", nullptr, kServer, kNone, nullptr, SSL_OP_NO_ANTI_REPLAY, true},
    {"no_anti_replay", nullptr, kServer, kNone, nullptr, SSL_OP_NO_ANTI_REPLAY},
    {"no_etm", nullptr, 0, kNone, nullptr, SSL_OP_NO_ENCRYPT_THEN_MAC},
    // Commands with a value.
    {"sigalgs", "SignatureAlgorithms", 0, kString, cmd_sigalgs},
    {"client_sigalgs", "ClientSignatureAlgorithms", 0, kString, cmd_client_sigalgs},
    {"curves", "Curves", 0, kString, cmd_groups},
    {"groups", "Groups", 0, kString, cmd_groups},
    {"named_curve", "ECDHParameters", kServer, kString, cmd_ecdh_parameters},
    {"cipher", "CipherString", 0, kString, cmd_cipher_list},
    {"ciphersuites", "Ciphersuites", 0, kString, cmd_ciphersuites},
    {nullptr, "Protocol", 0, kString, cmd_protocol},
    {"min_protocol", "MinProtocol", 0, kString, cmd_min_protocol},
    {"max_protocol", "MaxProtocol", 0, kString, cmd_max_protocol},
    {nullptr, "Options", 0, kString, cmd_options},
    {nullptr, "VerifyMode", 0, kString, cmd_verify_mode},
    {"cert", "Certificate", kCert, kFile, cmd_certificate},
    {"key", "PrivateKey", kCert, kFile, cmd_private_key},
    {"serverinfo", "ServerInfoFile", kServer | kCert, kFile, cmd_server_info},
    {"chainCApath", "ChainCAPath", kCert, kDir, cmd_chain_ca},
    {"chainCAfile", "ChainCAFile", kCert, kFile, cmd_chain_ca},
    {"chainCAstore", "ChainCAStore", kCert, kStore, cmd_chain_ca},
    {"verifyCApath", "VerifyCAPath", kCert, kDir, cmd_verify_ca_path},
    {"verifyCAfile", "VerifyCAFile", kCert, kFile, cmd_verify_ca_file},
    {"verifyCAstore", "VerifyCAStore", kCert, kStore, cmd_verify_ca_store},
    {"requestCAFile", "RequestCAFile", kCert, kFile, cmd_request_ca},
    {nullptr, "ClientCAFile", kServer | kCert, kFile, cmd_request_ca},
    {nullptr, "RequestCAPath", kCert, kDir, cmd_request_ca},
    {nullptr, "ClientCAPath", kServer | kCert, kDir, cmd_request_ca},
    {nullptr, "RequestCAStore", kCert, kStore, cmd_request_ca},
    {nullptr, "ClientCAStore", kServer | kCert, kStore, cmd_request_ca},
    {"dhparam", "DHParameters", kServer | kCert, kFile, cmd_dh_parameters},
    {"record_padding", "RecordPadding", 0, kString, cmd_record_padding},
    {"num_tickets", "NumTickets", kServer, kString, cmd_num_tickets},
};

// Removes the prefix from *cmd: the one set, else "-" on command lines.
bool skip_prefix(const Conf& c, const char** cmd) {
  if (*cmd == nullptr) return false;
  if (c.prefix) {
    const size_t n = c.prefix->size();
    if (strlen(*cmd) <= n) return false;
    if ((c.flags & SSL_CONF_FLAG_CMDLINE) && strncmp(*cmd, c.prefix->c_str(), n) != 0) {
      return false;
    }
    if ((c.flags & SSL_CONF_FLAG_FILE) && strncasecmp(*cmd, c.prefix->c_str(), n) != 0) {
      return false;
    }
    *cmd += n;
  } else if (c.flags & SSL_CONF_FLAG_CMDLINE) {
    if ((*cmd)[0] != '-' || (*cmd)[1] == '\0') return false;
    *cmd += 1;
  }
  return true;
}

const Command* lookup(const Conf& c, const char* cmd) {
  for (const Command& t : kCommands) {
    if ((t.needs & kServer) && !(c.flags & kServer)) continue;
    if ((t.needs & kClient) && !(c.flags & kClient)) continue;
    if ((t.needs & kCert) && !(c.flags & kCert)) continue;
    if ((c.flags & SSL_CONF_FLAG_CMDLINE) && t.cmdline != nullptr && strcmp(cmd, t.cmdline) == 0) {
      return &t;
    }
    if ((c.flags & SSL_CONF_FLAG_FILE) && t.file != nullptr && strcasecmp(cmd, t.file) == 0) {
      return &t;
    }
  }
  return nullptr;
}

int run_switch(Conf& c, const Command& t) {
  if (!t.supported) {
    return unsupported("-strict (strict certificate checks, SSL_CERT_FLAG_TLS_STRICT)");
  }
  set_options(c, t.bits, !t.clear);
  return 1;
}

// SSL_CTX_config / SSL_config: the commands of the ssl_conf section `name`.
int do_config(SSL_CTX* ctx, SSL* ssl, const char* name) {
  load_conf_strings();
  if (name == nullptr) {
    ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_CONFIGURATION_NAME);
    return 0;
  }
  size_t idx = 0;
  if (!conf_ssl_name_find(name, &idx)) {
    ERR_raise_data(ERR_LIB_SSL, SSL_R_INVALID_CONFIGURATION_NAME, "name=%s", name);
    return 0;
  }
  const char* section = nullptr;
  size_t count = 0;
  const void* cmds = conf_ssl_get(idx, &section, &count);
  SSL_CONF_CTX* cctx = SSL_CONF_CTX_new();
  if (cctx == nullptr) return 0;
  unsigned flags = SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_CERTIFICATE | SSL_CONF_FLAG_REQUIRE_PRIVATE;
  const SSL_CTX* owner = ssl != nullptr ? SSL_get_SSL_CTX(ssl) : ctx;
  const int role = owner->method != nullptr ? owner->method->role : 0;
  if (role != 1) flags |= SSL_CONF_FLAG_SERVER;
  if (role != 2) flags |= SSL_CONF_FLAG_CLIENT;
  SSL_CONF_CTX_set_flags(cctx, flags);
  if (ssl != nullptr) {
    SSL_CONF_CTX_set_ssl(cctx, ssl);
  } else {
    SSL_CONF_CTX_set_ssl_ctx(cctx, ctx);
  }
  // As OpenSSL: every command is tried, a failure makes the result 0, and the
  // ERR queue holds only what the commands themselves reported.
  int ok = 1;
  for (size_t i = 0; i < count; ++i) {
    char* cmd = nullptr;
    char* arg = nullptr;
    conf_ssl_get_cmd(cmds, i, &cmd, &arg);
    if (SSL_CONF_cmd(cctx, cmd, arg) <= 0) ok = 0;
  }
  if (!SSL_CONF_CTX_finish(cctx)) ok = 0;
  SSL_CONF_CTX_free(cctx);
  return ok;
}

}  // namespace

extern "C" {

SSL_CONF_CTX* SSL_CONF_CTX_new(void) {
  load_conf_strings();
  auto* c = new (std::nothrow) ssl_conf_ctx_st();
  if (c == nullptr) ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
  return c;
}

void SSL_CONF_CTX_free(SSL_CONF_CTX* cctx) {
  delete cctx;
}

unsigned int SSL_CONF_CTX_set_flags(SSL_CONF_CTX* cctx, unsigned int flags) {
  return cctx->flags |= flags;
}

unsigned int SSL_CONF_CTX_clear_flags(SSL_CONF_CTX* cctx, unsigned int flags) {
  return cctx->flags &= ~flags;
}

int SSL_CONF_CTX_set1_prefix(SSL_CONF_CTX* cctx, const char* pre) {
  if (pre == nullptr) {
    cctx->prefix.reset();
  } else {
    cctx->prefix = pre;
  }
  return 1;
}

void SSL_CONF_CTX_set_ssl_ctx(SSL_CONF_CTX* cctx, SSL_CTX* ctx) {
  cctx->ctx = ctx;
  cctx->ssl = nullptr;
}

void SSL_CONF_CTX_set_ssl(SSL_CONF_CTX* cctx, SSL* ssl) {
  cctx->ssl = ssl;
  cctx->ctx = nullptr;
}

int SSL_CONF_cmd(SSL_CONF_CTX* cctx, const char* cmd, const char* value) {
  if (cmd == nullptr) {
    ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_NULL_CMD_NAME);
    return 0;
  }
  const bool show = (cctx->flags & SSL_CONF_FLAG_SHOW_ERRORS) != 0;
  const Command* t = skip_prefix(*cctx, &cmd) ? lookup(*cctx, cmd) : nullptr;
  if (t == nullptr) {
    if (show) ERR_raise_data(ERR_LIB_SSL, SSL_R_UNKNOWN_CMD_NAME, "cmd=%s", cmd);
    return -2;
  }
  if (t->type == kNone) return run_switch(*cctx, *t);
  if (value == nullptr) {
    if (show) ERR_raise_data(ERR_LIB_SSL, SSL_R_BAD_VALUE, "cmd=%s, value=<EMPTY>", cmd);
    return -3;
  }
  if (t->run(*cctx, value) > 0) return 2;
  if (show) ERR_raise_data(ERR_LIB_SSL, SSL_R_BAD_VALUE, "cmd=%s, value=%s", cmd, value);
  return 0;
}

int SSL_CONF_cmd_argv(SSL_CONF_CTX* cctx, int* pargc, char*** pargv) {
  if (pargc != nullptr && *pargc == 0) return 0;
  const char* arg = (pargc == nullptr || *pargc > 0) ? (*pargv)[0] : nullptr;
  if (arg == nullptr) return 0;
  const char* next = (pargc == nullptr || *pargc > 1) ? (*pargv)[1] : nullptr;
  // Arguments are command-line commands, whatever the context was set for.
  cctx->flags &= ~static_cast<unsigned>(SSL_CONF_FLAG_FILE);
  cctx->flags |= SSL_CONF_FLAG_CMDLINE;
  const int rv = SSL_CONF_cmd(cctx, arg, next);
  if (rv > 0) {
    *pargv += rv;
    if (pargc != nullptr) *pargc -= rv;
    return rv;
  }
  if (rv == -2) return 0;  // not ours: nothing taken
  if (rv == 0) return -1;  // ours, and it failed
  return rv;               // -3: the value is missing
}

int SSL_CONF_cmd_value_type(SSL_CONF_CTX* cctx, const char* cmd) {
  if (!skip_prefix(*cctx, &cmd)) return SSL_CONF_TYPE_UNKNOWN;
  const Command* t = lookup(*cctx, cmd);
  return t != nullptr ? t->type : SSL_CONF_TYPE_UNKNOWN;
}

// SSL_CONF_FLAG_REQUIRE_PRIVATE: a certificate loaded without a key takes its
// key from the certificate's own file.
int SSL_CONF_CTX_finish(SSL_CONF_CTX* cctx) {
  if ((cctx->flags & SSL_CONF_FLAG_REQUIRE_PRIVATE) != 0 && cctx->ctx != nullptr &&
      !cctx->ctx->certs.current().key) {
    for (const std::string& f : cctx->cert_files) {
      if (!cmd_private_key(*cctx, f.c_str())) return 0;
    }
  }
  cctx->cert_files.clear();
  return 1;
}

int SSL_CTX_config(SSL_CTX* ctx, const char* name) {
  return do_config(ctx, nullptr, name);
}

int SSL_config(SSL* s, const char* name) {
  return do_config(nullptr, s, name);
}

}  // extern "C"
