// HTTP/1.1 for the tool: request heads parsed by Debian's http-parser (with
// our own limits on their size), byte ranges, content types, response heads.
#pragma once

#include <http_parser.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rapidtls::tool {

// Limits on what a client may send before it gets an answer. They bound the
// memory a connection can make the server hold.
constexpr size_t kMaxRequestHead = 16 * 1024;  // request line and headers (else 431)
constexpr size_t kMaxUrl = 8 * 1024;           // request target (else 414)
constexpr size_t kMaxHeaders = 100;            // header fields (else 431)
constexpr size_t kMaxIgnoredBody = 64 * 1024;  // a GET/HEAD may carry a body; we drop it

// One request as the server needs it.
struct Request {
  std::string method;
  std::string target;    // as sent (percent-encoded)
  std::string range;     // the Range header's value, if any
  std::string if_range;  // If-Range
  int http_minor = 1;
  bool keep_alive = true;
};

// Feeds bytes to http-parser and yields one request at a time. The parser is
// paused at the end of each request, so pipelined bytes after it wait in the
// caller's buffer until the answer has gone.
class RequestParser {
 public:
  RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  enum class Outcome : uint8_t { need_more, request, error };
  struct Fed {
    size_t consumed = 0;
    Outcome outcome = Outcome::need_more;
    int status = 0;  // for error: the status to answer with (400, 413, 414, 431...)
  };
  // Parses from `data`. On `request`, request() holds it and the bytes after
  // `consumed` belong to the next one; call next() before feeding them.
  Fed feed(std::string_view data);
  const Request& request() const { return req_; }
  void next();
  // True once any byte of a request has arrived (for the slow-header timer).
  bool started() const { return head_bytes_ > 0; }

 private:
  static int on_message_begin(http_parser* p);
  static int on_url(http_parser* p, const char* at, size_t n);
  static int on_header_field(http_parser* p, const char* at, size_t n);
  static int on_header_value(http_parser* p, const char* at, size_t n);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, size_t n);
  static int on_message_complete(http_parser* p);
  void end_header();

  http_parser parser_{};
  http_parser_settings settings_{};
  Request req_;
  std::string field_, value_;
  bool in_value_ = false;
  bool headers_done_ = false;
  bool complete_ = false;
  size_t head_bytes_ = 0;
  size_t header_count_ = 0;
  size_t body_bytes_ = 0;
  int error_status_ = 0;
};

// A single byte range resolved against a file size.
struct ByteRange {
  uint64_t first = 0;
  uint64_t length = 0;
};
enum class RangeKind : uint8_t { none, satisfiable, unsatisfiable };
// RFC 9110 14.1.2: "bytes=a-b", "bytes=a-", "bytes=-n". Anything else (other
// units, several ranges, bad syntax) is ignored: the whole file is sent.
RangeKind parse_range(std::string_view header, uint64_t size, ByteRange* out);

std::string_view reason_phrase(int status);
std::string_view content_type_for(std::string_view path);
// An IMF-fixdate (RFC 9110 5.6.7) for a time in seconds since the epoch.
std::string http_date(time_t t);
// The same written to `out` (kHttpDateSize characters, "Sun, 06 Nov 1994
// 08:49:37 GMT"); false, nothing written, for a year outside 0-9999, which
// the format cannot hold in four digits (http_date then prints what
// strftime(3) makes of it).
constexpr size_t kHttpDateSize = 29;
bool format_http_date(time_t t, char* out);
// Escapes for HTML text and attribute values.
std::string html_escape(std::string_view s);
// Percent-encodes a path segment for an href.
std::string url_encode_segment(std::string_view s);

}  // namespace rapidtls::tool
