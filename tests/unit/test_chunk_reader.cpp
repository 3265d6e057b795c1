#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "rtmp/chunk_reader.hpp"
#include "rtmp/chunk_writer.hpp"
#include "rtmp/control.hpp"

namespace {

using rtmp::Bytes;
using rtmp::ByteView;
using rtmp::ChunkReader;
using rtmp::ChunkReaderLimits;
using rtmp::ChunkWriter;
using rtmp::Message;
using Status = rtmp::ChunkReader::Status;

// ---- helpers -------------------------------------------------------------------------------

std::string describe(const Message& m) {
  std::ostringstream s;
  s << "{cs=" << m.chunk_stream << " type=" << int(m.type) << " ts=" << m.timestamp
    << " sid=" << m.stream_id << " len=" << m.payload.size() << "}";
  return s.str();
}

bool same(const Message& a, const Message& b) {
  return a.chunk_stream == b.chunk_stream && a.type == b.type && a.timestamp == b.timestamp &&
         a.stream_id == b.stream_id && a.payload == b.payload;
}

::testing::AssertionResult SameMessages(const std::vector<Message>& expected,
                                        const std::vector<Message>& actual) {
  const size_t n = std::min(expected.size(), actual.size());
  for (size_t i = 0; i < n; ++i) {
    if (!same(expected[i], actual[i])) {
      return ::testing::AssertionFailure()
             << "message " << i << ": expected " << describe(expected[i]) << " got "
             << describe(actual[i])
             << (expected[i].payload != actual[i].payload ? " (payload differs)" : "");
    }
  }
  if (expected.size() != actual.size()) {
    return ::testing::AssertionFailure()
           << "expected " << expected.size() << " messages, got " << actual.size();
  }
  return ::testing::AssertionSuccess();
}

Message msg(uint32_t cs, uint8_t type, uint32_t ts, uint32_t sid, Bytes payload) {
  Message m;
  m.chunk_stream = cs;
  m.type = type;
  m.timestamp = ts;
  m.stream_id = sid;
  m.payload = std::move(payload);
  return m;
}

Bytes filled(size_t n, uint8_t first = 0) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(first + i);
  return b;
}

Bytes slice(const Bytes& b, size_t offset, size_t n) {
  return Bytes(b.begin() + static_cast<long>(offset), b.begin() + static_cast<long>(offset + n));
}

// Hand-built chunk bytes.
struct Wire {
  Bytes b;
  Wire& u8(uint8_t v) {
    rtmp::put_u8(b, v);
    return *this;
  }
  Wire& u24(uint32_t v) {
    rtmp::put_u24be(b, v);
    return *this;
  }
  Wire& u32(uint32_t v) {
    rtmp::put_u32be(b, v);
    return *this;
  }
  Wire& bytes(const Bytes& v) {
    rtmp::put_bytes(b, v);
    return *this;
  }
  // fmt 0 header with a one-byte basic header.
  Wire& fmt0(uint8_t cs, uint32_t ts, uint32_t len, uint8_t type, uint32_t sid) {
    u8(cs).u24(ts).u24(len).u8(type);
    rtmp::put_u32le(b, sid);
    return *this;
  }
};

struct Result {
  Status status = Status::kOk;
  std::string error;
  std::vector<Message> messages;
};

Result feed_parts(const Bytes& wire, const std::vector<size_t>& cuts, ChunkReaderLimits limits) {
  ChunkReader r(limits);
  Result res;
  size_t start = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(wire.size());
  for (size_t end : ends) {
    res.status = r.feed(ByteView(wire).subspan(start, end - start), res.messages);
    start = end;
  }
  EXPECT_EQ(r.bytes_received(), wire.size());
  res.error = r.error();
  return res;
}

void expect_same_result(const Result& a, const Result& b, const std::string& how) {
  EXPECT_EQ(a.status, b.status) << how;
  EXPECT_EQ(a.error, b.error) << how;
  EXPECT_TRUE(SameMessages(a.messages, b.messages)) << how;
}

// Feeds `wire` whole, split in two at every byte boundary, and byte by byte; all must agree.
Result feed_all_ways(const Bytes& wire, ChunkReaderLimits limits = {}) {
  const Result whole = feed_parts(wire, {}, limits);
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    expect_same_result(whole, feed_parts(wire, {cut}, limits), "split at " + std::to_string(cut));
  }
  std::vector<size_t> every(wire.size());
  for (size_t i = 0; i < wire.size(); ++i) every[i] = i;
  expect_same_result(whole, feed_parts(wire, every, limits), "byte by byte");
  return whole;
}

