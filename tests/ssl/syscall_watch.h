// What the tests of tests/ssl share: contexts with a fresh certificate, and
// counters of the system calls librapidtls-ssl.so makes on one watched socket
// and one watched file. The test binary defines send(), pread(), fcntl(), poll()
// and recv() itself (syscall_watch.cc); the library calls them through the dynamic
// linker, which finds those definitions first.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <cstddef>
#include <vector>

namespace ssltest {

extern std::atomic<int> g_watched_fd;      // the socket whose calls are counted
extern std::atomic<int> g_sends;           // send() calls on it
extern std::atomic<size_t> g_send_max;     // the most bytes one of them was given
extern std::atomic<size_t> g_send_unit;    // when set: a record's size on the wire, and
extern std::atomic<int> g_sends_off_unit;  // the sends whose length is not a multiple of it
extern std::atomic<int> g_fcntls;          // fcntl() calls on it
extern std::atomic<int> g_polls;           // poll() calls that include it
// How the reader waited on it (io::ReadSpin). A wait starts with a recv()
// under MSG_DONTWAIT that finds nothing; it ends in a poll() that finds data
// or in a blocking recv(), a sleep. After a sleep shorter than kShortSleepNs
// the next wait must poll first.
constexpr long kShortSleepNs = 50'000;           // half io::kMaxSpinNs: a sleep surely short
extern std::atomic<int> g_short_sleeps;          // sleeps shorter than that
extern std::atomic<int> g_waits_after_short;     // waits that followed one
extern std::atomic<int> g_unpolled_after_short;  // of those, the ones that slept without polling
extern std::atomic<int> g_watched_file;          // the file whose reads are counted
extern std::atomic<int> g_preads;                // pread() calls on it
extern std::atomic<size_t> g_pread_bytes;        // bytes those calls returned
// The sizes those pread() calls asked for, in order.
std::vector<size_t> PreadSizes();

// Starts counting afresh on `fd` and `file` (-1: none).
void Watch(int fd, int file);

// A server context with a self-signed P-256 certificate and a client context.
struct Ctx {
  SSL_CTX* server = nullptr;
  SSL_CTX* client = nullptr;
  Ctx();
  ~Ctx();
  Ctx(const Ctx&) = delete;
  Ctx& operator=(const Ctx&) = delete;
};

}  // namespace ssltest
