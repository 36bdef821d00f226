// The crypto limit: how fast libcrypto alone seals and opens 16 KiB records
// with the AEAD of a TLS 1.3 suite, keyed once, only the nonce changing per
// record (as both TLS libraries do). No TLS library is linked.
//
//   aead_raw --suite aes128gcm|chacha20 [--seconds S] [--check] [--layout hot|transfer]
//
// prints one line: seal and open rates (MiB/s of plaintext), and the bulk
// in-memory limit for a stream that is sealed once and opened once on the
// same core, 1 / (1/seal + 1/open), as `value`.
//
// --layout hot (the default, the limit of the table) seals one 16 KiB buffer
// and opens one record again and again: everything stays in the L1 cache.
// --layout transfer moves the bytes the way the in-memory bulk workload of
// tls_bench does: plaintext taken in turn from a 1 MiB source, sealed into
// the next slot of a 256 KiB ring (its BIO pair), and when the ring is full
// each record opened into the next slice of a 1 MiB destination (its read
// buffer). `value` is then the measured rate of that loop (bytes sealed and
// opened per second): what a TLS library that added nothing to libcrypto's
// AEAD calls could reach with that workload's memory traffic.
#include <openssl/evp.h>

#include <cstring>
#include <string>
#include <vector>

#include "common.h"

namespace {

constexpr size_t kRecord = 16 * 1024;  // a full TLS record's plaintext
constexpr size_t kTag = 16;
constexpr size_t kNonce = 12;

struct Options {
  std::string suite = "aes128gcm";
  double seconds = 1.0;
  bool check = false;
  bool transfer = false;  // --layout transfer
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) bench::die("missing value");
      return argv[++i];
    };
    if (a == "--suite") {
      o.suite = next();
    } else if (a == "--seconds") {
      o.seconds = std::atof(next());
    } else if (a == "--check") {
      o.check = true;
    } else if (a == "--layout") {
      const std::string v = next();
      if (v != "hot" && v != "transfer") bench::die("--layout hot or transfer");
      o.transfer = v == "transfer";
    } else {
      bench::die(
          "usage: aead_raw --suite aes128gcm|chacha20 [--seconds S] [--check] "
          "[--layout hot|transfer]");
    }
  }
  return o;
}

struct CipherCtx {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }
};

// TLS 1.3 per-record nonce: the IV xor the sequence number (RFC 8446 5.3).
void record_nonce(const uint8_t iv[kNonce], uint64_t seq, uint8_t out[kNonce]) {
  std::memcpy(out, iv, kNonce);
  for (int i = 0; i < 8; ++i) out[kNonce - 1 - i] ^= static_cast<uint8_t>(seq >> (8 * i));
}

bool seal(EVP_CIPHER_CTX* ctx, const uint8_t* nonce, const uint8_t* aad, const uint8_t* in,
          uint8_t* out) {
  int n = 0;
  int fin = 0;
  return EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce, 1, nullptr) == 1 &&
         EVP_CipherUpdate(ctx, nullptr, &n, aad, 5) == 1 &&
         EVP_CipherUpdate(ctx, out, &n, in, static_cast<int>(kRecord)) == 1 &&
         EVP_CipherFinal_ex(ctx, out + n, &fin) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kTag, out + kRecord) == 1;
}

bool open(EVP_CIPHER_CTX* ctx, const uint8_t* nonce, const uint8_t* aad, const uint8_t* in,
          uint8_t* out) {
  int n = 0;
  int fin = 0;
  uint8_t tag[kTag];
  std::memcpy(tag, in + kRecord, kTag);
  return EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce, 0, nullptr) == 1 &&
         EVP_CipherUpdate(ctx, nullptr, &n, aad, 5) == 1 &&
         EVP_CipherUpdate(ctx, out, &n, in, static_cast<int>(kRecord)) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTag, tag) == 1 &&
         EVP_CipherFinal_ex(ctx, out + n, &fin) == 1;
}

