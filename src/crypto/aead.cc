#include "crypto/aead.h"

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <strings.h>

#include <array>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

namespace rapidtls::crypto {

struct AeadProvider {
  void* provctx = nullptr;
  OSSL_FUNC_cipher_newctx_fn* newctx = nullptr;
  OSSL_FUNC_cipher_freectx_fn* freectx = nullptr;
  OSSL_FUNC_cipher_encrypt_init_fn* encrypt_init = nullptr;
  OSSL_FUNC_cipher_decrypt_init_fn* decrypt_init = nullptr;
  OSSL_FUNC_cipher_update_fn* update = nullptr;
  OSSL_FUNC_cipher_final_fn* final = nullptr;
  OSSL_FUNC_cipher_get_ctx_params_fn* get_ctx_params = nullptr;
  OSSL_FUNC_cipher_set_ctx_params_fn* set_ctx_params = nullptr;

  bool complete() const {
    return provctx != nullptr && newctx != nullptr && freectx != nullptr &&
           encrypt_init != nullptr && decrypt_init != nullptr && update != nullptr &&
           final != nullptr && get_ctx_params != nullptr && set_ctx_params != nullptr;
  }
};

namespace {

// Fetched once per process; contexts keep their own references.
const EVP_CIPHER* cipher_for(AeadAlg alg) {
  static EVP_CIPHER* const kAes128Gcm = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static EVP_CIPHER* const kAes256Gcm = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  static EVP_CIPHER* const kChaCha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  switch (alg) {
    case AeadAlg::aes_128_gcm:
      return kAes128Gcm;
    case AeadAlg::aes_256_gcm:
      return kAes256Gcm;
    case AeadAlg::chacha20_poly1305:
      return kChaCha;
  }
  return nullptr;
}

// Whether `name` is one of the ':'-separated `names` (names are
// case-insensitive in libcrypto).
bool name_listed(const char* names, std::string_view name) {
  for (std::string_view rest = names; !rest.empty();) {
    const size_t colon = rest.find(':');
    const std::string_view one = rest.substr(0, colon);
    if (one.size() == name.size() && ::strncasecmp(one.data(), name.data(), name.size()) == 0) {
      return true;
    }
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return false;
}

// The functions of the implementation `cipher` was fetched from, read from its
// provider's dispatch table. They are the provider's own code and stay valid
// while the provider is loaded, which the fetched cipher (never freed) ensures.
// Incomplete (unusable) unless exactly one implementation carries the name.
AeadProvider resolve(const EVP_CIPHER* cipher) {
  AeadProvider p;
  if (cipher == nullptr) return p;
  const OSSL_PROVIDER* prov = EVP_CIPHER_get0_provider(cipher);
  const char* name = EVP_CIPHER_get0_name(cipher);
  if (prov == nullptr || name == nullptr) return p;
  int no_store = 0;
  const OSSL_ALGORITHM* algs = OSSL_PROVIDER_query_operation(prov, OSSL_OP_CIPHER, &no_store);
  if (algs == nullptr) return p;
  const OSSL_DISPATCH* impl = nullptr;
  int found = 0;
  for (const OSSL_ALGORITHM* a = algs; a->algorithm_names != nullptr; ++a) {
    if (name_listed(a->algorithm_names, name)) {
      impl = a->implementation;
      ++found;
    }
  }
  for (const OSSL_DISPATCH* f = found == 1 ? impl : nullptr; f != nullptr && f->function_id != 0;
       ++f) {
    switch (f->function_id) {
      case OSSL_FUNC_CIPHER_NEWCTX:
        p.newctx = OSSL_FUNC_cipher_newctx(f);
        break;
      case OSSL_FUNC_CIPHER_FREECTX:
        p.freectx = OSSL_FUNC_cipher_freectx(f);
        break;
      case OSSL_FUNC_CIPHER_ENCRYPT_INIT:
        p.encrypt_init = OSSL_FUNC_cipher_encrypt_init(f);
        break;
      case OSSL_FUNC_CIPHER_DECRYPT_INIT:
        p.decrypt_init = OSSL_FUNC_cipher_decrypt_init(f);
        break;
      case OSSL_FUNC_CIPHER_UPDATE:
        p.update = OSSL_FUNC_cipher_update(f);
        break;
      case OSSL_FUNC_CIPHER_FINAL:
        p.final = OSSL_FUNC_cipher_final(f);
        break;
      case OSSL_FUNC_CIPHER_GET_CTX_PARAMS:
        p.get_ctx_params = OSSL_FUNC_cipher_get_ctx_params(f);
        break;
      case OSSL_FUNC_CIPHER_SET_CTX_PARAMS:
        p.set_ctx_params = OSSL_FUNC_cipher_set_ctx_params(f);
        break;
      default:
        break;
    }
  }
  OSSL_PROVIDER_unquery_operation(prov, OSSL_OP_CIPHER, algs);
  p.provctx = OSSL_PROVIDER_get0_provider_ctx(prov);
  return p;
}

// Resolved once per algorithm; null when the provider path is unavailable.
const AeadProvider* provider_for(AeadAlg alg) {
  static const std::array<AeadProvider, 3> kAll = {
      resolve(cipher_for(AeadAlg::aes_128_gcm)),
      resolve(cipher_for(AeadAlg::aes_256_gcm)),
      resolve(cipher_for(AeadAlg::chacha20_poly1305)),
  };
  const AeadProvider& p = kAll[static_cast<size_t>(alg)];
  return p.complete() ? &p : nullptr;
}

bool provider_path_wanted() {
  static const bool kWanted = [] {
    const char* v = std::getenv("RAPIDTLS_AEAD");
    return v == nullptr || std::string_view(v) != "evp";
  }();
  return kWanted;
}

Error bad_record_mac() {
  // Whatever libcrypto queued about the failure is not news to the caller.
  ERR_clear_error();
  return {Alert::bad_record_mac, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC};
}

// Plaintext up to this size is joined with its trailer before sealing.
constexpr size_t kJoinTrailerMax = 2048;

bool fits_int(size_t n) {
  return n <= static_cast<size_t>(INT_MAX);
}

}  // namespace

bool aead_provider_path_available(AeadAlg alg) {
  return provider_for(alg) != nullptr;
}

Result<AeadContext> AeadContext::create(AeadAlg alg, AeadDirection dir, Bytes key, AeadPath path) {
  const EVP_CIPHER* cipher = cipher_for(alg);
  if (cipher == nullptr || key.size() != aead_key_size(alg)) return internal_error();
  const AeadProvider* prov = provider_for(alg);
  if (path == AeadPath::provider && prov == nullptr) return internal_error();
  if (path == AeadPath::evp || (path == AeadPath::automatic && !provider_path_wanted())) {
    prov = nullptr;
  }
  const bool seal = dir == AeadDirection::seal;
  AeadContext c(alg, dir);
  // Keyed once here; the 12-byte nonce is both ciphers' default IV length.
  if (prov != nullptr) {
    c.algctx_ = prov->newctx(prov->provctx);
    if (c.algctx_ == nullptr) return internal_error();
    c.prov_ = prov;
    auto* init = seal ? prov->encrypt_init : prov->decrypt_init;
    if (init(c.algctx_, key.data(), key.size(), nullptr, 0, nullptr) != 1) {
      return internal_error();
    }
    size_t iv_len = 0;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_IVLEN, &iv_len),
                           OSSL_PARAM_construct_end()};
    if (prov->get_ctx_params(c.algctx_, params) != 1 || iv_len != kAeadNonceSize) {
      return internal_error();
    }
    return c;
  }
  c.ctx_.reset(EVP_CIPHER_CTX_new());
  if (!c.ctx_) return internal_error();
  if (EVP_CipherInit_ex2(c.ctx_.get(), cipher, key.data(), nullptr, seal ? 1 : 0, nullptr) != 1 ||
      EVP_CIPHER_CTX_get_iv_length(c.ctx_.get()) != static_cast<int>(kAeadNonceSize)) {
    return internal_error();
  }
  return c;
}