// ---- round trips with the writer -----------------------------------------------------------

// Splits the writer's output for one message into its chunks.
std::vector<Bytes> split_chunks(const Bytes& buf, size_t len, uint32_t chunk_size) {
  static constexpr size_t kMh[4] = {11, 7, 3, 0};
  const size_t n = len == 0 ? 1 : (len + chunk_size - 1) / chunk_size;
  const size_t low = buf[0] & 0x3F;
  const size_t basic = low == 0 ? 2 : (low == 1 ? 3 : 1);
  const size_t mh = kMh[buf[0] >> 6];
  const size_t ext = (buf.size() - len - basic * n - mh) / n;
  std::vector<Bytes> chunks;
  size_t pos = 0;
  size_t left = len;
  for (size_t i = 0; i < n; ++i) {
    const size_t part = std::min<size_t>(left, chunk_size);
    const size_t size = (i == 0 ? basic + mh : basic) + ext + part;
    chunks.push_back(slice(buf, pos, size));
    pos += size;
    left -= part;
  }
  EXPECT_EQ(pos, buf.size());
  return chunks;
}

struct CsState {
  uint32_t ts = 0;
  uint32_t delta = 0;
  uint32_t len = 0;
  uint8_t type = 9;
  uint32_t sid = 1;
};

class Generator {
 public:
  Generator(uint32_t seed, size_t max_len) : rng_(seed), max_len_(max_len) {}

  Message next() {
    static constexpr uint32_t kCs[] = {2, 3, 4, 5, 6, 63, 64, 319, 320, 65599};
    // Mostly a few busy chunk streams, so that headers get compressed.
    const uint32_t cs = pick(3) == 0 ? kCs[pick(std::size(kCs))] : kCs[1 + pick(2)];
    CsState& st = states_[cs];
    timestamp(st);
    if (pick(3) == 0) st.len = static_cast<uint32_t>(pick(max_len_ + 1));
    static constexpr uint8_t kTypes[] = {3, 4, 8, 9, 18, 20};
    if (pick(8) == 0) st.type = kTypes[pick(std::size(kTypes))];
    if (pick(8) == 0) st.sid = static_cast<uint32_t>(pick(3));
    Bytes payload(st.len);
    for (auto& b : payload) b = static_cast<uint8_t>(rng_());
    return msg(cs, st.type, st.ts, st.sid, std::move(payload));
  }

  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  std::mt19937& rng() { return rng_; }

 private:
  void timestamp(CsState& st) {
    switch (pick(10)) {
      case 0:
      case 1:
      case 2:
      case 3:  // same delta as before
        break;
      case 4:
      case 5:
        st.delta = static_cast<uint32_t>(pick(100));
        break;
      case 6:  // around the 24-bit limit
        st.ts = 0xFFFFFF - 3 + static_cast<uint32_t>(pick(7));
        st.delta = static_cast<uint32_t>(pick(3));
        return;
      case 7:  // about to wrap around 2^32
        st.ts = 0xFFFFFFF0u + static_cast<uint32_t>(pick(16));
        st.delta = static_cast<uint32_t>(pick(40));
        return;
      case 8:  // extended delta
        st.delta = 0xFFFFFE + static_cast<uint32_t>(pick(3));
        break;
      default:  // anywhere
        st.ts = static_cast<uint32_t>(rng_());
        return;
    }
    st.ts += st.delta;
  }

  std::mt19937 rng_;
  size_t max_len_;
  std::map<uint32_t, CsState> states_;
};

struct Stream {
  Bytes wire;
  std::vector<Message> expected;  // in completion order
};

// Writes `batch` and interleaves the chunks of messages on different chunk streams at random,
// keeping each chunk stream's chunks in order.
void emit_interleaved(ChunkWriter& w, Generator& g, const std::vector<Message>& batch, Stream& s) {
  std::map<uint32_t, std::deque<std::pair<Message, std::deque<Bytes>>>> queues;
  for (const auto& m : batch) {
    Bytes one;
    ASSERT_TRUE(w.write(m, one));
    auto chunks = split_chunks(one, m.payload.size(), w.chunk_size());
    queues[m.chunk_stream].emplace_back(m, std::deque<Bytes>(chunks.begin(), chunks.end()));
  }
  while (!queues.empty()) {
    auto it = queues.begin();
    std::advance(it, static_cast<long>(g.pick(queues.size())));
    auto& head = it->second.front();
    rtmp::put_bytes(s.wire, head.second.front());
    head.second.pop_front();
    if (head.second.empty()) {
      s.expected.push_back(head.first);
      it->second.pop_front();
      if (it->second.empty()) queues.erase(it);
    }
  }
}

