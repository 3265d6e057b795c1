// Real-time pacing of untimestamped FLV tags.
#include <gtest/gtest.h>

#include "flv/tag_pacer.hpp"

namespace rtmp {
namespace {

constexpr uint64_t kMs = 1'000'000;

TEST(TagPacer, TagsAreDueAtTheirTimestampsFromTheFirst) {
  TagPacer p;
  const uint64_t start = 5'000 * kMs;
  EXPECT_EQ(p.due_ns(0, start), start);  // metadata and headers: at once
  EXPECT_EQ(p.due_ns(0, start), start);
  EXPECT_EQ(p.due_ns(40, start + 1 * kMs), start + 40 * kMs);
  EXPECT_EQ(p.due_ns(23, start + 2 * kMs), start + 23 * kMs);  // interleaved audio, a bit back
  EXPECT_EQ(p.due_ns(10'000, start), start + 10'000 * kMs);
}

TEST(TagPacer, AStreamNotStartingAtZero) {
  TagPacer p;
  EXPECT_EQ(p.due_ns(123'456, 7 * kMs), 7 * kMs);
  EXPECT_EQ(p.due_ns(123'556, 8 * kMs), 107 * kMs);
}

TEST(TagPacer, JumpsAnchorAgain) {
  TagPacer p;
  p.due_ns(50'000, 0);
  EXPECT_EQ(p.due_ns(51'000, 1 * kMs), 1'000 * kMs);
  // A second file starting again at 0: due at once, and paced from there.
  EXPECT_EQ(p.due_ns(0, 1'000 * kMs), 1'000 * kMs);
  EXPECT_EQ(p.due_ns(40, 1'001 * kMs), 1'040 * kMs);
  // A broken timestamp an hour ahead: not an hour's wait.
  EXPECT_EQ(p.due_ns(3'600'000, 1'050 * kMs), 1'050 * kMs);
}

TEST(TagPacer, TimestampWrapIsAStepNotAJump) {
  TagPacer p;
  EXPECT_EQ(p.due_ns(0xFFFFFFF0u, 0), 0u);
  EXPECT_EQ(p.due_ns(0x00000010u, 1 * kMs), 32 * kMs);
}

TEST(TagPacer, ResetForgetsTheAnchor) {
  TagPacer p;
  p.due_ns(0, 0);
  p.reset();
  EXPECT_EQ(p.due_ns(5000, 9 * kMs), 9 * kMs);
}

}  // namespace
}  // namespace rtmp
