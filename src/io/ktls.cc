// Kernel TLS on Linux (io/ktls.h). The key material goes to the kernel in the
// structures of <linux/tls.h>; the numbers (versions, cipher types, sizes)
// are the kernel's, and its documentation (Documentation/networking/tls.rst)
// says how they are used: for AES-GCM the 4-byte salt and an 8-byte IV that
// is, in TLS 1.3, the rest of the static IV, and in TLS 1.2 the first explicit
// nonce (the kernel counts it up with the sequence number, as rapidtls uses
// the sequence number as explicit nonce); for ChaCha20-Poly1305 the 12-byte IV.
#include "io/ktls.h"

#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "record/record.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

namespace rapidtls::io {
namespace {

void put_be64(uint8_t* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

uint64_t get_be64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | in[i];
  return v;
}

// The kernel's description of one direction's keys.
union CryptoInfo {
  tls_crypto_info info;
  tls12_crypto_info_aes_gcm_128 gcm128;
  tls12_crypto_info_aes_gcm_256 gcm256;
  tls12_crypto_info_chacha20_poly1305 chacha;
};

// Fills `ci` from `k`; the size to pass, or 0 when the kernel has no such suite.
template <typename Gcm>
size_t fill_gcm(Gcm& g, uint16_t cipher, const record::RecordKeys& k) {
  if (k.key.size() != sizeof g.key) return 0;
  g.info.version = k.version == 0x0304 ? TLS_1_3_VERSION : TLS_1_2_VERSION;
  g.info.cipher_type = cipher;
  std::memcpy(g.key, k.key.data(), sizeof g.key);
  std::memcpy(g.salt, k.iv.data(), sizeof g.salt);
  if (k.version == 0x0304) {
    if (k.iv.size() != sizeof g.salt + sizeof g.iv) return 0;
    std::memcpy(g.iv, k.iv.data() + sizeof g.salt, sizeof g.iv);
  } else {
    if (k.iv.size() != sizeof g.salt) return 0;
    put_be64(g.iv, k.sequence);  // the explicit nonce of the next record
  }
  put_be64(g.rec_seq, k.sequence);
  return sizeof g;
}

size_t fill(CryptoInfo& ci, const record::RecordKeys& k) {
  std::memset(&ci, 0, sizeof ci);
  if (k.version != 0x0304 && k.version != 0x0303) return 0;
  switch (k.aead) {
    case crypto::AeadAlg::aes_128_gcm:
      return fill_gcm(ci.gcm128, TLS_CIPHER_AES_GCM_128, k);
    case crypto::AeadAlg::aes_256_gcm:
      return fill_gcm(ci.gcm256, TLS_CIPHER_AES_GCM_256, k);
    case crypto::AeadAlg::chacha20_poly1305: {
      auto& c = ci.chacha;
      if (k.key.size() != sizeof c.key || k.iv.size() != sizeof c.iv) return 0;
      c.info.version = k.version == 0x0304 ? TLS_1_3_VERSION : TLS_1_2_VERSION;
      c.info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
      std::memcpy(c.key, k.key.data(), sizeof c.key);
      std::memcpy(c.iv, k.iv.data(), sizeof c.iv);
      put_be64(c.rec_seq, k.sequence);
      return sizeof c;
    }
  }
  return 0;
}

// Installs `k` as the keys of `fd`'s `direction` (TLS_TX or TLS_RX); 0 or the errno.
int install_keys(int fd, int direction, const record::RecordKeys& k) {
  CryptoInfo ci;
  const size_t size = fill(ci, k);
  if (size == 0) return EINVAL;
  const int r = ::setsockopt(fd, SOL_TLS, direction, &ci, static_cast<socklen_t>(size));
  const int e = r == 0 ? 0 : errno;
  secure_zero(MutBytes(reinterpret_cast<uint8_t*>(&ci), sizeof ci));
  return e;
}

// The "tls" upper layer protocol on `fd`, then `k` for `direction`; 0 or the
// errno. Nothing is set when the kernel cannot describe the suite.
int start_direction(int fd, int direction, const record::RecordKeys& k) {
  CryptoInfo probe;
  const bool known = fill(probe, k) != 0;
  secure_zero(MutBytes(reinterpret_cast<uint8_t*>(&probe), sizeof probe));
  if (!known) return EINVAL;
  // EEXIST: the other direction set it already.
  if (::setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof "tls") != 0 && errno != EEXIST) {
    return errno;
  }
  return install_keys(fd, direction, k);
}

bool probe_rekey(int direction) {
  const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bool can = false;
  if (l >= 0 && s >= 0 && ::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::listen(l, 1) == 0 && ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) == 0 &&
      ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::setsockopt(s, SOL_TCP, TCP_ULP, "tls", sizeof "tls") == 0) {
    record::RecordKeys k;  // throwaway keys: nothing is ever received under them
    k.version = 0x0304;
    k.aead = crypto::AeadAlg::aes_128_gcm;
    k.key.resize(16);
    k.iv.resize(12);
    can = install_keys(s, direction, k) == 0 && install_keys(s, direction, k) == 0;
  }
  if (s >= 0) ::close(s);
  if (l >= 0) ::close(l);
  return can;
}

