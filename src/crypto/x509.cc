#include "crypto/x509.h"

#include "common/host.h"

#include <algorithm>

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace rapidtls::crypto {
namespace {

int no_password(char*, int, int, void*) {
  return 0;
}  // never prompt on a terminal

Error store_error() {
  ERR_clear_error();
  return {Alert::internal_error, ERR_R_X509_LIB};
}

Error pem_error() {
  ERR_clear_error();
  return {Alert::internal_error, ERR_R_PEM_LIB};
}

// The DER encoding of x, or empty on failure.
ByteVec encode_der(X509* x) {
  const int len = i2d_X509(x, nullptr);
  if (len <= 0) return {};
  ByteVec der(static_cast<size_t>(len));
  uint8_t* p = der.data();
  if (i2d_X509(x, &p) != len) return {};
  return der;
}

Result<std::vector<Certificate>> read_chain(BIO* bio) {
  if (bio == nullptr) return pem_error();
  std::vector<Certificate> chain;
  while (X509Ptr x{PEM_read_bio_X509(bio, nullptr, no_password, nullptr)}) {
    chain.push_back(Certificate::from_x509(x.get()));
  }
  // Running out of PEM blocks is the normal end; anything else is a bad file.
  const unsigned long err = ERR_peek_last_error();
  const bool clean_end =
      ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (chain.empty() || !clean_end) return pem_error();
  return chain;
}

// RFC 8446 6.2 alert for an X509_V_ERR_* code, as libssl chooses it (pinned
// by the conformance suite against OpenSSL 3.0, VerifyCallbackAlert, which
// reaches every code through a verify callback).
Alert alert_for(int code) {
  switch (code) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CRL_HAS_EXPIRED:
      return Alert::certificate_expired;
    case X509_V_ERR_CERT_REVOKED:
      return Alert::certificate_revoked;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_INVALID_CA:
      return Alert::unknown_ca;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
      return Alert::decrypt_error;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
    case X509_V_ERR_EMAIL_MISMATCH:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_KEY_TOO_SMALL:
    case X509_V_ERR_CA_MD_TOO_WEAK:
    case X509_V_ERR_EC_KEY_EXPLICIT_PARAMS:
    case X509_V_ERR_DANE_NO_MATCH:
      return Alert::bad_certificate;
    case X509_V_ERR_INVALID_PURPOSE:
      return Alert::unsupported_certificate;
    case X509_V_ERR_APPLICATION_VERIFICATION:
      return Alert::handshake_failure;
    case X509_V_ERR_UNSPECIFIED:
    case X509_V_ERR_OUT_OF_MEM:
    case X509_V_ERR_INVALID_CALL:
    case X509_V_ERR_STORE_LOOKUP:
      return Alert::internal_error;
    default:
      return Alert::certificate_unknown;
  }
}

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12), after
// the well-known days_from_civil formula: years start in March so leap days come last.
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;                                   // [0, 399]
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           // [0, 146096]
  return era * 146097 + doe - 719468;
}

// An ASN1_TIME as seconds since the epoch, or nullopt when it cannot be read.
std::optional<int64_t> epoch_seconds(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 + tm.tm_hour * 3600 +
         tm.tm_min * 60 + tm.tm_sec;
}

// The earliest notAfter of a built chain, or nullopt when one cannot be read.
std::optional<int64_t> earliest_not_after(STACK_OF(X509) * chain) {
  if (chain == nullptr || sk_X509_num(chain) <= 0) return std::nullopt;
  std::optional<int64_t> earliest;
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    const std::optional<int64_t> t = epoch_seconds(X509_get0_notAfter(sk_X509_value(chain, i)));
    if (!t) return std::nullopt;
    if (!earliest || *t < *earliest) earliest = t;
  }
  return earliest;
}

void append_u64(ByteVec& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

void append_string(ByteVec& out, const char* s) {
  const size_t len = s != nullptr ? std::strlen(s) : 0;
  append_u64(out, s != nullptr ? len + 1 : 0);  // null and "" differ
  out.insert(out.end(), s, s + len);
}

// A non-owning stack of the intermediates: the certificates stay with the chain.
struct X509StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

}  // namespace

