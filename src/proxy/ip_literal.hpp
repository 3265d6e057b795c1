// IP literals as a SOCKS request carries them (network byte order).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace rtmp::socks {

// IP literals as the SOCKS request carries them (network byte order). Strict: dotted quad of
// four decimal numbers; IPv6 in RFC 4291 text form, optionally ending in a dotted quad, no zone.
std::optional<std::array<uint8_t, 4>> parse_ipv4(std::string_view text);
std::optional<std::array<uint8_t, 16>> parse_ipv6(std::string_view text);

}  // namespace rtmp::socks
