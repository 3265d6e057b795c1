// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for the Flash Player 9 "digest" handshake.
// Self-contained so the protocol core stays free of OpenSSL.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "util/bytes.hpp"

namespace rtmp {

inline constexpr size_t kSha256Size = 32;
inline constexpr size_t kSha256BlockSize = 64;

using Sha256Digest = std::array<uint8_t, kSha256Size>;

// Incremental hashing: update() any number of times, then finish() once (the object is then
// reset and can hash a new message).
class Sha256 {
 public:
  Sha256() { reset(); }

  void update(ByteView data);
  Sha256Digest finish();
  void reset();

 private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_{};
  std::array<uint8_t, kSha256BlockSize> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

Sha256Digest sha256(ByteView data);

// HMAC-SHA256; keys longer than the 64-byte block are hashed first (RFC 2104).
Sha256Digest hmac_sha256(ByteView key, ByteView data);

}  // namespace rtmp
