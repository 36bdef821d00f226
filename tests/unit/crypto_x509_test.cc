// Certificate parsing and chain verification against the CA, leaves and bad
// certificates in tests/data (made as tests/data/README.md records). Every
// verification passes an explicit time, so the results do not depend on the
// date the suite runs.
#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <ctime>

#include "crypto/x509.h"

namespace rapidtls::crypto {
namespace {

constexpr int64_t kNow = 1893456000;  // 2030-01-01T00:00:00Z: inside the 100-year validities
constexpr int64_t kBeforeIssue = 1700000000;  // 2023-11-14, before any test certificate

std::string data_path(const std::string& name) {
  return std::string(RAPIDTLS_TEST_DATA) + "/" + name;
}

std::vector<Certificate> load_chain(const std::string& name) {
  auto chain = Certificate::chain_from_pem_file(data_path(name));
  EXPECT_TRUE(chain.ok()) << name;
  return chain.ok() ? std::move(chain).value() : std::vector<Certificate>{};
}

TrustStore test_ca_store() {
  TrustStore store;
  EXPECT_TRUE(store.add_pem_file(data_path("ca.pem")).ok());
  return store;
}

int64_t not_before(const Certificate& cert) {
  std::tm tm{};
  EXPECT_EQ(ASN1_TIME_to_tm(X509_get0_notBefore(cert.raw()), &tm), 1);
  return static_cast<int64_t>(timegm(&tm));
}

void expect_failure(const TrustStore::Outcome& outcome, Alert alert, long code) {
  ASSERT_FALSE(outcome.status.ok());
  EXPECT_EQ(outcome.status.error(), (Error{alert, SSL_R_CERTIFICATE_VERIFY_FAILED}))
      << alert_name(outcome.status.error().alert);
  EXPECT_EQ(outcome.verify_result, code) << X509_verify_cert_error_string(outcome.verify_result);
}

void expect_ok(const TrustStore::Outcome& outcome) {
  EXPECT_TRUE(outcome.status.ok()) << X509_verify_cert_error_string(outcome.verify_result);
  EXPECT_EQ(outcome.verify_result, X509_V_OK);
}

// --- Certificate --------------------------------------------------------------------

TEST(Certificate, DerRoundTrip) {
  const Certificate leaf = load_chain("leaf.pem").at(0);
  ASSERT_FALSE(leaf.der().empty());
  auto parsed = Certificate::from_der(leaf.der());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(ByteVec(parsed->der().begin(), parsed->der().end()),
            ByteVec(leaf.der().begin(), leaf.der().end()));
  EXPECT_EQ(X509_cmp(parsed->raw(), leaf.raw()), 0);
}

TEST(Certificate, TrailingBytesAreRejected) {
  const Certificate leaf = load_chain("leaf.pem").at(0);
  ByteVec der(leaf.der().begin(), leaf.der().end());
  der.push_back(0);
  auto parsed = Certificate::from_der(der);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error(), (Error{Alert::decode_error, SSL_R_CERT_LENGTH_MISMATCH}));
}

TEST(Certificate, MalformedDerIsDecodeError) {
  const Certificate leaf = load_chain("leaf.pem").at(0);
  const Bytes truncated = leaf.der().first(leaf.der().size() - 1);
  for (Bytes bad : {truncated, Bytes(), as_bytes("not a certificate")}) {
    auto parsed = Certificate::from_der(bad);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().alert, Alert::decode_error);
  }
}

TEST(Certificate, SubjectIsRfc2253) {
  // RFC 2253 lists the most specific RDN first.
  EXPECT_EQ(load_chain("leaf.pem").at(0).subject(), "CN=localhost,O=rapidtls test");
  EXPECT_EQ(load_chain("ca.pem").at(0).subject(), "CN=rapidtls test CA,O=rapidtls test");
}

TEST(Certificate, ChainFromPemKeepsOrder) {
  const auto chain = load_chain("leaf2_chain.pem");
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[0].subject(), "CN=via intermediate,O=rapidtls test");
  EXPECT_EQ(chain[1].subject(), "CN=rapidtls test intermediate,O=rapidtls test");
}

TEST(Certificate, ChainFromPemInMemory) {
  const std::string pem = std::string("junk before the first block\n") + [] {
    FILE* f = fopen(data_path("leaf.pem").c_str(), "rb");
    std::string s;
    char buf[4096];
    size_t n;
    while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0) s.append(buf, n);
    if (f) fclose(f);
    return s;
  }();
  auto chain = Certificate::chain_from_pem(as_bytes(pem));
  ASSERT_TRUE(chain.ok());
  ASSERT_EQ(chain->size(), 1u);
  EXPECT_EQ(chain->at(0).subject(), "CN=localhost,O=rapidtls test");
}

