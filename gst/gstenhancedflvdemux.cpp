// enhancedflvdemux: legacy and Enhanced RTMP v2 FLV to elementary streams, one pad per track
// (video_%u, audio_%u by track id). The decisions are the core's (flv/flv_demuxer.hpp); this
// file makes pads, caps, segments and buffers of its events, and handles seeking
// (docs/enhanced-flv-demux.md).
#include "gstenhancedflvdemux.hpp"

#include <utility>

#include "eflv_demux_private.hpp"
#include "flv_demux_caps.hpp"

GST_DEBUG_CATEGORY(eflv_demux_debug);
#define GST_CAT_DEFAULT eflv_demux_debug

G_DEFINE_TYPE(GstEnhancedFlvDemux, gst_enhanced_flv_demux, GST_TYPE_ELEMENT)

// Only "enhanced" FLV by the template, so that decodebin picks flvdemux for plain FLV; at run
// time any video/x-flv is accepted (an explicit link to a plain FLV source works).
static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("video/x-flv, enhanced=(boolean)true"));
static GstStaticPadTemplate video_template =
    GST_STATIC_PAD_TEMPLATE("video_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
                            GST_STATIC_CAPS("video/x-h264; video/x-h265; video/x-h266; "
                                            "video/x-av1; video/x-vp9; video/x-vp8; "
                                            "video/x-flash-video; video/x-flash-screen; "
                                            "video/x-vp6-flash; video/x-vp6-alpha; "
                                            "video/x-h263; video/mpeg"));
static GstStaticPadTemplate audio_template =
    GST_STATIC_PAD_TEMPLATE("audio_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
                            GST_STATIC_CAPS("audio/mpeg; audio/x-opus; audio/x-flac; "
                                            "audio/x-ac3; audio/x-eac3; audio/x-raw; "
                                            "audio/x-adpcm; audio/x-nellymoser; audio/x-alaw; "
                                            "audio/x-mulaw; audio/x-speex"));

void eflv_push_to_all(GstEnhancedFlvDemux* self, GstEvent* event) {
  for (auto& [key, out] : self->priv->pads) gst_pad_push_event(out.pad, gst_event_ref(event));
  gst_event_unref(event);
}

static void add_pad(GstEnhancedFlvDemux* self, const rtmp::DemuxEvent& e) {
  DemuxPrivate* p = self->priv;
  const bool video = e.media == rtmp::MediaType::kVideo;
  gchar* name = g_strdup_printf(video ? "video_%u" : "audio_%u", e.track);
  GstPad* pad = gst_pad_new_from_static_template(video ? &video_template : &audio_template, name);
  gst_pad_set_event_function(pad, eflv_src_event);
  gst_pad_set_query_function(pad, eflv_src_query);
  gst_pad_use_fixed_caps(pad);
  gst_pad_set_active(pad, TRUE);
  gchar* stream_id = gst_pad_create_stream_id(pad, GST_ELEMENT(self), name);
  GstEvent* start = gst_event_new_stream_start(stream_id);
  gst_event_set_group_id(start, p->group_id);
  gst_pad_push_event(pad, start);
  g_free(stream_id);
  g_free(name);
  GstCaps* caps = rtmpgst::caps_from_format(e.format);
  GST_INFO_OBJECT(self, "new pad %s: %" GST_PTR_FORMAT, GST_PAD_NAME(pad), caps);
  gst_pad_push_event(pad, gst_event_new_caps(caps));
  gst_caps_unref(caps);
  if (p->tags) gst_pad_push_event(pad, gst_event_new_tag(gst_tag_list_ref(p->tags)));
  p->pads[eflv_pad_key(e.media, e.track)] = OutPad{pad, true};
  gst_flow_combiner_add_pad(p->combiner, pad);
  gst_element_add_pad(GST_ELEMENT(self), pad);
}

static void on_metadata(GstEnhancedFlvDemux* self, const rtmp::FlvMetadata& m) {
  DemuxPrivate* p = self->priv;
  GST_OBJECT_LOCK(self);
  p->keyframes = m.keyframes;
  const bool new_duration = m.duration_ns && p->duration_ns != m.duration_ns;
  if (m.duration_ns) p->duration_ns = m.duration_ns;
  GST_OBJECT_UNLOCK(self);
  if (p->tags) gst_tag_list_unref(p->tags);
  p->tags = rtmpgst::tags_from_metadata(m);
  GST_DEBUG_OBJECT(self, "onMetaData: %s", m.describe().c_str());
  if (!p->pads.empty()) eflv_push_to_all(self, gst_event_new_tag(gst_tag_list_ref(p->tags)));
  if (new_duration)
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_duration_changed(GST_OBJECT(self)));
}

