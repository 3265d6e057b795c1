#include "flv/mux_metadata.hpp"

#include <algorithm>
#include <string_view>

#include "rtmp/amf0.hpp"

namespace rtmp {
namespace {

using amf0::Value;
using Props = std::vector<amf0::Property>;

constexpr std::string_view kFiller = "filler";
constexpr size_t kIndexEntrySize = 18;   // one number in `times`, one in `filepositions`
constexpr size_t kFileFieldsFixed = 98;  // everything but the entries and the filler's numbers

void put_name(Bytes& out, std::string_view name) {
  put_u16be(out, static_cast<uint16_t>(name.size()));
  out.insert(out.end(), name.begin(), name.end());
}

void put_property(Bytes& out, std::string_view name, const Value& v) {
  put_name(out, name);
  amf0::encode(v, out);
}

void add_video(Props& p, const MuxTrack& t, bool map_entry) {
  if (t.width && t.height) {
    p.emplace_back("width", Value::Number(t.width));
    p.emplace_back("height", Value::Number(t.height));
  }
  if (t.framerate > 0) p.emplace_back("framerate", Value::Number(t.framerate));
  p.emplace_back("videocodecid", Value::Number(mux_codec_id_number(t)));
  if (t.datarate_kbps > 0) p.emplace_back("videodatarate", Value::Number(t.datarate_kbps));
  if (!map_entry && t.par_x && t.par_y) {
    p.emplace_back("AspectRatioX", Value::Number(t.par_x));
    p.emplace_back("AspectRatioY", Value::Number(t.par_y));
  }
}

void add_audio(Props& p, const MuxTrack& t, bool map_entry) {
  p.emplace_back("audiocodecid", Value::Number(mux_codec_id_number(t)));
  if (t.datarate_kbps > 0) p.emplace_back("audiodatarate", Value::Number(t.datarate_kbps));
  if (map_entry) {  // the names of the spec's example
    if (t.sample_rate) p.emplace_back("samplerate", Value::Number(t.sample_rate));
    if (t.channels) p.emplace_back("channels", Value::Number(t.channels));
    return;
  }
  if (t.sample_rate) p.emplace_back("audiosamplerate", Value::Number(t.sample_rate));
  p.emplace_back("audiosamplesize", Value::Number(t.sample_bits));
  if (t.channels) {
    p.emplace_back("stereo", Value::Boolean(t.channels == 2));
    p.emplace_back("audiochannels", Value::Number(t.channels));
  }
}

Props track_properties(std::vector<MuxTrack> tracks) {
  std::sort(tracks.begin(), tracks.end(), [](const MuxTrack& a, const MuxTrack& b) {
    return std::make_pair(a.media != MediaType::kVideo, a.id) <
           std::make_pair(b.media != MediaType::kVideo, b.id);
  });
  Props top, video_map, audio_map;
  for (const MuxTrack& t : tracks) {
    const bool video = t.media == MediaType::kVideo;
    if (t.id == 0) {
      (video ? add_video : add_audio)(top, t, false);
      continue;
    }
    Props entry;
    (video ? add_video : add_audio)(entry, t, true);
    (video ? video_map : audio_map).emplace_back(std::to_string(t.id), Value::Object(entry));
  }
  if (!video_map.empty()) top.emplace_back("videoTrackIdInfoMap", Value::Object(video_map));
  if (!audio_map.empty()) top.emplace_back("audioTrackIdInfoMap", Value::Object(audio_map));
  return top;
}

std::vector<IndexPoint> thin(const std::vector<IndexPoint>& index) {
  if (index.size() <= kMuxIndexCapacity) return index;
  const size_t skip = 1 + index.size() / kMuxIndexCapacity;
  std::vector<IndexPoint> out;
  for (size_t i = 0; i < index.size(); i += skip) out.push_back(index[i]);
  return out;
}

void put_numbers(Bytes& out, std::string_view name, const std::vector<double>& values) {
  put_name(out, name);
  put_u8(out, amf0::marker::kStrictArray);
  put_u32be(out, static_cast<uint32_t>(values.size()));
  for (double v : values) amf0::encode(Value::Number(v), out);
}

}  // namespace

size_t file_fields_size() {
  return kFileFieldsFixed + kIndexEntrySize * kMuxIndexCapacity;
}

Bytes write_file_fields(double duration_s, double filesize, const std::vector<IndexPoint>& index) {
  const std::vector<IndexPoint> points = thin(index);
  std::vector<double> times, positions;
  for (const IndexPoint& p : points) {
    times.push_back(p.time_s);
    positions.push_back(p.position);
  }
  Bytes out;
  put_property(out, "duration", Value::Number(duration_s));
  put_property(out, "filesize", Value::Number(filesize));
  put_name(out, "keyframes");
  put_u8(out, amf0::marker::kObject);
  put_numbers(out, "times", times);
  put_numbers(out, "filepositions", positions);
  put_u24be(out, amf0::marker::kObjectEnd);  // empty name, end marker
  // The room of the entries not used: two zeros each (a long string would do, but FFmpeg's reader
  // refuses strings of 256 bytes or more).
  put_numbers(out, kFiller, std::vector<double>(2 * (kMuxIndexCapacity - points.size()), 0.0));
  return out;
}

Bytes write_mux_metadata(const std::vector<MuxTrack>& tracks,
                         const std::vector<std::pair<std::string, std::string>>& texts,
                         bool with_file_fields, double duration_s, MetadataRegion* region) {
  Props props = track_properties(tracks);
  for (const auto& [key, value] : texts)
    if (!key.empty()) props.emplace_back(key, Value::String(value));
  Bytes out;
  amf0::encode(Value::String("onMetaData"), out);
  put_u8(out, amf0::marker::kEcmaArray);
  put_u32be(out, static_cast<uint32_t>(props.size() + (with_file_fields ? 4 : 0)));
  for (const amf0::Property& p : props) put_property(out, p.first, p.second);
  if (with_file_fields) {
    if (region) *region = MetadataRegion{out.size(), file_fields_size()};
    put_bytes(out, write_file_fields(duration_s, 0, {}));
  }
  put_u24be(out, amf0::marker::kObjectEnd);
  return out;
}

}  // namespace rtmp
