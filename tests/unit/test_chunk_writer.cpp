#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "rtmp/chunk_writer.hpp"

namespace {

using rtmp::Bytes;
using rtmp::ChunkWriter;

Bytes filled(size_t n, uint8_t first = 0) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(first + i);
  return b;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes slice(const Bytes& b, size_t offset, size_t n) {
  return Bytes(b.begin() + static_cast<long>(offset), b.begin() + static_cast<long>(offset + n));
}

Bytes write_one(uint32_t cs) {
  ChunkWriter w;
  Bytes out;
  const Bytes payload = {0xAA};
  EXPECT_TRUE(w.write(cs, 20, 0, 0, payload, out));
  return out;
}

const Bytes kFmt0Tail = {0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x14, 0x00, 0x00, 0x00, 0x00, 0xAA};

TEST(ChunkWriter, BasicHeaderOneByte) {
  EXPECT_EQ(write_one(2), cat({{0x02}, kFmt0Tail}));
  EXPECT_EQ(write_one(63), cat({{0x3F}, kFmt0Tail}));
}

TEST(ChunkWriter, BasicHeaderTwoBytes) {
  EXPECT_EQ(write_one(64), cat({{0x00, 0x00}, kFmt0Tail}));
  EXPECT_EQ(write_one(319), cat({{0x00, 0xFF}, kFmt0Tail}));
}

TEST(ChunkWriter, BasicHeaderThreeBytes) {
  EXPECT_EQ(write_one(320), cat({{0x01, 0x00, 0x01}, kFmt0Tail}));
  EXPECT_EQ(write_one(65599), cat({{0x01, 0xFF, 0xFF}, kFmt0Tail}));
}

TEST(ChunkWriter, BasicHeaderOnContinuationChunks) {
  ChunkWriter w;
  Bytes out;
  const Bytes payload = filled(130);
  ASSERT_TRUE(w.write(320, 9, 0, 1, payload, out));
  // 3-byte basic + 11-byte header + 128 bytes, then a fmt 3 3-byte basic header + 2 bytes.
  ASSERT_EQ(out.size(), 3u + 11u + 128u + 3u + 2u);
  EXPECT_EQ(slice(out, 142, 3), (Bytes{0xC1, 0x00, 0x01}));
  EXPECT_EQ(slice(out, 145, 2), slice(payload, 128, 2));
}

TEST(ChunkWriter, RejectsBadChunkStreamIds) {
  ChunkWriter w;
  Bytes out;
  EXPECT_FALSE(w.write(0, 20, 0, 0, {}, out));
  EXPECT_FALSE(w.write(1, 20, 0, 0, {}, out));
  EXPECT_FALSE(w.write(65600, 20, 0, 0, {}, out));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(w.messages_written(), 0u);
}

TEST(ChunkWriter, ExactFmt0Message) {
  ChunkWriter w;
  Bytes out;
  const Bytes payload = {1, 2, 3};
  ASSERT_TRUE(w.write(3, 20, 0x123456, 0x01020304, payload, out));
  EXPECT_EQ(out, (Bytes{0x03, 0x12, 0x34, 0x56, 0x00, 0x00, 0x03, 0x14, 0x04, 0x03, 0x02, 0x01, 1,
                        2, 3}));
}

TEST(ChunkWriter, ZeroLengthMessageIsOneHeader) {
  ChunkWriter w;
  Bytes out;
  ASSERT_TRUE(w.write(3, 20, 5, 0, {}, out));
  EXPECT_EQ(out, (Bytes{0x03, 0, 0, 5, 0, 0, 0, 0x14, 0, 0, 0, 0}));
}

struct Step {
  uint32_t ts;
  uint32_t sid;
  uint8_t type;
  size_t len;
  int fmt;
};

TEST(ChunkWriter, FormatSelectionSequence) {
  const std::vector<Step> steps = {
      {1000, 1, 8, 2, 0},  // first message on the chunk stream
      {1020, 1, 8, 2, 2},  // same length/type, but right after fmt 0: fmt 2, not fmt 3
      {1040, 1, 8, 2, 3},  // same delta established by fmt 2
      {1060, 1, 8, 2, 3},  //
      {1070, 1, 8, 2, 2},  // new delta
      {1080, 1, 8, 3, 1},  // new length
      {1090, 1, 8, 3, 3},  // delta 10 established by the fmt 1
      {1090, 1, 9, 3, 1},  // new type, delta 0
      {1090, 1, 9, 3, 3},  // delta 0 established by the fmt 1
      {1050, 1, 9, 3, 0},  // timestamp going backwards
      {1060, 2, 9, 3, 0},  // other message stream
      {1060, 2, 9, 3, 2},  // delta 0 after fmt 0: fmt 2
  };
  ChunkWriter w;
  for (const auto& s : steps) {
    Bytes out;
    ASSERT_TRUE(w.write(4, s.type, s.ts, s.sid, filled(s.len), out));
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out[0] >> 6, s.fmt) << "timestamp " << s.ts;
    EXPECT_EQ(out[0] & 0x3F, 4);
  }
  EXPECT_EQ(w.messages_written(), steps.size());
}

