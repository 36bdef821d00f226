// The SSL BIO (BIO_f_ssl(3)) over a BIO pair: non-blocking handshakes and
// reads set the retry flags from SSL_get_error, BIO_push makes the BIO below
// the SSL's transport, BIO_pop detaches it, and BIO_free_all frees it all.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace conformance {
namespace {

struct SslBios {
  CtxPtr client_ctx = MakeClientCtx();
  CtxPtr server_ctx = MakeServerCtx();
  BIO* client = nullptr;  // SSL BIO over one end of the pair
  BIO* server = nullptr;
  SslBios() {
    BIO* a = nullptr;
    BIO* b = nullptr;
    BIO_new_bio_pair(&a, 17 * 1024, &b, 17 * 1024);
    client = BIO_push(BIO_new_ssl(client_ctx.get(), 1), a);
    server = BIO_push(BIO_new_ssl(server_ctx.get(), 0), b);
    SSL* ssl = nullptr;
    BIO_get_ssl(client, &ssl);
    SSL_set_tlsext_host_name(ssl, "localhost");
  }
  ~SslBios() {
    BIO_free_all(client);
    BIO_free_all(server);
  }
};

TEST(SslBio, NonBlockingHandshakeSetsRetryFlags) {
  SslBios t;
  EXPECT_EQ(BIO_method_type(t.client), BIO_TYPE_SSL);
  SSL* cssl = nullptr;
  EXPECT_EQ(BIO_get_ssl(t.client, &cssl), 1);
  ASSERT_NE(cssl, nullptr);
  EXPECT_EQ(SSL_get_rbio(cssl), BIO_next(t.client));  // pushed: the SSL's transport
  // The client sends its hello and waits for the server: a read retry.
  EXPECT_LE(BIO_do_handshake(t.client), 0);
  EXPECT_TRUE(BIO_should_retry(t.client));
  EXPECT_TRUE(BIO_should_read(t.client));
  EXPECT_FALSE(BIO_should_write(t.client));
  bool client_done = false, server_done = false;
  for (int i = 0; i < 20 && !(client_done && server_done); ++i) {
    if (!server_done) {
      server_done = BIO_do_handshake(t.server) == 1;
      if (!server_done) {
        ASSERT_TRUE(BIO_should_retry(t.server));
      }
    }
    if (!client_done) {
      client_done = BIO_do_handshake(t.client) == 1;
      if (!client_done) {
        ASSERT_TRUE(BIO_should_retry(t.client));
      }
    }
  }
  ASSERT_TRUE(client_done && server_done);
  // Nothing to read yet: a read retry, -1.
  char buf[64];
  EXPECT_EQ(BIO_read(t.server, buf, sizeof buf), -1);
  EXPECT_TRUE(BIO_should_retry(t.server));
  EXPECT_TRUE(BIO_should_read(t.server));
  EXPECT_EQ(BIO_write(t.client, "hello", 5), 5);
  EXPECT_FALSE(BIO_should_retry(t.client));
  EXPECT_EQ(BIO_flush(t.client), 1);
  EXPECT_GT(BIO_pending(t.server), 0);  // the record, in the pair
  EXPECT_EQ(BIO_read(t.server, buf, 3), 3);
  EXPECT_EQ(BIO_pending(t.server), 2);  // the rest of the record's data
  EXPECT_EQ(BIO_read(t.server, buf + 3, sizeof buf - 3), 2);
  EXPECT_EQ(std::memcmp(buf, "hello", 5), 0);
  // close_notify: the reader sees the end, no retry.
  BIO_ssl_shutdown(t.client);
  EXPECT_EQ(BIO_read(t.server, buf, sizeof buf), 0);
  EXPECT_FALSE(BIO_should_retry(t.server));
}

TEST(SslBio, ControlsAndPop) {
  SslBios t;
  EXPECT_EQ(BIO_set_ssl_renegotiate_bytes(t.client, 100), 0);  // under 512: ignored
  EXPECT_EQ(BIO_set_ssl_renegotiate_bytes(t.client, 1000), 0);
  EXPECT_EQ(BIO_set_ssl_renegotiate_bytes(t.client, 2000), 1000);
  EXPECT_EQ(BIO_set_ssl_renegotiate_timeout(t.client, 5), 0);
  EXPECT_EQ(BIO_set_ssl_renegotiate_timeout(t.client, 7), 5);
  EXPECT_EQ(BIO_get_num_renegotiates(t.client), 0);
  EXPECT_EQ(BIO_get_close(t.client), BIO_CLOSE);
  SSL* ssl = nullptr;
  BIO_get_ssl(t.client, &ssl);
  BIO* below = BIO_next(t.client);
  // Popping the SSL BIO gives the transport back: the SSL has none.
  EXPECT_EQ(BIO_pop(t.client), below);
  EXPECT_EQ(SSL_get_rbio(ssl), nullptr);
  EXPECT_EQ(BIO_next(t.client), nullptr);
  BIO_free(below);
}

TEST(SslBio, SetSslTakesTheSslsTransport) {
  CtxPtr ctx = MakeClientCtx();
  SSL* ssl = SSL_new(ctx.get());
  BIO* mem = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, mem, mem);
  BIO* b = BIO_new(BIO_f_ssl());
  EXPECT_EQ(BIO_set_ssl(b, ssl, BIO_CLOSE), 1);
  EXPECT_EQ(BIO_next(b), mem);
  BIO_free_all(b);  // frees the SSL and the memory BIO
}

