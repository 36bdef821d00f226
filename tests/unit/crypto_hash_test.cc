// Hashes, HMAC, HKDF and the TLS 1.3 key schedule against published vectors.
#include <gtest/gtest.h>

#include "handshake/key_schedule.h"

#include "crypto/hash.h"

namespace rapidtls::crypto {
namespace {

std::string hex(const Result<Secret>& r) {
  EXPECT_TRUE(r.ok());
  return r.ok() ? to_hex(r->bytes()) : std::string("<error>");
}

// --- SHA-2 (FIPS 180-2 appendix examples) -----------------------------------

TEST(Hash, Sha256Abc) {
  EXPECT_EQ(hex(hash(HashAlg::sha256, as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hash, Sha384Abc) {
  EXPECT_EQ(hex(hash(HashAlg::sha384, as_bytes("abc"))),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
}

TEST(Hash, Sha256OfEmptyInput) {
  // The "derived" context of RFC 8446 7.1 (also printed in RFC 8448 3).
  EXPECT_EQ(hex(hash(HashAlg::sha256, {})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Hash, RunningHashMatchesOneShotAndKeepsState) {
  auto h = Hash::create(HashAlg::sha256);
  ASSERT_TRUE(h.ok());
  h->update(as_bytes("a"));
  h->update(as_bytes("bc"));
  EXPECT_EQ(hex(h->current()), hex(hash(HashAlg::sha256, as_bytes("abc"))));
  // current() does not finish the hash: more input can follow.
  h->update(as_bytes("def"));
  EXPECT_EQ(hex(h->current()), hex(hash(HashAlg::sha256, as_bytes("abcdef"))));
}

TEST(Hash, CopyForksTheState) {
  auto h = Hash::create(HashAlg::sha384);
  ASSERT_TRUE(h.ok());
  h->update(as_bytes("ab"));
  Hash fork = *h;
  h->update(as_bytes("c"));
  fork.update(as_bytes("x"));
  EXPECT_EQ(hex(h->current()), hex(hash(HashAlg::sha384, as_bytes("abc"))));
  EXPECT_EQ(hex(fork.current()), hex(hash(HashAlg::sha384, as_bytes("abx"))));
  EXPECT_EQ(fork.alg(), HashAlg::sha384);
}

TEST(Hash, CopyAssignmentReplacesState) {
  auto a = Hash::create(HashAlg::sha256);
  auto b = Hash::create(HashAlg::sha384);
  ASSERT_TRUE(a.ok() && b.ok());
  a->update(as_bytes("abc"));
  *b = *a;
  EXPECT_EQ(b->alg(), HashAlg::sha256);
  EXPECT_EQ(hex(b->current()), hex(hash(HashAlg::sha256, as_bytes("abc"))));
}

// --- HMAC (RFC 4231 4.3, test case 2) ----------------------------------------

TEST(Hmac, Rfc4231_Case2_Sha256) {
  EXPECT_EQ(hex(hmac(HashAlg::sha256, as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hmac, Rfc4231_Case2_Sha384) {
  EXPECT_EQ(hex(hmac(HashAlg::sha384, as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))),
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
            "8e2240ca5e69e2c78b3239ecfab21649");
}

TEST(Hmac, EmptyKeyIsAllowed) {
  // HMAC with an empty key equals HMAC with a block of zeros (RFC 2104 2).
  const ByteVec zeros(64, 0);
  EXPECT_EQ(hex(hmac(HashAlg::sha256, {}, as_bytes("x"))),
            hex(hmac(HashAlg::sha256, zeros, as_bytes("x"))));
}

// --- HKDF (RFC 5869 appendix A.1-A.3, SHA-256) ---------------------------------

TEST(Hkdf, Rfc5869_Case1) {
  const ByteVec ikm = from_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
  const ByteVec salt = from_hex("000102030405060708090a0b0c");
  const ByteVec info = from_hex("f0f1f2f3f4f5f6f7f8f9");
  auto prk = hkdf_extract(HashAlg::sha256, salt, ikm);
  EXPECT_EQ(hex(prk), "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  ASSERT_TRUE(prk.ok());
  EXPECT_EQ(hex(hkdf_expand(HashAlg::sha256, prk->bytes(), info, 42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
            "34007208d5b887185865");
}

// RFC 5869 A.2 (test case 2, SHA-256, longer inputs): the inputs.
struct Rfc5869Case2 {
  ByteVec ikm = from_hex(
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
      "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
      "404142434445464748494a4b4c4d4e4f");
  ByteVec salt = from_hex(
      "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
      "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
      "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
  ByteVec info = from_hex(
      "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
      "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
      "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
};

TEST(Hkdf, Rfc5869_Case2) {
  const Rfc5869Case2 c2;
  auto prk = hkdf_extract(HashAlg::sha256, c2.salt, c2.ikm);
  EXPECT_EQ(hex(prk), "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244");
  ASSERT_TRUE(prk.ok());
  // The RFC asks for L = 82; a Secret holds at most 64 bytes. HKDF output is a
  // prefix-stable stream (T(1) || T(2) || ...), so the first 64 bytes of the
  // RFC's OKM are exactly the L = 64 output. This also covers T(2) and T(3)
  // feeding the previous block back in.
  EXPECT_EQ(hex(hkdf_expand(HashAlg::sha256, prk->bytes(), c2.info, 64)),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71");
  // The whole L = 82 into a caller's buffer (the exporter's output is not a Secret).
  ByteVec okm(82);
  ASSERT_TRUE(hkdf_expand_into(HashAlg::sha256, prk->bytes(), c2.info, MutBytes(okm)).ok());
  EXPECT_EQ(to_hex(okm),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

TEST(Hkdf, ExpandIntoStopsAt255Blocks) {
  const ByteVec prk(32, 7);
  ByteVec most(255 * 32);
  EXPECT_TRUE(hkdf_expand_into(HashAlg::sha256, prk, {}, MutBytes(most)).ok());
  ByteVec over(255 * 32 + 1);
  EXPECT_FALSE(hkdf_expand_into(HashAlg::sha256, prk, {}, MutBytes(over)).ok())
      << "RFC 5869 2.3: L <= 255 * HashLen";
}

TEST(Hkdf, Rfc5869_Case3) {
  const ByteVec ikm = from_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
  // Zero-length salt (treated as HashLen zeros) and zero-length info.
  auto prk = hkdf_extract(HashAlg::sha256, {}, ikm);
  EXPECT_EQ(hex(prk), "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
  ASSERT_TRUE(prk.ok());
  EXPECT_EQ(hex(hkdf_expand(HashAlg::sha256, prk->bytes(), {}, 42)),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
            "9d201395faa4b61a96c8");
}

TEST(Hkdf, ExpandRejectsLengthAboveSecretCapacity) {
  const ByteVec prk(32, 1);
  auto r = hkdf_expand(HashAlg::sha256, prk, {}, Secret::kMaxSize + 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), internal_error());
}

TEST(Hkdf, ExpandLabelRejectsOverlongLabel) {
  const ByteVec prk(32, 1);
  // "tls13 " + label must fit in 255 bytes (RFC 8446 7.1, label<7..255>).
  const std::string label(250, 'a');
  EXPECT_FALSE(hkdf_expand_label(HashAlg::sha256, prk, label, {}, 32).ok());
  EXPECT_TRUE(hkdf_expand_label(HashAlg::sha256, prk, std::string(249, 'a'), {}, 32).ok());
}

// --- TLS 1.3 key schedule: RFC 8448 section 3 (Simple 1-RTT Handshake) ----------

constexpr std::string_view kEarlySecret =
    "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a";
constexpr std::string_view kHandshakeSecret =
    "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac";
// Transcript-Hash(ClientHello, ServerHello).
constexpr std::string_view kHelloHash =
    "860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8";
constexpr std::string_view kServerHsTraffic =
    "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38";
constexpr std::string_view kClientHsTraffic =
    "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21";

TEST(KeySchedule, Rfc8448_S3_EarlySecret) {
  // {server} extract secret "early": salt 0, IKM 32 zero octets (no PSK).
  const ByteVec zeros(32, 0);
  EXPECT_EQ(hex(hkdf_extract(HashAlg::sha256, {}, zeros)), kEarlySecret);
}

TEST(KeySchedule, Rfc8448_S3_DerivedForHandshake) {
  // {server} derive secret for handshake "tls13 derived": Derive-Secret with
  // the hash of the empty transcript.
  auto empty_hash = hash(HashAlg::sha256, {});
  ASSERT_TRUE(empty_hash.ok());
  EXPECT_EQ(hex(hkdf_expand_label(HashAlg::sha256, from_hex(kEarlySecret), "derived",
                                  empty_hash->bytes(), 32)),
            "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba");
}

TEST(KeySchedule, Rfc8448_S3_HandshakeSecret) {
  // {server} extract secret "handshake": salt = the derived secret above, IKM
  // = the x25519 shared secret.
  const ByteVec derived =
      from_hex("6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba");
  const ByteVec ecdhe =
      from_hex("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d");
  EXPECT_EQ(hex(hkdf_extract(HashAlg::sha256, derived, ecdhe)), kHandshakeSecret);
}

// The schedule object itself, with its per-process constants for the no-PSK
// case (the Early Secret and the salt derived from it), and with a PSK.
TEST(KeySchedule, Rfc8448_S3_ScheduleWithoutPskUsesTheConstants) {
  for (int round = 0; round < 2; ++round) {  // the second round reads the cached constants
    handshake::KeySchedule ks(HashAlg::sha256);
    ASSERT_TRUE(ks.init_early({}).ok());
    EXPECT_EQ(to_hex(ks.early_secret().bytes()), kEarlySecret);
    ASSERT_TRUE(ks.derive_handshake(
                      from_hex("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d"))
                    .ok());
    EXPECT_EQ(to_hex(ks.handshake_secret().bytes()), kHandshakeSecret);
  }
}

TEST(KeySchedule, WithAPskTheEarlySecretIsComputed) {
  const ByteVec psk(32, 0x42);
  handshake::KeySchedule ks(HashAlg::sha256);
  ASSERT_TRUE(ks.init_early(psk).ok());
  EXPECT_EQ(to_hex(ks.early_secret().bytes()), hex(hkdf_extract(HashAlg::sha256, {}, psk)));
  EXPECT_NE(to_hex(ks.early_secret().bytes()), kEarlySecret);
  const ByteVec ecdhe(32, 7);
  ASSERT_TRUE(ks.derive_handshake(ecdhe).ok());
  auto empty_hash = hash(HashAlg::sha256, {});
  ASSERT_TRUE(empty_hash.ok());
  auto salt = hkdf_expand_label(HashAlg::sha256, ks.early_secret().bytes(), "derived",
                                empty_hash->bytes(), 32);
  ASSERT_TRUE(salt.ok());
  EXPECT_EQ(to_hex(ks.handshake_secret().bytes()),
            hex(hkdf_extract(HashAlg::sha256, salt->bytes(), ecdhe)));
}

TEST(KeySchedule, Rfc8448_S3_ClientHandshakeTrafficSecret) {
  EXPECT_EQ(hex(hkdf_expand_label(HashAlg::sha256, from_hex(kHandshakeSecret), "c hs traffic",
                                  from_hex(kHelloHash), 32)),
            kClientHsTraffic);
}

TEST(KeySchedule, Rfc8448_S3_ServerHandshakeTrafficSecret) {
  EXPECT_EQ(hex(hkdf_expand_label(HashAlg::sha256, from_hex(kHandshakeSecret), "s hs traffic",
                                  from_hex(kHelloHash), 32)),
            kServerHsTraffic);
}

TEST(KeySchedule, Rfc8448_S3_ServerHandshakeKeyAndIv) {
  // {server} derive write traffic keys for handshake data (RFC 8446 7.3).
  const ByteVec secret = from_hex(kServerHsTraffic);
  EXPECT_EQ(hex(hkdf_expand_label(HashAlg::sha256, secret, "key", {}, 16)),
            "3fce516009c21727d0f2e4e86ee403bc");
  EXPECT_EQ(hex(hkdf_expand_label(HashAlg::sha256, secret, "iv", {}, 12)),
            "5d313eb2671276ee13000b30");
}

TEST(KeySchedule, Rfc8448_S3_ClientHandshakeKeyAndIv) {
  const ByteVec secret = from_hex(kClientHsTraffic);
  EXPECT_EQ(hex(hkdf_expand_label(HashAlg::sha256, secret, "key", {}, 16)),
            "dbfaa693d1762c5b666af5d950258d01");
  EXPECT_EQ(hex(hkdf_expand_label(HashAlg::sha256, secret, "iv", {}, 12)),
            "5bd3c71b836e0b76bb73265f");
}

TEST(KeySchedule, Rfc8448_S3_MasterSecret) {
  // {server} derive secret for master "tls13 derived", then extract "master"
  // with 32 zero octets as IKM.
  auto empty_hash = hash(HashAlg::sha256, {});
  ASSERT_TRUE(empty_hash.ok());
  auto derived = hkdf_expand_label(HashAlg::sha256, from_hex(kHandshakeSecret), "derived",
                                   empty_hash->bytes(), 32);
  EXPECT_EQ(hex(derived), "43de77e0c77713859a944db9db2590b53190a65b3ee2e4f12dd7a0bb7ce254b4");
  ASSERT_TRUE(derived.ok());
  const ByteVec zeros(32, 0);
  EXPECT_EQ(hex(hkdf_extract(HashAlg::sha256, derived->bytes(), zeros)),
            "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919");
}

// --- HmacKey: one keyed libcrypto context restarted for each MAC ----------------

TEST(HmacKey, Rfc4231_Case2_EveryReuseGivesTheVector) {
  // The context is keyed once; each mac() restarts it from that key, so the
  // third MAC must equal the first and the RFC's (and the one-shot hmac()).
  auto k256 = HmacKey::create(HashAlg::sha256, as_bytes("Jefe"));
  auto k384 = HmacKey::create(HashAlg::sha384, as_bytes("Jefe"));
  ASSERT_TRUE(k256.ok());
  ASSERT_TRUE(k384.ok());
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(hex(k256->mac(as_bytes("what do ya want for nothing?"))),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    EXPECT_EQ(hex(k384->mac(as_bytes("what do ya want for nothing?"))),
              "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
              "8e2240ca5e69e2c78b3239ecfab21649");
  }
  // A different message in between leaves the key as it was.
  EXPECT_EQ(hex(k256->mac(as_bytes("x"))),
            hex(hmac(HashAlg::sha256, as_bytes("Jefe"), as_bytes("x"))));
  EXPECT_EQ(hex(k256->mac(as_bytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacKey, RekeyReusesTheContextWithTheNewKey) {
  auto key = HmacKey::create(HashAlg::sha256, as_bytes("another key"));
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(key->mac(as_bytes("x")).ok());
  ASSERT_TRUE(key->rekey(as_bytes("Jefe")).ok());
  EXPECT_EQ(hex(key->mac(as_bytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // An empty key is a key (HMAC pads it with zeros), not "keep the last one".
  ASSERT_TRUE(key->rekey({}).ok());
  EXPECT_EQ(hex(key->mac(as_bytes("x"))), hex(hmac(HashAlg::sha256, {}, as_bytes("x"))));
  EXPECT_NE(hex(key->mac(as_bytes("x"))),
            hex(hmac(HashAlg::sha256, as_bytes("Jefe"), as_bytes("x"))));
}

TEST(HmacKey, Rfc5869_Case2_ExpandTwiceFromOneKey) {
  // L = 82: three blocks, each a restart of the same keyed context, twice.
  const Rfc5869Case2 c2;
  auto prk = hkdf_extract(HashAlg::sha256, c2.salt, c2.ikm);
  ASSERT_TRUE(prk.ok());
  auto key = HmacKey::create(HashAlg::sha256, prk->bytes());
  ASSERT_TRUE(key.ok());
  for (int round = 0; round < 2; ++round) {
    ByteVec okm(82);
    ASSERT_TRUE(key->expand_into(c2.info, MutBytes(okm)).ok());
    EXPECT_EQ(to_hex(okm),
              "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
              "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
              "cc30c58179ec3e87c14c01d5c1f3434f1d87");
  }
}

TEST(HmacKey, Rfc8448_S3_KeyAndIvFromOneTrafficSecretKey) {
  // {server} derive write traffic keys for handshake data: both labels
  // expanded from one keyed context, as traffic_keys() does.
  auto key = HmacKey::create(HashAlg::sha256, from_hex(kServerHsTraffic));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(hex(key->expand_label("key", {}, 16)), "3fce516009c21727d0f2e4e86ee403bc");
  EXPECT_EQ(hex(key->expand_label("iv", {}, 12)), "5d313eb2671276ee13000b30");
  const handshake::SuiteInfo* suite = handshake::suite_info(0x1301);
  ASSERT_NE(suite, nullptr);
  auto keys = handshake::traffic_keys(*suite, Secret(from_hex(kServerHsTraffic)));
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(to_hex(keys->key.bytes()), "3fce516009c21727d0f2e4e86ee403bc");
  EXPECT_EQ(to_hex(keys->iv.bytes()), "5d313eb2671276ee13000b30");
  // With the Finished key asked for too (RFC 8446 4.4.4), from the same key:
  // the RFC 8448 replay tests check the Finished messages it then makes.
  Secret finished_key;
  auto with_finished =
      handshake::traffic_keys(*suite, Secret(from_hex(kServerHsTraffic)), &finished_key);
  ASSERT_TRUE(with_finished.ok());
  EXPECT_EQ(to_hex(with_finished->key.bytes()), "3fce516009c21727d0f2e4e86ee403bc");
  EXPECT_EQ(
      to_hex(finished_key.bytes()),
      hex(hkdf_expand_label(HashAlg::sha256, from_hex(kServerHsTraffic), "finished", {}, 32)));
  EXPECT_EQ(to_hex(finished_key.bytes()),
            hex(handshake::finished_key(HashAlg::sha256, Secret(from_hex(kServerHsTraffic)))));
}

TEST(KeySchedule, Rfc8448_S3_ScheduleObjectDerivesTrafficSecretsAndMaster) {
  // The schedule keys its current secret once for all derives from it, and
  // must drop that key when the current secret moves on: the "derived" salt
  // for the Master Secret comes from the Handshake Secret's key, and a derive
  // after derive_master() from the Master Secret's.
  handshake::KeySchedule ks(HashAlg::sha256);
  ASSERT_TRUE(ks.init_early({}).ok());
  ASSERT_TRUE(ks.derive_handshake(
                    from_hex("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d"))
                  .ok());
  EXPECT_EQ(hex(ks.derive("c hs traffic", from_hex(kHelloHash))), kClientHsTraffic);
  EXPECT_EQ(hex(ks.derive("s hs traffic", from_hex(kHelloHash))), kServerHsTraffic);
  ASSERT_TRUE(ks.derive_master().ok());
  EXPECT_EQ(to_hex(ks.master_secret().bytes()),
            "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919");
  const ByteVec th = from_hex("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  EXPECT_EQ(
      hex(ks.derive("c ap traffic", th)),
      hex(hkdf_expand_label(HashAlg::sha256, ks.master_secret().bytes(), "c ap traffic", th, 32)));
}

}  // namespace
}  // namespace rapidtls::crypto

namespace rapidtls::crypto {
namespace {

// The key schedule uses these constants for Hash("") (key_schedule.cc).
TEST(Hash, EmptyStringDigestsMatchConstants) {
  auto s256 = hash(HashAlg::sha256, {});
  auto s384 = hash(HashAlg::sha384, {});
  ASSERT_TRUE(s256.ok());
  ASSERT_TRUE(s384.ok());
  EXPECT_EQ(to_hex(s256->bytes()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(s384->bytes()),
            "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd5"
            "1ad2f14898b95b");
  EXPECT_EQ(to_hex(handshake::empty_hash(HashAlg::sha256)), to_hex(s256->bytes()));
  EXPECT_EQ(to_hex(handshake::empty_hash(HashAlg::sha384)), to_hex(s384->bytes()));
}

}  // namespace
}  // namespace rapidtls::crypto
