// FLV byte streams for the demuxer tests: tags described as MediaTags, written with the core's
// tag writer and FLV writer.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "flv/flv_demuxer.hpp"
#include "flv/flv_writer.hpp"
#include "flv/tag_writer.hpp"
#include "rtmp/amf0.hpp"

namespace rtmp::test {

struct FlvBuilder {
  Bytes out;

  explicit FlvBuilder(bool audio = true, bool video = true) { write_flv_header(audio, video, out); }

  FlvBuilder& tag(const MediaTag& t, uint32_t ts) {
    Bytes body;
    std::string error;
    EXPECT_EQ(write_media_tag(t, body, &error), TagStatus::kOk) << error;
    write_flv_tag(static_cast<uint8_t>(t.media), ts, body, out);
    return *this;
  }
  FlvBuilder& raw(uint8_t type, uint32_t ts, const Bytes& body) {
    write_flv_tag(type, ts, body, out);
    return *this;
  }
  FlvBuilder& metadata(const amf0::Value& props, uint32_t ts = 0) {
    Bytes body = amf0::encode(amf0::Value::String("onMetaData"));
    amf0::encode(props, body);
    return raw(kFlvTagScript, ts, body);
  }
};

inline TrackFrame frame(Codec codec, PacketKind kind, ByteView payload, uint8_t frame_type = 0,
                        int32_t cts = 0, uint8_t track = 0) {
  TrackFrame f;
  f.codec = codec;
  f.kind = kind;
  f.payload = payload;
  f.frame_type = frame_type;
  f.composition_time = cts;
  f.track_id = track;
  return f;
}

inline MediaTag one(MediaType media, TrackFrame f, uint8_t legacy_audio_flags = 0) {
  MediaTag t;
  t.media = media;
  t.legacy_audio_flags = legacy_audio_flags;
  t.frames.push_back(std::move(f));
  return t;
}

// Every event of `in` fed in one piece, as lines.
inline std::vector<std::string> demux(const Bytes& in, int64_t input_time = -1) {
  FlvDemuxer d;
  std::vector<DemuxEvent> events;
  d.feed(in, input_time, events);
  d.finish(events);
  std::vector<std::string> out;
  for (const DemuxEvent& e : events) out.push_back(describe(e));
  return out;
}

inline std::vector<DemuxEvent> demux_events(const Bytes& in) {
  FlvDemuxer d;
  std::vector<DemuxEvent> events;
  d.feed(in, -1, events);
  d.finish(events);
  return events;
}

// The same events whatever the split: in two pieces at every boundary, and byte by byte.
inline void expect_split_invariant(const Bytes& in) {
  const std::vector<std::string> whole = demux(in);
  for (size_t cut = 0; cut <= in.size(); ++cut) {
    FlvDemuxer d;
    std::vector<DemuxEvent> events;
    d.feed(ByteView(in).first(cut), -1, events);
    d.feed(ByteView(in).subspan(cut), -1, events);
    d.finish(events);
    std::vector<std::string> got;
    for (const DemuxEvent& e : events) got.push_back(describe(e));
    ASSERT_EQ(got, whole) << "split at " << cut;
  }
  FlvDemuxer d;
  std::vector<DemuxEvent> events;
  for (uint8_t b : in) d.feed(ByteView(&b, 1), -1, events);
  d.finish(events);
  std::vector<std::string> got;
  for (const DemuxEvent& e : events) got.push_back(describe(e));
  EXPECT_EQ(got, whole) << "byte by byte";
}

}  // namespace rtmp::test
