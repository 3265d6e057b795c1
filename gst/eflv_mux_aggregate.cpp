// enhancedflvmux's streaming side: caps to tracks, tags, and the aggregation: which pad's buffer
// goes next (rtmp::choose_next), the stream header when the first buffers are there, one tag per
// buffer, the end; the core's chunks pushed as buffers, with the output caps (streamheader,
// enhanced) kept up to date.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eflv_mux_caps.hpp"
#include "eflv_mux_private.hpp"
#include "flv/mux_interleave.hpp"

#define GST_CAT_DEFAULT eflv_mux_debug

namespace {

struct Head {
  GstEnhancedFlvMuxPad* pad = nullptr;  // a reference
  rtmp::InputHead input;
};

// Signed running time; false for a time the segment cannot map.
bool running_time(GstAggregatorPad* pad, GstClockTime t, int64_t& out) {
  if (!GST_CLOCK_TIME_IS_VALID(t)) return false;
  guint64 rt = 0;
  const int sign = gst_segment_to_running_time_full(&pad->segment, GST_FORMAT_TIME, t, &rt);
  if (sign == 0) return false;
  out = sign > 0 ? static_cast<int64_t>(rt) : -static_cast<int64_t>(rt);
  return true;
}

rtmp::CodecKind pad_codec(MuxPrivate* p, GstEnhancedFlvMuxPad* pad) {
  std::lock_guard<std::mutex> g(p->lock);
  const rtmp::MuxTrack* t = p->core.track(pad->media, pad->track);
  return t ? t->codec : rtmp::CodecKind::kUnknown;
}

// The next buffer of the pad that will be muxed: in-band headers (already in the sequence
// start) and buffers without data are dropped.
GstBuffer* peek_muxable(MuxPrivate* p, GstEnhancedFlvMuxPad* pad) {
  auto* apad = GST_AGGREGATOR_PAD(pad);
  const rtmp::CodecKind codec = pad_codec(p, pad);
  while (GstBuffer* b = gst_aggregator_pad_peek_buffer(apad)) {
    if (gst_buffer_get_size(b) > 0 && !rtmpgst::is_in_band_header(codec, b)) return b;
    GST_LOG_OBJECT(pad, "dropping %" GST_PTR_FORMAT, b);
    gst_buffer_unref(b);
    gst_aggregator_pad_drop_buffer(apad);
  }
  return nullptr;
}

std::vector<Head> collect_heads(GstEnhancedFlvMux* self) {
  std::vector<Head> heads;
  GST_OBJECT_LOCK(self);
  for (GList* l = GST_ELEMENT(self)->sinkpads; l; l = l->next)
    heads.push_back(Head{GST_ENHANCED_FLV_MUX_PAD(gst_object_ref(l->data)), {}});
  GST_OBJECT_UNLOCK(self);
  for (Head& h : heads) {
    h.input.media = h.pad->media;
    h.input.track = h.pad->track;
    if (GstBuffer* b = peek_muxable(self->priv, h.pad)) {
      int64_t t = self->priv->last_dts_ns;
      running_time(GST_AGGREGATOR_PAD(h.pad), GST_BUFFER_DTS_OR_PTS(b), t);
      h.input.dts_ns = t;
      gst_buffer_unref(b);
    } else {
      h.input.ended = gst_aggregator_pad_is_eos(GST_AGGREGATOR_PAD(h.pad));
    }
  }
  return heads;
}

GstCaps* output_caps(MuxPrivate* p) {
  GstCaps* caps = gst_caps_new_empty_simple("video/x-flv");
  GValue array = G_VALUE_INIT;
  g_value_init(&array, GST_TYPE_ARRAY);
  std::lock_guard<std::mutex> g(p->lock);
  if (p->core.enhanced()) gst_caps_set_simple(caps, "enhanced", G_TYPE_BOOLEAN, TRUE, nullptr);
  for (const rtmp::Bytes& h : p->core.stream_header()) {
    GstBuffer* b = gst_buffer_new_memdup(h.data(), h.size());
    GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_HEADER);
    GValue v = G_VALUE_INIT;
    g_value_init(&v, GST_TYPE_BUFFER);
    gst_value_take_buffer(&v, b);
    gst_value_array_append_and_take_value(&array, &v);
  }
  gst_structure_take_value(gst_caps_get_structure(caps, 0), "streamheader", &array);
  return caps;
}

