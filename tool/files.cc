// Request paths to files under the served folder, and folder listings.
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "http.h"

namespace rapidtls::tool {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// openat2(2) with RESOLVE_BENEATH: every step of the walk, symbolic links
// included, must stay below `dir`; EXDEV says one tried to leave.
int openat2_beneath(int dir, const char* rel) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long r;
  do {
    r = ::syscall(SYS_openat2, dir, rel, &how, sizeof how);
  } while (r < 0 && errno == EAGAIN);  // a concurrent rename: retry
  return r < 0 ? -errno : static_cast<int>(r);
}

std::string human_size(off_t n) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(n));
  } else {
    snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  }
  return buf;
}

}  // namespace

bool decode_target_path(std::string_view target, std::string* out, int* status) {
  // absolute-form (RFC 9112 3.2.2): drop the scheme and authority.
  if (target.starts_with("http://") || target.starts_with("https://")) {
    const size_t authority = target.find("//") + 2;
    const size_t slash = target.find('/', authority);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  target = target.substr(0, std::min(target.find('?'), target.find('#')));
  if (target.empty() || target.front() != '/') {
    *status = 400;
    return false;
  }
  out->clear();
  for (size_t i = 0; i < target.size(); ++i) {
    char c = target[i];
    if (c == '%') {
      const int hi = i + 2 < target.size() ? hex_value(target[i + 1]) : -1;
      const int lo = i + 2 < target.size() ? hex_value(target[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        *status = 400;
        return false;
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
      // An encoded '/' would let a name hide a path separator; NUL would cut it.
      if (c == '/') {
        *status = 404;
        return false;
      }
    }
    if (c == '\0') {
      *status = 400;
      return false;
    }
    out->push_back(c);
  }
  return true;
}

bool DocumentRoot::open(const std::string& dir) {
  char* real = ::realpath(dir.c_str(), nullptr);
  if (real == nullptr) return false;
  real_ = real;
  free(real);
  fd_ = ::open(real_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd_ >= 0;
}

DocumentRoot::~DocumentRoot() {
  if (fd_ >= 0) ::close(fd_);
}

int DocumentRoot::open_beneath(const std::string& rel) const {
  const int fd = openat2_beneath(fd_, rel.c_str());
  if (fd != -ENOSYS) return fd;
  // Kernels before 5.6: resolve the whole path and check that it stays under
  // the folder. (A rename between the check and the open could slip past;
  // openat2 above has no such window.)
  const std::string joined = real_ + "/" + rel;
  char* real = ::realpath(joined.c_str(), nullptr);
  if (real == nullptr) return -errno;
  const std::string resolved = real;
  free(real);
  if (resolved != real_ && !resolved.starts_with(real_ + "/")) return -EXDEV;
  const int f = ::open(resolved.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
  return f < 0 ? -errno : f;
}

DocumentRoot::Found DocumentRoot::find(std::string_view target) const {
  Found found;
  if (!decode_target_path(target, &found.path, &found.status)) return found;
  // Walk the segments: empty and "." ones vanish; ".." is refused outright
  // rather than resolved, since clients normalise it away before sending.
  std::string rel;
  size_t pos = 1;
  while (pos <= found.path.size()) {
    size_t end = found.path.find('/', pos);
    if (end == std::string::npos) end = found.path.size();
    const std::string_view seg = std::string_view(found.path).substr(pos, end - pos);
    pos = end + 1;
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      found.status = 403;
      return found;
    }
    if (!rel.empty()) rel += '/';
    rel += seg;
  }
  const int fd = open_beneath(rel.empty() ? "." : rel);
  if (fd < 0) {
    switch (-fd) {
      case ENOENT:
      case ENOTDIR:
      case ENAMETOOLONG:
        found.status = 404;
        break;
      default:  // EXDEV (leads out), EACCES, ELOOP...
        found.status = 403;
    }
    return found;
  }
  if (::fstat(fd, &found.st) != 0 || !(S_ISREG(found.st.st_mode) || S_ISDIR(found.st.st_mode))) {
    ::close(fd);
    found.status = 403;  // devices, FIFOs, sockets are not served
    return found;
  }
  if (S_ISDIR(found.st.st_mode) && !found.path.ends_with('/')) {
    ::close(fd);
    found.status = 301;  // relative links in the listing need the '/'
    return found;
  }
  found.fd = fd;
  found.status = 200;
  return found;
}

std::string folder_listing(int dir_fd, std::string_view path) {
  struct Entry {
    std::string name;
    bool dir;
    off_t size;
  };
  std::vector<Entry> entries;
  const int fd = ::dup(dir_fd);
  DIR* d = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (d == nullptr) {
    if (fd >= 0) ::close(fd);
  } else {
    ::rewinddir(d);
    while (const dirent* e = ::readdir(d)) {
      const std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      struct stat st {};
      if (::fstatat(::dirfd(d), e->d_name, &st, 0) != 0 &&
          ::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        continue;
      }
      entries.push_back({std::string(name), S_ISDIR(st.st_mode), st.st_size});
    }
    ::closedir(d);
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.dir != b.dir ? a.dir : a.name < b.name;
  });
  const std::string title = "Index of " + html_escape(path);
  std::string html;
  html.reserve(512 + entries.size() * 128);
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
  html += title;
  html +=
      "</title>\n<style>body{font-family:sans-serif;margin:2em}td{padding:0 1em}"
      "td.size{text-align:right}</style>\n</head>\n<body>\n<h1>";
  html += title;
  html += "</h1>\n<table>\n";
  if (path != "/") html += "<tr><td><a href=\"../\">../</a></td><td></td></tr>\n";
  for (const Entry& e : entries) {
    const std::string shown = html_escape(e.name) + (e.dir ? "/" : "");
    html += "<tr><td><a href=\"";
    html += url_encode_segment(e.name);
    if (e.dir) html += '/';
    html += "\">";
    html += shown;
    html += "</a></td><td class=\"size\">";
    if (!e.dir) html += human_size(e.size);
    html += "</td></tr>\n";
  }
  html += "</table>\n<p><small>rapidtls</small></p>\n</body>\n</html>\n";
  return html;
}

}  // namespace rapidtls::tool
