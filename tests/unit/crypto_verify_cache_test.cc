// The cache of verified chains (crypto/verify_cache.h): a repeated success is
// reused, anything that could change the outcome (the chain, the host, the
// purpose, the depth, the store, the time) is verified again, and a failure
// is never reused. Times are explicit, as the engine passes its clock's.
#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <ctime>
#include <thread>

#include "crypto/verify_cache.h"

namespace rapidtls::crypto {
namespace {

constexpr int64_t kNow = 1893456000;  // 2030-01-01T00:00:00Z: inside the 100-year validities

std::vector<Certificate> load_chain(const std::string& name) {
  auto chain = Certificate::chain_from_pem_file(std::string(RAPIDTLS_TEST_DATA) + "/" + name);
  EXPECT_TRUE(chain.ok()) << name;
  return chain.ok() ? std::move(chain).value() : std::vector<Certificate>{};
}

TrustStore test_ca_store() {
  TrustStore store;
  EXPECT_TRUE(store.add_pem_file(std::string(RAPIDTLS_TEST_DATA) + "/ca.pem").ok());
  return store;
}

int64_t seconds(const ASN1_TIME* t) {
  std::tm tm{};
  EXPECT_EQ(ASN1_TIME_to_tm(t, &tm), 1);
  return static_cast<int64_t>(timegm(&tm));
}

void expect_ok(const TrustStore::Outcome& o) {
  EXPECT_TRUE(o.status.ok());
  EXPECT_EQ(o.verify_result, X509_V_OK);
}

void expect_failure(const TrustStore::Outcome& o, long code) {
  ASSERT_FALSE(o.status.ok());
  EXPECT_EQ(o.status.error().reason, SSL_R_CERTIFICATE_VERIFY_FAILED);
  EXPECT_EQ(o.verify_result, code);
}

TEST(VerifiedChainCache, RepeatedSuccessIsReused) {
  const TrustStore store = test_ca_store();
  const auto chain = load_chain("leaf.pem");
  VerifiedChainCache cache;
  expect_ok(cache.verify(store, chain, "localhost", Purpose::server, kNow, 100));
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.size(), 1u);
  expect_ok(cache.verify(store, chain, "localhost", Purpose::server, kNow + 1, 100));
  EXPECT_EQ(cache.hits(), 1u) << "same chain, host, purpose, depth and store";
  EXPECT_EQ(cache.misses(), 1u);
  // A copy of the chain parsed again (other X509 objects, same bytes) hits too.
  expect_ok(cache.verify(store, load_chain("leaf.pem"), "localhost", Purpose::server, kNow, 100));
  EXPECT_EQ(cache.hits(), 2u);
}

TEST(VerifiedChainCache, OtherChainHostPurposeOrDepthIsVerifiedAgain) {
  const TrustStore store = test_ca_store();
  VerifiedChainCache cache;
  expect_ok(cache.verify(store, load_chain("leaf.pem"), "localhost", Purpose::server, kNow, 100));
  expect_ok(cache.verify(store, load_chain("leaf.pem"), "127.0.0.1", Purpose::server, kNow, 100));
  expect_ok(cache.verify(store, load_chain("leaf.pem"), "", Purpose::server, kNow, 100));
  expect_ok(
      cache.verify(store, load_chain("leaf2_chain.pem"), "localhost", Purpose::server, kNow, 100));
  expect_ok(cache.verify(store, load_chain("leaf.pem"), "localhost", Purpose::server, kNow, 5));
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.misses(), 5u);
  EXPECT_EQ(cache.size(), 5u);

