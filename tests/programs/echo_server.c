/* An echo server written only against OpenSSL's API: non-blocking sockets,
 * poll(), SSL_accept/SSL_read_ex/SSL_write_ex with WANT_READ/WANT_WRITE.
 * Serves `count` connections one after another and echoes every byte.
 * Usage: echo_server PORT CERT KEY [COUNT] */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int wait_for(int fd, SSL* ssl, int ret) {
  struct pollfd p = {fd, 0, 0};
  const int e = SSL_get_error(ssl, ret);
  switch (e) {
    case SSL_ERROR_WANT_READ:
      p.events = POLLIN;
      break;
    case SSL_ERROR_WANT_WRITE:
      p.events = POLLOUT;
      break;
    default:
      fprintf(stderr, "echo_server: SSL_get_error = %d, errno = %d\n", e, errno);
      return -1;
  }
  if (poll(&p, 1, 10000) != 1) {
    fprintf(stderr, "echo_server: poll timed out\n");
    return -1;
  }
  return 0;
}

static int serve(SSL_CTX* ctx, int fd) {
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  int r;
  while ((r = SSL_accept(ssl)) != 1) {
    if (wait_for(fd, ssl, r) < 0) goto fail;
  }
  fprintf(stderr, "echo_server: %s %s\n", SSL_get_version(ssl),
          SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
  unsigned char buf[65536];
  unsigned long long total = 0;
  for (;;) {
    size_t n = 0;
    r = SSL_read_ex(ssl, buf, sizeof buf, &n);
    if (!r) {
      if (SSL_get_error(ssl, r) == SSL_ERROR_ZERO_RETURN) break;
      if (wait_for(fd, ssl, r) < 0) goto fail;
      continue;
    }
    size_t off = 0;
    while (off < n) {
      size_t w = 0;
      r = SSL_write_ex(ssl, buf + off, n - off, &w);
      if (!r) {
        if (wait_for(fd, ssl, r) < 0) goto fail;
        continue; /* retried with the same arguments */
      }
      off += w;
    }
    total += n;
  }
  while ((r = SSL_shutdown(ssl)) < 0) {
    if (wait_for(fd, ssl, r) < 0) break;
  }
  fprintf(stderr, "echo_server: echoed %llu bytes\n", total);
  SSL_free(ssl);
  return 0;
fail:
  ERR_print_errors_fp(stderr);
  SSL_free(ssl);
  return -1;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: echo_server PORT CERT KEY [COUNT]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int count = argc > 4 ? atoi(argv[4]) : 1;
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!SSL_CTX_use_certificate_chain_file(ctx, argv[2]) ||
      !SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) ||
      !SSL_CTX_check_private_key(ctx)) {
    ERR_print_errors_fp(stderr);
    return 1;
  }
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(argv[1]));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr*)&a, sizeof a) != 0 || listen(ls, 8) != 0) {
    perror("bind/listen");
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  int failures = 0;
  for (int i = 0; i < count; i++) {
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) return 1;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (serve(ctx, fd) != 0) failures++;
    close(fd);
  }
  SSL_CTX_free(ctx);
  return failures ? 1 : 0;
}
