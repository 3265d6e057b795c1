// The private state of enhancedflvmux, shared by its files: gstenhancedflvmux.cpp (the element,
// pads, properties), eflv_mux_pad.cpp (the pad type), eflv_mux_aggregate.cpp (caps, tags,
// aggregation, output).
#pragma once

#include <gst/base/gstaggregator.h>
#include <gst/gst.h>

#include <mutex>
#include <string>
#include <vector>

#include "flv/flv_muxer.hpp"
#include "gstenhancedflvmux.hpp"

GST_DEBUG_CATEGORY_EXTERN(eflv_mux_debug);

struct MuxPrivate {
  // The core and what the pads and properties put in it: the streaming thread (aggregate,
  // events) and the application thread (pads released, track modes) both change it.
  std::mutex lock;
  rtmp::FlvMuxer core;
  // Properties, under the object lock.
  bool streamable = false;
  std::string metadatacreator;
  std::string encoder;
  // Streaming thread only.
  bool file_fields = false;  // this stream's onMetaData has fields to write at its end
  int64_t last_dts_ns = 0;   // for buffers without timestamps
  std::vector<rtmp::MuxChunk> chunks;
};

struct _GstEnhancedFlvMux {
  GstAggregator parent;
  MuxPrivate* priv;
};

struct _GstEnhancedFlvMuxPad {
  GstAggregatorPad parent;
  rtmp::MediaType media;
  guint8 track;
  GstEnhancedFlvTrackMode mode;  // under the pad's object lock
  guint bitrate;                 // from the stream's tags (bits/s), 0: not known
};

rtmp::TrackMode eflv_mux_track_mode(GstEnhancedFlvTrackMode mode);
// The pad's track mode changed: the track (if it has caps) is signalled the new way from its
// next frame on.
void eflv_mux_mode_changed(GstEnhancedFlvMuxPad* pad);

// GstAggregator vfuncs (eflv_mux_aggregate.cpp).
GstFlowReturn eflv_mux_aggregate(GstAggregator* agg, gboolean timeout);
// A sink event before the base class sees it: caps become the pad's track, tags go to
// onMetaData. False: caps the muxer cannot take (an error was posted).
bool eflv_mux_on_event(GstEnhancedFlvMux* self, GstEnhancedFlvMuxPad* pad, GstEvent* event);
GstClockTime eflv_mux_get_next_time(GstAggregator* agg);
// Back to the state before a stream (tracks kept when keep_tracks).
void eflv_mux_reset(GstEnhancedFlvMux* self, bool keep_tracks);
