#include "flv/media_tag.hpp"

#include <algorithm>
#include <array>

namespace rtmp {

namespace {

constexpr std::array<const char*, 7> kKindNames = {
    "SequenceStart",        "CodedFrames",        "SequenceEnd", "Metadata",
    "MPEG2TSSequenceStart", "MultichannelConfig", "Command",
};

bool same_bytes(ByteView a, ByteView b) {
  return std::ranges::equal(a, b);
}

std::string codec_name(Codec c) {
  if (c.enhanced) return "'" + fourcc_to_string(c.id) + "'";
  return "legacy " + std::to_string(c.id);
}

}  // namespace

CodecKind codec_kind(MediaType media, Codec codec) {
  if (codec.enhanced) return codec_kind_of_fourcc(codec.id);
  if (codec.id > 0xf) return CodecKind::kUnknown;
  const auto id = static_cast<uint8_t>(codec.id);
  return media == MediaType::kVideo ? codec_kind_of_legacy_video(id)
                                    : codec_kind_of_legacy_audio(id);
}

bool MultichannelConfig::operator==(const MultichannelConfig& o) const {
  return order == o.order && channel_count == o.channel_count && flags == o.flags &&
         same_bytes(mapping, o.mapping);
}

bool TrackFrame::operator==(const TrackFrame& o) const {
  return track_id == o.track_id && codec == o.codec && kind == o.kind &&
         frame_type == o.frame_type && composition_time == o.composition_time &&
         nano_offset == o.nano_offset && same_bytes(payload, o.payload) && channels == o.channels &&
         same_amf0_values(metadata, o.metadata);
}

bool same_amf0_values(const std::vector<amf0::Value>& a, const std::vector<amf0::Value>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (amf0::encode(a[i]) != amf0::encode(b[i])) return false;
  return true;
}

const amf0::Value* color_info(const TrackFrame& frame) {
  const auto& v = frame.metadata;
  for (size_t i = 0; i + 1 < v.size(); ++i)
    if (v[i].is_string() && v[i].string() == "colorInfo") return &v[i + 1];
  return nullptr;
}

Bytes encode_color_info(const amf0::Value& info) {
  Bytes out;
  amf0::encode(amf0::Value::String("colorInfo"), out);
  amf0::encode(info, out);
  return out;
}

std::string describe(const MediaTag& tag) {
  std::string out = tag.media == MediaType::kVideo ? "video" : "audio";
  static constexpr std::array<const char*, 4> kMultitrack = {"", " OneTrack", " ManyTracks",
                                                             " ManyTracksManyCodecs"};
  out += kMultitrack[static_cast<size_t>(tag.multitrack)];
  if (tag.frames.empty()) out += " (empty)";
  for (const TrackFrame& f : tag.frames) {
    out += "\n  track " + std::to_string(f.track_id) + " " + codec_name(f.codec) + " " +
           kKindNames[static_cast<size_t>(f.kind)];
    if (tag.media == MediaType::kVideo) out += " frame_type " + std::to_string(f.frame_type);
    if (f.composition_time != 0) out += " cts " + std::to_string(f.composition_time);
    if (f.nano_offset != 0) out += " +" + std::to_string(f.nano_offset) + "ns";
    out += " " + std::to_string(f.payload.size()) + " bytes";
    if (f.kind == PacketKind::kMultichannelConfig)
      out += " order " + std::to_string(f.channels.order) + " channels " +
             std::to_string(f.channels.channel_count);
    for (const amf0::Value& v : f.metadata) out += " " + v.to_debug_string();
  }
  return out;
}

}  // namespace rtmp
