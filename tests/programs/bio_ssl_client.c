/* A client written only against OpenSSL's manual pages: BIO_new_ssl_connect,
 * configured by SSL_CONF_cmd_argv from command-line arguments, sends BYTES of
 * a deterministic pattern 16 KiB at a time, reads each piece's echo back, and
 * prints the protocol, the suite, the counts and SHA-256s. Output is the same
 * whichever libssl it is linked with.
 * Usage: bio_ssl_client HOST:PORT BYTES [SSL_CONF command-line arguments...] */
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

static unsigned char pattern_byte(size_t i) {
  return (unsigned char)((i * 2654435761u) >> 13);
}

/* The reason of the last SSL error on the queue, without file or line. */
static const char* last_reason(void) {
  unsigned long e = ERR_peek_last_error();
  const char* r = e ? ERR_reason_error_string(e) : NULL;
  return r ? r : "none";
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bio_ssl_client HOST:PORT BYTES [SSL_CONF args...]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const size_t total = strtoull(argv[2], NULL, 10);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);

  SSL_CONF_CTX* cctx = SSL_CONF_CTX_new();
  SSL_CONF_CTX_set_flags(cctx, SSL_CONF_FLAG_CMDLINE | SSL_CONF_FLAG_CLIENT |
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
  if (!SSL_CONF_CTX_finish(cctx)) {
    printf("config: finish failed\n");
    return 1;
  }
  SSL_CONF_CTX_free(cctx);

  BIO* b = BIO_new_ssl_connect(ctx);
  SSL* ssl = NULL;
  BIO_get_ssl(b, &ssl);
  if (ssl == NULL) {
    printf("no SSL in the BIO\n");
    return 1;
  }
  SSL_set_tlsext_host_name(ssl, "localhost");
  SSL_set1_host(ssl, "localhost");
  BIO_set_conn_hostname(b, argv[1]);

  if (BIO_do_handshake(b) <= 0) {
    long v = SSL_get_verify_result(ssl);
    printf("handshake failed: %s; verify: %s\n", last_reason(), X509_verify_cert_error_string(v));
    ERR_print_errors_fp(stderr);
    BIO_free_all(b);
    SSL_CTX_free(ctx);
    return 3;
  }
  printf("handshake: %s %s\n", SSL_get_version(ssl),
         SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));

  EVP_MD_CTX* sent_md = EVP_MD_CTX_new();
  EVP_MD_CTX* got_md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(sent_md, EVP_sha256(), NULL);
  EVP_DigestInit_ex(got_md, EVP_sha256(), NULL);
  unsigned char out[16384], in[16384];
  size_t sent = 0, got = 0;
  while (sent < total) {
    size_t len = total - sent < sizeof out ? total - sent : sizeof out;
    for (size_t i = 0; i < len; i++) out[i] = pattern_byte(sent + i);
    for (size_t off = 0; off < len;) {
      int w = BIO_write(b, out + off, (int)(len - off));
      if (w <= 0) {
        if (BIO_should_retry(b)) continue;
        printf("write failed after %zu bytes: %s\n", sent + off, last_reason());
        return 1;
      }
      off += (size_t)w;
    }
    EVP_DigestUpdate(sent_md, out, len);
    sent += len;
    if (BIO_flush(b) <= 0) {
      printf("flush failed\n");
      return 1;
    }
    while (got < sent) {
      int r = BIO_read(b, in, (int)(sent - got < sizeof in ? sent - got : sizeof in));
      if (r <= 0) {
        if (BIO_should_retry(b)) continue;
        printf("read failed after %zu bytes: %s\n", got, last_reason());
        return 1;
      }
      EVP_DigestUpdate(got_md, in, (size_t)r);
      got += (size_t)r;
    }
  }
  unsigned char d1[32], d2[32];
  unsigned l1 = 0, l2 = 0;
  char h1[65], h2[65];
  EVP_DigestFinal_ex(sent_md, d1, &l1);
  EVP_DigestFinal_ex(got_md, d2, &l2);
  hex(d1, l1, h1);
  hex(d2, l2, h2);
  printf("sent=%zu echoed=%zu sha256=%s echo_sha256=%s %s\n", sent, got, h1, h2,
         strcmp(h1, h2) == 0 ? "match" : "MISMATCH");
  BIO_ssl_shutdown(b);
  BIO_free_all(b);
  EVP_MD_CTX_free(sent_md);
  EVP_MD_CTX_free(got_md);
  SSL_CTX_free(ctx);
  return strcmp(h1, h2) == 0 && got == total ? 0 : 1;
}