GstBuffer* chunk_buffer(rtmp::MuxChunk& c) {
  auto* bytes = new rtmp::Bytes(std::move(c.bytes));
  GstBuffer* b = gst_buffer_new_wrapped_full(
      GST_MEMORY_FLAG_READONLY, bytes->data(), bytes->size(), 0, bytes->size(), bytes,
      [](gpointer data) { delete static_cast<rtmp::Bytes*>(data); });
  if (c.header) GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_HEADER);
  if (c.delta) GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DELTA_UNIT);
  GST_BUFFER_OFFSET(b) = c.offset;
  GST_BUFFER_OFFSET_END(b) = c.offset + bytes->size();
  return b;
}

// Pushes the core's chunks; `time`: the running time of the frame among them (streamable
// output is timestamped with it), or -1.
GstFlowReturn push_chunks(GstEnhancedFlvMux* self, int64_t time, GstClockTime duration) {
  auto* agg = GST_AGGREGATOR(self);
  MuxPrivate* p = self->priv;
  std::vector<rtmp::MuxChunk> chunks = std::move(p->chunks);
  p->chunks.clear();
  for (const rtmp::MuxChunk& c : chunks) {
    const bool new_header = (c.kind == rtmp::ChunkKind::kSequenceStart ||
                             c.kind == rtmp::ChunkKind::kMetadata || c.header);
    if (new_header) {
      GstCaps* caps = output_caps(p);
      GST_DEBUG_OBJECT(self, "output caps %" GST_PTR_FORMAT, caps);
      gst_aggregator_set_src_caps(agg, caps);
      gst_caps_unref(caps);
      break;
    }
  }
  GstFlowReturn ret = GST_FLOW_OK;
  for (rtmp::MuxChunk& c : chunks) {
    if (c.kind == rtmp::ChunkKind::kFileFields) {
      GstSegment seg;
      gst_segment_init(&seg, GST_FORMAT_BYTES);
      seg.start = seg.time = seg.position = c.offset;
      gst_aggregator_update_segment(agg, &seg);
    }
    const bool frame = c.kind == rtmp::ChunkKind::kFrame;
    GstBuffer* b = chunk_buffer(c);
    if (frame && !p->file_fields && time >= 0) {
      GST_BUFFER_PTS(b) = static_cast<GstClockTime>(time);
      GST_BUFFER_DURATION(b) = duration;
    }
    ret = gst_aggregator_finish_buffer(agg, b);
    if (ret != GST_FLOW_OK) break;
  }
  return ret;
}

// What onMetaData's strings say: the properties, and the global tags set or received.
std::vector<std::pair<std::string, std::string>> metadata_texts(GstEnhancedFlvMux* self) {
  std::vector<std::pair<std::string, std::string>> texts;
  GST_OBJECT_LOCK(self);
  if (!self->priv->metadatacreator.empty())
    texts.emplace_back("metadatacreator", self->priv->metadatacreator);
  if (!self->priv->encoder.empty()) texts.emplace_back("encoder", self->priv->encoder);
  GST_OBJECT_UNLOCK(self);
  const GstTagList* tags = gst_tag_setter_get_tag_list(GST_TAG_SETTER(self));
  static const std::pair<const char*, const char*> kMap[] = {
      {GST_TAG_TITLE, "title"},
      {GST_TAG_ARTIST, "creator"},
      {GST_TAG_DESCRIPTION, "description"},
      {GST_TAG_COMMENT, "comment"},
      {GST_TAG_COPYRIGHT, "copyright"},
  };
  for (const auto& [tag, key] : kMap) {
    gchar* value = nullptr;
    if (tags && gst_tag_list_get_string(tags, tag, &value)) texts.emplace_back(key, value);
    g_free(value);
  }
  return texts;
}