// --layout transfer (see the top of the file): the bytes sealed and opened
// per second, and nonzero on a failed seal, open or --check comparison.
double transfer_rate(EVP_CIPHER_CTX* sealer, EVP_CIPHER_CTX* opener, const uint8_t iv[kNonce],
                     const uint8_t* aad, const Options& o) {
  constexpr size_t kSource = size_t{1} << 20;   // tls_bench's 1 MiB SSL_write_ex calls
  constexpr size_t kRing = size_t{256} << 10;   // its BIO pair
  constexpr size_t kSlot = 5 + kRecord + kTag;  // a record on the wire, header first
  constexpr size_t kSlots = kRing / kSlot;
  std::vector<uint8_t> src(kSource);
  std::vector<uint8_t> ring(kRing);
  std::vector<uint8_t> dst(kSource);
  bench::fill_pattern(src.data(), src.size(), 4);
  size_t src_off = 0;
  size_t dst_off = 0;
  uint64_t seq = 0;
  uint8_t nonce[kNonce];
  const double t0 = bench::now_seconds();
  double t1 = t0;
  while (t1 - t0 < o.seconds) {
    const size_t first_src = src_off;
    for (size_t k = 0; k < kSlots; ++k) {
      record_nonce(iv, seq + k, nonce);
      if (!seal(sealer, nonce, aad, src.data() + src_off, ring.data() + k * kSlot + 5)) {
        bench::die("seal");
      }
      src_off = (src_off + kRecord) % kSource;
    }
    for (size_t k = 0; k < kSlots; ++k) {
      record_nonce(iv, seq + k, nonce);
      if (!open(opener, nonce, aad, ring.data() + k * kSlot + 5, dst.data() + dst_off)) {
        bench::die("open");
      }
      if (o.check && std::memcmp(dst.data() + dst_off,
                                 src.data() + (first_src + k * kRecord) % kSource, kRecord) != 0) {
        bench::die("opened record differs from the plaintext");
      }
      dst_off = (dst_off + kRecord) % kSource;
    }
    seq += kSlots;
    t1 = bench::now_seconds();
  }
  return static_cast<double>(seq * kRecord) / (t1 - t0);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const char* name = o.suite == "aes128gcm"  ? "AES-128-GCM"
                     : o.suite == "chacha20" ? "ChaCha20-Poly1305"
                                             : nullptr;
  if (name == nullptr) bench::die("--suite aes128gcm or chacha20");
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (cipher == nullptr) bench::die("EVP_CIPHER_fetch");

  std::vector<uint8_t> key(static_cast<size_t>(EVP_CIPHER_get_key_length(cipher)));
  uint8_t iv[kNonce];
  bench::fill_pattern(key.data(), key.size(), 1);
  bench::fill_pattern(iv, sizeof iv, 2);
  const uint8_t aad[5] = {0x17, 0x03, 0x03, static_cast<uint8_t>((kRecord + kTag) >> 8),
                          static_cast<uint8_t>((kRecord + kTag) & 0xff)};
  std::vector<uint8_t> plain(kRecord);
  std::vector<uint8_t> sealed(kRecord + kTag);
  std::vector<uint8_t> opened(kRecord);
  bench::fill_pattern(plain.data(), plain.size(), 3);

  CipherCtx sealer;
  CipherCtx opener;
  if (EVP_CipherInit_ex2(sealer.ctx, cipher, key.data(), nullptr, 1, nullptr) != 1 ||
      EVP_CipherInit_ex2(opener.ctx, cipher, key.data(), nullptr, 0, nullptr) != 1) {
    bench::die("EVP_CipherInit_ex2");
  }

  constexpr double kMiB = 1024.0 * 1024.0;
  if (o.transfer) {
    const double rate = transfer_rate(sealer.ctx, opener.ctx, iv, aad, o);
    char line[256];
    std::snprintf(line, sizeof line,
                  "impl=libcrypto workload=aead suite=%s layout=transfer value=%.1f unit=MiB/s",
                  o.suite.c_str(), rate / kMiB);
    bench::print_result(line);
    EVP_CIPHER_free(cipher);
    return 0;
  }

  // Half the time sealing (a new nonce per record), half opening.
  uint8_t nonce[kNonce];
  uint64_t seq = 0;
  const double half = o.seconds / 2;
  double t0 = bench::now_seconds();
  double t1 = t0;
  while (t1 - t0 < half) {
    for (int i = 0; i < 64; ++i) {
      record_nonce(iv, seq++, nonce);
      if (!seal(sealer.ctx, nonce, aad, plain.data(), sealed.data())) bench::die("seal");
    }
    t1 = bench::now_seconds();
  }
  const double seal_rate = static_cast<double>(seq * kRecord) / (t1 - t0);

  // The last record sealed is opened again and again under its own nonce.
  uint64_t opens = 0;
  t0 = bench::now_seconds();
  t1 = t0;
  while (t1 - t0 < half) {
    for (int i = 0; i < 64; ++i) {
      if (!open(opener.ctx, nonce, aad, sealed.data(), opened.data())) bench::die("open");
    }
    opens += 64;
    t1 = bench::now_seconds();
  }
  const double open_rate = static_cast<double>(opens * kRecord) / (t1 - t0);
  if (o.check && std::memcmp(opened.data(), plain.data(), kRecord) != 0) {
    bench::die("opened record differs from the plaintext");
  }

  const double limit = 1.0 / (1.0 / seal_rate + 1.0 / open_rate);
  char line[256];
  std::snprintf(line, sizeof line,
                "impl=libcrypto workload=aead suite=%s seal=%.1f open=%.1f value=%.1f unit=MiB/s",
                o.suite.c_str(), seal_rate / kMiB, open_rate / kMiB, limit / kMiB);
  bench::print_result(line);
  EVP_CIPHER_free(cipher);
  return 0;
}
