// W3 without kernel TLS, rapidtls's userspace path (OpenSSL has none, so these
// are not in the differential suite): the file is read in pieces of 64 KiB
// and sealed from them. Around
// those sizes every byte of the range arrives exactly once, is read from the
// file exactly once (a short count on a full socket leaves the piece pending,
// W12), and a blocking socket gets few system calls.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "io/transport.h"
#include "ssl/internal.h"
#include "syscall_watch.h"

namespace {

using Bytes = std::vector<uint8_t>;
using ssltest::Ctx;

// Bytes that differ with their position, so a doubled, lost or shifted byte shows.
Bytes Pattern(size_t n) {
  Bytes b(n);
  uint32_t x = 0x9e3779b9u;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b[i] = static_cast<uint8_t>(x >> 11);
  }
  return b;
}

// An anonymous file holding `contents`; -1 on failure.
int MakeFile(const Bytes& contents) {
  const int f = memfd_create("rapidtls-sendfile", MFD_CLOEXEC);
  for (size_t off = 0; f >= 0 && off < contents.size();) {
    const ssize_t n = write(f, contents.data() + off, contents.size() - off);
    if (n <= 0) return -1;
    off += static_cast<size_t>(n);
  }
  return f;
}

void SetNonBlocking(int fd) {
  // Through the system call: the counted fcntl() is for the library's calls.
  const int flags = static_cast<int>(syscall(SYS_fcntl, fd, F_GETFL, 0));
  syscall(SYS_fcntl, fd, F_SETFL, flags | O_NONBLOCK);
}

// A client and a server joined by a socketpair, handshake done. The client
// (the sender) gets a small send buffer, so that its socket fills up.
struct Pair {
  Ctx ctx;
  int fds[2] = {-1, -1};
  SSL* c = nullptr;
  SSL* s = nullptr;

  explicit Pair(bool non_blocking, long mode = 0) {
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return;
    const int small = 32 * 1024;
    setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    c = SSL_new(ctx.client);
    s = SSL_new(ctx.server);
    SSL_set_fd(c, fds[0]);
    SSL_set_fd(s, fds[1]);
    if (mode != 0) SSL_set_mode(c, mode);
    bool accepted = false;
    std::thread server([&] { accepted = SSL_accept(s) == 1; });
    const bool connected = SSL_connect(c) == 1;
    server.join();
    if (!accepted || !connected) {
      SSL_free(c);
      c = nullptr;
    }
    if (non_blocking) SetNonBlocking(fds[0]);
  }
  ~Pair() {
    ssltest::Watch(-1, -1);
    SSL_free(c);
    SSL_free(s);
    close(fds[0]);
    close(fds[1]);
  }
};

// Reads `want` bytes on the server side (blocking); fewer on an error.
Bytes ReadExactly(SSL* s, size_t want) {
  Bytes got;
  uint8_t buf[32768];
  while (got.size() < want) {
    size_t n = 0;
    if (SSL_read_ex(s, buf, std::min(sizeof buf, want - got.size()), &n) != 1) break;
    got.insert(got.end(), buf, buf + n);
  }
  return got;
}

struct SendResult {
  size_t total = 0;
  int calls = 0;        // SSL_sendfile calls made
  int short_calls = 0;  // calls that returned fewer bytes than asked (or -1)
  std::string error;    // empty unless a call failed for another reason than WANT_WRITE
};

// Sends [offset, offset + size) of `file` as an event loop would: after a
// short count or WANT_WRITE it waits for the socket, then calls again at the
// offset reached. Stops at end of file (a return of 0). `after_first` runs
// once the first call returned.
SendResult SendAll(Pair& p, int file, off_t offset, size_t size,
                   const std::function<void()>& after_first = {}) {
  SendResult r;
  while (r.total < size && r.calls < 100000) {
    const ossl_ssize_t n =
        SSL_sendfile(p.c, file, offset + static_cast<off_t>(r.total), size - r.total, 0);
    if (++r.calls == 1 && after_first) after_first();
    if (n == 0) break;  // end of file
    if (n > 0) {
      r.total += static_cast<size_t>(n);
      if (r.total < size) ++r.short_calls;
      continue;
    }
    ++r.short_calls;
    if (SSL_get_error(p.c, static_cast<int>(n)) != SSL_ERROR_WANT_WRITE) {
      r.error = "SSL_sendfile failed, SSL_get_error " +
                std::to_string(SSL_get_error(p.c, static_cast<int>(n)));
      shutdown(p.fds[0], SHUT_RDWR);
      break;
    }
    pollfd pfd{p.fds[0], POLLOUT, 0};
    poll(&pfd, 1, 5000);
  }
  return r;
}

