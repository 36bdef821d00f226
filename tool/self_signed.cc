// A self-signed ECDSA P-256 certificate made with libcrypto at start-up.
#include "self_signed.h"

#include <openssl/bio.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

namespace rapidtls::tool {

namespace {

// Adds one extension given in openssl.cnf syntax; false on failure.
bool add_ext(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

}  // namespace

SelfSigned make_self_signed() {
  SelfSigned out;
  out.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  out.cert.reset(X509_new());
  if (!out.key || !out.cert) return {};
  X509* x = out.cert.get();
  // A random positive 64-bit serial number (RFC 5280 4.1.2.2).
  unsigned char serial[8];
  if (RAND_bytes(serial, sizeof serial) != 1) return {};
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  const bool serial_ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
  BN_free(bn);
  X509_NAME* name = X509_get_subject_name(x);
  const bool ok = serial_ok && X509_set_version(x, X509_VERSION_3) == 1 &&
                  X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr &&
                  X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600) != nullptr &&
                  X509_NAME_add_entry_by_txt(
                      name, "O", MBSTRING_ASC,
                      reinterpret_cast<const unsigned char*>("rapidtls serve"), -1, -1, 0) == 1 &&
                  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                             reinterpret_cast<const unsigned char*>("localhost"),
                                             -1, -1, 0) == 1 &&
                  X509_set_issuer_name(x, name) == 1 && X509_set_pubkey(x, out.key.get()) == 1 &&
                  add_ext(x, NID_basic_constraints, "critical,CA:FALSE") &&
                  add_ext(x, NID_key_usage, "critical,digitalSignature") &&
                  add_ext(x, NID_ext_key_usage, "serverAuth") &&
                  add_ext(x, NID_subject_key_identifier, "hash") &&
                  add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") &&
                  X509_sign(x, out.key.get(), EVP_sha256()) > 0;
  if (!ok) return {};
  return out;
}

std::string sha256_fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1) return "";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    if (i > 0) out += ':';
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

namespace {

std::string name_line(const X509_NAME* name) {
  BIO* b = BIO_new(BIO_s_mem());
  if (b == nullptr) return "";
  X509_NAME_print_ex(b, name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<size_t>(n > 0 ? n : 0));
  BIO_free(b);
  return out;
}

}  // namespace

std::string subject_line(X509* cert) {
  return name_line(X509_get_subject_name(cert));
}

std::string issuer_line(X509* cert) {
  return name_line(X509_get_issuer_name(cert));
}

}  // namespace rapidtls::tool
