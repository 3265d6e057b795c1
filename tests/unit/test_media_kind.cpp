#include "flv/media_kind.hpp"

#include <gtest/gtest.h>

#include <string>

#include "flv/tag_parser.hpp"
#include "tag_vectors.hpp"

namespace rtmp {
namespace {

using test::cat;
using test::fcc;
using test::hex;

Message msg(MessageType t, Bytes payload) {
  Message m;
  m.type = uint8_t(t);
  m.payload = std::move(payload);
  return m;
}

// Whatever the full parser accepts, the classifier must describe the same way.
void expect_agrees_with_parser(MediaType media, const Bytes& body, const std::string& what) {
  MediaTag tag;
  if (parse_media_tag(media, body, tag, nullptr) != TagStatus::kOk) {
    (void)classify_tag(media, body);  // must not crash
    return;
  }
  const MediaKind k = classify_tag(media, body);
  ASSERT_TRUE(k.valid) << what;
  EXPECT_EQ(k.media, media == MediaType::kVideo ? MediaClass::kVideo : MediaClass::kAudio);
  EXPECT_EQ(k.track_count, tag.frames.size()) << what;
  std::bitset<256> ids;
  for (const TrackFrame& f : tag.frames) {
    ids.set(f.track_id);
    EXPECT_EQ(k.kind, f.kind) << what;
    EXPECT_EQ(k.keyframe, f.keyframe()) << what;
    EXPECT_EQ(k.keyframe_for(f.track_id), f.keyframe()) << what;
    EXPECT_EQ(k.nano_offset, f.nano_offset) << what;
    EXPECT_EQ(k.enhanced, f.codec.enhanced) << what;
  }
  EXPECT_EQ(k.tracks, ids) << what;
}

TEST(MediaKind, AgreesWithTheParserOnEveryVectorAndEveryTruncation) {
  for (const test::Vector& v : test::valid_vectors()) {
    for (size_t n = 0; n <= v.body.size(); ++n) {
      const Bytes prefix(v.body.begin(), v.body.begin() + static_cast<std::ptrdiff_t>(n));
      expect_agrees_with_parser(v.media, prefix, v.name + " cut to " + std::to_string(n));
    }
    EXPECT_TRUE(classify_tag(v.media, v.body).valid) << v.name;
  }
  for (const test::Vector& v : test::invalid_vectors())
    expect_agrees_with_parser(v.media, v.body, v.name);
}

TEST(MediaKind, LegacyAndEnhancedKeyFrames) {
  MediaKind k = classify(msg(MessageType::kVideo, hex("17 01 000000 aa")));
  EXPECT_TRUE(k.valid);
  EXPECT_TRUE(k.keyframe);
  EXPECT_FALSE(k.enhanced);
  EXPECT_EQ(k.track_count, 1);
  EXPECT_TRUE(k.keyframe_for(0));
  EXPECT_FALSE(k.keyframe_for(1));
  EXPECT_FALSE(classify(msg(MessageType::kVideo, hex("27 01 000000 aa"))).keyframe);
  // Only the header is read: an hvc1 frame cut before its composition time is still a key frame.
  k = classify(msg(MessageType::kVideo, cat({hex("91"), fcc("hvc1")})));
  EXPECT_TRUE(k.valid);
  EXPECT_TRUE(k.keyframe);
  EXPECT_TRUE(k.enhanced);
  EXPECT_EQ(k.kind, PacketKind::kCodedFrames);
  // Metadata's FrameType is ignored; a command frame is no key frame.
  EXPECT_FALSE(classify(msg(MessageType::kVideo, cat({hex("94"), fcc("hvc1")}))).keyframe);
  EXPECT_FALSE(classify(msg(MessageType::kVideo, hex("d1 00"))).keyframe);
  EXPECT_EQ(classify(msg(MessageType::kVideo, hex("d1 00"))).kind, PacketKind::kCommand);
}

TEST(MediaKind, MultitrackTrackIds) {
  const Bytes body =
      cat({hex("96 21"), fcc("avc1"), hex("05"), test::sized(hex("000000 aa")), fcc("av01"),
           hex("09"), test::sized(hex("bb")), fcc("vp09"), hex("05"), test::sized({})});
  const MediaKind k = classify(msg(MessageType::kVideo, body));
  ASSERT_TRUE(k.valid);
  EXPECT_EQ(k.track_count, 3);
  EXPECT_EQ(k.tracks.count(), 2u);
  EXPECT_TRUE(k.has_track(5));
  EXPECT_TRUE(k.has_track(9));
  EXPECT_FALSE(k.has_track(0));
  EXPECT_TRUE(k.keyframe_for(9));
  EXPECT_FALSE(k.keyframe_for(0));
  EXPECT_EQ(k.kind, PacketKind::kCodedFrames);
  // A track cut short: not valid, no tracks.
  const Bytes cut(body.begin(), body.end() - 2);
  const MediaKind c = classify(msg(MessageType::kVideo, cut));
  EXPECT_FALSE(c.valid);
  EXPECT_EQ(c.track_count, 0);
  EXPECT_TRUE(c.tracks.none());
  // OneTrack: the id after the FourCC.
  const MediaKind one =
      classify(msg(MessageType::kAudio, cat({hex("95 00"), fcc("Opus"), hex("03")})));
  EXPECT_TRUE(one.valid);
  EXPECT_TRUE(one.has_track(3));
  EXPECT_EQ(one.kind, PacketKind::kSequenceStart);
  EXPECT_TRUE(one.is_sequence_header());
}

TEST(MediaKind, Headers) {
  EXPECT_TRUE(classify(msg(MessageType::kVideo, hex("17 00 000000"))).is_sequence_header());
  EXPECT_TRUE(classify(msg(MessageType::kVideo, hex("1c 00 000000"))).is_sequence_header());
  EXPECT_TRUE(classify(msg(MessageType::kAudio, hex("af 00 1210"))).is_sequence_header());
  EXPECT_FALSE(classify(msg(MessageType::kAudio, hex("af 01 21"))).is_sequence_header());
  EXPECT_FALSE(classify(msg(MessageType::kAudio, hex("2f 00"))).is_sequence_header());  // MP3
  EXPECT_TRUE(
      classify(msg(MessageType::kVideo, cat({hex("95"), fcc("av01")}))).is_sequence_header());
  const MediaKind meta = classify(msg(MessageType::kVideo, cat({hex("d4"), fcc("av01")})));
  EXPECT_FALSE(meta.is_sequence_header());
  EXPECT_TRUE(meta.is_header());
  const MediaKind mc =
      classify(msg(MessageType::kAudio, cat({hex("94"), fcc("Opus"), hex("00 02")})));
  EXPECT_TRUE(mc.is_header());
  EXPECT_FALSE(mc.is_sequence_header());
  EXPECT_FALSE(classify(msg(MessageType::kVideo, cat({hex("92"), fcc("av01")}))).is_header());
  EXPECT_FALSE(classify(msg(MessageType::kVideo, cat({hex("91"), fcc("av01")}))).is_header());
}

TEST(MediaKind, DataAndOtherMessages) {
  Bytes p = {0x02, 0, 10};
  for (char c : std::string("onMetaData")) p.push_back(uint8_t(c));
  MediaKind k = classify(msg(MessageType::kDataAmf0, p));
  EXPECT_EQ(k.media, MediaClass::kMetadata);
  EXPECT_TRUE(k.is_header());
  EXPECT_TRUE(is_metadata(msg(MessageType::kDataAmf0, p)));
  EXPECT_FALSE(is_metadata(msg(MessageType::kDataAmf3, p)));
  p[2] = 11;  // the string would run past the end
  EXPECT_EQ(classify(msg(MessageType::kDataAmf0, p)).media, MediaClass::kOther);
  k = classify(msg(MessageType::kCommandAmf0, hex("02 0004 706c6179")));
  EXPECT_EQ(k.media, MediaClass::kOther);
  EXPECT_FALSE(k.valid);
  EXPECT_FALSE(k.is_header());
}

TEST(MediaKind, EmptyAndBrokenBodies) {
  MediaKind k = classify(msg(MessageType::kAudio, {}));  // silence
  EXPECT_TRUE(k.valid);
  EXPECT_EQ(k.track_count, 0);
  EXPECT_FALSE(k.is_header());
  k = classify(msg(MessageType::kVideo, {}));
  EXPECT_TRUE(k.valid);
  EXPECT_FALSE(k.keyframe);
  for (const Bytes& broken : {hex("17"), hex("91 6176"), hex("98 61766331"), hex("af")}) {
    const MediaType media = broken[0] == 0xaf ? MediaType::kAudio : MediaType::kVideo;
    k = classify_tag(media, broken);
    EXPECT_FALSE(k.valid);
    EXPECT_FALSE(k.keyframe);
    EXPECT_FALSE(k.is_header());
    EXPECT_FALSE(k.is_sequence_header());
  }
}

}  // namespace
}  // namespace rtmp