TEST(ChunkWriter, ExactCompressedHeaders) {
  ChunkWriter w;
  Bytes out;
  ASSERT_TRUE(w.write(4, 8, 1000, 1, Bytes{0xA1, 0xA2}, out));
  ASSERT_TRUE(w.write(4, 8, 1020, 1, Bytes{0xB1, 0xB2}, out));
  ASSERT_TRUE(w.write(4, 8, 1040, 1, Bytes{0xC1, 0xC2}, out));
  ASSERT_TRUE(w.write(4, 8, 1050, 1, Bytes{0xD1, 0xD2, 0xD3}, out));
  const Bytes expected = {
      0x04, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x02, 0x08, 0x01, 0x00, 0x00, 0x00, 0xA1, 0xA2,  // fmt 0
      0x84, 0x00, 0x00, 0x14, 0xB1, 0xB2,                                                  // fmt 2
      0xC4, 0xC1, 0xC2,                                                                    // fmt 3
      0x44, 0x00, 0x00, 0x0A, 0x00, 0x00, 0x03, 0x08, 0xD1, 0xD2, 0xD3,                    // fmt 1
  };
  EXPECT_EQ(out, expected);
}

TEST(ChunkWriter, SplitsAtChunkSize) {
  ChunkWriter w;
  Bytes out;
  const Bytes payload = filled(300);
  ASSERT_TRUE(w.write(3, 20, 0, 0, payload, out));
  ASSERT_EQ(out.size(), 12u + 128u + 1u + 128u + 1u + 44u);
  EXPECT_EQ(slice(out, 12, 128), slice(payload, 0, 128));
  EXPECT_EQ(out[140], 0xC3);
  EXPECT_EQ(slice(out, 141, 128), slice(payload, 128, 128));
  EXPECT_EQ(out[269], 0xC3);
  EXPECT_EQ(slice(out, 270, 44), slice(payload, 256, 44));
}

TEST(ChunkWriter, ExactMultipleOfChunkSize) {
  ChunkWriter w;
  Bytes out;
  ASSERT_TRUE(w.write(3, 20, 0, 0, filled(256), out));
  EXPECT_EQ(out.size(), 12u + 128u + 1u + 128u);
}