TEST(Certificate, ChainFromPemRejectsEmptyAndCorruptInput) {
  EXPECT_FALSE(Certificate::chain_from_pem({}).ok());
  EXPECT_FALSE(Certificate::chain_from_pem(as_bytes("no PEM here")).ok());
  const std::string corrupt = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  EXPECT_FALSE(Certificate::chain_from_pem(as_bytes(corrupt)).ok());
  EXPECT_FALSE(Certificate::chain_from_pem_file(data_path("does-not-exist.pem")).ok());
}

TEST(Certificate, CopiesShareTheCertificate) {
  const Certificate leaf = load_chain("leaf.pem").at(0);
  Certificate copy = leaf;
  EXPECT_EQ(copy.raw(), leaf.raw());
  EXPECT_EQ(copy.subject(), leaf.subject());
  Certificate assigned = load_chain("ca.pem").at(0);
  assigned = leaf;
  EXPECT_EQ(assigned.raw(), leaf.raw());
  EXPECT_EQ(ByteVec(assigned.der().begin(), assigned.der().end()),
            ByteVec(leaf.der().begin(), leaf.der().end()));
}

TEST(Certificate, FromX509TakesAReference) {
  const Certificate leaf = load_chain("leaf.pem").at(0);
  const Certificate wrapped = Certificate::from_x509(leaf.raw());
  EXPECT_EQ(wrapped.raw(), leaf.raw());
  EXPECT_EQ(ByteVec(wrapped.der().begin(), wrapped.der().end()),
            ByteVec(leaf.der().begin(), leaf.der().end()));
}

// --- TrustStore::verify ---------------------------------------------------------------

TEST(TrustStore, LeafForLocalhostVerifies) {
  const TrustStore store = test_ca_store();
  expect_ok(store.verify(load_chain("leaf.pem"), "localhost", Purpose::server, kNow));
  // No host given: only the chain is checked.
  expect_ok(store.verify(load_chain("leaf.pem"), "", Purpose::server, kNow));
}

