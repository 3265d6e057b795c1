// Protocol control messages (types 1-3, 5, 6) and User Control messages (type 4): builders,
// payload parsers and the acknowledgement window bookkeeping.
#pragma once

#include <cstdint>
#include <optional>

#include "rtmp/message.hpp"
#include "util/bytes.hpp"

namespace rtmp::control {

enum class UserControlEvent : uint16_t {
  kStreamBegin = 0,
  kStreamEof = 1,
  kStreamDry = 2,
  kSetBufferLength = 3,
  kStreamIsRecorded = 4,
  kPingRequest = 6,
  kPingResponse = 7,
  kBufferEmpty = 31,
  kBufferReady = 32,
};

// Peer bandwidth limit types carried by Set Peer Bandwidth.
inline constexpr uint8_t kLimitHard = 0;
inline constexpr uint8_t kLimitSoft = 1;
inline constexpr uint8_t kLimitDynamic = 2;

// Every builder returns a message on chunk stream csid::kProtocolControl, message stream 0,
// timestamp 0.
Message set_chunk_size(uint32_t size);
Message abort_message(uint32_t chunk_stream_id);
Message acknowledgement(uint32_t sequence_number);
Message window_ack_size(uint32_t size);
Message set_peer_bandwidth(uint32_t size, uint8_t limit_type);  // 0 hard, 1 soft, 2 dynamic
// Event type followed by a 4-byte value (stream id or timestamp). For kSetBufferLength a zero
// buffer length is appended so the message stays well formed; prefer set_buffer_length().
Message user_control(UserControlEvent ev, uint32_t value);
Message set_buffer_length(uint32_t stream_id, uint32_t buffer_ms);

struct UserControl {
  uint16_t event = 0;
  uint32_t value = 0;
  uint32_t buffer_ms = 0;  // only for SetBufferLength
};

// Known events need their full event data (4 bytes, 8 for SetBufferLength); trailing bytes are
// ignored. Unknown events need only the 2-byte event type; `value` is read when 4 more bytes
// follow and is 0 otherwise.
std::optional<UserControl> parse_user_control(ByteView payload);

// Set Chunk Size / Abort / Acknowledgement / Window Ack Size payloads: a 4-byte big-endian value
// (trailing bytes ignored). For Set Chunk Size the top bit must be 0: callers check.
std::optional<uint32_t> parse_u32(ByteView payload);

struct PeerBandwidth {
  uint32_t size = 0;
  uint8_t limit_type = 0;
};

// Needs 5 bytes; a limit type other than 0, 1 or 2 is rejected.
std::optional<PeerBandwidth> parse_peer_bandwidth(ByteView payload);

// Decides when to send an Acknowledgement: after each `window` bytes received since the last one.
class AckTracker {
 public:
  // 0 = never acknowledge. Changing the window keeps the position of the last acknowledgement.
  void set_window(uint32_t window) { window_ = window; }
  // total_received: all bytes received on the connection so far (64-bit). Returns the sequence
  // number to acknowledge (total mod 2^32) when the window has been crossed since the last ack,
  // else nullopt.
  std::optional<uint32_t> on_received(uint64_t total_received);
  uint32_t window() const { return window_; }

 private:
  uint32_t window_ = 0;
  uint64_t last_acked_ = 0;
};

}  // namespace rtmp::control