// Sizes around a record and the piece size (three records, 48 KiB) and its
// multiples, and around the earlier 64 KiB and 256 KiB pieces, with an offset
// that is neither record- nor page-aligned, in the middle of a 1 MiB file.
const size_t kSizes[] = {1,     16383, 16384, 16385,  49151,  49152,  49153,  65535,
                         65536, 98304, 98305, 131073, 262143, 262144, 262145, 600001};
constexpr off_t kOffset = 12345;
constexpr size_t kFileSize = 1 << 20;

TEST(Sendfile, W3_NonBlockingFullSocketEveryByteOnce) {
  const Bytes contents = Pattern(kFileSize);
  const int file = MakeFile(contents);
  ASSERT_GE(file, 0) << "memfd_create";
  for (size_t size : kSizes) {
    SCOPED_TRACE("size " + std::to_string(size));
    Pair p(/*non_blocking=*/true);
    ASSERT_NE(p.c, nullptr) << "handshake";
    ssltest::Watch(p.fds[0], file);
    // The reader starts only after the first call, so a range bigger than
    // the socket takes surely comes back short first.
    Bytes got;
    std::thread reader;
    const SendResult r = SendAll(p, file, kOffset, size, [&] {
      reader = std::thread([&] { got = ReadExactly(p.s, size); });
    });
    reader.join();
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.total, size) << "W3: the whole range is written";
    ASSERT_EQ(got.size(), size);
    EXPECT_TRUE(std::equal(got.begin(), got.end(), contents.begin() + kOffset))
        << "W3/W12: exactly the bytes of the range arrive, once, in order";
    EXPECT_EQ(ssltest::g_pread_bytes.load(), size)
        << "W12: a piece cut short is resumed from the buffer, not read again";
    EXPECT_EQ(p.c->sendfile_buf, nullptr) << "the last call left nothing pending: buffer freed";
    if (size > 131072) {
      EXPECT_GT(r.short_calls, 0) << "precondition: the socket filled up";
    }
  }
  close(file);
}

TEST(Sendfile, W3_BlockingOneCallFewSystemCalls) {
  const Bytes contents = Pattern(kFileSize);
  const int file = MakeFile(contents);
  ASSERT_GE(file, 0) << "memfd_create";
  for (size_t size : kSizes) {
    SCOPED_TRACE("size " + std::to_string(size));
    Pair p(/*non_blocking=*/false);
    ASSERT_NE(p.c, nullptr) << "handshake";
    ssltest::Watch(p.fds[0], file);
    Bytes got;
    std::thread reader([&] { got = ReadExactly(p.s, size); });
    const ossl_ssize_t n = SSL_sendfile(p.c, file, kOffset, size, 0);
    if (n != static_cast<ossl_ssize_t>(size)) shutdown(p.fds[0], SHUT_RDWR);
    reader.join();
    EXPECT_EQ(n, static_cast<ossl_ssize_t>(size)) << "W7: a blocking call writes it all";
    EXPECT_TRUE(got.size() == size &&
                std::equal(got.begin(), got.end(), contents.begin() + kOffset))
        << "W3: exactly the bytes of the range arrive, once, in order";
    // One read and one send per 48 KiB piece (three full records, one TCP
    // packet: io::kStreamWriteMax), and the socket asked once whether it
    // blocks (a read()+SSL_write_ex loop asks once per write).
    const size_t piece = 3 * 16384;
    const int pieces = static_cast<int>((size + piece - 1) / piece);
    EXPECT_EQ(ssltest::g_pread_bytes.load(), size);
    EXPECT_EQ(ssltest::g_preads.load(), pieces);
    EXPECT_EQ(ssltest::g_sends.load(), pieces);
    EXPECT_LE(ssltest::g_send_max.load(), rapidtls::io::kStreamWriteMax);
    EXPECT_EQ(ssltest::g_fcntls.load(), 1);
    // Nothing pending: the piece buffer went back with the call.
    EXPECT_EQ(p.c->sendfile_buf, nullptr);
    EXPECT_EQ(p.c->sendfile_cap, 0u);
  }
  close(file);
}

