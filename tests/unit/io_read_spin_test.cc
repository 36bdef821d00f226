// The reader's polling policy (io::ReadSpin), with the waits given as
// numbers: how long a blocking reader polls before it sleeps, after sleeps of
// each length and after polls that found nothing. read_spin_test.cc (tests/ssl)
// checks on a real socket that the transport follows it.
#include <gtest/gtest.h>

#include "io/transport.h"

namespace {

using rapidtls::io::kMaxSpinNs;
using rapidtls::io::kMinSpinNs;
using rapidtls::io::ReadSpin;

TEST(ReadSpinPolicy, StartsBySleeping) {
  const ReadSpin s;
  EXPECT_EQ(s.budget_ns, 0u);
  EXPECT_FALSE(s.nonblocking);
}

TEST(ReadSpinPolicy, AShortSleepMakesTheNextWaitPollTwiceAsLong) {
  ReadSpin s;
  s.slept(30'000);
  EXPECT_EQ(s.budget_ns, 60'000u);
}

TEST(ReadSpinPolicy, AVeryShortSleepPollsForTheMinimum) {
  ReadSpin s;
  s.slept(100);
  EXPECT_EQ(s.budget_ns, kMinSpinNs);
  s.slept(0);
  EXPECT_EQ(s.budget_ns, kMinSpinNs);
}

TEST(ReadSpinPolicy, TheBudgetNeverShrinksOnAShortSleepAndNeverPassesTheMaximum) {
  ReadSpin s;
  s.slept(40'000);
  EXPECT_EQ(s.budget_ns, 80'000u);
  s.slept(5'000);  // shorter than the budget: the budget stays
  EXPECT_EQ(s.budget_ns, 80'000u);
  s.slept(kMaxSpinNs - 1);  // twice that is past the maximum
  EXPECT_EQ(s.budget_ns, kMaxSpinNs);
}

TEST(ReadSpinPolicy, ALongSleepLeavesTheBudgetAlone) {
  ReadSpin s;
  s.slept(kMaxSpinNs);
  EXPECT_EQ(s.budget_ns, 0u) << "a reader that sleeps long does not start polling";
  s.slept(10'000);
  s.slept(5'000'000);
  EXPECT_EQ(s.budget_ns, 20'000u);
}

TEST(ReadSpinPolicy, EmptyPollsHalveTheBudgetUntilPollingStops) {
  ReadSpin s;
  s.slept(40'000);
  ASSERT_EQ(s.budget_ns, 80'000u);
  const uint32_t expected[] = {40'000, 20'000, 10'000, 5'000, 2'500, 0};
  for (const uint32_t e : expected) {
    s.poll_came_up_empty();
    EXPECT_EQ(s.budget_ns, e);
  }
  s.poll_came_up_empty();
  EXPECT_EQ(s.budget_ns, 0u);
}

TEST(ReadSpinPolicy, ASlowNetworkStopsPollingAndAFastOneStartsAgain) {
  ReadSpin s;
  s.slept(50'000);  // fast: poll 100 us
  EXPECT_EQ(s.budget_ns, kMaxSpinNs);
  // The network turns slow: every poll comes up empty, every sleep is long.
  for (int i = 0; i < 20; ++i) {
    if (s.budget_ns > 0) s.poll_came_up_empty();
    s.slept(2'000'000);
  }
  EXPECT_EQ(s.budget_ns, 0u);
  s.slept(3'000);
  EXPECT_EQ(s.budget_ns, 6'000u);
}

}  // namespace
