// Result<T>: a value or an Error. Reaching for the value of a Result that
// holds an error stops the process in every build type, with a message,
// rather than reading an uninitialised union member.
#include <gtest/gtest.h>

#include <string>

#include "common/result.h"

namespace rapidtls {
namespace {

Result<std::string> fails() {
  return Error{Alert::decode_error, SSL_R_LENGTH_MISMATCH};
}

Result<std::string> works() {
  return std::string("value");
}

TEST(Result, ValueAndErrorAreReachableWhenPresent) {
  Result<std::string> ok = works();
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "value");
  EXPECT_EQ(ok->size(), 5u);
  EXPECT_EQ(ok.value(), "value");
  const Result<std::string> bad = fails();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), (Error{Alert::decode_error, SSL_R_LENGTH_MISMATCH}));
}

TEST(ResultDeathTest, TheValueOfAFailedResultAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Result<std::string> r = fails();
        (void)r.value().size();
      },
      "value of a failed Result was used \\(alert decode_error");
  EXPECT_DEATH(
      {
        Result<std::string> r = fails();
        (void)r->size();
      },
      "failed Result");
  EXPECT_DEATH(
      {
        const Result<std::string> r = fails();
        (void)(*r).size();
      },
      "failed Result");
  EXPECT_DEATH((void)fails().value().size(), "failed Result");
}

}  // namespace
}  // namespace rapidtls
