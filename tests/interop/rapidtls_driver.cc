// The interop test driver: a TLS 1.3 client or server over io::FdStream that
// sends a deterministic pseudo-random stream, hashes what it receives and
// prints the outcome, so shell scripts can pit it against other TLS
// implementations and compare checksums.
//
//   rapidtls_driver client HOST PORT [options]
//   rapidtls_driver server PORT [options]        (PORT 0: the kernel picks)
//   rapidtls_driver gen N [--seed S]            (writes the bytes --send-bytes N sends)
//
// On stdout: `sha256=<hex> bytes=<n>` of everything received. On stderr: the
// negotiated parameters, and on failure the alert and reason (exit status 1).

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conn/connection.h"
#include "crypto/hash.h"
#include "crypto/kex.h"
#include "crypto/random.h"
#include "crypto/sig.h"
#include "crypto/x509.h"
#include "handshake/callbacks.h"
#include "handshake/config.h"
#include "io/fd_stream.h"
#include "io/socket.h"

namespace {

using rapidtls::Bytes;
using rapidtls::ByteVec;
using rapidtls::Error;
using rapidtls::MutBytes;
using rapidtls::Status;
using rapidtls::crypto::NamedGroup;

struct Options {
  std::string mode;  // client, server or gen
  std::string host;
  uint16_t port = 0;
  std::string bind_address = "127.0.0.1";
  std::string port_file;
  std::vector<uint16_t> suites;
  std::vector<NamedGroup> groups;
  size_t key_shares = 1;
  std::string cert, key, cafile, server_host, keylog;
  std::string client_cert, client_key;
  bool require_client_cert = false;
  bool key_update = false;
  bool read_first = false;
  uint64_t send_bytes = 0;
  std::optional<uint64_t> expect_bytes;
  uint64_t seed = 1;
  int timeout_ms = 20000;
  bool no_tickets = false;
  bool text = false;
  int accept_count = 1;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "rapidtls_driver: %s\n"
               "usage: rapidtls_driver client HOST PORT [options]\n"
               "       rapidtls_driver server PORT [options]\n"
               "       rapidtls_driver gen N [--seed S]\n"
               "options: --suite 0x1301|0x1302|0x1303 (repeatable)\n"
               "         --group x25519|secp256r1|secp384r1[,...] (a client sends\n"
               "           --key-shares N shares, 1 by default, for the first groups)\n"
               "         --cert F --key F  --cafile F  --host NAME\n"
               "         --client-cert F --client-key F  --require-client-cert\n"
               "         --send-bytes N  --expect-bytes N  --read-first  --seed S\n"
               "         --key-update  --keylog FILE  --bind ADDR  --port-file F\n"
               "         --timeout-ms N  --no-tickets\n"
               "         --text (send printable lines, for line-oriented peers)\n"
               "         --accept N (a server serves N connections in turn, one config)\n",
               why);
  std::exit(2);
}

uint64_t parse_number(std::string_view s) {
  uint64_t v = 0;
  int base = 10;
  if (s.starts_with("0x") || s.starts_with("0X")) {
    s.remove_prefix(2);
    base = 16;
  }
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) usage("bad number");
  return v;
}

NamedGroup parse_group(std::string_view name) {
  if (name == "x25519" || name == "X25519") return NamedGroup::x25519;
  if (name == "secp256r1" || name == "P-256" || name == "prime256v1") return NamedGroup::secp256r1;
  if (name == "secp384r1" || name == "P-384") return NamedGroup::secp384r1;
  usage("unknown group");
}

