// The record-path fuzz target (fuzz/fuzz_records.cc) over fixed scripts and
// a fixed pseudo-random sweep: its checks abort the test binary when broken.
// The scripts are those of fuzz/make_records_seeds.py, in short.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace rapidtls::testing {
namespace {

using Script = std::vector<uint8_t>;

int run(const Script& s) {
  return LLVMFuzzerTestOneInput(s.data(), s.size());
}

// Operation codes (the low nibble of an op byte).
constexpr uint8_t kForge = 0, kSend = 2, kClientCtl = 3, kReceive = 4, kRecvBuf = 5, kLent = 6,
                  kAllow = 7, kRead = 8, kPeek = 10, kRead0 = 11, kServerSend = 12, kServerCtl = 13,
                  kCorrupt = 14, kBurst = 15;
constexpr uint8_t kAll = 0xC0 | 23;  // a length() of 65536

// The setup byte, then the operations, then everything is delivered and read.
Script script(uint8_t setup, Script ops) {
  Script s{setup};
  s.insert(s.end(), ops.begin(), ops.end());
  for (uint8_t b :
       {uint8_t(kReceive | 0x10), kAll, uint8_t(kRead | 0x10), kAll, kServerCtl, uint8_t(0)}) {
    s.push_back(b);
  }
  return s;
}

// Application data, forged records of every kind, KeyUpdates both ways,
// small reads and peeks, the lent-buffer path, receive_allowance, the
// receive buffer, alerts, corruption; each with the server opening records
// on arrival and on read, in TLS 1.3 and 1.2.
const Script kOps[] = {
    {kSend, 0x40, 100, kForge, 0x10, 5, 'h', 'e', 'l', 'l', 'o'},
    {kClientCtl | 0x20, kForge, 0x04, kForge, 0x84, kSend, 0x41, 44, kServerCtl | 0x90, kServerSend,
     50},
    {kForge, 0x20, 10, 0x20, kForge, 0x30, 3, 1, 2, 3, 0xC0 | 14},
    {kSend,  0x43,     0xE8, kReceive, 0x42,  0xBC, kPeek, 10,    20,   kRead, 5,
     kRead0, kReceive, 0x41, 0x90,     kRead, 0x41, 0x4D,  kRead, 0x43, 0xE8},
    {kSend, 0x40, 200, kSend, 50, kLent, 0x41, 0, 0x42, 0},
    {kSend, 0x41, 0xF4,   kSend, 20, kSend,  0x43, 0x84, kAllow, 0,
     0x41,  0,    kAllow, 0,     0,  kAllow, 8,    10,   kAllow, 7},
    {kSend, 0x43, 0xB8, kRecvBuf, kAll, 0, kAll, kRead, 0x43, 0xFF},
    {kSend, 10, kForge, 0x06, kBurst, 0x85, kClientCtl | 0x10, kSend, 5},
    {kForge, 0x00, 0xC0 | 16},
    {kBurst, 33},
    {kSend, 30, kCorrupt, 0x10, 0, 7, kSend, 30},
};

TEST(FuzzRecords, FixedScripts) {
  // Server on receipt / on read, client likewise, TLS 1.3 / 1.2, suites,
  // record_size_limit, with and without a ticket.
  for (uint8_t setup : {0x00, 0x01, 0x03, 0x04, 0x05, 0x07, 0x0D, 0x33, 0x5A, 0x80, 0xFF}) {
    for (const Script& ops : kOps) {
      SCOPED_TRACE(::testing::Message() << "setup " << int{setup});
      EXPECT_EQ(run(script(setup, ops)), 0);
    }
  }
}

// A fuzz_records input (base64
// E4UCgRQFFAcCQGXwAMSpl/+bnWwBATGnbzL/jafv/xjXbzL/p6c=): after the client's
// close_notify the server (opening records on read) must go on taking the
// bytes that follow, without an error (RFC 8446 6.1: data after a closure
// alert is ignored); finish() fails if any are left on the wire.
TEST(FuzzRecords, BytesAfterCloseNotifyAreTaken) {
  const Script s = {0x13, 0x85, 0x02, 0x81, 0x14, 0x05, 0x14, 0x07, 0x02, 0x40, 0x65, 0xf0, 0x00,
                    0xc4, 0xa9, 0x97, 0xff, 0x9b, 0x9d, 0x6c, 0x01, 0x01, 0x31, 0xa7, 0x6f, 0x32,
                    0xff, 0x8d, 0xa7, 0xef, 0xff, 0x18, 0xd7, 0x6f, 0x32, 0xff, 0xa7, 0xa7};
  EXPECT_EQ(run(s), 0);
}

TEST(FuzzRecords, PseudoRandomScripts) {
  uint64_t x = 0x9e3779b97f4a7c15;
  for (int i = 0; i < 200; ++i) {
    Script s(16 + i * 2);
    for (auto& b : s) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      b = static_cast<uint8_t>(x >> 32);
    }
    EXPECT_EQ(run(s), 0);
  }
}

}  // namespace
}  // namespace rapidtls::testing