AeadContext::AeadContext(AeadContext&& other) noexcept
    : alg_(other.alg_),
      dir_(other.dir_),
      prov_(std::exchange(other.prov_, nullptr)),
      algctx_(std::exchange(other.algctx_, nullptr)),
      ctx_(std::move(other.ctx_)) {}

AeadContext& AeadContext::operator=(AeadContext&& other) noexcept {
  if (this != &other) {
    if (prov_ != nullptr && algctx_ != nullptr) prov_->freectx(algctx_);
    alg_ = other.alg_;
    dir_ = other.dir_;
    prov_ = std::exchange(other.prov_, nullptr);
    algctx_ = std::exchange(other.algctx_, nullptr);
    ctx_ = std::move(other.ctx_);
  }
  return *this;
}

AeadContext::~AeadContext() {
  // The provider's freectx wipes the key schedule, as EVP_CIPHER_CTX_free does.
  if (prov_ != nullptr && algctx_ != nullptr) prov_->freectx(algctx_);
}

bool AeadContext::set_nonce(Bytes nonce) {
  const bool seal = dir_ == AeadDirection::seal;
  if (prov_ != nullptr) {
    auto* init = seal ? prov_->encrypt_init : prov_->decrypt_init;
    return init(algctx_, nullptr, 0, nonce.data(), nonce.size(), nullptr) == 1;
  }
  // Only the nonce changes per record: no cipher, no key, no allocation.
  return EVP_CipherInit_ex2(ctx_.get(), nullptr, nullptr, nonce.data(), seal ? 1 : 0, nullptr) == 1;
}