Stream make_stream(uint32_t seed, size_t messages, size_t max_len) {
  Generator g(seed, max_len);
  ChunkWriter w;
  Stream s;
  std::vector<Message> batch;
  static constexpr uint32_t kChunkSizes[] = {1, 2, 7, 64, 128, 1000, 4096, 0x7FFFFFFF};
  for (size_t i = 0; i < messages; ++i) {
    if (g.pick(12) == 0) {
      emit_interleaved(w, g, batch, s);
      batch.clear();
      const uint32_t size = kChunkSizes[g.pick(std::size(kChunkSizes))];
      EXPECT_TRUE(w.set_chunk_size(size, s.wire));
      s.expected.push_back(rtmp::control::set_chunk_size(size));
    }
    batch.push_back(g.next());
  }
  emit_interleaved(w, g, batch, s);
  return s;
}

TEST(ChunkReaderRoundTrip, SmallStreamsEverySplit) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    const Stream s = make_stream(seed, 40, 150);
    const Result r = feed_all_ways(s.wire);
    EXPECT_EQ(r.status, Status::kOk) << r.error;
    EXPECT_TRUE(SameMessages(s.expected, r.messages)) << "seed " << seed;
  }
}

TEST(ChunkReaderRoundTrip, LargeStreamsRandomFeeds) {
  for (uint32_t seed = 100; seed < 110; ++seed) {
    const Stream s = make_stream(seed, 300, 3000);
    std::mt19937 rng(seed);
    std::vector<size_t> cuts;
    for (size_t pos = 0;;) {
      pos += 1 + std::uniform_int_distribution<size_t>(0, 300)(rng);
      if (pos >= s.wire.size()) break;
      cuts.push_back(pos);
    }
    std::vector<size_t> every(s.wire.size());
    for (size_t i = 0; i < every.size(); ++i) every[i] = i;
    for (const auto& c : {std::vector<size_t>{}, cuts, every}) {
      const Result r = feed_parts(s.wire, c, {});
      EXPECT_EQ(r.status, Status::kOk) << r.error;
      EXPECT_TRUE(SameMessages(s.expected, r.messages)) << "seed " << seed;
    }
  }
}

TEST(ChunkReaderRoundTrip, ExtendedTimestampsAllFormats) {
  ChunkWriter w;
  Bytes wire;
  std::vector<Message> expected;
  const uint32_t stamps[] = {0xFFFFFE,  0xFFFFFF,  0x1000000, 0x2000000, 0x3000000, 0x3000001,
                             0x3000002, 0x4000003, 0x5000004, 5,         0x1000004};
  for (uint32_t ts : stamps) {
    expected.push_back(msg(6, 9, ts, 1, filled(300, static_cast<uint8_t>(ts))));
    ASSERT_TRUE(w.write(expected.back(), wire));
  }
  const Result r = feed_all_ways(wire);
  EXPECT_EQ(r.status, Status::kOk) << r.error;
  EXPECT_TRUE(SameMessages(expected, r.messages));
}

TEST(ChunkReaderRoundTrip, SimpleInterleaving) {
  ChunkWriter w;
  Bytes a, b;
  const Message ma = msg(4, 8, 10, 1, filled(300, 1));
  const Message mb = msg(6, 9, 20, 1, filled(200, 2));
  ASSERT_TRUE(w.write(ma, a));
  ASSERT_TRUE(w.write(mb, b));
  // a: 12+128, 1+128, 1+44; b: 12+128, 1+72.
  Bytes wire;
  for (const Bytes& part : {slice(a, 0, 140), slice(b, 0, 140), slice(a, 140, 129),
                            slice(b, 140, 73), slice(a, 269, 45)}) {
    rtmp::put_bytes(wire, part);
  }
  const Result r = feed_all_ways(wire);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_TRUE(SameMessages({mb, ma}, r.messages));
}

