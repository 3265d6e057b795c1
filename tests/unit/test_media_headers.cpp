#include <gtest/gtest.h>

#include "flv/media_headers.hpp"

#include "flv/tag_parser.hpp"
#include "tag_vectors.hpp"

namespace rtmp {
namespace {

using test::cat;
using test::fcc;
using test::hex;
using test::sized;

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

Message video(Bytes payload, uint32_t ts = 0) {
  return msg(MessageType::kVideo, std::move(payload), ts);
}

Message audio(Bytes payload, uint32_t ts = 0) {
  return msg(MessageType::kAudio, std::move(payload), ts);
}

// An enhanced sequence start for one track (multitrack OneTrack unless track 0).
Bytes video_header(uint8_t track, const char (&codec)[5], const Bytes& record) {
  if (track == 0) return cat({hex("90"), fcc(codec), record});
  return cat({hex("96 00"), fcc(codec), Bytes{track}, record});
}

Bytes audio_header(uint8_t track, const Bytes& head) {
  if (track == 0) return cat({hex("90"), fcc("Opus"), head});
  return cat({hex("95 00"), fcc("Opus"), Bytes{track}, head});
}

std::vector<Bytes> payloads(const std::vector<Message>& ms) {
  std::vector<Bytes> out;
  for (const Message& m : ms) out.push_back(m.payload);
  return out;
}

TEST(MediaHeaders, EnhancedAndMultitrackClassification) {
  // Legacy HEVC (CodecID 12) and AV1 (13) headers, as some CDNs send them.
  EXPECT_TRUE(is_video_sequence_header(video(hex("1c 00 000000 01"))));
  EXPECT_TRUE(is_video_sequence_header(video(hex("1d 00 000000 81"))));
  EXPECT_FALSE(is_video_sequence_header(video(hex("1c 01 000000 01"))));
  // Enhanced: SequenceStart and MPEG2TSSequenceStart, also behind ModEx or in multitrack.
  EXPECT_TRUE(is_video_sequence_header(video(cat({hex("95"), fcc("av01"), hex("80")}))));
  EXPECT_TRUE(is_video_sequence_header(video(cat({hex("97 02 000001 00"), fcc("hvc1")}))));
  EXPECT_TRUE(is_video_sequence_header(video(video_header(3, "hvc1", hex("01")))));
  EXPECT_FALSE(is_video_sequence_header(video(cat({hex("92"), fcc("hvc1")}))));  // end
  EXPECT_TRUE(is_audio_sequence_header(audio(audio_header(0, test::opus_head()))));
  EXPECT_TRUE(is_audio_sequence_header(audio(audio_header(2, test::opus_head()))));
  EXPECT_FALSE(is_audio_sequence_header(audio(cat({hex("94"), fcc("Opus"), hex("00 02")}))));
  // A header of one kind is not one of the other.
  EXPECT_FALSE(is_audio_sequence_header(video(hex("17 00 000000"))));
  EXPECT_FALSE(is_video_sequence_header(audio(hex("af 00 1210"))));
  // Key frames: one FrameType for every track of a multitrack tag.
  const Bytes two =
      cat({hex("96 11"), fcc("av01"), hex("00"), sized(hex("aa")), hex("01"), sized(hex("bb"))});
  EXPECT_TRUE(is_video_keyframe(video(two)));
  EXPECT_TRUE(classify(video(two)).keyframe_for(1));
  Bytes inter = two;
  inter[0] = 0xa6;
  EXPECT_FALSE(is_video_keyframe(video(inter)));
  EXPECT_FALSE(is_video_keyframe(audio(hex("af 01 21"))));
  EXPECT_FALSE(is_video_keyframe(video(hex("17"))));  // header cut short
}

TEST(MediaHeaders, KeepsAHeaderPerTrackAndMediaType) {
  MediaHeaders h;
  h.observe(video(video_header(0, "hvc1", hex("01 aa"))));
  h.observe(video(video_header(1, "av01", hex("81 bb"))));
  h.observe(audio(audio_header(0, test::opus_head())));
  h.observe(audio(audio_header(1, hex("4f70757348656164 01"))));
  EXPECT_TRUE(h.has_sequence_header(MediaType::kVideo, 0));
  EXPECT_TRUE(h.has_sequence_header(MediaType::kVideo, 1));
  EXPECT_FALSE(h.has_sequence_header(MediaType::kVideo, 2));
  EXPECT_TRUE(h.has_sequence_header(MediaType::kAudio, 1));
  // A new header for video track 1 replaces that track's only.
  h.observe(video(video_header(1, "av01", hex("81 cc")), 40));
  h.observe(setdataframe());
  const auto r = h.replay(99);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_TRUE(is_metadata(r[0]));
  EXPECT_EQ(payloads(r)[1], video_header(0, "hvc1", hex("01 aa")));
  EXPECT_EQ(payloads(r)[2], video_header(1, "av01", hex("81 cc")));
  EXPECT_EQ(payloads(r)[3], audio_header(0, test::opus_head()));
  EXPECT_EQ(payloads(r)[4], audio_header(1, hex("4f70757348656164 01")));
  for (const Message& m : r) EXPECT_EQ(m.timestamp, 99u);
  // An enhanced H.264 header on track 0 replaces the legacy one, and the other way round.
  MediaHeaders l;
  l.observe(video(hex("17 00 000000 01")));
  l.observe(video(cat({hex("90"), fcc("avc1"), hex("01 02")})));
  ASSERT_EQ(l.replay(0).size(), 1u);
  EXPECT_EQ(l.replay(0)[0].payload, cat({hex("90"), fcc("avc1"), hex("01 02")}));
}

TEST(MediaHeaders, SequenceEndForgetsThatTrack) {
  MediaHeaders h;
  h.observe(video(video_header(0, "hvc1", hex("01"))));
  h.observe(video(video_header(2, "hvc1", hex("02"))));
  h.observe(audio(audio_header(0, test::opus_head())));
  h.observe(audio(cat({hex("94"), fcc("Opus"), hex("01 02 00000003")})));
  h.observe(video(cat({hex("96 02"), fcc("hvc1"), hex("02")})));  // OneTrack end, track 2
  EXPECT_TRUE(h.has_sequence_header(MediaType::kVideo, 0));
  EXPECT_FALSE(h.has_sequence_header(MediaType::kVideo, 2));
  h.observe(audio(cat({hex("92"), fcc("Opus")})));  // the audio's config goes with it
  const auto r = h.replay(0);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload, video_header(0, "hvc1", hex("01")));
  h.observe(video(hex("17 02 000000")));  // legacy AVC end of sequence: track 0
  EXPECT_TRUE(h.replay(0).empty());
  EXPECT_TRUE(h.has_video());
}

TEST(MediaHeaders, AMultitrackHeaderTagIsKeptWholeAndRewrittenWhenPartlyReplaced) {
  const Bytes rec0 = hex("01 a0");
  const Bytes rec1 = hex("01 a1");
  const Bytes rec2 = hex("01 a2");
  const Bytes many = cat({hex("96 10"), fcc("hvc1"), hex("00"), sized(rec0), hex("01"), sized(rec1),
                          hex("02"), sized(rec2)});
  MediaHeaders h;
  h.observe(video(many));
  EXPECT_TRUE(h.has_sequence_header(MediaType::kVideo, 2));
  ASSERT_EQ(h.replay(0).size(), 1u);
  EXPECT_EQ(h.replay(0)[0].payload, many);  // the tag itself is the header to replay
  // Track 1 gets a header of its own: the three-track tag is rewritten without track 1.
  h.observe(video(video_header(1, "hvc1", hex("01 b1"))));
  auto r = h.replay(0);
  ASSERT_EQ(r.size(), 2u);
  MediaTag tag;
  ASSERT_EQ(parse_message(r[0], tag, nullptr), TagStatus::kOk);
  ASSERT_EQ(tag.frames.size(), 2u);
  EXPECT_EQ(tag.frames[0].track_id, 0);
  EXPECT_EQ(tag.frames[1].track_id, 2);
  EXPECT_EQ(Bytes(tag.frames[1].payload.begin(), tag.frames[1].payload.end()), rec2);
  EXPECT_EQ(r[1].payload, video_header(1, "hvc1", hex("01 b1")));
  // Ending tracks 0 and 2 leaves track 1's header only.
  h.observe(video(cat({hex("96 12"), fcc("hvc1"), hex("00 000000 02 000000")})));
  r = h.replay(0);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload, video_header(1, "hvc1", hex("01 b1")));
}

