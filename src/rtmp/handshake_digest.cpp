#include "rtmp/handshake_digest.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace rtmp {
namespace {

constexpr size_t kResponseBodySize = kHandshakeSize - kHandshakeDigestSize;  // 1504
constexpr size_t kOffsetModulus = 728;

// The 32 constant bytes that follow the text in both keys.
constexpr std::array<uint8_t, 32> kKeyTail = {
    0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
    0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE,
};

template <size_t N>
constexpr std::array<uint8_t, N + kKeyTail.size()> make_key(std::string_view text) {
  std::array<uint8_t, N + kKeyTail.size()> key{};
  for (size_t i = 0; i < N; ++i) key[i] = static_cast<uint8_t>(text[i]);
  for (size_t i = 0; i < kKeyTail.size(); ++i) key[N + i] = kKeyTail[i];
  return key;
}

constexpr auto kFlashPlayerKey =
    make_key<kFlashPlayerKeyTextSize>("Genuine Adobe Flash Player 001");
constexpr auto kFlashMediaServerKey =
    make_key<kFlashMediaServerKeyTextSize>("Genuine Adobe Flash Media Server 001");

ByteView client_partial_key() {
  return ByteView(kFlashPlayerKey).first(kFlashPlayerKeyTextSize);
}

ByteView server_partial_key() {
  return ByteView(kFlashMediaServerKey).first(kFlashMediaServerKeyTextSize);
}

bool valid_scheme(int scheme) {
  return scheme == 0 || scheme == 1;
}

// Constant-time-ish comparison; timing hardly matters here, but it costs nothing.
bool same_digest(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<uint8_t>(a[i] ^ b[i]);
  return diff == 0;
}

// Body of a digest response echoing the peer's packet: its time, time2, its bytes 8..1503.
Bytes echo_body(ByteView peer_packet, uint32_t time2) {
  Bytes body;
  body.reserve(kResponseBodySize);
  put_bytes(body, peer_packet.first(4));
  put_u32be(body, time2);
  put_bytes(body, peer_packet.subspan(8, kResponseBodySize - 8));
  return body;
}

}  // namespace

ByteView flash_player_key() {
  return kFlashPlayerKey;
}

ByteView flash_media_server_key() {
  return kFlashMediaServerKey;
}

size_t digest_offset(ByteView packet, int scheme) {
  if (packet.size() < kHandshakeSize) return 0;
  const size_t base = scheme == 0 ? 8 : 772;
  const size_t sum = size_t{packet[base]} + packet[base + 1] + packet[base + 2] + packet[base + 3];
  return base + 4 + sum % kOffsetModulus;
}

Sha256Digest compute_packet_digest(ByteView packet, size_t offset, ByteView key) {
  Bytes message;
  message.reserve(packet.size() - kHandshakeDigestSize);
  put_bytes(message, packet.first(offset));
  put_bytes(message, packet.subspan(offset + kHandshakeDigestSize));
  return hmac_sha256(key, message);
}

Sha256Digest packet_digest(ByteView packet, int scheme) {
  Sha256Digest digest{};
  if (packet.size() < kHandshakeSize || !valid_scheme(scheme)) return digest;
  const ByteView stored = packet.subspan(digest_offset(packet, scheme), kHandshakeDigestSize);
  std::copy(stored.begin(), stored.end(), digest.begin());
  return digest;
}

bool verify_packet_digest(ByteView packet, int scheme, ByteView key) {
  if (packet.size() != kHandshakeSize || !valid_scheme(scheme)) return false;
  const size_t offset = digest_offset(packet, scheme);
  const Sha256Digest expected = compute_packet_digest(packet, offset, key);
  return same_digest(expected, packet.subspan(offset, kHandshakeDigestSize));
}

std::optional<int> find_packet_digest(ByteView packet, ByteView key) {
  for (int scheme : {0, 1}) {
    if (verify_packet_digest(packet, scheme, key)) return scheme;
  }
  return std::nullopt;
}

Bytes make_digest_packet(uint32_t time, uint32_t version, ByteView random, int scheme,
                         ByteView partial_key) {
  Bytes packet;
  packet.reserve(kHandshakeSize);
  put_u32be(packet, time);
  put_u32be(packet, version);
  put_bytes(packet, random.first(std::min(random.size(), kHandshakeRandomSize)));
  packet.resize(kHandshakeSize, 0);
  if (!valid_scheme(scheme)) scheme = 0;
  // The offset bytes lie before the digest region, so writing the digest doesn't move it.
  const size_t offset = digest_offset(packet, scheme);
  const Sha256Digest digest = compute_packet_digest(packet, offset, partial_key);
  std::copy(digest.begin(), digest.end(), packet.begin() + static_cast<std::ptrdiff_t>(offset));
  return packet;
}

Bytes make_digest_response(ByteView body, ByteView peer_digest, ByteView full_key) {
  Bytes packet;
  packet.reserve(kHandshakeSize);
  put_bytes(packet, body.first(std::min(body.size(), kResponseBodySize)));
  packet.resize(kResponseBodySize, 0);
  const Sha256Digest key = hmac_sha256(full_key, peer_digest);
  const Sha256Digest digest = hmac_sha256(key, packet);
  put_bytes(packet, digest);
  return packet;
}

bool verify_digest_response(ByteView packet, ByteView peer_digest, ByteView full_key) {
  if (packet.size() != kHandshakeSize) return false;
  const Sha256Digest key = hmac_sha256(full_key, peer_digest);
  const Sha256Digest expected = hmac_sha256(key, packet.first(kResponseBodySize));
  return same_digest(expected, packet.subspan(kResponseBodySize));
}

Bytes make_client_c1(ByteView random, uint32_t epoch, int scheme) {
  return make_digest_packet(epoch, kDigestClientVersion, random, scheme, client_partial_key());
}

std::optional<int> find_server_digest(ByteView s1) {
  return find_packet_digest(s1, server_partial_key());
}

Bytes make_client_c2(ByteView s1, int s1_scheme, uint32_t now_ms) {
  if (s1.size() < kHandshakeSize) return {};
  return make_digest_response(echo_body(s1, now_ms), packet_digest(s1, s1_scheme),
                              flash_player_key());
}

bool verify_server_s2(ByteView s2, ByteView c1, int c1_scheme) {
  if (c1.size() != kHandshakeSize || !valid_scheme(c1_scheme)) return false;
  return verify_digest_response(s2, packet_digest(c1, c1_scheme), flash_media_server_key());
}

std::optional<int> find_client_digest(ByteView c1) {
  return find_packet_digest(c1, client_partial_key());
}

Bytes make_server_s1(ByteView random, uint32_t epoch, int scheme) {
  return make_digest_packet(epoch, kDigestServerVersion, random, scheme, server_partial_key());
}

Bytes make_server_s2(ByteView c1, int c1_scheme, uint32_t epoch) {
  if (c1.size() < kHandshakeSize) return {};
  return make_digest_response(echo_body(c1, epoch), packet_digest(c1, c1_scheme),
                              flash_media_server_key());
}

bool verify_client_c2(ByteView c2, ByteView s1, int s1_scheme) {
  if (s1.size() != kHandshakeSize || !valid_scheme(s1_scheme)) return false;
  return verify_digest_response(c2, packet_digest(s1, s1_scheme), flash_player_key());
}

}  // namespace rtmp