// BYTES upstream: like flvdemux, the segment starts at the first timestamp (a live FLV over HTTP
// does not start at 0).
static void push_segment(GstEnhancedFlvDemux* self, OutPad& out, const rtmp::DemuxBuffer& b) {
  DemuxPrivate* p = self->priv;
  if (!p->upstream_time && !p->segment_decided) {
    p->segment_decided = true;
    p->segment.start = p->segment.time = p->segment.position = static_cast<guint64>(b.dts_ns);
  }
  GstEvent* seg = gst_event_new_segment(&p->segment);
  if (p->segment_seqnum != GST_SEQNUM_INVALID) gst_event_set_seqnum(seg, p->segment_seqnum);
  gst_pad_push_event(out.pad, seg);
  out.need_segment = false;
}

static GstFlowReturn push_buffer(GstEnhancedFlvDemux* self, rtmp::DemuxEvent& e) {
  DemuxPrivate* p = self->priv;
  auto it = p->pads.find(eflv_pad_key(e.media, e.track));
  if (it == p->pads.end()) return GST_FLOW_OK;
  OutPad& out = it->second;
  if (out.need_segment) push_segment(self, out, e.buffer);
  auto* bytes = new rtmp::Bytes(std::move(e.buffer.data));
  GstBuffer* buf = gst_buffer_new_wrapped_full(
      GST_MEMORY_FLAG_READONLY, bytes->data(), bytes->size(), 0, bytes->size(), bytes,
      [](gpointer data) { delete static_cast<rtmp::Bytes*>(data); });
  GST_BUFFER_PTS(buf) = static_cast<GstClockTime>(e.buffer.pts_ns);
  GST_BUFFER_DTS(buf) = static_cast<GstClockTime>(e.buffer.dts_ns);
  if (!e.buffer.keyframe) GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  if (e.buffer.discont) GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
  p->segment.position = GST_BUFFER_PTS(buf);
  GstFlowReturn ret = gst_pad_push(out.pad, buf);
  return gst_flow_combiner_update_pad_flow(p->combiner, out.pad, ret);
}

static GstFlowReturn handle_event(GstEnhancedFlvDemux* self, rtmp::DemuxEvent& e) {
  DemuxPrivate* p = self->priv;
  switch (e.kind) {
    case rtmp::DemuxEventKind::kTrackAdded:
      add_pad(self, e);
      return GST_FLOW_OK;
    case rtmp::DemuxEventKind::kFormatChanged:
      if (auto it = p->pads.find(eflv_pad_key(e.media, e.track)); it != p->pads.end()) {
        GstCaps* caps = rtmpgst::caps_from_format(e.format);
        GST_INFO_OBJECT(it->second.pad, "new caps %" GST_PTR_FORMAT, caps);
        gst_pad_push_event(it->second.pad, gst_event_new_caps(caps));
        gst_caps_unref(caps);
      }
      return GST_FLOW_OK;
    case rtmp::DemuxEventKind::kBuffer:
      return push_buffer(self, e);
    case rtmp::DemuxEventKind::kMetadata:
      on_metadata(self, e.metadata);
      return GST_FLOW_OK;
    case rtmp::DemuxEventKind::kAllTracksAdded:
      GST_INFO_OBJECT(self, "no more pads (%zu)", p->pads.size());
      gst_element_no_more_pads(GST_ELEMENT(self));
      return GST_FLOW_OK;
    case rtmp::DemuxEventKind::kSequenceEnd:
      GST_DEBUG_OBJECT(self, "%s", rtmp::describe(e).c_str());
      return GST_FLOW_OK;
    case rtmp::DemuxEventKind::kWarning:
      GST_WARNING_OBJECT(self, "%s", e.text.c_str());
      return GST_FLOW_OK;
    case rtmp::DemuxEventKind::kError:
      GST_ELEMENT_ERROR(self, STREAM, DEMUX, ("Cannot read the FLV stream"),
                        ("%s", e.text.c_str()));
      return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

GstFlowReturn eflv_handle_events(GstEnhancedFlvDemux* self) {
  DemuxPrivate* p = self->priv;
  GstFlowReturn ret = GST_FLOW_OK;
  for (rtmp::DemuxEvent& e : p->events) {
    GstFlowReturn r = handle_event(self, e);
    if (r == GST_FLOW_ERROR || r == GST_FLOW_FLUSHING || ret == GST_FLOW_OK) ret = r;
    if (r == GST_FLOW_ERROR) break;
  }
  p->events.clear();
  return ret;
}

static GstFlowReturn sink_chain(GstPad*, GstObject* parent, GstBuffer* buffer) {
  auto* self = GST_ENHANCED_FLV_DEMUX(parent);
  DemuxPrivate* p = self->priv;
  if (GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DISCONT)) p->core.discontinuity();
  const int64_t input_time = p->upstream_time && GST_BUFFER_PTS_IS_VALID(buffer)
                                 ? static_cast<int64_t>(GST_BUFFER_PTS(buffer))
                                 : -1;
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    gst_buffer_unref(buffer);
    return GST_FLOW_ERROR;
  }
  p->core.feed(rtmp::ByteView(map.data, map.size), input_time, p->events);
  gst_buffer_unmap(buffer, &map);
  gst_buffer_unref(buffer);
  return eflv_handle_events(self);
}

