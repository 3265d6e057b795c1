#include "flv/flv_demuxer.hpp"

#include <gtest/gtest.h>

#include "flv_builder.hpp"
#include "tag_vectors.hpp"

namespace rtmp {
namespace {

using test::FlvBuilder;
using test::frame;
using test::one;

constexpr Codec kHevc = Codec::four_cc(fourcc::kHevc);
constexpr Codec kOpus = Codec::four_cc(fourcc::kOpus);
constexpr Codec kAvc = Codec::legacy(legacy_codec::kAvc);
constexpr Codec kAac = Codec::legacy(legacy_codec::kAac);

const Bytes kNal = test::hex("00000005 6501020304");
const Bytes kOpusPacket = test::hex("fc ff fe");

std::vector<DemuxEvent> of_kind(const std::vector<DemuxEvent>& all, DemuxEventKind k) {
  std::vector<DemuxEvent> out;
  for (const DemuxEvent& e : all)
    if (e.kind == k) out.push_back(e);
  return out;
}

// HEVC + Opus, enhanced, with B-frame composition times.
Bytes hevc_opus_stream() {
  const Bytes hvcc = test::hevc_record();
  const Bytes head = test::opus_head();
  FlvBuilder b;
  b.metadata(amf0::Value::EcmaArray()
                 .set("duration", amf0::Value::Number(2))
                 .set("width", amf0::Value::Number(320))
                 .set("height", amf0::Value::Number(240))
                 .set("framerate", amf0::Value::Number(25))
                 .set("videocodecid", amf0::Value::Number(fourcc::kHevc))
                 .set("audiocodecid", amf0::Value::Number(fourcc::kOpus))
                 .set("title", amf0::Value::String("clip")));
  b.tag(one(MediaType::kVideo, frame(kHevc, PacketKind::kSequenceStart, hvcc, 1)), 0);
  b.tag(one(MediaType::kAudio, frame(kOpus, PacketKind::kSequenceStart, head)), 0);
  b.tag(one(MediaType::kVideo, frame(kHevc, PacketKind::kCodedFrames, kNal, 1, 80)), 0);
  b.tag(one(MediaType::kAudio, frame(kOpus, PacketKind::kCodedFrames, kOpusPacket)), 0);
  b.tag(one(MediaType::kVideo, frame(kHevc, PacketKind::kCodedFrames, kNal, 2, -40)), 40);
  b.tag(one(MediaType::kAudio, frame(kOpus, PacketKind::kCodedFrames, kOpusPacket)), 20);
  return b.out;
}

TEST(FlvDemuxer, HevcAndOpusTracksFormatsAndTimestamps) {
  const auto events = test::demux_events(hevc_opus_stream());
  const auto added = of_kind(events, DemuxEventKind::kTrackAdded);
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0].media, MediaType::kVideo);
  EXPECT_EQ(added[0].format.media_type, "video/x-h265");
  EXPECT_EQ(added[0].format.get("stream-format")->text, "hvc1");
  EXPECT_EQ(added[0].format.get("codec_data")->buffers[0], test::hevc_record());
  EXPECT_EQ(added[0].format.get("framerate")->number, 25);
  EXPECT_EQ(added[0].format.get("width")->number, 320);
  EXPECT_EQ(added[1].format.media_type, "audio/x-opus");
  EXPECT_EQ(added[1].format.get("channels")->number, 2);
  EXPECT_EQ(added[1].format.get("streamheader")->buffers.size(), 2u);
  const auto buffers = of_kind(events, DemuxEventKind::kBuffer);
  ASSERT_EQ(buffers.size(), 4u);
  EXPECT_EQ(buffers[0].buffer.dts_ns, 0);
  EXPECT_EQ(buffers[0].buffer.pts_ns, 80'000'000);
  EXPECT_TRUE(buffers[0].buffer.keyframe && buffers[0].buffer.discont);
  EXPECT_EQ(buffers[0].buffer.data, kNal);
  EXPECT_EQ(buffers[2].buffer.dts_ns, 40'000'000);
  EXPECT_EQ(buffers[2].buffer.pts_ns, 0);
  EXPECT_FALSE(buffers[2].buffer.keyframe || buffers[2].buffer.discont);
  EXPECT_EQ(buffers[3].buffer.pts_ns, 20'000'000);
  EXPECT_EQ(of_kind(events, DemuxEventKind::kMetadata).at(0).metadata.duration_ns, 2'000'000'000u);
  // Announced when both tracks named by onMetaData exist, before any buffer.
  ASSERT_EQ(of_kind(events, DemuxEventKind::kAllTracksAdded).size(), 1u);
  EXPECT_EQ(events[3].kind, DemuxEventKind::kAllTracksAdded);
}

TEST(FlvDemuxer, SameEventsForEverySplit) {
  test::expect_split_invariant(hevc_opus_stream());
}

TEST(FlvDemuxer, LegacyFramesBeforeTheirConfigAreDroppedAndNanoOffsetCounts) {
  const Bytes avcc = test::avc_record();
  const Bytes asc = test::aac_config();
  FlvBuilder b;
  b.tag(one(MediaType::kVideo, frame(kAvc, PacketKind::kCodedFrames, kNal, 1)), 0);
  b.tag(one(MediaType::kAudio, frame(kAac, PacketKind::kCodedFrames, kOpusPacket), 0xf), 0);
  b.tag(one(MediaType::kVideo, frame(kAvc, PacketKind::kSequenceStart, avcc, 1)), 0);
  b.tag(one(MediaType::kAudio, frame(kAac, PacketKind::kSequenceStart, asc), 0xf), 0);
  b.tag(one(MediaType::kVideo, frame(kAvc, PacketKind::kCodedFrames, kNal, 1, 33)), 1000);
  TrackFrame f = frame(Codec::four_cc(fourcc::kVp9), PacketKind::kCodedFrames, kNal, 2);
  f.nano_offset = 500;
  b.tag(one(MediaType::kVideo, f), 1040);
  const auto events = test::demux_events(b.out);
  const auto buffers = of_kind(events, DemuxEventKind::kBuffer);
  ASSERT_EQ(buffers.size(), 2u);
  EXPECT_EQ(buffers[0].buffer.pts_ns, 1'033'000'000);
  EXPECT_EQ(buffers[1].buffer.dts_ns, 1'040'000'500);
  const auto changed = of_kind(events, DemuxEventKind::kFormatChanged);
  ASSERT_EQ(changed.size(), 1u);  // the codec of video_0 changed to VP9
  EXPECT_EQ(changed[0].format.media_type, "video/x-vp9");
  const auto added = of_kind(events, DemuxEventKind::kTrackAdded);
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[1].format.to_string(),
            "audio/mpeg, mpegversion=(int)4, framed=(boolean)true, stream-format=(string)raw, "
            "rate=(int)44100, channels=(int)2, codec_data=(buffer)121056e500");
  test::expect_split_invariant(b.out);
}

TEST(FlvDemuxer, NewSequenceStartChangesTheFormatAndTheSameOneDoesNot) {
  const Bytes h1 = test::hevc_record();
  Bytes h2 = h1;
  h2.back() ^= 1;
  FlvBuilder b(false, true);
  b.tag(one(MediaType::kVideo, frame(kHevc, PacketKind::kSequenceStart, h1, 1)), 0);
  b.tag(one(MediaType::kVideo, frame(kHevc, PacketKind::kSequenceStart, h1, 1)), 0);
  b.tag(one(MediaType::kVideo, frame(kHevc, PacketKind::kSequenceEnd, {}, 1)), 10);
  b.tag(one(MediaType::kVideo, frame(kHevc, PacketKind::kSequenceStart, h2, 1)), 20);
  const auto events = test::demux_events(b.out);
  EXPECT_EQ(of_kind(events, DemuxEventKind::kTrackAdded).size(), 1u);
  EXPECT_EQ(of_kind(events, DemuxEventKind::kSequenceEnd).size(), 1u);
  const auto changed = of_kind(events, DemuxEventKind::kFormatChanged);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].format.get("codec_data")->buffers[0], h2);
}