// --- Certificate -----------------------------------------------------------------

Result<Certificate> Certificate::from_der(Bytes der) {
  if (der.size() > LONG_MAX) return decode_error();
  const uint8_t* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) {
    ERR_clear_error();
    return Error{Alert::decode_error, ERR_R_ASN1_LIB};
  }
  // As libssl does: the certificate must fill its CertificateEntry exactly.
  if (p != der.data() + der.size()) {
    return Error{Alert::decode_error, SSL_R_CERT_LENGTH_MISMATCH};
  }
  return Certificate(std::move(x), ByteVec(der.begin(), der.end()));
}

Result<Certificate> CertificateCache::parse(Bytes der) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = entries_.size(); i-- > 0;) {
      const Bytes seen = entries_[i].der();
      if (seen.size() == der.size() && std::equal(seen.begin(), seen.end(), der.begin())) {
        Certificate hit = entries_[i];
        if (i + 1 != entries_.size()) {  // keep the most recent at the back
          std::rotate(entries_.begin() + static_cast<std::ptrdiff_t>(i),
                      entries_.begin() + static_cast<std::ptrdiff_t>(i) + 1, entries_.end());
        }
        return hit;
      }
    }
  }
  RTLS_ASSIGN(Certificate cert, Certificate::from_der(der));
  std::lock_guard<std::mutex> lock(mutex_);
  if (capacity_ == 0) return cert;
  if (entries_.size() >= capacity_) entries_.erase(entries_.begin());
  entries_.push_back(cert);
  return cert;
}

size_t CertificateCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

Result<std::vector<Certificate>> Certificate::chain_from_pem(Bytes pem) {
  if (pem.size() > INT_MAX) return pem_error();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return read_chain(bio.get());
}

Result<std::vector<Certificate>> Certificate::chain_from_pem_file(const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "rb"));
  if (!bio) {
    ERR_clear_error();
    return Error{Alert::internal_error, ERR_R_SYS_LIB};
  }
  return read_chain(bio.get());
}

Certificate Certificate::from_x509(X509* x) {
  if (x == nullptr || X509_up_ref(x) != 1) return Certificate(nullptr, {});
  return Certificate(X509Ptr(x), encode_der(x));
}

bool is_distinguished_name(Bytes der) {
  if (der.empty() || der.size() > LONG_MAX) return false;
  const unsigned char* p = der.data();
  X509_NAME* name = d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size()));
  const bool whole = name != nullptr && p == der.data() + der.size();
  X509_NAME_free(name);
  return whole;
}

Certificate::Certificate(const Certificate& o) : der_(o.der_) {
  // Certificates are immutable once parsed, so copies share the X509.
  if (o.x509_ && X509_up_ref(o.x509_.get()) == 1) x509_.reset(o.x509_.get());
}

Certificate& Certificate::operator=(const Certificate& o) {
  if (this != &o) *this = Certificate(o);
  return *this;
}

