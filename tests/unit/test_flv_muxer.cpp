// FlvMuxer: the stream header, tags per codec (legacy for a lone H.264 / AAC / MP3 track 0,
// enhanced otherwise, multitrack for other tracks), timestamps and composition times, new
// records mid-stream, the end, the file fields; every output read back with the core's demuxer.
#include "flv/flv_muxer.hpp"

#include <gtest/gtest.h>

#include "flv/av1_sequence.hpp"
#include "flv/flv_demuxer.hpp"
#include "flv/flv_reader.hpp"
#include "flv/mux_records.hpp"
#include "flv/tag_parser.hpp"
#include "tag_vectors.hpp"

namespace rtmp {
namespace {

using test::hex;

constexpr int64_t kMs = 1000000;
const Bytes kNal = hex("00000005 6501020304");
const Bytes kNal2 = hex("00000004 41aabbcc");
const Bytes kAudio = hex("21 1a 2b 3c");
const Bytes kAomTu =
    hex("1200 0a0b000000043cffbcdaf90040 328e101400a0b010b44cf0919afd29e1e910496e0cc8b4c038ee1519"
        "5548643add3f1cd7");

MuxTrack make(MediaType media, uint8_t id, CodecKind codec, Bytes record = {}) {
  MuxTrack t;
  t.media = media;
  t.id = id;
  t.codec = codec;
  t.sequence_start = std::move(record);
  if (media == MediaType::kVideo) {
    t.width = 320;
    t.height = 240;
    t.framerate = 25;
  } else {
    t.sample_rate = 48000;
    t.channels = 2;
  }
  return t;
}

MuxTrack hevc(uint8_t id = 0) {
  return make(MediaType::kVideo, id, CodecKind::kH265, test::hevc_record());
}
MuxTrack avc(uint8_t id = 0) {
  return make(MediaType::kVideo, id, CodecKind::kH264, test::avc_record());
}
MuxTrack aac(uint8_t id = 0) {
  return make(MediaType::kAudio, id, CodecKind::kAac, test::aac_config());
}
MuxTrack opus(uint8_t id = 0) {
  return make(MediaType::kAudio, id, CodecKind::kOpus, test::opus_head());
}

MuxFrame frame(int64_t dts_ms, int64_t pts_ms, bool key, const Bytes& data) {
  return MuxFrame{dts_ms * kMs, pts_ms * kMs, 0, key, data};
}

// The muxer and everything it wrote, as a file would hold it (file fields written over).
struct Mux {
  FlvMuxer m;
  std::vector<MuxChunk> chunks;
  Bytes file;