void eflv_reset(GstEnhancedFlvDemux* self) {
  DemuxPrivate* p = self->priv;
  for (auto& [key, out] : p->pads) {
    gst_flow_combiner_remove_pad(p->combiner, out.pad);
    gst_element_remove_pad(GST_ELEMENT(self), out.pad);
  }
  p->pads.clear();
  p->core.reset();
  p->events.clear();
  gst_segment_init(&p->segment, GST_FORMAT_TIME);
  p->upstream_time = false;
  p->segment_decided = false;
  p->segment_seqnum = GST_SEQNUM_INVALID;
  if (p->tags) gst_tag_list_unref(p->tags);
  p->tags = nullptr;
  p->group_id = gst_util_group_id_next();
  GST_OBJECT_LOCK(self);
  p->keyframes.clear();
  p->duration_ns.reset();
  p->byte_seek.reset();
  p->last_seek_seqnum = GST_SEQNUM_INVALID;
  GST_OBJECT_UNLOCK(self);
}

static GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) {
  auto* self = GST_ENHANCED_FLV_DEMUX(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) eflv_reset(self);
  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_enhanced_flv_demux_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) eflv_reset(self);
  return ret;
}

static void gst_enhanced_flv_demux_init(GstEnhancedFlvDemux* self) {
  self->priv = new DemuxPrivate();
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, sink_chain);
  gst_pad_set_event_function(self->sinkpad, eflv_sink_event);
  gst_pad_set_query_function(self->sinkpad, eflv_sink_query);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
}

static void finalize(GObject* obj) {
  delete GST_ENHANCED_FLV_DEMUX(obj)->priv;
  G_OBJECT_CLASS(gst_enhanced_flv_demux_parent_class)->finalize(obj);
}

static void gst_enhanced_flv_demux_class_init(GstEnhancedFlvDemuxClass* klass) {
  GObjectClass* oc = G_OBJECT_CLASS(klass);
  GstElementClass* ec = GST_ELEMENT_CLASS(klass);
  oc->finalize = finalize;
  ec->change_state = change_state;
  gst_element_class_add_static_pad_template(ec, &sink_template);
  gst_element_class_add_static_pad_template(ec, &video_template);
  gst_element_class_add_static_pad_template(ec, &audio_template);
  gst_element_class_set_static_metadata(
      ec, "Enhanced FLV demuxer", "Codec/Demuxer",
      "Demuxes legacy FLV and Enhanced RTMP v2 FLV (HEVC, AV1, VP9, VP8, Opus, FLAC, AC-3, "
      "E-AC-3, multitrack) into elementary streams, one pad per track",
      "gst-rtmp-native developers");
  GST_DEBUG_CATEGORY_INIT(eflv_demux_debug, "enhancedflvdemux", 0, "Enhanced FLV demuxer");
}
