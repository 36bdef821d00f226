// Key exchange: X25519 (RFC 7748), P-256 and P-384 (RFC 5903), and rejection
// of every malformed or invalid peer key share.
#include <gtest/gtest.h>

#include <deque>
#include <thread>
#include <vector>

#include "crypto/kex.h"

namespace rapidtls::crypto {
namespace {

const Error kBadKeyShare = {Alert::illegal_parameter, SSL_R_BAD_KEY_SHARE};

// A deterministic generator (splitmix64), so generated shares are reproducible.
class TestRandom final : public RandomSource {
 public:
  explicit TestRandom(uint64_t seed) : state_(seed) {}
  void fill(MutBytes out) override {
    for (uint8_t& b : out) {
      if (avail_ == 0) {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15u);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        word_ = z ^ (z >> 31);
        avail_ = 8;
      }
      b = static_cast<uint8_t>(word_);
      word_ >>= 8;
      --avail_;
    }
  }

 private:
  uint64_t state_;
  uint64_t word_ = 0;
  int avail_ = 0;
};

// Hands out the given byte strings, one per fill() call, then zeros.
class ScriptedRandom final : public RandomSource {
 public:
  explicit ScriptedRandom(std::deque<ByteVec> script) : script_(std::move(script)) {}
  void fill(MutBytes out) override {
    ++calls_;
    ByteVec next = script_.empty() ? ByteVec(out.size(), 0) : script_.front();
    if (!script_.empty()) script_.pop_front();
    next.resize(out.size(), 0);
    std::copy(next.begin(), next.end(), out.begin());
  }
  int calls() const { return calls_; }

