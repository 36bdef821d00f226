// The C interface (src/ssl/) over BIO pairs: a client and a server SSL, each
// on its own BIO pair, and the harness carrying bytes between the pairs' far
// ends. The input is a script: a setup byte, then operations on either side
// (SSL_write, SSL_write_ex, SSL_read, SSL_read_ex, SSL_peek, SSL_shutdown,
// SSL_key_update, SSL_sendfile, SSL_do_handshake, modes), moving bytes, and
// fuzzed bytes injected into, or flipped in, what a side receives.
//
// Setup byte: bit 0 TLS 1.2 (both sides' maximum), bit 1 no handshake
// before the script (operations drive it), bits 2-3 the BIO pairs' size
// (256, 2 KiB, 17 KiB, 64 KiB), bit 4 SSL_MODE_ENABLE_PARTIAL_WRITE, bit 5
// SSL_MODE_RELEASE_BUFFERS, bit 6 read-ahead, bit 7 no session tickets.
//
// Invariants (a violation aborts):
// - what a side reads or peeks is exactly the next bytes the other side's
//   writes were reported to have taken: nothing lost, doubled, reordered
//   or forged, whatever was injected;
// - a write reports at most what it was given, and all of it unless
//   partial writes are on;
// - after a read or handshake fails with SSL_ERROR_SSL (a fatal error), no
//   read or write on that side succeeds (an SSL_ERROR_SSL of SSL_shutdown
//   during the handshake, or of a write after close_notify, is not fatal);
// - SSL_pending never exceeds what the peer has written and is unread.
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz_target.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#define SSL_CHECK(cond)                                                                       \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "fuzz_ssl: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