std::string Certificate::subject() const {
  if (!x509_) return {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      X509_NAME_print_ex(bio.get(), X509_get_subject_name(x509_.get()), 0, XN_FLAG_RFC2253) < 0) {
    return {};
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

// --- TrustStore ------------------------------------------------------------------

TrustStore::TrustStore() : store_(X509_STORE_new()) {}

TrustStore TrustStore::from_store(X509_STORE* store) {
  if (store == nullptr || X509_STORE_up_ref(store) != 1) return TrustStore();
  return TrustStore(X509StorePtr(store));
}

Status TrustStore::add_pem_file(const std::string& file) {
  if (!store_ || X509_STORE_load_file(store_.get(), file.c_str()) != 1) {
    return store_error();
  }
  return {};
}

Status TrustStore::add_directory(const std::string& dir) {
  if (!store_ || X509_STORE_load_path(store_.get(), dir.c_str()) != 1) {
    return store_error();
  }
  return {};
}

Status TrustStore::add_certificate(const Certificate& ca) {
  if (!store_ || ca.raw() == nullptr || X509_STORE_add_cert(store_.get(), ca.raw()) != 1) {
    return store_error();
  }
  return {};
}

Status TrustStore::use_default_paths() {
  if (!store_ || X509_STORE_set_default_paths(store_.get()) != 1) {
    return store_error();
  }
  return {};
}

namespace {

// The X509_STORE_CTX ex_data slot that carries a TrustStore::Hook.
int hook_index() {
  static const int index = X509_STORE_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int call_hook(int preverify_ok, X509_STORE_CTX* ctx) {
  const auto* hook =
      static_cast<const TrustStore::Hook*>(X509_STORE_CTX_get_ex_data(ctx, hook_index()));
  return hook != nullptr ? (*hook)(preverify_ok, ctx) : preverify_ok;
}

}  // namespace

TrustStore::Outcome TrustStore::verify(const std::vector<Certificate>& chain,
                                       const std::string& host, Purpose purpose, int64_t now_s,
                                       int depth_limit, int64_t* valid_until_s, const Hook* hook,
                                       const X509_VERIFY_PARAM* params) const {
  auto fail = [](Alert alert, long code) {
    ERR_clear_error();
    return Outcome{Error{alert, SSL_R_CERTIFICATE_VERIFY_FAILED}, code};
  };
  if (!store_) return fail(Alert::internal_error, X509_V_ERR_UNSPECIFIED);
  if (chain.empty() || chain[0].raw() == nullptr) {
    return fail(Alert::bad_certificate, X509_V_ERR_UNSPECIFIED);
  }

  X509StackPtr untrusted(sk_X509_new_null());
  if (!untrusted) return fail(Alert::internal_error, X509_V_ERR_OUT_OF_MEM);
  for (size_t i = 1; i < chain.size(); ++i) {
    if (chain[i].raw() == nullptr) return fail(Alert::bad_certificate, X509_V_ERR_UNSPECIFIED);
    if (sk_X509_push(untrusted.get(), chain[i].raw()) <= 0) {
      return fail(Alert::internal_error, X509_V_ERR_OUT_OF_MEM);
    }
  }

  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store_.get(), chain[0].raw(), untrusted.get()) != 1) {
    return fail(Alert::internal_error, X509_V_ERR_UNSPECIFIED);
  }
  // The purpose also selects the matching trust setting for the anchors.
  const int x509_purpose =
      purpose == Purpose::server ? X509_PURPOSE_SSL_SERVER : X509_PURPOSE_SSL_CLIENT;
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  if (params != nullptr && X509_VERIFY_PARAM_set1(param, params) != 1) {
    return fail(Alert::internal_error, X509_V_ERR_UNSPECIFIED);
  }
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(now_s));
  // A depth in the given parameters (SSL_set_verify_depth) wins over the limit.
  if (params == nullptr || X509_VERIFY_PARAM_get_depth(params) < 0) {
    X509_VERIFY_PARAM_set_depth(param, depth_limit);
  }
  bool configured = X509_STORE_CTX_set_purpose(ctx.get(), x509_purpose) == 1;
  if (!host.empty()) {
    // RFC 6125: an IP literal is matched against iPAddress SANs, not DNS names.
    if (is_ip_literal(host)) {
      configured = configured && X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
    } else {
      X509_VERIFY_PARAM_set_hostflags(
          param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
                     (params != nullptr ? X509_VERIFY_PARAM_get_hostflags(params) : 0));
      configured = configured && X509_VERIFY_PARAM_set1_host(param, host.data(), host.size()) == 1;
    }
  }
  if (hook != nullptr && *hook) {
    // The hook travels in the store context, where the C callback finds it.
    configured = configured &&
                 X509_STORE_CTX_set_ex_data(ctx.get(), hook_index(), const_cast<Hook*>(hook)) == 1;
    X509_STORE_CTX_set_verify_cb(ctx.get(), call_hook);
  }
  if (!configured) return fail(Alert::internal_error, X509_V_ERR_UNSPECIFIED);

  if (X509_verify_cert(ctx.get()) == 1) {
    ERR_clear_error();
    if (valid_until_s != nullptr) {
      // Unreadable validity: report the verification time, so nothing reuses it.
      *valid_until_s = earliest_not_after(X509_STORE_CTX_get0_chain(ctx.get())).value_or(now_s);
    }
    // X509_V_OK, or an error a hook let pass (OpenSSL reports it the same way).
    return Outcome{Status(), X509_STORE_CTX_get_error(ctx.get())};
  }
  const int code = X509_STORE_CTX_get_error(ctx.get());
  if (code == X509_V_OK) return fail(Alert::internal_error, X509_V_ERR_UNSPECIFIED);
  return fail(alert_for(code), code);
}

