// What the tag writer can put on the wire: the checks write_media_tag() makes before writing, and
// the layout choices it shares with them.
#pragma once

#include <cstddef>
#include <string>

#include "flv/media_tag.hpp"
#include "flv/tag_header.hpp"

namespace rtmp {

// kOk if write_media_tag() would write `tag` (see its comment for the errors).
TagStatus check_writable(const MediaTag& tag, std::string* error);

// Whether the enhanced coded frames of `tag` go out as CodedFramesX: at least one frame's codec
// has a composition time and every such composition time is 0. (CodedFramesX drops the
// composition time of every track of the tag; the other tracks' bodies are the same either way.)
bool use_coded_frames_x(const MediaTag& tag);

// Bytes of one enhanced track body (what a ManyTracks* size field counts).
size_t track_body_size(const TrackFrame& f, bool coded_frames_x);

}  // namespace rtmp