// At most this many records' payloads leave in one sendmsg.
constexpr size_t kMaxIov = 64;

}  // namespace

bool kernel_can_rekey_receive() {
  static const bool can = probe_rekey(TLS_RX);
  return can;
}

bool kernel_can_rekey_send() {
  static const bool can = probe_rekey(TLS_TX);
  return can;
}

namespace {

// At the record limit: a KeyUpdate where the kernel can take new keys, else
// the end of the connection (an alert, under keys still within their limit).
// False when the connection failed.
std::optional<Error> renew_at_limit(conn::Connection& c, int fd, KernelRecordBudget* budget) {
  if (budget == nullptr || !budget->must_ask()) return std::nullopt;
  uint64_t seq = 0;
  if (kernel_send_sequence(fd, &seq)) budget->bound = seq;
  if (!budget->must_ask()) return std::nullopt;
  size_t pending = 0;
  if (c.pending_write_rekey(&pending) != nullptr) return std::nullopt;  // one is on its way
  if (kernel_can_rekey_send() && c.key_update(false).ok()) return std::nullopt;
  const Error e{Alert::internal_error, SSL_R_TOO_MANY_KEY_UPDATES};
  (void)c.abort(e);
  return e;
}

}  // namespace

int start_kernel_send(conn::Connection& c, int fd, KernelRecordBudget* budget) {
  auto keys = c.write_keys_for_kernel();
  if (!keys.ok()) return EBADMSG;
  if (const int e = start_direction(fd, TLS_TX, *keys); e != 0) return e;
  c.hand_off_write();
  if (budget != nullptr) budget->start(keys->sequence);
  return 0;
}

IoResult flush_kernel(conn::Connection& c, int fd, KernelRecordBudget* budget) {
  while (c.wants_write()) {
    if (std::optional<Error> e = renew_at_limit(c, fd, budget)) return {IoStatus::failed, 0, e};
    size_t before_rekey = 0;
    if (const record::RecordKeys* next = c.pending_write_rekey(&before_rekey);
        next != nullptr && before_rekey == 0) {
      if (const int e = install_keys(fd, TLS_TX, *next); e != 0) {
        const Error refused{Alert::internal_error, SSL_R_BAD_KEY_UPDATE};
        (void)c.abort(refused, /*send_alert=*/false);
        return {IoStatus::failed, e, refused, /*kernel_refused_keys=*/true};
      }
      c.write_rekey_installed();
      if (budget != nullptr) budget->start(0);
      continue;
    }
    Bytes out = c.pending_output();
    if (c.pending_write_rekey(&before_rekey) != nullptr) out = out.first(before_rekey);
    // Payloads of the records at the head: all application data ones in a
    // row (one send), or the one record of another type (a control message).
    iovec iov[kMaxIov];
    size_t count = 0;
    size_t total = 0;
    const uint8_t head_type = out[0];
    size_t at = 0;
    while (at + record::kHeaderSize <= out.size() && count < kMaxIov) {
      const uint8_t type = out[at];
      const size_t len = size_t{out[at + 3]} << 8 | out[at + 4];
      if (type != head_type || at + record::kHeaderSize + len > out.size()) break;
      if (len > 0) {
        iov[count].iov_base = const_cast<uint8_t*>(out.data() + at + record::kHeaderSize);
        iov[count].iov_len = len;
        ++count;
        total += len;
      }
      at += record::kHeaderSize + len;
      if (type != static_cast<uint8_t>(record::ContentType::application_data)) break;
    }
    if (total == 0) {  // empty records only: nothing to send
      c.consume_output(at);
      continue;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint8_t))];
    if (head_type != static_cast<uint8_t>(record::ContentType::application_data)) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* cm = CMSG_FIRSTHDR(&msg);
      cm->cmsg_level = SOL_TLS;
      cm->cmsg_type = TLS_SET_RECORD_TYPE;
      cm->cmsg_len = CMSG_LEN(sizeof(uint8_t));
      *CMSG_DATA(cm) = head_type;
    }
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoStatus::want_write};
      return {IoStatus::failed, errno};
    }
    c.consume_plain_payload(static_cast<size_t>(n));
    if (budget != nullptr) budget->spent(static_cast<size_t>(n));
  }
  return {IoStatus::done};
}