TEST(TrustStore, HostMismatchIsBadCertificate) {
  const TrustStore store = test_ca_store();
  expect_failure(store.verify(load_chain("leaf.pem"), "example.com", Purpose::server, kNow),
                 Alert::bad_certificate, X509_V_ERR_HOSTNAME_MISMATCH);
  expect_failure(store.verify(load_chain("leaf.pem"), "sub.localhost", Purpose::server, kNow),
                 Alert::bad_certificate, X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST(TrustStore, IpLiteralIsMatchedAgainstIpAddressSan) {
  const TrustStore store = test_ca_store();
  expect_ok(store.verify(load_chain("leaf.pem"), "127.0.0.1", Purpose::server, kNow));
  expect_failure(store.verify(load_chain("leaf.pem"), "127.0.0.2", Purpose::server, kNow),
                 Alert::bad_certificate, X509_V_ERR_IP_ADDRESS_MISMATCH);
  expect_failure(store.verify(load_chain("leaf.pem"), "::1", Purpose::server, kNow),
                 Alert::bad_certificate, X509_V_ERR_IP_ADDRESS_MISMATCH);
}

TEST(TrustStore, UnknownCaIsUnknownCa) {
  const TrustStore store = test_ca_store();
  expect_failure(store.verify(load_chain("unknown_leaf.pem"), "localhost", Purpose::server, kNow),
                 Alert::unknown_ca, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  // Sending the unknown root along does not help: it is not a trust anchor.
  std::vector<Certificate> with_root = load_chain("unknown_leaf.pem");
  with_root.push_back(load_chain("unknown_ca.pem").at(0));
  expect_failure(store.verify(with_root, "localhost", Purpose::server, kNow), Alert::unknown_ca,
                 X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
}

TEST(TrustStore, UntrustedSelfSignedLeafIsUnknownCa) {
  const TrustStore store = test_ca_store();
  expect_failure(store.verify(load_chain("unknown_ca.pem"), "", Purpose::server, kNow),
                 Alert::unknown_ca, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
}

TEST(TrustStore, EmptyStoreTrustsNothing) {
  const TrustStore empty;
  expect_failure(empty.verify(load_chain("leaf.pem"), "localhost", Purpose::server, kNow),
                 Alert::unknown_ca, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST(TrustStore, ExpiredIsCertificateExpired) {
  const TrustStore store = test_ca_store();
  const auto expired = load_chain("expired.pem");
  expect_failure(store.verify(expired, "localhost", Purpose::server, kNow),
                 Alert::certificate_expired, X509_V_ERR_CERT_HAS_EXPIRED);
  // The same certificate verifies within its one day of validity.
  expect_ok(store.verify(expired, "localhost", Purpose::server, not_before(expired[0]) + 3600));
}

TEST(TrustStore, NotYetValidIsBadCertificate) {
  const TrustStore store = test_ca_store();
  expect_failure(store.verify(load_chain("leaf.pem"), "localhost", Purpose::server, kBeforeIssue),
                 Alert::bad_certificate, X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST(TrustStore, IntermediateFromTheChainIsUsed) {
  const TrustStore store = test_ca_store();
  expect_ok(store.verify(load_chain("leaf2_chain.pem"), "localhost", Purpose::server, kNow));
  // Without the intermediate the leaf's issuer is unknown.
  expect_failure(store.verify(load_chain("leaf2.pem"), "localhost", Purpose::server, kNow),
                 Alert::unknown_ca, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST(TrustStore, DepthLimitCountsIntermediates) {
  const TrustStore store = test_ca_store();
  const auto chain = load_chain("leaf2_chain.pem");
  expect_ok(store.verify(chain, "localhost", Purpose::server, kNow, /*depth_limit=*/1));
  expect_failure(store.verify(chain, "localhost", Purpose::server, kNow, /*depth_limit=*/0),
                 Alert::unknown_ca, X509_V_ERR_CERT_CHAIN_TOO_LONG);  // as libssl
}

TEST(TrustStore, PurposeIsChecked) {
  // The leaf's extendedKeyUsage is serverAuth only: as a client certificate
  // it is the wrong kind (libssl sends unsupported_certificate for this).
  const TrustStore store = test_ca_store();
  expect_failure(store.verify(load_chain("leaf.pem"), "", Purpose::client, kNow),
                 Alert::unsupported_certificate, X509_V_ERR_INVALID_PURPOSE);
}

TEST(TrustStore, EmptyChainIsBadCertificate) {
  const TrustStore store = test_ca_store();
  expect_failure(store.verify({}, "localhost", Purpose::server, kNow), Alert::bad_certificate,
                 X509_V_ERR_UNSPECIFIED);
}

TEST(TrustStore, AddCertificateWorksLikeAddPemFile) {
  TrustStore store;
  ASSERT_TRUE(store.add_certificate(load_chain("ca.pem").at(0)).ok());
  expect_ok(store.verify(load_chain("leaf.pem"), "localhost", Purpose::server, kNow));
}

TEST(TrustStore, MissingFileIsAnError) {
  TrustStore store;
  EXPECT_FALSE(store.add_pem_file(data_path("does-not-exist.pem")).ok());
  EXPECT_TRUE(store.use_default_paths().ok());
}

}  // namespace
}  // namespace rapidtls::crypto

namespace rapidtls::crypto {
namespace {

// The cache hands out the same parsed X509 for the same DER bytes, a new one
// for other bytes, and forgets the least recently used beyond its capacity.
TEST(CertificateCache, SameBytesShareOneParsedCertificate) {
  auto chain = Certificate::chain_from_pem_file(std::string(RAPIDTLS_TEST_DATA) + "/leaf.pem");
  ASSERT_TRUE(chain.ok());
  const ByteVec der((*chain)[0].der().begin(), (*chain)[0].der().end());
  CertificateCache cache(2);
  auto a = cache.parse(der);
  auto b = cache.parse(der);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->raw(), b->raw()) << "a hit returns another reference to the same X509";
  EXPECT_EQ(cache.size(), 1u);
}

TEST(CertificateCache, EvictsLeastRecentlyUsedAndRejectsBadDer) {
  std::vector<ByteVec> ders;
  for (const char* f : {"/leaf.pem", "/ca.pem", "/expired.pem"}) {
    auto chain = Certificate::chain_from_pem_file(std::string(RAPIDTLS_TEST_DATA) + f);
    ASSERT_TRUE(chain.ok()) << f;
    ders.emplace_back((*chain)[0].der().begin(), (*chain)[0].der().end());
  }
  CertificateCache cache(2);
  auto first = cache.parse(ders[0]);
  ASSERT_TRUE(cache.parse(ders[1]).ok());
  ASSERT_TRUE(cache.parse(ders[2]).ok());  // evicts ders[0]
  EXPECT_EQ(cache.size(), 2u);
  auto again = cache.parse(ders[0]);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(first->raw(), again->raw()) << "evicted, so parsed anew";
  ByteVec broken = ders[1];
  broken[0] ^= 0xff;
  auto bad = cache.parse(broken);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().alert, Alert::decode_error);
}

}  // namespace
}  // namespace rapidtls::crypto
