#include "proxy/ip_literal.hpp"

#include <algorithm>
#include <vector>

#include "util/strings.hpp"

namespace rtmp::socks {

namespace {

using util::hex_value;
using util::is_digit;

// Hex groups separated by ':' into bytes; the last group may be a dotted quad when allowed.
bool parse_groups(std::string_view part, std::vector<uint8_t>& bytes, bool v4_at_end) {
  if (part.empty()) return true;
  size_t pos = 0;
  while (true) {
    size_t colon = part.find(':', pos);
    std::string_view g = part.substr(pos, colon == std::string_view::npos ? colon : colon - pos);
    if (colon == std::string_view::npos && v4_at_end && g.find('.') != std::string_view::npos) {
      auto v4 = parse_ipv4(g);
      if (!v4) return false;
      bytes.insert(bytes.end(), v4->begin(), v4->end());
      return true;
    }
    if (g.empty() || g.size() > 4) return false;
    unsigned v = 0;
    for (char c : g) {
      int h = hex_value(c);
      if (h < 0) return false;
      v = v * 16 + static_cast<unsigned>(h);
    }
    bytes.push_back(static_cast<uint8_t>(v >> 8));
    bytes.push_back(static_cast<uint8_t>(v));
    if (colon == std::string_view::npos) return true;
    pos = colon + 1;
  }
}

}  // namespace

std::optional<std::array<uint8_t, 4>> parse_ipv4(std::string_view s) {
  std::array<uint8_t, 4> out{};
  size_t i = 0;
  for (size_t part = 0; part < 4; part++) {
    if (part > 0) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      i++;
    }
    size_t start = i;
    unsigned v = 0;
    while (i < s.size() && is_digit(s[i]) && i - start < 3) v = v * 10 + unsigned(s[i++] - '0');
    if (i == start || v > 255 || (i - start > 1 && s[start] == '0')) return std::nullopt;
    out[part] = static_cast<uint8_t>(v);
  }
  if (i != s.size()) return std::nullopt;
  return out;
}

std::optional<std::array<uint8_t, 16>> parse_ipv6(std::string_view s) {
  std::vector<uint8_t> head, tail;
  size_t gap = s.find("::");
  if (gap == std::string_view::npos) {
    if (!parse_groups(s, head, true) || head.size() != 16) return std::nullopt;
  } else {
    if (s.find("::", gap + 1) != std::string_view::npos) return std::nullopt;
    if (!parse_groups(s.substr(0, gap), head, false) ||
        !parse_groups(s.substr(gap + 2), tail, true))
      return std::nullopt;
    if (head.size() + tail.size() > 14) return std::nullopt;
  }
  std::array<uint8_t, 16> out{};
  std::copy(head.begin(), head.end(), out.begin());
  std::copy(tail.begin(), tail.end(), out.end() - static_cast<ptrdiff_t>(tail.size()));
  return out;
}

}  // namespace rtmp::socks
