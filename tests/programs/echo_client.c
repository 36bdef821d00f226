/* An echo client written only against OpenSSL's API: non-blocking socket,
 * poll(), sends `bytes` of a deterministic pattern while reading the echo,
 * checks every byte came back, prints the SHA-256 of what it sent.
 * Usage: echo_client PORT CAFILE BYTES [--no-echo] */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned char pattern_byte(size_t i) {
  return (unsigned char)((i * 2654435761u) >> 13);
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: echo_client PORT CAFILE BYTES [--no-echo]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const size_t total = strtoull(argv[3], NULL, 10);
  const int expect_echo = !(argc > 4 && strcmp(argv[4], "--no-echo") == 0);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  if (!SSL_CTX_load_verify_locations(ctx, argv[2], NULL)) {
    ERR_print_errors_fp(stderr);
    return 1;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(argv[1]));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0) {
    perror("connect");
    return 1;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, "localhost");
  SSL_set1_host(ssl, "localhost");
  SSL_set_connect_state(ssl);

  int r;
  while ((r = SSL_connect(ssl)) != 1) {
    int e = SSL_get_error(ssl, r);
    struct pollfd p = {fd, e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, 0};
    if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || poll(&p, 1, 10000) != 1) {
      ERR_print_errors_fp(stderr);
      return 1;
    }
  }

  unsigned char* out = malloc(total ? total : 1);
  for (size_t i = 0; i < total; i++) out[i] = pattern_byte(i);
  size_t sent = 0, got = 0, mismatches = 0;
  unsigned char buf[65536];
  int wrote_close = 0, rounds = 0;
  while ((sent < total || (expect_echo && got < total)) && rounds++ < 10000000) {
    short events = 0;
    if (sent < total) {
      size_t w = 0;
      /* The whole rest each time; on WANT_* the same arguments come back. */
      int r = SSL_write_ex(ssl, out + sent, total - sent, &w);
      if (r) {
        sent += w;
      } else {
        int e = SSL_get_error(ssl, r);
        if (e == SSL_ERROR_WANT_WRITE)
          events |= POLLOUT;
        else if (e == SSL_ERROR_WANT_READ)
          events |= POLLIN;
        else
          goto fail;
      }
    }
    if (expect_echo) {
      size_t n = 0;
      int r = SSL_read_ex(ssl, buf, sizeof buf, &n);
      if (r) {
        for (size_t i = 0; i < n; i++) mismatches += buf[i] != pattern_byte(got + i);
        got += n;
        continue;
      }
      int e = SSL_get_error(ssl, r);
      if (e == SSL_ERROR_WANT_READ)
        events |= POLLIN;
      else if (e == SSL_ERROR_WANT_WRITE)
        events |= POLLOUT;
      else
        goto fail;
    }
    if (events) {
      struct pollfd p = {fd, events, 0};
      if (poll(&p, 1, 10000) != 1) {
        fprintf(stderr, "echo_client: timed out\n");
        goto fail;
      }
    }
  }
  /* A full two-way shutdown: wait for the peer's close_notify before closing
   * the socket. Closing with the peer's data (tickets, say) unread would send a
   * reset, which can make the peer drop what it has not read yet. */
  for (int i = 0; i < 1000 && (r = SSL_shutdown(ssl)) != 1; i++) {
    if (r == 0) continue; /* our close_notify is out; call again to wait for theirs */
    int e = SSL_get_error(ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) break;
    struct pollfd p = {fd, e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, 0};
    if (poll(&p, 1, 10000) != 1) break;
  }
  wrote_close = 1;
  unsigned char md[32];
  unsigned int mdlen = 0;
  EVP_Digest(out, total, md, &mdlen, EVP_sha256(), NULL);
  printf("sha256=");
  for (unsigned i = 0; i < mdlen; i++) printf("%02x", md[i]);
  printf(" sent=%zu echoed=%zu mismatches=%zu version=%s cipher=%s\n", sent, got, mismatches,
         SSL_get_version(ssl), SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  free(out);
  close(fd);
  return (sent == total && (!expect_echo || (got == total && mismatches == 0)) && wrote_close) ? 0
                                                                                               : 1;
fail:
  ERR_print_errors_fp(stderr);
  fprintf(stderr, "echo_client: failed after sent=%zu echoed=%zu\n", sent, got);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  free(out);
  close(fd);
  return 1;
}
