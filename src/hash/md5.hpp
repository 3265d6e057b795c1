// MD5 (RFC 1321), for the Adobe and Limelight authentication responses. Self-contained so the
// protocol core stays free of OpenSSL. Not for anything that needs collision resistance.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/bytes.hpp"

namespace rtmp {

inline constexpr size_t kMd5Size = 16;
inline constexpr size_t kMd5BlockSize = 64;

using Md5Digest = std::array<uint8_t, kMd5Size>;

// Incremental hashing: update() any number of times, then finish() once (the object is then
// reset and can hash a new message).
class Md5 {
 public:
  Md5() { reset(); }

  void update(ByteView data);
  void update(std::string_view text);
  Md5Digest finish();
  void reset();

 private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 4> state_{};
  std::array<uint8_t, kMd5BlockSize> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

Md5Digest md5(ByteView data);
Md5Digest md5(std::string_view text);

// Lower-case hexadecimal digest (32 characters).
std::string md5_hex(std::string_view text);

}  // namespace rtmp
