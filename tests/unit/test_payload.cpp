// Payloads in pieces others own, and chunking them without copying.
#include <gtest/gtest.h>

#include "rtmp/chunk_reader.hpp"
#include "rtmp/chunk_writer.hpp"
#include "rtmp/output_queue.hpp"
#include "rtmp/payload.hpp"

namespace rtmp {
namespace {

std::shared_ptr<Bytes> block(size_t n, uint8_t first) {
  auto b = std::make_shared<Bytes>(n);
  for (size_t i = 0; i < n; i++) (*b)[i] = static_cast<uint8_t>(first + i);
  return b;
}

TEST(Payload, PiecesMergeWhenContiguousAndFrontJoinsAcrossThem) {
  auto a = block(100, 0);
  Payload p;
  p.append(a, ByteView(*a).subspan(0, 40));
  p.append(a, ByteView(*a).subspan(40, 60));  // continues it: one piece
  EXPECT_EQ(p.pieces().size(), 1u);
  auto b = block(10, 200);
  p.append(b, *b);
  EXPECT_EQ(p.pieces().size(), 2u);
  EXPECT_EQ(p.size(), 110u);
  uint8_t scratch[16];
  ByteView f = p.front(4, scratch);
  EXPECT_EQ(f.data(), a->data());  // a view when the first piece holds it
  f = p.front(16, scratch);        // only 110 bytes: all from piece one
  EXPECT_EQ(f.size(), 16u);
  Payload q;
  q.append(b, ByteView(*b).subspan(0, 3));
  q.append(a, ByteView(*a).subspan(0, 5));
  f = q.front(6, scratch);
  EXPECT_EQ(f.data(), scratch);
  EXPECT_EQ(Bytes(f.begin(), f.end()), (Bytes{200, 201, 202, 0, 1, 2}));
  q.prepend_copy(Bytes{9, 9});
  EXPECT_EQ(q.to_bytes(), (Bytes{9, 9, 200, 201, 202, 0, 1, 2, 3, 4}));
}

TEST(Payload, OwnersLiveUntilTheQueueLetsGo) {
  auto a = block(8000, 1);
  std::weak_ptr<Bytes> watch = a;
  Payload p;
  p.append(a, *a);
  a.reset();
  ChunkWriter w;
  OutputQueue q;
  ASSERT_TRUE(w.set_chunk_size(4096, q));
  ASSERT_TRUE(w.write(6, 9, 0, 1, p, q));
  p = Payload();
  EXPECT_FALSE(watch.expired()) << "the queue holds the piece";
  q.consume(q.size() - 100);
  EXPECT_FALSE(watch.expired());
  q.consume(100);
  EXPECT_TRUE(watch.expired()) << "written: released";
}

// A payload of pieces of many sizes, chunked at several chunk sizes: the reader gets the same
// bytes, and the large shares of pieces are references (the queue holds few copied bytes).
TEST(Payload, ChunkingPiecesGivesTheSameMessageAtEveryChunkSize) {
  std::vector<std::shared_ptr<Bytes>> blocks = {block(5000, 1), block(3, 50), block(700, 9),
                                                block(12000, 77), block(1, 5)};
  Payload p;
  Bytes expected;
  for (const auto& b : blocks) {
    p.append(b, *b);
    expected.insert(expected.end(), b->begin(), b->end());
  }
  for (uint32_t chunk : {128u, 1000u, 4096u, 60000u}) {
    ChunkWriter w;
    OutputQueue q;
    ASSERT_TRUE(w.set_chunk_size(chunk, q));
    ASSERT_TRUE(w.write(6, 9, 1234, 1, p, q));
    ByteView wire = q.linear();
    ChunkReader r;
    std::vector<Message> got;
    ASSERT_EQ(r.feed(wire, got), ChunkReader::Status::kOk) << r.error();
    ASSERT_EQ(got.size(), 2u);  // Set Chunk Size, then the message
    EXPECT_EQ(got[1].payload, expected) << chunk;
    EXPECT_EQ(got[1].timestamp, 1234u);
  }
  ChunkWriter w;
  OutputQueue q;
  ASSERT_TRUE(w.set_chunk_size(4096, q));
  ASSERT_TRUE(w.write(6, 9, 0, 1, p, q));
  std::vector<ByteView> slices(64);
  size_t n = q.slices(slices.data(), slices.size());
  size_t referenced = 0;
  for (size_t i = 0; i < n; i++)
    for (const auto& b : blocks)
      if (slices[i].data() >= b->data() && slices[i].data() < b->data() + b->size())
        referenced += slices[i].size();
  EXPECT_GE(referenced, expected.size() - 2 * ChunkWriter::kMinReferencedPiece);
}

TEST(Payload, TooLongIsRefusedAndNothingQueued) {
  auto big = std::make_shared<Bytes>(0x1000000);
  Payload p;
  p.append(big, *big);
  ChunkWriter w;
  OutputQueue q;
  EXPECT_FALSE(w.write(6, 9, 0, 1, p, q));
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace rtmp
