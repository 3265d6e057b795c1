// An RTMP message: the unit the chunk layer reassembles and splits.
#pragma once

#include <cstdint>

#include "rtmp/payload.hpp"
#include "util/bytes.hpp"

namespace rtmp {

enum class MessageType : uint8_t {
  kSetChunkSize = 1,
  kAbort = 2,
  kAcknowledgement = 3,
  kUserControl = 4,
  kWindowAckSize = 5,
  kSetPeerBandwidth = 6,
  kAudio = 8,
  kVideo = 9,
  kDataAmf3 = 15,
  kSharedObjectAmf3 = 16,
  kCommandAmf3 = 17,
  kDataAmf0 = 18,
  kSharedObjectAmf0 = 19,
  kCommandAmf0 = 20,
  kAggregate = 22,
};

// Chunk stream ids used by this client, following common practice (librtmp, rtmp2, FFmpeg).
namespace csid {
inline constexpr uint32_t kProtocolControl = 2;
inline constexpr uint32_t kCommand = 3;
inline constexpr uint32_t kAudio = 4;
inline constexpr uint32_t kVideo = 6;
inline constexpr uint32_t kData = 5;
}  // namespace csid

struct Message {
  uint8_t type = 0;           // MessageType value; unknown types are kept, not rejected
  uint32_t timestamp = 0;     // absolute timestamp in milliseconds (32-bit, wraps)
  uint32_t stream_id = 0;     // message stream id
  uint32_t chunk_stream = 0;  // chunk stream id it arrived on, or to send it on
  Bytes payload;
};

// A message on its way out whose payload stays in its owners' memory (zero-copy publishing:
// the pieces of the pipeline's buffers a tag spans).
struct MediaMessage {
  uint8_t type = 0;
  uint32_t timestamp = 0;
  uint32_t stream_id = 0;
  uint32_t chunk_stream = 0;
  Payload payload;

  MediaMessage() = default;
  // From a message with its own bytes (one owned piece).
  explicit MediaMessage(Message&& m)
      : type(m.type),
        timestamp(m.timestamp),
        stream_id(m.stream_id),
        chunk_stream(m.chunk_stream),
        payload(std::move(m.payload)) {}
  // A copy with its bytes in one buffer (for what is kept, such as sequence headers, and tests).
  Message to_message() const {
    return Message{type, timestamp, stream_id, chunk_stream, payload.to_bytes()};
  }
};

}  // namespace rtmp