  void add(const MuxTrack& t) {
    std::string error;
    ASSERT_TRUE(m.set_track(t, &error)) << error;
  }
  void start(bool file_fields = false, int64_t origin = 0) {
    MuxSettings s;
    s.file_fields = file_fields;
    m.start(s, origin, chunks);
  }
  void write(MediaType media, uint8_t id, const MuxFrame& f) {
    std::string error;
    ASSERT_TRUE(m.write(media, id, f, chunks, &error)) << error;
  }
  void finish() { m.finish(chunks); }
  const Bytes& bytes() {
    file.clear();
    for (const MuxChunk& c : chunks) {
      if (c.kind == ChunkKind::kFileFields) {
        EXPECT_LE(c.offset + c.bytes.size(), file.size());
        std::copy(c.bytes.begin(), c.bytes.end(), file.begin() + static_cast<ptrdiff_t>(c.offset));
        continue;
      }
      EXPECT_EQ(c.offset, file.size());
      file.insert(file.end(), c.bytes.begin(), c.bytes.end());
    }
    return file;
  }
  std::vector<FlvTag> tags() {
    FlvReader r;
    std::vector<FlvTag> out;
    EXPECT_EQ(r.feed(bytes(), out), FlvReader::Status::kOk);
    return out;
  }
};

std::vector<DemuxEvent> demux(const Bytes& flv, DemuxEventKind kind) {
  FlvDemuxer d;
  std::vector<DemuxEvent> all, out;
  d.feed(flv, -1, all);
  d.finish(all);
  for (DemuxEvent& e : all) {
    EXPECT_NE(e.kind, DemuxEventKind::kError) << e.text;
    EXPECT_NE(e.kind, DemuxEventKind::kWarning) << e.text;
    if (e.kind == kind) out.push_back(std::move(e));
  }
  return out;
}

MediaTag parse(const FlvTag& t) {
  MediaTag m;
  std::string error;
  EXPECT_EQ(parse_media_tag(static_cast<MediaType>(t.type), t.data, m, &error), TagStatus::kOk)
      << error;
  return m;
}

TEST(FlvMuxer, StreamHeaderLegacyH264Aac) {
  Mux x;
  x.add(avc());
  x.add(aac());
  x.start();
  ASSERT_EQ(x.chunks.size(), 4u);
  EXPECT_EQ(x.chunks[0].kind, ChunkKind::kFileHeader);
  EXPECT_EQ(x.chunks[0].bytes, hex("464c5601 05 00000009 00000000"));
  EXPECT_EQ(x.chunks[1].kind, ChunkKind::kMetadata);
  EXPECT_EQ(x.chunks[2].kind, ChunkKind::kSequenceStart);
  EXPECT_EQ(x.chunks[2].media, MediaType::kVideo);
  EXPECT_EQ(x.chunks[3].media, MediaType::kAudio);
  for (const MuxChunk& c : x.chunks) EXPECT_TRUE(c.header);
  EXPECT_FALSE(x.m.enhanced());
  std::vector<FlvTag> tags = x.tags();
  ASSERT_EQ(tags.size(), 3u);
  EXPECT_EQ(tags[1].data[0], 0x17);  // key frame, AVC
  EXPECT_EQ(tags[1].data[1], 0x00);  // AVC sequence header
  EXPECT_EQ(tags[2].data[0], 0xaf);  // AAC, 44 kHz, 16 bit, stereo
  EXPECT_EQ(tags[2].data[1], 0x00);
  EXPECT_EQ(x.m.stream_header().size(), 4u);
  EXPECT_EQ(x.m.stream_header()[2], Bytes(x.chunks[2].bytes));
}

TEST(FlvMuxer, FramesTimestampsAndCompositionTime) {
  Mux x;
  x.add(avc());
  x.add(aac());
  // The origin is the first frame's decoding time, 1000 h in as x264 starts; B-frames.
  const int64_t base = 3600000LL * 1000;
  x.start(false, (base - 80) * kMs);
  x.write(MediaType::kVideo, 0, frame(base - 80, base, true, kNal));
  x.write(MediaType::kAudio, 0, frame(base - 60, base - 60, true, kAudio));
  x.write(MediaType::kVideo, 0, frame(base - 40, base + 80, false, kNal2));
  // 1.5 ms: the timestamp rounds down, the composition time keeps the presentation time.
  x.write(MediaType::kVideo, 0,
          MuxFrame{(base - 40) * kMs + 1500000, (base + 40) * kMs, 0, false, kNal2});
  x.finish();
  auto buffers = demux(x.bytes(), DemuxEventKind::kBuffer);
  ASSERT_EQ(buffers.size(), 4u);
  EXPECT_EQ(buffers[0].buffer.dts_ns, 0);
  EXPECT_EQ(buffers[0].buffer.pts_ns, 80 * kMs);
  EXPECT_TRUE(buffers[0].buffer.keyframe);
  EXPECT_EQ(buffers[0].buffer.data, kNal);
  EXPECT_EQ(buffers[1].media, MediaType::kAudio);
  EXPECT_EQ(buffers[1].buffer.dts_ns, 20 * kMs);
  EXPECT_EQ(buffers[1].buffer.data, kAudio);
  EXPECT_EQ(buffers[2].buffer.pts_ns, 160 * kMs);
  EXPECT_FALSE(buffers[2].buffer.keyframe);
  EXPECT_EQ(buffers[3].buffer.dts_ns, 41 * kMs);
  EXPECT_EQ(buffers[3].buffer.pts_ns, 120 * kMs);
  // The end: AVC end of sequence, nothing for legacy AAC.
  auto tags = x.tags();
  EXPECT_EQ(tags.back().data, hex("17 02 000000"));
  EXPECT_EQ(tags.back().timestamp, 41u);
  EXPECT_EQ(tags[tags.size() - 2].type, kFlvTagVideo);
}

TEST(FlvMuxer, TimestampsNeverGoBack) {
  Mux x;
  x.add(hevc());
  x.add(opus());
  x.start(false, 100 * kMs);
  x.write(MediaType::kVideo, 0, frame(140, 140, true, kNal));
  // A late audio frame (a live input that joined later) and one before the origin.
  x.write(MediaType::kAudio, 0, frame(120, 120, true, kAudio));
  x.write(MediaType::kAudio, 0, frame(50, 50, true, kAudio));
  x.write(MediaType::kVideo, 0, frame(180, 150, false, kNal2));
  std::vector<uint32_t> times;
  for (const FlvTag& t : x.tags())
    if (t.type != kFlvTagScript) times.push_back(t.timestamp);
  EXPECT_EQ(times, (std::vector<uint32_t>{0, 0, 40, 40, 40, 80}));
  // HEVC's composition time is never lost: 150 - 180 is negative (SI24 allows it).
  MediaTag last = parse(x.tags().back());
  EXPECT_EQ(last.frames[0].composition_time, -30);
}

TEST(FlvMuxer, EnhancedTagsPerCodec) {
  const Bytes vp9 = write_vp_config(VpConfig{0, 20, 8, 1, false, 1, 1, 1});
  struct Case {
    MuxTrack track;
    FourCc fourcc;
  } cases[] = {
      {hevc(), fourcc::kHevc},
      {make(MediaType::kVideo, 0, CodecKind::kAv1, test::av1_record()), fourcc::kAv1},
      {make(MediaType::kVideo, 0, CodecKind::kVp9, vp9), fourcc::kVp9},
      {make(MediaType::kVideo, 0, CodecKind::kVp8, write_vp_config(VpConfig{})), fourcc::kVp8},
      {opus(), fourcc::kOpus},
      {make(MediaType::kAudio, 0, CodecKind::kFlac, test::flac_header()), fourcc::kFlac},
      {make(MediaType::kAudio, 0, CodecKind::kAc3), fourcc::kAc3},
      {make(MediaType::kAudio, 0, CodecKind::kEac3), fourcc::kEac3},
  };
  for (const Case& c : cases) {
    Mux x;
    x.add(c.track);
    x.start();
    x.write(c.track.media, 0, frame(0, 0, true, kNal));
    x.write(c.track.media, 0, frame(20, 20, false, kNal2));
    x.finish();
    EXPECT_TRUE(x.m.enhanced());
    auto tags = x.tags();
    const bool record = !c.track.sequence_start.empty();
    ASSERT_EQ(tags.size(), 1u + record + 2 + 1) << fourcc_to_string(c.fourcc);
    for (size_t i = 1; i < tags.size(); ++i) {
      MediaTag m = parse(tags[i]);
      ASSERT_EQ(m.frames.size(), 1u);
      EXPECT_EQ(m.multitrack, Multitrack::kNone);
      EXPECT_EQ(m.frames[0].codec, Codec::four_cc(c.fourcc));
    }
    EXPECT_EQ(parse(tags.back()).frames[0].kind, PacketKind::kSequenceEnd);
    auto buffers = demux(x.bytes(), DemuxEventKind::kBuffer);
    ASSERT_EQ(buffers.size(), 2u) << fourcc_to_string(c.fourcc);
    EXPECT_EQ(buffers[0].buffer.data, kNal);
    EXPECT_EQ(buffers[1].buffer.data, kNal2);
    if (c.track.media == MediaType::kVideo) {
      EXPECT_FALSE(buffers[1].buffer.keyframe);
    }
  }
}

TEST(FlvMuxer, TrackModes) {
  Mux x;
  MuxTrack v = avc();
  v.mode = TrackMode::kEnhanced;  // FourCC for H.264 on track 0
  MuxTrack a = aac();
  a.mode = TrackMode::kMultitrack;  // a OneTrack multitrack tag for track 0
  x.add(v);
  x.add(a);
  x.start();
  x.write(MediaType::kVideo, 0, frame(0, 40, true, kNal));
  x.write(MediaType::kAudio, 0, frame(0, 0, true, kAudio));
  auto tags = x.tags();
  ASSERT_EQ(tags.size(), 5u);
  MediaTag vs = parse(tags[1]);
  EXPECT_EQ(vs.frames[0].codec, Codec::four_cc(fourcc::kAvc));
  EXPECT_EQ(vs.multitrack, Multitrack::kNone);
  MediaTag as = parse(tags[2]);
  EXPECT_EQ(as.frames[0].codec, Codec::four_cc(fourcc::kAac));
  EXPECT_EQ(as.multitrack, Multitrack::kOneTrack);
  EXPECT_EQ(as.frames[0].track_id, 0);
  MediaTag vf = parse(tags[3]);
  EXPECT_EQ(vf.frames[0].composition_time, 40);
  EXPECT_TRUE(x.m.enhanced());
}

TEST(FlvMuxer, MultitrackTwoVideoTwoAudio) {
  Mux x;
  MuxTrack v1 = make(MediaType::kVideo, 1, CodecKind::kAv1, test::av1_record());
  v1.width = 640;
  v1.height = 360;
  x.add(avc());
  x.add(v1);
  x.add(aac());
  x.add(opus(1));
  x.start();
  for (int i = 0; i < 3; ++i) {
    x.write(MediaType::kVideo, 0, frame(i * 40, i * 40, i == 0, kNal));
    x.write(MediaType::kVideo, 1, frame(i * 40, i * 40, i == 0, kNal2));
    x.write(MediaType::kAudio, 0, frame(i * 40, i * 40, true, kAudio));
    x.write(MediaType::kAudio, 1, frame(i * 40, i * 40, true, kNal));
  }
  x.finish();
  auto tags = x.tags();
  // Track 0 of each kind stays legacy (H.264, AAC); track 1 is multitrack.
  EXPECT_EQ(tags[1].data[0], 0x17);
  MediaTag v1s = parse(tags[2]);
  EXPECT_EQ(v1s.multitrack, Multitrack::kOneTrack);
  EXPECT_EQ(v1s.frames[0].track_id, 1);
  EXPECT_EQ(v1s.frames[0].kind, PacketKind::kSequenceStart);
  auto added = demux(x.bytes(), DemuxEventKind::kTrackAdded);
  ASSERT_EQ(added.size(), 4u);
  auto buffers = demux(x.bytes(), DemuxEventKind::kBuffer);
  ASSERT_EQ(buffers.size(), 12u);
  for (size_t i = 0; i < buffers.size(); ++i) {
    const DemuxEvent& e = buffers[i];
    EXPECT_EQ(e.media, i % 4 < 2 ? MediaType::kVideo : MediaType::kAudio) << i;
    EXPECT_EQ(e.track, i % 2) << i;
    EXPECT_EQ(e.buffer.dts_ns, static_cast<int64_t>(i / 4) * 40 * kMs);
  }
  auto meta = demux(x.bytes(), DemuxEventKind::kMetadata);
  ASSERT_EQ(meta.size(), 1u);
  ASSERT_EQ(meta[0].metadata.video_tracks.size(), 1u);
  EXPECT_EQ(meta[0].metadata.video_hints(1).width, 640u);
  EXPECT_EQ(meta[0].metadata.audio_tracks.size(), 1u);
  EXPECT_EQ(meta[0].metadata.video.codec_id, 7.0);
  // Every track that wrote something ends: legacy AVC end, the enhanced tracks' SequenceEnd.
  size_t ends = 0;
  for (const FlvTag& t : tags)
    if (t.type != kFlvTagScript && parse(t).frames[0].kind == PacketKind::kSequenceEnd) ++ends;
  EXPECT_EQ(ends, 3u);
}

TEST(FlvMuxer, NewRecordMidStreamAndLateTrack) {
  Mux x;
  x.add(hevc());
  x.start();
  x.write(MediaType::kVideo, 0, frame(0, 0, true, kNal));
  MuxTrack changed = hevc();
  changed.sequence_start.back() ^= 1;
  changed.width = 640;
  x.add(changed);
  x.add(opus());  // a track that starts late gets its record before its first frame
  x.write(MediaType::kAudio, 0, frame(10, 10, true, kAudio));
  x.write(MediaType::kVideo, 0, frame(40, 40, true, kNal));
  x.add(changed);  // the same again: nothing new
  x.write(MediaType::kVideo, 0, frame(80, 80, false, kNal2));
  std::vector<ChunkKind> kinds;
  for (const MuxChunk& c : x.chunks) kinds.push_back(c.kind);
  using K = ChunkKind;
  // Streamable: onMetaData again before the next tag once the tracks changed.
  EXPECT_EQ(kinds, (std::vector<K>{K::kFileHeader, K::kMetadata, K::kSequenceStart, K::kFrame,
                                   K::kMetadata, K::kSequenceStart, K::kFrame, K::kSequenceStart,
                                   K::kFrame, K::kFrame}));
  EXPECT_FALSE(x.chunks[5].header);
  EXPECT_EQ(x.chunks[7].timestamp_ms, 40u);
  auto changes = demux(x.bytes(), DemuxEventKind::kFormatChanged);
  EXPECT_FALSE(changes.empty());
  auto headers = x.m.stream_header();
  ASSERT_EQ(headers.size(), 4u);  // FLV header, the last onMetaData, both records
}

TEST(FlvMuxer, Av1RecordFromFrames) {
  MuxTrack t = make(MediaType::kVideo, 0, CodecKind::kAv1);
  t.av1_config_from_frames = true;
  {
    Mux x;  // learnt before the start: in the stream header
    x.add(t);
    x.m.learn_from_frame(MediaType::kVideo, 0, kAomTu);
    x.start();
    ASSERT_EQ(x.chunks.size(), 3u);
    EXPECT_EQ(parse(x.tags()[1]).frames[0].payload.size(), 17u);
    x.write(MediaType::kVideo, 0, frame(0, 0, true, kAomTu));
    EXPECT_EQ(x.chunks.size(), 4u);
    x.add(t);  // caps again without codec_data: the av1C made from frames stays
    x.write(MediaType::kVideo, 0, frame(40, 40, true, kAomTu));
    EXPECT_EQ(x.chunks.size(), 5u);
  }
  Mux x;  // not learnt: the first key frame brings it
  x.add(t);
  x.start();
  EXPECT_EQ(x.chunks.size(), 2u);
  x.write(MediaType::kVideo, 0, frame(0, 0, true, kAomTu));
  ASSERT_EQ(x.chunks.size(), 4u);
  EXPECT_EQ(x.chunks[2].kind, ChunkKind::kSequenceStart);
  // Another sequence header (libaom 4:4:4) in a key frame: a new record before it.
  const Bytes record444 = test::av1_record();
  Bytes other = hex("1200");
  other.insert(other.end(), record444.begin() + 4, record444.end());
  x.write(MediaType::kVideo, 0, frame(40, 40, true, other));
  x.write(MediaType::kVideo, 0, frame(80, 80, false, other));  // not looked at
  ASSERT_EQ(x.chunks.size(), 7u);
  EXPECT_EQ(x.chunks[4].kind, ChunkKind::kSequenceStart);
  auto formats = demux(x.bytes(), DemuxEventKind::kFormatChanged);
  EXPECT_EQ(formats.size(), 1u);
  auto tags = x.tags();
  MediaTag start = parse(tags[3]);
  EXPECT_EQ(Bytes(start.frames[0].payload.begin(), start.frames[0].payload.end()), record444);
}

TEST(FlvMuxer, FileFieldsDurationSizeAndIndex) {
  Mux x;
  x.add(hevc());
  x.add(aac());
  x.start(true);
  for (int i = 0; i < 10; ++i) {
    x.write(MediaType::kVideo, 0, MuxFrame{i * 40 * kMs, i * 40 * kMs, 40 * kMs, i % 5 == 0, kNal});
    x.write(MediaType::kAudio, 0, frame(i * 40, i * 40, true, kAudio));
  }
  x.finish();
  EXPECT_EQ(x.chunks.back().kind, ChunkKind::kFileFields);
  const Bytes& file = x.bytes();
  auto meta = demux(file, DemuxEventKind::kMetadata);
  ASSERT_EQ(meta.size(), 1u);
  const FlvMetadata& m = meta[0].metadata;
  EXPECT_EQ(m.duration_ns, 400 * kMs);  // the last frame's time and its duration
  ASSERT_EQ(m.keyframes.size(), 2u);
  EXPECT_EQ(m.keyframes[1].time_ns, 200u * kMs);
  // Each position is a video key frame's tag.
  for (const KeyframePoint& k : m.keyframes) {
    ASSERT_LT(k.position + kFlvTagHeaderSize, file.size());
    const uint8_t* p = file.data() + k.position;
    FlvTag tag;
    tag.type = p[0];
    tag.timestamp = get_u24be(p + 4) | uint32_t{p[7]} << 24;
    tag.data.assign(p + kFlvTagHeaderSize, p + kFlvTagHeaderSize + get_u24be(p + 1));
    EXPECT_EQ(tag.type, kFlvTagVideo);
    EXPECT_EQ(tag.timestamp * kMs, static_cast<int64_t>(k.time_ns));
    EXPECT_TRUE(parse(tag).frames[0].keyframe());
  }
  amf0::Value top;
  auto tags = x.tags();
  amf0::decode(ByteView(tags[0].data).subspan(13), top, nullptr);
  EXPECT_EQ(top.get("filesize")->number(), static_cast<double>(file.size()));
}

TEST(FlvMuxer, Errors) {
  FlvMuxer m;
  std::string error;
  EXPECT_FALSE(m.set_track(make(MediaType::kVideo, 0, CodecKind::kH264), &error));
  EXPECT_EQ(m.track_count(), 0u);
  ASSERT_TRUE(m.set_track(hevc(), &error));
  EXPECT_FALSE(m.set_track(make(MediaType::kVideo, 0, CodecKind::kH265, hex("00")), &error));
  EXPECT_EQ(m.track(MediaType::kVideo, 0)->sequence_start, test::hevc_record());
  std::vector<MuxChunk> out;
  m.start(MuxSettings{}, 0, out);
  EXPECT_FALSE(m.write(MediaType::kAudio, 0, frame(0, 0, true, kAudio), out, &error));
  EXPECT_NE(error.find("without caps"), std::string::npos);
  Bytes huge(kFlvMaxTagSize, 0);
  EXPECT_FALSE(m.write(MediaType::kVideo, 0, frame(0, 0, true, huge), out, &error));
  m.remove_track(MediaType::kVideo, 0);
  EXPECT_EQ(m.track_count(), 0u);
  m.reset();
  EXPECT_FALSE(m.started());
  EXPECT_TRUE(m.stream_header().empty());
}

}  // namespace
}  // namespace rtmp
