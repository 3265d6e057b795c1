// The private state of enhancedflvdemux, shared by its files: gstenhancedflvdemux.cpp (pads,
// buffers, the element) and eflv_demux_events.cpp (events, seeking, queries).
#pragma once

#include <gst/base/gstflowcombiner.h>
#include <gst/gst.h>

#include <map>
#include <optional>
#include <vector>

#include "flv/flv_demuxer.hpp"
#include "gstenhancedflvdemux.hpp"

GST_DEBUG_CATEGORY_EXTERN(eflv_demux_debug);

struct OutPad {
  GstPad* pad = nullptr;
  bool need_segment = true;
};

struct DemuxPrivate {
  rtmp::FlvDemuxer core;
  std::vector<rtmp::DemuxEvent> events;
  std::map<uint16_t, OutPad> pads;  // (video ? 256 : 0) + track id
  GstFlowCombiner* combiner = gst_flow_combiner_new();
  GstSegment segment;            // what the pads get
  bool upstream_time = false;    // upstream's segment is in TIME: use its segment and times
  bool segment_decided = false;  // BYTES upstream: the segment starts at the first buffer
  guint32 segment_seqnum = GST_SEQNUM_INVALID;
  GstTagList* tags = nullptr;  // the global tags from onMetaData
  guint group_id = gst_util_group_id_next();
  // Shared with the application thread (seeks, queries), under the object lock.
  std::vector<rtmp::KeyframePoint> keyframes;
  std::optional<uint64_t> duration_ns;
  std::optional<GstSegment> byte_seek;  // the segment to start when the BYTES segment comes
  guint32 last_seek_seqnum = GST_SEQNUM_INVALID;
  gboolean last_seek_result = FALSE;

  DemuxPrivate() { gst_segment_init(&segment, GST_FORMAT_TIME); }
  ~DemuxPrivate() {
    gst_flow_combiner_free(combiner);
    if (tags) gst_tag_list_unref(tags);
  }
};

struct _GstEnhancedFlvDemux {
  GstElement parent;
  GstPad* sinkpad;
  DemuxPrivate* priv;
};

inline uint16_t eflv_pad_key(rtmp::MediaType media, uint8_t track) {
  return static_cast<uint16_t>((media == rtmp::MediaType::kVideo ? 256 : 0) + track);
}

void eflv_push_to_all(GstEnhancedFlvDemux* self, GstEvent* event);
GstFlowReturn eflv_handle_events(GstEnhancedFlvDemux* self);
// Back to the state of a new stream (pads removed).
void eflv_reset(GstEnhancedFlvDemux* self);
gboolean eflv_sink_event(GstPad* pad, GstObject* parent, GstEvent* event);
gboolean eflv_sink_query(GstPad* pad, GstObject* parent, GstQuery* query);
gboolean eflv_src_event(GstPad* pad, GstObject* parent, GstEvent* event);
gboolean eflv_src_query(GstPad* pad, GstObject* parent, GstQuery* query);
