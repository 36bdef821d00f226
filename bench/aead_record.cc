// Per-record cost of rapidtls's AEAD contexts on its two ways into libcrypto
// (crypto/aead.h): the provider implementation's functions called from its
// dispatch table (the default) and EVP_CIPHER_CTX (RAPIDTLS_AEAD=evp). Same
// implementation underneath; the difference is what a record costs around the
// cipher, which decides small records. One line per size and cipher:
//
//   aead_record [--records N]
//
// That both paths seal the same bytes and open each other's records is
// tested in tests/unit/crypto_aead_test.cc (Aead.ProviderAndEvpPathsAgree);
// here a failed seal or open ends the run.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common.h"
#include "crypto/aead.h"

namespace {

using rapidtls::Bytes;
using rapidtls::crypto::AeadAlg;
using rapidtls::crypto::AeadContext;
using rapidtls::crypto::AeadDirection;
using rapidtls::crypto::AeadPath;
using rapidtls::crypto::kAeadNonceSize;
using rapidtls::crypto::kAeadTagSize;

AeadContext make(AeadAlg alg, AeadDirection dir, AeadPath path) {
  const std::vector<uint8_t> key(rapidtls::crypto::aead_key_size(alg), 0x42);
  auto c = AeadContext::create(alg, dir, Bytes(key), path);
  if (!c.ok()) bench::die("AeadContext::create");
  return std::move(c).value();
}

struct Timing {
  double seal_ns = 0;
  double open_ns = 0;
};

// Seals `records` TLS 1.3 records of `len` bytes of data (plus the content
// type byte) with fresh nonces, then opens one of them `records` times.
Timing time_path(AeadAlg alg, AeadPath path, size_t len, int records) {
  AeadContext sealer = make(alg, AeadDirection::seal, path);
  AeadContext opener = make(alg, AeadDirection::open, path);
  std::vector<uint8_t> plain(len, 0x5a), rec(len + 1 + kAeadTagSize), out(len + 1);
  uint8_t nonce[kAeadNonceSize] = {1, 2, 3};
  const uint8_t aad[5] = {0x17, 0x03, 0x03, static_cast<uint8_t>(rec.size() >> 8),
                          static_cast<uint8_t>(rec.size())};
  const uint8_t type = 0x17;
  Timing t;
  double t0 = bench::now_seconds();
  for (int i = 0; i < records; ++i) {
    std::memcpy(nonce + 4, &i, sizeof i);
    if (!sealer.seal(Bytes(nonce), Bytes(aad), Bytes(plain), Bytes(&type, 1), rec.data()).ok()) {
      bench::die("seal");
    }
  }
  t.seal_ns = (bench::now_seconds() - t0) / records * 1e9;
  t0 = bench::now_seconds();
  for (int i = 0; i < records; ++i) {
    if (!opener.open(Bytes(nonce), Bytes(aad), Bytes(rec), out.data()).ok()) bench::die("open");
  }
  t.open_ns = (bench::now_seconds() - t0) / records * 1e9;
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  int records = 200000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--records" && i + 1 < argc) {
      records = std::atoi(argv[++i]);
    } else {
      bench::die("usage: aead_record [--records N]");
    }
  }
  if (records <= 0) bench::die("--records must be positive");
  const struct {
    AeadAlg alg;
    const char* name;
  } algs[] = {{AeadAlg::aes_128_gcm, "aes128gcm"}, {AeadAlg::chacha20_poly1305, "chacha20"}};
  for (const auto& [alg, name] : algs) {
    if (!rapidtls::crypto::aead_provider_path_available(alg)) {
      std::printf("suite=%s skipped: the provider path is not available here\n", name);
      continue;
    }
    for (const size_t len : {size_t{64}, size_t{1024}, size_t{16383}}) {
      const int n = len > 4096 ? records / 16 : records;
      const Timing p = time_path(alg, AeadPath::provider, len, n);
      const Timing e = time_path(alg, AeadPath::evp, len, n);
      std::printf(
          "suite=%s size=%zu seal_ns provider=%.0f evp=%.0f (%.2fx) open_ns provider=%.0f "
          "evp=%.0f (%.2fx)\n",
          name, len, p.seal_ns, e.seal_ns, e.seal_ns / p.seal_ns, p.open_ns, e.open_ns,
          e.open_ns / p.open_ns);
    }
  }
  return 0;
}