// Whether the output can be written over at its end (downstream seeks in bytes: a file).
bool downstream_seekable(GstEnhancedFlvMux* self) {
  GstQuery* q = gst_query_new_seeking(GST_FORMAT_BYTES);
  gboolean seekable = FALSE;
  if (gst_pad_peer_query(GST_AGGREGATOR_SRC_PAD(self), q))
    gst_query_parse_seeking(q, nullptr, &seekable, nullptr, nullptr);
  gst_query_unref(q);
  return seekable;
}

std::optional<double> upstream_duration(GstEnhancedFlvMux* self) {
  std::optional<double> out;
  GST_OBJECT_LOCK(self);
  std::vector<GstPad*> pads;
  for (GList* l = GST_ELEMENT(self)->sinkpads; l; l = l->next)
    pads.push_back(GST_PAD(gst_object_ref(l->data)));
  GST_OBJECT_UNLOCK(self);
  for (GstPad* pad : pads) {
    gint64 d = -1;
    if (gst_pad_peer_query_duration(pad, GST_FORMAT_TIME, &d) && d > 0)
      out = std::max(out.value_or(0), static_cast<double>(d) / GST_SECOND);
    gst_object_unref(pad);
  }
  return out;
}

GstFlowReturn start_stream(GstEnhancedFlvMux* self, const std::vector<Head>& heads,
                           int64_t origin) {
  MuxPrivate* p = self->priv;
  GST_OBJECT_LOCK(self);
  const bool streamable = p->streamable;
  GST_OBJECT_UNLOCK(self);
  p->file_fields = !streamable && downstream_seekable(self);
  rtmp::MuxSettings settings;
  settings.file_fields = p->file_fields;
  settings.texts = metadata_texts(self);
  if (p->file_fields) settings.duration_s = upstream_duration(self);
  {
    std::lock_guard<std::mutex> g(p->lock);
    for (const Head& h : heads) {  // AV1 without codec_data: the av1C of the first frame
      GstBuffer* b =
          h.input.dts_ns ? gst_aggregator_pad_peek_buffer(GST_AGGREGATOR_PAD(h.pad)) : nullptr;
      GstMapInfo map;
      if (b && gst_buffer_map(b, &map, GST_MAP_READ)) {
        p->core.learn_from_frame(h.pad->media, h.pad->track, rtmp::ByteView(map.data, map.size));
        gst_buffer_unmap(b, &map);
      }
      if (b) gst_buffer_unref(b);
    }
    p->core.start(settings, origin, p->chunks);
  }
  p->last_dts_ns = origin;
  GST_INFO_OBJECT(self, "stream starts at %" G_GINT64_FORMAT " ns, %s", origin,
                  p->file_fields ? "file (fields written at the end)" : "streamable");
  return push_chunks(self, -1, GST_CLOCK_TIME_NONE);
}

GstFlowReturn write_next(GstEnhancedFlvMux* self, const Head& head) {
  MuxPrivate* p = self->priv;
  auto* apad = GST_AGGREGATOR_PAD(head.pad);
  GstBuffer* buf = gst_aggregator_pad_pop_buffer(apad);
  if (!buf) return GST_AGGREGATOR_FLOW_NEED_DATA;  // flushed meanwhile
  rtmp::MuxFrame f;
  f.dts_ns = *head.input.dts_ns;
  f.pts_ns = f.dts_ns;
  running_time(apad, GST_BUFFER_PTS(buf), f.pts_ns);
  f.duration_ns =
      GST_BUFFER_DURATION_IS_VALID(buf) ? static_cast<int64_t>(GST_BUFFER_DURATION(buf)) : 0;
  f.keyframe = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  gst_aggregator_selected_samples(GST_AGGREGATOR(self), GST_BUFFER_PTS(buf), GST_BUFFER_DTS(buf),
                                  GST_BUFFER_DURATION(buf), nullptr);
  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not map an input buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  f.data = rtmp::ByteView(map.data, map.size);
  std::string error;
  bool ok;
  {
    std::lock_guard<std::mutex> g(p->lock);
    ok = p->core.write(head.pad->media, head.pad->track, f, p->chunks, &error);
  }
  gst_buffer_unmap(buf, &map);
  const GstClockTime duration = GST_BUFFER_DURATION(buf);
  gst_buffer_unref(buf);
  if (!ok) {
    GST_ELEMENT_ERROR(self, STREAM, MUX, ("Cannot mux a buffer of %s", GST_PAD_NAME(head.pad)),
                      ("%s", error.c_str()));
    return error.find("without caps") != std::string::npos ? GST_FLOW_NOT_NEGOTIATED
                                                           : GST_FLOW_ERROR;
  }
  p->last_dts_ns = f.dts_ns;
  GST_OBJECT_LOCK(self);
  GST_AGGREGATOR_PAD(GST_AGGREGATOR_SRC_PAD(self))->segment.position =
      static_cast<GstClockTime>(std::max<int64_t>(0, f.dts_ns));
  GST_OBJECT_UNLOCK(self);
  return push_chunks(self, std::max<int64_t>(0, f.dts_ns), duration);
}