TEST(Sendfile, W3_PartialWriteModeReadsEachByteOnce) {
  // SSL_MODE_ENABLE_PARTIAL_WRITE: each inner write takes one record; the rest
  // of the piece is written from the buffer, not read from the file again.
  const Bytes contents = Pattern(kFileSize);
  const int file = MakeFile(contents);
  ASSERT_GE(file, 0) << "memfd_create";
  for (bool non_blocking : {false, true}) {
    for (size_t size : {size_t{65537}, size_t{262145}, size_t{600001}}) {
      SCOPED_TRACE("size " + std::to_string(size) + (non_blocking ? " non-blocking" : " blocking"));
      Pair p(non_blocking, SSL_MODE_ENABLE_PARTIAL_WRITE);
      ASSERT_NE(p.c, nullptr) << "handshake";
      ssltest::Watch(p.fds[0], file);
      Bytes got;
      std::thread reader([&] { got = ReadExactly(p.s, size); });
      const SendResult r = SendAll(p, file, kOffset, size);
      reader.join();
      EXPECT_EQ(r.error, "");
      EXPECT_EQ(r.total, size);
      EXPECT_TRUE(got.size() == size &&
                  std::equal(got.begin(), got.end(), contents.begin() + kOffset))
          << "W3: exactly the bytes of the range arrive, once, in order";
      EXPECT_EQ(ssltest::g_pread_bytes.load(), size) << "each byte of the file is read once";
      if (!non_blocking) {
        EXPECT_EQ(r.calls, 1) << "W7: a blocking call writes it all";
      }
    }
  }
  close(file);
}

TEST(Sendfile, W3_EndOfFileBeforeSize) {
  const Bytes contents = Pattern(300000);
  const int file = MakeFile(contents);
  ASSERT_GE(file, 0) << "memfd_create";
  for (bool non_blocking : {false, true}) {
    SCOPED_TRACE(non_blocking ? "non-blocking" : "blocking");
    Pair p(non_blocking);
    ASSERT_NE(p.c, nullptr) << "handshake";
    const off_t offset = 20000;  // 280000 bytes left, asked for more
    const size_t left = contents.size() - offset;
    Bytes got;
    std::thread reader([&] { got = ReadExactly(p.s, left); });
    const SendResult r = SendAll(p, file, offset, 1 << 20);
    reader.join();
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.total, left) << "W3: the count stops at the end of the file";
    EXPECT_TRUE(got.size() == left && std::equal(got.begin(), got.end(), contents.begin() + offset))
        << "W3: exactly the bytes up to the end of the file arrive, once";
    EXPECT_EQ(SSL_sendfile(p.c, file, static_cast<off_t>(contents.size()), 1000, 0), 0)
        << "at the end of the file there is nothing to write";
  }
  close(file);
}

TEST(Sendfile, W3_UnreadableFileFailsAndConnectionGoesOn) {
  // pread() on a pipe fails (ESPIPE): -1 and SSL_ERROR_SYSCALL, nothing sent,
  // and the connection is still usable.
  Pair p(/*non_blocking=*/false);
  ASSERT_NE(p.c, nullptr) << "handshake";
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  ERR_clear_error();
  const ossl_ssize_t n = SSL_sendfile(p.c, pipefd[0], 0, 300000, 0);
  EXPECT_EQ(n, -1);
  EXPECT_EQ(SSL_get_error(p.c, static_cast<int>(n)), SSL_ERROR_SYSCALL);
  EXPECT_EQ(ERR_GET_LIB(ERR_peek_error()), ERR_LIB_SYS) << "the reason is on the queue";
  close(pipefd[0]);
  close(pipefd[1]);

  const Bytes contents = Pattern(70000);
  const int file = MakeFile(contents);
  ASSERT_GE(file, 0) << "memfd_create";
  Bytes got;
  std::thread reader([&] { got = ReadExactly(p.s, contents.size()); });
  const ossl_ssize_t m = SSL_sendfile(p.c, file, 0, contents.size(), 0);
  if (m != static_cast<ossl_ssize_t>(contents.size())) shutdown(p.fds[0], SHUT_RDWR);
  reader.join();
  EXPECT_EQ(m, static_cast<ossl_ssize_t>(contents.size()));
  EXPECT_EQ(got, contents) << "only the second call's bytes arrive";
  close(file);
}

}  // namespace
