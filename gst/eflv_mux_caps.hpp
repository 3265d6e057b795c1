// enhancedflvmux's sink caps to the core's track description (flv/mux_track.hpp): the codec, the
// SequenceStart payload (codec_data; the first streamheader buffer for Opus; "fLaC" + STREAMINFO
// from FLAC's streamheader; a VPCodecConfigurationRecord or an OpusHead made from the caps' own
// fields), and what onMetaData says about the track.
#pragma once

#include <gst/gst.h>

#include <string>

#include "flv/mux_track.hpp"

namespace rtmpgst {

// False with *error (for the element's error message) for caps the muxer cannot take: a media
// type or stream format of another kind, codec_data or streamheader missing or malformed.
bool mux_track_from_caps(const GstCaps* caps, rtmp::MediaType media, rtmp::MuxTrack& out,
                         std::string* error);

// Buffers a stream carries in band that are its headers, already in the SequenceStart (FLAC's
// and Opus's header packets, flagged HEADER): not muxed as frames.
bool is_in_band_header(rtmp::CodecKind codec, GstBuffer* buffer);

}  // namespace rtmpgst
