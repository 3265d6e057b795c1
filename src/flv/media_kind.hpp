// Cheap classification of a published or received message: what it is, which tracks it carries,
// whether it is a key frame or a header to keep. It reads only the tag header and, for
// ManyTracks*, the track ids and sizes; it allocates nothing and does not look inside payloads
// (a tag it classifies may still fail the full parse of tag_parser.hpp).
//
// In Enhanced RTMP the FrameType is written once per tag: every track of a multitrack tag is a
// key frame or none is. So `keyframe` holds for each of the tag's tracks at once, and a track's
// key frame is `keyframe_for(id)`. The tracks of legacy tags and of enhanced tags without
// multitrack are track 0.
#pragma once

#include <bitset>
#include <cstdint>

#include "flv/media_tag.hpp"
#include "rtmp/message.hpp"
#include "util/bytes.hpp"

namespace rtmp {

enum class MediaClass : uint8_t {
  kOther,     // anything else (commands, control, data other than metadata)
  kAudio,     // an audio message (type 8)
  kVideo,     // a video message (type 9)
  kMetadata,  // a data message (type 18) "@setDataFrame" or "onMetaData"
};

struct MediaKind {
  MediaClass media = MediaClass::kOther;
  // Audio/video: the header was read whole (an empty body, RTMP's audio silence, is valid and
  // has no tracks). When false the other fields say nothing.
  bool valid = false;
  bool enhanced = false;
  PacketKind kind = PacketKind::kCodedFrames;
  bool keyframe = false;     // video FrameType 1, not Metadata: every track of the tag
  uint16_t track_count = 0;  // frames in the tag (a track id may appear twice)
  std::bitset<256> tracks;   // the track ids present
  uint32_t nano_offset = 0;  // ModEx TimestampOffsetNano

  bool has_track(uint8_t id) const { return tracks.test(id); }
  bool keyframe_for(uint8_t id) const { return keyframe && tracks.test(id); }
  // A video or audio SequenceStart (legacy AVC/AAC sequence header), or a video
  // MPEG2TSSequenceStart.
  bool is_sequence_header() const;
  // What a publisher keeps and replays after reconnecting (MediaHeaders): metadata, sequence
  // headers, video Metadata (colorInfo), audio MultichannelConfig.
  bool is_header() const;
};

MediaKind classify(const Message& m);
// The same for a payload in pieces (it reads the first bytes; a multitrack or ModEx tag that
// spans pieces is joined first).
MediaKind classify(const MediaMessage& m);
MediaKind classify_body(uint8_t type, ByteView body);
MediaKind classify_tag(MediaType media, ByteView body);

// Whether a data message (type 18) starts with the AMF0 string "@setDataFrame" or "onMetaData".
bool is_metadata(const Message& m);
bool is_metadata_body(uint8_t type, ByteView body);

}  // namespace rtmp