int start_kernel_receive(conn::Connection& c, int fd) {
  auto keys = c.read_keys_for_kernel();
  if (!keys.ok()) return EBADMSG;
  if (keys->version == 0x0304 && !kernel_can_rekey_receive()) return EOPNOTSUPP;
  if (const int e = start_direction(fd, TLS_RX, *keys); e != 0) return e;
  c.hand_off_read();
  return 0;
}

IoResult fill_kernel(conn::Connection& c, int fd) {
  if (const record::RecordKeys* next = c.pending_read_rekey(); next != nullptr) {
    if (const int e = install_keys(fd, TLS_RX, *next); e != 0) {
      const Error refused{Alert::internal_error, SSL_R_BAD_KEY_UPDATE};
      (void)c.abort(refused);
      return {IoStatus::failed, e, refused};
    }
    c.read_rekey_installed();
  }
  const MutBytes room = c.receive_buffer(record::kHeaderSize + record::kMaxPlaintext);
  if (room.size() <= record::kHeaderSize) return {IoStatus::done};  // unread data fills it
  iovec iov{room.data() + record::kHeaderSize,
            std::min(room.size() - record::kHeaderSize, record::kMaxPlaintext)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint8_t))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(fd, &msg, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoStatus::want_read};
    if (errno == EBADMSG) {
      // A record that does not open under the keys (RFC 8446 5.2).
      const Error bad{Alert::bad_record_mac, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC};
      (void)c.abort(bad);
      return {IoStatus::failed, 0, bad};
    }
    if (errno == EMSGSIZE) {
      const Error overflow{Alert::record_overflow, SSL_R_DATA_LENGTH_TOO_LONG};
      (void)c.abort(overflow);
      return {IoStatus::failed, 0, overflow};
    }
    return {IoStatus::failed, errno};
  }
  if (n == 0) return {IoStatus::eof};
  uint8_t type = static_cast<uint8_t>(record::ContentType::application_data);
  for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm != nullptr; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level == SOL_TLS && cm->cmsg_type == TLS_GET_RECORD_TYPE) type = *CMSG_DATA(cm);
  }
  uint8_t* h = room.data();
  h[0] = type;
  h[1] = record::kRecordVersion >> 8;
  h[2] = record::kRecordVersion & 0xff;
  h[3] = static_cast<uint8_t>(static_cast<size_t>(n) >> 8);
  h[4] = static_cast<uint8_t>(n);
  if (Status st = c.commit_received(record::kHeaderSize + static_cast<size_t>(n)); !st.ok()) {
    return {IoStatus::failed, 0, st.error()};
  }
  return {IoStatus::done};
}

IoResult sendfile_kernel(conn::Connection& c, int fd, int file, off_t offset, size_t size,
                         size_t* sent, KernelRecordBudget* budget) {
  *sent = 0;
  while (*sent < size) {
    if (budget != nullptr && budget->must_ask()) {
      // A key change goes out first (its KeyUpdate record, then the new keys).
      if (std::optional<Error> e = renew_at_limit(c, fd, budget)) return {IoStatus::failed, 0, e};
      if (const IoResult r = flush_kernel(c, fd, budget); r.status != IoStatus::done) return r;
    }
    off_t off = offset + static_cast<off_t>(*sent);
    const ssize_t n = ::sendfile(fd, file, &off, size - *sent);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoStatus::want_write};
      return {IoStatus::failed, errno};
    }
    if (n == 0) break;  // the file ended
    *sent += static_cast<size_t>(n);
    if (budget != nullptr) budget->spent(static_cast<size_t>(n));
  }
  return {IoStatus::done};
}

bool kernel_send_sequence(int fd, uint64_t* seq) {
  CryptoInfo ci;
  std::memset(&ci, 0, sizeof ci);
  socklen_t len = sizeof ci;
  if (::getsockopt(fd, SOL_TLS, TLS_TX, &ci, &len) != 0) return false;
  bool ok = true;
  switch (ci.info.cipher_type) {
    case TLS_CIPHER_AES_GCM_128:
      *seq = get_be64(ci.gcm128.rec_seq);
      break;
    case TLS_CIPHER_AES_GCM_256:
      *seq = get_be64(ci.gcm256.rec_seq);
      break;
    case TLS_CIPHER_CHACHA20_POLY1305:
      *seq = get_be64(ci.chacha.rec_seq);
      break;
    default:
      ok = false;
  }
  secure_zero(MutBytes(reinterpret_cast<uint8_t*>(&ci), sizeof ci));
  return ok;
}

}  // namespace rapidtls::io
