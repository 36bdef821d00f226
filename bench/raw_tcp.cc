// Plain TCP over loopback, no TLS: how fast a writer's send() calls go
// depending only on how the reader reads. It shows what the small-message
// rows of the TLS table are made of on a given machine (docs/benchmarks.md,
// "Second round"): a reader that takes everything it finds empties the socket
// and sleeps, and each send() must then wake it.
//
//   raw_tcp --reader all|split|exact [--size N] [--seconds S]
//           [--reader-work NS] [--writer-work NS]
//
//   all:   the reader recv()s into a 16 KiB buffer whatever is there
//   split: the reader recv()s each message in two (5 bytes, then the rest),
//          as a TLS reader without read-ahead takes a record's header first
//   exact: the reader recv()s each message whole, in one call (a TLS reader
//          that knew each record's length in advance)
//   --reader-work / --writer-work: busy time per message on that side, in
//          nanoseconds, standing for a TLS library's per-record work (opening,
//          sealing); it shows how the outcome depends on which side is slower.
// Prints one line: sends/s and the reader's count check.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "common.h"

namespace {

// Busy for `ns` nanoseconds (the per-message work of --reader-work/--writer-work).
void busy(long ns) {
  if (ns <= 0) return;
  const double start = bench::now_seconds();
  while ((bench::now_seconds() - start) * 1e9 < static_cast<double>(ns)) {
  }
}

bool recv_all(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t r = ::recv(fd, p, n, 0);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string reader = "all";
  size_t size = 86;  // a 64-byte TLS 1.3 record: 5 + 64 + 1 + 16
  double seconds = 2;
  long reader_work = 0;
  long writer_work = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--reader") {
      reader = argv[i + 1];
    } else if (a == "--size") {
      size = bench::parse_size(argv[i + 1]);
    } else if (a == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (a == "--reader-work") {
      reader_work = std::atol(argv[i + 1]);
    } else if (a == "--writer-work") {
      writer_work = std::atol(argv[i + 1]);
    } else {
      bench::die(
          "usage: raw_tcp --reader all|split|exact [--size N] [--seconds S] [--reader-work NS] "
          "[--writer-work NS]");
    }
  }
  if ((reader != "all" && reader != "split" && reader != "exact") || size < 6 || size > 16384) {
    bench::die("--reader all|split|exact, --size between 6 and 16384");
  }
  const int l = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (l < 0 || ::bind(l, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(l, 1) != 0 || ::getsockname(l, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    bench::die("listen on 127.0.0.1");
  }
  const int c = ::socket(AF_INET, SOCK_STREAM, 0);
  if (c < 0 || ::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    bench::die("connect");
  }
  const int s = ::accept(l, nullptr, nullptr);
  if (s < 0) bench::die("accept");
  ::close(l);
  const int one = 1;
  ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  std::atomic<size_t> received{0};
  std::thread r([&] {
    std::vector<uint8_t> buf(16384);
    size_t got = 0;
    if (reader == "all") {
      for (ssize_t n; (n = ::recv(s, buf.data(), buf.size(), 0)) > 0;) {
        got += static_cast<size_t>(n);
        busy(reader_work * (n / static_cast<ssize_t>(size)));
      }
    } else if (reader == "split") {
      while (recv_all(s, buf.data(), 5) && recv_all(s, buf.data(), size - 5)) {
        got += size;
        busy(reader_work);
      }
    } else {
      while (recv_all(s, buf.data(), size)) {
        got += size;
        busy(reader_work);
      }
    }
    received = got;
  });
  std::vector<uint8_t> msg(size, 0x5a);
  size_t sent = 0;
  const double t0 = bench::now_seconds();
  do {
    for (int i = 0; i < 256; ++i) {
      busy(writer_work);
      if (::send(c, msg.data(), size, 0) != static_cast<ssize_t>(size)) bench::die("send");
    }
    sent += 256;
  } while (bench::now_seconds() - t0 < seconds);
  ::shutdown(c, SHUT_WR);
  r.join();
  const double t1 = bench::now_seconds();
  if (received != sent * size) bench::die("the reader did not get every byte");
  std::printf(
      "impl=none workload=raw_tcp reader=%s size=%zu reader_work=%ld writer_work=%ld value=%.0f "
      "unit=sends/s\n",
      reader.c_str(), size, reader_work, writer_work, static_cast<double>(sent) / (t1 - t0));
  ::close(c);
  ::close(s);
  return 0;
}
