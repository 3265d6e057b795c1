#include "flv/tag_parser.hpp"

#include <gtest/gtest.h>

#include <string>

#include "flv/tag_writer.hpp"
#include "tag_vectors.hpp"

namespace rtmp {
namespace {

using test::cat;
using test::fcc;
using test::hex;

// Parses a copy of `body` kept for the rest of the run, so that the views stay valid.
MediaTag parse_ok(MediaType media, const Bytes& body) {
  MediaTag tag;
  std::string error;
  EXPECT_EQ(parse_media_tag(media, test::keep(body), tag, &error), TagStatus::kOk) << error;
  return tag;
}

std::string parse_error(MediaType media, const Bytes& body) {
  MediaTag tag;
  std::string error;
  EXPECT_EQ(parse_media_tag(media, body, tag, &error), TagStatus::kError);
  return error;
}

bool within(ByteView part, ByteView whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// Checks one parse outcome: an error has a message; a success points only into `body` and
// survives write + parse unchanged.
void check_outcome(MediaType media, const Bytes& body, const std::string& what) {
  MediaTag tag;
  std::string error;
  if (parse_media_tag(media, body, tag, &error) == TagStatus::kError) {
    EXPECT_FALSE(error.empty()) << what;
    return;
  }
  for (const TrackFrame& f : tag.frames) {
    EXPECT_TRUE(within(f.payload, body)) << what;
    EXPECT_TRUE(within(f.channels.mapping, body)) << what;
  }
  Bytes written;
  ASSERT_EQ(write_media_tag(tag, written, &error), TagStatus::kOk) << what << ": " << error;
  MediaTag again;
  ASSERT_EQ(parse_media_tag(media, written, again, &error), TagStatus::kOk) << what << error;
  EXPECT_EQ(again, tag) << what << "\n" << describe(tag) << "\nvs\n" << describe(again);
}

TEST(TagParser, EveryValidVectorParses) {
  for (const test::Vector& v : test::valid_vectors()) {
    SCOPED_TRACE(v.name);
    MediaTag tag = parse_ok(v.media, v.body);
    EXPECT_EQ(tag.media, v.media);
    EXPECT_EQ(tag.frames.empty(), v.body.empty());
  }
}

TEST(TagParser, EveryInvalidVectorFailsWithAMessage) {
  for (const test::Vector& v : test::invalid_vectors()) {
    SCOPED_TRACE(v.name);
    EXPECT_FALSE(parse_error(v.media, v.body).empty());
  }
}

// Every prefix of every vector, each in a buffer of its own exact size (so that a sanitizer
// build catches any read past it): a clean error or a parse that round-trips.
TEST(TagParser, EveryTruncationIsACleanErrorOrAConsistentParse) {
  auto vectors = test::valid_vectors();
  for (auto& v : test::invalid_vectors()) vectors.push_back(v);
  for (const test::Vector& v : vectors) {
    for (size_t n = 0; n <= v.body.size(); ++n) {
      const Bytes prefix(v.body.begin(), v.body.begin() + static_cast<std::ptrdiff_t>(n));
      check_outcome(v.media, prefix, v.name + " cut to " + std::to_string(n));
    }
  }
}

// Every vector with one byte changed, several ways: no crash, and the same checks.
TEST(TagParser, EveryOneByteCorruptionIsACleanErrorOrAConsistentParse) {
  for (const test::Vector& v : test::valid_vectors()) {
    for (size_t i = 0; i < v.body.size(); ++i) {
      for (uint8_t x : {0x01, 0x10, 0x80, 0xff}) {
        Bytes body = v.body;
        body[i] ^= x;
        check_outcome(v.media, body, v.name + " byte " + std::to_string(i));
        check_outcome(v.media == MediaType::kVideo ? MediaType::kAudio : MediaType::kVideo, body,
                      v.name + " as the other media, byte " + std::to_string(i));
      }
    }
  }
}

TEST(TagParser, IsDeterministic) {
  for (const test::Vector& v : test::valid_vectors()) {
    EXPECT_EQ(parse_ok(v.media, v.body), parse_ok(v.media, v.body)) << v.name;
  }
}

TEST(TagParser, LegacyAvcSequenceHeaderFromX264) {
  const Bytes body = cat({hex("17 00 000000"), test::avc_record()});
  MediaTag tag = parse_ok(MediaType::kVideo, body);
  ASSERT_EQ(tag.frames.size(), 1u);
  const TrackFrame& f = tag.frames[0];
  EXPECT_EQ(f.codec, Codec::legacy(7));
  EXPECT_EQ(codec_kind(MediaType::kVideo, f.codec), CodecKind::kH264);
  EXPECT_EQ(f.kind, PacketKind::kSequenceStart);
  EXPECT_TRUE(f.keyframe());
  EXPECT_EQ(f.track_id, 0);
  EXPECT_EQ(tag.multitrack, Multitrack::kNone);
  EXPECT_EQ(Bytes(f.payload.begin(), f.payload.end()), test::avc_record());
  // AVCDecoderConfigurationRecord: version 1, profile 244 (High 4:4:4), level 1.3.
  EXPECT_EQ(f.payload[0], 1);
  EXPECT_EQ(f.payload[1], 0xf4);
  EXPECT_EQ(f.payload[3], 0x0d);
}

TEST(TagParser, LegacyCompositionTimesAreSigned24Bit) {
  const Bytes nal = hex("00000002 0910");
  MediaTag tag = parse_ok(MediaType::kVideo, cat({hex("27 01 000028"), nal}));
  EXPECT_EQ(tag.frames[0].composition_time, 40);
  EXPECT_FALSE(tag.frames[0].keyframe());
  EXPECT_EQ(tag.frames[0].frame_type, frame_type::kInter);
  tag = parse_ok(MediaType::kVideo, cat({hex("17 01 ffffd8"), nal}));
  EXPECT_EQ(tag.frames[0].composition_time, -40);
  tag = parse_ok(MediaType::kVideo, cat({hex("17 01 7fffff"), nal}));
  EXPECT_EQ(tag.frames[0].composition_time, 0x7fffff);
  tag = parse_ok(MediaType::kVideo, cat({hex("17 01 800000"), nal}));
  EXPECT_EQ(tag.frames[0].composition_time, -0x800000);
  EXPECT_EQ(Bytes(tag.frames[0].payload.begin(), tag.frames[0].payload.end()), nal);
}

TEST(TagParser, LegacyHevcAndAv1ExtensionsAreLaidOutLikeAvc) {
  MediaTag tag = parse_ok(MediaType::kVideo, cat({hex("1c 00 000000"), test::hevc_record()}));
  EXPECT_EQ(tag.frames[0].codec, Codec::legacy(12));
  EXPECT_EQ(codec_kind(MediaType::kVideo, tag.frames[0].codec), CodecKind::kH265);
  EXPECT_EQ(tag.frames[0].kind, PacketKind::kSequenceStart);
  EXPECT_EQ(tag.frames[0].payload.size(), test::hevc_record().size());
  tag = parse_ok(MediaType::kVideo, hex("2c 01 000050 aabb"));
  EXPECT_EQ(tag.frames[0].composition_time, 80);
  EXPECT_EQ(tag.frames[0].kind, PacketKind::kCodedFrames);
  tag = parse_ok(MediaType::kVideo, hex("1d 02 000000"));
  EXPECT_EQ(codec_kind(MediaType::kVideo, tag.frames[0].codec), CodecKind::kAv1);
  EXPECT_EQ(tag.frames[0].kind, PacketKind::kSequenceEnd);
}

TEST(TagParser, OtherLegacyVideoIsOpaque) {
  MediaTag tag = parse_ok(MediaType::kVideo, hex("14 00 1122"));  // VP6: its own header byte
  EXPECT_EQ(tag.frames[0].codec, Codec::legacy(4));
  EXPECT_EQ(codec_kind(MediaType::kVideo, tag.frames[0].codec), CodecKind::kLegacyVideo);
  EXPECT_EQ(tag.frames[0].kind, PacketKind::kCodedFrames);
  EXPECT_EQ(Bytes(tag.frames[0].payload.begin(), tag.frames[0].payload.end()), hex("00 1122"));
  tag = parse_ok(MediaType::kVideo, hex("2f 99"));  // a reserved CodecID is kept as data
  EXPECT_EQ(codec_kind(MediaType::kVideo, tag.frames[0].codec), CodecKind::kUnknown);
  tag = parse_ok(MediaType::kVideo, hex("57 01"));  // command frame: End of client-side seeking
  EXPECT_EQ(tag.frames[0].kind, PacketKind::kCommand);
  EXPECT_EQ(Bytes(tag.frames[0].payload.begin(), tag.frames[0].payload.end()), hex("01"));
}

TEST(TagParser, EnhancedHevcSequenceStartAndFrames) {
  MediaTag tag = parse_ok(MediaType::kVideo, cat({hex("90"), fcc("hvc1"), test::hevc_record()}));
  ASSERT_EQ(tag.frames.size(), 1u);
  EXPECT_EQ(tag.frames[0].codec, Codec::four_cc(fourcc::kHevc));
  EXPECT_EQ(tag.frames[0].kind, PacketKind::kSequenceStart);
  EXPECT_TRUE(tag.frames[0].keyframe());
  // HEVCDecoderConfigurationRecord: version 1, general_profile_idc 4 (range extensions, for
  // x265's 4:4:4 input), general_level_idc 60 (level 2).
  EXPECT_EQ(tag.frames[0].payload[0], 1);
  EXPECT_EQ(tag.frames[0].payload[1] & 0x1f, 4);
  EXPECT_EQ(tag.frames[0].payload[12], 60);

  tag = parse_ok(MediaType::kVideo, cat({hex("91"), fcc("hvc1"), hex("000021 aa")}));
  EXPECT_EQ(tag.frames[0].kind, PacketKind::kCodedFrames);
  EXPECT_EQ(tag.frames[0].composition_time, 33);
  EXPECT_EQ(tag.frames[0].payload.size(), 1u);

  tag = parse_ok(MediaType::kVideo, cat({hex("a3"), fcc("hvc1"), hex("000021 aa")}));  // X
  EXPECT_EQ(tag.frames[0].kind, PacketKind::kCodedFrames);
  EXPECT_EQ(tag.frames[0].composition_time, 0);
  EXPECT_EQ(tag.frames[0].payload.size(), 4u);
  EXPECT_EQ(tag.frames[0].frame_type, frame_type::kInter);
}

TEST(TagParser, CodecsWithoutCompositionTime) {
  for (const char* name : {"av01", "vp09", "vp08", "hev1", "xyz!"}) {
    const Bytes f4 = Bytes(name, name + 4);
    MediaTag tag = parse_ok(MediaType::kVideo, cat({hex("91"), f4, hex("000021 aa")}));
    EXPECT_EQ(tag.frames[0].composition_time, 0) << name;
    EXPECT_EQ(tag.frames[0].payload.size(), 4u) << name;
  }
  MediaTag tag = parse_ok(MediaType::kVideo, cat({hex("91"), fcc("xyz!"), hex("00")}));
  EXPECT_EQ(codec_kind(MediaType::kVideo, tag.frames[0].codec), CodecKind::kUnknown);
}

TEST(TagParser, MetadataColorInfo) {
  MediaTag tag =
      parse_ok(MediaType::kVideo, cat({hex("d4"), fcc("av01"), test::color_info_payload()}));
  ASSERT_EQ(tag.frames.size(), 1u);
  const TrackFrame& f = tag.frames[0];
  EXPECT_EQ(f.kind, PacketKind::kMetadata);
  EXPECT_FALSE(f.keyframe());
  EXPECT_EQ(f.frame_type, frame_type::kCommand);  // FFmpeg's choice; ignored for metadata
  ASSERT_EQ(f.metadata.size(), 2u);
  const amf0::Value* info = color_info(f);
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(*info, test::hdr_color_info());
  EXPECT_EQ(info->get("colorConfig")->get_number("transferCharacteristics"), 16.0);
  EXPECT_EQ(info->get("hdrMdcv")->get_number("minLuminance"), 0.0001);
  EXPECT_EQ(Bytes(f.payload.begin(), f.payload.end()), test::color_info_payload());

  // The reset the spec recommends: colorInfo undefined. Hand-written AMF0.
  const Bytes reset =
      cat({hex("02 0009"), Bytes{'c', 'o', 'l', 'o', 'r', 'I', 'n', 'f', 'o'}, hex("06")});
  tag = parse_ok(MediaType::kVideo, cat({hex("94"), fcc("hvc1"), reset}));
  ASSERT_NE(color_info(tag.frames[0]), nullptr);
  EXPECT_EQ(color_info(tag.frames[0])->type(), amf0::Type::kUndefined);
  tag = parse_ok(MediaType::kVideo, cat({hex("94"), fcc("hvc1")}));  // no values at all
  EXPECT_EQ(color_info(tag.frames[0]), nullptr);
}

TEST(TagParser, EnhancedCommandFrameHasNoFourCc) {
  MediaTag tag = parse_ok(MediaType::kVideo, hex("d1 00"));
  ASSERT_EQ(tag.frames.size(), 1u);
  EXPECT_EQ(tag.frames[0].kind, PacketKind::kCommand);
  EXPECT_EQ(tag.frames[0].codec, Codec::four_cc(0));
  EXPECT_EQ(tag.frames[0].payload.size(), 1u);
  // Even with a Multitrack packet type: FrameType 5 is looked at first.
  tag = parse_ok(MediaType::kVideo, hex("d6 01 02"));
  EXPECT_EQ(tag.frames[0].kind, PacketKind::kCommand);
  EXPECT_EQ(tag.multitrack, Multitrack::kNone);
}

TEST(TagParser, ModExTimestampOffsetNano) {
  // Size byte 2 (3 bytes), 500000 ns, then TimestampOffsetNano | CodedFrames.
  MediaTag tag =
      parse_ok(MediaType::kVideo, cat({hex("97 02 07a120 01"), fcc("avc1"), hex("000010 ee")}));
  ASSERT_EQ(tag.frames.size(), 1u);
  EXPECT_EQ(tag.frames[0].nano_offset, 500000u);
  EXPECT_EQ(tag.frames[0].composition_time, 16);
  EXPECT_TRUE(tag.frames[0].keyframe());
  // A 257-byte record of an unknown ModExType (0xFF, then UI16 256) is skipped.
  tag = parse_ok(MediaType::kVideo, cat({hex("97 ff 0100"), test::filler(257, 0),
                                         hex("17 02 0003e8 03"), fcc("hvc1"), hex("ee")}));
  EXPECT_EQ(tag.frames[0].nano_offset, 1000u);
  EXPECT_EQ(tag.frames[0].payload.size(), 1u);
  // 0xFF then UI16 0x00FE is 255 bytes, the same as a size byte of 0xFE.
  tag = parse_ok(MediaType::kVideo,
                 cat({hex("97 ff 00fe"), test::filler(255, 0), hex("01"), fcc("av01")}));
  EXPECT_EQ(tag.frames[0].nano_offset, 0x00070e);  // the first 3 of the 255 bytes
  EXPECT_EQ(tag.frames[0].codec, Codec::four_cc(fourcc::kAv1));
  tag = parse_ok(MediaType::kVideo,
                 cat({hex("97 fe"), test::filler(255, 0), hex("01"), fcc("av01")}));
  EXPECT_EQ(tag.frames[0].nano_offset, 0x00070e);
  // Audio too.
  tag = parse_ok(MediaType::kAudio, cat({hex("97 02 0f423f 01"), fcc("Opus"), hex("fc")}));
  EXPECT_EQ(tag.frames[0].nano_offset, 999999u);
  EXPECT_EQ(tag.frames[0].kind, PacketKind::kCodedFrames);
  EXPECT_NE(parse_error(MediaType::kVideo, cat({hex("97 01 0000 01"), fcc("av01")})).find("3"),
            std::string::npos);
}

TEST(TagParser, VideoMultitrack) {
  const Bytes nal = hex("00000002 0910");
  MediaTag tag =
      parse_ok(MediaType::kVideo, cat({hex("96 01"), fcc("hvc1"), hex("03 000010"), nal}));
  EXPECT_EQ(tag.multitrack, Multitrack::kOneTrack);
  ASSERT_EQ(tag.frames.size(), 1u);
  EXPECT_EQ(tag.frames[0].track_id, 3);
  EXPECT_EQ(tag.frames[0].composition_time, 16);
  EXPECT_EQ(tag.frames[0].payload.size(), nal.size());

  tag = parse_ok(MediaType::kVideo,
                 cat({hex("96 21"), fcc("avc1"), hex("00"), test::sized(cat({hex("000021"), nal})),
                      fcc("av01"), hex("01"), test::sized(hex("12 00"))}));
  EXPECT_EQ(tag.multitrack, Multitrack::kManyTracksManyCodecs);
  ASSERT_EQ(tag.frames.size(), 2u);
  EXPECT_EQ(tag.frames[0].codec, Codec::four_cc(fourcc::kAvc));
  EXPECT_EQ(tag.frames[0].composition_time, 33);
  EXPECT_EQ(tag.frames[1].codec, Codec::four_cc(fourcc::kAv1));
  EXPECT_EQ(tag.frames[1].track_id, 1);
  EXPECT_EQ(tag.frames[1].payload.size(), 2u);
  for (const TrackFrame& f : tag.frames) EXPECT_TRUE(f.keyframe());

  tag = parse_ok(MediaType::kVideo, cat({hex("a6 13"), fcc("hvc1"), hex("00"), test::sized(nal),
                                         hex("07"), test::sized(nal)}));
  EXPECT_EQ(tag.multitrack, Multitrack::kManyTracks);
  ASSERT_EQ(tag.frames.size(), 2u);
  EXPECT_EQ(tag.frames[1].track_id, 7);
  for (const TrackFrame& f : tag.frames) {
    EXPECT_EQ(f.codec, Codec::four_cc(fourcc::kHevc));
    EXPECT_EQ(f.frame_type, frame_type::kInter);
    EXPECT_EQ(Bytes(f.payload.begin(), f.payload.end()), nal);
  }
}

TEST(TagParser, ModExComesBeforeMultitrackAndAppliesToEveryTrack) {
  MediaTag tag =
      parse_ok(MediaType::kVideo, cat({hex("97 02 0003e8 06 10"), fcc("hvc1"), hex("00"),
                                       test::sized(hex("01")), hex("01"), test::sized(hex("01"))}));
  ASSERT_EQ(tag.frames.size(), 2u);
  for (const TrackFrame& f : tag.frames) {
    EXPECT_EQ(f.nano_offset, 1000u);
    EXPECT_EQ(f.kind, PacketKind::kSequenceStart);
  }
  EXPECT_FALSE(parse_error(MediaType::kVideo, cat({hex("96 07"), fcc("hvc1"), hex("00")})).empty());
}

TEST(TagParser, LegacyAudio) {
  MediaTag tag = parse_ok(MediaType::kAudio, cat({hex("af 00"), test::aac_config()}));
  ASSERT_EQ(tag.frames.size(), 1u);
  EXPECT_EQ(tag.frames[0].codec, Codec::legacy(10));
  EXPECT_EQ(codec_kind(MediaType::kAudio, tag.frames[0].codec), CodecKind::kAac);
  EXPECT_EQ(tag.frames[0].kind, PacketKind::kSequenceStart);
  EXPECT_EQ(tag.legacy_audio_flags, 0xf);  // 44 kHz, 16 bits, stereo
  EXPECT_EQ(tag.frames[0].frame_type, 0);
  EXPECT_FALSE(tag.frames[0].keyframe());
  // AudioSpecificConfig: object type 2 (AAC LC), frequency index 4 (44.1 kHz), 2 channels.
  EXPECT_EQ(tag.frames[0].payload[0] >> 3, 2);
  tag = parse_ok(MediaType::kAudio, hex("af 01 2100"));
  EXPECT_EQ(tag.frames[0].kind, PacketKind::kCodedFrames);
  EXPECT_EQ(tag.frames[0].payload.size(), 2u);
  tag = parse_ok(MediaType::kAudio, hex("2e fffb"));
  EXPECT_EQ(codec_kind(MediaType::kAudio, tag.frames[0].codec), CodecKind::kMp3);
  EXPECT_EQ(tag.legacy_audio_flags, 0xe);
  EXPECT_EQ(tag.frames[0].payload.size(), 2u);
  tag = parse_ok(MediaType::kAudio, hex("e2 fffb"));  // MP3 8 kHz
  EXPECT_EQ(codec_kind(MediaType::kAudio, tag.frames[0].codec), CodecKind::kMp3);
  tag = parse_ok(MediaType::kAudio, hex("72 d5"));  // G.711 A-law
  EXPECT_EQ(codec_kind(MediaType::kAudio, tag.frames[0].codec), CodecKind::kLegacyAudio);
}

TEST(TagParser, EnhancedAudio) {
  MediaTag tag = parse_ok(MediaType::kAudio, cat({hex("90"), fcc("Opus"), test::opus_head()}));
  ASSERT_EQ(tag.frames.size(), 1u);
  EXPECT_EQ(tag.frames[0].codec, Codec::four_cc(fourcc::kOpus));
  EXPECT_EQ(tag.frames[0].kind, PacketKind::kSequenceStart);
  EXPECT_EQ(tag.legacy_audio_flags, 0);
  EXPECT_EQ(tag.frames[0].payload.size(), 19u);
  EXPECT_EQ(tag.frames[0].payload[9], 2);  // OpusHead channel count
  tag = parse_ok(MediaType::kAudio, cat({hex("90"), fcc("fLaC"), test::flac_header()}));
  EXPECT_EQ(codec_kind(MediaType::kAudio, tag.frames[0].codec), CodecKind::kFlac);
  EXPECT_EQ(Bytes(tag.frames[0].payload.begin(), tag.frames[0].payload.begin() + 4), fcc("fLaC"));
  for (const char* name : {"mp4a", ".mp3", "ac-3", "ec-3", "Opus"}) {
    tag = parse_ok(MediaType::kAudio, cat({hex("91"), Bytes(name, name + 4), hex("0b77 00")}));
    EXPECT_EQ(tag.frames[0].kind, PacketKind::kCodedFrames);
    EXPECT_EQ(tag.frames[0].payload.size(), 3u) << name;  // never a composition time
    EXPECT_NE(codec_kind(MediaType::kAudio, tag.frames[0].codec), CodecKind::kUnknown);
  }
  tag = parse_ok(MediaType::kAudio, cat({hex("92"), fcc("mp4a")}));
  EXPECT_EQ(tag.frames[0].kind, PacketKind::kSequenceEnd);
}

TEST(TagParser, MultichannelConfig) {
  MediaTag tag = parse_ok(MediaType::kAudio, cat({hex("94"), fcc("Opus"), hex("01 02 00000003")}));
  ASSERT_EQ(tag.frames.size(), 1u);
  const MultichannelConfig& c = tag.frames[0].channels;
  EXPECT_EQ(tag.frames[0].kind, PacketKind::kMultichannelConfig);
  EXPECT_EQ(c.order, channel_order::kNative);
  EXPECT_EQ(c.channel_count, 2);
  EXPECT_EQ(c.flags, 3u);  // FrontLeft | FrontRight
  EXPECT_TRUE(c.mapping.empty());
  EXPECT_TRUE(tag.frames[0].payload.empty());

  tag = parse_ok(MediaType::kAudio, cat({hex("94"), fcc("Opus"), hex("02 06 000102030405")}));
  EXPECT_EQ(tag.frames[0].channels.order, channel_order::kCustom);
  EXPECT_EQ(Bytes(tag.frames[0].channels.mapping.begin(), tag.frames[0].channels.mapping.end()),
            hex("000102030405"));  // FL FR FC LFE1 BL BR
  tag = parse_ok(MediaType::kAudio, cat({hex("94"), fcc("Opus"), hex("00 08")}));
  EXPECT_EQ(tag.frames[0].channels.order, channel_order::kUnspecified);
  EXPECT_EQ(tag.frames[0].channels.channel_count, 8);
}

TEST(TagParser, AudioMultitrack) {
  // OBS writes tracks other than 0 like this: Multitrack, OneTrack | CodedFrames, FourCC, id.
  MediaTag tag = parse_ok(MediaType::kAudio, cat({hex("95 01"), fcc("mp4a"), hex("02 2100")}));
  EXPECT_EQ(tag.multitrack, Multitrack::kOneTrack);
  ASSERT_EQ(tag.frames.size(), 1u);
  EXPECT_EQ(tag.frames[0].track_id, 2);
  EXPECT_EQ(tag.frames[0].payload.size(), 2u);

  tag = parse_ok(MediaType::kAudio,
                 cat({hex("95 20"), fcc("Opus"), hex("00"), test::sized(test::opus_head()),
                      fcc("mp4a"), hex("01"), test::sized(test::aac_config())}));
  ASSERT_EQ(tag.frames.size(), 2u);
  EXPECT_EQ(tag.frames[0].codec, Codec::four_cc(fourcc::kOpus));
  EXPECT_EQ(tag.frames[1].codec, Codec::four_cc(fourcc::kAac));
  EXPECT_EQ(tag.frames[1].payload.size(), test::aac_config().size());

  tag = parse_ok(MediaType::kAudio,
                 cat({hex("95 14"), fcc("Opus"), hex("00"), test::sized(hex("01 02 00000003")),
                      hex("01"), test::sized(hex("02 01 02"))}));
  ASSERT_EQ(tag.frames.size(), 2u);
  EXPECT_EQ(tag.frames[0].channels.flags, 3u);
  EXPECT_EQ(tag.frames[1].channels.mapping.size(), 1u);
}

TEST(TagParser, EmptyBodiesHaveNoFrames) {
  MediaTag tag = parse_ok(MediaType::kAudio, {});
  EXPECT_TRUE(tag.frames.empty());
  EXPECT_EQ(tag.media, MediaType::kAudio);
  tag = parse_ok(MediaType::kVideo, {});
  EXPECT_TRUE(tag.frames.empty());
}

TEST(TagParser, ErrorsSayWhat) {
  EXPECT_EQ(parse_error(MediaType::kVideo, hex("17 03 000000")), "reserved AVCPacketType (3)");
  EXPECT_EQ(parse_error(MediaType::kVideo, cat({hex("98"), fcc("avc1")})),
            "reserved VideoPacketType (8)");
  EXPECT_EQ(parse_error(MediaType::kVideo, cat({hex("96 31"), fcc("avc1")})),
            "reserved AvMultitrackType (3)");
  EXPECT_EQ(parse_error(MediaType::kAudio, cat({hex("93"), fcc("Opus")})),
            "reserved AudioPacketType (3)");
  EXPECT_EQ(parse_error(MediaType::kVideo, cat({hex("96 11"), fcc("av01"), hex("00 000010 aa")})),
            "track larger than the rest of the tag (16)");
  EXPECT_EQ(parse_error(MediaType::kAudio, cat({hex("94"), fcc("Opus"), hex("01 02 00000003 ff")})),
            "bytes after MultichannelConfig (1)");
  EXPECT_EQ(parse_error(MediaType::kVideo, hex("91 617631")), "truncated FourCC");
  EXPECT_EQ(parse_error(MediaType::kVideo, cat({hex("94"), fcc("av01"), hex("02 0010 6162")}))
                .rfind("video metadata: ", 0),
            0u);
}

TEST(TagParser, ParseMessage) {
  Message m;
  m.type = uint8_t(MessageType::kAudio);
  m.payload = hex("af 01 21");
  MediaTag tag;
  std::string error;
  ASSERT_EQ(parse_message(m, tag, &error), TagStatus::kOk);
  EXPECT_EQ(tag.media, MediaType::kAudio);
  EXPECT_EQ(tag.frames[0].payload.data(), m.payload.data() + 2);
  m.type = uint8_t(MessageType::kDataAmf0);
  EXPECT_EQ(parse_message(m, tag, &error), TagStatus::kError);
  EXPECT_EQ(error, "not an audio or video message (18)");
  EXPECT_EQ(parse_message(m, tag, nullptr), TagStatus::kError);  // no message wanted
}

}  // namespace
}  // namespace rtmp
