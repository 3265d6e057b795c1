// Reassembles RTMP messages from a chunk stream (RTMP 1.0 spec, section 5.3). Sans-I/O: bytes in,
// messages out; any split of the input gives the same messages.
//
// Interpretation choices:
//  * fmt 3 starting a new message reuses the previous header on that chunk stream and adds the
//    previous timestamp delta. The delta is the one carried by the last fmt 1/2 header; a fmt 0
//    header resets it to 0, so a fmt 3 message right after a fmt 0 one gets the same timestamp.
//    (The spec says the fmt 0 timestamp itself becomes the delta, which FFmpeg implements and
//    which doubles absolute timestamps; no peer means that, and ChunkWriter never sends it.)
//  * Extended timestamps on fmt 3 chunks: when the last fmt 0/1/2 header on the chunk stream
//    carried an extended timestamp, the 4 bytes after a fmt 3 basic header are taken as the
//    repeated extended timestamp only if they equal that header's extended value; otherwise they
//    are payload (peers that do not repeat it). This is the FFmpeg/librtmp heuristic; the reader
//    waits for those 4 bytes before deciding, so splitting the input never changes the result.
//  * A fmt 0/1/2 header on a chunk stream with a partially received message discards that
//    partial message (as if aborted) and starts a new one.
//  * Set Chunk Size and Abort are honoured on any chunk stream / message stream. A Set Chunk
//    Size or Abort payload shorter than 4 bytes, or a chunk size of 0 or with the top bit set,
//    is a protocol error.
//  * Timestamps are 32-bit: deltas wrap around modulo 2^32.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "rtmp/message.hpp"
#include "util/bytes.hpp"

namespace rtmp {

struct ChunkReaderLimits {
  // A header announcing more is an error (checked when the header arrives, before allocating).
  uint32_t max_message_size = 8 * 1024 * 1024;
  // Distinct chunk stream ids with state; more is an error.
  size_t max_chunk_streams = 64;
  // Sum of partially received message payloads across chunk streams.
  size_t max_buffered_bytes = 32 * 1024 * 1024;
};

class ChunkReader {
 public:
  enum class Status { kOk, kError };
  static constexpr uint32_t kDefaultChunkSize = 128;

  explicit ChunkReader(ChunkReaderLimits limits = {});

  // Consumes all of `in`, buffering a partial chunk header internally, and appends every
  // completed message to `out` (with chunk_stream set). Set Chunk Size (type 1) and Abort (type 2)
  // messages are applied by the reader itself as soon as they complete, and are also appended to
  // `out`. On a protocol violation returns kError, sets error(), and stays failed (later feeds
  // return kError). Messages completed before the violation are still appended.
  Status feed(ByteView in, std::vector<Message>& out);
  const std::string& error() const { return error_; }
  uint32_t chunk_size() const { return chunk_size_; }          // current incoming chunk size
  uint64_t bytes_received() const { return bytes_received_; }  // total bytes fed

 private:
  struct StreamState {
    uint32_t timestamp = 0;  // timestamp of the last message started on this chunk stream
    uint32_t delta = 0;
    uint32_t length = 0;
    uint8_t type = 0;
    uint32_t stream_id = 0;
    bool extended = false;  // last fmt 0/1/2 header carried an extended timestamp
    uint32_t extended_value = 0;
    bool in_progress = false;  // a message is partially received
    Bytes payload;
  };
  enum class Step { kProgress, kNeedMore, kError };
  // Longest chunk header: 3-byte basic header, 11-byte message header, extended timestamp.
  static constexpr size_t kMaxHeaderSize = 18;

  size_t available() const { return carry_len_ + (in_.size() - pos_); }
  uint8_t peek(size_t i) const;
  void consume(size_t n);
  void append_payload(StreamState& st, size_t n);
  Step parse_header(std::vector<Message>& out);
  Step apply_header(uint8_t fmt, uint32_t cs, const uint8_t* mh, size_t header_size,
                    std::vector<Message>& out);
  Step read_payload(std::vector<Message>& out);
  Step start_message(StreamState& st, uint32_t cs, std::vector<Message>& out);
  Step complete_message(StreamState& st, uint32_t cs, std::vector<Message>& out);
  Step apply_control(const Message& m);
  void discard_partial(StreamState& st);
  Step fail(std::string message);
  // The chunk stream's state, or null if it has none yet; create() adds it (null and error
  // when over max_chunk_streams).
  StreamState* find(uint32_t cs);
  StreamState* create(uint32_t cs);

  // Chunk streams 2..63 (one-byte basic header: every stream peers actually use) live in a fixed
  // array, found without hashing for every chunk; the others in a map.
  static constexpr uint32_t kDirectStreams = 64;

  ChunkReaderLimits limits_;
  std::array<StreamState, kDirectStreams> direct_{};
  std::array<bool, kDirectStreams> direct_used_{};
  std::unordered_map<uint32_t, StreamState> streams_;
  size_t streams_in_use_ = 0;
  uint32_t chunk_size_ = kDefaultChunkSize;
  uint64_t bytes_received_ = 0;
  size_t buffered_ = 0;  // bytes held in partial message payloads
  bool failed_ = false;
  std::string error_;

  // Unconsumed bytes of an incomplete chunk header, carried over to the next feed.
  std::array<uint8_t, kMaxHeaderSize> carry_{};
  size_t carry_len_ = 0;
  // The input of the current feed() call and how much of it is consumed.
  ByteView in_;
  size_t pos_ = 0;

  // Payload part of the current chunk.
  bool in_payload_ = false;
  uint32_t current_cs_ = 0;
  StreamState* current_ = nullptr;  // in direct_ or streams_ (node-based): stable address
  uint32_t chunk_left_ = 0;
};

}  // namespace rtmp
