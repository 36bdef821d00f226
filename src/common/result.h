// Errors are values: every fallible function in the engine returns a Result<T>
// carrying either a value or an Error (the TLS alert to send and an OpenSSL
// SSL_R_* reason number). Nothing in the engine throws.
#pragma once

#include <openssl/err.h>     // ERR_R_* reason numbers
#include <openssl/sslerr.h>  // SSL_R_* reason numbers (macros only; libssl is never linked)

#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "common/bytes.h"

namespace rapidtls {

// RFC 8446 section 6 (AlertDescription), plus the TLS 1.2 values of RFC 5246 7.2.
enum class Alert : uint8_t {
  close_notify = 0,
  unexpected_message = 10,
  bad_record_mac = 20,
  record_overflow = 22,
  handshake_failure = 40,
  bad_certificate = 42,
  unsupported_certificate = 43,
  certificate_revoked = 44,
  certificate_expired = 45,
  certificate_unknown = 46,
  illegal_parameter = 47,
  unknown_ca = 48,
  access_denied = 49,
  decode_error = 50,
  decrypt_error = 51,
  protocol_version = 70,
  insufficient_security = 71,
  internal_error = 80,
  inappropriate_fallback = 86,
  user_canceled = 90,
  no_renegotiation = 100,
  missing_extension = 109,
  unsupported_extension = 110,
  unrecognized_name = 112,
  bad_certificate_status_response = 113,
  unknown_psk_identity = 115,
  certificate_required = 116,
  no_application_protocol = 120,
};

const char* alert_name(Alert a);

struct Error {
  Alert alert;
  int reason;  // OpenSSL SSL_R_* number
};

inline bool operator==(const Error& a, const Error& b) {
  return a.alert == b.alert && a.reason == b.reason;
}

// Shorthands for the common failures; the reason is what OpenSSL reports.
inline Error decode_error() {
  return {Alert::decode_error, SSL_R_LENGTH_MISMATCH};
}
inline Error internal_error() {
  return {Alert::internal_error, ERR_R_INTERNAL_ERROR};
}

namespace detail {
// Reports the error and aborts (common/alert.cc).
[[noreturn]] void value_of_failed_result(const Error& e);
}  // namespace detail

// A value or an Error. The compiler refuses to let a Result be dropped.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : ok_(true) { new (&value_) T(std::move(value)); }  // NOLINT
  Result(Error err) : ok_(false), err_(err) {}                        // NOLINT
  Result(const Result& o) : ok_(o.ok_) {
    if (ok_)
      new (&value_) T(o.value_);
    else
      err_ = o.err_;
  }
  Result(Result&& o) noexcept : ok_(o.ok_) {
    if (ok_)
      new (&value_) T(std::move(o.value_));
    else
      err_ = o.err_;
  }
  Result& operator=(Result o) {
    this->~Result();
    new (this) Result(std::move(o));
    return *this;
  }
  ~Result() {
    if (ok_) value_.~T();
  }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return err_; }
  // The value; reaching for it in a Result that holds an error is a
  // programming error, and stops the process in every build (never a read
  // of an uninitialised union member).
  T& value() & { return checked(); }
  const T& value() const& { return checked(); }
  T&& value() && { return std::move(checked()); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &checked(); }
  T& operator*() & { return checked(); }
  const T& operator*() const& { return checked(); }

 private:
  T& checked() {
    if (!ok_) [[unlikely]]
      detail::value_of_failed_result(err_);
    return value_;
  }
  const T& checked() const {
    if (!ok_) [[unlikely]]
      detail::value_of_failed_result(err_);
    return value_;
  }

  bool ok_;
  union {
    T value_;
    Error err_;
  };
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() : ok_(true), err_{} {}
  Result(Error err) : ok_(false), err_(err) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return err_; }

 private:
  bool ok_;
  Error err_;
};

using Status = Result<void>;

}  // namespace rapidtls

// Propagate a failure: `RTLS_TRY(s, expr)` on a Status-returning expression,
// `RTLS_ASSIGN(var, expr)` to unwrap a Result<T> into a new variable.
#define RTLS_TRY(expr)                                 \
  do {                                                 \
    auto rtls_try_r_ = (expr);                         \
    if (!rtls_try_r_.ok()) return rtls_try_r_.error(); \
  } while (0)

#define RTLS_CONCAT_INNER(a, b) a##b
#define RTLS_CONCAT(a, b) RTLS_CONCAT_INNER(a, b)
#define RTLS_ASSIGN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                      \
  if (!tmp.ok()) return tmp.error();      \
  decl = std::move(tmp).value()
// Expands to several statements (it may declare `decl` in the enclosing
// scope): under an `if`, use braces.
#define RTLS_ASSIGN(decl, expr) RTLS_ASSIGN_IMPL(RTLS_CONCAT(rtls_r_, __LINE__), decl, expr)
