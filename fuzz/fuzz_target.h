// libFuzzer's entry point, which every target in fuzz/ defines (and
// tests/fuzz_replay's replay_main.cc calls over the committed corpora).
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