GstFlowReturn finish_stream(GstEnhancedFlvMux* self) {
  {
    std::lock_guard<std::mutex> g(self->priv->lock);
    self->priv->core.finish(self->priv->chunks);
  }
  GST_INFO_OBJECT(self, "end of stream");
  GstFlowReturn ret = push_chunks(self, -1, GST_CLOCK_TIME_NONE);
  return ret == GST_FLOW_OK ? GST_FLOW_EOS : ret;
}

}  // namespace

GstFlowReturn eflv_mux_aggregate(GstAggregator* agg, gboolean timeout) {
  auto* self = GST_ENHANCED_FLV_MUX(agg);
  std::vector<Head> heads = collect_heads(self);
  if (heads.empty()) {
    GST_ELEMENT_ERROR(self, STREAM, MUX, ("No input streams"),
                      ("request a video_%%u, audio_%%u, video or audio pad"));
    return GST_FLOW_ERROR;
  }
  std::vector<rtmp::InputHead> inputs;
  for (const Head& h : heads) inputs.push_back(h.input);
  const rtmp::Next next = rtmp::choose_next(inputs, timeout);
  bool started, any_track;
  {
    std::lock_guard<std::mutex> g(self->priv->lock);
    started = self->priv->core.started();
    any_track = self->priv->core.track_count() > 0;
  }
  GstFlowReturn ret = GST_FLOW_OK;
  if (next.step == rtmp::NextStep::kWait) {
    ret = GST_AGGREGATOR_FLOW_NEED_DATA;
  } else if (!started && next.step == rtmp::NextStep::kDone && !any_track) {
    ret = GST_FLOW_EOS;  // nothing ever came
  } else if (!started) {
    const int64_t origin = next.step == rtmp::NextStep::kWrite ? *inputs[next.index].dts_ns : 0;
    ret = start_stream(self, heads, origin);
  }
  if (ret == GST_FLOW_OK)
    ret = next.step == rtmp::NextStep::kDone ? finish_stream(self)
                                             : write_next(self, heads[next.index]);
  for (Head& h : heads) gst_object_unref(h.pad);
  return ret;
}

// In a live pipeline GstAggregator times out at this time plus the latency. Before the stream
// starts, while an input has neither a buffer nor EOS, that is kFirstFramesWaitNs later: the
// onMetaData and the sequence starts at the head of the stream then name every track (an
// encoder with more latency than the others, x265enc say, is not left out), unless one input
// gives nothing for that long.
GstClockTime eflv_mux_get_next_time(GstAggregator* agg) {
  constexpr GstClockTime kFirstFramesWaitNs = GST_SECOND;
  auto* self = GST_ENHANCED_FLV_MUX(agg);
  std::vector<Head> heads = collect_heads(self);
  GstClockTime next = GST_CLOCK_TIME_NONE;
  bool missing = false;
  for (Head& h : heads) {
    if (h.input.dts_ns) {
      const auto t = static_cast<GstClockTime>(std::max<int64_t>(0, *h.input.dts_ns));
      if (!GST_CLOCK_TIME_IS_VALID(next) || t < next) next = t;
    } else if (!h.input.ended) {
      missing = true;
    }
    gst_object_unref(h.pad);
  }
  bool started;
  {
    std::lock_guard<std::mutex> g(self->priv->lock);
    started = self->priv->core.started();
  }
  if (!started && missing && GST_CLOCK_TIME_IS_VALID(next)) next += kFirstFramesWaitNs;
  return next;
}

