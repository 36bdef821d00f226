// Kernel TLS sending: the bound on records sealed under the kernel's keys
// (io::KernelRecordBudget) never falls below what the kernel can have done,
// so the kernel is asked for its count before the key's limit, not after.
#include <gtest/gtest.h>

#include "io/transport.h"

namespace {

using rapidtls::io::KernelRecordBudget;

TEST(KernelRecordBudget, StartsAtTheKeysFirstSequenceNumber) {
  KernelRecordBudget b;
  b.start(3);
  EXPECT_EQ(b.bound, 3u);
  EXPECT_FALSE(b.must_ask());
  EXPECT_EQ(b.limit, rapidtls::conn::kRecordsPerKey);
}

TEST(KernelRecordBudget, EachSendCountsAtLeastTheRecordsItCanMake) {
  KernelRecordBudget b;
  b.start(0);
  b.spent(1);  // one small record
  EXPECT_EQ(b.bound, 1u);
  b.spent(16384);  // one full record, or a short one closing and a new one
  EXPECT_EQ(b.bound, 3u);
  b.spent(10 * 1024 * 1024);  // 640 full records, counted with one to spare
  EXPECT_EQ(b.bound, 3u + 641u);
  b.spent(0);  // a send of nothing still counts one: never below the truth
  EXPECT_EQ(b.bound, 645u);
}

TEST(KernelRecordBudget, AsksAtTheLimitNotBefore) {
  KernelRecordBudget b;
  b.limit = 100;
  b.start(90);
  for (int i = 0; i < 9; ++i) b.spent(10);
  EXPECT_FALSE(b.must_ask()) << "99 records at most";
  b.spent(10);
  EXPECT_TRUE(b.must_ask());
  b.bound = 60;  // the kernel's exact count, read back
  EXPECT_FALSE(b.must_ask());
}

}  // namespace
