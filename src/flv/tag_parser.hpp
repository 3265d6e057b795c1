// Parsing one complete audio/video tag body (legacy FLV or Enhanced RTMP v2) into a MediaTag.
//
// After the header (tag_header.hpp), an enhanced body holds its tracks:
//   per track: [FourCC UI32, ManyTracksManyCodecs only] [trackId UI8, multitrack only]
//              [size UI24 of what follows, ManyTracks and ManyTracksManyCodecs only]
//              track body: SequenceStart / MPEG2TSSequenceStart / SequenceEnd: the bytes as-is;
//                          CodedFrames: [CompositionTime SI24 for avc1, hvc1, vvc1] frames;
//                          CodedFramesX: frames (composition time 0);
//                          Metadata: AMF0 values (decoded into TrackFrame::metadata);
//                          MultichannelConfig: order UI8, count UI8,
//                                              [AudioChannel UI8[count], Custom order]
//                                              [AudioChannelMask UI32, Native order]
// Without multitrack, or with OneTrack, the (only) track body runs to the end of the tag; with
// ManyTracks* tracks follow each other to the end of the tag. A legacy AVC/HEVC/AV1 body is
// CompositionTime SI24 and the data; any other legacy body is opaque data. A command frame's
// payload is its command byte (and anything after it).
#pragma once

#include <string>

#include "flv/media_tag.hpp"
#include "flv/tag_header.hpp"
#include "rtmp/message.hpp"
#include "util/bytes.hpp"

namespace rtmp {

// Parses `body` as a tag of `media`. The frames' payload (and channel mapping) views point into
// `body`, which must outlive them. An empty body is valid and has no frames. Errors, with a
// message in *error (if given): those of read_tag_header, a truncated composition time, FourCC,
// track id or track size, a track larger than what is left, multitrack without a track, a
// malformed MultichannelConfig (reserved order, short, or followed by more bytes), metadata that
// is not valid AMF0. Nothing is read outside `body`. On error `out` holds the frames before the
// failing one.
TagStatus parse_media_tag(MediaType media, ByteView body, MediaTag& out, std::string* error);
inline TagStatus parse_video_tag(ByteView body, MediaTag& out, std::string* error) {
  return parse_media_tag(MediaType::kVideo, body, out, error);
}
inline TagStatus parse_audio_tag(ByteView body, MediaTag& out, std::string* error) {
  return parse_media_tag(MediaType::kAudio, body, out, error);
}
// The frames of an audio (8) or video (9) message; any other type is an error. The views point
// into m.payload.
TagStatus parse_message(const Message& m, MediaTag& out, std::string* error);

}  // namespace rtmp
