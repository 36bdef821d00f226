// OpenSSL's cipher strings (ciphers(1): SSL_CTX_set_cipher_list) and TLS 1.3
// suite lists (SSL_CTX_set_ciphersuites) over the suites rapidtls has. The
// rules are OpenSSL's: words joined by ':' (or ',', ' ', ';'), each a suite
// name or an alias, several combined with '+' (all must match); a word adds
// what it matches at the end, '-' removes, '!' removes for good, '+' in
// front moves to the end; @STRENGTH sorts by key length, @SECLEVEL=n sets the
// security level. Unknown words select nothing. A string that selects none
// of rapidtls's suites fails with "no cipher match" (and leaves no TLS 1.2
// suite), as OpenSSL does for a string that selects none of its own.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ssl/internal.h"

namespace {

namespace hs = rapidtls::handshake;

// What an alias of ciphers(1) selects among the TLS 1.2 suites rapidtls has
// (all ECDHE, AEAD, TLS 1.2 and HIGH). Aliases OpenSSL knows that select
// none of them (RSA, DHE, PSK, SHA256, MEDIUM, aNULL, ...) need no entry:
// like unknown words, they match nothing.
bool alias_matches(std::string_view word, const SSL_CIPHER* c) {
  const char* name = SSL_CIPHER_get_name(c);
  if (word == name) return true;
  const int auth = SSL_CIPHER_get_auth_nid(c);
  const int enc = SSL_CIPHER_get_cipher_nid(c);
  if (word == "ALL" || word == "DEFAULT" || word == "HIGH" || word == "TLSv1.2" ||
      word == "kECDHE" || word == "kEECDH" || word == "ECDHE" || word == "EECDH" ||
      word == "ECDH") {
    return true;
  }
  if (word == "ECDSA" || word == "aECDSA") return auth == NID_auth_ecdsa;
  if (word == "aRSA") return auth == NID_auth_rsa;
  if (word == "AES" || word == "AESGCM") return enc == NID_aes_128_gcm || enc == NID_aes_256_gcm;
  if (word == "AES128") return enc == NID_aes_128_gcm;
  if (word == "AES256") return enc == NID_aes_256_gcm;
  if (word == "CHACHA20") return enc == NID_chacha20_poly1305;
  return false;
}

// A rule: words joined by '+', all of which must match.
bool rule_matches(std::string_view rule, const SSL_CIPHER* c) {
  if (rule.empty()) return false;
  while (true) {
    const size_t plus = rule.find('+');
    if (!alias_matches(rule.substr(0, plus), c)) return false;
    if (plus == std::string_view::npos) return true;
    rule.remove_prefix(plus + 1);
  }
}

bool contains(const std::vector<uint16_t>& v, uint16_t id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

}  // namespace

namespace rapidtls::ssl {

bool parse_cipher_list(const char* str, std::vector<uint16_t>* out, int* security_level) {
  std::vector<uint16_t> active;
  std::vector<uint16_t> killed;
  const std::string text = str != nullptr ? str : "";
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find_first_of(":, ;", pos);
    if (end == std::string::npos) end = text.size();
    std::string_view element(text.data() + pos, end - pos);
    pos = end + 1;
    if (element.empty()) continue;
    // A command after '@' ("HIGH@STRENGTH" holds a rule and a command).
    std::string_view command;
    if (const size_t at = element.find('@'); at != std::string_view::npos) {
      command = element.substr(at + 1);
      element = element.substr(0, at);
    }
    if (!element.empty()) {
      char op = 0;
      if (element[0] == '!' || element[0] == '-' || element[0] == '+') {
        op = element[0];
        element.remove_prefix(1);
      }
      std::vector<uint16_t> matched;
      for (uint16_t id : hs::kDefaultSuites12) {  // OpenSSL's order of these suites
        const SSL_CIPHER* c = cipher_by_id(id);
        if (c != nullptr && rule_matches(element, c)) matched.push_back(id);
      }
      switch (op) {
        case 0:
          for (uint16_t id : matched) {
            if (!contains(active, id) && !contains(killed, id)) active.push_back(id);
          }
          break;
        case '!':
          killed.insert(killed.end(), matched.begin(), matched.end());
          [[fallthrough]];
        case '-':
          std::erase_if(active, [&](uint16_t id) { return contains(matched, id); });
          break;
        case '+': {
          auto moved = std::stable_partition(active.begin(), active.end(),
                                             [&](uint16_t id) { return !contains(matched, id); });
          (void)moved;
          break;
        }
      }
    }
    if (command == "STRENGTH") {
      std::stable_sort(active.begin(), active.end(), [](uint16_t a, uint16_t b) {
        return SSL_CIPHER_get_bits(cipher_by_id(a), nullptr) >
               SSL_CIPHER_get_bits(cipher_by_id(b), nullptr);
      });
    } else if (command.size() == 10 && command.substr(0, 9) == "SECLEVEL=" && command[9] >= '0' &&
               command[9] <= '5') {
      if (security_level != nullptr) *security_level = command[9] - '0';
    }
  }
  // As OpenSSL 3.0, the list is replaced even when it selects nothing: no
  // TLS 1.2 suite is left, and the call fails.
  *out = std::move(active);
  if (out->empty()) {
    ERR_raise(ERR_LIB_SSL, SSL_R_NO_CIPHER_MATCH);
    return false;
  }
  return true;
}

bool parse_ciphersuites(const char* str, std::vector<uint16_t>* out) {
  const std::string text = str != nullptr ? str : "";
  std::vector<uint16_t> suites;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(':', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view name(text.data() + pos, end - pos);
    pos = end + 1;
    for (uint16_t id : {0x1301, 0x1302, 0x1303}) {
      if (name == SSL_CIPHER_get_name(cipher_by_id(id)) && !contains(suites, id)) {
        suites.push_back(id);
      }
    }
  }
  // An empty string is allowed (no TLS 1.3 suites); anything else must name one.
  if (suites.empty() && !text.empty()) {
    ERR_raise(ERR_LIB_SSL, SSL_R_NO_CIPHER_MATCH);
    return false;
  }
  *out = std::move(suites);
  return true;
}

}  // namespace rapidtls::ssl
