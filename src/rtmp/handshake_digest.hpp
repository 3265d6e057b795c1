// The Flash Player 9 "digest" RTMP handshake (version 3 with HMAC-SHA256 digests), as sans-I/O
// state machines plus the packet-level building blocks.
//
// Servers such as those behind some CDNs only answer clients whose C1 carries a digest. Layout of a
// digest C1/S1 (1536 bytes):
//   0..3   time
//   4..7   version: non-zero signals the digest scheme (clients send e.g. 0x80000702)
//   8..    random bytes, with a 32-byte digest somewhere inside:
//     scheme 0: offset = (p[8] + p[9] + p[10] + p[11]) % 728 + 12
//     scheme 1: offset = (p[772] + p[773] + p[774] + p[775]) % 728 + 776
//   The digest is HMAC-SHA256 over the 1504 packet bytes other than the digest, keyed with the
//   first 30 bytes of the Flash Player key (C1) or the first 36 of the Flash Media Server key (S1).
// A digest C2/S2 answers the peer's digest: 1504 bytes (random or echoed) followed by
// HMAC-SHA256(HMAC-SHA256(full own key, peer's digest), those 1504 bytes), where "own key" is the
// full 62-byte Flash Player key for C2 and the full 68-byte Flash Media Server key for S2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "hash/sha256.hpp"
#include "rtmp/handshake.hpp"
#include "util/bytes.hpp"

namespace rtmp {

inline constexpr size_t kHandshakeDigestSize = kSha256Size;  // 32
inline constexpr uint32_t kDigestClientVersion = 0x80000702;
inline constexpr uint32_t kDigestServerVersion = 0x04050001;
inline constexpr size_t kFlashPlayerKeyTextSize = 30;  // "Genuine Adobe Flash Player 001"
inline constexpr size_t kFlashMediaServerKeyTextSize =
    36;  // "Genuine Adobe Flash Media Server 001"

// The full keys: the ASCII text followed by the same 32 constant bytes (62 and 68 bytes).
ByteView flash_player_key();
ByteView flash_media_server_key();

// --- Packet-level pieces. All `packet` arguments are full 1536-byte C1/S1/C2/S2 packets (shorter
// ones are rejected: verifiers return false / nullopt). `scheme` is 0 or 1. ---

// Where the digest of a C1/S1 sits under `scheme` (0 for a short packet).
size_t digest_offset(ByteView packet, int scheme);

// HMAC-SHA256 over the packet minus its 32 bytes at `offset`.
Sha256Digest compute_packet_digest(ByteView packet, size_t offset, ByteView key);

// Whether the C1/S1 carries a valid digest under `scheme` / either scheme (scheme 0 tried first).
bool verify_packet_digest(ByteView packet, int scheme, ByteView key);
std::optional<int> find_packet_digest(ByteView packet, ByteView key);

// The 32 digest bytes of a C1/S1 under `scheme`.
Sha256Digest packet_digest(ByteView packet, int scheme);

// A C1/S1 with a digest: time, version, then `random` (first 1528 bytes; missing bytes are zero,
// extra ignored) with the digest written over it at the scheme's offset.
Bytes make_digest_packet(uint32_t time, uint32_t version, ByteView random, int scheme,
                         ByteView partial_key);

// A C2/S2 answering `peer_digest`: `body` (first 1504 bytes, zero-padded) + the response digest
// keyed with HMAC-SHA256(full_key, peer_digest).
Bytes make_digest_response(ByteView body, ByteView peer_digest, ByteView full_key);
bool verify_digest_response(ByteView packet, ByteView peer_digest, ByteView full_key);

// Client side.
// (a) C1 with the client digest (version kDigestClientVersion, Flash Player partial key).
Bytes make_client_c1(ByteView random, uint32_t epoch, int scheme = 0);
// (b) Which scheme S1's server digest validates under, or nullopt (plain/old server, tampering).
std::optional<int> find_server_digest(ByteView s1);
// (c) C2 for a digest S1 whose digest sits under `s1_scheme`: S1's time, now_ms, S1's bytes 8..1503
// as the body, then the response digest (full Flash Player key).
Bytes make_client_c2(ByteView s1, int s1_scheme, uint32_t now_ms);
// (d) Whether S2 answers C1's digest (full Flash Media Server key).
bool verify_server_s2(ByteView s2, ByteView c1, int c1_scheme);

// Server side.
std::optional<int> find_client_digest(ByteView c1);
Bytes make_server_s1(ByteView random, uint32_t epoch, int scheme = 0);
// S2 answering C1's digest: C1's time, epoch, C1's bytes 8..1503, then the response digest.
Bytes make_server_s2(ByteView c1, int c1_scheme, uint32_t epoch);
bool verify_client_c2(ByteView c2, ByteView s1, int s1_scheme);

}  // namespace rtmp
