// The suite's main. SIGPIPE is ignored for the whole process as a safety net: OpenSSL's
// socket BIO writes with write(2), so a write to a closed socket raises SIGPIPE, which
// would kill the run. The test that is about SIGPIPE (W16) installs its own handler.
#include <gtest/gtest.h>

#include <csignal>

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