Options parse_args(int argc, char** argv) {
  Options o;
  if (argc < 2) usage("missing mode");
  o.mode = argv[1];
  int i = 2;
  auto need = [&](const char* what) -> std::string {
    if (i >= argc) usage(what);
    return argv[i++];
  };
  if (o.mode == "client") {
    o.host = need("missing HOST");
    o.port = static_cast<uint16_t>(parse_number(need("missing PORT")));
  } else if (o.mode == "server") {
    o.port = static_cast<uint16_t>(parse_number(need("missing PORT")));
  } else if (o.mode == "gen") {
    o.send_bytes = parse_number(need("missing N"));
  } else {
    usage("mode must be client, server or gen");
  }
  while (i < argc) {
    const std::string_view opt = argv[i++];
    if (opt == "--suite") {
      o.suites.push_back(static_cast<uint16_t>(parse_number(need("--suite needs a value"))));
    } else if (opt == "--group") {
      const std::string value = need("--group needs a value");
      std::string_view list = value;
      while (!list.empty()) {
        const size_t comma = list.find(',');
        o.groups.push_back(parse_group(list.substr(0, comma)));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      }
    } else if (opt == "--key-shares") {
      o.key_shares = parse_number(need("--key-shares needs a value"));
    } else if (opt == "--cert") {
      o.cert = need("--cert needs a file");
    } else if (opt == "--key") {
      o.key = need("--key needs a file");
    } else if (opt == "--cafile") {
      o.cafile = need("--cafile needs a file");
    } else if (opt == "--host") {
      o.server_host = need("--host needs a name");
    } else if (opt == "--client-cert") {
      o.client_cert = need("--client-cert needs a file");
    } else if (opt == "--client-key") {
      o.client_key = need("--client-key needs a file");
    } else if (opt == "--require-client-cert") {
      o.require_client_cert = true;
    } else if (opt == "--send-bytes") {
      o.send_bytes = parse_number(need("--send-bytes needs a number"));
    } else if (opt == "--expect-bytes") {
      o.expect_bytes = parse_number(need("--expect-bytes needs a number"));
    } else if (opt == "--read-first") {
      o.read_first = true;
    } else if (opt == "--seed") {
      o.seed = parse_number(need("--seed needs a number"));
    } else if (opt == "--key-update") {
      o.key_update = true;
    } else if (opt == "--keylog") {
      o.keylog = need("--keylog needs a file");
    } else if (opt == "--bind") {
      o.bind_address = need("--bind needs an address");
    } else if (opt == "--port-file") {
      o.port_file = need("--port-file needs a file");
    } else if (opt == "--timeout-ms") {
      o.timeout_ms = static_cast<int>(parse_number(need("--timeout-ms needs a number")));
    } else if (opt == "--no-tickets") {
      o.no_tickets = true;
    } else if (opt == "--accept") {
      o.accept_count = static_cast<int>(parse_number(need("--accept needs a number")));
    } else if (opt == "--text") {
      o.text = true;
    } else {
      usage("unknown option");
    }
  }
  return o;
}

// splitmix64: a fixed, seedable stream, so a script can regenerate exactly
// the bytes a run sent (`rapidtls_driver gen N`) and hash them independently.
// With `text`, the bytes are letters and digits in lines of 64 (echo servers
// that treat their input as C strings cannot take NUL bytes).
class ByteStream {
 public:
  ByteStream(uint64_t seed, bool text) : state_(seed), text_(text) {}
  void fill(MutBytes out) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (uint8_t& b : out) {
      if (text_ && ++column_ == 65) {
        b = '\n';
        column_ = 0;
        continue;
      }
      if (left_ == 0) {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        word_ = z ^ (z >> 31);
        left_ = 8;
      }
      b = static_cast<uint8_t>(word_);
      if (text_) b = static_cast<uint8_t>(kAlphabet[b & 63]);
      word_ >>= 8;
      --left_;
    }
  }

 private:
  uint64_t state_;
  bool text_;
  int column_ = 0;
  uint64_t word_ = 0;
  int left_ = 0;
};

const char* reason_name(int reason) {
  switch (reason) {
    case ERR_R_SYS_LIB:
      return "system call failed";
    case ERR_R_INTERNAL_ERROR:
      return "internal error";
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
      return "unexpected eof while reading";
    case SSL_R_READ_TIMEOUT_EXPIRED:
      return "read timeout expired";
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
      return "certificate verify failed";
    case SSL_R_BAD_KEY_SHARE:
      return "bad key share";
    case SSL_R_NO_SHARED_CIPHER:
      return "no shared cipher";
    case SSL_R_NO_SUITABLE_KEY_SHARE:
      return "no suitable key share";
    case SSL_R_NO_SHARED_GROUPS:
      return "no shared groups";
    case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
      return "decryption failed or bad record mac";
    case SSL_R_UNEXPECTED_MESSAGE:
      return "unexpected message";
    case SSL_R_UNEXPECTED_RECORD:
      return "unexpected record";
    case SSL_R_BAD_SIGNATURE:
      return "bad signature";
    case SSL_R_LENGTH_MISMATCH:
      return "length mismatch";
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
      return "peer did not return a certificate";
    case SSL_R_BAD_HANDSHAKE_STATE:
      return "bad handshake state";
    case SSL_R_PROTOCOL_IS_SHUTDOWN:
      return "protocol is shutdown";
    case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
      return "no suitable signature algorithm";
    case SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS:
      return "no shared signature algorithms";
    case SSL_R_WRONG_SIGNATURE_TYPE:
      return "wrong signature type";
    case SSL_R_BAD_EXTENSION:
      return "bad extension";
    case SSL_R_UNSUPPORTED_PROTOCOL:
      return "unsupported protocol";
    case SSL_R_TOO_MANY_KEY_UPDATES:
      return "too many key updates";
    default:
      return reason >= 1000 && reason < 1256 ? "alert received from the peer" : "";
  }
}

