// rtmpsink: publishes an FLV byte stream (any buffer segmentation) to an RTMP server.
#include "gstrtmpsink.hpp"

#include <memory>
#include <vector>

#include "flv/flv_reader.hpp"
#include "flv/tag_pacer.hpp"
#include "rtmp_element.hpp"
#include "rtmp_stats.hpp"

GST_DEBUG_CATEGORY_STATIC(rtmp_sink_debug);
#define GST_CAT_DEFAULT rtmp_sink_debug

namespace {

enum SinkProp : guint {
  PROP_CHUNK_SIZE = rtmpgst::PROP_LOCATION_LAST,
  PROP_STATS,
  PROP_RECONNECT_BUFFER_BYTES,
  PROP_STOP_COMMANDS,
  PROP_PEAK_KBPS,
  PROP_MAX_LATENCY,
};

constexpr auto kRole = rtmpsession::Role::kPublish;

// rtmp2sink's GstRtmpStopCommands values.
GType stop_commands_get_type() {
  static gsize type = 0;
  static const GFlagsValue values[] = {{config::kStopNone, "No command", "none"},
                                       {config::kStopFcUnpublish, "FCUnpublish", "fcunpublish"},
                                       {config::kStopCloseStream, "closeStream", "closestream"},
                                       {config::kStopDeleteStream, "deleteStream", "deletestream"},
                                       {0, nullptr, nullptr}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_flags_register_static("GstRtmpNativeStopCommands", values));
  return type;
}

// Everything C++ the element owns; created in _init, deleted in finalize.
struct SinkPrivate : rtmpgst::ElementBase {
  rtmp::FlvReader flv;
  rtmp::TagPacer pacer;  // untimestamped input with sync=true
  std::vector<rtmp::SharedTag> tags;
  std::vector<GstBuffer*> caps_headers;  // streamheader from caps
  bool caps_headers_sent = false;

  ~SinkPrivate() { clear_caps_headers(); }
  rtmpsession::Session* session() const { return runner.session(); }
  void clear_caps_headers() {
    for (auto* b : caps_headers) gst_buffer_unref(b);
    caps_headers.clear();
  }
};

}  // namespace

struct _GstRtmpSink {
  GstBaseSink parent;
  SinkPrivate* priv;
};

static void uri_handler_init(gpointer iface, gpointer) {
  rtmpgst::init_uri_handler(static_cast<GstURIHandlerInterface*>(iface), GST_URI_SINK);
}

G_DEFINE_TYPE_WITH_CODE(GstRtmpSink, gst_rtmp_sink, GST_TYPE_BASE_SINK,
                        G_IMPLEMENT_INTERFACE(GST_TYPE_URI_HANDLER, uri_handler_init))

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("video/x-flv"));

static SinkPrivate* P(gpointer self) {
  return GST_RTMP_SINK(self)->priv;
}

