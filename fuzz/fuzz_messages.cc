// Every handshake message and extension parser on arbitrary bytes; what
// parses must serialise back to the same bytes.
#include <cstdlib>
#include "fuzz_target.h"

#include "handshake/extensions.h"
#include "handshake/messages.h"
#include "handshake/messages12.h"

using namespace rapidtls;
using namespace rapidtls::handshake;

template <class T>
static void round_trip(Bytes body, uint8_t type) {
  auto parsed = T::parse(body);
  if (!parsed.ok()) return;
  ByteVec out;
  // What parsed fits its length prefixes, so it serialises; serialize()
  // writes the 4-byte header, then the body.
  if (!parsed->serialize(out).ok()) std::abort();
  if (out.size() != body.size() + 4 || out[0] != type ||
      !std::equal(body.begin(), body.end(), out.begin() + 4)) {
    std::abort();
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Bytes body(data + 1, size - 1);
  switch (data[0] % 17) {
    case 0:
      round_trip<ClientHello>(body, 1);
      break;
    case 1:
      round_trip<ServerHello>(body, 2);
      break;
    case 2:
      round_trip<EncryptedExtensions>(body, 8);
      break;
    case 3:
      round_trip<CertificateMsg>(body, 11);
      break;
    case 4:
      round_trip<CertificateRequest>(body, 13);
      break;
    case 5:
      round_trip<CertificateVerify>(body, 15);
      break;
    case 6:
      round_trip<NewSessionTicket>(body, 4);
      break;
    case 7:
      round_trip<KeyUpdate>(body, 24);
      break;
    case 8:
      (void)Finished::parse(body, 32);
      break;
    case 9:
      (void)parse_key_share_ch(body);
      (void)parse_key_share_sh(body);
      break;
    case 10:
      (void)parse_pre_shared_key_ch(body);
      (void)parse_alpn(body);
      break;
    case 11:
      (void)parse_server_name_ch(body);
      (void)parse_supported_versions_ch(body);
      break;
  }
  return 0;
}
