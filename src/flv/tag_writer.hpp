// Writing audio/video tag bodies (legacy FLV or Enhanced RTMP v2) from a MediaTag: the inverse of
// tag_parser.hpp, so that parse(write(tag)) == tag for every tag the writer accepts.
//
// The layout follows the description: frames with legacy codecs make a legacy tag (one frame on
// track 0), frames with FourCCs an enhanced one, with the tag's Multitrack type. Choices the
// description leaves to the writer:
//  - enhanced coded frames are written as CodedFramesX when every frame's codec has a composition
//    time (avc1, hvc1, vvc1) and every composition time is 0; else as CodedFrames;
//  - a ModEx TimestampOffsetNano (3 bytes) is written when nano_offset is not 0;
//  - an enhanced command frame is written with the CodedFrames packet type.
// H.264 and AAC stay legacy (codec ids 7 and 10) unless the caller picks the FourCC: see
// preferred_codec().
#pragma once

#include <optional>
#include <string>

#include "flv/media_tag.hpp"
#include "flv/tag_header.hpp"
#include "util/bytes.hpp"

namespace rtmp {

// Appends the body of `tag` to `out`. A tag without frames writes nothing. Errors (nothing is
// appended, *error says why): a layout the wire cannot carry, such as frames mixing legacy and
// enhanced codecs; a legacy tag with more than one frame, a track id, a nano offset or a kind its
// codec does not have; an enhanced tag whose frames differ in kind, frame_type or nano_offset, or
// in codec without ManyTracksManyCodecs; several frames without ManyTracks*; a track id without
// multitrack; a composition time on a codec or kind without one, or outside SI24; a reserved
// FrameType; a nano offset above 0xFFFFFF; a track body over 0xFFFFFF bytes (ManyTracks*); a
// MultichannelConfig whose mapping does not match its order and count; channels or metadata on
// another kind; a command frame without its command byte.
TagStatus write_media_tag(const MediaTag& tag, Bytes& out, std::string* error);

// The codec a muxer should signal for `kind`: legacy AVC (7), AAC (10) and MP3 (2) when
// `legacy_if_possible` (what every RTMP server understands; multitrack needs FourCCs), else the
// FourCC. The legacy HEVC/AV1 extension ids are never chosen. nullopt for kUnknown and the
// legacy-only kinds (which have codec ids this function cannot pick among).
std::optional<Codec> preferred_codec(CodecKind kind, bool legacy_if_possible = true);

}  // namespace rtmp