// Chunk streams below 64 are kept in a fixed array, the others in a map: interleaved partial
// messages on both kinds (1-, 2- and 3-byte basic headers) reassemble independently.
TEST(ChunkReaderRoundTrip, InterleavingAcrossChunkStreamKinds) {
  ChunkWriter w;
  const std::vector<Message> sent = {
      msg(63, 8, 10, 1, filled(300, 1)), msg(64, 9, 20, 1, filled(200, 2)),
      msg(2, 18, 30, 0, filled(150, 3)), msg(65599, 9, 40, 1, filled(140, 4))};
  std::vector<std::vector<Bytes>> chunks;
  for (const Message& m : sent) {
    Bytes one;
    ASSERT_TRUE(w.write(m, one));
    chunks.push_back(split_chunks(one, m.payload.size(), 128));
  }
  // Round robin over the streams, one chunk each.
  Bytes wire;
  for (size_t i = 0; i < 3; ++i)
    for (const auto& c : chunks)
      if (i < c.size()) rtmp::put_bytes(wire, c[i]);
  const Result r = feed_all_ways(wire);
  EXPECT_EQ(r.status, Status::kOk) << r.error;
  ASSERT_EQ(r.messages.size(), 4u);
  // Completion order: the 2-chunk messages (64, 2, 65599) in round 2, the 3-chunk one (63) last.
  EXPECT_TRUE(SameMessages({sent[1], sent[2], sent[3], sent[0]}, r.messages));
}

// ---- hand-built streams --------------------------------------------------------------------

TEST(ChunkReader, Fmt3NewMessageAppliesDelta) {
  Wire w;
  w.fmt0(3, 100, 1, 20, 1).bytes({'A'});
  w.u8(0x83).u24(10).bytes({'B'});  // fmt 2: delta 10
  w.u8(0xC3).bytes({'C'});          // fmt 3: new message, delta 10 again
  w.u8(0xC3).bytes({'D'});
  const Result r = feed_all_ways(w.b);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_TRUE(SameMessages({msg(3, 20, 100, 1, {'A'}), msg(3, 20, 110, 1, {'B'}),
                            msg(3, 20, 120, 1, {'C'}), msg(3, 20, 130, 1, {'D'})},
                           r.messages));
}

TEST(ChunkReader, Fmt3AfterFmt0UsesDeltaZero) {
  Wire w;
  w.fmt0(3, 100, 1, 20, 1).bytes({'A'});
  w.u8(0xC3).bytes({'B'});                            // documented choice: delta 0
  w.u8(0x43).u24(5).u24(2).u8(18).bytes({'C', 'c'});  // fmt 1: delta 5, new length and type
  w.u8(0xC3).bytes({'D', 'd'});
  w.fmt0(3, 50, 1, 20, 1).bytes({'E'});  // fmt 0 resets the delta
  w.u8(0xC3).bytes({'F'});
  const Result r = feed_all_ways(w.b);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_TRUE(SameMessages(
      {msg(3, 20, 100, 1, {'A'}), msg(3, 20, 100, 1, {'B'}), msg(3, 18, 105, 1, {'C', 'c'}),
       msg(3, 18, 110, 1, {'D', 'd'}), msg(3, 20, 50, 1, {'E'}), msg(3, 20, 50, 1, {'F'})},
      r.messages));
}

TEST(ChunkReader, ExtendedTimestampRepeatedOnContinuation) {
  const Bytes payload = filled(200);
  Wire w;
  w.fmt0(4, 0xFFFFFF, 200, 9, 1).u32(0x01000000).bytes(slice(payload, 0, 128));
  w.u8(0xC4).u32(0x01000000).bytes(slice(payload, 128, 72));
  const Result r = feed_all_ways(w.b);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_TRUE(SameMessages({msg(4, 9, 0x01000000, 1, payload)}, r.messages));
}

TEST(ChunkReader, ExtendedTimestampNotRepeatedOnContinuation) {
  const Bytes payload = filled(200);
  Wire w;
  w.fmt0(4, 0xFFFFFF, 200, 9, 1).u32(0x01000000).bytes(slice(payload, 0, 128));
  w.u8(0xC4).bytes(slice(payload, 128, 72));  // peer does not repeat the extended field
  const Result r = feed_all_ways(w.b);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_TRUE(SameMessages({msg(4, 9, 0x01000000, 1, payload)}, r.messages));
}

