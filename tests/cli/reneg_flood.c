/* A client that asks for TLS 1.2 renegotiation again and again on one connection
 * (issue 17, tests/cli/renegotiation_flood.sh). The handshake is the system libssl's;
 * after it the client takes over the socket and seals its own records (RFC 5246 6.2.3.3,
 * RFC 5288 3: AES-128-GCM, the keys from the master secret by RFC 5246 6.3), because
 * libssl's own SSL_renegotiate gives up at the first no_renegotiation. Each round sends a
 * renegotiating ClientHello (RFC 5746 3.5: renegotiation_info with the client's
 * verify_data) and reads the server's answer: a no_renegotiation warning, the end of the
 * connection (a fatal alert or EOF), or a ServerHello. After the rounds, if the
 * connection is still up, an HTTP GET on it must be answered.
 *
 * Usage: reneg_flood PORT ROUNDS PATH. Prints one line:
 *   rounds R no_renegotiation N ended E alert A accepted X get G
 * (E: the round after which the connection ended, 0 if it did not; A: the fatal alert's
 * description or -1; X: ServerHellos seen; G: 1 if the GET was answered with 200).
 * Every wait is bounded (poll, 5 s). Exit status 0 when the line was printed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kWaitMs = 5000 };

struct Keys {
  uint8_t key[16];
  uint8_t salt[4];
  uint64_t seq;
};

static struct Keys client_keys, server_keys;
static int fd = -1;
static uint8_t inbuf[1 << 17];
static size_t inlen;

static void die(const char* what) {
  fprintf(stderr, "reneg_flood: %s\n", what);
  exit(2);
}

static void put16(uint8_t* p, size_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

/* RFC 5288 3: nonce = salt || explicit part (here the sequence number); additional data
 * = seq_num || type || version || length of the plaintext. */
static void nonce_and_aad(const struct Keys* k, uint8_t type, size_t len, uint8_t nonce[12],
                          uint8_t aad[13]) {
  memcpy(nonce, k->salt, 4);
  for (int i = 0; i < 8; ++i) {
    nonce[4 + i] = (uint8_t)(k->seq >> (56 - 8 * i));
    aad[i] = nonce[4 + i];
  }
  aad[8] = type;
  aad[9] = 3;
  aad[10] = 3;
  put16(aad + 11, len);
}

static void send_record(uint8_t type, const uint8_t* plain, size_t len) {
  uint8_t rec[5 + 8 + 16384 + 16];
  uint8_t nonce[12], aad[13];
  int n = 0;
  if (len > 16384) die("record too long");
  nonce_and_aad(&client_keys, type, len, nonce, aad);
  rec[0] = type;
  rec[1] = 3;
  rec[2] = 3;
  put16(rec + 3, 8 + len + 16);
  memcpy(rec + 5, nonce + 4, 8);
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  if (EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, client_keys.key, nonce) != 1 ||
      EVP_EncryptUpdate(c, NULL, &n, aad, 13) != 1 ||
      EVP_EncryptUpdate(c, rec + 13, &n, plain, (int)len) != 1 ||
      EVP_EncryptFinal_ex(c, rec + 13 + n, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, rec + 13 + len) != 1) {
    die("sealing");
  }
  EVP_CIPHER_CTX_free(c);
  client_keys.seq++;
  const size_t total = 5 + 8 + len + 16;
  for (size_t at = 0; at < total;) {
    const ssize_t w = send(fd, rec + at, total - at, MSG_NOSIGNAL);
    if (w <= 0) die("send");
    at += (size_t)w;
  }
}

/* The server's next record, opened: its type and plaintext. 0 on EOF or timeout. */
static int read_record(uint8_t* type, uint8_t* plain, size_t* len) {
  for (;;) {
    if (inlen >= 5) {
      const size_t rlen = (size_t)inbuf[3] << 8 | inbuf[4];
      if (inlen >= 5 + rlen) {
        uint8_t nonce[12], aad[13];
        int n = 0;
        if (rlen < 8 + 16) die("short protected record");
        const size_t plen = rlen - 8 - 16;
        nonce_and_aad(&server_keys, inbuf[0], plen, nonce, aad);
        memcpy(nonce + 4, inbuf + 5, 8);
        EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
        if (EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, server_keys.key, nonce) != 1 ||
            EVP_DecryptUpdate(c, NULL, &n, aad, 13) != 1 ||
            EVP_DecryptUpdate(c, plain, &n, inbuf + 13, (int)plen) != 1 ||
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, inbuf + 13 + plen) != 1 ||
            EVP_DecryptFinal_ex(c, plain + n, &n) != 1) {
          die("a server record that does not open");
        }
        EVP_CIPHER_CTX_free(c);
        server_keys.seq++;
        *type = inbuf[0];
        *len = plen;
        memmove(inbuf, inbuf + 5 + rlen, inlen - 5 - rlen);
        inlen -= 5 + rlen;
        return 1;
      }
    }
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, kWaitMs) != 1) return 0;
    const ssize_t r = recv(fd, inbuf + inlen, sizeof inbuf - inlen, 0);
    if (r <= 0) return 0;
    inlen += (size_t)r;
  }
}

