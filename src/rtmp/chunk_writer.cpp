#include "rtmp/chunk_writer.hpp"

#include <algorithm>
#include <stdexcept>

namespace rtmp {

namespace {

constexpr uint32_t kExtendedMarker = 0xFFFFFF;
constexpr size_t kMessageHeaderSize[4] = {11, 7, 3, 0};

size_t basic_header_size(uint32_t cs) {
  if (cs < 64) return 1;
  if (cs < 320) return 2;
  return 3;
}

void put_basic_header(Bytes& out, uint8_t fmt, uint32_t cs) {
  const auto top = static_cast<uint8_t>(fmt << 6);
  if (cs < 64) {
    put_u8(out, static_cast<uint8_t>(top | cs));
  } else if (cs < 320) {
    put_u8(out, top);
    put_u8(out, static_cast<uint8_t>(cs - 64));
  } else {
    put_u8(out, static_cast<uint8_t>(top | 1));
    put_u8(out, static_cast<uint8_t>((cs - 64) & 0xFF));
    put_u8(out, static_cast<uint8_t>((cs - 64) >> 8));
  }
}

}  // namespace

ChunkWriter::Plan ChunkWriter::plan(const StreamState* prev, uint8_t type, uint32_t timestamp,
                                    uint32_t stream_id, uint32_t length) {
  Plan p;
  if (prev == nullptr || prev->stream_id != stream_id || timestamp < prev->timestamp) {
    p.fmt = 0;
    p.field = timestamp;
  } else {
    p.field = timestamp - prev->timestamp;
    if (prev->length != length || prev->type != type) {
      p.fmt = 1;
    } else if (prev->delta_established && prev->delta == p.field) {
      p.fmt = 3;
    } else {
      p.fmt = 2;
    }
  }
  if (p.fmt == 3) {
    p.extended = prev->extended;
    p.extended_value = prev->extended_value;
  } else {
    p.extended = p.field >= kExtendedMarker;
    p.extended_value = p.field;
  }
  return p;
}

void ChunkWriter::update(StreamState& st, const Plan& p, uint8_t type, uint32_t timestamp,
                         uint32_t stream_id, uint32_t length) {
  st.timestamp = timestamp;
  if (p.fmt == 3) return;
  st.stream_id = stream_id;
  st.length = length;
  st.type = type;
  st.delta = p.fmt == 0 ? 0 : p.field;
  st.delta_established = p.fmt != 0;
  st.extended = p.extended;
  st.extended_value = p.extended_value;
}

void ChunkWriter::write(uint32_t chunk_stream, uint8_t type, uint32_t timestamp, uint32_t stream_id,
                        ByteView payload, Bytes& out) {
  if (chunk_stream < kMinChunkStream || chunk_stream > kMaxChunkStream) {
    throw std::invalid_argument("rtmp::ChunkWriter: chunk stream id out of range 2..65599");
  }
  if (payload.size() > kMaxMessageLength) {
    throw std::invalid_argument("rtmp::ChunkWriter: message longer than 0xFFFFFF bytes");
  }
  const auto length = static_cast<uint32_t>(payload.size());
  auto it = streams_.find(chunk_stream);
  const StreamState* prev = it == streams_.end() ? nullptr : &it->second;
  const Plan p = plan(prev, type, timestamp, stream_id, length);

  const size_t basic = basic_header_size(chunk_stream);
  const size_t ext = p.extended ? 4 : 0;
  const size_t chunks = length == 0 ? 1 : (size_t{length} + chunk_size_ - 1) / chunk_size_;
  out.reserve(out.size() + basic + kMessageHeaderSize[p.fmt] + ext + (chunks - 1) * (basic + ext) +
              length);

  put_basic_header(out, p.fmt, chunk_stream);
  if (p.fmt < 3) put_u24be(out, p.extended ? kExtendedMarker : p.field);
  if (p.fmt < 2) {
    put_u24be(out, length);
    put_u8(out, type);
  }
  if (p.fmt == 0) put_u32le(out, stream_id);
  if (p.extended) put_u32be(out, p.extended_value);

  size_t offset = 0;
  for (size_t i = 0; i < chunks; ++i) {
    if (i > 0) {
      put_basic_header(out, 3, chunk_stream);
      if (p.extended) put_u32be(out, p.extended_value);
    }
    const size_t n = std::min<size_t>(chunk_size_, length - offset);
    put_bytes(out, payload.subspan(offset, n));
    offset += n;
  }

  update(streams_[chunk_stream], p, type, timestamp, stream_id, length);
  ++messages_written_;
}

void ChunkWriter::set_chunk_size(uint32_t size, Bytes& out) {
  if (size < 1 || size > kMaxChunkSize) {
    throw std::invalid_argument("rtmp::ChunkWriter: chunk size out of range 1..0x7FFFFFFF");
  }
  const uint8_t payload[4] = {static_cast<uint8_t>(size >> 24), static_cast<uint8_t>(size >> 16),
                              static_cast<uint8_t>(size >> 8), static_cast<uint8_t>(size)};
  write(csid::kProtocolControl, static_cast<uint8_t>(MessageType::kSetChunkSize), 0, 0, payload,
        out);
  chunk_size_ = size;
}

void ChunkWriter::reset() {
  streams_.clear();
  chunk_size_ = kDefaultChunkSize;
  messages_written_ = 0;
}

}  // namespace rtmp