TEST(MediaHeaders, ReplaysColorInfoAndChannelConfigAfterTheirSequenceHeaders) {
  MediaHeaders h;
  const Bytes color = cat({hex("d4"), fcc("av01"), test::color_info_payload()});
  const Bytes channels = cat({hex("94"), fcc("Opus"), hex("02 02 0100")});
  h.observe(audio(channels));
  h.observe(video(color));
  h.observe(audio(audio_header(0, test::opus_head())));
  h.observe(video(video_header(0, "av01", test::av1_record())));
  h.observe(video(cat({hex("91"), fcc("av01"), hex("12 00")})));  // frames are not kept
  h.observe(audio({}));                                           // nor silence
  const auto r = h.replay(7);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].payload, video_header(0, "av01", test::av1_record()));
  EXPECT_EQ(r[1].payload, color);
  EXPECT_EQ(r[2].payload, audio_header(0, test::opus_head()));
  EXPECT_EQ(r[3].payload, channels);
  // A new colorInfo replaces the old one (here: the reset to the original color state).
  const Bytes reset = cat({hex("d4"), fcc("av01"), encode_color_info(amf0::Value::Undefined())});
  h.observe(video(reset));
  ASSERT_EQ(h.replay(0).size(), 4u);
  EXPECT_EQ(h.replay(0)[1].payload, reset);
}

TEST(MediaHeaders, IgnoresWhatItCannotRead) {
  MediaHeaders h;
  h.observe(video(hex("98 00")));                                      // reserved packet type
  h.observe(video(cat({hex("96 10"), fcc("hvc1"), hex("00 0000")})));  // track cut short
  h.observe(audio(hex("af")));
  h.observe(msg(MessageType::kCommandAmf0, hex("02 0004 706c6179")));
  EXPECT_TRUE(h.replay(0).empty());
  EXPECT_TRUE(h.has_video());
}

}  // namespace
}  // namespace rtmp
