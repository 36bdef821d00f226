// Plain TCP over loopback, no TLS: how fast a writer's send() calls go
// depending only on how the reader reads. It shows what the small-message
// rows of the TLS table are made of on a given machine (docs/benchmarks.md,
// "what changed, and where each target stands", Small messages): a reader
// that takes everything it finds empties the socket
// and sleeps, and each send() must then wake it.
//
//   raw_tcp --reader all|discard|split|exact [--size N] [--seconds S]
//           [--reader-work NS] [--writer-work NS] [--batch N]
//
//   all:   the reader recv()s into a 16 KiB buffer whatever is there
//   discard: as all, with MSG_TRUNC: the kernel drops what it would copy (the
//          cheapest reader there is; for a writer's cost alone)
//   split: the reader recv()s each message in two (5 bytes, then the rest),
//          as a TLS reader without read-ahead takes a record's header first
//   exact: the reader recv()s each message whole, in one call (a TLS reader
//          that knew each record's length in advance)
//   --reader-work / --writer-work: busy time per message on that side, in
//          nanoseconds, standing for a TLS library's per-record work (opening,
//          sealing); it shows how the outcome depends on which side is slower.
//   --batch: messages per send() (default 1), as a TLS writer seals several
//          records and sends them in one call; the writer's work is per message.
// With the work set to a TLS library's AEAD seal and open times, the rate is
// what a TLS library with no per-record code of its own could reach on this
// machine with that reader (scripts/bench_driver.py, "ceiling").
// Prints one line: messages/s (value) and MiB/s of messages.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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
  size_t batch = 1;
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
    } else if (a == "--batch") {
      batch = static_cast<size_t>(std::atol(argv[i + 1]));
    } else {
      bench::die(
          "usage: raw_tcp --reader all|discard|split|exact [--size N] [--seconds S] [--reader-work "
          "NS] "
          "[--writer-work NS] [--batch N]");
    }
  }
  // The largest TLS 1.3 record on the wire: header, 2^14 + 256 bytes.
  constexpr size_t kMaxSize = 5 + 16384 + 256;
  if ((reader != "all" && reader != "discard" && reader != "split" && reader != "exact") ||
      size < 6 || size > kMaxSize || batch < 1 || batch > 64) {
    bench::die(
        "--reader all|discard|split|exact, --size between 6 and 16645, --batch between 1 and 64");
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
    std::vector<uint8_t> buf(std::max<size_t>(16384, size * batch));
    size_t got = 0;
    if (reader == "all") {
      // Work for each message completed by this read.
      for (ssize_t n; (n = ::recv(s, buf.data(), buf.size(), 0)) > 0;) {
        busy(reader_work * static_cast<long>((got + static_cast<size_t>(n)) / size - got / size));
        got += static_cast<size_t>(n);
      }
    } else if (reader == "discard") {
      // TCP drops what it would have copied: the cheapest reader there is.
      for (ssize_t n; (n = ::recv(s, nullptr, buf.size(), MSG_TRUNC)) > 0;) {
        busy(reader_work * static_cast<long>((got + static_cast<size_t>(n)) / size - got / size));
        got += static_cast<size_t>(n);
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
  std::vector<uint8_t> msg(size * batch, 0x5a);
  size_t sent = 0;  // messages
  const double t0 = bench::now_seconds();
  do {
    for (int i = 0; i < 256; i += static_cast<int>(batch)) {
      busy(writer_work * static_cast<long>(batch));
      const uint8_t* p = msg.data();
      for (size_t left = msg.size(); left > 0;) {
        const ssize_t n = ::send(c, p, left, 0);
        if (n <= 0) bench::die("send");
        p += n;
        left -= static_cast<size_t>(n);
      }
      sent += batch;
    }
  } while (bench::now_seconds() - t0 < seconds);
  ::shutdown(c, SHUT_WR);
  r.join();
  const double t1 = bench::now_seconds();
  if (received != sent * size) bench::die("the reader did not get every byte");
  const double rate = static_cast<double>(sent) / (t1 - t0);
  std::printf(
      "impl=none workload=raw_tcp reader=%s size=%zu batch=%zu reader_work=%ld writer_work=%ld "
      "value=%.0f unit=messages/s mib_per_s=%.1f\n",
      reader.c_str(), size, batch, reader_work, writer_work, rate,
      rate * static_cast<double>(size) / (1 << 20));
  ::close(c);
  ::close(s);
  return 0;
}