 private:
  std::deque<ByteVec> script_;
  int calls_ = 0;
};

KeyShare from_private(NamedGroup g, std::string_view private_hex) {
  auto share = KeyShare::from_private(g, from_hex(private_hex));
  EXPECT_TRUE(share.ok());
  return std::move(share).value();
}

std::string derive_hex(const KeyShare& share, Bytes peer) {
  auto secret = share.derive(peer);
  EXPECT_TRUE(secret.ok());
  return secret.ok() ? to_hex(secret->bytes()) : "<error>";
}

void expect_bad_key_share(const KeyShare& share, Bytes peer) {
  auto secret = share.derive(peer);
  ASSERT_FALSE(secret.ok()) << to_hex(peer);
  EXPECT_EQ(secret.error(), kBadKeyShare) << to_hex(peer);
}

// --- Groups -----------------------------------------------------------------------

TEST(NamedGroup, SupportedGroupsAndNames) {
  EXPECT_TRUE(group_supported(NamedGroup::x25519));
  EXPECT_TRUE(group_supported(NamedGroup::secp256r1));
  EXPECT_TRUE(group_supported(NamedGroup::secp384r1));
  EXPECT_TRUE(group_supported(NamedGroup::secp521r1));
  EXPECT_FALSE(group_supported(NamedGroup::x448));
  EXPECT_STREQ(group_name(NamedGroup::x25519), "x25519");
  EXPECT_STREQ(group_name(NamedGroup::secp256r1), "secp256r1");
  EXPECT_STREQ(group_name(NamedGroup::secp384r1), "secp384r1");
}

TEST(KeyShare, UnsupportedGroupIsRejected) {
  TestRandom rng(1);
  EXPECT_FALSE(KeyShare::generate(NamedGroup::x448, rng).ok());
  EXPECT_FALSE(KeyShare::from_private(NamedGroup::secp521r1, ByteVec(48, 1)).ok())
      << "a P-521 scalar is 66 bytes";
}

// --- X25519 -------------------------------------------------------------------------

// RFC 7748 section 6.1.
constexpr std::string_view kAlicePrivate =
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr std::string_view kAlicePublic =
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr std::string_view kBobPrivate =
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
constexpr std::string_view kBobPublic =
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
constexpr std::string_view kAliceBobShared =
    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

TEST(X25519, Rfc7748_6_1_PublicKeys) {
  EXPECT_EQ(to_hex(from_private(NamedGroup::x25519, kAlicePrivate).public_key()), kAlicePublic);
  EXPECT_EQ(to_hex(from_private(NamedGroup::x25519, kBobPrivate).public_key()), kBobPublic);
}

TEST(X25519, Rfc7748_6_1_SharedSecret) {
  const KeyShare alice = from_private(NamedGroup::x25519, kAlicePrivate);
  const KeyShare bob = from_private(NamedGroup::x25519, kBobPrivate);
  EXPECT_EQ(derive_hex(alice, from_hex(kBobPublic)), kAliceBobShared);
  EXPECT_EQ(derive_hex(bob, from_hex(kAlicePublic)), kAliceBobShared);
}

TEST(X25519, Rfc8448_S3_ClientKeyShare) {
  // RFC 8448 3: {client} create an ephemeral x25519 key pair, and the ECDHE
  // shared secret with the server's key_share.
  const KeyShare client = from_private(
      NamedGroup::x25519, "49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005");
  EXPECT_EQ(to_hex(client.public_key()),
            "99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c");
  EXPECT_EQ(derive_hex(client, from_hex("c9828876112095fe66762bdbf7c672e1"
                                        "56d6cc253b833df1dd69b1b04e751f0f")),
            "8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d");
}

TEST(X25519, Rfc8448_S3_ServerKeyShare) {
  const KeyShare server = from_private(
      NamedGroup::x25519, "b1580eeadf6dd589b8ef4f2d5652578cc810e9980191ec8d058308cea216a21e");
  EXPECT_EQ(to_hex(server.public_key()),
            "c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f");
  EXPECT_EQ(derive_hex(server, from_hex("99381de560e4bd43d23d8e435a7dbafe"
                                        "b3c06e51c13cae4d5413691e529aaf2c")),
            "8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d");
}

TEST(X25519, GenerateDrawsThePrivateKeyFromTheSource) {
  TestRandom rng_a(7), rng_b(7);
  ByteVec priv(32);
  rng_b.fill(priv);
  auto generated = KeyShare::generate(NamedGroup::x25519, rng_a);
  auto known = KeyShare::from_private(NamedGroup::x25519, priv);
  ASSERT_TRUE(generated.ok() && known.ok());
  EXPECT_EQ(to_hex(generated->public_key()), to_hex(known->public_key()));
  EXPECT_EQ(generated->group(), NamedGroup::x25519);
}

TEST(X25519, GeneratedSharesAgree) {
  TestRandom rng(11);
  auto a = KeyShare::generate(NamedGroup::x25519, rng);
  auto b = KeyShare::generate(NamedGroup::x25519, rng);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(to_hex(a->public_key()), to_hex(b->public_key()));
  const std::string ab = derive_hex(*a, b->public_key());
  EXPECT_EQ(ab, derive_hex(*b, a->public_key()));
  EXPECT_EQ(ab.size(), 64u);
}

// X25519 keys are imported through one libcrypto context per thread: keys
// made on several threads at once, private and public imports interleaved,
// must each come out as RFC 7748 6.1 says.
TEST(X25519, Rfc7748_6_1_OnSeveralThreadsAtOnce) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 20;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&wrong, t] {
      for (int i = 0; i < kRounds; ++i) {
        auto alice = KeyShare::from_private(NamedGroup::x25519, from_hex(kAlicePrivate));
        auto bob = KeyShare::from_private(NamedGroup::x25519, from_hex(kBobPrivate));
        if (!alice.ok() || !bob.ok() || to_hex(alice->public_key()) != kAlicePublic ||
            to_hex(bob->public_key()) != kBobPublic) {
          ++wrong[t];
          continue;
        }
        auto shared = alice->derive(from_hex(kBobPublic));
        if (!shared.ok() || to_hex(shared->bytes()) != kAliceBobShared) ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

TEST(X25519, WrongLengthPeerKeyIsRejected) {
  const KeyShare alice = from_private(NamedGroup::x25519, kAlicePrivate);
  ByteVec bob = from_hex(kBobPublic);
  expect_bad_key_share(alice, Bytes(bob).first(31));
  bob.push_back(0);
  expect_bad_key_share(alice, bob);
  expect_bad_key_share(alice, {});
}

TEST(X25519, LowOrderPeerPointsGiveAllZeroAndAreRejected) {
  // RFC 7748 6.1: "implementations MAY check for an all-zero output". These
  // u-coordinates (0, 1, the two points of order 8, and p-1, p, p+1) all
  // produce the all-zero shared secret.
  const KeyShare alice = from_private(NamedGroup::x25519, kAlicePrivate);
  for (std::string_view u : {
           "0000000000000000000000000000000000000000000000000000000000000000",
           "0100000000000000000000000000000000000000000000000000000000000000",
           "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
           "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
           "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
           "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
           "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
       }) {
    expect_bad_key_share(alice, from_hex(u));
  }
}

TEST(X25519, WrongPrivateKeyLengthIsInternalError) {
  auto share = KeyShare::from_private(NamedGroup::x25519, ByteVec(31, 1));
  ASSERT_FALSE(share.ok());
  EXPECT_EQ(share.error(), internal_error());
}

// --- NIST curves (RFC 5903 section 8) -----------------------------------------------

struct EcVector {
  NamedGroup group;
  std::string_view i, gi, r, gr, gir_x;
};

// RFC 5903 8.1, 256-bit random ECP group. gi and gr are 04 || x || y.
constexpr EcVector kP256 = {
    NamedGroup::secp256r1,
    "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
    "04dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
    "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
    "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53",
    "04d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63"
    "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
    "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de",
};

// RFC 5903 8.2, 384-bit random ECP group.
constexpr EcVector kP384 = {
    NamedGroup::secp384r1,
    "099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655"
    "e35b538041e649ee3faef896783ab194",
    "04667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6"
    "de3ac808acb4bdb4c88732aee95f41aa9482ed1fc0eeb9cafc4984625ccfc23f65"
    "032149e0e144ada024181535a0f38eeb9fcff3c2c947dae69b4c634573a81c",
    "41cb0779b4bdb85d47846725fbec3c9430fab46cc8dc5060855cc9bda0aa2942"
    "e0308312916b8ed2960e4bd55a7448fc",
    "04e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d"
    "0d1ac43a0336def96fda41d0774a3571dcfbec7aacf3196472169e838430367f66"
    "eebe3c6e70c416dd5f0c68759dd1fff83fa40142209dff5eaad96db9e6386c",
    "11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4"
    "d603135569b9e9d09cf5d4a270f59746",
};

class NistCurve : public ::testing::TestWithParam<EcVector> {};

TEST_P(NistCurve, Rfc5903_PublicKeysFromPrivate) {
  const EcVector& v = GetParam();
  EXPECT_EQ(to_hex(from_private(v.group, v.i).public_key()), v.gi);
  EXPECT_EQ(to_hex(from_private(v.group, v.r).public_key()), v.gr);
}

TEST_P(NistCurve, Rfc5903_SharedSecretBothWays) {
  const EcVector& v = GetParam();
  const KeyShare initiator = from_private(v.group, v.i);
  const KeyShare responder = from_private(v.group, v.r);
  EXPECT_EQ(derive_hex(initiator, from_hex(v.gr)), v.gir_x);
  EXPECT_EQ(derive_hex(responder, from_hex(v.gi)), v.gir_x);
}

TEST_P(NistCurve, GeneratedSharesAgree) {
  const EcVector& v = GetParam();
  TestRandom rng(42);
  auto a = KeyShare::generate(v.group, rng);
  auto b = KeyShare::generate(v.group, rng);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->group(), v.group);
  EXPECT_EQ(a->public_key().size(), from_hex(v.gi).size());
  EXPECT_EQ(a->public_key()[0], 0x04);
  auto ab = a->derive(b->public_key());
  auto ba = b->derive(a->public_key());
  ASSERT_TRUE(ab.ok() && ba.ok());
  EXPECT_EQ(to_hex(ab->bytes()), to_hex(ba->bytes()));
  // The shared secret is the x-coordinate: 32 bytes for P-256, 48 for P-384.
  EXPECT_EQ(ab->size(), from_hex(v.gir_x).size());
}

TEST_P(NistCurve, GenerationIsDeterministicForASource) {
  const EcVector& v = GetParam();
  TestRandom rng_a(5), rng_b(5);
  auto a = KeyShare::generate(v.group, rng_a);
  auto b = KeyShare::generate(v.group, rng_b);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(to_hex(a->public_key()), to_hex(b->public_key()));
}

TEST_P(NistCurve, GenerateRejectsScalarsOutsideTheGroupOrder) {
  // A draw of all 0xff bytes is >= the order and zero is not a valid scalar:
  // both are redrawn, and the third draw (RFC 5903's i) is used.
  const EcVector& v = GetParam();
  const ByteVec i = from_hex(v.i);
  ScriptedRandom rng({ByteVec(i.size(), 0xff), ByteVec(i.size(), 0x00), i});
  auto share = KeyShare::generate(v.group, rng);
  ASSERT_TRUE(share.ok());
  EXPECT_EQ(rng.calls(), 3);
  EXPECT_EQ(to_hex(share->public_key()), v.gi);
}

TEST_P(NistCurve, GenerateGivesUpOnABrokenSource) {
  ScriptedRandom zeros({});  // only ever zero scalars
  auto share = KeyShare::generate(GetParam().group, zeros);
  ASSERT_FALSE(share.ok());
  EXPECT_EQ(share.error(), internal_error());
}

TEST_P(NistCurve, FromPrivateRejectsBadScalars) {
  const EcVector& v = GetParam();
  const size_t n = from_hex(v.i).size();
  EXPECT_FALSE(KeyShare::from_private(v.group, ByteVec(n, 0)).ok());
  EXPECT_FALSE(KeyShare::from_private(v.group, ByteVec(n, 0xff)).ok());
  EXPECT_FALSE(KeyShare::from_private(v.group, ByteVec(n - 1, 1)).ok());
}

TEST_P(NistCurve, WrongLengthPeerKeyIsRejected) {
  const EcVector& v = GetParam();
  const KeyShare share = from_private(v.group, v.i);
  const ByteVec gr = from_hex(v.gr);
  expect_bad_key_share(share, Bytes(gr).first(gr.size() - 1));
  ByteVec longer = gr;
  longer.push_back(0);
  expect_bad_key_share(share, longer);
  expect_bad_key_share(share, {});
  // The point at infinity's one-byte encoding.
  expect_bad_key_share(share, ByteVec{0x00});
}

TEST_P(NistCurve, CompressedOrHybridPointIsRejected) {
  // RFC 8446 4.2.8.2: only the uncompressed form is allowed.
  const EcVector& v = GetParam();
  const KeyShare share = from_private(v.group, v.i);
  const ByteVec gr = from_hex(v.gr);
  const size_t coord = (gr.size() - 1) / 2;
  ByteVec compressed(gr.begin(), gr.begin() + 1 + coord);
  compressed[0] = (gr.back() & 1) ? 0x03 : 0x02;
  expect_bad_key_share(share, compressed);
  ByteVec hybrid = gr;
  hybrid[0] = (gr.back() & 1) ? 0x07 : 0x06;
  expect_bad_key_share(share, hybrid);
  ByteVec full_length_compressed_prefix = gr;
  full_length_compressed_prefix[0] = 0x02;
  expect_bad_key_share(share, full_length_compressed_prefix);
}

TEST_P(NistCurve, PointNotOnTheCurveIsRejected) {
  const EcVector& v = GetParam();
  const KeyShare share = from_private(v.group, v.i);
  ByteVec off_curve = from_hex(v.gr);
  off_curve.back() ^= 0x01;  // y changed: (x, y') is not on the curve
  expect_bad_key_share(share, off_curve);
  // Coordinates that are not field elements at all.
  ByteVec all_ff(off_curve.size(), 0xff);
  all_ff[0] = 0x04;
  expect_bad_key_share(share, all_ff);
  // (0, 0) is not on either curve (b != 0).
  ByteVec zeros(off_curve.size(), 0x00);
  zeros[0] = 0x04;
  expect_bad_key_share(share, zeros);
}

TEST_P(NistCurve, OtherCurvesPointIsRejected) {
  const EcVector& v = GetParam();
  const KeyShare share = from_private(v.group, v.i);
  const EcVector& other = v.group == NamedGroup::secp256r1 ? kP384 : kP256;
  expect_bad_key_share(share, from_hex(other.gr));
}

INSTANTIATE_TEST_SUITE_P(Rfc5903, NistCurve, ::testing::Values(kP256, kP384),
                         [](const ::testing::TestParamInfo<EcVector>& p) -> std::string {
                           return p.param.group == NamedGroup::secp256r1 ? "P256" : "P384";
                         });

}  // namespace
}  // namespace rapidtls::crypto
