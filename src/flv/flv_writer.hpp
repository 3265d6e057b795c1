// FLV writing: the container's header and tags (rtmpsrc's output, and test input).
#pragma once

#include <cstdint>

#include "flv/flv_format.hpp"
#include "util/bytes.hpp"

namespace rtmp {

// A 9-byte header (version 1, data offset 9) followed by PreviousTagSize0 (0).
void write_flv_header(bool has_audio, bool has_video, Bytes& out);
// An 11-byte tag header (stream id 0), the data, then PreviousTagSize (11 + size). The data must
// be at most kFlvMaxTagSize bytes (what the size field holds; RTMP message lengths share it).
void write_flv_tag(uint8_t type, uint32_t timestamp, ByteView data, Bytes& out);

}  // namespace rtmp