TEST(ChunkReader, ExtendedNotRepeatedWithShortLastChunk) {
  // The continuation chunk holds 2 bytes; the 4 bytes examined run into the next chunk header.
  const Bytes payload = filled(130, 0x40);
  Wire w;
  w.fmt0(4, 0xFFFFFF, 130, 9, 1).u32(0x01000000).bytes(slice(payload, 0, 128));
  w.u8(0xC4).bytes(slice(payload, 128, 2));
  w.fmt0(3, 7, 1, 20, 0).bytes({'z'});
  const Result r = feed_all_ways(w.b);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_TRUE(
      SameMessages({msg(4, 9, 0x01000000, 1, payload), msg(3, 20, 7, 0, {'z'})}, r.messages));
}

TEST(ChunkReader, ExtendedDeltaOnFmt3NewMessage) {
  Wire w;
  w.fmt0(5, 10, 2, 8, 1).bytes({1, 2});
  w.u8(0x85).u24(0xFFFFFF).u32(0x01000000).bytes({3, 4});  // fmt 2, extended delta
  w.u8(0xC5).u32(0x01000000).bytes({5, 6});                // fmt 3 repeating the field
  const Result r = feed_all_ways(w.b);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_TRUE(SameMessages({msg(5, 8, 10, 1, {1, 2}), msg(5, 8, 0x0100000A, 1, {3, 4}),
                            msg(5, 8, 0x0200000A, 1, {5, 6})},
                           r.messages));
}

TEST(ChunkReader, TimestampWrapsAround) {
  Wire w;
  w.fmt0(3, 0xFFFFFF, 0, 9, 1).u32(0xFFFFFFF0u);
  w.u8(0x83).u24(0x20);
  const Result r = feed_all_ways(w.b);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_TRUE(SameMessages({msg(3, 9, 0xFFFFFFF0u, 1, {}), msg(3, 9, 0x10, 1, {})}, r.messages));
}

TEST(ChunkReader, ZeroLengthMessages) {
  Wire w;
  w.fmt0(3, 1, 0, 20, 0);
  w.u8(0x83).u24(2);
  w.u8(0xC3);
  const Result r = feed_all_ways(w.b);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_TRUE(
      SameMessages({msg(3, 20, 1, 0, {}), msg(3, 20, 3, 0, {}), msg(3, 20, 5, 0, {})}, r.messages));
}

TEST(ChunkReader, AbortDiscardsPartialMessage) {
  const Bytes payload = filled(200);
  Wire w;
  w.fmt0(4, 0, 200, 9, 1).bytes(slice(payload, 0, 128));
  w.fmt0(2, 0, 4, 2, 0).u32(4);              // Abort chunk stream 4
  w.u8(0xC4).bytes(slice(payload, 0, 128));  // fmt 3 now starts a new 200-byte message
  w.u8(0xC4).bytes(slice(payload, 128, 72));
  w.fmt0(4, 5, 1, 20, 1).bytes({'x'});
  const Result r = feed_all_ways(w.b);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_TRUE(SameMessages(
      {msg(2, 2, 0, 0, {0, 0, 0, 4}), msg(4, 9, 0, 1, payload), msg(4, 20, 5, 1, {'x'})},
      r.messages));
}

TEST(ChunkReader, AbortOfUnknownOrIdleStreamIsHarmless) {
  Wire w;
  w.fmt0(3, 0, 1, 20, 0).bytes({'a'});
  w.fmt0(2, 0, 4, 2, 0).u32(3);
  w.fmt0(2, 0, 4, 2, 0).u32(60000);
  w.u8(0xC3).bytes({'b'});
  const Result r = feed_all_ways(w.b);
  EXPECT_EQ(r.status, Status::kOk);
  ASSERT_EQ(r.messages.size(), 4u);
  EXPECT_TRUE(same(r.messages[3], msg(3, 20, 0, 0, {'b'})));
}

TEST(ChunkReader, NewHeaderReplacesPartialMessage) {
  Wire w;
  w.fmt0(4, 0, 200, 9, 1).bytes(filled(128));
  w.fmt0(4, 9, 2, 8, 1).bytes({1, 2});
  const Result r = feed_all_ways(w.b);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_TRUE(SameMessages({msg(4, 8, 9, 1, {1, 2})}, r.messages));
}

