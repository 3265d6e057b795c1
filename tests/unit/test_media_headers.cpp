#include <gtest/gtest.h>

#include "flv/media_headers.hpp"

namespace rtmp {
namespace {

Message msg(MessageType t, Bytes payload, uint32_t ts = 0) {
  Message m;
  m.type = uint8_t(t);
  m.payload = std::move(payload);
  m.timestamp = ts;
  return m;
}

Message setdataframe() {
  Bytes p = {0x02, 0, 13};
  for (char c : std::string("@setDataFrame")) p.push_back(uint8_t(c));
  p.insert(p.end(), {0x02, 0, 10});
  for (char c : std::string("onMetaData")) p.push_back(uint8_t(c));
  return msg(MessageType::kDataAmf0, p);
}

TEST(MediaHeaders, Classification) {
  EXPECT_TRUE(is_video_keyframe(msg(MessageType::kVideo, {0x17, 1})));
  EXPECT_FALSE(is_video_keyframe(msg(MessageType::kVideo, {0x27, 1})));
  EXPECT_TRUE(is_video_keyframe(msg(MessageType::kVideo, {0x91, 'h', 'v', 'c', '1'})));  // enhanced
  EXPECT_TRUE(is_video_sequence_header(msg(MessageType::kVideo, {0x17, 0})));
  EXPECT_FALSE(is_video_sequence_header(msg(MessageType::kVideo, {0x17, 1})));
  EXPECT_TRUE(is_video_sequence_header(msg(MessageType::kVideo, {0x90, 'a', 'v', '0', '1'})));
  EXPECT_TRUE(is_audio_sequence_header(msg(MessageType::kAudio, {0xaf, 0})));
  EXPECT_FALSE(is_audio_sequence_header(msg(MessageType::kAudio, {0xaf, 1})));
  EXPECT_FALSE(is_audio_sequence_header(msg(MessageType::kAudio, {0x2f, 0})));  // MP3
  EXPECT_TRUE(is_metadata(setdataframe()));
  EXPECT_FALSE(is_metadata(msg(MessageType::kDataAmf0, {0x02, 0, 50})));  // truncated
  EXPECT_FALSE(is_video_keyframe(msg(MessageType::kVideo, {})));
}

TEST(MediaHeaders, ReplaysLatestHeadersInOrderAtTheGivenTime) {
  MediaHeaders h;
  EXPECT_TRUE(h.replay(5).empty());
  h.observe(msg(MessageType::kAudio, {0xaf, 0, 1}, 0));
  h.observe(msg(MessageType::kVideo, {0x17, 0, 1}, 0));
  h.observe(setdataframe());
  h.observe(msg(MessageType::kVideo, {0x17, 0, 2}, 10));  // a newer header replaces the old
  h.observe(msg(MessageType::kVideo, {0x17, 1, 9}, 10));  // frames are not kept
  auto r = h.replay(1234);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(is_metadata(r[0]));
  EXPECT_EQ(r[1].payload, (Bytes{0x17, 0, 2}));
  EXPECT_EQ(r[2].payload, (Bytes{0xaf, 0, 1}));
  for (auto& m : r) EXPECT_EQ(m.timestamp, 1234u);
  EXPECT_TRUE(h.has_video());
  h.clear();
  EXPECT_TRUE(h.replay(0).empty());
  EXPECT_FALSE(h.has_video());
}

}  // namespace
}  // namespace rtmp
