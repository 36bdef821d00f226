/* A client written only against OpenSSL's API that resumes a TLS 1.3
 * session: it connects, sends an HTTP request, reads the whole answer (the
 * server's NewSessionTickets arrive with it), keeps SSL_get1_session, closes
 * with a close_notify, then connects again offering that session with
 * SSL_set_session and reads the answer again. It prints, for each connection,
 * whether it resumed (SSL_session_reused) and the answer's first line that
 * holds "Reused" or "New" (openssl s_server -www says which it saw).
 * Usage: resume_client PORT CAFILE */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct timeval tv = {10, 0}; /* no test waits forever */
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (fd < 0 || connect(fd, (struct sockaddr*)&a, sizeof a) != 0) {
    perror("connect");
    exit(1);
  }
  return fd;
}

/* One connection; returns its session (a reference) or exits on failure. */
static SSL_SESSION* run(SSL_CTX* ctx, int port, SSL_SESSION* resume, int n) {
  int fd = connect_to(port);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, "localhost");
  SSL_set1_host(ssl, "localhost");
  if (resume != NULL && SSL_set_session(ssl, resume) != 1) {
    fprintf(stderr, "SSL_set_session failed\n");
    exit(1);
  }
  if (SSL_connect(ssl) != 1) {
    ERR_print_errors_fp(stderr);
    exit(1);
  }
  const char req[] = "GET / HTTP/1.0\r\n\r\n";
  size_t w = 0;
  if (SSL_write_ex(ssl, req, sizeof req - 1, &w) != 1) {
    ERR_print_errors_fp(stderr);
    exit(1);
  }
  static char page[1 << 16];
  size_t have = 0;
  for (;;) {
    size_t got = 0;
    if (SSL_read_ex(ssl, page + have, sizeof page - 1 - have, &got) != 1) break;
    have += got;
    if (have == sizeof page - 1) break;
  }
  page[have] = '\0';
  const int err = SSL_get_error(ssl, 0);
  if (err != SSL_ERROR_ZERO_RETURN && err != SSL_ERROR_SYSCALL) {
    fprintf(stderr, "read ended with %d\n", err);
    ERR_print_errors_fp(stderr);
    exit(1);
  }
  const char* line = strstr(page, "Reused,");
  if (line == NULL) line = strstr(page, "New,");
  char first[128] = "(no Reused/New line)";
  if (line != NULL) {
    size_t len = strcspn(line, "\r\n");
    if (len >= sizeof first) len = sizeof first - 1;
    memcpy(first, line, len);
    first[len] = '\0';
  }
  printf("connection=%d reused=%d server_says=\"%s\" bytes=%zu\n", n, SSL_session_reused(ssl),
         first, have);
  SSL_SESSION* sess = SSL_get1_session(ssl);
  printf("connection=%d resumable=%d\n", n, SSL_SESSION_is_resumable(sess));
  SSL_shutdown(ssl);
  SSL_free(ssl);
  close(fd);
  return sess;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: resume_client PORT CAFILE\n");
    return 2;
  }
  const int port = atoi(argv[1]);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  if (!SSL_CTX_load_verify_locations(ctx, argv[2], NULL)) {
    ERR_print_errors_fp(stderr);
    return 1;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  SSL_SESSION* first = run(ctx, port, NULL, 1);
  SSL_SESSION* second = run(ctx, port, first, 2);
  SSL_SESSION_free(first);
  SSL_SESSION_free(second);
  SSL_CTX_free(ctx);
  return 0;
}
