// enhancedflvdemux: sink events (segments, flushes, EOS), seeking and queries.
//
// Seeking (TIME): the seek goes upstream first (rtmpsrc seeks recorded streams itself). If
// upstream refuses it and onMetaData had a `keyframes` index, it becomes a BYTES seek to the
// file position of the last key frame at or before the target; the BYTES segment that follows
// restarts the core at that tag, with a TIME segment from the key frame's time (KEY_UNIT or
// SNAP_BEFORE) or from the target. Without an index, a file cannot seek (push mode only).
#include <algorithm>

#include "eflv_demux_private.hpp"

#define GST_CAT_DEFAULT eflv_demux_debug

namespace {

void mark_need_segment(DemuxPrivate* p) {
  for (auto& [key, out] : p->pads) out.need_segment = true;
}

// A new segment from upstream.
void on_segment(GstEnhancedFlvDemux* self, GstEvent* event) {
  DemuxPrivate* p = self->priv;
  const GstSegment* in = nullptr;
  gst_event_parse_segment(event, &in);
  GST_OBJECT_LOCK(self);
  std::optional<GstSegment> seek = std::move(p->byte_seek);
  p->byte_seek.reset();
  GST_OBJECT_UNLOCK(self);
  p->segment_seqnum = gst_event_get_seqnum(event);
  if (in->format == GST_FORMAT_TIME) {
    gst_segment_copy_into(in, &p->segment);
    p->upstream_time = true;
    p->segment_decided = true;
  } else if (seek) {
    p->core.restart_at_tag();
    p->segment = *seek;
    p->upstream_time = false;
    p->segment_decided = true;
  } else {
    gst_segment_init(&p->segment, GST_FORMAT_TIME);
    p->upstream_time = false;
    p->segment_decided = false;
  }
  GST_DEBUG_OBJECT(self, "upstream %" GST_SEGMENT_FORMAT ", out %" GST_SEGMENT_FORMAT, in,
                   &p->segment);
  mark_need_segment(p);
}

gboolean on_eos(GstEnhancedFlvDemux* self, GstEvent* event) {
  DemuxPrivate* p = self->priv;
  p->core.finish(p->events);
  eflv_handle_events(self);
  if (p->pads.empty()) {
    GST_ELEMENT_ERROR(self, STREAM, WRONG_TYPE, ("No audio or video stream found"),
                      ("the FLV stream ended before any track with a supported codec"));
    gst_event_unref(event);
    return FALSE;
  }
  eflv_push_to_all(self, event);
  return TRUE;
}

}  // namespace

gboolean eflv_sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  auto* self = GST_ENHANCED_FLV_DEMUX(parent);
  DemuxPrivate* p = self->priv;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_SEGMENT:
      on_segment(self, event);
      gst_event_unref(event);
      return TRUE;
    case GST_EVENT_CAPS:
    case GST_EVENT_STREAM_START:
      gst_event_unref(event);  // each pad has its own
      return TRUE;
    case GST_EVENT_FLUSH_STOP:
      p->core.discontinuity();
      gst_flow_combiner_reset(p->combiner);
      mark_need_segment(p);
      eflv_push_to_all(self, event);
      return TRUE;
    case GST_EVENT_EOS:
      return on_eos(self, event);
    default:
      if (p->pads.empty() &&
          (static_cast<int>(GST_EVENT_TYPE(event)) & static_cast<int>(GST_EVENT_TYPE_SERIALIZED))) {
        gst_event_unref(event);  // nothing to give it to yet (upstream tags, gaps)
        return TRUE;
      }
      return gst_pad_event_default(pad, parent, event);
  }
}

gboolean eflv_sink_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  if (GST_QUERY_TYPE(query) == GST_QUERY_ACCEPT_CAPS) {
    GstCaps* caps = nullptr;
    gst_query_parse_accept_caps(query, &caps);
    const GstStructure* s =
        caps && !gst_caps_is_empty(caps) ? gst_caps_get_structure(caps, 0) : nullptr;
    gst_query_set_accept_caps_result(query, s && gst_structure_has_name(s, "video/x-flv"));
    return TRUE;
  }
  return gst_pad_query_default(pad, parent, query);
}