TEST(ChunkWriter, ExtendedTimestampOnFirstAndContinuationChunks) {
  ChunkWriter w;
  Bytes out;
  const Bytes payload = filled(300);
  ASSERT_TRUE(w.write(6, 9, 0x01000000, 1, payload, out));
  const Bytes header = {0x06, 0xFF, 0xFF, 0xFF, 0x00, 0x01, 0x2C, 0x09,
                        0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
  const Bytes cont = {0xC6, 0x01, 0x00, 0x00, 0x00};
  const Bytes expected = cat({header, slice(payload, 0, 128), cont, slice(payload, 128, 128), cont,
                              slice(payload, 256, 44)});
  EXPECT_EQ(out, expected);
}

TEST(ChunkWriter, ExtendedDeltaAndFmt3NewMessage) {
  ChunkWriter w;
  Bytes out;
  const Bytes payload = filled(130);
  ASSERT_TRUE(w.write(6, 9, 0, 1, payload, out));
  out.clear();
  ASSERT_TRUE(w.write(6, 9, 0x01000000, 1, payload, out));  // fmt 2, delta 0x01000000 (extended)
  const Bytes ext = {0x01, 0x00, 0x00, 0x00};
  EXPECT_EQ(out, cat({{0x86, 0xFF, 0xFF, 0xFF},
                      ext,
                      slice(payload, 0, 128),
                      {0xC6},
                      ext,
                      slice(payload, 128, 2)}));
  out.clear();
  ASSERT_TRUE(
      w.write(6, 9, 0x02000000, 1, payload, out));  // fmt 3: same delta, repeats the extended field
  EXPECT_EQ(out, cat({{0xC6}, ext, slice(payload, 0, 128), {0xC6}, ext, slice(payload, 128, 2)}));
}

TEST(ChunkWriter, ExtendedThreshold) {
  ChunkWriter w;
  Bytes out;
  ASSERT_TRUE(w.write(3, 20, 0xFFFFFE, 0, {}, out));
  EXPECT_EQ(out, (Bytes{0x03, 0xFF, 0xFF, 0xFE, 0, 0, 0, 0x14, 0, 0, 0, 0}));
  w.reset();
  out.clear();
  ASSERT_TRUE(w.write(3, 20, 0xFFFFFF, 0, {}, out));
  EXPECT_EQ(out,
            (Bytes{0x03, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0x14, 0, 0, 0, 0, 0x00, 0xFF, 0xFF, 0xFF}));
}

TEST(ChunkWriter, SetChunkSize) {
  ChunkWriter w;
  Bytes out;
  ASSERT_TRUE(w.set_chunk_size(4096, out));
  EXPECT_EQ(out, (Bytes{0x02, 0, 0, 0, 0, 0, 4, 0x01, 0, 0, 0, 0, 0x00, 0x00, 0x10, 0x00}));
  EXPECT_EQ(w.chunk_size(), 4096u);
  out.clear();
  ASSERT_TRUE(w.write(3, 20, 0, 0, filled(200), out));
  EXPECT_EQ(out.size(), 12u + 200u);  // one chunk with the new size
  out.clear();
  ASSERT_TRUE(w.set_chunk_size(64, out));  // same header fields, delta 0 after fmt 0: fmt 2
  EXPECT_EQ(out, (Bytes{0x82, 0, 0, 0, 0x00, 0x00, 0x00, 0x40}));
  out.clear();
  ASSERT_TRUE(w.set_chunk_size(100, out));  // delta 0 established: fmt 3
  EXPECT_EQ(out, (Bytes{0xC2, 0x00, 0x00, 0x00, 0x64}));
  EXPECT_EQ(w.messages_written(), 4u);
}

TEST(ChunkWriter, SetChunkSizeIsWrittenWithTheOldSize) {
  ChunkWriter w;
  Bytes out;
  ASSERT_TRUE(w.set_chunk_size(2, out));
  ASSERT_EQ(out.size(), 16u);  // not split at 2 bytes
  out.clear();
  ASSERT_TRUE(w.set_chunk_size(1, out));  // written with chunk size 2: two chunks
  EXPECT_EQ(out, (Bytes{0x82, 0, 0, 0, 0x00, 0x00, 0xC2, 0x00, 0x01}));
  EXPECT_EQ(w.chunk_size(), 1u);
}

TEST(ChunkWriter, SetChunkSizeRange) {
  ChunkWriter w;
  Bytes out;
  EXPECT_FALSE(w.set_chunk_size(0, out));
  EXPECT_FALSE(w.set_chunk_size(0x80000000u, out));
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(w.set_chunk_size(0x7FFFFFFF, out));
  EXPECT_EQ(w.chunk_size(), 0x7FFFFFFFu);
  out.clear();
  ASSERT_TRUE(w.write(3, 9, 0, 1, filled(5000), out));
  EXPECT_EQ(out.size(), 12u + 5000u);
}

TEST(ChunkWriter, ResetForgetsEverything) {
  ChunkWriter w;
  Bytes out;
  ASSERT_TRUE(w.set_chunk_size(1000, out));
  ASSERT_TRUE(w.write(3, 20, 10, 0, Bytes{1}, out));
  w.reset();
  EXPECT_EQ(w.chunk_size(), ChunkWriter::kDefaultChunkSize);
  EXPECT_EQ(w.messages_written(), 0u);
  out.clear();
  ASSERT_TRUE(w.write(3, 20, 10, 0, Bytes{1}, out));
  EXPECT_EQ(out[0] >> 6, 0);  // no compression state left
}

TEST(ChunkWriter, AppendsToExistingOutput) {
  ChunkWriter w;
  Bytes out = {0xEE};
  rtmp::Message m;
  m.chunk_stream = 5;
  m.type = 18;
  m.timestamp = 7;
  m.stream_id = 1;
  m.payload = {9, 8};
  ASSERT_TRUE(w.write(m, out));
  EXPECT_EQ(out, (Bytes{0xEE, 0x05, 0, 0, 7, 0, 0, 2, 18, 1, 0, 0, 0, 9, 8}));
  EXPECT_EQ(w.messages_written(), 1u);
}

TEST(ChunkWriter, RejectsOversizedPayload) {
  ChunkWriter w;
  Bytes out;
  const Bytes big(0x1000000);
  EXPECT_FALSE(w.write(3, 9, 0, 1, big, out));
}

Bytes queued(const rtmp::OutputQueue& q) {
  std::vector<rtmp::ByteView> v(1 << 16);
  v.resize(q.slices(v.data(), v.size()));
  Bytes out;
  for (auto s : v) out.insert(out.end(), s.begin(), s.end());
  return out;
}

// A sequence of messages (compression of every fmt, extended timestamps, several chunk sizes)
// gives the same bytes written to one buffer, copied into a queue, and moved into a queue.
TEST(ChunkWriter, QueueOutputMatchesContiguousOutput) {
  const uint32_t timestamps[] = {0, 40, 80, 120, 100, 0xFFFFFF, 0x1000010, 0x2000000, 5};
  for (uint32_t chunk : {1u, 128u, 511u, 512u, 4096u, 70000u}) {
    ChunkWriter contiguous, copying, moving;
    Bytes want;
    rtmp::OutputQueue copied, moved;
    ASSERT_TRUE(contiguous.set_chunk_size(chunk, want));
    ASSERT_TRUE(copying.set_chunk_size(chunk, copied));
    ASSERT_TRUE(moving.set_chunk_size(chunk, moved));
    size_t i = 0;
    for (uint32_t ts : timestamps) {
      for (size_t size : {0u, 1u, 300u, 4096u, 10000u, 10000u}) {
        rtmp::Message m;
        m.chunk_stream = i % 3 == 0 ? 4 : 6;
        m.type = size == 300 ? 8 : 9;
        m.timestamp = ts + static_cast<uint32_t>(size);
        m.stream_id = 1;
        m.payload = filled(size, static_cast<uint8_t>(i++));
        ASSERT_TRUE(contiguous.write(m, want));
        ASSERT_TRUE(copying.write(m, copied));
        ASSERT_TRUE(moving.write(m.chunk_stream, m.type, m.timestamp, m.stream_id,
                                 std::move(m.payload), moved));
      }
    }
    EXPECT_EQ(queued(copied), want) << "chunk size " << chunk;
    EXPECT_EQ(queued(moved), want) << "chunk size " << chunk;
    EXPECT_EQ(moving.messages_written(), contiguous.messages_written());
  }
}

TEST(ChunkWriter, MovedPayloadIsReferencedNotCopied) {
  ChunkWriter w;
  rtmp::OutputQueue q;
  ASSERT_TRUE(w.set_chunk_size(4096, q));
  q.consume(q.size());
  Bytes payload = filled(10000);
  const uint8_t* memory = payload.data();
  ASSERT_TRUE(w.write(6, 9, 0, 1, std::move(payload), q));
  std::vector<rtmp::ByteView> v(16);
  v.resize(q.slices(v.data(), v.size()));
  // header, 4096 referenced, fmt 3 header, 4096 referenced, fmt 3 header, 1808 referenced
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(v[0].size(), 12u);
  EXPECT_EQ(v[1].data(), memory);
  EXPECT_EQ(v[2].size(), 1u);
  EXPECT_EQ(v[3].data(), memory + 4096);
  EXPECT_EQ(v[5].data(), memory + 8192);
  EXPECT_EQ(v[5].size(), 1808u);
}

TEST(ChunkWriter, SmallChunksAreCopiedIntoOneSlice) {
  ChunkWriter w;  // chunk size 128: pieces below kMinReferencedPiece
  rtmp::OutputQueue q;
  ASSERT_TRUE(w.write(6, 9, 0, 1, filled(1000), q));
  rtmp::ByteView v[4];
  EXPECT_EQ(q.slices(v, 4), 1u);
  EXPECT_EQ(q.size(), 12u + 1000u + 7u);
}

TEST(ChunkWriter, RejectedMovedPayloadIsKept) {
  ChunkWriter w;
  rtmp::OutputQueue q;
  Bytes big(0x1000000, 1);
  EXPECT_FALSE(w.write(3, 9, 0, 1, std::move(big), q));
  EXPECT_EQ(big.size(), 0x1000000u);
  EXPECT_FALSE(w.write(1, 9, 0, 1, Bytes(10), q));
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(w.messages_written(), 0u);
}

}  // namespace
