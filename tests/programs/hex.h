/* Lower-case hex of n bytes into out (2n + 1 bytes), for the test programs,
 * which are built against OpenSSL's API only (no rapidtls helpers). */
#ifndef RAPIDTLS_TESTS_PROGRAMS_HEX_H
#define RAPIDTLS_TESTS_PROGRAMS_HEX_H

#include <stdio.h>

static void hex(const unsigned char* d, unsigned n, char* out) {
  out[0] = '\0';
  for (unsigned i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

#endif
