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

#include "rtmp/bytes.hpp"
#include "rtmp/handshake.hpp"
#include "rtmp/sha256.hpp"

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

// The client state machine: same contract as ClientHandshake, but C1 carries a digest. When S1
// carries a valid server digest, C2 is the digest response and S2 is checked against C1's digest;
// otherwise (old servers) C2 is the plain echo of S1. Neither S2 check fails the handshake: both
// are reported for the caller to decide (many servers answer loosely).
class DigestClientHandshake {
 public:
  using Status = ClientHandshake::Status;

  // random: C1's random part (same rules as ClientHandshake); epoch: C1's time; scheme: 0 or 1.
  // digest = false makes it the plain handshake: a plain C1, and S1 answered with an echo.
  DigestClientHandshake(ByteView random, uint32_t epoch, int scheme = 0, bool digest = true);

  // Appends C0 (0x03) + the digest C1 to `out`.
  void start(Bytes& out);

  // Same contract as ClientHandshake::feed(): consumes at most S0+S1+S2, appends C2 as soon as S1
  // is complete, returns kDone once S2 is consumed, kError (sticky) when S0 is not 3.
  Status feed(ByteView in, size_t* consumed, Bytes& out, uint32_t now_ms = 0);

  // Whether S1 carried a valid server digest (so C2 was a digest response). Meaningful once C2 was
  // written.
  bool server_digest_valid() const { return server_scheme_.has_value(); }
  // Scheme of S1's digest, when valid.
  std::optional<int> server_digest_scheme() const { return server_scheme_; }
  // Whether S2 carried a valid response to C1's digest (false when S1 had no valid digest).
  // Meaningful once feed() returned kDone.
  bool s2_digest_valid() const { return s2_digest_valid_; }
  // Whether S2's bytes 8.. echoed C1's (what plain servers send). Meaningful once kDone.
  bool s2_echoes_c1() const { return s2_echoes_c1_; }
  const Bytes& c1() const { return c1_; }
  const std::string& error() const { return error_; }

 private:
  enum class Phase { kS0, kS1, kS2, kDone, kError };

  Phase phase_ = Phase::kS0;
  int scheme_;
  bool digest_;
  Bytes c1_;
  Bytes s1_;
  Bytes s2_;
  std::optional<int> server_scheme_;
  bool s2_digest_valid_ = false;
  bool s2_echoes_c1_ = false;
  std::string error_;
};

// The server side, for tests: S1 always carries a server digest (in the client's scheme, else
// scheme 0). When C1 carries a valid client digest, S2 is the digest response and C2 is checked as
// one; otherwise S2 echoes C1 (plain clients).
class DigestServerHandshake {
 public:
  using Status = ServerHandshake::Status;

  // random: S1's random part (same rules as ServerHandshake); epoch: S1's time field and S2's
  // time2.
  DigestServerHandshake(ByteView random, uint32_t epoch);

  // Same contract as ServerHandshake::feed().
  Status feed(ByteView in, size_t* consumed, Bytes& out);

  bool client_digest_valid() const { return client_scheme_.has_value(); }
  std::optional<int> client_digest_scheme() const { return client_scheme_; }
  // Whether C2 carried a valid response to S1's digest. Meaningful once feed() returned kDone.
  bool c2_digest_valid() const { return c2_digest_valid_; }
  // Whether C2's bytes 8.. echoed S1's. Meaningful once kDone.
  bool c2_echoes_s1() const { return c2_echoes_s1_; }
  const std::string& error() const { return error_; }

 private:
  enum class Phase { kC0, kC1, kC2, kDone, kError };

  Phase phase_ = Phase::kC0;
  uint32_t epoch_;
  Bytes random_;
  Bytes s1_;
  Bytes c1_;
  Bytes c2_;
  std::optional<int> client_scheme_;
  int s1_scheme_ = 0;
  bool c2_digest_valid_ = false;
  bool c2_echoes_s1_ = false;
  std::string error_;
};

}  // namespace rtmp
