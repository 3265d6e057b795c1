#include "flv/tag_writer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "flv/tag_parser.hpp"
#include "tag_vectors.hpp"

namespace rtmp {
namespace {

using test::cat;
using test::fcc;
using test::hex;

const Bytes kNal = hex("00000002 0910 00000005 658884");
const Bytes kObu = hex("12 00 0a0b 0000");

// A frame whose payload is a copy of `payload` kept for the rest of the run.
TrackFrame frame(Codec codec, PacketKind kind, const Bytes& payload, uint8_t ft = 0,
                 uint8_t track = 0) {
  TrackFrame f;
  f.codec = codec;
  f.kind = kind;
  f.payload = test::keep(payload);
  f.frame_type = ft;
  f.track_id = track;
  return f;
}

MediaTag tag_of(MediaType media, std::vector<TrackFrame> frames,
                Multitrack mt = Multitrack::kNone) {
  MediaTag t;
  t.media = media;
  t.multitrack = mt;
  t.frames = std::move(frames);
  return t;
}

Bytes write_ok(const MediaTag& tag) {
  Bytes out;
  std::string error;
  EXPECT_EQ(write_media_tag(tag, out, &error), TagStatus::kOk) << error << "\n" << describe(tag);
  return out;
}

void expect_round_trip(const MediaTag& tag, const std::string& what) {
  const Bytes body = write_ok(tag);
  MediaTag back;
  std::string error;
  ASSERT_EQ(parse_media_tag(tag.media, body, back, &error), TagStatus::kOk) << what << error;
  EXPECT_EQ(back, tag) << what << "\n" << describe(tag) << "\nvs\n" << describe(back);
}

const Codec kAvc = Codec::four_cc(fourcc::kAvc);
const Codec kHevc = Codec::four_cc(fourcc::kHevc);
const Codec kAv1 = Codec::four_cc(fourcc::kAv1);
const Codec kOpus = Codec::four_cc(fourcc::kOpus);
const Codec kAac = Codec::four_cc(fourcc::kAac);
const auto V = MediaType::kVideo;
const auto A = MediaType::kAudio;
constexpr uint8_t kKey = frame_type::kKey;
constexpr uint8_t kInter = frame_type::kInter;

TrackFrame coded(Codec c, const Bytes& p, uint8_t ft, int32_t cts, uint8_t track = 0) {
  TrackFrame f = frame(c, PacketKind::kCodedFrames, p, ft, track);
  f.composition_time = cts;
  return f;
}

// Hand-built descriptions of every video layout; each must survive write + parse unchanged.
std::vector<MediaTag> video_descriptions(const Bytes& metadata,
                                         const std::vector<amf0::Value>& values) {
  std::vector<MediaTag> out;
  out.push_back(
      tag_of(V, {frame(Codec::legacy(7), PacketKind::kSequenceStart, test::avc_record(), kKey)}));
  out.push_back(tag_of(V, {coded(Codec::legacy(7), kNal, kInter, -33)}));
  out.push_back(tag_of(V, {frame(Codec::legacy(7), PacketKind::kSequenceEnd, {}, kKey)}));
  out.push_back(tag_of(V, {coded(Codec::legacy(12), kNal, kKey, 66)}));
  out.push_back(tag_of(V, {frame(Codec::legacy(4), PacketKind::kCodedFrames, kObu, 3)}));
  out.push_back(tag_of(V, {frame(Codec::legacy(7), PacketKind::kCommand, hex("00"), 5)}));
  out.push_back(tag_of(V, {frame(kHevc, PacketKind::kSequenceStart, test::hevc_record(), kKey)}));
  out.push_back(tag_of(V, {coded(kHevc, kNal, kKey, 0)}));
  out.push_back(tag_of(V, {coded(kHevc, kNal, kInter, 0x7fffff)}));
  out.push_back(tag_of(V, {coded(kAvc, kNal, kInter, -0x800000)}));
  out.push_back(tag_of(V, {coded(kAv1, kObu, kKey, 0)}));
  out.push_back(tag_of(V, {frame(kAv1, PacketKind::kMpeg2TsSequenceStart, hex("80"), kKey)}));
  out.push_back(tag_of(V, {frame(kAv1, PacketKind::kSequenceEnd, {}, kKey)}));
  out.push_back(tag_of(V, {frame(Codec::four_cc(0), PacketKind::kCommand, hex("01"), 5)}));
  TrackFrame meta = frame(kAv1, PacketKind::kMetadata, metadata, 5);
  meta.metadata = values;
  out.push_back(tag_of(V, {meta}));
  TrackFrame nano = coded(kHevc, kNal, kKey, 40, 0);
  nano.nano_offset = 999999;
  out.push_back(tag_of(V, {nano}));
  out.push_back(tag_of(V, {coded(kHevc, kNal, kKey, 40, 9)}, Multitrack::kOneTrack));
  out.push_back(tag_of(V, {coded(kHevc, kNal, kInter, 0, 0), coded(kHevc, kNal, kInter, 0, 1)},
                       Multitrack::kManyTracks));
  out.push_back(tag_of(V, {coded(kAvc, kNal, kKey, 5, 0), coded(kAv1, kObu, kKey, 0, 1)},
                       Multitrack::kManyTracksManyCodecs));
  TrackFrame meta2 = meta;
  meta2.frame_type = kKey;
  meta2.track_id = 4;
  out.push_back(tag_of(V, {meta2, meta2}, Multitrack::kManyTracks));
  TrackFrame nano_mt = frame(kHevc, PacketKind::kSequenceStart, test::hevc_record(), kKey, 2);
  nano_mt.nano_offset = 1;
  out.push_back(tag_of(V, {nano_mt}, Multitrack::kOneTrack));
  out.push_back(tag_of(V, {}));
  return out;
}

std::vector<MediaTag> audio_descriptions() {
  std::vector<MediaTag> out;
  MediaTag aac = tag_of(A, {frame(Codec::legacy(10), PacketKind::kSequenceStart, hex("1210"))});
  aac.legacy_audio_flags = 0xf;
  out.push_back(aac);
  out.push_back(tag_of(A, {frame(Codec::legacy(2), PacketKind::kCodedFrames, hex("fffb"))}));
  out.push_back(tag_of(A, {frame(kOpus, PacketKind::kSequenceStart, test::opus_head())}));
  out.push_back(tag_of(A, {frame(kOpus, PacketKind::kSequenceEnd, {})}));
  TrackFrame mc = frame(kOpus, PacketKind::kMultichannelConfig, {});
  mc.channels = MultichannelConfig{channel_order::kNative, 2, {}, 3};
  out.push_back(tag_of(A, {mc}));
  mc.channels = MultichannelConfig{channel_order::kCustom, 6, test::keep(hex("000102030405")), 0};
  out.push_back(tag_of(A, {mc}));
  mc.channels = MultichannelConfig{channel_order::kUnspecified, 1, {}, 0};
  mc.track_id = 3;
  out.push_back(tag_of(A, {mc, mc}, Multitrack::kManyTracks));
  out.push_back(tag_of(A,
                       {frame(kOpus, PacketKind::kCodedFrames, hex("fc"), 0, 0),
                        frame(kAac, PacketKind::kCodedFrames, hex("2100"), 0, 1)},
                       Multitrack::kManyTracksManyCodecs));
  TrackFrame audio_nano = frame(kOpus, PacketKind::kCodedFrames, hex("fc"), 0, 1);
  audio_nano.nano_offset = 20833;
  out.push_back(tag_of(A, {audio_nano}, Multitrack::kOneTrack));
  out.push_back(tag_of(A, {}));
  return out;
}

TEST(TagWriter, EveryDescriptionRoundTrips) {
  const Bytes metadata = test::color_info_payload();
  std::vector<amf0::Value> values;
  ASSERT_TRUE(amf0::decode_all(metadata, values, nullptr));
  auto all = video_descriptions(metadata, values);
  for (MediaTag& t : audio_descriptions()) all.push_back(std::move(t));
  for (size_t i = 0; i < all.size(); ++i)
    expect_round_trip(all[i], "description " + std::to_string(i));
}

TEST(TagWriter, EveryVectorRoundTripsAndCanonicalOnesByteForByte) {
  for (const test::Vector& v : test::valid_vectors()) {
    SCOPED_TRACE(v.name);
    MediaTag tag;
    std::string error;
    ASSERT_EQ(parse_media_tag(v.media, v.body, tag, &error), TagStatus::kOk) << error;
    const Bytes written = write_ok(tag);
    if (v.canonical)
      EXPECT_EQ(written, v.body);
    else
      EXPECT_NE(written, v.body);
    expect_round_trip(tag, v.name);
  }
}

TEST(TagWriter, KnownLayouts) {
  // hvc1 CodedFrames with its SI24 composition time.
  TrackFrame f = frame(kHevc, PacketKind::kCodedFrames, hex("aa"), kKey);
  f.composition_time = -1;
  EXPECT_EQ(write_ok(tag_of(V, {f})), cat({hex("91"), fcc("hvc1"), hex("ffffff aa")}));
  // A zero composition time: CodedFramesX.
  f.composition_time = 0;
  f.frame_type = kInter;
  EXPECT_EQ(write_ok(tag_of(V, {f})), cat({hex("a3"), fcc("hvc1"), hex("aa")}));
  // ModEx TimestampOffsetNano: size byte 2, three bytes, then ModExType 0 | CodedFramesX.
  f.nano_offset = 0x0a0b0c;
  EXPECT_EQ(write_ok(tag_of(V, {f})), cat({hex("a7 02 0a0b0c 03"), fcc("hvc1"), hex("aa")}));
  // Multitrack ManyTracks: Multitrack, then ManyTracks | packet type, FourCC, id + UI24 size.
  f.nano_offset = 0;
  TrackFrame g = f;
  g.track_id = 1;
  EXPECT_EQ(write_ok(tag_of(V, {f, g}, Multitrack::kManyTracks)),
            cat({hex("a6 13"), fcc("hvc1"), hex("00 000001 aa 01 000001 aa")}));
  // Legacy AVC keeps its AVCPacketType and composition time, legacy AAC its AACPacketType.
  TrackFrame avc = frame(Codec::legacy(7), PacketKind::kCodedFrames, hex("bb"), kKey);
  avc.composition_time = 80;
  EXPECT_EQ(write_ok(tag_of(V, {avc})), hex("17 01 000050 bb"));
  MediaTag aac = tag_of(A, {frame(Codec::legacy(10), PacketKind::kCodedFrames, hex("21"))});
  aac.legacy_audio_flags = 0xf;
  EXPECT_EQ(write_ok(aac), hex("af 01 21"));
  // OBS-style audio track 1: Multitrack, OneTrack | CodedFrames, FourCC, track id, data.
  EXPECT_EQ(write_ok(tag_of(A, {frame(kAac, PacketKind::kCodedFrames, hex("21"), 0, 1)},
                            Multitrack::kOneTrack)),
            cat({hex("95 01"), fcc("mp4a"), hex("01 21")}));
  // MultichannelConfig, native order: order, count, UI32 mask.
  TrackFrame mc = frame(kOpus, PacketKind::kMultichannelConfig, {});
  mc.channels = MultichannelConfig{channel_order::kNative, 6, {}, 0x3f};
  EXPECT_EQ(write_ok(tag_of(A, {mc})), cat({hex("94"), fcc("Opus"), hex("01 06 0000003f")}));
  // Enhanced command frame: no FourCC.
  EXPECT_EQ(write_ok(tag_of(V, {frame(Codec::four_cc(0), PacketKind::kCommand, hex("00"), 5)})),
            hex("d1 00"));
  // Video Metadata carrying colorInfo.
  const Bytes reset = encode_color_info(amf0::Value::Undefined());
  TrackFrame meta = frame(kHevc, PacketKind::kMetadata, reset, 5);
  ASSERT_TRUE(amf0::decode_all(reset, meta.metadata, nullptr));
  EXPECT_EQ(write_ok(tag_of(V, {meta})),
            cat({hex("d4"), fcc("hvc1"), hex("02 0009"), Bytes(reset.begin() + 3, reset.end())}));
  EXPECT_EQ(reset.back(), amf0::marker::kUndefined);
  EXPECT_TRUE(write_ok(tag_of(A, {})).empty());
}

// CodedFramesX drops the composition time of every track that has one; tracks whose codec has
// none (av01) look the same either way. So X is used when it saves bytes and loses nothing: what
// a fuzzer found (a mixed tag read as X was written back longer, as CodedFrames).
TEST(TagWriter, CodedFramesXWhenEveryCompositionTimeIsZero) {
  TrackFrame avc = frame(kAvc, PacketKind::kCodedFrames, hex("aa"), kKey, 0);
  TrackFrame av1 = frame(kAv1, PacketKind::kCodedFrames, hex("bb"), kKey, 1);
  EXPECT_EQ(
      write_ok(tag_of(V, {avc, av1}, Multitrack::kManyTracksManyCodecs)),
      cat({hex("96 23"), fcc("avc1"), hex("00 000001 aa"), fcc("av01"), hex("01 000001 bb")}));
  avc.composition_time = 40;
  EXPECT_EQ(write_ok(tag_of(V, {avc, av1}, Multitrack::kManyTracksManyCodecs)),
            cat({hex("96 21"), fcc("avc1"), hex("00 000004 000028 aa"), fcc("av01"),
                 hex("01 000001 bb")}));
  // No track with a composition time: plain CodedFrames.
  av1.track_id = 0;
  EXPECT_EQ(write_ok(tag_of(V, {av1})), cat({hex("91"), fcc("av01"), hex("bb")}));
}

TEST(TagWriter, AppendsToWhatIsThere) {
  Bytes out = {1, 2};
  std::string error;
  ASSERT_EQ(
      write_media_tag(tag_of(A, {frame(Codec::legacy(2), PacketKind::kCodedFrames, hex("ff"))}),
                      out, &error),
      TagStatus::kOk);
  EXPECT_EQ(out, hex("01 02 20 ff"));
}

// Each description is refused with a message, and nothing is appended.
void expect_refused(const char* what, const MediaTag& tag) {
  Bytes out = {7};
  std::string error;
  EXPECT_EQ(write_media_tag(tag, out, &error), TagStatus::kError) << what;
  EXPECT_FALSE(error.empty()) << what;
  EXPECT_EQ(out, Bytes{7}) << what;
}

template <typename Change>
TrackFrame with(TrackFrame f, Change change) {
  change(f);
  return f;
}

const Bytes kPayload = hex("aa");

TEST(TagWriter, RefusesLegacyLayoutsTheWireCannotCarry) {
  const TrackFrame hevc = frame(kHevc, PacketKind::kCodedFrames, kPayload, kKey);
  const TrackFrame avc7 = frame(Codec::legacy(7), PacketKind::kCodedFrames, kPayload, kKey);
  expect_refused("mixed legacy and enhanced", tag_of(V, {avc7, hevc}, Multitrack::kManyTracks));
  expect_refused("two legacy frames", tag_of(V, {avc7, avc7}));
  expect_refused("legacy multitrack", tag_of(V, {avc7}, Multitrack::kOneTrack));
  expect_refused("legacy track id", tag_of(V, {with(avc7, [](auto& f) { f.track_id = 1; })}));
  expect_refused("legacy nano", tag_of(V, {with(avc7, [](auto& f) { f.nano_offset = 1; })}));
  expect_refused("legacy codec over 4 bits",
                 tag_of(V, {with(avc7, [](auto& f) { f.codec.id = 16; })}));
  expect_refused("legacy VP6 header", tag_of(V, {with(avc7, [](auto& f) {
                                               f.codec.id = 4;
                                               f.kind = PacketKind::kSequenceStart;
                                             })}));
  expect_refused("legacy VP6 cts", tag_of(V, {with(avc7, [](auto& f) {
                                            f.codec.id = 4;
                                            f.composition_time = 1;
                                          })}));
  expect_refused("legacy metadata",
                 tag_of(V, {with(avc7, [](auto& f) { f.kind = PacketKind::kMetadata; })}));
  expect_refused("legacy frame type 0", tag_of(V, {with(avc7, [](auto& f) { f.frame_type = 0; })}));
  expect_refused("legacy frame type 5 not a command",
                 tag_of(V, {with(avc7, [](auto& f) { f.frame_type = 5; })}));
  expect_refused("legacy command without byte", tag_of(V, {with(avc7, [](auto& f) {
                                                         f.frame_type = 5;
                                                         f.kind = PacketKind::kCommand;
                                                         f.payload = {};
                                                       })}));
  expect_refused("legacy cts outside SI24",
                 tag_of(V, {with(avc7, [](auto& f) { f.composition_time = 0x800000; })}));
  MediaTag flags = tag_of(V, {avc7});
  flags.legacy_audio_flags = 1;
  expect_refused("audio flags on video", flags);
  const TrackFrame aac10 = frame(Codec::legacy(10), PacketKind::kCodedFrames, kPayload);
  expect_refused("SoundFormat 9", tag_of(A, {with(aac10, [](auto& f) { f.codec.id = 9; })}));
  expect_refused("legacy audio frame type",
                 tag_of(A, {with(aac10, [](auto& f) { f.frame_type = 1; })}));
  expect_refused("legacy MP3 header", tag_of(A, {with(aac10, [](auto& f) {
                                               f.codec.id = 2;
                                               f.kind = PacketKind::kSequenceStart;
                                             })}));
  expect_refused("legacy AAC end",
                 tag_of(A, {with(aac10, [](auto& f) { f.kind = PacketKind::kSequenceEnd; })}));
  MediaTag flags16 = tag_of(A, {aac10});
  flags16.legacy_audio_flags = 16;
  expect_refused("audio flags over 4 bits", flags16);
}

TEST(TagWriter, RefusesEnhancedLayoutsTheWireCannotCarry) {
  const TrackFrame hevc = frame(kHevc, PacketKind::kCodedFrames, kPayload, kKey);
  const TrackFrame opus = frame(kOpus, PacketKind::kCodedFrames, kPayload);
  expect_refused("two frames without ManyTracks", tag_of(V, {hevc, hevc}));
  expect_refused("two frames OneTrack", tag_of(V, {hevc, hevc}, Multitrack::kOneTrack));
  expect_refused("track id without multitrack",
                 tag_of(V, {with(hevc, [](auto& f) { f.track_id = 1; })}));
  expect_refused("different kinds",
                 tag_of(V, {hevc, with(hevc, [](auto& f) { f.kind = PacketKind::kSequenceEnd; })},
                        Multitrack::kManyTracks));
  expect_refused("different frame types",
                 tag_of(V, {hevc, with(hevc, [](auto& f) { f.frame_type = kInter; })},
                        Multitrack::kManyTracks));
  expect_refused(
      "different nano offsets",
      tag_of(V, {hevc, with(hevc, [](auto& f) { f.nano_offset = 1; })}, Multitrack::kManyTracks));
  expect_refused(
      "different codecs without ManyCodecs",
      tag_of(V, {hevc, with(hevc, [](auto& f) { f.codec = kAv1; })}, Multitrack::kManyTracks));
  expect_refused("nano over 24 bits",
                 tag_of(V, {with(hevc, [](auto& f) { f.nano_offset = 0x1000000; })}));
  expect_refused("cts on av01", tag_of(V, {with(hevc, [](auto& f) {
                                         f.codec = kAv1;
                                         f.composition_time = 1;
                                       })}));
  expect_refused("cts on a sequence start", tag_of(V, {with(hevc, [](auto& f) {
                                                     f.kind = PacketKind::kSequenceStart;
                                                     f.composition_time = 1;
                                                   })}));
  expect_refused("cts outside SI24",
                 tag_of(V, {with(hevc, [](auto& f) { f.composition_time = -0x800001; })}));
  expect_refused("enhanced frame type 0",
                 tag_of(V, {with(hevc, [](auto& f) { f.frame_type = 0; })}));
  expect_refused("enhanced frame type 5 coded",
                 tag_of(V, {with(hevc, [](auto& f) { f.frame_type = 5; })}));
  expect_refused(
      "MultichannelConfig in video",
      tag_of(V, {with(hevc, [](auto& f) { f.kind = PacketKind::kMultichannelConfig; })}));
  expect_refused("Metadata in audio",
                 tag_of(A, {with(opus, [](auto& f) { f.kind = PacketKind::kMetadata; })}));
  expect_refused("command in audio",
                 tag_of(A, {with(opus, [](auto& f) { f.kind = PacketKind::kCommand; })}));
  expect_refused("audio frame type", tag_of(A, {with(opus, [](auto& f) { f.frame_type = 1; })}));
  expect_refused("audio cts", tag_of(A, {with(opus, [](auto& f) { f.composition_time = 1; })}));
  MediaTag enhanced_flags = tag_of(A, {opus});
  enhanced_flags.legacy_audio_flags = 2;
  expect_refused("legacy audio flags on enhanced", enhanced_flags);
  MediaTag empty_mt = tag_of(A, {});
  empty_mt.multitrack = Multitrack::kManyTracks;
  expect_refused("empty multitrack", empty_mt);
}

TEST(TagWriter, RefusesMalformedCommandsMetadataAndChannels) {
  const Codec none = Codec::four_cc(0);
  expect_refused("multitrack command", tag_of(V, {frame(none, PacketKind::kCommand, kPayload, 5)},
                                              Multitrack::kOneTrack));
  expect_refused("command with a FourCC",
                 tag_of(V, {frame(kHevc, PacketKind::kCommand, kPayload, 5)}));
  expect_refused("command without byte", tag_of(V, {frame(none, PacketKind::kCommand, {}, 5)}));
  expect_refused("metadata not AMF0",
                 tag_of(V, {frame(kHevc, PacketKind::kMetadata, hex("02 0005"), kKey)}));
  expect_refused("metadata values not the payload's",
                 tag_of(V, {with(frame(kHevc, PacketKind::kMetadata, hex("05"), kKey),
                                 [](auto& f) { f.metadata = {amf0::Value::Undefined()}; })}));
  const TrackFrame hevc = frame(kHevc, PacketKind::kCodedFrames, kPayload, kKey);
  expect_refused("metadata values on coded frames",
                 tag_of(V, {with(hevc, [](auto& f) { f.metadata = {amf0::Value::Null()}; })}));
  expect_refused("multitrack metadata with frame type 5",
                 tag_of(V, {frame(kHevc, PacketKind::kMetadata, {}, 5, 1)}, Multitrack::kOneTrack));
  const TrackFrame opus = frame(kOpus, PacketKind::kCodedFrames, kPayload);
  expect_refused("channels on coded frames",
                 tag_of(A, {with(opus, [](auto& f) { f.channels.channel_count = 2; })}));
  static const Bytes kMapping = hex("0001");
  const TrackFrame mc = frame(kOpus, PacketKind::kMultichannelConfig, {});
  expect_refused("reserved channel order",
                 tag_of(A, {with(mc, [](auto& f) { f.channels.order = 3; })}));
  expect_refused("custom mapping size", tag_of(A, {with(mc, [](auto& f) {
                                                 f.channels.order = channel_order::kCustom;
                                                 f.channels.channel_count = 3;
                                                 f.channels.mapping = kMapping;
                                               })}));
  expect_refused("mapping without custom order",
                 tag_of(A, {with(mc, [](auto& f) { f.channels.mapping = kMapping; })}));
  expect_refused("flags without native order",
                 tag_of(A, {with(mc, [](auto& f) { f.channels.flags = 1; })}));
  expect_refused("multichannel payload",
                 tag_of(A, {with(mc, [](auto& f) { f.payload = kPayload; })}));
}

TEST(TagWriter, TrackBodiesUpToTheUi24Limit) {
  const Bytes big(0xffffff, 0x55);
  TrackFrame f = frame(kAv1, PacketKind::kCodedFrames, {}, kKey);
  f.payload = big;
  EXPECT_EQ(write_ok(tag_of(V, {f}, Multitrack::kManyTracks)).size(), 2 + 4 + 1 + 3 + big.size());
  f.codec = kHevc;
  f.composition_time = 1;  // three more bytes: over the limit
  Bytes out;
  std::string error;
  EXPECT_EQ(write_media_tag(tag_of(V, {f}, Multitrack::kManyTracks), out, &error),
            TagStatus::kError);
  EXPECT_EQ(error, "track body over 0xFFFFFF bytes");
  EXPECT_EQ(write_media_tag(tag_of(V, {f}), out, &error), TagStatus::kOk);  // no size field
}

TEST(TagWriter, PreferredCodecs) {
  EXPECT_EQ(preferred_codec(CodecKind::kH264), Codec::legacy(7));
  EXPECT_EQ(preferred_codec(CodecKind::kAac), Codec::legacy(10));
  EXPECT_EQ(preferred_codec(CodecKind::kMp3), Codec::legacy(2));
  EXPECT_EQ(preferred_codec(CodecKind::kH264, false), Codec::four_cc(fourcc::kAvc));
  EXPECT_EQ(preferred_codec(CodecKind::kAac, false), Codec::four_cc(fourcc::kAac));
  EXPECT_EQ(preferred_codec(CodecKind::kH265), Codec::four_cc(fourcc::kHevc));
  EXPECT_EQ(preferred_codec(CodecKind::kAv1), Codec::four_cc(fourcc::kAv1));
  EXPECT_EQ(preferred_codec(CodecKind::kOpus), Codec::four_cc(fourcc::kOpus));
  EXPECT_EQ(preferred_codec(CodecKind::kEac3), Codec::four_cc(fourcc::kEac3));
  EXPECT_FALSE(preferred_codec(CodecKind::kLegacyVideo).has_value());
  EXPECT_FALSE(preferred_codec(CodecKind::kUnknown).has_value());
}

}  // namespace
}  // namespace rtmp