namespace {

// The BYTES seek for a TIME seek, from the keyframes index; nullptr if there is none.
GstEvent* byte_seek_for(GstEnhancedFlvDemux* self, GstEvent* event) {
  DemuxPrivate* p = self->priv;
  gdouble rate = 1.0;
  GstFormat format = GST_FORMAT_UNDEFINED;
  GstSeekFlags flags = GST_SEEK_FLAG_NONE;
  GstSeekType start_type = GST_SEEK_TYPE_NONE;
  GstSeekType stop_type = GST_SEEK_TYPE_NONE;
  gint64 start = 0;
  gint64 stop = 0;
  gst_event_parse_seek(event, &rate, &format, &flags, &start_type, &start, &stop_type, &stop);
  if (format != GST_FORMAT_TIME || rate <= 0) return nullptr;
  GST_OBJECT_LOCK(self);
  const std::vector<rtmp::KeyframePoint> index = p->keyframes;
  GstSegment seg = p->segment;
  GST_OBJECT_UNLOCK(self);
  if (index.empty()) return nullptr;
  gboolean update = FALSE;
  if (!gst_segment_do_seek(&seg, rate, format, flags, start_type, start, stop_type, stop, &update))
    return nullptr;
  auto after =
      std::upper_bound(index.begin(), index.end(), seg.start,
                       [](guint64 t, const rtmp::KeyframePoint& k) { return t < k.time_ns; });
  const rtmp::KeyframePoint& key = after == index.begin() ? index.front() : *(after - 1);
  if (flags & (GST_SEEK_FLAG_KEY_UNIT | GST_SEEK_FLAG_SNAP_BEFORE)) seg.start = key.time_ns;
  seg.time = seg.position = seg.start;
  GST_INFO_OBJECT(self,
                  "seek to %" GST_TIME_FORMAT ": key frame at %" GST_TIME_FORMAT
                  ", byte %" G_GUINT64_FORMAT,
                  GST_TIME_ARGS(start), GST_TIME_ARGS(key.time_ns), key.position);
  GST_OBJECT_LOCK(self);
  p->byte_seek = seg;
  GST_OBJECT_UNLOCK(self);
  GstEvent* bytes = gst_event_new_seek(
      1.0, GST_FORMAT_BYTES, static_cast<GstSeekFlags>(flags & GST_SEEK_FLAG_FLUSH),
      GST_SEEK_TYPE_SET, static_cast<gint64>(key.position), GST_SEEK_TYPE_NONE, -1);
  gst_event_set_seqnum(bytes, gst_event_get_seqnum(event));
  return bytes;
}

gboolean do_seek(GstEnhancedFlvDemux* self, GstEvent* event) {
  DemuxPrivate* p = self->priv;
  const guint32 seqnum = gst_event_get_seqnum(event);
  GST_OBJECT_LOCK(self);
  if (seqnum == p->last_seek_seqnum) {  // the same seek, sent on each of our pads
    const gboolean result = p->last_seek_result;
    GST_OBJECT_UNLOCK(self);
    gst_event_unref(event);
    return result;
  }
  GST_OBJECT_UNLOCK(self);
  gboolean ok = gst_pad_push_event(self->sinkpad, gst_event_ref(event));
  if (!ok) {
    GstEvent* bytes = byte_seek_for(self, event);
    ok = bytes && gst_pad_push_event(self->sinkpad, bytes);
    if (!ok) {
      GST_OBJECT_LOCK(self);
      p->byte_seek.reset();
      GST_OBJECT_UNLOCK(self);
    }
  }
  GST_OBJECT_LOCK(self);
  p->last_seek_seqnum = seqnum;
  p->last_seek_result = ok;
  GST_OBJECT_UNLOCK(self);
  gst_event_unref(event);
  return ok;
}

gboolean query_seeking(GstEnhancedFlvDemux* self, GstQuery* query) {
  GstFormat format = GST_FORMAT_UNDEFINED;
  gst_query_parse_seeking(query, &format, nullptr, nullptr, nullptr);
  if (format != GST_FORMAT_TIME) return FALSE;
  if (gst_pad_peer_query(self->sinkpad, query)) {
    gboolean seekable = FALSE;
    gst_query_parse_seeking(query, nullptr, &seekable, nullptr, nullptr);
    if (seekable) return TRUE;
  }
  DemuxPrivate* p = self->priv;
  GST_OBJECT_LOCK(self);
  const bool indexed = !p->keyframes.empty();
  const gint64 end = p->duration_ns ? static_cast<gint64>(*p->duration_ns) : -1;
  GST_OBJECT_UNLOCK(self);
  gboolean bytes_seekable = FALSE;
  if (indexed) {
    GstQuery* q = gst_query_new_seeking(GST_FORMAT_BYTES);
    if (gst_pad_peer_query(self->sinkpad, q))
      gst_query_parse_seeking(q, nullptr, &bytes_seekable, nullptr, nullptr);
    gst_query_unref(q);
  }
  gst_query_set_seeking(query, GST_FORMAT_TIME, bytes_seekable, 0, end);
  return TRUE;
}

gboolean query_duration(GstEnhancedFlvDemux* self, GstPad* pad, GstQuery* query) {
  GstFormat format = GST_FORMAT_UNDEFINED;
  gst_query_parse_duration(query, &format, nullptr);
  if (format != GST_FORMAT_TIME) return FALSE;
  if (gst_pad_peer_query(self->sinkpad, query)) return TRUE;
  GST_OBJECT_LOCK(self);
  const std::optional<uint64_t> d = self->priv->duration_ns;
  GST_OBJECT_UNLOCK(self);
  (void)pad;
  if (!d) return FALSE;
  gst_query_set_duration(query, GST_FORMAT_TIME, static_cast<gint64>(*d));
  return TRUE;
}

}  // namespace

gboolean eflv_src_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  auto* self = GST_ENHANCED_FLV_DEMUX(parent);
  if (GST_EVENT_TYPE(event) == GST_EVENT_SEEK) return do_seek(self, event);
  return gst_pad_event_default(pad, parent, event);
}

gboolean eflv_src_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  auto* self = GST_ENHANCED_FLV_DEMUX(parent);
  switch (GST_QUERY_TYPE(query)) {
    case GST_QUERY_SEEKING:
      return query_seeking(self, query);
    case GST_QUERY_DURATION:
      return query_duration(self, pad, query);
    default:
      return gst_pad_query_default(pad, parent, query);
  }
}