namespace {

constexpr size_t kMaxOps = 128;
constexpr size_t kFileSize = 64 * 1024;  // the file SSL_sendfile sends from

// The script: bytes in order, zeros once it runs out.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t byte() { return done() ? 0 : data_[pos_++]; }
  // A length: small, up to 1 KiB, or one at a record's edges.
  size_t length() {
    static constexpr size_t kEdges[] = {0,    1,     255,   256,   1024,  4096,
                                        8192, 16383, 16384, 16385, 32768, 40000};
    const uint8_t b = byte();
    switch (b >> 6) {
      case 0:
        return b & 63;
      case 1:
        return size_t{b & 3u} << 8 | byte();
      default:
        return kEdges[(b & 63) % std::size(kEdges)];
    }
  }
  std::vector<uint8_t> take(size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    std::vector<uint8_t> out(data_ + pos_, data_ + pos_ + n);
    pos_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

struct Identity {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};

// A self-signed P-256 certificate for localhost, made once.
const Identity& identity() {
  static const Identity id = [] {
    Identity r;
    r.key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    r.cert = X509_new();
    SSL_CHECK(r.key != nullptr && r.cert != nullptr);
    X509_set_version(r.cert, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(r.cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(r.cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(r.cert), 365 * 24 * 3600);
    X509_NAME* name = X509_get_subject_name(r.cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(r.cert, name);
    X509_set_pubkey(r.cert, r.key);
    SSL_CHECK(X509_sign(r.cert, r.key, EVP_sha256()) > 0);
    return r;
  }();
  return id;
}

SSL_CTX* make_ctx(bool server, bool tls12) {
  SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  SSL_CHECK(ctx != nullptr);
  SSL_CHECK(SSL_CTX_set_max_proto_version(ctx, tls12 ? TLS1_2_VERSION : TLS1_3_VERSION) == 1);
  if (server) {
    SSL_CHECK(SSL_CTX_use_certificate(ctx, identity().cert) == 1);
    SSL_CHECK(SSL_CTX_use_PrivateKey(ctx, identity().key) == 1);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return ctx;
}

// A write SSL_write(3) says must be made again, the same (after WANT_WRITE
// or WANT_READ; for SSL_sendfile also the rest of a piece after a short
// count). Its bytes may already be on the wire.
struct Pending {
  enum Kind : uint8_t { none, write, write_ex, sendfile } kind = none;
  std::vector<uint8_t> data;
  off_t offset = 0;  // sendfile
};

// One side: its SSL, the far end of its BIO pair, and what it has written
// (the bytes its peer must read, in order).
struct Side {
  SSL* ssl = nullptr;
  BIO* net = nullptr;
  std::vector<uint8_t> sent;  // every byte a write reported taken
  Pending pending;            // then these, perhaps already partly sent
  size_t read = 0;            // how many of the peer's bytes this side has read
  bool failed = false;        // SSL_ERROR_SSL seen
  bool abandoned = false;     // a write failed with `pending` unfinished
  // SSL_shutdown was called after this side's close_notify had gone: it waits
  // for the peer's and drops the application data on the way (as OpenSSL),
  // so later reads may skip bytes (never reorder or forge them).
  bool may_skip = false;
  // The bytes the peer may have read so far: at most sent, then pending.
  size_t readable() const { return sent.size() + pending.data.size(); }
  uint8_t byte_at(size_t i) const {
    return i < sent.size() ? sent[i] : pending.data[i - sent.size()];
  }
};

class Session {
 public:
  Session(uint8_t setup, int file) : file_(file) {
    static SSL_CTX* const ctxs[2][2] = {{make_ctx(false, false), make_ctx(true, false)},
                                        {make_ctx(false, true), make_ctx(true, true)}};
    static constexpr size_t kPairSizes[] = {256, 2048, 17 * 1024, 64 * 1024};
    const bool tls12 = setup & 1;
    const size_t pair_size = kPairSizes[(setup >> 2) & 3];
    partial_ = setup & 0x10;
    for (int i = 0; i < 2; ++i) {
      Side& s = sides_[i];
      s.ssl = SSL_new(ctxs[tls12][i]);
      SSL_CHECK(s.ssl != nullptr);
      BIO* inner = nullptr;
      SSL_CHECK(BIO_new_bio_pair(&inner, pair_size, &s.net, pair_size) == 1);
      SSL_set_bio(s.ssl, inner, inner);
      if (i == 0) {
        SSL_set_connect_state(s.ssl);
        SSL_set_tlsext_host_name(s.ssl, "localhost");
      } else {
        SSL_set_accept_state(s.ssl);
      }
      long mode = SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
      if (setup & 0x10) mode |= SSL_MODE_ENABLE_PARTIAL_WRITE;
      if (setup & 0x20) mode |= SSL_MODE_RELEASE_BUFFERS;
      SSL_set_mode(s.ssl, mode);
      if (setup & 0x40) SSL_set_read_ahead(s.ssl, 1);
      if (setup & 0x80) SSL_set_options(s.ssl, SSL_OP_NO_TICKET);
    }
  }
  ~Session() {
    for (Side& s : sides_) {
      SSL_free(s.ssl);
      BIO_free(s.net);
    }
  }

  // Both sides' handshakes, with bytes moved between them.
  void handshake() {
    for (int round = 0; round < 16; ++round) {
      for (Side& s : sides_) check_result(s, SSL_do_handshake(s.ssl), Fatal::yes);
      pump(SIZE_MAX);
      if (SSL_is_init_finished(sides_[0].ssl) && SSL_is_init_finished(sides_[1].ssl)) return;
    }
  }

  void run(Input& in) {
    for (size_t op = 0; op < kMaxOps && !in.done(); ++op) {
      const uint8_t b = in.byte();
      Side& s = sides_[b >> 7];
      Side& peer = sides_[1 - (b >> 7)];
      switch (b & 15) {
        case 0:
          write(s, Pending::write, in);
          break;
        case 1:
          write(s, Pending::write_ex, in);
          break;
        case 2:
          read(s, peer, in.length(), in.byte() % 3);
          break;
        case 3:
          pump(in.length());
          break;
        case 4:
          pump(SIZE_MAX);
          break;
        case 5:
          if ((SSL_get_shutdown(s.ssl) & SSL_SENT_SHUTDOWN) != 0) s.may_skip = true;
          check_result(s, SSL_shutdown(s.ssl));
          break;
        case 6:
          if (SSL_key_update(s.ssl, in.byte() & 1 ? SSL_KEY_UPDATE_REQUESTED
                                                  : SSL_KEY_UPDATE_NOT_REQUESTED) == 1) {
            check_result(s, SSL_do_handshake(s.ssl));
          }
          ERR_clear_error();
          break;
        case 7:
          write(s, Pending::sendfile, in);
          break;
        case 8:
          check_result(s, SSL_do_handshake(s.ssl), Fatal::yes);
          break;
        case 9: {
          // Fuzzed bytes on the wire, before whatever the side has not read yet.
          auto bytes = in.take(in.length());
          if (!bytes.empty()) BIO_write(s.net, bytes.data(), static_cast<int>(bytes.size()));
          break;
        }
        case 10:
          flip_ = size_t{in.byte()} << 8 | in.byte();
          break;
        case 11: {
          const int pending = SSL_pending(s.ssl);
          SSL_CHECK(pending >= 0);
          SSL_CHECK(static_cast<size_t>(pending) <= peer.readable() - s.read);
          (void)SSL_has_pending(s.ssl);
          break;
        }
        case 12:
          SSL_set_mode(s.ssl, SSL_MODE_RELEASE_BUFFERS);
          break;
        default:
          read(s, peer, SIZE_MAX, 0);
          break;
      }
    }
  }

 private:
  // Records SSL_get_error's view of a result; an error on the queue is dropped.
  enum class Fatal : uint8_t { no, yes };
  int check_result(Side& s, int rc, Fatal fatal = Fatal::no) {
    const int err = rc > 0 ? SSL_ERROR_NONE : SSL_get_error(s.ssl, rc);
    if (err == SSL_ERROR_SSL && fatal == Fatal::yes) s.failed = true;
    ERR_clear_error();
    return err;
  }

  // Moves up to `budget` bytes each way between the pairs' far ends; with a
  // flip armed, one byte bound for the server (or back) is altered.
  void pump(size_t budget) {
    for (int round = 0; round < 8; ++round) {
      size_t moved = 0;
      for (int from = 0; from < 2; ++from) {
        BIO* src = sides_[from].net;
        BIO* dst = sides_[1 - from].net;
        size_t n = std::min({BIO_ctrl_pending(src), BIO_ctrl_get_write_guarantee(dst), budget});
        if (n == 0) continue;
        std::vector<uint8_t> chunk(n);
        const int got = BIO_read(src, chunk.data(), static_cast<int>(n));
        if (got <= 0) continue;
        chunk.resize(static_cast<size_t>(got));
        if (flip_ < chunk.size()) {
          chunk[flip_] ^= 0x40;
          flip_ = SIZE_MAX;
        } else if (flip_ != SIZE_MAX) {
          flip_ -= chunk.size();
        }
        SSL_CHECK(BIO_write(dst, chunk.data(), got) == got);
        moved += chunk.size();
      }
      if (moved == 0 || budget != SIZE_MAX) return;
    }
  }

  // A new write of `kind` (its size from the input), or, when one is
  // pending, that one again.
  void write(Side& s, Pending::Kind kind, Input& in) {
    if (s.abandoned) return;
    Pending call = std::move(s.pending);
    s.pending = {};
    if (call.kind == Pending::none) {
      call.kind = kind;
      if (kind == Pending::sendfile) {
        call.offset = static_cast<off_t>(in.length() % kFileSize);
        call.data.resize(std::min(in.length() * 4, kFileSize - static_cast<size_t>(call.offset)));
        SSL_CHECK(pread(file_, call.data.data(), call.data.size(), call.offset) ==
                  static_cast<ssize_t>(call.data.size()));
      } else {
        call.data.resize(in.length());
        for (size_t i = 0; i < call.data.size(); ++i) {
          call.data[i] = static_cast<uint8_t>((s.sent.size() + i) * 7 + 3);
        }
      }
    }
    const bool was_failed = s.failed;
    size_t written = 0;
    int rc;
    switch (call.kind) {
      case Pending::write_ex:
        rc = SSL_write_ex(s.ssl, call.data.data(), call.data.size(), &written);
        break;
      case Pending::sendfile: {
        const ossl_ssize_t r = SSL_sendfile(s.ssl, file_, call.offset, call.data.size(), 0);
        SSL_CHECK(r <= static_cast<ossl_ssize_t>(call.data.size()));
        rc = r > 0 ? 1 : static_cast<int>(r);
        if (r > 0) written = static_cast<size_t>(r);
        break;
      }
      default:
        rc = SSL_write(s.ssl, call.data.data(), static_cast<int>(call.data.size()));
        if (rc > 0) written = static_cast<size_t>(rc);
        break;
    }
    const int err = check_result(s, rc);
    if (rc > 0) {
      SSL_CHECK(!was_failed);
      SSL_CHECK(written <= call.data.size());
      // SSL_sendfile may stop between pieces; SSL_write only in partial mode.
      SSL_CHECK(partial_ || call.kind == Pending::sendfile || written == call.data.size());
      s.sent.insert(s.sent.end(), call.data.begin(),
                    call.data.begin() + static_cast<long>(written));
      if (call.kind == Pending::sendfile && written < call.data.size()) {
        call.data.erase(call.data.begin(), call.data.begin() + static_cast<long>(written));
        call.offset += static_cast<off_t>(written);
        s.pending = std::move(call);
      }
    } else if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
      s.pending = std::move(call);
    } else {
      // Refused (after our close_notify, say): what it had sealed may still
      // leave (SSL_shutdown sends it before close_notify, as OpenSSL does),
      // so the peer may read part of it; this side writes no more.
      s.pending = std::move(call);
      s.pending.kind = Pending::none;
      s.abandoned = true;
    }
  }

  // how: 0 SSL_read, 1 SSL_read_ex, 2 SSL_peek then SSL_read. Each buffer is
  // exactly the size asked for, so ASan sees a write past it.
  void read(Side& s, const Side& peer, size_t n, int how) {
    const size_t unread = peer.readable() - s.read;
    if (n == SIZE_MAX) n = std::max<size_t>(unread, 1);
    n = std::min<size_t>(n, 1 << 16);
    std::vector<uint8_t> buf(n);
    const bool was_failed = s.failed;
    size_t got = 0;
    int rc;
    if (how == 2) {
      rc = SSL_peek_ex(s.ssl, buf.data(), buf.size(), &got);
      if (rc == 1) expect(s, peer, buf.data(), got, false);
      check_result(s, rc, Fatal::yes);
    }
    if (how == 1) {
      rc = SSL_read_ex(s.ssl, buf.data(), buf.size(), &got);
    } else {
      rc = SSL_read(s.ssl, buf.data(), static_cast<int>(buf.size()));
      if (rc > 0) got = static_cast<size_t>(rc);
    }
    if (rc > 0) {
      SSL_CHECK(!was_failed);
      expect(s, peer, buf.data(), got, true);
    }
    check_result(s, rc, Fatal::yes);
  }

  // The bytes read are the peer's next ones.
  static void expect(Side& s, const Side& peer, const uint8_t* got, size_t n, bool consume) {
    size_t at = s.read;
    if (s.may_skip) {
      // The bytes must still be the peer's, in order: the next run of them
      // at or after what was read.
      while (at + n <= peer.readable()) {
        size_t i = 0;
        while (i < n && got[i] == peer.byte_at(at + i)) ++i;
        if (i == n) break;
        ++at;
      }
    }
    SSL_CHECK(at + n <= peer.readable());
    for (size_t i = 0; i < n; ++i) SSL_CHECK(got[i] == peer.byte_at(at + i));
    if (consume) s.read = at + n;
  }

  Side sides_[2];
  int file_;
  bool partial_ = false;
  size_t flip_ = SIZE_MAX;
};

int sendfile_source() {
  static const int fd = [] {
    const int f = memfd_create("fuzz_ssl", MFD_CLOEXEC);
    SSL_CHECK(f >= 0);
    std::vector<uint8_t> content(kFileSize);
    for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<uint8_t>(i * 13 + i / 251);
    SSL_CHECK(pwrite(f, content.data(), content.size(), 0) == static_cast<ssize_t>(kFileSize));
    return f;
  }();
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  const uint8_t setup = in.byte();
  Session session(setup, sendfile_source());
  if ((setup & 2) == 0) session.handshake();
  session.run(in);
  ERR_clear_error();
  return 0;
}
