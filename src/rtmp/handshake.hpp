// Plain RTMP handshake (version 3, no digest): C0/C1/C2 <-> S0/S1/S2, as sans-I/O state machines.
//
// Packet layout (RTMP specification, section 5.2):
//   C0/S0: one byte, the protocol version (3).
//   C1/S1: 4-byte time, 4 zero bytes, 1528 random bytes.
//   C2/S2: echo of the peer's C1/S1: its time, a second time (when it was read), its random bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "rtmp/bytes.hpp"

namespace rtmp {

inline constexpr size_t kHandshakeSize = 1536;  // C1/S1/C2/S2 size
inline constexpr size_t kHandshakeRandomSize = kHandshakeSize - 8;
inline constexpr uint8_t kRtmpVersion = 3;

// A plain C1/S1 packet: time, 4 zero bytes, 1528 random bytes (zero-padded if `random` is short).
Bytes make_plain_packet(uint32_t time, ByteView random);

class ClientHandshake {
 public:
  enum class Status { kNeedMore, kDone, kError };

  // random: the first 1528 bytes become C1's random part (missing bytes are zero, extra bytes are
  // ignored); the caller supplies it so tests are deterministic. epoch: C1's time field.
  ClientHandshake(ByteView random, uint32_t epoch);

  // Appends C0 (0x03) + C1 (time, 4 zero bytes, random) to `out`.
  void start(Bytes& out);

  // Feeds server bytes. *consumed = bytes used; never more than the remainder of S0+S1+S2, so bytes
  // after S2 (the chunk stream) are left unconsumed. Appends C2 (S1's time, now_ms, S1's random)
  // to `out` as soon as S1 is complete, before S2 arrives. Returns kDone once S2 is fully consumed
  // (and keeps returning it, consuming nothing), kError when S0 is not 3 (sticky).
  Status feed(ByteView in, size_t* consumed, Bytes& out, uint32_t now_ms = 0);

  // Whether S2's random part echoed C1's (informational; many servers don't echo). Meaningful once
  // feed() returned kDone.
  bool s2_echoes_c1() const { return s2_echoes_c1_; }
  const std::string& error() const { return error_; }

 private:
  enum class Phase { kS0, kS1, kS2, kDone, kError };

  Phase phase_ = Phase::kS0;
  Bytes c1_;  // the full C1 packet
  Bytes s1_;  // S1 as received so far
  size_t s2_received_ = 0;
  bool s2_echoes_c1_ = true;
  std::string error_;
};

// The server side, for test servers and fuzzing.
class ServerHandshake {
 public:
  enum class Status { kNeedMore, kDone, kError };

  // random: S1's random part (same rules as ClientHandshake); epoch: S1's time field and S2's
  // time2.
  ServerHandshake(ByteView random, uint32_t epoch);

  // Consumes C0+C1, then appends S0+S1+S2 (S2 echoes C1); then consumes C2 and returns kDone.
  // Same *consumed contract as ClientHandshake::feed(). kError when C0 is not 3.
  Status feed(ByteView in, size_t* consumed, Bytes& out);

  // Whether C2's random part echoed S1's (informational). Meaningful once feed() returned kDone.
  bool c2_echoes_s1() const { return c2_echoes_s1_; }
  const std::string& error() const { return error_; }

 private:
  enum class Phase { kC0, kC1, kC2, kDone, kError };

  Phase phase_ = Phase::kC0;
  uint32_t epoch_;
  Bytes s1_;  // the full S1 packet
  Bytes c1_;  // C1 as received so far
  size_t c2_received_ = 0;
  bool c2_echoes_s1_ = true;
  std::string error_;
};

// Text for an unexpected version byte, with a hint when the byte suggests another protocol.
// `peer` is "server" or "client".
std::string describe_bad_version(uint8_t version, const char* peer);

}  // namespace rtmp