TEST(FlvDemuxer, MultitrackTagsMakeOneTrackEach) {
  MediaTag t;
  t.media = MediaType::kAudio;
  t.multitrack = Multitrack::kManyTracks;
  const Bytes head = test::opus_head();
  t.frames = {frame(kOpus, PacketKind::kSequenceStart, head, 0, 0, 0),
              frame(kOpus, PacketKind::kSequenceStart, head, 0, 0, 2)};
  MediaTag coded = t;
  coded.frames[0].kind = coded.frames[1].kind = PacketKind::kCodedFrames;
  coded.frames[0].payload = coded.frames[1].payload = kOpusPacket;
  FlvBuilder b(true, false);
  b.metadata(amf0::Value::Object().set(
      "audioTrackIdInfoMap",
      amf0::Value::Object().set("2",
                                amf0::Value::Object().set("channels", amf0::Value::Number(2)))));
  b.tag(t, 0).tag(coded, 20);
  const auto events = test::demux_events(b.out);
  const auto added = of_kind(events, DemuxEventKind::kTrackAdded);
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0].track, 0);
  EXPECT_EQ(added[1].track, 2);
  // The map names track 2 only (no audiocodecid for track 0): announced once track 2 exists.
  ASSERT_EQ(of_kind(events, DemuxEventKind::kAllTracksAdded).size(), 1u);
  EXPECT_EQ(describe(events[3]), "all-tracks-added");
  EXPECT_EQ(of_kind(events, DemuxEventKind::kBuffer).size(), 2u);
  test::expect_split_invariant(b.out);
}

