#include "flv/flv_reader.hpp"

#include <algorithm>
#include <cassert>
#include <string_view>
#include <utility>

namespace rtmp {
namespace {

constexpr uint8_t kFilterBit = 0x20;

bool is_wanted_type(uint8_t type) {
  return type == kFlvTagAudio || type == kFlvTagVideo || type == kFlvTagScript;
}

// Encodes an AMF0 string marker + u16 length + bytes (short strings only).
void put_amf0_string(Bytes& out, std::string_view s) {
  put_u8(out, 0x02);
  put_u16be(out, static_cast<uint16_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

// Whether an AMF0 payload starts with the string value `name`.
bool starts_with_amf0_string(ByteView payload, std::string_view name) {
  if (payload.size() < 3 + name.size() || payload[0] != 0x02) return false;
  if (get_u16be(payload.data() + 1) != name.size()) return false;
  return std::equal(name.begin(), name.end(), payload.begin() + 3,
                    [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; });
}

}  // namespace

FlvReader::FlvReader(FlvReaderLimits limits) : limits_(limits) {}

bool FlvReader::at_tag_boundary() const {
  return (state_ == State::kTagHeader || state_ == State::kHeader) && buf_len_ == 0;
}

void FlvReader::set_error(std::string text) {
  error_ = std::move(text);
  state_ = State::kError;
}

bool FlvReader::fill(ByteView in, size_t* pos, size_t want) {
  const size_t take = std::min(want - buf_len_, in.size() - *pos);
  std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(*pos), take, buf_.begin() + buf_len_);
  buf_len_ += take;
  *pos += take;
  return buf_len_ == want;
}

FlvReader::Status FlvReader::feed(ByteView in, std::vector<FlvTag>& out) {
  out_ = &out;
  shared_out_ = nullptr;
  owner_ = nullptr;
  return run(in);
}

FlvReader::Status FlvReader::feed(ByteView in, const PayloadOwner& owner,
                                  std::vector<SharedTag>& out) {
  out_ = nullptr;
  shared_out_ = &out;
  owner_ = &owner;
  Status s = run(in);
  owner_ = nullptr;
  return s;
}

FlvReader::Status FlvReader::run(ByteView in) {
  size_t pos = 0;
  while (pos < in.size() && state_ != State::kError) {
    switch (state_) {
      case State::kHeader:
        step_header(in, &pos);
        break;
      case State::kHeaderSkip:
        step_skip(in, &pos, State::kPreviousSize);
        break;
      case State::kPreviousSize:
        step_previous_size(in, &pos);
        break;
      case State::kTagHeader:
        step_tag_header(in, &pos);
        break;
      case State::kTagData:
        step_tag_data(in, &pos);
        break;
      case State::kSkipData:
        step_skip(in, &pos, State::kPreviousSize);
        break;
      case State::kError:
        break;
    }
  }
  return state_ == State::kError ? Status::kError : Status::kOk;
}

void FlvReader::step_header(ByteView in, size_t* pos) {
  const bool complete = fill(in, pos, kFlvHeaderSize);
  // Check the signature as soon as its bytes arrive, so non-FLV input fails early.
  if (!std::equal(buf_.begin(), buf_.begin() + std::min<size_t>(buf_len_, 3), kFlvSignature)) {
    set_error("not an FLV stream: bad signature (expected \"FLV\")");
    return;
  }
  if (!complete) return;
  FlvHeader header;
  header.version = buf_[3];
  header.has_audio = (buf_[4] & kFlvFlagAudio) != 0;
  header.has_video = (buf_[4] & kFlvFlagVideo) != 0;
  header.data_offset = get_u32be(buf_.data() + 5);
  buf_len_ = 0;
  if (header.data_offset < kFlvHeaderSize) {
    set_error("bad FLV header: data offset " + std::to_string(header.data_offset) +
              " is less than 9");
    return;
  }
  header_ = header;
  header_seen_ = true;
  expected_previous_size_ = 0;
  skip_remaining_ = header.data_offset - kFlvHeaderSize;
  state_ = skip_remaining_ > 0 ? State::kHeaderSkip : State::kPreviousSize;
}

void FlvReader::step_skip(ByteView in, size_t* pos, State next) {
  const uint64_t take = std::min<uint64_t>(skip_remaining_, in.size() - *pos);
  *pos += static_cast<size_t>(take);
  skip_remaining_ -= take;
  if (skip_remaining_ == 0) state_ = next;
}

void FlvReader::step_previous_size(ByteView in, size_t* pos) {
  if (!fill(in, pos, 4)) return;
  if (get_u32be(buf_.data()) != expected_previous_size_) ++previous_size_mismatches_;
  buf_len_ = 0;
  state_ = State::kTagHeader;
}

void FlvReader::step_tag_header(ByteView in, size_t* pos) {
  if (buf_len_ < 3) {
    if (!fill(in, pos, 3)) return;
    // 0x46 ('F') is not a valid tag type, so "FLV" here is a new header (a restarted stream).
    if (std::equal(buf_.begin(), buf_.begin() + 3, kFlvSignature)) {
      state_ = State::kHeader;
      return;
    }
  }
  if (!fill(in, pos, kFlvTagHeaderSize)) return;
  start_tag();
}

void FlvReader::start_tag() {
  const uint8_t type = buf_[0];
  const uint32_t size = get_u24be(buf_.data() + 1);
  const uint32_t timestamp = get_u24be(buf_.data() + 4) | (uint32_t{buf_[7]} << 24);
  const uint32_t stream_id = get_u24be(buf_.data() + 8);
  buf_len_ = 0;
  if ((type & kFilterBit) != 0) {
    set_error("encrypted or filtered FLV tags are not supported (tag type byte " +
              std::to_string(type) + ")");
    return;
  }
  if (size > limits_.max_tag_size) {
    set_error("FLV tag of " + std::to_string(size) + " bytes exceeds the limit of " +
              std::to_string(limits_.max_tag_size));
    return;
  }
  expected_previous_size_ = static_cast<uint32_t>(kFlvTagHeaderSize) + size;
  if (!is_wanted_type(type)) {
    ++skipped_tags_;
    skip_remaining_ = size;
    state_ = size > 0 ? State::kSkipData : State::kPreviousSize;
    return;
  }
  if (shared_out_) {
    shared_tag_ = SharedTag{type, timestamp, stream_id, Payload()};
  } else {
    tag_ = FlvTag{type, timestamp, stream_id, Bytes{}};
    tag_.data.reserve(size);
  }
  data_remaining_ = size;
  if (size == 0)
    emit_tag();
  else
    state_ = State::kTagData;
}

void FlvReader::step_tag_data(ByteView in, size_t* pos) {
  const size_t take = std::min<size_t>(data_remaining_, in.size() - *pos);
  ByteView piece = in.subspan(*pos, take);
  if (shared_out_)
    shared_tag_.data.append(*owner_, piece);  // a view: the owner keeps the bytes
  else
    tag_.data.insert(tag_.data.end(), piece.begin(), piece.end());
  *pos += take;
  data_remaining_ -= static_cast<uint32_t>(take);
  if (data_remaining_ == 0) emit_tag();
}

void FlvReader::emit_tag() {
  if (shared_out_) {
    shared_out_->push_back(std::move(shared_tag_));
    shared_tag_ = SharedTag{};
  } else {
    out_->push_back(std::move(tag_));
    tag_ = FlvTag{};
  }
  state_ = State::kPreviousSize;
}

namespace {

uint32_t chunk_stream_for(uint8_t tag_type) {
  if (tag_type == kFlvTagAudio) return csid::kAudio;
  if (tag_type == kFlvTagVideo) return csid::kVideo;
  return csid::kData;
}

constexpr std::string_view kSetDataFrame = "@setDataFrame";

}  // namespace

Message tag_to_message(FlvTag&& tag, uint32_t stream_id) {
  Message msg;
  msg.type = tag.type;
  msg.timestamp = tag.timestamp;
  msg.stream_id = stream_id;
  msg.chunk_stream = chunk_stream_for(tag.type);
  if (tag.type == kFlvTagScript && starts_with_amf0_string(tag.data, "onMetaData")) {
    msg.payload.reserve(3 + kSetDataFrame.size() + tag.data.size());
    put_amf0_string(msg.payload, kSetDataFrame);
    put_bytes(msg.payload, tag.data);
  } else {
    msg.payload = std::move(tag.data);
  }
  return msg;
}

MediaMessage tag_to_message(SharedTag&& tag, uint32_t stream_id) {
  MediaMessage msg;
  msg.type = tag.type;
  msg.timestamp = tag.timestamp;
  msg.stream_id = stream_id;
  msg.chunk_stream = chunk_stream_for(tag.type);
  uint8_t scratch[32];
  if (tag.type == kFlvTagScript &&
      starts_with_amf0_string(tag.data.front(16, scratch), "onMetaData")) {
    Bytes prefix;
    put_amf0_string(prefix, kSetDataFrame);
    tag.data.prepend_copy(prefix);
  }
  msg.payload = std::move(tag.data);
  return msg;
}

}  // namespace rtmp
