// Mapping a request path to a file under the served folder, never outside it,
// and the HTML listing of a folder.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>

namespace rapidtls::tool {

// The served folder: an open directory and its real path.
class DocumentRoot {
 public:
  // Opens `dir`; false (with errno) if it is not a readable directory.
  bool open(const std::string& dir);
  ~DocumentRoot();
  const std::string& real_path() const { return real_; }

  struct Found {
    int status = 0;  // 200 (fd open), 301 (folder without '/'), 400, 403, 404
    int fd = -1;     // owned by the caller when status is 200
    struct stat st {};
    std::string path;  // the decoded path, starting with '/'
  };
  // Percent-decodes the path of a request target and opens what it names.
  // Encoded '/' and NUL are refused (404, 400), '..' segments are refused
  // (403), and the file is opened with RESOLVE_BENEATH so that a symbolic link
  // leading out of the folder fails (403).
  Found find(std::string_view target) const;

 private:
  int open_beneath(const std::string& rel) const;  // an fd, or -errno
  int fd_ = -1;
  std::string real_;
};

// The decoded path of a request target ("/a b/" for "/a%20b/?x"): false for
// bad escapes, an encoded '/' or NUL (status in *status).
bool decode_target_path(std::string_view target, std::string* out, int* status);

// An HTML page listing the folder open at `dir_fd` (not consumed), whose
// decoded request path is `path` (ending in '/').
std::string folder_listing(int dir_fd, std::string_view path);

}  // namespace rapidtls::tool