TEST(FlvDemuxer, AnnouncementComesAfterEveryTrackOfTheTagThatCompletesTheExpectedOnes) {
  // onMetaData names audio track 0 only (as nginx-rtmp rewrites it); one ManyTracks tag starts
  // tracks 0 and 1: both are added before "all tracks added" (a pad added after no-more-pads
  // is missed by gst-launch's delayed linking and by decodebin2).
  MediaTag t;
  t.media = MediaType::kAudio;
  t.multitrack = Multitrack::kManyTracks;
  const Bytes head = test::opus_head();
  t.frames = {frame(kOpus, PacketKind::kSequenceStart, head, 0, 0, 0),
              frame(kOpus, PacketKind::kSequenceStart, head, 0, 0, 1)};
  FlvBuilder b(true, false);
  b.metadata(amf0::Value::EcmaArray().set("audiocodecid", amf0::Value::Number(fourcc::kOpus)));
  b.tag(t, 0);
  const auto lines = test::demux(b.out);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1].rfind("track-added audio_0", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("track-added audio_1", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3], "all-tracks-added");
  test::expect_split_invariant(b.out);
}

TEST(FlvDemuxer, TracksWhoseSequenceStartsLeadTheStreamComeBeforeTheAnnouncement) {
  // nginx-rtmp rewrites onMetaData without the track maps: it names video and audio track 0.
  // The sequence starts of tracks 1 come in tags of their own at the same timestamp; every one
  // of them gets its pad before "all tracks added", which the first coded frame brings.
  const Bytes hvcc = test::hevc_record();
  const Bytes head = test::opus_head();
  auto multitrack = [](MediaType media, TrackFrame f) {
    MediaTag t = one(media, std::move(f));
    t.multitrack = Multitrack::kOneTrack;
    return t;
  };
  FlvBuilder b;
  b.metadata(amf0::Value::EcmaArray()
                 .set("videocodecid", amf0::Value::Number(fourcc::kHevc))
                 .set("audiocodecid", amf0::Value::Number(fourcc::kOpus)));
  b.tag(one(MediaType::kVideo, frame(kHevc, PacketKind::kSequenceStart, hvcc, 1)), 0);
  b.tag(multitrack(MediaType::kVideo, frame(kHevc, PacketKind::kSequenceStart, hvcc, 1, 0, 1)), 0);
  b.tag(one(MediaType::kAudio, frame(kOpus, PacketKind::kSequenceStart, head)), 0);
  b.tag(multitrack(MediaType::kAudio, frame(kOpus, PacketKind::kSequenceStart, head, 0, 0, 1)), 0);
  b.tag(one(MediaType::kVideo, frame(kHevc, PacketKind::kCodedFrames, kNal, 1)), 0);
  const auto lines = test::demux(b.out);
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[1].rfind("track-added video_0", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("track-added video_1", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3].rfind("track-added audio_0", 0), 0u) << lines[3];
  EXPECT_EQ(lines[4].rfind("track-added audio_1", 0), 0u) << lines[4];
  EXPECT_EQ(lines[5], "all-tracks-added");
  EXPECT_EQ(lines[6].rfind("buffer video_0", 0), 0u) << lines[6];
  test::expect_split_invariant(b.out);
  // Without a coded frame, a later timestamp brings it too.
  FlvBuilder later;
  later.tag(one(MediaType::kVideo, frame(kHevc, PacketKind::kSequenceStart, hvcc, 1)), 0);
  later.tag(one(MediaType::kVideo, frame(kHevc, PacketKind::kSequenceEnd, {}, 1)), 40);
  later.tag(one(MediaType::kVideo, frame(kHevc, PacketKind::kSequenceStart, hvcc, 1)), 80);
  const auto l2 = test::demux(later.out);
  ASSERT_GE(l2.size(), 3u);
  EXPECT_EQ(l2[2], "all-tracks-added");
}

