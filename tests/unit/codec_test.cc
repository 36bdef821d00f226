#include <gtest/gtest.h>

#include "codec/reader.h"
#include "codec/writer.h"

namespace rapidtls::codec {
namespace {

TEST(Codec, ReadsIntegersBigEndian) {
  const uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
  Reader r{Bytes(data)};
  uint8_t a;
  uint16_t b;
  uint32_t c;
  ASSERT_TRUE(r.read_u8(&a));
  ASSERT_TRUE(r.read_u16(&b));
  ASSERT_TRUE(r.read_u24(&c));
  EXPECT_EQ(a, 0x01);
  EXPECT_EQ(b, 0x0203);
  EXPECT_EQ(c, 0x040506u);
  EXPECT_TRUE(r.expect_end());
}

TEST(Codec, FailedReadLeavesReaderUnchanged) {
  const uint8_t data[] = {0x00, 0x05, 0xaa};
  Reader r{Bytes(data)};
  Bytes body;
  EXPECT_FALSE(r.read_vec16(&body));  // claims 5 bytes, has 1
  EXPECT_EQ(r.remaining(), 3u);
  uint32_t v;
  EXPECT_FALSE(r.read_u32(&v));
  EXPECT_EQ(r.remaining(), 3u);
}

TEST(Codec, ChildReaderSeesOnlyItsBlock) {
  const uint8_t data[] = {0x00, 0x02, 0xaa, 0xbb, 0xcc};
  Reader r{Bytes(data)};
  Reader child;
  ASSERT_TRUE(r.read_prefixed16(&child));
  EXPECT_EQ(child.remaining(), 2u);
  uint32_t v;
  EXPECT_FALSE(child.read_u24(&v));
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_FALSE(r.expect_end());
}

TEST(Codec, WriterFillsPrefixes) {
  ByteVec out;
  Writer w(out);
  w.u8(1);
  w.with_prefix16([](Writer& inner) {
    inner.u16(0xbeef);
    inner.with_prefix8([](Writer& in2) { in2.u8(7); });
  });
  w.vec24(as_bytes("ab"));
  ASSERT_TRUE(w.ok());
  const ByteVec want = {0x01, 0x00, 0x04, 0xbe, 0xef, 0x01, 0x07, 0x00, 0x00, 0x02, 'a', 'b'};
  EXPECT_EQ(out, want);
}

TEST(Codec, WriterFailsWhenBodyOutgrowsPrefix) {
  ByteVec out;
  Writer w(out);
  ByteVec big(256, 0x41);
  w.vec8(big);
  EXPECT_FALSE(w.ok());
}

TEST(Codec, HexRoundTrip) {
  const ByteVec b = {0x00, 0x7f, 0x80, 0xff};
  EXPECT_EQ(to_hex(b), "007f80ff");
  EXPECT_EQ(from_hex("00 7f\n80FF"), b);
  EXPECT_TRUE(from_hex("abc").empty());
}

}  // namespace
}  // namespace rapidtls::codec