static bool on_caps(GstEnhancedFlvMux* self, GstEnhancedFlvMuxPad* pad, GstCaps* caps) {
  rtmp::MuxTrack t;
  t.id = pad->track;
  GST_OBJECT_LOCK(pad);
  t.mode = eflv_mux_track_mode(pad->mode);
  t.datarate_kbps = pad->bitrate / 1000.0;
  GST_OBJECT_UNLOCK(pad);
  std::string error;
  bool ok = rtmpgst::mux_track_from_caps(caps, pad->media, t, &error);
  if (ok) {
    std::lock_guard<std::mutex> g(self->priv->lock);
    ok = self->priv->core.set_track(t, &error);
  }
  if (!ok) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Cannot mux the stream of %s", GST_PAD_NAME(pad)),
                      ("%s (caps %" GST_PTR_FORMAT ")", error.c_str(), caps));
    return false;
  }
  GST_INFO_OBJECT(pad, "track %s %u: %" GST_PTR_FORMAT,
                  pad->media == rtmp::MediaType::kVideo ? "video" : "audio", pad->track, caps);
  return true;
}

// A tag of type uint (a tag list may hold a value of another type: taginject's "bitrate=1").
static bool uint_tag(const GstTagList* list, const char* tag, guint& out) {
  const GValue* v = gst_tag_list_get_value_index(list, tag, 0);
  if (!v || !G_VALUE_HOLDS_UINT(v)) return false;
  out = g_value_get_uint(v);
  return out > 0;
}

// Tags of any scope go into the tag setter, as flvmux does (onMetaData's strings: title...);
// a stream's bit rate becomes its track's data rate (before the stream starts).
static void on_tags(GstEnhancedFlvMux* self, GstEnhancedFlvMuxPad* pad, GstEvent* event) {
  GstTagList* list = nullptr;
  gst_event_parse_tag(event, &list);
  GstTagSetter* setter = GST_TAG_SETTER(self);
  gst_tag_setter_merge_tags(setter, list, gst_tag_setter_get_tag_merge_mode(setter));
  if (gst_tag_list_get_scope(list) == GST_TAG_SCOPE_GLOBAL) return;
  guint bitrate = 0;
  if (!uint_tag(list, GST_TAG_NOMINAL_BITRATE, bitrate) &&
      !uint_tag(list, GST_TAG_BITRATE, bitrate))
    return;
  GST_OBJECT_LOCK(pad);
  pad->bitrate = bitrate;
  GST_OBJECT_UNLOCK(pad);
  std::lock_guard<std::mutex> g(self->priv->lock);
  const rtmp::MuxTrack* t = self->priv->core.track(pad->media, pad->track);
  if (!t || self->priv->core.started()) return;
  rtmp::MuxTrack changed = *t;
  changed.datarate_kbps = bitrate / 1000.0;
  self->priv->core.set_track(changed, nullptr);
}

bool eflv_mux_on_event(GstEnhancedFlvMux* self, GstEnhancedFlvMuxPad* pad, GstEvent* event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
    GstCaps* caps = nullptr;
    gst_event_parse_caps(event, &caps);
    return on_caps(self, pad, caps);
  }
  if (GST_EVENT_TYPE(event) == GST_EVENT_TAG) on_tags(self, pad, event);
  return true;
}

void eflv_mux_reset(GstEnhancedFlvMux* self, bool keep_tracks) {
  MuxPrivate* p = self->priv;
  std::lock_guard<std::mutex> g(p->lock);
  if (keep_tracks)
    p->core.restart();
  else
    p->core.reset();
  p->chunks.clear();
  p->file_fields = false;
  p->last_dts_ns = 0;
}