TEST(FlvDemuxer, AnnouncementFromHeaderFlagsAfterSixSecondsOrAtTheEnd) {
  const Bytes avcc = test::avc_record();
  FlvBuilder b(true, true);  // the header promises audio too
  b.tag(one(MediaType::kVideo, frame(kAvc, PacketKind::kSequenceStart, avcc, 1)), 0);
  for (uint32_t ts = 0; ts <= 7000; ts += 1000)
    b.tag(one(MediaType::kVideo, frame(kAvc, PacketKind::kCodedFrames, kNal, 1)), ts);
  const auto lines = test::demux(b.out);
  size_t at = 0;
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i] == "all-tracks-added") at = i;
  ASSERT_GT(at, 0u);
  EXPECT_NE(lines[at - 1].find("dts=6000000000"), std::string::npos) << lines[at - 1];
  FlvBuilder short_one(true, true);
  short_one.tag(one(MediaType::kVideo, frame(kAvc, PacketKind::kSequenceStart, avcc, 1)), 0);
  EXPECT_EQ(test::demux(short_one.out).back(), "all-tracks-added");  // at the end
}

TEST(FlvDemuxer, DiscontinuityFlagsAndRebasesOnInputTime) {
  const Bytes head = test::opus_head();
  FlvBuilder b(true, false);
  b.tag(one(MediaType::kAudio, frame(kOpus, PacketKind::kSequenceStart, head)), 5000);
  FlvDemuxer d;
  std::vector<DemuxEvent> ev;
  d.feed(b.out, 0, ev);
  Bytes tag;
  write_flv_tag(kFlvTagAudio, 5020, test::cat({{0x91}, test::fcc("Opus"), kOpusPacket}), tag);
  d.feed(tag, 20'000'000, ev);
  d.discontinuity();
  Bytes later;
  write_flv_tag(kFlvTagAudio, 9000, test::cat({{0x91}, test::fcc("Opus"), kOpusPacket}), later);
  d.feed(later, 100'000'000, ev);
  d.feed(tag, 100'000'000, ev);  // same offset until the next discontinuity
  auto buffers = of_kind(ev, DemuxEventKind::kBuffer);
  ASSERT_EQ(buffers.size(), 3u);
  EXPECT_EQ(buffers[0].buffer.pts_ns, 20'000'000);  // 5020 ms - 5000 ms (first tag at input 0)
  EXPECT_TRUE(buffers[0].buffer.discont);
  EXPECT_EQ(buffers[1].buffer.pts_ns, 100'000'000);  // rebased at the discontinuity
  EXPECT_TRUE(buffers[1].buffer.discont);
  EXPECT_EQ(buffers[2].buffer.pts_ns, 0);  // 5020 - 9000 ms + 100 ms < 0: clamped
  EXPECT_FALSE(buffers[2].buffer.discont);
}