  // What the cached successes would say is not what these say.
  expect_failure(
      cache.verify(store, load_chain("leaf.pem"), "example.com", Purpose::server, kNow, 100),
      X509_V_ERR_HOSTNAME_MISMATCH);
  expect_failure(
      cache.verify(store, load_chain("leaf.pem"), "localhost", Purpose::client, kNow, 100),
      X509_V_ERR_INVALID_PURPOSE);
  expect_failure(
      cache.verify(store, load_chain("leaf2_chain.pem"), "localhost", Purpose::server, kNow, 0),
      X509_V_ERR_CERT_CHAIN_TOO_LONG);
  // The leaf without its intermediate: a different chain, and an unknown issuer.
  expect_failure(
      cache.verify(store, load_chain("leaf2.pem"), "localhost", Purpose::server, kNow, 100),
      X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_EQ(cache.hits(), 0u);
}

TEST(VerifiedChainCache, FailuresAreNeverKept) {
  const TrustStore store = test_ca_store();
  VerifiedChainCache cache;
  for (int i = 0; i < 2; ++i) {
    expect_failure(cache.verify(store, load_chain("unknown_leaf.pem"), "localhost", Purpose::server,
                                kNow, 100),
                   X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    expect_failure(
        cache.verify(store, load_chain("leaf.pem"), "example.com", Purpose::server, kNow, 100),
        X509_V_ERR_HOSTNAME_MISMATCH);
  }
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.misses(), 4u);
  expect_failure(cache.verify(store, {}, "localhost", Purpose::server, kNow, 100),
                 X509_V_ERR_UNSPECIFIED);
}

TEST(VerifiedChainCache, ReusedOnlyWithinTheTtl) {
  const TrustStore store = test_ca_store();
  const auto chain = load_chain("leaf.pem");
  VerifiedChainCache cache(8, /*ttl_s=*/60);
  expect_ok(cache.verify(store, chain, "localhost", Purpose::server, kNow, 100));
  expect_ok(cache.verify(store, chain, "localhost", Purpose::server, kNow + 59, 100));
  EXPECT_EQ(cache.hits(), 1u);
  expect_ok(cache.verify(store, chain, "localhost", Purpose::server, kNow + 60, 100));
  EXPECT_EQ(cache.hits(), 1u) << "60 s after the verification it is done again";
  EXPECT_EQ(cache.misses(), 2u);
  // A clock that goes back before the (new) verification time does not reuse it.
  expect_ok(cache.verify(store, chain, "localhost", Purpose::server, kNow + 59, 100));
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 3u);
}

TEST(VerifiedChainCache, NeverReusedAfterTheChainExpires) {
  // expired.pem is valid for one day; a TTL of a week must not outlive it.
  const TrustStore store = test_ca_store();
  const auto chain = load_chain("expired.pem");
  const int64_t not_before = seconds(X509_get0_notBefore(chain[0].raw()));
  const int64_t not_after = seconds(X509_get0_notAfter(chain[0].raw()));
  ASSERT_LT(not_before + 3600, not_after - 1);
  VerifiedChainCache cache(8, /*ttl_s=*/7 * 86400);
  expect_ok(cache.verify(store, chain, "localhost", Purpose::server, not_before + 3600, 100));
  expect_ok(cache.verify(store, chain, "localhost", Purpose::server, not_after - 1, 100));
  EXPECT_EQ(cache.hits(), 1u) << "still valid: reused";
  expect_failure(cache.verify(store, chain, "localhost", Purpose::server, not_after, 100),
                 X509_V_ERR_CERT_HAS_EXPIRED);
  expect_failure(cache.verify(store, chain, "localhost", Purpose::server, not_after + 3600, 100),
                 X509_V_ERR_CERT_HAS_EXPIRED);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.size(), 0u) << "the expired entry is gone";
}

TEST(VerifiedChainCache, HoldsAtMostCapacityLeastRecentlyUsedGoesFirst) {
  const TrustStore store = test_ca_store();
  const auto chain = load_chain("leaf.pem");
  VerifiedChainCache cache(2);
  expect_ok(cache.verify(store, chain, "localhost", Purpose::server, kNow, 100));  // A
  expect_ok(cache.verify(store, chain, "127.0.0.1", Purpose::server, kNow, 100));  // B
  expect_ok(cache.verify(store, chain, "localhost", Purpose::server, kNow, 100));  // A hit
  expect_ok(cache.verify(store, chain, "", Purpose::server, kNow, 100));           // C, drops B
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.hits(), 1u);
  expect_ok(cache.verify(store, chain, "localhost", Purpose::server, kNow, 100));  // A hit
  EXPECT_EQ(cache.hits(), 2u);
  expect_ok(cache.verify(store, chain, "127.0.0.1", Purpose::server, kNow, 100));  // B again
  EXPECT_EQ(cache.hits(), 2u) << "the least recently used entry was dropped";
  EXPECT_EQ(cache.size(), 2u);

  VerifiedChainCache none(0);
  expect_ok(none.verify(store, chain, "localhost", Purpose::server, kNow, 100));
  expect_ok(none.verify(store, chain, "localhost", Purpose::server, kNow, 100));
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.hits(), 0u);
}