bool AeadContext::update(uint8_t* out, Bytes in, size_t* written) {
  *written = 0;
  if (in.empty()) return true;
  if (prov_ != nullptr) {
    // The output room equals the input: both AEADs are stream ciphers here.
    return prov_->update(algctx_, out, written, in.size(), in.data(), in.size()) == 1;
  }
  int n = 0;
  if (EVP_CipherUpdate(ctx_.get(), out, &n, in.data(), static_cast<int>(in.size())) != 1) {
    return false;
  }
  *written = static_cast<size_t>(n);
  return true;
}

bool AeadContext::finish(uint8_t* out, size_t room, size_t* written) {
  *written = 0;
  if (prov_ != nullptr) return prov_->final(algctx_, out, written, room) == 1;
  int n = 0;
  if (EVP_CipherFinal_ex(ctx_.get(), out, &n) != 1) return false;
  *written = static_cast<size_t>(n);
  return true;
}

bool AeadContext::tag(uint8_t* tag, bool get) {
  if (prov_ != nullptr) {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, kAeadTagSize),
        OSSL_PARAM_construct_end()};
    return (get ? prov_->get_ctx_params(algctx_, params)
                : prov_->set_ctx_params(algctx_, params)) == 1;
  }
  return EVP_CIPHER_CTX_ctrl(ctx_.get(), get ? EVP_CTRL_AEAD_GET_TAG : EVP_CTRL_AEAD_SET_TAG,
                             kAeadTagSize, tag) == 1;
}

Status AeadContext::seal(Bytes nonce, Bytes aad, Bytes plain, Bytes trailer, uint8_t* out) {
  if (dir_ != AeadDirection::seal || (prov_ == nullptr && !ctx_) ||
      nonce.size() != kAeadNonceSize || !fits_int(aad.size()) ||
      !fits_int(plain.size() + trailer.size())) {
    return internal_error();
  }
  size_t n = 0;
  size_t total = 0;
  if (!set_nonce(nonce) || !update(nullptr, aad, &n)) return internal_error();
  if (!trailer.empty() && plain.size() <= kJoinTrailerMax) {
    // A short record is encrypted in one call, in place: copying it costs
    // less than a second call into the cipher for the trailer's byte or two.
    if (out != plain.data() && !plain.empty()) std::memmove(out, plain.data(), plain.size());
    std::memmove(out + plain.size(), trailer.data(), trailer.size());
    if (!update(out, Bytes(out, plain.size() + trailer.size()), &n)) return internal_error();
    total += n;
  } else {
    if (!update(out, plain, &n)) return internal_error();
    total += n;
    if (!update(out + total, trailer, &n)) return internal_error();
    total += n;
  }
  if (!finish(out + total, kAeadTagSize, &n)) return internal_error();
  total += n;
  if (total != plain.size() + trailer.size() || !tag(out + total, /*get=*/true)) {
    return internal_error();
  }
  return {};
}

Status AeadContext::open(Bytes nonce, Bytes aad, Bytes in, uint8_t* out) {
  const size_t n = in.size() >= kAeadTagSize ? in.size() - kAeadTagSize : 0;
  return open_split(nonce, aad, in, out, n, nullptr);
}

Status AeadContext::open_split(Bytes nonce, Bytes aad, Bytes in, uint8_t* head, size_t head_len,
                               uint8_t* tail) {
  if (dir_ != AeadDirection::open || (prov_ == nullptr && !ctx_) ||
      nonce.size() != kAeadNonceSize || !fits_int(aad.size()) || !fits_int(in.size())) {
    return internal_error();
  }
  if (in.size() < kAeadTagSize) return bad_record_mac();
  const Bytes ciphertext = in.first(in.size() - kAeadTagSize);
  if (head_len > ciphertext.size() || (head_len < ciphertext.size() && tail == nullptr)) {
    return internal_error();
  }
  // Copied out first: setting the tag wants a mutable pointer, and in-place
  // decryption must not be able to disturb it.
  uint8_t expected[kAeadTagSize];
  std::memcpy(expected, in.data() + ciphertext.size(), kAeadTagSize);

  size_t n = 0;
  size_t total = 0;
  if (!set_nonce(nonce) || !update(nullptr, aad, &n)) return internal_error();
  if (!update(head, ciphertext.first(head_len), &n)) return internal_error();
  total += n;
  const Bytes rest = ciphertext.subspan(head_len);
  if (!rest.empty()) {
    if (!update(tail, rest, &n)) return internal_error();
    total += n;
  }
  if (!tag(expected, /*get=*/false)) return internal_error();
  uint8_t final_block[16];
  if (!finish(final_block, sizeof final_block, &n)) {
    // Unauthenticated plaintext must not be left behind for a careless caller.
    if (head_len > 0) secure_zero(MutBytes(head, head_len));
    if (!rest.empty()) secure_zero(MutBytes(tail, rest.size()));
    return bad_record_mac();
  }
  if (total != ciphertext.size() || n != 0) return internal_error();
  return {};
}

}  // namespace rapidtls::crypto