TEST(FlvDemuxer, RestartAtTagAfterAByteSeek) {
  const Bytes in = hevc_opus_stream();
  FlvDemuxer d;
  std::vector<DemuxEvent> ev;
  d.feed(ByteView(in).first(in.size() - 7), -1, ev);  // stops inside the last tag
  ev.clear();
  d.restart_at_tag();
  Bytes tag;
  write_flv_tag(kFlvTagAudio, 60, test::cat({{0x91}, test::fcc("Opus"), kOpusPacket}), tag);
  d.feed(tag, -1, ev);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(describe(ev[0]).substr(0, 35), "buffer audio_0 pts=60000000 dts=600");
  EXPECT_TRUE(ev[0].buffer.discont);
}

TEST(FlvDemuxer, BadTagsWarnAndBadStreamsFail) {
  FlvBuilder b;
  b.raw(kFlvTagVideo, 0, {0x80 | 0x10 | 0x0f});  // reserved packet type
  b.raw(kFlvTagVideo, 0, {0x1a, 1, 2});          // codec 10: no format
  auto events = test::demux_events(b.out);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, DemuxEventKind::kWarning);
  EXPECT_EQ(events[1].kind, DemuxEventKind::kWarning);
  EXPECT_NE(events[1].text.find("no format"), std::string::npos);
  FlvDemuxer d;
  std::vector<DemuxEvent> ev;
  d.feed(test::hex("464c5601050000000300"), -1, ev);  // data offset 3
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, DemuxEventKind::kError);
  EXPECT_TRUE(d.failed());
}

TEST(FlvMetadata, FieldsMapsAndKeyframes) {
  Bytes body = amf0::encode(amf0::Value::String("@setDataFrame"));
  amf0::encode(amf0::Value::String("onMetaData"), body);
  using amf0::Value;
  amf0::encode(Value::EcmaArray()
                   .set("duration", Value::Number(3.5))
                   .set("AspectRatioX", Value::Number(4))
                   .set("AspectRatioY", Value::Number(3))
                   .set("videoTrackIdInfoMap",
                        Value::Object().set("1", Value::Object().set("width", Value::Number(1024))))
                   .set("keyframes",
                        Value::Object()
                            .set("times", Value::StrictArray({Value::Number(1), Value::Number(0)}))
                            .set("filepositions",
                                 Value::StrictArray({Value::Number(900), Value::Number(13)}))),
               body);
  FlvMetadata m;
  ASSERT_TRUE(parse_flv_metadata(body, m, nullptr));
  EXPECT_EQ(m.duration_ns, 3'500'000'000u);
  EXPECT_EQ(m.video_hints(1).width, 1024u);
  EXPECT_EQ(m.video_hints(1).par_x, 4u);
  EXPECT_EQ(m.video_hints(0).width, 0u);
  ASSERT_EQ(m.keyframes.size(), 2u);
  EXPECT_EQ(m.keyframes[0], (KeyframePoint{0, 13}));
  EXPECT_EQ(m.keyframes[1], (KeyframePoint{1'000'000'000, 900}));
  EXPECT_FALSE(parse_flv_metadata(amf0::encode(Value::String("onCuePoint")), m, nullptr));
}

}  // namespace
}  // namespace rtmp
