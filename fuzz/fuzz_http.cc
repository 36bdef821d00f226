// The request side of `rapidtls serve` (tool/http.cc, tool/files.cc): bytes
// fed to RequestParser in pieces, as the event loop feeds what SSL_read gave
// (EventLoop::take_input: a request ends a feed, the bytes after it wait for
// the next one), then each request's target decoded and its Range resolved.
//
// Input: the first byte is the size of the pieces (1 to 256 bytes; 0: all at
// once), the next two a file size for the Range header; the rest is the
// stream of requests.
// Invariants (a violation aborts):
// - every feed makes progress: a feed that asks for more took all it was
//   given (else the loop would spin on the same bytes);
// - a request's target, method and head respect the parser's limits;
// - a decoded path starts with '/' and has no NUL;
// - a satisfiable range lies inside the file.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include "fuzz_target.h"

#include "files.h"
#include "http.h"

using namespace rapidtls::tool;

#define HTTP_CHECK(cond)                                                                       \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "fuzz_http: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)

namespace {

// What the server does with a request head before opening a file.
void check_request(const Request& req, uint64_t file_size) {
  HTTP_CHECK(!req.method.empty());
  HTTP_CHECK(req.target.size() <= kMaxUrl);
  std::string path;
  int status = 0;
  if (decode_target_path(req.target, &path, &status)) {
    HTTP_CHECK(!path.empty() && path.front() == '/');
    HTTP_CHECK(path.find('\0') == std::string::npos);
    (void)content_type_for(path);
    (void)html_escape(path);
    (void)url_encode_segment(path);
  } else {
    HTTP_CHECK(status == 400 || status == 404);
  }
  ByteRange range;
  if (parse_range(req.range, file_size, &range) == RangeKind::satisfiable) {
    HTTP_CHECK(range.length > 0 && range.first < file_size);
    HTTP_CHECK(range.length <= file_size - range.first);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const size_t piece = data[0] == 0 ? size : data[0];
  const uint64_t file_size = uint64_t{data[1]} << 8 | data[2];
  std::string_view stream(reinterpret_cast<const char*>(data + 3), size - 3);
  RequestParser parser;
  int requests = 0;
  while (!stream.empty()) {
    std::string_view rest = stream.substr(0, std::min(piece, stream.size()));
    stream.remove_prefix(rest.size());
    // As take_input: feed until the piece is used up; a request ends a feed
    // and the bytes after it start the next request.
    while (!rest.empty()) {
      const RequestParser::Fed fed = parser.feed(rest);
      HTTP_CHECK(fed.consumed <= rest.size());
      rest.remove_prefix(fed.consumed);
      if (fed.outcome == RequestParser::Outcome::error) {
        HTTP_CHECK(fed.status >= 400 && fed.status < 500);
        return 0;  // the server answers and closes
      }
      if (fed.outcome == RequestParser::Outcome::need_more) {
        HTTP_CHECK(rest.empty());
        break;
      }
      check_request(parser.request(), file_size);
      if (!parser.request().keep_alive || ++requests > 64) return 0;
      parser.next();
      HTTP_CHECK(!parser.started());
    }
  }
  return 0;
}
