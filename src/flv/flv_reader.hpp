// FLV parsing: an FLV byte stream (a file, or a muxer's output) split into tags, and tags turned
// into RTMP messages for publishing. flv_writer.hpp writes FLV.
//
// FLV layout: header "FLV" version(1) flags(1: 0x04 audio, 0x01 video) data_offset(u32 BE), then
// PreviousTagSize0 (u32, 0), then repeated { tag header (11 bytes: type, u24 size, u24 timestamp,
// u8 timestamp upper byte, u24 stream id), data, PreviousTagSize (u32: 11 + size) }.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "flv/flv_format.hpp"
#include "rtmp/message.hpp"
#include "rtmp/payload.hpp"
#include "util/bytes.hpp"

namespace rtmp {

struct FlvHeader {
  uint8_t version = 1;
  bool has_audio = false;
  bool has_video = false;
  uint32_t data_offset = 9;

  bool operator==(const FlvHeader&) const = default;
};

struct FlvTag {
  uint8_t type = 0;        // 8 audio, 9 video, 18 script
  uint32_t timestamp = 0;  // milliseconds, including the extended (upper) byte
  uint32_t stream_id = 0;
  Bytes data;

  bool operator==(const FlvTag&) const = default;
};

// A tag whose data stays in the memory it was read from (zero-copy publishing): the pieces of
// the input buffers it spans, each kept alive by that buffer's owner.
struct SharedTag {
  uint8_t type = 0;
  uint32_t timestamp = 0;
  uint32_t stream_id = 0;
  Payload data;
};

struct FlvReaderLimits {
  uint32_t max_tag_size = 16 * 1024 * 1024;
};

class FlvReader {
 public:
  enum class Status { kOk, kError };

  explicit FlvReader(FlvReaderLimits limits = {});

  // Consumes all of `in` (split anywhere) and appends complete tags of types 8, 9 and 18 to `out`;
  // a tag is appended as soon as its data is complete (before its PreviousTagSize). The stream
  // must start with an FLV header; at a tag boundary "FLV" starts a new header. Tags of other
  // types are skipped and counted; a PreviousTagSize disagreeing with its tag is counted. Errors
  // (sticky): bad signature, data offset < 9, tag larger than max_tag_size (checked on the tag
  // header, before buffering), encrypted/filtered tags (bit 0x20 of the type byte).
  Status feed(ByteView in, std::vector<FlvTag>& out);
  // The same, without copying tag data: the tags' data are views into `in`, which `owner` keeps
  // alive (a tag spanning several inputs has a piece of each). Use one of the two feeds per
  // reader.
  Status feed(ByteView in, const PayloadOwner& owner, std::vector<SharedTag>& out);

  const std::string& error() const { return error_; }
  bool header_seen() const { return header_seen_; }
  const FlvHeader& header() const { return header_; }  // the latest header seen
  uint64_t skipped_tags() const { return skipped_tags_; }
  uint64_t previous_size_mismatches() const { return previous_size_mismatches_; }
  // True when no partial header, tag or PreviousTagSize is pending: the input so far ended on a
  // clean boundary (useful to tell a truncated file at end of stream).
  bool at_tag_boundary() const;

 private:
  enum class State { kHeader, kHeaderSkip, kPreviousSize, kTagHeader, kTagData, kSkipData, kError };

  bool fill(ByteView in, size_t* pos, size_t want);
  Status run(ByteView in);
  void step_header(ByteView in, size_t* pos);
  void step_tag_header(ByteView in, size_t* pos);
  void start_tag();
  void step_tag_data(ByteView in, size_t* pos);
  void emit_tag();
  void step_skip(ByteView in, size_t* pos, State next);
  void step_previous_size(ByteView in, size_t* pos);
  void set_error(std::string text);

  FlvReaderLimits limits_;
  State state_ = State::kHeader;
  std::array<uint8_t, kFlvTagHeaderSize> buf_{};  // partial header / tag header / size field
  size_t buf_len_ = 0;
  uint64_t skip_remaining_ = 0;          // header padding or skipped tag data still to drop
  uint32_t expected_previous_size_ = 0;  // what the next PreviousTagSize should be
  uint32_t data_remaining_ = 0;          // bytes of tag_.data still to come
  FlvTag tag_;
  SharedTag shared_tag_;
  // Where the feed under way puts tags (one of the two), and the owner of its input.
  std::vector<FlvTag>* out_ = nullptr;
  std::vector<SharedTag>* shared_out_ = nullptr;
  const PayloadOwner* owner_ = nullptr;
  FlvHeader header_;
  bool header_seen_ = false;
  uint64_t skipped_tags_ = 0;
  uint64_t previous_size_mismatches_ = 0;
  std::string error_;
};

// Publishing: the RTMP message for a tag. Audio -> type 8 on csid::kAudio, video -> type 9 on
// csid::kVideo, anything else (script) -> its type on csid::kData. A script tag whose first AMF0
// value is the string "onMetaData" is prefixed with the AMF0 string "@setDataFrame".
Message tag_to_message(FlvTag&& tag, uint32_t stream_id);
// The same for a tag read without copying: the message's payload is the tag's pieces (a
// metadata tag gets its "@setDataFrame" prefix as a small copied piece).
MediaMessage tag_to_message(SharedTag&& tag, uint32_t stream_id);

}  // namespace rtmp
