// A typefinder for FLV that carries Enhanced RTMP tags: "video/x-flv, enhanced=(boolean)true"
// with MAXIMUM probability when the first audio/video tags say so (flv/flv_probe.hpp); nothing
// for other FLV, which the stock typefinder (rank PRIMARY, this one is PRIMARY + 1) reports as
// plain video/x-flv for flvdemux.
#pragma once

#include <gst/gst.h>

namespace rtmpgst {

gboolean register_enhanced_flv_typefind(GstPlugin* plugin);

}  // namespace rtmpgst