std::optional<ByteVec> TrustStore::reuse_state() const {
  X509_STORE* store = store_.get();
  if (store == nullptr) return std::nullopt;
  // Any replaced step of X509_verify_cert can decide differently next time.
  if (X509_STORE_get_verify_cb(store) != nullptr || X509_STORE_get_verify(store) != nullptr ||
      X509_STORE_get_get_issuer(store) != nullptr ||
      X509_STORE_get_check_issued(store) != nullptr ||
      X509_STORE_get_check_revocation(store) != nullptr ||
      X509_STORE_get_get_crl(store) != nullptr || X509_STORE_get_check_crl(store) != nullptr ||
      X509_STORE_get_cert_crl(store) != nullptr || X509_STORE_get_check_policy(store) != nullptr ||
      X509_STORE_get_lookup_certs(store) != nullptr ||
      X509_STORE_get_lookup_crls(store) != nullptr) {
    return std::nullopt;
  }
  X509_VERIFY_PARAM* param = X509_STORE_get0_param(store);
  if (param == nullptr) return std::nullopt;
  const unsigned long flags = X509_VERIFY_PARAM_get_flags(param);
  constexpr unsigned long kNotReusable = X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL |
                                         X509_V_FLAG_POLICY_CHECK | X509_V_FLAG_EXPLICIT_POLICY |
                                         X509_V_FLAG_INHIBIT_ANY | X509_V_FLAG_INHIBIT_MAP;
  if ((flags & kNotReusable) != 0) return std::nullopt;

  // The objects (certificates and CRLs) are counted under the store's lock,
  // as X509_STORE_add_cert adds them.
  if (X509_STORE_lock(store) != 1) return std::nullopt;
  const int objects = sk_X509_OBJECT_num(X509_STORE_get0_objects(store));
  X509_STORE_unlock(store);

  ByteVec state;
  state.reserve(96);
  append_u64(state, reinterpret_cast<uintptr_t>(store));
  append_u64(state, static_cast<uint64_t>(objects));
  append_u64(state, flags);
  append_u64(state, X509_VERIFY_PARAM_get_inh_flags(param));
  append_u64(state, static_cast<uint64_t>(X509_VERIFY_PARAM_get_depth(param)));
  append_u64(state, static_cast<uint64_t>(X509_VERIFY_PARAM_get_auth_level(param)));
  append_u64(state, X509_VERIFY_PARAM_get_hostflags(param));
  append_u64(state, static_cast<uint64_t>(X509_VERIFY_PARAM_get_time(param)));
  // Names the store itself asks for (used when a verification names none).
  append_string(state, X509_VERIFY_PARAM_get0_host(param, 0));
  append_string(state, X509_VERIFY_PARAM_get0_email(param));
  // Without an IP address this queues "passed a null parameter": dropped, or
  // a handshake whose verification is then reused would leave it behind, and
  // SSL_get_error would read it as a failure.
  ERR_set_mark();
  char* ip = X509_VERIFY_PARAM_get1_ip_asc(param);
  ERR_pop_to_mark();
  append_string(state, ip);
  OPENSSL_free(ip);
  return state;
}

}  // namespace rapidtls::crypto