int report(const char* what, const Error& e, const rapidtls::io::FdStream* stream) {
  std::fprintf(stderr, "rapidtls_driver: %s failed: alert=%s reason=%d (%s)", what,
               rapidtls::alert_name(e.alert), e.reason, reason_name(e.reason));
  if (stream != nullptr && stream->last_errno() != 0) {
    std::fprintf(stderr, " errno=%d (%s)", stream->last_errno(),
                 std::strerror(stream->last_errno()));
  }
  if (e.reason >= 1000 && e.reason < 1256) {
    std::fprintf(stderr, " peer alert=%s",
                 rapidtls::alert_name(static_cast<rapidtls::Alert>(e.reason - 1000)));
  }
  std::fputc('\n', stderr);
  return 1;
}

int run_gen(const Options& o) {
  ByteStream gen(o.seed, o.text);
  std::vector<uint8_t> buf(1 << 16);
  for (uint64_t left = o.send_bytes; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
    gen.fill(MutBytes(buf.data(), n));
    if (std::fwrite(buf.data(), 1, n, stdout) != n) return 1;
    left -= n;
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}

// Builds the configuration; exits with a message when a file does not load.
// --keylog: one line per secret, flushed at once so a capture can be
// decrypted even if the run fails later.
struct KeyLogFile final : rapidtls::handshake::ConnectionCallbacks {
  std::FILE* file = nullptr;
  bool logs_keys() const override { return file != nullptr; }
  void on_key_log(std::string_view line) override {
    std::fwrite(line.data(), 1, line.size(), file);
    std::fputc('\n', file);
    std::fflush(file);
  }
};
KeyLogFile g_keylog;

std::shared_ptr<rapidtls::handshake::Config> make_config(const Options& o, bool server) {
  using rapidtls::handshake::VerifyMode;
  auto cfg = std::make_shared<rapidtls::handshake::Config>();
  // A TLS 1.2 suite (0xc0xx / 0xccxx) asks for TLS 1.2.
  std::vector<uint16_t> suites13, suites12;
  for (uint16_t id : o.suites) (id >= 0x1300 && id <= 0x13ff ? suites13 : suites12).push_back(id);
  if (!suites13.empty()) cfg->cipher_suites = suites13;
  if (!suites12.empty()) {
    cfg->cipher_suites12 = suites12;
    cfg->max_version = rapidtls::handshake::kTls12;
  }
  if (!o.groups.empty()) cfg->groups = o.groups;
  cfg->client_key_shares = o.key_shares;

  const std::string& cert = server ? o.cert : (o.client_cert.empty() ? o.cert : o.client_cert);
  const std::string& key = server ? o.key : (o.client_key.empty() ? o.key : o.client_key);
  if (!cert.empty() || !key.empty()) {
    auto chain = rapidtls::crypto::Certificate::chain_from_pem_file(cert);
    if (!chain.ok())
      std::exit(report(("loading certificate " + cert).c_str(), chain.error(), nullptr));
    auto pkey = rapidtls::crypto::PrivateKey::from_pem_file(key);
    if (!pkey.ok()) std::exit(report(("loading key " + key).c_str(), pkey.error(), nullptr));
    cfg->certificates = {rapidtls::handshake::CertifiedKey{
        std::move(chain).value(),
        std::make_shared<rapidtls::handshake::KeySigner>(std::move(pkey).value())}};
  }
  if (!o.cafile.empty()) {
    cfg->trust = std::make_shared<rapidtls::crypto::TrustStore>();
    if (Status s = cfg->trust->add_pem_file(o.cafile); !s.ok()) {
      std::exit(report(("loading CA file " + o.cafile).c_str(), s.error(), nullptr));
    }
    cfg->verify = server && !o.require_client_cert ? VerifyMode::peer : VerifyMode::require;
  }
  if (server && o.require_client_cert) cfg->verify = VerifyMode::require;
  if (server && !o.no_tickets) {
    cfg->ticket_issuer = rapidtls::handshake::make_sealing_ticket_issuer(*cfg->rng, 7200);
  }
  if (!o.keylog.empty()) {
    std::FILE* f = std::fopen(o.keylog.c_str(), "a");
    if (f == nullptr) {
      std::fprintf(stderr, "rapidtls_driver: cannot open key log %s: %s\n", o.keylog.c_str(),
                   std::strerror(errno));
      std::exit(1);
    }
    g_keylog.file = f;  // lives as long as the process
  }
  return cfg;
}

void print_session(const rapidtls::conn::Connection& conn) {
  const rapidtls::handshake::SessionInfo* s = conn.session();
  if (s == nullptr) return;
  std::fprintf(stderr, "negotiated: version=%s suite=%s group=%s hrr=%s",
               s->version == 0x0304   ? "TLSv1.3"
               : s->version == 0x0303 ? "TLSv1.2"
                                      : "other",
               s->suite     ? s->suite->name
               : s->suite12 ? s->suite12->name
                            : "?",
               rapidtls::crypto::group_name(s->group), s->hello_retry ? "yes" : "no");
  if (!s->peer_chain.empty()) {
    std::fprintf(stderr, " peer=\"%s\" verify_result=%ld", s->peer_chain.front().subject().c_str(),
                 s->verify_result);
  }
  std::fputc('\n', stderr);
}

int run_connection(const Options& o, std::shared_ptr<const rapidtls::handshake::Config> cfg,
                   int fd) {
  const bool server = o.mode == "server";
  rapidtls::handshake::ClientOptions copts;
  if (!server) copts.server_name = o.server_host.empty() ? o.host : o.server_host;
  rapidtls::conn::Connection conn(
      server ? rapidtls::handshake::Role::server : rapidtls::handshake::Role::client, cfg, copts);
  conn.set_callbacks(&g_keylog);
  rapidtls::io::FdStream stream(conn, fd);
  stream.set_read_timeout_ms(o.timeout_ms);

  if (Status s = stream.handshake(); !s.ok()) return report("handshake", s.error(), &stream);
  print_session(conn);

  auto send_all = [&]() -> int {
    ByteStream gen(o.seed, o.text);
    std::vector<uint8_t> buf(64 * 1024);
    const uint64_t half = o.send_bytes / 2;
    uint64_t sent = 0;
    bool updated = false;
    while (sent < o.send_bytes || (o.key_update && !updated)) {
      if (o.key_update && !updated && sent >= half) {
        // RFC 8446 4.6.3: update our keys mid-stream and ask the peer to update its own.
        if (Status s = conn.key_update(true); !s.ok())
          return report("key update", s.error(), &stream);
        if (Status s = stream.flush(); !s.ok()) return report("key update", s.error(), &stream);
        std::fprintf(stderr, "sent KeyUpdate(update_requested) after %llu bytes\n",
                     static_cast<unsigned long long>(sent));
        updated = true;
        continue;
      }
      uint64_t limit = o.send_bytes - sent;
      if (o.key_update && !updated) limit = half - sent;
      const size_t n = static_cast<size_t>(std::min<uint64_t>(limit, buf.size()));
      gen.fill(MutBytes(buf.data(), n));
      if (Status s = stream.write_all(Bytes(buf.data(), n)); !s.ok()) {
        return report("write", s.error(), &stream);
      }
      sent += n;
    }
    return 0;
  };

  auto hasher = rapidtls::crypto::Hash::create(rapidtls::crypto::HashAlg::sha256);
  if (!hasher.ok()) return report("hash", hasher.error(), nullptr);
  uint64_t received = 0;
  bool peer_closed = false;
  // Reads until --expect-bytes have arrived, or else until the peer's close_notify.
  auto receive_all = [&]() -> int {
    std::vector<uint8_t> buf(64 * 1024);
    while (!o.expect_bytes || received < *o.expect_bytes) {
      auto n = stream.read(MutBytes(buf.data(), buf.size()));
      if (!n.ok()) return report("read", n.error(), &stream);
      if (*n == 0) {
        peer_closed = true;
        break;
      }
      hasher->update(Bytes(buf.data(), *n));
      received += *n;
    }
    return 0;
  };

  int rc = 0;
  if (o.read_first) {
    rc = receive_all();
    if (rc == 0) rc = send_all();
  } else {
    rc = send_all();
    if (rc == 0 && o.expect_bytes) rc = receive_all();
  }
  if (rc != 0) return rc;
  if (Status s = stream.shutdown(); !s.ok()) return report("shutdown", s.error(), &stream);
  if (!o.expect_bytes) {
    // "Send then close_notify, read until the peer closes" mode.
    if (int r = receive_all(); r != 0) return r;
  } else if (!peer_closed) {
    // Wait briefly for the peer's close_notify so our socket does not close
    // (and reset) under bytes the peer is still sending; its absence is no error.
    stream.set_read_timeout_ms(2000);
    std::vector<uint8_t> buf(16 * 1024);
    for (;;) {
      auto n = stream.read(MutBytes(buf.data(), buf.size()));
      if (!n.ok() || *n == 0) break;
      // Bytes beyond what was expected are an error of the test set-up.
      std::fprintf(stderr, "rapidtls_driver: %zu unexpected bytes after the expected %llu\n", *n,
                   static_cast<unsigned long long>(*o.expect_bytes));
      rc = 1;
    }
  }
  auto digest = hasher->current();
  if (!digest.ok()) return report("hash", digest.error(), nullptr);
  std::printf("sha256=%s bytes=%llu\n", rapidtls::to_hex(digest->bytes()).c_str(),
              static_cast<unsigned long long>(received));
  std::fflush(stdout);
  if (o.expect_bytes && received != *o.expect_bytes) {
    std::fprintf(stderr, "rapidtls_driver: expected %llu bytes, received %llu\n",
                 static_cast<unsigned long long>(*o.expect_bytes),
                 static_cast<unsigned long long>(received));
    return 1;
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  if (o.mode == "gen") return run_gen(o);

  const bool server = o.mode == "server";
  const std::shared_ptr<const rapidtls::handshake::Config> cfg = make_config(o, server);
  int err = 0;
  if (!server) {
    auto c = rapidtls::io::connect_tcp(o.host, o.port, &err);
    if (!c.ok()) {
      std::fprintf(stderr, "rapidtls_driver: connect %s:%u: %s\n", o.host.c_str(), o.port,
                   std::strerror(err));
      return 1;
    }
    const int rc = run_connection(o, cfg, *c);
    // After a failure the peer must still read our alert: no reset.
    if (rc != 0) {
      rapidtls::io::close_lingering(*c);
    } else {
      rapidtls::io::close_fd(*c);
    }
    return rc;
  }
  auto l = rapidtls::io::listen_tcp(o.bind_address, o.port, &err);
  if (!l.ok()) {
    std::fprintf(stderr, "rapidtls_driver: listen %s:%u: %s\n", o.bind_address.c_str(), o.port,
                 std::strerror(err));
    return 1;
  }
  auto port = rapidtls::io::local_port(*l);
  if (!port.ok()) return 1;
  std::fprintf(stderr, "listening on %s:%u\n", o.bind_address.c_str(), *port);
  if (!o.port_file.empty()) {
    // Written whole under a temporary name, then renamed: a script polling
    // for the file never reads half a number.
    const std::string tmp = o.port_file + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    if (f == nullptr || std::fprintf(f, "%u\n", *port) < 0 || std::fclose(f) != 0 ||
        std::rename(tmp.c_str(), o.port_file.c_str()) != 0) {
      std::fprintf(stderr, "rapidtls_driver: cannot write %s\n", o.port_file.c_str());
      return 1;
    }
  }
  // Connections are served one after the other with the same configuration
  // (and so the same ticket key); the first failure ends the run.
  int rc = 0;
  for (int i = 0; i < o.accept_count && rc == 0; ++i) {
    auto a = rapidtls::io::accept_one(*l, &err);
    if (!a.ok()) {
      std::fprintf(stderr, "rapidtls_driver: accept: %s\n", std::strerror(err));
      rc = 1;
      break;
    }
    rc = run_connection(o, cfg, *a);
    if (rc != 0) {
      rapidtls::io::close_lingering(*a);
    } else {
      rapidtls::io::close_fd(*a);
    }
  }
  rapidtls::io::close_fd(*l);
  return rc;
}
