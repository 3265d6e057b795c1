// String helpers shared by the core's text parsers (URLs, librtmp options, proxy URLs, HTTP).
// ASCII only, independent of the C locale.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace util {

inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Without leading and trailing white space.
std::string_view trim(std::string_view s);

inline char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
std::string lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);

// 0-15 for a hexadecimal digit, -1 otherwise.
int hex_value(char c);

// "5 s" or "250 ms", for messages.
inline std::string duration_text(uint32_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

// %XX sequences decoded; a '%' not followed by two hex digits stays as it is.
std::string percent_decode(std::string_view s);

}  // namespace util
