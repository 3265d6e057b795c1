// The onMetaData script tag a muxer writes: the default tracks' legacy fields (videocodecid and
// audiocodecid as legacy ids or FourCCs, width, height, framerate, AspectRatioX/Y,
// audiosamplerate, audiosamplesize, stereo, audiochannels, data rates), the Enhanced RTMP v2
// track info maps for the other tracks (videoTrackIdInfoMap / audioTrackIdInfoMap: track id ->
// videocodecid, width, height, framerate, videodatarate / audiocodecid, samplerate, channels,
// audiodatarate), text properties, and for a file the fields known only at its end (duration,
// filesize, a `keyframes` index) in a region of fixed size that is written again then.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "flv/mux_track.hpp"
#include "util/bytes.hpp"

namespace rtmp {

struct IndexPoint {
  double time_s = 0;
  double position = 0;  // byte offset of the tag in the file
};

// The most `keyframes` entries the reserved region holds (flvmux's number).
inline constexpr size_t kMuxIndexCapacity = 128;

struct MetadataRegion {
  size_t offset = 0;  // in the script tag's data
  size_t size = 0;
};

// The data of the onMetaData script tag (what follows the FLV tag header). `tracks` in any
// order; `with_file_fields` adds duration (the given one), filesize 0 and an empty index in a
// region whose place *region receives.
Bytes write_mux_metadata(const std::vector<MuxTrack>& tracks,
                         const std::vector<std::pair<std::string, std::string>>& texts,
                         bool with_file_fields, double duration_s, MetadataRegion* region);

// The bytes of the file-fields region, file_fields_size() long: duration, filesize, the index (at
// most kMuxIndexCapacity points; more are thinned evenly, the first kept), and a filler array.
Bytes write_file_fields(double duration_s, double filesize, const std::vector<IndexPoint>& index);
size_t file_fields_size();

}  // namespace rtmp
