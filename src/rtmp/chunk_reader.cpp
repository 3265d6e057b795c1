#include "rtmp/chunk_reader.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "rtmp/control.hpp"

namespace rtmp {

namespace {

constexpr uint32_t kExtendedMarker = 0xFFFFFF;
constexpr size_t kMessageHeaderSize[4] = {11, 7, 3, 0};
// Never reserve more than this ahead of the payload bytes actually received.
constexpr size_t kInitialReserve = 64 * 1024;

std::string cs_text(uint32_t cs) {
  return " (chunk stream " + std::to_string(cs) + ")";
}

}  // namespace

ChunkReader::ChunkReader(ChunkReaderLimits limits) : limits_(limits) {}

uint8_t ChunkReader::peek(size_t i) const {
  return i < carry_len_ ? carry_[i] : in_[pos_ + (i - carry_len_)];
}

void ChunkReader::consume(size_t n) {
  const size_t from_carry = std::min(n, carry_len_);
  if (from_carry > 0) {
    std::memmove(carry_.data(), carry_.data() + from_carry, carry_len_ - from_carry);
    carry_len_ -= from_carry;
  }
  pos_ += n - from_carry;
}

ChunkReader::Step ChunkReader::fail(std::string message) {
  failed_ = true;
  error_ = std::move(message);
  return Step::kError;
}

ChunkReader::Status ChunkReader::feed(ByteView in, std::vector<Message>& out) {
  bytes_received_ += in.size();
  if (failed_) return Status::kError;
  in_ = in;
  pos_ = 0;
  Step s = Step::kProgress;
  while (s == Step::kProgress) s = in_payload_ ? read_payload(out) : parse_header(out);
  if (s == Step::kNeedMore) {
    // Only an incomplete header (shorter than kMaxHeaderSize) can be left over.
    const size_t rest = in_.size() - pos_;
    if (rest > 0) std::memcpy(carry_.data() + carry_len_, in_.data() + pos_, rest);
    carry_len_ += rest;
  }
  in_ = ByteView();
  pos_ = 0;
  return s == Step::kError ? Status::kError : Status::kOk;
}

ChunkReader::Step ChunkReader::parse_header(std::vector<Message>& out) {
  const size_t avail = available();
  if (avail < 1) return Step::kNeedMore;
  const uint8_t b0 = peek(0);
  const auto fmt = static_cast<uint8_t>(b0 >> 6);
  const uint32_t low = b0 & 0x3F;
  const size_t basic = low == 0 ? 2 : (low == 1 ? 3 : 1);
  if (avail < basic) return Step::kNeedMore;
  uint32_t cs = low;
  if (low == 0) cs = 64 + uint32_t{peek(1)};
  if (low == 1) cs = 64 + uint32_t{peek(1)} + 256 * uint32_t{peek(2)};
  StreamState* st = find(cs);
  if (fmt != 0 && st == nullptr) {
    return fail("chunk header fmt " + std::to_string(fmt) + " on a chunk stream with no previous " +
                "header" + cs_text(cs));
  }
  const size_t mh_size = kMessageHeaderSize[fmt];
  if (avail < basic + mh_size) return Step::kNeedMore;
  // Message header followed by the (possible) extended timestamp.
  uint8_t mh[kMaxHeaderSize] = {};
  for (size_t i = 0; i < mh_size; ++i) mh[i] = peek(basic + i);
  const bool extended = fmt < 3 ? get_u24be(mh) == kExtendedMarker : st->extended;
  size_t header_size = basic + mh_size;
  if (extended) {
    if (avail < header_size + 4) return Step::kNeedMore;
    for (size_t i = 0; i < 4; ++i) mh[mh_size + i] = peek(header_size + i);
    // fmt 3: the repeated extended timestamp is only recognised by its value (see header).
    if (fmt < 3 || get_u32be(mh + mh_size) == st->extended_value) header_size += 4;
  }
  return apply_header(fmt, cs, mh, header_size, out);
}

ChunkReader::StreamState* ChunkReader::find(uint32_t cs) {
  if (cs < kDirectStreams) return direct_used_[cs] ? &direct_[cs] : nullptr;
  auto it = streams_.find(cs);
  return it == streams_.end() ? nullptr : &it->second;
}

ChunkReader::StreamState* ChunkReader::create(uint32_t cs) {
  if (streams_in_use_ >= limits_.max_chunk_streams) {
    fail("more than " + std::to_string(limits_.max_chunk_streams) + " chunk streams in use" +
         cs_text(cs));
    return nullptr;
  }
  ++streams_in_use_;
  if (cs < kDirectStreams) {
    direct_used_[cs] = true;
    return &direct_[cs];
  }
  return &streams_.emplace(cs, StreamState{}).first->second;
}

ChunkReader::Step ChunkReader::apply_header(uint8_t fmt, uint32_t cs, const uint8_t* mh,
                                            size_t header_size, std::vector<Message>& out) {
  if (fmt < 2) {
    const uint32_t length = get_u24be(mh + 3);
    if (length > limits_.max_message_size) {
      return fail("message length " + std::to_string(length) + " exceeds the limit of " +
                  std::to_string(limits_.max_message_size) + " bytes" + cs_text(cs));
    }
  }
  StreamState* found = find(cs);
  if (found == nullptr && (found = create(cs)) == nullptr) return Step::kError;
  consume(header_size);
  StreamState& st = *found;
  if (fmt == 3) {
    if (st.in_progress) {  // continuation chunk of the partial message
      current_ = &st;
      current_cs_ = cs;
      chunk_left_ = std::min<uint32_t>(chunk_size_, st.length - uint32_t(st.payload.size()));
      in_payload_ = true;
      return Step::kProgress;
    }
    st.timestamp += st.delta;  // new message with the previous header
    return start_message(st, cs, out);
  }
  discard_partial(st);
  const uint32_t field =
      get_u24be(mh) == kExtendedMarker ? get_u32be(mh + kMessageHeaderSize[fmt]) : get_u24be(mh);
  st.extended = get_u24be(mh) == kExtendedMarker;
  st.extended_value = field;
  if (fmt < 2) {
    st.length = get_u24be(mh + 3);
    st.type = mh[6];
  }
  if (fmt == 0) {
    st.stream_id = get_u32le(mh + 7);
    st.timestamp = field;
    st.delta = 0;
  } else {
    st.delta = field;
    st.timestamp += field;
  }
  return start_message(st, cs, out);
}

ChunkReader::Step ChunkReader::start_message(StreamState& st, uint32_t cs,
                                             std::vector<Message>& out) {
  st.payload.clear();
  if (st.length == 0) return complete_message(st, cs, out);
  st.in_progress = true;
  st.payload.reserve(std::min<size_t>(st.length, kInitialReserve));
  current_ = &st;
  current_cs_ = cs;
  chunk_left_ = std::min(chunk_size_, st.length);
  in_payload_ = true;
  return Step::kProgress;
}

void ChunkReader::append_payload(StreamState& st, size_t n) {
  const size_t size = st.payload.size() + n;
  if (size > st.payload.capacity()) {
    // Grow geometrically, but never past the announced length.
    st.payload.reserve(std::min<size_t>(st.length, std::max(size, 2 * st.payload.capacity())));
  }
  const size_t from_carry = std::min(n, carry_len_);
  st.payload.insert(st.payload.end(), carry_.data(), carry_.data() + from_carry);
  const uint8_t* src = in_.data() + pos_;
  st.payload.insert(st.payload.end(), src, src + (n - from_carry));
  consume(n);
}

ChunkReader::Step ChunkReader::read_payload(std::vector<Message>& out) {
  const size_t avail = available();
  if (avail == 0) return Step::kNeedMore;
  const size_t n = std::min<size_t>(chunk_left_, avail);
  if (buffered_ + n > limits_.max_buffered_bytes) {
    return fail("partially received messages exceed the limit of " +
                std::to_string(limits_.max_buffered_bytes) + " buffered bytes" +
                cs_text(current_cs_));
  }
  StreamState& st = *current_;
  append_payload(st, n);
  buffered_ += n;
  chunk_left_ -= static_cast<uint32_t>(n);
  if (chunk_left_ > 0) return Step::kProgress;
  in_payload_ = false;
  current_ = nullptr;
  if (st.payload.size() < st.length) return Step::kProgress;
  return complete_message(st, current_cs_, out);
}

ChunkReader::Step ChunkReader::complete_message(StreamState& st, uint32_t cs,
                                                std::vector<Message>& out) {
  buffered_ -= st.payload.size();
  st.in_progress = false;
  Message m;
  m.type = st.type;
  m.timestamp = st.timestamp;
  m.stream_id = st.stream_id;
  m.chunk_stream = cs;
  m.payload = std::move(st.payload);
  st.payload = Bytes();
  if (apply_control(m) == Step::kError) return Step::kError;
  out.push_back(std::move(m));
  return Step::kProgress;
}

ChunkReader::Step ChunkReader::apply_control(const Message& m) {
  if (m.type == static_cast<uint8_t>(MessageType::kSetChunkSize)) {
    const auto size = control::parse_u32(m.payload);
    if (!size) return fail("Set Chunk Size payload shorter than 4 bytes" + cs_text(m.chunk_stream));
    if (*size == 0 || (*size & 0x80000000u) != 0) {
      return fail("invalid Set Chunk Size " + std::to_string(*size) + " (must be 1..2147483647)" +
                  cs_text(m.chunk_stream));
    }
    chunk_size_ = *size;
  } else if (m.type == static_cast<uint8_t>(MessageType::kAbort)) {
    const auto target = control::parse_u32(m.payload);
    if (!target) return fail("Abort payload shorter than 4 bytes" + cs_text(m.chunk_stream));
    if (StreamState* st = find(*target)) discard_partial(*st);
  }
  return Step::kProgress;
}

void ChunkReader::discard_partial(StreamState& st) {
  if (!st.in_progress) return;
  buffered_ -= st.payload.size();
  Bytes().swap(st.payload);
  st.in_progress = false;
}

}  // namespace rtmp
