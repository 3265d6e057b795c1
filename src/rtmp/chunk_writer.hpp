// Splits RTMP messages into chunks (RTMP 1.0 spec, section 5.3), compressing chunk message headers
// per chunk stream.
//
// Header format, relative to the previous message written on the same chunk stream:
//   fmt 0  first message on the chunk stream, a different message stream id, or a timestamp lower
//          than the previous one (absolute timestamp; wraparound is thus sent as fmt 0);
//   fmt 1  same message stream id (timestamp delta, length, type);
//   fmt 2  also the same length and type (timestamp delta only);
//   fmt 3  also the same delta as the previous message, provided that delta was carried by a
//          fmt 1 or fmt 2 header. fmt 3 is never used for a message right after a fmt 0 header,
//          because readers disagree on the delta a fmt 0 header implies.
// A timestamp or delta >= 0xFFFFFF is written as 0xFFFFFF plus a 4-byte extended timestamp. Every
// fmt 3 chunk on a chunk stream whose last fmt 0/1/2 header carried an extended timestamp repeats
// that 4-byte value: continuation chunks (as FFmpeg, nginx-rtmp and the spec errata expect) and
// header-less new messages (whose delta equals that value by construction).
#pragma once

#include <cstdint>
#include <unordered_map>

#include "rtmp/message.hpp"
#include "rtmp/output_queue.hpp"
#include "rtmp/payload.hpp"
#include "util/bytes.hpp"

namespace rtmp {

class ChunkWriter {
 public:
  static constexpr uint32_t kDefaultChunkSize = 128;
  static constexpr uint32_t kMinChunkStream = 2;
  static constexpr uint32_t kMaxChunkStream = 65599;
  static constexpr uint32_t kMaxChunkSize = 0x7FFFFFFF;
  static constexpr uint32_t kMaxMessageLength = 0xFFFFFF;

  // Appends the chunks of one message to `out`. Chunk stream id 2..65599 (basic header of 1, 2
  // or 3 bytes as needed). False for a chunk stream id out of range or a payload longer than
  // 0xFFFFFF bytes (the 24-bit length field); nothing is written then.
  [[nodiscard]] bool write(uint32_t chunk_stream, uint8_t type, uint32_t timestamp,
                           uint32_t stream_id, ByteView payload, Bytes& out);
  [[nodiscard]] bool write(const Message& m, Bytes& out) {
    return write(m.chunk_stream, m.type, m.timestamp, m.stream_id, m.payload, out);
  }
  // The same chunks appended to an output queue, the payload copied.
  [[nodiscard]] bool write(const Message& m, OutputQueue& out);
  // The same, taking the payload: chunk payload pieces of at least kMinReferencedPiece bytes
  // are queued as references into it (never copied); shorter ones are copied with the headers.
  // When it returns false, `payload` and `out` are unchanged.
  [[nodiscard]] bool write(uint32_t chunk_stream, uint8_t type, uint32_t timestamp,
                           uint32_t stream_id, Bytes&& payload, OutputQueue& out);
  static constexpr size_t kMinReferencedPiece = 512;
  // The same for a payload in pieces others own (zero-copy publish): each chunk's share of a
  // piece is queued as a reference that keeps the piece's owner alive until it is written;
  // shares shorter than kMinReferencedPiece are copied (an iovec costs more than the copy).
  [[nodiscard]] bool write(uint32_t chunk_stream, uint8_t type, uint32_t timestamp,
                           uint32_t stream_id, const Payload& payload, OutputQueue& out);
  // Appends a Set Chunk Size message (chunk stream 2, message stream 0, timestamp 0, written with
  // the current size) and then uses `size` for later messages. False (nothing written or
  // changed) unless 1 <= size <= 0x7FFFFFFF.
  [[nodiscard]] bool set_chunk_size(uint32_t size, Bytes& out);
  [[nodiscard]] bool set_chunk_size(uint32_t size, OutputQueue& out);
  uint32_t chunk_size() const { return chunk_size_; }
  // New connection: forgets every chunk stream's compression state, returns to the default chunk
  // size and zeroes messages_written(). Keeps nothing.
  void reset();
  uint64_t messages_written() const { return messages_written_; }

 private:
  struct StreamState {
    uint32_t stream_id = 0;
    uint32_t length = 0;
    uint8_t type = 0;
    uint32_t timestamp = 0;
    uint32_t delta = 0;
    bool delta_established = false;  // delta was carried by a fmt 1/2 header
    bool extended = false;           // last fmt 0/1/2 header carried an extended timestamp
    uint32_t extended_value = 0;
  };
  struct Plan {
    uint8_t fmt = 0;
    uint32_t field = 0;  // timestamp (fmt 0) or delta (fmt 1, 2, 3)
    bool extended = false;
    uint32_t extended_value = 0;
  };

  // The longest chunk header: 3-byte basic header, 11-byte message header, extended timestamp.
  struct Header {
    uint8_t bytes[18];
    uint8_t size = 0;
  };
  // One message's chunk headers: the first and the one every continuation chunk repeats.
  struct Headers {
    Header first;
    Header continuation;
    size_t chunks = 1;
  };

  static Plan plan(const StreamState* prev, uint8_t type, uint32_t timestamp, uint32_t stream_id,
                   uint32_t length);
  static void update(StreamState& st, const Plan& p, uint8_t type, uint32_t timestamp,
                     uint32_t stream_id, uint32_t length);
  static bool valid(uint32_t chunk_stream, size_t length);
  // Computes the headers of a valid message without changing any state.
  Headers prepare(uint32_t chunk_stream, uint8_t type, uint32_t timestamp, uint32_t stream_id,
                  size_t length, Plan* p) const;
  // Records the message as written.
  void commit(uint32_t chunk_stream, const Plan& p, uint8_t type, uint32_t timestamp,
              uint32_t stream_id, uint32_t length);
  template <class Sink>
  void emit(const Headers& h, size_t length, Sink& sink) const;

  std::unordered_map<uint32_t, StreamState> streams_;
  uint32_t chunk_size_ = kDefaultChunkSize;
  uint64_t messages_written_ = 0;
};

}  // namespace rtmp