TEST(ChunkReader, SetChunkSizeAppliesToTheVeryNextChunk) {
  const Bytes payload = filled(25);
  Wire w;
  w.fmt0(2, 0, 4, 1, 0).u32(10);
  w.fmt0(3, 0, 25, 20, 0).bytes(slice(payload, 0, 10));
  w.u8(0xC3).bytes(slice(payload, 10, 10));
  w.u8(0xC3).bytes(slice(payload, 20, 5));
  const Result r = feed_all_ways(w.b);
  EXPECT_EQ(r.status, Status::kOk) << r.error;
  EXPECT_TRUE(
      SameMessages({msg(2, 1, 0, 0, {0, 0, 0, 10}), msg(3, 20, 0, 0, payload)}, r.messages));
}

TEST(ChunkReader, SetChunkSizeInTheMiddleOfAMessage) {
  const Bytes payload = filled(200);
  Wire w;
  w.fmt0(5, 0, 200, 9, 1).bytes(slice(payload, 0, 128));
  w.fmt0(2, 0, 4, 1, 0).u32(50);
  w.u8(0xC5).bytes(slice(payload, 128, 50));
  w.u8(0xC5).bytes(slice(payload, 178, 22));
  ChunkReader reader;
  std::vector<Message> out;
  EXPECT_EQ(reader.feed(w.b, out), Status::kOk);
  EXPECT_EQ(reader.chunk_size(), 50u);
  EXPECT_TRUE(SameMessages({msg(2, 1, 0, 0, {0, 0, 0, 50}), msg(5, 9, 0, 1, payload)}, out));
  feed_all_ways(w.b);
}

TEST(ChunkReader, HugeChunkSize) {
  const Bytes payload = filled(100000);
  Wire w;
  w.fmt0(2, 0, 4, 1, 0).u32(0x7FFFFFFF);
  w.fmt0(6, 0, 100000, 9, 1).bytes(payload);
  ChunkReader reader;
  std::vector<Message> out;
  EXPECT_EQ(reader.feed(w.b, out), Status::kOk);
  EXPECT_EQ(reader.chunk_size(), 0x7FFFFFFFu);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(same(out[1], msg(6, 9, 0, 1, payload)));
  // Byte by byte as well.
  ChunkReader slow;
  std::vector<Message> out2;
  for (uint8_t b : w.b) ASSERT_EQ(slow.feed(ByteView(&b, 1), out2), Status::kOk);
  EXPECT_TRUE(SameMessages(out, out2));
}

TEST(ChunkReader, StartsWithDefaultChunkSizeAndCountsBytes) {
  ChunkReader reader;
  EXPECT_EQ(reader.chunk_size(), 128u);
  std::vector<Message> out;
  const Bytes partial = {0x03, 0x00};
  EXPECT_EQ(reader.feed(partial, out), Status::kOk);
  EXPECT_EQ(reader.feed({}, out), Status::kOk);
  EXPECT_EQ(reader.bytes_received(), 2u);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(reader.error().empty());
}

// ---- hostile peers -------------------------------------------------------------------------

Result expect_error(const Bytes& wire, const std::string& needle, ChunkReaderLimits limits = {}) {
  const Result r = feed_all_ways(wire, limits);
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_NE(r.error.find(needle), std::string::npos) << r.error;
  return r;
}

TEST(ChunkReaderHostile, MessageLongerThanTheCap) {
  Wire w;
  w.fmt0(3, 0, 8 * 1024 * 1024 + 1, 9, 1);
  expect_error(w.b, "message length 8388609 exceeds the limit");
  Wire w1;
  w1.fmt0(3, 0, 1, 9, 1).bytes({0});
  w1.u8(0x43).u24(0).u24(0x900000).u8(9);  // fmt 1
  const Result r = expect_error(w1.b, "exceeds the limit");
  EXPECT_EQ(r.messages.size(), 1u);
}

TEST(ChunkReaderHostile, ErrorIsSticky) {
  Wire w;
  w.u8(0x43).u24(0).u24(1).u8(9);
  ChunkReader reader;
  std::vector<Message> out;
  EXPECT_EQ(reader.feed(w.b, out), Status::kError);
  const std::string error = reader.error();
  Wire good;
  good.fmt0(3, 0, 0, 9, 1);
  EXPECT_EQ(reader.feed(good.b, out), Status::kError);
  EXPECT_EQ(reader.error(), error);
  EXPECT_TRUE(out.empty());
}