TEST(SslBio, NewSslConnectChain) {
  CtxPtr ctx = MakeClientCtx();
  BIO* b = BIO_new_ssl_connect(ctx.get());
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(BIO_method_type(b), BIO_TYPE_SSL);
  EXPECT_EQ(BIO_method_type(BIO_next(b)), BIO_TYPE_CONNECT);
  BIO_free_all(b);
  BIO* buffered = BIO_new_buffer_ssl_connect(ctx.get());
  ASSERT_NE(buffered, nullptr);
  EXPECT_EQ(BIO_method_type(buffered), BIO_TYPE_BUFFER);
  EXPECT_NE(BIO_find_type(buffered, BIO_TYPE_SSL), nullptr);
  BIO_free_all(buffered);
}

// BIO_ssl_copy_session_id(3): the session of the SSL in one chain goes to
// the SSL in the other, whose connection then resumes it; a chain without an
// SSL BIO fails. From an SSL with no session yet it succeeds and copies none.
TEST(SslBio, CopySessionIdResumes) {
  CtxPtr cctx = MakeClientCtx(TLS1_2_VERSION);
  CtxPtr sctx = MakeServerCtx(TLS1_2_VERSION);
  auto client_bio = [&](SSL** ssl, SSL** server, SslPair& keep) {
    keep = MakeSslPairOn(cctx.get(), sctx.get());
    EXPECT_TRUE(keep.client && keep.server);
    SSL_set1_host(keep.client.get(), "localhost");
    *ssl = keep.client.get();
    *server = keep.server.get();
    BIO* b = BIO_new(BIO_f_ssl());
    BIO_set_ssl(b, keep.client.get(), BIO_NOCLOSE);
    return b;
  };
  SslPair first, second;
  SSL *c1 = nullptr, *s1 = nullptr, *c2 = nullptr, *s2 = nullptr;
  BIO* from = client_bio(&c1, &s1, first);
  BIO* to = client_bio(&c2, &s2, second);
  EXPECT_EQ(BIO_ssl_copy_session_id(to, from), 1) << "no session yet: nothing to copy";
  EXPECT_EQ(SSL_get_session(c2), nullptr);
  ASSERT_EQ(HandshakeSsl(c1, s1), "");
  ASSERT_NE(SSL_get_session(c1), nullptr);
  EXPECT_EQ(BIO_ssl_copy_session_id(to, from), 1);
  ASSERT_NE(SSL_get_session(c2), nullptr);
  unsigned a = 0, b = 0;
  const unsigned char* ida = SSL_SESSION_get_id(SSL_get_session(c1), &a);
  const unsigned char* idb = SSL_SESSION_get_id(SSL_get_session(c2), &b);
  ASSERT_EQ(a, b);
  EXPECT_EQ(memcmp(ida, idb, a), 0);
  ASSERT_EQ(HandshakeSsl(c2, s2), "");
  EXPECT_EQ(SSL_session_reused(c2), 1);
  EXPECT_EQ(SSL_session_reused(s2), 1);
  BIO* mem = BIO_new(BIO_s_mem());
  EXPECT_EQ(BIO_ssl_copy_session_id(mem, from), 0);
  EXPECT_EQ(BIO_ssl_copy_session_id(to, mem), 0);
  BIO_free(mem);
  BIO_free_all(from);  // with the pair BIO that BIO_set_ssl pushed under it
  BIO_free_all(to);
}

