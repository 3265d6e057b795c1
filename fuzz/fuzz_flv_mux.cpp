// The FLV muxer core. The readers of untrusted caps and frames: the input as an AV1 temporal unit
// (an av1C made from it must read back, and be made again from its own configOBUs) and as FLAC
// header packets split in two (a sequence start must be fLaC + STREAMINFO). Then a muxing run
// driven by the input (tracks of every codec, modes, ids, frames with their times, data taken
// from the input, a new record midway) read back with the core's demuxer: every frame of every
// track comes back unchanged, with its times in ms, and no error or warning.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "flv/av1_sequence.hpp"
#include "flv/codec_records.hpp"
#include "flv/flv_demuxer.hpp"
#include "flv/flv_muxer.hpp"
#include "flv/mux_records.hpp"

namespace {

using rtmp::Bytes;
using rtmp::ByteView;
using rtmp::CodecKind;
using rtmp::MediaType;

void check(bool ok) {
  if (!ok) std::abort();
}

Bytes hex(const char* s) {
  Bytes out;
  for (; s[0] && s[1]; s += 2) {
    auto v = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    out.push_back(static_cast<uint8_t>(v(s[0]) << 4 | v(s[1])));
  }
  return out;
}

void records(ByteView in) {
  rtmp::parse_av1_sequence_header(in);
  if (auto av1c = rtmp::av1_config_from_temporal_unit(in)) {
    check(rtmp::parse_av1_config(*av1c).has_value());
    check(rtmp::av1_config_from_temporal_unit(ByteView(*av1c).subspan(4)) == av1c);
  }
  const size_t split = in.empty() ? 0 : in[0] % (in.size() + 1);
  if (auto flac = rtmp::flac_sequence_start({in.first(split), in.subspan(split)})) {
    check(flac->size() == 42 && rtmp::parse_flac_header(*flac).has_value());
  }
}

// Reads bytes off the input; zeros once it is used up.
struct Reader {
  ByteView in;
  size_t pos = 0;
  uint8_t u8() { return pos < in.size() ? in[pos++] : 0; }
  ByteView take(size_t n) {
    n = std::min(n, in.size() - pos);
    ByteView v = in.subspan(pos, n);
    pos += n;
    return v;
  }
};

rtmp::MuxTrack make_track(Reader& r, MediaType media, uint8_t id) {
  static const std::map<CodecKind, Bytes> kRecords = {
      {CodecKind::kH264, hex("01f4000dffe1001967f4000d919b28283f6022000003000200000300641e28532c0"
                             "1000568ce0f1920fff8f800")},
      {CodecKind::kH265,
       hex("0104080000009e08000000003cf000fcfff8f800000f03200001001740010c01ffff0408000003009e08"
           "00000300003c959409210001002b4201010408000003009e0800000300003c90014101e2cb2b2a526178"
           "0b702020004000000300400000064222000100084401c07318301890")},
      {CodecKind::kAv1, hex("81000c000a0b000000043cffbcdaf90040")},
      {CodecKind::kVp9, hex("010000000014870202000000")},
      {CodecKind::kVp8, hex("010000000000100202000000")},
      {CodecKind::kAac, hex("1210")},
      {CodecKind::kOpus, hex("4f707573486561640102380180bb0000000000")},
      {CodecKind::kFlac,
       hex("664c614380000022120012000000000000000bb802f00000000000000000000000000000000000000000")},
  };
  static const CodecKind kVideo[] = {CodecKind::kH264, CodecKind::kH265, CodecKind::kAv1,
                                     CodecKind::kVp9, CodecKind::kVp8};
  static const CodecKind kAudio[] = {CodecKind::kAac,  CodecKind::kMp3, CodecKind::kOpus,
                                     CodecKind::kFlac, CodecKind::kAc3, CodecKind::kEac3};
  rtmp::MuxTrack t;
  t.media = media;
  t.id = id;
  const uint8_t pick = r.u8();
  t.codec = media == MediaType::kVideo ? kVideo[pick % 5] : kAudio[pick % 6];
  t.mode = static_cast<rtmp::TrackMode>(r.u8() % 3);
  t.sample_rate = 48000;
  t.channels = 2;
  if (auto it = kRecords.find(t.codec); it != kRecords.end()) t.sequence_start = it->second;
  return t;
}

struct Expected {
  Bytes data;
  int64_t dts_ms;
  int64_t pts_ms;
};

void mux_round_trip(ByteView in) {
  Reader r{in};
  rtmp::FlvMuxer m;
  std::vector<rtmp::MuxTrack> tracks;
  const size_t n = 1 + r.u8() % 4;
  for (size_t i = 0; i < n; ++i) {
    const MediaType media = i % 2 ? MediaType::kAudio : MediaType::kVideo;
    rtmp::MuxTrack t = make_track(r, media, static_cast<uint8_t>(i / 2 + (r.u8() % 3)));
    if (m.track(media, t.id)) continue;
    check(m.set_track(t, nullptr));
    tracks.push_back(t);
  }
  std::vector<rtmp::MuxChunk> chunks;
  const int64_t origin = static_cast<int64_t>(r.u8()) * 1000000 - 100000000;
  m.start(rtmp::MuxSettings{}, origin, chunks);
  std::map<uint16_t, std::vector<Expected>> want;
  int64_t dts = origin;
  while (r.pos < in.size()) {
    const rtmp::MuxTrack& t = tracks[r.u8() % tracks.size()];
    dts += static_cast<int64_t>(r.u8()) * 250000;
    const int64_t cts = (static_cast<int64_t>(r.u8()) - 64) * 1000000;
    rtmp::MuxFrame f;
    f.dts_ns = dts;
    f.pts_ns = dts + cts;
    f.keyframe = r.u8() % 2;
    f.data = r.take(1 + r.u8() % 64);
    if (f.data.empty()) break;
    check(m.write(t.media, t.id, f, chunks, nullptr));
    const bool with_cts = t.codec == CodecKind::kH264 || t.codec == CodecKind::kH265;
    auto ms = [&](int64_t ns) { return (ns - origin) / 1000000; };
    want[static_cast<uint16_t>((t.media == MediaType::kVideo ? 256 : 0) + t.id)].push_back(
        {Bytes(f.data.begin(), f.data.end()), ms(dts),
         with_cts ? std::max<int64_t>(0, ms(f.pts_ns)) : ms(dts)});
  }
  m.finish(chunks);
  rtmp::FlvDemuxer d;
  std::vector<rtmp::DemuxEvent> events;
  for (const rtmp::MuxChunk& c : chunks) d.feed(c.bytes, -1, events);
  d.finish(events);
  std::map<uint16_t, size_t> seen;
  for (const rtmp::DemuxEvent& e : events) {
    check(e.kind != rtmp::DemuxEventKind::kError && e.kind != rtmp::DemuxEventKind::kWarning);
    if (e.kind != rtmp::DemuxEventKind::kBuffer) continue;
    const auto key = static_cast<uint16_t>((e.media == MediaType::kVideo ? 256 : 0) + e.track);
    const std::vector<Expected>& w = want[key];
    const size_t i = seen[key]++;
    check(i < w.size() && w[i].data == e.buffer.data && e.buffer.dts_ns == w[i].dts_ms * 1000000);
    check(e.buffer.pts_ns == w[i].pts_ms * 1000000);
  }
  for (const auto& [key, frames] : want) check(seen[key] == frames.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView in(data, size);
  records(in);
  mux_round_trip(in);
  return 0;
}
