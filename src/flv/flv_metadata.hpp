// onMetaData, the script tag of an FLV stream (also after "@setDataFrame"): what a demuxer takes
// from it. The legacy fields (duration, width, height, framerate, AspectRatioX/Y, codec ids,
// data rates, strings such as title), the Enhanced RTMP v2 track info maps
// (videoTrackIdInfoMap / audioTrackIdInfoMap: track id -> properties, ids 1..255), and the
// `keyframes` index many muxers add (times in seconds, filepositions in bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flv/track_format.hpp"
#include "util/bytes.hpp"

namespace rtmp {

struct KeyframePoint {
  uint64_t time_ns = 0;
  uint64_t position = 0;  // byte offset of the tag in the file

  bool operator==(const KeyframePoint&) const = default;
};

struct MetadataText {
  std::string key;
  std::string value;

  bool operator==(const MetadataText&) const = default;
};

struct TrackInfo {
  uint8_t id = 0;
  std::optional<double> codec_id;  // videocodecid / audiocodecid: legacy id or FourCC
  VideoHints video;
  double datarate_kbps = 0;  // videodatarate / audiodatarate
};

struct FlvMetadata {
  std::optional<uint64_t> duration_ns;
  TrackInfo video;  // track 0: the top-level fields
  TrackInfo audio;
  std::vector<TrackInfo> video_tracks;   // videoTrackIdInfoMap
  std::vector<TrackInfo> audio_tracks;   // audioTrackIdInfoMap
  std::vector<MetadataText> texts;       // string properties (title, creator, encoder...)
  std::vector<KeyframePoint> keyframes;  // sorted by time

  // Hints for a video track: its map entry over the top-level fields (delta style), or the
  // top-level fields for track 0.
  VideoHints video_hints(uint8_t track) const;
  std::string describe() const;
};

inline constexpr size_t kMaxMetadataTexts = 64;
inline constexpr size_t kMaxKeyframes = 1 << 20;

// Whether `data` is an onMetaData script tag ("onMetaData", or "@setDataFrame" then
// "onMetaData", then an object or ECMA array); if so fills `out` and returns true. Values of the
// wrong type are ignored; malformed AMF0 after the name gives false with *error set.
bool parse_flv_metadata(ByteView data, FlvMetadata& out, std::string* error);

}  // namespace rtmp