TEST(ChunkReaderHostile, TooManyChunkStreams) {
  ChunkWriter writer;
  Bytes wire;
  for (uint32_t cs = 3; cs < 1003; ++cs) ASSERT_TRUE(writer.write(cs, 20, 0, 0, {}, wire));
  const Result r = expect_error(wire, "more than 64 chunk streams");
  EXPECT_EQ(r.messages.size(), 64u);
}

TEST(ChunkReaderHostile, ChunkStreamLimitCountsBothKinds) {
  ChunkWriter writer;
  Bytes wire;
  for (uint32_t cs : {3u, 4u, 100u, 5u, 65599u, 6u})
    ASSERT_TRUE(writer.write(cs, 20, 0, 0, {}, wire));
  ChunkReaderLimits limits;
  limits.max_chunk_streams = 5;
  const Result r = expect_error(wire, "more than 5 chunk streams", limits);
  EXPECT_EQ(r.messages.size(), 5u);
}

TEST(ChunkReaderHostile, BufferedBytesOverTheCap) {
  ChunkReaderLimits limits;
  limits.max_message_size = 1000;
  limits.max_buffered_bytes = 1500;
  Wire w;
  w.fmt0(2, 0, 4, 1, 0).u32(800);
  w.fmt0(3, 0, 1000, 9, 1).bytes(filled(800));
  w.fmt0(4, 0, 1000, 9, 1).bytes(filled(800));
  expect_error(w.b, "exceed the limit of 1500 buffered bytes", limits);
}

TEST(ChunkReaderHostile, BufferedBytesAreReleased) {
  ChunkReaderLimits limits;
  limits.max_message_size = 1000;
  limits.max_buffered_bytes = 1128;  // one partial 128-byte chunk plus one whole message
  Wire w;
  for (int i = 0; i < 10; ++i) {
    w.fmt0(3, 0, 1000, 9, 1).bytes(filled(128));  // replaced (discarded) by the next header
  }
  w.fmt0(2, 0, 4, 1, 0).u32(1000);
  for (int i = 0; i < 5; ++i) w.fmt0(4, 0, 1000, 9, 1).bytes(filled(1000));  // complete
  const Result r = feed_parts(w.b, {}, limits);
  EXPECT_EQ(r.status, Status::kOk) << r.error;
  EXPECT_EQ(r.messages.size(), 6u);
}

TEST(ChunkReaderHostile, CompressedHeaderOnNewChunkStream) {
  for (uint8_t fmt : {1, 2, 3}) {
    Wire w;
    w.fmt0(3, 0, 0, 20, 0);
    w.u8(static_cast<uint8_t>((fmt << 6) | 7)).u24(0).u24(0).u8(0);
    expect_error(w.b, "no previous header (chunk stream 7)");
  }
}

TEST(ChunkReaderHostile, SetChunkSizeZero) {
  Wire w;
  w.fmt0(2, 0, 4, 1, 0).u32(0);
  expect_error(w.b, "invalid Set Chunk Size 0");
}

TEST(ChunkReaderHostile, SetChunkSizeTopBit) {
  Wire w;
  w.fmt0(2, 0, 4, 1, 0).u32(0x80000001u);
  expect_error(w.b, "invalid Set Chunk Size");
}

TEST(ChunkReaderHostile, ShortControlPayloads) {
  Wire w;
  w.fmt0(2, 0, 3, 1, 0).bytes({0, 0, 1});
  expect_error(w.b, "Set Chunk Size payload shorter than 4 bytes");
  Wire a;
  a.fmt0(2, 0, 2, 2, 0).bytes({0, 3});
  expect_error(a.b, "Abort payload shorter than 4 bytes");
}

TEST(ChunkReaderHostile, ManyPartialMessagesStayBounded) {
  // 61 chunk streams each announcing 8 MB and sending 1 byte: only what arrived is buffered.
  Wire w;
  w.fmt0(2, 0, 4, 1, 0).u32(1);
  for (uint32_t cs = 0; cs < 61; ++cs) {
    w.fmt0(static_cast<uint8_t>(3 + cs), 0, 8 * 1024 * 1024, 9, 1);
    w.b.push_back(0);
  }
  ChunkReader reader;
  std::vector<Message> out;
  EXPECT_EQ(reader.feed(w.b, out), Status::kOk) << reader.error();
  EXPECT_EQ(out.size(), 1u);
}

}  // namespace
