// HTTP/1.1 request parsing (over http-parser) and the small pieces of
// RFC 9110 the file server needs.
#include "http.h"

#include <strings.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <ctime>

namespace rapidtls::tool {

RequestParser::RequestParser() {
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = on_message_begin;
  settings_.on_url = on_url;
  settings_.on_header_field = on_header_field;
  settings_.on_header_value = on_header_value;
  settings_.on_headers_complete = on_headers_complete;
  settings_.on_body = on_body;
  settings_.on_message_complete = on_message_complete;
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

RequestParser::Fed RequestParser::feed(std::string_view data) {
  Fed fed;
  const bool in_head = !headers_done_;
  fed.consumed = http_parser_execute(&parser_, &settings_, data.data(), data.size());
  if (in_head) head_bytes_ += fed.consumed;
  const http_errno err = HTTP_PARSER_ERRNO(&parser_);
  if (complete_ && (err == HPE_OK || err == HPE_PAUSED)) {
    fed.outcome = Outcome::request;
    return fed;
  }
  if (err != HPE_OK) {
    fed.outcome = Outcome::error;
    fed.status = error_status_ != 0 ? error_status_ : 400;
    return fed;
  }
  if (!headers_done_ && head_bytes_ > kMaxRequestHead) {
    fed.outcome = Outcome::error;
    fed.status = 431;
  }
  return fed;
}

void RequestParser::next() {
  // Cleared in place: the strings keep their memory for the next request.
  req_.method.clear();
  req_.target.clear();
  req_.range.clear();
  req_.if_range.clear();
  req_.http_minor = 1;
  req_.keep_alive = true;
  field_.clear();
  value_.clear();
  in_value_ = false;
  headers_done_ = false;
  complete_ = false;
  head_bytes_ = 0;
  header_count_ = 0;
  body_bytes_ = 0;
  http_parser_pause(&parser_, 0);
}

int RequestParser::on_message_begin(http_parser* p) {
  auto* self = static_cast<RequestParser*>(p->data);
  // A byte of this request has arrived (the head counter may lag a feed).
  if (self->head_bytes_ == 0) self->head_bytes_ = 1;
  return 0;
}

int RequestParser::on_url(http_parser* p, const char* at, size_t n) {
  auto* self = static_cast<RequestParser*>(p->data);
  if (self->req_.target.size() + n > kMaxUrl) {
    self->error_status_ = 414;
    return 1;
  }
  self->req_.target.append(at, n);
  return 0;
}

void RequestParser::end_header() {
  if (field_.empty()) return;
  if (strcasecmp(field_.c_str(), "range") == 0) req_.range = value_;
  if (strcasecmp(field_.c_str(), "if-range") == 0) req_.if_range = value_;
  field_.clear();
  value_.clear();
}

int RequestParser::on_header_field(http_parser* p, const char* at, size_t n) {
  auto* self = static_cast<RequestParser*>(p->data);
  if (self->in_value_) {
    self->end_header();
    self->in_value_ = false;
  }
  if (self->field_.empty() && ++self->header_count_ > kMaxHeaders) {
    self->error_status_ = 431;
    return 1;
  }
  if (self->field_.size() + n > kMaxRequestHead) {
    self->error_status_ = 431;
    return 1;
  }
  self->field_.append(at, n);
  return 0;
}

int RequestParser::on_header_value(http_parser* p, const char* at, size_t n) {
  auto* self = static_cast<RequestParser*>(p->data);
  self->in_value_ = true;
  if (self->value_.size() + n > kMaxRequestHead) {
    self->error_status_ = 431;
    return 1;
  }
  self->value_.append(at, n);
  return 0;
}

int RequestParser::on_headers_complete(http_parser* p) {
  auto* self = static_cast<RequestParser*>(p->data);
  self->end_header();
  self->in_value_ = false;
  self->headers_done_ = true;
  self->req_.method = http_method_str(static_cast<http_method>(p->method));
  self->req_.http_minor = p->http_minor;
  // An upgrade (WebSocket, h2c) is not offered: answer, then close.
  self->req_.keep_alive = http_should_keep_alive(p) != 0 && p->upgrade == 0;
  return 0;
}

int RequestParser::on_body(http_parser* p, const char* /*at*/, size_t n) {
  auto* self = static_cast<RequestParser*>(p->data);
  self->body_bytes_ += n;
  if (self->body_bytes_ > kMaxIgnoredBody) {
    self->error_status_ = 413;
    return 1;
  }
  return 0;
}

int RequestParser::on_message_complete(http_parser* p) {
  auto* self = static_cast<RequestParser*>(p->data);
  self->complete_ = true;
  http_parser_pause(p, 1);
  return 0;
}

namespace {

// Parses a run of decimal digits with no sign; false on overflow or nothing.
bool parse_u64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

RangeKind parse_range(std::string_view header, uint64_t size, ByteRange* out) {
  header = trim(header);
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() < kUnit.size() || strncasecmp(header.data(), kUnit.data(), kUnit.size()) != 0) {
    return RangeKind::none;
  }
  std::string_view spec = trim(header.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return RangeKind::none;  // one range only
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return RangeKind::none;
  const std::string_view a = trim(spec.substr(0, dash));
  const std::string_view b = trim(spec.substr(dash + 1));
  uint64_t first = 0, last = 0;
  if (a.empty()) {  // suffix: the last b bytes
    if (!parse_u64(b, &last)) return RangeKind::none;
    if (last == 0 || size == 0) return RangeKind::unsatisfiable;
    const uint64_t n = std::min(last, size);
    *out = {size - n, n};
    return RangeKind::satisfiable;
  }
  if (!parse_u64(a, &first)) return RangeKind::none;
  if (b.empty()) {
    last = UINT64_MAX;
  } else if (!parse_u64(b, &last) || last < first) {
    return RangeKind::none;
  }
  if (first >= size) return RangeKind::unsatisfiable;
  last = std::min(last, size - 1);
  *out = {first, last - first + 1};
  return RangeKind::satisfiable;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 416:
      return "Range Not Satisfiable";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

std::string_view content_type_for(std::string_view path) {
  struct Type {
    std::string_view ext, type;
  };
  static constexpr std::array<Type, 30> kTypes{{
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"txt", "text/plain; charset=utf-8"},
      {"md", "text/markdown; charset=utf-8"},
      {"csv", "text/csv; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"xml", "application/xml"},
      {"wasm", "application/wasm"},
      {"pdf", "application/pdf"},
      {"zip", "application/zip"},
      {"gz", "application/gzip"},
      {"tar", "application/x-tar"},
      {"xz", "application/x-xz"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/vnd.microsoft.icon"},
      {"avif", "image/avif"},
      {"mp4", "video/mp4"},
      {"webm", "video/webm"},
      {"mp3", "audio/mpeg"},
      {"ogg", "audio/ogg"},
      {"woff2", "font/woff2"},
      {"iso", "application/octet-stream"},
  }};
  const size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = name.rfind('.');
  if (dot != std::string_view::npos && dot + 1 < name.size()) {
    const std::string_view ext = name.substr(dot + 1);
    for (const Type& t : kTypes) {
      if (t.ext.size() == ext.size() && strncasecmp(t.ext.data(), ext.data(), ext.size()) == 0) {
        return t.type;
      }
    }
  }
  return "application/octet-stream";
}

// Written by hand rather than with strftime(3), which takes the locale's
// names through several layers: the server formats a date for every response
// (Last-Modified), and strftime was ~1,200 instructions of each 1 KiB GET.
// The names are the fixed English ones RFC 9110 5.6.7 lists (day-name,
// month), whatever the locale.
bool format_http_date(time_t t, char* out) {
  static constexpr char kDays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  struct tm tm_utc {};
  if (gmtime_r(&t, &tm_utc) == nullptr) return false;
  const long year = static_cast<long>(tm_utc.tm_year) + 1900;
  if (year < 0 || year > 9999 || tm_utc.tm_wday < 0 || tm_utc.tm_wday > 6 || tm_utc.tm_mon < 0 ||
      tm_utc.tm_mon > 11) {
    return false;
  }
  const auto two = [](char* at, int v) {
    at[0] = static_cast<char>('0' + v / 10);
    at[1] = static_cast<char>('0' + v % 10);
  };
  std::memcpy(out, kDays[tm_utc.tm_wday], 3);
  out[3] = ',';
  out[4] = ' ';
  two(out + 5, tm_utc.tm_mday);
  out[7] = ' ';
  std::memcpy(out + 8, kMonths[tm_utc.tm_mon], 3);
  out[11] = ' ';
  two(out + 12, static_cast<int>(year / 100));
  two(out + 14, static_cast<int>(year % 100));
  out[16] = ' ';
  two(out + 17, tm_utc.tm_hour);
  out[19] = ':';
  two(out + 20, tm_utc.tm_min);
  out[22] = ':';
  two(out + 23, tm_utc.tm_sec);  // 60 for a leap second, as the format allows
  std::memcpy(out + 25, " GMT", 4);
  return true;
}

std::string http_date(time_t t) {
  char buf[64];
  if (format_http_date(t, buf)) return std::string(buf, kHttpDateSize);
  struct tm tm_utc {};
  gmtime_r(&t, &tm_utc);
  const size_t n = strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm_utc);
  return std::string(buf, n);
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string url_encode_segment(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace rapidtls::tool
