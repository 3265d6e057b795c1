// enhancedflvdemux's conversions from the core's descriptions: a StreamFormat to GstCaps, and
// onMetaData to a global GstTagList (flvdemux's mapping: title, creator -> artist, encoder and
// metadatacreator -> encoder, duration).
#pragma once

#include <gst/gst.h>

#include "flv/flv_metadata.hpp"
#include "flv/stream_format.hpp"

namespace rtmpgst {

GstCaps* caps_from_format(const rtmp::StreamFormat& format);
GstTagList* tags_from_metadata(const rtmp::FlvMetadata& metadata);

}  // namespace rtmpgst
