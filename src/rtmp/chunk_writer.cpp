#include "rtmp/chunk_writer.hpp"

#include <algorithm>

namespace rtmp {

namespace {

constexpr uint32_t kExtendedMarker = 0xFFFFFF;
constexpr size_t kMessageHeaderSize[4] = {11, 7, 3, 0};

// Writes the basic header (1, 2 or 3 bytes) at `p`; returns its size.
size_t put_basic_header(uint8_t* p, uint8_t fmt, uint32_t cs) {
  const auto top = static_cast<uint8_t>(fmt << 6);
  if (cs < 64) {
    p[0] = static_cast<uint8_t>(top | cs);
    return 1;
  }
  if (cs < 320) {
    p[0] = top;
    p[1] = static_cast<uint8_t>(cs - 64);
    return 2;
  }
  p[0] = static_cast<uint8_t>(top | 1);
  p[1] = static_cast<uint8_t>((cs - 64) & 0xFF);
  p[2] = static_cast<uint8_t>((cs - 64) >> 8);
  return 3;
}

void put24(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 16);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v);
}

void put32be(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  put24(p + 1, v);
}

void put32le(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

// Everything copied into one contiguous buffer.
struct BytesSink {
  Bytes& out;
  ByteView payload;
  void header(const uint8_t* p, size_t n) { out.insert(out.end(), p, p + n); }
  void piece(size_t offset, size_t n) { put_bytes(out, payload.subspan(offset, n)); }
};

// Headers copied into the queue; payload pieces copied, or referenced when `handle` is set.
struct QueueSink {
  OutputQueue& out;
  ByteView payload;
  OutputQueue::Handle handle;
  bool reference;
  void header(const uint8_t* p, size_t n) { out.append_copy(ByteView(p, n)); }
  void piece(size_t offset, size_t n) {
    if (reference && n >= ChunkWriter::kMinReferencedPiece)
      out.append_ref(handle, offset, n);
    else
      out.append_copy(payload.subspan(offset, n));
  }
};

// A Payload's pieces: each chunk's share of them referenced in the queue (copied when shorter
// than kMinReferencedPiece, where an iovec costs more than the copy).
struct PiecesSink {
  OutputQueue& out;
  const std::vector<Payload::Piece>& pieces;
  std::vector<OutputQueue::Handle> handles;
  size_t index = 0;        // the piece the next chunk's bytes start in
  size_t index_start = 0;  // its offset in the payload
  void header(const uint8_t* p, size_t n) { out.append_copy(ByteView(p, n)); }
  void piece(size_t offset, size_t n) {
    while (n > 0) {
      while (offset >= index_start + pieces[index].bytes.size())
        index_start += pieces[index++].bytes.size();
      ByteView bytes = pieces[index].bytes;
      size_t at = offset - index_start;
      size_t take = std::min(n, bytes.size() - at);
      if (take >= ChunkWriter::kMinReferencedPiece) {
        if (handles[index] == OutputQueue::kNoHandle)
          handles[index] = out.adopt(pieces[index].owner, bytes);
        out.append_ref(handles[index], at, take);
      } else {
        out.append_copy(bytes.subspan(at, take));
      }
      offset += take;
      n -= take;
    }
  }
};

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

bool ChunkWriter::valid(uint32_t chunk_stream, size_t length) {
  return chunk_stream >= kMinChunkStream && chunk_stream <= kMaxChunkStream &&
         length <= kMaxMessageLength;
}

ChunkWriter::Headers ChunkWriter::prepare(uint32_t chunk_stream, uint8_t type, uint32_t timestamp,
                                          uint32_t stream_id, size_t length, Plan* p) const {
  const auto len = static_cast<uint32_t>(length);
  auto it = streams_.find(chunk_stream);
  *p = plan(it == streams_.end() ? nullptr : &it->second, type, timestamp, stream_id, len);

  Headers h;
  uint8_t* f = h.first.bytes;
  size_t n = put_basic_header(f, p->fmt, chunk_stream);
  if (p->fmt < 3) put24(f + n, p->extended ? kExtendedMarker : p->field);
  if (p->fmt < 2) {
    put24(f + n + 3, len);
    f[n + 6] = type;
  }
  if (p->fmt == 0) put32le(f + n + 7, stream_id);
  n += kMessageHeaderSize[p->fmt];
  if (p->extended) {
    put32be(f + n, p->extended_value);
    n += 4;
  }
  h.first.size = static_cast<uint8_t>(n);

  uint8_t* c = h.continuation.bytes;
  n = put_basic_header(c, 3, chunk_stream);
  if (p->extended) {
    put32be(c + n, p->extended_value);
    n += 4;
  }
  h.continuation.size = static_cast<uint8_t>(n);
  h.chunks = len == 0 ? 1 : (size_t{len} + chunk_size_ - 1) / chunk_size_;
  return h;
}

void ChunkWriter::commit(uint32_t chunk_stream, const Plan& p, uint8_t type, uint32_t timestamp,
                         uint32_t stream_id, uint32_t length) {
  update(streams_[chunk_stream], p, type, timestamp, stream_id, length);
  ++messages_written_;
}

template <class Sink>
void ChunkWriter::emit(const Headers& h, size_t length, Sink& sink) const {
  sink.header(h.first.bytes, h.first.size);
  size_t offset = 0;
  for (size_t i = 0; i < h.chunks; ++i) {
    if (i > 0) sink.header(h.continuation.bytes, h.continuation.size);
    const size_t n = std::min<size_t>(chunk_size_, length - offset);
    if (n > 0) sink.piece(offset, n);
    offset += n;
  }
}

bool ChunkWriter::write(uint32_t chunk_stream, uint8_t type, uint32_t timestamp, uint32_t stream_id,
                        ByteView payload, Bytes& out) {
  if (!valid(chunk_stream, payload.size())) return false;
  Plan p;
  const Headers h = prepare(chunk_stream, type, timestamp, stream_id, payload.size(), &p);
  out.reserve(out.size() + h.first.size + (h.chunks - 1) * h.continuation.size + payload.size());
  BytesSink sink{out, payload};
  emit(h, payload.size(), sink);
  commit(chunk_stream, p, type, timestamp, stream_id, static_cast<uint32_t>(payload.size()));
  return true;
}

bool ChunkWriter::write(const Message& m, OutputQueue& out) {
  if (!valid(m.chunk_stream, m.payload.size())) return false;
  Plan p;
  const Headers h = prepare(m.chunk_stream, m.type, m.timestamp, m.stream_id, m.payload.size(), &p);
  QueueSink sink{out, m.payload, 0, false};
  emit(h, m.payload.size(), sink);
  commit(m.chunk_stream, p, m.type, m.timestamp, m.stream_id,
         static_cast<uint32_t>(m.payload.size()));
  return true;
}

bool ChunkWriter::write(uint32_t chunk_stream, uint8_t type, uint32_t timestamp, uint32_t stream_id,
                        Bytes&& payload, OutputQueue& out) {
  if (!valid(chunk_stream, payload.size())) return false;
  Plan p;
  const Headers h = prepare(chunk_stream, type, timestamp, stream_id, payload.size(), &p);
  const auto length = static_cast<uint32_t>(payload.size());
  // Only worth keeping when at least one piece is referenced (every piece but the last is full).
  const bool reference = std::min<size_t>(chunk_size_, length) >= kMinReferencedPiece;
  QueueSink sink{out, ByteView(payload), 0, reference};  // the heap buffer stays put when moved
  if (reference) sink.handle = out.adopt(std::move(payload));
  emit(h, length, sink);
  commit(chunk_stream, p, type, timestamp, stream_id, length);
  return true;
}

bool ChunkWriter::write(uint32_t chunk_stream, uint8_t type, uint32_t timestamp, uint32_t stream_id,
                        const Payload& payload, OutputQueue& out) {
  if (!valid(chunk_stream, payload.size())) return false;
  Plan p;
  const Headers h = prepare(chunk_stream, type, timestamp, stream_id, payload.size(), &p);
  PiecesSink sink{
      out, payload.pieces(),
      std::vector<OutputQueue::Handle>(payload.pieces().size(), OutputQueue::kNoHandle)};
  emit(h, payload.size(), sink);
  commit(chunk_stream, p, type, timestamp, stream_id, static_cast<uint32_t>(payload.size()));
  return true;
}

bool ChunkWriter::set_chunk_size(uint32_t size, Bytes& out) {
  if (size < 1 || size > kMaxChunkSize) return false;
  const uint8_t payload[4] = {static_cast<uint8_t>(size >> 24), static_cast<uint8_t>(size >> 16),
                              static_cast<uint8_t>(size >> 8), static_cast<uint8_t>(size)};
  if (!write(csid::kProtocolControl, static_cast<uint8_t>(MessageType::kSetChunkSize), 0, 0,
             payload, out))
    return false;
  chunk_size_ = size;
  return true;
}

bool ChunkWriter::set_chunk_size(uint32_t size, OutputQueue& out) {
  Bytes bytes;
  if (!set_chunk_size(size, bytes)) return false;
  out.append_copy(bytes);
  return true;
}

void ChunkWriter::reset() {
  streams_.clear();
  chunk_size_ = kDefaultChunkSize;
  messages_written_ = 0;
}

}  // namespace rtmp