TEST(VerifiedChainCache, ChangesToTheStoreAreNoticed) {
  TrustStore store = test_ca_store();
  const auto chain = load_chain("leaf.pem");
  VerifiedChainCache cache;
  auto verify = [&] { return cache.verify(store, chain, "localhost", Purpose::server, kNow, 100); };
  expect_ok(verify());
  expect_ok(verify());
  ASSERT_EQ(cache.hits(), 1u);

  // A certificate added: trust may have changed.
  ASSERT_TRUE(store.add_certificate(load_chain("unknown_ca.pem").at(0)).ok());
  expect_ok(verify());
  EXPECT_EQ(cache.hits(), 1u);
  expect_ok(verify());
  EXPECT_EQ(cache.hits(), 2u) << "then reused under the new state";

  // Flags and depth on the store's parameters.
  ASSERT_EQ(X509_STORE_set_flags(store.raw(), X509_V_FLAG_NO_ALT_CHAINS), 1);
  expect_ok(verify());
  EXPECT_EQ(cache.hits(), 2u);
  ASSERT_EQ(X509_STORE_set_depth(store.raw(), 0), 1);
  expect_ok(verify());  // our depth limit (100) is what X509_verify_cert uses
  EXPECT_EQ(cache.hits(), 2u);

  // CRL checks turned on: the chain that passed now fails (no CRL for it),
  // and is never reported as passing.
  ASSERT_EQ(X509_STORE_set_flags(store.raw(), X509_V_FLAG_CRL_CHECK), 1);
  expect_failure(verify(), X509_V_ERR_UNABLE_TO_GET_CRL);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_FALSE(store.reuse_state().has_value()) << "CRL checks bypass the cache";
}

int reject_everything(int, X509_STORE_CTX* ctx) {
  X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

TEST(VerifiedChainCache, AStoreCallbackBypassesTheCache) {
  TrustStore store = test_ca_store();
  const auto chain = load_chain("leaf.pem");
  VerifiedChainCache cache;
  expect_ok(cache.verify(store, chain, "localhost", Purpose::server, kNow, 100));
  ASSERT_EQ(cache.size(), 1u);
  X509_STORE_set_verify_cb(store.raw(), reject_everything);
  EXPECT_FALSE(store.reuse_state().has_value());
  expect_failure(cache.verify(store, chain, "localhost", Purpose::server, kNow, 100),
                 X509_V_ERR_APPLICATION_VERIFICATION);
  EXPECT_EQ(cache.hits(), 0u);
  X509_STORE_set_verify_cb(store.raw(), nullptr);
  expect_ok(cache.verify(store, chain, "localhost", Purpose::server, kNow, 100));
  EXPECT_EQ(cache.hits(), 1u) << "without the callback the earlier success applies again";
}

TEST(VerifiedChainCache, EachStoreHasItsOwnEntries) {
  const TrustStore trusting = test_ca_store();
  const TrustStore empty;
  const auto chain = load_chain("leaf.pem");
  VerifiedChainCache cache;
  expect_ok(cache.verify(trusting, chain, "localhost", Purpose::server, kNow, 100));
  expect_failure(cache.verify(empty, chain, "localhost", Purpose::server, kNow, 100),
                 X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_EQ(cache.hits(), 0u);
}

TEST(VerifiedChainCache, ClearForgetsEverything) {
  const TrustStore store = test_ca_store();
  const auto chain = load_chain("leaf.pem");
  VerifiedChainCache cache;
  expect_ok(cache.verify(store, chain, "localhost", Purpose::server, kNow, 100));
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  expect_ok(cache.verify(store, chain, "localhost", Purpose::server, kNow, 100));
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.misses(), 2u);
}

TEST(VerifiedChainCache, SharedBetweenThreads) {
  const TrustStore store = test_ca_store();
  const auto good = load_chain("leaf.pem");
  const auto bad = load_chain("unknown_leaf.pem");
  VerifiedChainCache cache(4);
  constexpr int kThreads = 4;
  constexpr int kRounds = 10;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        if (!cache.verify(store, good, "localhost", Purpose::server, kNow, 100).status.ok()) {
          ++wrong[t];
        }
        if (cache.verify(store, bad, "localhost", Purpose::server, kNow, 100).status.ok()) {
          ++wrong[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
  EXPECT_EQ(cache.hits() + cache.misses(), 2u * kThreads * kRounds);
  EXPECT_EQ(cache.size(), 1u);
}

}  // namespace
}  // namespace rapidtls::crypto