// BIO_new_buffer_ssl_connect(3) over TCP: a buffering BIO in front of an
// SSL BIO in front of a connect BIO. The client connects to a loopback server
// (the same library, in a thread) by BIO_set_conn_hostname, writes lines that
// leave only on BIO_flush, and reads the echoed lines with BIO_gets.
TEST(SslBio, BufferSslConnectEchoesLines) {
  Fd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_GE(listener.fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener.fd, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  CtxPtr sctx = MakeServerCtx();
  std::string server_error;
  std::thread server([&] {
    Fd conn(accept(listener.fd, nullptr, nullptr));
    timeval tv{10, 0};
    setsockopt(conn.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SslPtr ssl(SSL_new(sctx.get()));
    SSL_set_fd(ssl.get(), conn.fd);
    if (SSL_accept(ssl.get()) != 1) {
      server_error = "accept: " + ErrorQueueText();
      return;
    }
    char buf[4096];
    for (;;) {  // echo until the client's close_notify
      const int n = SSL_read(ssl.get(), buf, sizeof buf);
      if (n <= 0) break;
      if (SSL_write(ssl.get(), buf, n) != n) {
        server_error = "write: " + ErrorQueueText();
        return;
      }
    }
    SSL_shutdown(ssl.get());
  });
  CtxPtr cctx = MakeClientCtx();
  BIO* b = BIO_new_buffer_ssl_connect(cctx.get());
  ASSERT_NE(b, nullptr);
  SSL* ssl = nullptr;
  BIO* sbio = BIO_find_type(b, BIO_TYPE_SSL);
  ASSERT_NE(sbio, nullptr);
  BIO_get_ssl(sbio, &ssl);
  ASSERT_NE(ssl, nullptr);
  SSL_set1_host(ssl, "localhost");
  const std::string target = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  BIO_set_conn_hostname(BIO_find_type(b, BIO_TYPE_CONNECT), target.c_str());
  EXPECT_EQ(BIO_do_handshake(b), 1) << ErrorQueueText();
  EXPECT_EQ(SSL_get_verify_result(ssl), X509_V_OK);
  std::vector<std::string> lines;
  for (int i = 0; i < 50; ++i)
    lines.push_back("line " + std::to_string(i) + " " + std::string(i * 7, 'x'));
  for (const std::string& l : lines) {
    const std::string with_nl = l + "\n";
    ASSERT_EQ(BIO_write(b, with_nl.data(), static_cast<int>(with_nl.size())),
              static_cast<int>(with_nl.size()));
  }
  ASSERT_EQ(BIO_flush(b), 1) << ErrorQueueText();
  for (const std::string& l : lines) {
    char got[1024] = {};
    const int n = BIO_gets(b, got, sizeof got);
    ASSERT_GT(n, 0) << ErrorQueueText();
    EXPECT_EQ(std::string(got, static_cast<size_t>(n)), l + "\n");
  }
  BIO_ssl_shutdown(sbio);
  BIO_free_all(b);
  server.join();
  EXPECT_EQ(server_error, "");
}

}  // namespace
}  // namespace conformance