/* RFC 5246 7.4.1.2 with RFC 5746 3.5, RFC 8422 5.1, RFC 7627 5.1 extensions. */
static size_t client_hello(uint8_t* out, const uint8_t* verify_data, size_t vlen, int round) {
  uint8_t b[512];
  size_t n = 4;
  b[n++] = 3;
  b[n++] = 3;
  for (int i = 0; i < 32; ++i) b[n++] = (uint8_t)(round + i);
  b[n++] = 0;               /* session id */
  put16(b + n, 2);          /* cipher suites */
  put16(b + n + 2, 0xc02b); /* ECDHE-ECDSA-AES128-GCM-SHA256 */
  n += 4;
  b[n++] = 1;
  b[n++] = 0; /* compression: null */
  const size_t ext_len_at = n;
  n += 2;
  put16(b + n, 0xff01); /* renegotiation_info */
  put16(b + n + 2, 1 + vlen);
  b[n + 4] = (uint8_t)vlen;
  memcpy(b + n + 5, verify_data, vlen);
  n += 5 + vlen;
  static const uint8_t rest[] = {
      0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x17, 0x00, 0x1d, /* supported_groups */
      0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,                         /* ec_point_formats */
      0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03,             /* signature_algorithms */
      0x00, 0x17, 0x00, 0x00,                                     /* extended_master_secret */
  };
  memcpy(b + n, rest, sizeof rest);
  n += sizeof rest;
  put16(b + ext_len_at, n - ext_len_at - 2);
  b[0] = 1; /* client_hello */
  b[1] = 0;
  put16(b + 2, n - 4);
  memcpy(out, b, n);
  return n;
}

int main(int argc, char** argv) {
  if (argc != 4) die("usage: reneg_flood PORT ROUNDS PATH");
  const int port = atoi(argv[1]), rounds = atoi(argv[2]);
  fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr*)&a, sizeof a) != 0) die("connect");
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  if (SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256") != 1) die("cipher list");
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, "localhost");
  if (SSL_connect(ssl) != 1) die("handshake");
  if (SSL_get_secure_renegotiation_support(ssl) != 1) die("no secure renegotiation");

  /* RFC 5246 6.3: key_block = PRF(master_secret, "key expansion", server_random +
   * client_random); AES-128-GCM takes two 16-byte keys and two 4-byte salts. */
  uint8_t master[48], seed[13 + 64], block[40];
  if (SSL_SESSION_get_master_key(SSL_get_session(ssl), master, sizeof master) != 48) {
    die("master secret");
  }
  memcpy(seed, "key expansion", 13);
  SSL_get_server_random(ssl, seed + 13, 32);
  SSL_get_client_random(ssl, seed + 45, 32);
  EVP_KDF* kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
  EVP_KDF_CTX* kctx = EVP_KDF_CTX_new(kdf);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char*)"SHA256", 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, master, sizeof master),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof seed),
      OSSL_PARAM_construct_end()};
  if (EVP_KDF_derive(kctx, block, sizeof block, params) != 1) die("key expansion");
  EVP_KDF_CTX_free(kctx);
  EVP_KDF_free(kdf);
  memcpy(client_keys.key, block, 16);
  memcpy(server_keys.key, block + 16, 16);
  memcpy(client_keys.salt, block + 32, 4);
  memcpy(server_keys.salt, block + 36, 4);
  client_keys.seq = server_keys.seq = 1; /* each side's Finished was record 0 */

  uint8_t verify_data[12];
  if (SSL_get_finished(ssl, verify_data, sizeof verify_data) != 12) die("verify_data");

  int refused = 0, ended = 0, alert = -1, accepted = 0, got = 0;
  uint8_t msg[512], plain[1 << 15];
  for (int round = 1; round <= rounds && !ended; ++round) {
    const size_t n = client_hello(msg, verify_data, sizeof verify_data, round);
    send_record(22, msg, n);
    uint8_t type = 0;
    size_t len = 0;
    if (!read_record(&type, plain, &len)) {
      ended = round;
    } else if (type == 21 && len == 2 && plain[0] == 1 && plain[1] == 100) {
      refused++;
    } else if (type == 21 && len == 2 && plain[0] == 2) {
      ended = round;
      alert = plain[1];
    } else if (type == 22) {
      accepted++;
      ended = round; /* the records that follow are a handshake this client does not run */
    } else {
      fprintf(stderr, "reneg_flood: round %d: record type %d of %zu bytes\n", round, type, len);
      ended = round;
    }
  }
  if (!ended) {
    char req[512];
    const int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", argv[3]);
    send_record(23, (const uint8_t*)req, (size_t)n);
    uint8_t type = 0;
    size_t len = 0;
    if (read_record(&type, plain, &len) && type == 23 && len >= 12 &&
        memcmp(plain, "HTTP/1.1 200", 12) == 0) {
      got = 1;
    }
  }
  printf("rounds %d no_renegotiation %d ended %d alert %d accepted %d get %d\n", rounds, refused,
         ended, alert, accepted, got);
  /* The connection is not closed with close_notify: the records here are our own. */
  close(fd);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return 0;
}