static void set_property(GObject* obj, guint id, const GValue* value, GParamSpec* pspec) {
  SinkPrivate* p = P(obj);
  if (rtmpgst::set_location_property(obj, p->props, id, value)) return;
  GST_OBJECT_LOCK(obj);
  config::Settings& s = p->props.settings;
  switch (id) {
    case PROP_CHUNK_SIZE:
      s.chunk_size = g_value_get_uint(value);
      if (p->session()) p->session()->set_chunk_size(s.chunk_size);  // also while playing
      break;
    case PROP_RECONNECT_BUFFER_BYTES:
      s.reconnect_buffer_bytes = g_value_get_uint64(value);
      break;
    case PROP_STOP_COMMANDS:
      s.stop_commands = g_value_get_flags(value);
      break;
    case PROP_PEAK_KBPS:
      s.peak_kbps = g_value_get_uint(value);
      if (p->session()) p->session()->set_peak_kbps(s.peak_kbps);  // also while playing
      break;
    case PROP_MAX_LATENCY:
      s.max_latency_ms = g_value_get_uint(value);
      // Also while playing; the bound applies only with sync=true (config::validate does the same).
      if (p->session()) p->session()->set_max_latency_ms(s.live_pacing ? s.max_latency_ms : 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(obj);
}

static void get_property(GObject* obj, guint id, GValue* value, GParamSpec* pspec) {
  SinkPrivate* p = P(obj);
  if (rtmpgst::get_location_property(obj, p->props, kRole, id, value)) return;
  GST_OBJECT_LOCK(obj);
  const config::Settings& s = p->props.settings;
  switch (id) {
    case PROP_CHUNK_SIZE:
      g_value_set_uint(value, s.chunk_size);
      break;
    case PROP_RECONNECT_BUFFER_BYTES:
      g_value_set_uint64(value, s.reconnect_buffer_bytes);
      break;
    case PROP_STOP_COMMANDS:
      g_value_set_flags(value, s.stop_commands);
      break;
    case PROP_PEAK_KBPS:
      g_value_set_uint(value, s.peak_kbps);
      break;
    case PROP_MAX_LATENCY:
      g_value_set_uint(value, s.max_latency_ms);
      break;
    case PROP_STATS:
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(obj);
  if (id == PROP_STATS) g_value_take_boxed(value, rtmpgst::stats_to_structure(p->runner.stats()));
}

static gboolean sink_start(GstBaseSink* bsink) {
  SinkPrivate* p = P(bsink);
  std::optional<config::Connection> connection =
      rtmpgst::take_prepared_connection(GST_ELEMENT(bsink), kRole);
  if (!connection) return FALSE;
  GST_OBJECT_LOCK(bsink);
  bool async_connect = p->props.async_connect;
  GST_OBJECT_UNLOCK(bsink);
  GST_INFO_OBJECT(bsink, "publishing to %s", connection->safe_url.c_str());
  p->runner.create(GST_ELEMENT(bsink), rtmp_sink_debug, std::move(*connection));
  p->flv = rtmp::FlvReader();
  p->pacer.reset();
  p->caps_headers_sent = false;
  return async_connect ? p->runner.start_session() : TRUE;
}

static gboolean sink_stop(GstBaseSink* bsink) {
  SinkPrivate* p = P(bsink);
  p->runner.stop();
  p->clear_caps_headers();
  return TRUE;
}

static gboolean sink_unlock(GstBaseSink* bsink) {
  SinkPrivate* p = P(bsink);
  if (p->session()) p->session()->set_flushing(true);
  return TRUE;
}

static gboolean sink_unlock_stop(GstBaseSink* bsink) {
  SinkPrivate* p = P(bsink);
  if (p->session()) p->session()->set_flushing(false);
  return TRUE;
}

static gboolean sink_set_caps(GstBaseSink* bsink, GstCaps* caps) {
  SinkPrivate* p = P(bsink);
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  const GValue* headers = gst_structure_get_value(s, "streamheader");
  if (!headers || !GST_VALUE_HOLDS_ARRAY(headers) || p->caps_headers_sent) return TRUE;
  p->clear_caps_headers();
  for (guint i = 0; i < gst_value_array_get_size(headers); i++) {
    const GValue* v = gst_value_array_get_value(headers, i);
    if (GST_VALUE_HOLDS_BUFFER(v))
      p->caps_headers.push_back(gst_buffer_ref(gst_value_get_buffer(v)));
  }
  GST_DEBUG_OBJECT(bsink, "%zu streamheader buffers in caps", p->caps_headers.size());
  return TRUE;
}

// Untimestamped FLV with sync=true: a tag waits until its FLV timestamp's time has come (like
// ffmpeg -re), the first tag anchoring the stream at the current running time. The wait honours
// flushing and PAUSED like GstBaseSink's own clock sync.
static GstFlowReturn wait_for_tag(GstRtmpSink* self, uint32_t timestamp) {
  GstClock* clock = gst_element_get_clock(GST_ELEMENT(self));
  if (!clock) return GST_FLOW_OK;
  GstClockTime now = gst_clock_get_time(clock);
  gst_object_unref(clock);
  GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
  GstClockTime running = now > base ? now - base : 0;
  uint64_t due = self->priv->pacer.due_ns(timestamp, running);
  if (due <= running) return GST_FLOW_OK;
  return gst_base_sink_wait(GST_BASE_SINK(self), due, nullptr);
}

namespace {

// A buffer held for as long as a tag's bytes in it wait to be sent: published media goes from
// here to sendmsg() without a copy. A buffer of one system-memory block is mapped only to learn
// where its bytes are (they stay there while the buffer, held here, holds the block): a
// GstMemory counts concurrent maps in 8 bits, and one buffer sent to hundreds of sinks (a tee)
// would overflow it. Other buffers stay mapped until released.
struct MappedBuffer {
  GstBuffer* buffer = nullptr;
  GstMapInfo map{};
  bool mapped = false;
  const uint8_t* data = nullptr;
  size_t size = 0;
  ~MappedBuffer() {
    if (mapped) gst_buffer_unmap(buffer, &map);
    if (buffer) gst_buffer_unref(buffer);
  }
};

std::shared_ptr<MappedBuffer> map_buffer(GstBuffer* buf) {
  auto held = std::make_shared<MappedBuffer>();
  if (!gst_buffer_map(buf, &held->map, GST_MAP_READ)) return nullptr;
  held->buffer = gst_buffer_ref(buf);
  held->mapped = true;
  held->data = held->map.data;
  held->size = held->map.size;
  if (gst_buffer_n_memory(buf) == 1 &&
      gst_memory_is_type(gst_buffer_peek_memory(buf, 0), GST_ALLOCATOR_SYSMEM)) {
    gst_buffer_unmap(buf, &held->map);
    held->mapped = false;
  }
  return held;
}

}  // namespace

// Parses FLV bytes into tags and queues them for the session (`paced`: each at its time). The
// tags' data stay in the buffer, which the session holds until they are written.
static GstFlowReturn push_flv(GstRtmpSink* self, GstBuffer* buf, bool paced) {
  SinkPrivate* p = self->priv;
  std::shared_ptr<MappedBuffer> mapped = map_buffer(buf);
  if (!mapped) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not map input buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  p->tags.clear();
  rtmp::ByteView bytes(mapped->data, mapped->size);
  auto status = p->flv.feed(bytes, rtmp::PayloadOwner(mapped), p->tags);
  mapped.reset();  // the tags hold it now, as long as they need it
  if (status == rtmp::FlvReader::Status::kError) {
    GST_ELEMENT_ERROR(self, STREAM, DECODE, ("Malformed FLV input: %s", p->flv.error().c_str()),
                      (nullptr));
    return GST_FLOW_ERROR;
  }
  // Like ffmpeg -re, the clock of a paced stream starts once the server takes it: media paced
  // while connecting would wait in the queue, and the latency bound would drop it.
  if (paced && !p->tags.empty() && !p->pacer.anchored() && !p->session()->wait_streaming())
    return p->session()->state() == rtmpsession::State::kBroken ? GST_FLOW_ERROR
                                                                : GST_FLOW_FLUSHING;
  for (auto& tag : p->tags) {
    if (paced) {
      GstFlowReturn ret = wait_for_tag(self, tag.timestamp);
      if (ret != GST_FLOW_OK) return ret;
    }
    if (!p->session()->push_media(rtmp::tag_to_message(std::move(tag), 0)))
      return p->session()->state() == rtmpsession::State::kBroken ? GST_FLOW_ERROR
                                                                  : GST_FLOW_FLUSHING;
  }
  return GST_FLOW_OK;
}

static GstFlowReturn sink_render(GstBaseSink* bsink, GstBuffer* buf) {
  auto* self = GST_RTMP_SINK(bsink);
  SinkPrivate* p = self->priv;
  if (!p->runner.start_session()) return GST_FLOW_ERROR;
  if (!p->caps_headers.empty() && !p->caps_headers_sent) {
    p->caps_headers_sent = true;
    for (auto* h : p->caps_headers) {
      GstFlowReturn ret = push_flv(self, h, false);
      if (ret != GST_FLOW_OK) return ret;
    }
  }
  // The caps' streamheader already carried these (flvmux sends them both ways).
  if (p->caps_headers_sent && GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_HEADER))
    return GST_FLOW_OK;
  // Timestamped buffers were synchronised by GstBaseSink already; bytes without time (a plain
  // filesrc) are paced here by their FLV timestamps.
  bool paced = gst_base_sink_get_sync(bsink) && !GST_BUFFER_PTS_IS_VALID(buf) &&
               !GST_BUFFER_DTS_IS_VALID(buf);
  return push_flv(self, buf, paced);
}

// A session that already failed (its error is on the bus) must not let the sink preroll: a
// state change completing after the error confuses applications (gst-launch-1.0 1.22 then
// hangs instead of going to NULL, seen in 29 of 100 runs of a session failing at once).
static GstFlowReturn sink_preroll(GstBaseSink* bsink, GstBuffer*) {
  SinkPrivate* p = P(bsink);
  if (p->session() && p->session()->state() == rtmpsession::State::kBroken) return GST_FLOW_ERROR;
  return GST_FLOW_OK;
}

static gboolean sink_event(GstBaseSink* bsink, GstEvent* event) {
  SinkPrivate* p = P(bsink);
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) p->pacer.reset();
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS && p->session() && p->runner.session_started()) {
    GST_INFO_OBJECT(bsink, "end of stream: sending what is queued, then closing");
    bool clean = p->session()->finish();
    GST_INFO_OBJECT(bsink, "session %s", clean ? "closed cleanly" : "ended with an error");
  }
  return GST_BASE_SINK_CLASS(gst_rtmp_sink_parent_class)->event(bsink, event);
}

static GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) {
  // GstBaseSink calls start() on the way to READY. The latency bound is for a sink that
  // synchronises to the clock (live): with sync=false everything is sent as fast as it can be.
  if (transition == GST_STATE_CHANGE_NULL_TO_READY) {
    bool sync = gst_base_sink_get_sync(GST_BASE_SINK(element));
    GST_OBJECT_LOCK(element);
    P(element)->props.settings.live_pacing = sync;
    GST_OBJECT_UNLOCK(element);
    if (!rtmpgst::prepare_connection(element, kRole)) return GST_STATE_CHANGE_FAILURE;
  }
  return GST_ELEMENT_CLASS(gst_rtmp_sink_parent_class)->change_state(element, transition);
}

static void finalize(GObject* obj) {
  delete P(obj);
  G_OBJECT_CLASS(gst_rtmp_sink_parent_class)->finalize(obj);
}

static void gst_rtmp_sink_init(GstRtmpSink* self) {
  self->priv = new SinkPrivate();
  rtmpgst::attach_element_base(G_OBJECT(self), self->priv);
  gst_base_sink_set_sync(GST_BASE_SINK(self), TRUE);
}

static void install_sink_properties(GObjectClass* oc) {
  rtmpgst::install_location_properties(oc, kRole);
  g_object_class_install_property(
      oc, PROP_CHUNK_SIZE,
      g_param_spec_uint("chunk-size", "Chunk size",
                        "Outgoing RTMP chunk size, announced with Set Chunk Size after the "
                        "handshake and again whenever it changes, also while playing (rtmp2sink: "
                        "128; larger chunks cost fewer headers)",
                        1, 0x7fffffff, rtmp::defaults::kChunkSize,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      oc, PROP_PEAK_KBPS,
      g_param_spec_uint("peak-kbps", "Peak kbps",
                        "Cap on the send rate in kbit/s, applied to the socket "
                        "(SO_MAX_PACING_RATE, as rtmp2sink does); 0 = no cap. Changeable while "
                        "playing",
                        0, G_MAXINT / 125, 0,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      oc, PROP_MAX_LATENCY,
      g_param_spec_uint("max-latency", "Max latency",
                        "Live publishing (sync=true): past this many ms of media waiting to be "
                        "sent, video frames are dropped (never audio, headers or key frames; a "
                        "track then resumes at its next key frame). 0 = never drop (blocks as "
                        "rtmp2sink). See docs/streaming.md",
                        0, G_MAXUINT, rtmp::defaults::kMaxLatencyMs,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      oc, PROP_STOP_COMMANDS,
      g_param_spec_flags("stop-commands", "Stop commands",
                         "RTMP commands sent at the end of stream, before closing the connection",
                         stop_commands_get_type(), config::kDefaultStopCommands,
                         static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                  GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      oc, PROP_RECONNECT_BUFFER_BYTES,
      g_param_spec_uint64("reconnect-buffer-bytes", "Reconnect buffer bytes",
                          "While reconnecting, media is kept up to this many bytes; beyond it "
                          "the oldest is dropped (counted in stats as dropped-messages and "
                          "dropped-bytes). After reconnecting, metadata and sequence headers are "
                          "sent again and media resumes at a video keyframe",
                          0, G_MAXUINT64, rtmp::defaults::kReconnectBufferBytes,
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      oc, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "Connection statistics (application/x-rtmp-stats): state, "
                         "out-bytes-total, in-bytes-total, out-messages, in-messages, "
                         "out-media-messages, out-bytes-acked, out-chunk-size, in-chunk-size, "
                         "in-window-ack-size, queued-bytes, bitrate (bits/s, last 5 s)",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
}

static void gst_rtmp_sink_class_init(GstRtmpSinkClass* klass) {
  GObjectClass* oc = G_OBJECT_CLASS(klass);
  GstElementClass* ec = GST_ELEMENT_CLASS(klass);
  GstBaseSinkClass* bc = GST_BASE_SINK_CLASS(klass);
  oc->set_property = set_property;
  oc->get_property = get_property;
  oc->finalize = finalize;
  install_sink_properties(oc);
  gst_element_class_add_static_pad_template(ec, &sink_template);
  gst_element_class_set_static_metadata(
      ec, "RTMP sink", "Sink/Network",
      "Publishes an FLV stream to an RTMP server over rtmp://, rtmps://, rtmpt:// or "
      "rtmpts:// (native implementation, no librtmp)",
      "gst-rtmp-native developers");
  ec->change_state = change_state;
  bc->start = sink_start;
  bc->stop = sink_stop;
  bc->unlock = sink_unlock;
  bc->unlock_stop = sink_unlock_stop;
  bc->set_caps = sink_set_caps;
  bc->render = sink_render;
  bc->preroll = sink_preroll;
  bc->event = sink_event;
  GST_DEBUG_CATEGORY_INIT(rtmp_sink_debug, "rtmpsink", 0, "Native RTMP sink");
}
