// The RTMP handshake, C0/C1/C2 <-> S0/S1/S2, as sans-I/O state machines: plain (version 3, no
// digest) or with Flash Player 9 digests (packet building in handshake_digest.hpp).
//
// Packet layout (RTMP specification, section 5.2):
//   C0/S0: one byte, the protocol version (3).
//   C1/S1: 4-byte time, 4 zero bytes, 1528 random bytes.
//   C2/S2: echo of the peer's C1/S1: its time, a second time (when it was read), its random bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "util/bytes.hpp"

namespace rtmp {

inline constexpr size_t kHandshakeSize = 1536;  // C1/S1/C2/S2 size
inline constexpr size_t kHandshakeRandomSize = kHandshakeSize - 8;
inline constexpr uint8_t kRtmpVersion = 3;

// A plain C1/S1 packet: time, 4 zero bytes, 1528 random bytes (zero-padded if `random` is short).
Bytes make_plain_packet(uint32_t time, ByteView random);

// Reads a peer's side of the handshake: the version byte, then two 1536-byte packets
// (S0/S1/S2 for a client, C0/C1/C2 for a server). Shared by both state machines.
class HandshakeInput {
 public:
  enum class Step { kNeedMore, kFirstPacket, kDone, kError };

  // Consumes from in[*pos...] up to the end of the next step: returns kFirstPacket once the
  // first packet is complete (call again to go on), kDone once the second is, kError (sticky)
  // when the version byte is not 3. `peer` ("server"/"client") is for the error text.
  Step feed(ByteView in, size_t* pos, const char* peer);

  const Bytes& first() const { return first_; }
  const Bytes& second() const { return second_; }
  bool done() const { return phase_ == Phase::kDone; }
  bool failed() const { return phase_ == Phase::kError; }
  const std::string& error() const { return error_; }
  // Once done: frees both packets (first() and second() are empty afterwards).
  void release() {
    Bytes().swap(first_);
    Bytes().swap(second_);
  }

 private:
  enum class Phase { kVersion, kFirst, kSecond, kDone, kError };

  Phase phase_ = Phase::kVersion;
  Bytes first_;
  Bytes second_;
  std::string error_;
};

enum class HandshakeStatus { kNeedMore, kDone, kError };

// The client: plain (version 3, C2 echoes S1) or Flash Player 9 digest (see handshake_digest.hpp:
// C1 carries a digest; a digest S1 is answered with a digest C2, a plain S1 with an echo, so old
// servers still work). Neither S2 check fails the handshake: both are reported for the caller to
// decide (many servers answer loosely).
class ClientHandshake {
 public:
  using Status = HandshakeStatus;

  // random: the first 1528 bytes become C1's random part (missing bytes are zero, extra bytes are
  // ignored); the caller supplies it so tests are deterministic. epoch: C1's time field.
  // digest: C1 carries a digest under `scheme` (0 or 1; others mean 0).
  ClientHandshake(ByteView random, uint32_t epoch, bool digest = false, int scheme = 0);

  // Appends C0 (0x03) + C1 to `out`.
  void start(Bytes& out);

  // Feeds server bytes. *consumed = bytes used; never more than the remainder of S0+S1+S2, so bytes
  // after S2 (the chunk stream) are left unconsumed. Appends C2 to `out` as soon as S1 is complete,
  // before S2 arrives. Returns kDone once S2 is fully consumed (and keeps returning it, consuming
  // nothing), kError when S0 is not 3 (sticky).
  Status feed(ByteView in, size_t* consumed, Bytes& out, uint32_t now_ms = 0);

  // Whether S1 carried a valid server digest (so C2 was a digest response); always false for a
  // plain handshake. Meaningful once C2 was written.
  bool server_digest_valid() const { return server_scheme_.has_value(); }
  std::optional<int> server_digest_scheme() const { return server_scheme_; }
  // Whether S2 carried a valid response to C1's digest. Meaningful once feed() returned kDone.
  bool s2_digest_valid() const { return s2_digest_valid_; }
  // Whether S2's bytes 8.. echoed C1's (what plain servers send). Meaningful once kDone.
  bool s2_echoes_c1() const { return s2_echoes_c1_; }
  const Bytes& c1() const { return c1_; }
  const std::string& error() const { return input_.error(); }
  // Once done, the packets are no longer needed: frees them (about 4.5 KB; c1() is empty after).
  void release_buffers() {
    if (!input_.done()) return;
    Bytes().swap(c1_);
    input_.release();
  }

 private:
  int scheme_;
  bool digest_;
  Bytes c1_;
  HandshakeInput input_;
  std::optional<int> server_scheme_;
  bool s2_digest_valid_ = false;
  bool s2_echoes_c1_ = false;
};

// The server side, for test servers and fuzzing. Plain: S1 is a plain packet and S2 echoes C1.
// Digest: S1 carries a server digest (in the client's scheme, else scheme 0); when C1 carries a
// valid client digest, S2 is the digest response and C2 is checked as one, otherwise S2 echoes C1.
class ServerHandshake {
 public:
  using Status = HandshakeStatus;

  // random: S1's random part (same rules as ClientHandshake); epoch: S1's time field and S2's
  // time2.
  ServerHandshake(ByteView random, uint32_t epoch, bool digest = false);

  // Consumes C0+C1, then appends S0+S1+S2; then consumes C2 and returns kDone. Same *consumed
  // contract as ClientHandshake::feed(). kError when C0 is not 3.
  Status feed(ByteView in, size_t* consumed, Bytes& out);

  bool client_digest_valid() const { return client_scheme_.has_value(); }
  std::optional<int> client_digest_scheme() const { return client_scheme_; }
  // Whether C2 carried a valid response to S1's digest. Meaningful once feed() returned kDone.
  bool c2_digest_valid() const { return c2_digest_valid_; }
  // Whether C2's bytes 8.. echoed S1's (informational). Meaningful once kDone.
  bool c2_echoes_s1() const { return c2_echoes_s1_; }
  const std::string& error() const { return input_.error(); }

 private:
  uint32_t epoch_;
  bool digest_;
  Bytes random_;
  Bytes s1_;
  HandshakeInput input_;
  std::optional<int> client_scheme_;
  int s1_scheme_ = 0;
  bool c2_digest_valid_ = false;
  bool c2_echoes_s1_ = false;
};

// Text for an unexpected version byte, with a hint when the byte suggests another protocol.
// `peer` is "server" or "client".
std::string describe_bad_version(uint8_t version, const char* peer);

}  // namespace rtmp
