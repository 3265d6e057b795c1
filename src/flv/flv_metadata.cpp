#include "flv/flv_metadata.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "rtmp/amf0.hpp"

namespace rtmp {
namespace {

using amf0::Value;

std::optional<double> number(const Value& object, std::string_view key) {
  const Value* v = object.get(key);
  if (!v || !v->is_number() || !std::isfinite(v->number())) return std::nullopt;
  return v->number();
}

uint32_t dimension(const Value& object, std::string_view key) {
  auto n = number(object, key);
  return n && *n >= 1 && *n <= 1e6 ? static_cast<uint32_t>(*n) : 0;
}

void read_track(const Value& o, bool video, TrackInfo& t) {
  if (auto id = number(o, video ? "videocodecid" : "audiocodecid")) t.codec_id = id;
  if (auto rate = number(o, video ? "videodatarate" : "audiodatarate"); rate && *rate > 0)
    t.datarate_kbps = *rate;
  if (!video) return;
  t.video.width = dimension(o, "width");
  t.video.height = dimension(o, "height");
  if (auto fps = number(o, "framerate"); fps && *fps > 0 && *fps < 1e6) t.video.framerate = *fps;
  t.video.par_x = dimension(o, "AspectRatioX");
  t.video.par_y = dimension(o, "AspectRatioY");
}

void read_track_map(const Value& top, std::string_view key, bool video,
                    std::vector<TrackInfo>& out) {
  const Value* map = top.get(key);
  if (!map || !map->is_object()) return;
  for (const amf0::Property& p : map->properties()) {
    if (p.first.empty() || p.first.size() > 3 || !p.second.is_object()) continue;
    if (!std::all_of(p.first.begin(), p.first.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    int id = 0;
    for (char c : p.first) id = id * 10 + (c - '0');
    if (id < 1 || id > 255) continue;
    TrackInfo t;
    t.id = static_cast<uint8_t>(id);
    read_track(p.second, video, t);
    out.push_back(std::move(t));
  }
}

void read_keyframes(const Value& top, std::vector<KeyframePoint>& out) {
  const Value* k = top.get("keyframes");
  if (!k || !k->is_object()) return;
  const Value* times = k->get("times");
  const Value* positions = k->get("filepositions");
  if (!times || !positions) return;
  const auto& t = times->items();
  const auto& p = positions->items();
  const size_t n = std::min({t.size(), p.size(), kMaxKeyframes});
  for (size_t i = 0; i < n; ++i) {
    if (!t[i].is_number() || !p[i].is_number()) continue;
    const double s = t[i].number();
    const double pos = p[i].number();
    if (!(s >= 0 && s < 1e9) || !(pos >= 0 && pos < 1e15)) continue;
    out.push_back({static_cast<uint64_t>(std::llround(s * 1e9)), static_cast<uint64_t>(pos)});
  }
  std::stable_sort(out.begin(), out.end(), [](const KeyframePoint& a, const KeyframePoint& b) {
    return a.time_ns < b.time_ns;
  });
}

void read_object(const Value& top, FlvMetadata& out) {
  if (auto d = number(top, "duration"); d && *d > 0 && *d < 1e9)
    out.duration_ns = static_cast<uint64_t>(std::llround(*d * 1e9));
  read_track(top, true, out.video);
  read_track(top, false, out.audio);
  read_track_map(top, "videoTrackIdInfoMap", true, out.video_tracks);
  read_track_map(top, "audioTrackIdInfoMap", false, out.audio_tracks);
  for (const amf0::Property& p : top.properties()) {
    if (out.texts.size() >= kMaxMetadataTexts) break;
    if (p.second.is_string() && !p.first.empty()) out.texts.push_back({p.first, p.second.string()});
  }
  read_keyframes(top, out.keyframes);
}

}  // namespace

VideoHints FlvMetadata::video_hints(uint8_t track) const {
  VideoHints h = video.video;
  if (track == 0) return h;
  for (const TrackInfo& t : video_tracks) {
    if (t.id != track) continue;
    if (t.video.width) h.width = t.video.width;
    if (t.video.height) h.height = t.video.height;
    if (t.video.framerate > 0) h.framerate = t.video.framerate;
    if (t.video.par_x && t.video.par_y) {
      h.par_x = t.video.par_x;
      h.par_y = t.video.par_y;
    }
  }
  return h;
}

bool parse_flv_metadata(ByteView data, FlvMetadata& out, std::string* error) {
  out = FlvMetadata{};
  Value name;
  size_t used = amf0::decode(data, name, error);
  if (used == 0 || !name.is_string()) return false;
  if (name.string() == "@setDataFrame") {
    data = data.subspan(used);
    used = amf0::decode(data, name, error);
    if (used == 0 || !name.is_string()) return false;
  }
  if (name.string() != "onMetaData") return false;
  Value top;
  if (amf0::decode(data.subspan(used), top, error) == 0) return false;
  if (!top.is_object()) return true;  // onMetaData without properties
  read_object(top, out);
  return true;
}

std::string FlvMetadata::describe() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "duration=%lld video=%ux%u@%g audio-tracks=%zu video-tracks=%zu",
                duration_ns ? static_cast<long long>(*duration_ns) : -1LL, video.video.width,
                video.video.height, video.video.framerate, audio_tracks.size(),
                video_tracks.size());
  std::string out = buf;
  for (const MetadataText& t : texts) out += " " + t.key + "=" + t.value;
  out += " keyframes=" + std::to_string(keyframes.size());
  return out;
}

}  // namespace rtmp
