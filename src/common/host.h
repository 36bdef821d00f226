// Host names as TLS uses them.
#pragma once

#include <string>

namespace rapidtls {

// True for an IPv4 or IPv6 address in text form (inet_pton's syntax: four
// dotted decimal octets, or RFC 4291 text). RFC 6066 3: such a name is never
// sent as SNI; certificates match it against iPAddress names (RFC 6125).
bool is_ip_literal(const std::string& host);

}  // namespace rapidtls
