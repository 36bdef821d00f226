/* An echo server written only against OpenSSL's manual pages: BIO_new_accept
 * takes the connections, each gets a BIO_new_ssl BIO pushed on top, configured
 * by SSL_CONF_cmd_argv from command-line arguments. Echoes what it reads;
 * prints one line per connection (protocol, suite, count, SHA-256).
 * Usage: bio_ssl_server PORT CONNECTIONS [SSL_CONF command-line arguments...] */
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

static int serve(SSL_CTX* ctx, BIO* conn, int index) {
  BIO* sbio = BIO_new_ssl(ctx, 0);
  BIO_push(sbio, conn); /* the connection becomes the SSL's transport */
  if (BIO_do_handshake(sbio) <= 0) {
    printf("connection %d: handshake failed\n", index);
    ERR_print_errors_fp(stderr);
    ERR_clear_error();
    BIO_free_all(sbio);
    return 0;
  }
  SSL* ssl = NULL;
  BIO_get_ssl(sbio, &ssl);
  const char* version = SSL_get_version(ssl);
  const char* cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl));
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md, EVP_sha256(), NULL);
  unsigned char buf[16384];
  size_t echoed = 0;
  for (;;) {
    int r = BIO_read(sbio, buf, sizeof buf);
    if (r <= 0) {
      if (BIO_should_retry(sbio)) continue;
      break; /* close_notify or EOF */
    }
    EVP_DigestUpdate(md, buf, (size_t)r);
    for (int off = 0; off < r;) {
      int w = BIO_write(sbio, buf + off, r - off);
      if (w <= 0) {
        if (BIO_should_retry(sbio)) continue;
        printf("connection %d: write failed\n", index);
        BIO_free_all(sbio);
        return 0;
      }
      off += w;
    }
    (void)BIO_flush(sbio);
    echoed += (size_t)r;
  }
  unsigned char d[32];
  unsigned l = 0;
  char h[65];
  EVP_DigestFinal_ex(md, d, &l);
  hex(d, l, h);
  EVP_MD_CTX_free(md);
  printf("connection %d: %s %s echoed=%zu sha256=%s\n", index, version, cipher, echoed, h);
  ERR_clear_error();
  BIO_ssl_shutdown(sbio);
  BIO_free_all(sbio);
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bio_ssl_server PORT CONNECTIONS [SSL_CONF args...]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  const int connections = atoi(argv[2]);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CONF_CTX* cctx = SSL_CONF_CTX_new();
  SSL_CONF_CTX_set_flags(cctx, SSL_CONF_FLAG_CMDLINE | SSL_CONF_FLAG_SERVER |
                                   SSL_CONF_FLAG_CERTIFICATE | SSL_CONF_FLAG_SHOW_ERRORS);
  SSL_CONF_CTX_set_ssl_ctx(cctx, ctx);
  int n = argc - 3;
  char** args = argv + 3;
  while (n > 0) {
    const char* at = args[0];
    int r = SSL_CONF_cmd_argv(cctx, &n, &args);
    if (r <= 0) {
      printf("config: %s: %s\n", at, r == 0 ? "unknown" : r == -3 ? "missing value" : "bad value");
      ERR_print_errors_fp(stderr);
      return 1;
    }
  }
  if (!SSL_CONF_CTX_finish(cctx) || !SSL_CTX_check_private_key(ctx)) {
    printf("config: no usable certificate and key\n");
    ERR_print_errors_fp(stderr);
    return 1;
  }
  SSL_CONF_CTX_free(cctx);

  char addr[64];
  snprintf(addr, sizeof addr, "127.0.0.1:%s", argv[1]);
  BIO* acpt = BIO_new_accept(addr);
  if (BIO_do_accept(acpt) <= 0) { /* the first call binds and listens */
    ERR_print_errors_fp(stderr);
    return 1;
  }
  fprintf(stderr, "ready\n");
  for (int i = 1; i <= connections; i++) {
    if (BIO_do_accept(acpt) <= 0) {
      ERR_print_errors_fp(stderr);
      return 1;
    }
    serve(ctx, BIO_pop(acpt), i);
  }
  BIO_free_all(acpt);
  SSL_CTX_free(ctx);
  return 0;
}
