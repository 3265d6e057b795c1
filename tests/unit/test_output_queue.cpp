#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "rtmp/output_queue.hpp"

namespace {

using rtmp::Bytes;
using rtmp::ByteView;
using rtmp::OutputQueue;

Bytes filled(size_t n, uint8_t first) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(first + i * 7);
  return b;
}

std::vector<ByteView> all_slices(const OutputQueue& q) {
  std::vector<ByteView> v(1 << 17);
  v.resize(q.slices(v.data(), v.size()));
  return v;
}

Bytes pending(const OutputQueue& q) {
  Bytes out;
  for (ByteView s : all_slices(q)) out.insert(out.end(), s.begin(), s.end());
  return out;
}

TEST(OutputQueue, EmptyHasNoSlices) {
  OutputQueue q;
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
  EXPECT_TRUE(all_slices(q).empty());
  EXPECT_TRUE(q.linear().empty());
  q.append_copy({});
  EXPECT_TRUE(q.empty());
}

TEST(OutputQueue, CopiesMergeIntoOneSlice) {
  OutputQueue q;
  const Bytes a = filled(10, 1), b = filled(20, 50);
  q.append_copy(a);
  q.append_copy(b);
  ASSERT_EQ(all_slices(q).size(), 1u);
  Bytes want = a;
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_EQ(pending(q), want);
  EXPECT_EQ(q.size(), 30u);
}

TEST(OutputQueue, ReferencedPayloadIsNotCopied) {
  OutputQueue q;
  Bytes payload = filled(10000, 3);
  const uint8_t* memory = payload.data();
  const Bytes expected = payload;
  q.append_copy(Bytes{0xAA});
  auto h = q.adopt(std::move(payload));
  q.append_ref(h, 0, 4000);
  q.append_copy(Bytes{0xBB});
  q.append_ref(h, 4000, 6000);
  auto s = all_slices(q);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[1].data(), memory);
  EXPECT_EQ(s[1].size(), 4000u);
  EXPECT_EQ(s[3].data(), memory + 4000);
  EXPECT_EQ(s[3].size(), 6000u);
  Bytes want{0xAA};
  want.insert(want.end(), expected.begin(), expected.begin() + 4000);
  want.push_back(0xBB);
  want.insert(want.end(), expected.begin() + 4000, expected.end());
  EXPECT_EQ(pending(q), want);
}

TEST(OutputQueue, ContiguousReferencesMerge) {
  OutputQueue q;
  auto h = q.adopt(filled(100, 0));
  q.append_ref(h, 0, 40);
  q.append_ref(h, 40, 60);
  EXPECT_EQ(all_slices(q).size(), 1u);
  EXPECT_EQ(q.size(), 100u);
}

TEST(OutputQueue, SlicesStopsAtMax) {
  OutputQueue q;
  auto h = q.adopt(filled(100, 0));
  for (int i = 0; i < 10; ++i) {
    q.append_copy(Bytes{static_cast<uint8_t>(i)});
    q.append_ref(h, static_cast<size_t>(i) * 10, 10);
  }
  ByteView v[5];
  EXPECT_EQ(q.slices(v, 5), 5u);
  EXPECT_EQ(v[0].size(), 1u);
  EXPECT_EQ(v[1].size(), 10u);
}

TEST(OutputQueue, ConsumeInsideAndAcrossSlices) {
  OutputQueue q;
  const Bytes a = filled(5, 1);
  q.append_copy(a);
  auto h = q.adopt(filled(50, 9));
  q.append_ref(h, 0, 50);
  q.append_copy(a);
  Bytes all = pending(q);
  for (size_t step : {2u, 3u, 1u, 30u, 20u, 4u}) {
    q.consume(step);
    all.erase(all.begin(), all.begin() + static_cast<long>(step));
    EXPECT_EQ(pending(q), all);
    EXPECT_EQ(q.size(), all.size());
  }
  EXPECT_TRUE(q.empty());
}

TEST(OutputQueue, LinearJoinsEverything) {
  OutputQueue q;
  q.append_copy(filled(3, 0));
  auto h = q.adopt(filled(1000, 1));
  q.append_ref(h, 100, 900);
  q.append_copy(filled(4, 2));
  const Bytes want = pending(q);
  ByteView lin = q.linear();
  EXPECT_EQ(Bytes(lin.begin(), lin.end()), want);
  EXPECT_EQ(all_slices(q).size(), 1u);
  q.consume(500);
  q.append_copy(filled(2, 3));
  Bytes more(want.begin() + 500, want.end());
  const Bytes tail = filled(2, 3);
  more.insert(more.end(), tail.begin(), tail.end());
  EXPECT_EQ(pending(q), more);
}

TEST(OutputQueue, ClearDropsEverything) {
  OutputQueue q;
  q.append_copy(filled(3, 0));
  q.append_ref(q.adopt(filled(10, 0)), 0, 10);
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_TRUE(all_slices(q).empty());
  q.append_copy(filled(3, 5));
  EXPECT_EQ(pending(q), filled(3, 5));
}

// Random appends, consumes and linearisations against a plain byte model.
TEST(OutputQueue, MatchesModelUnderRandomOperations) {
  std::mt19937 rng(1234);
  OutputQueue q;
  Bytes model;
  for (int op = 0; op < 20000; ++op) {
    switch (rng() % 6) {
      case 0:
      case 1: {
        Bytes b = filled(rng() % 200, static_cast<uint8_t>(op));
        q.append_copy(b);
        model.insert(model.end(), b.begin(), b.end());
        break;
      }
      case 2: {
        Bytes p = filled(1 + rng() % 3000, static_cast<uint8_t>(op * 3));
        const Bytes copy = p;
        auto h = q.adopt(std::move(p));
        size_t off = 0;
        while (off < copy.size()) {
          size_t n = std::min<size_t>(copy.size() - off, 1 + rng() % 700);
          q.append_ref(h, off, n);
          if (rng() % 2) {
            const Bytes sep{static_cast<uint8_t>(op)};
            q.append_copy(sep);
            model.insert(model.end(), copy.begin() + static_cast<long>(off),
                         copy.begin() + static_cast<long>(off + n));
            model.push_back(sep[0]);
          } else {
            model.insert(model.end(), copy.begin() + static_cast<long>(off),
                         copy.begin() + static_cast<long>(off + n));
          }
          off += n;
        }
        break;
      }
      case 3:
      case 4: {
        size_t n = model.empty() ? 0 : rng() % (model.size() + 1);
        q.consume(n);
        model.erase(model.begin(), model.begin() + static_cast<long>(n));
        break;
      }
      case 5:
        if (rng() % 20 == 0) {
          ByteView lin = q.linear();
          ASSERT_EQ(Bytes(lin.begin(), lin.end()), model);
        }
        break;
    }
    ASSERT_EQ(q.size(), model.size());
    if (op % 97 == 0) {
      ASSERT_EQ(pending(q), model) << "op " << op;
    }
  }
  q.consume(q.size());
  EXPECT_TRUE(q.empty());
  EXPECT_TRUE(all_slices(q).empty());
}

}  // namespace
