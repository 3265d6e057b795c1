// rtmpsrc: plays an RTMP stream and outputs it as an FLV byte stream (video/x-flv).
#include "gstrtmpsrc.hpp"

#include <atomic>
#include <memory>
#include <vector>

#include "flv_output.hpp"
#include "rtmp_element.hpp"
#include "rtmp_stats.hpp"

GST_DEBUG_CATEGORY_STATIC(rtmp_src_debug);
#define GST_CAT_DEFAULT rtmp_src_debug

namespace {

enum SrcProp : guint {
  PROP_IDLE_TIMEOUT = rtmpgst::PROP_LOCATION_LAST,
  PROP_STATS,
  PROP_BUFFER_LENGTH,
  PROP_TYPEFIND,
};

constexpr int64_t kPollUs = 100 * 1000;
// Messages taken from the session at once and pushed downstream as one buffer list.
constexpr size_t kMaxBatch = 64;
constexpr auto kRole = rtmpsession::Role::kPlay;

struct SrcPrivate : rtmpgst::ElementBase {
  guint idle_timeout = 0;
  bool typefind = false;                          // rtmp2src's deprecated, non-functional property
  guint32 last_seek_seqnum = GST_SEQNUM_INVALID;  // streaming/application thread, see src_event

  rtmpgst::FlvOutput flv;
  std::vector<rtmp::Message> batch;  // streaming thread: what one create() takes
  bool live = false;
  bool live_decided = false;
  bool discont = true;
  std::atomic<bool> paused_remote{false};  // read by the streaming thread
  std::string safe_url;

  rtmpsession::Session* session() const { return runner.session(); }
};

}  // namespace

struct _GstRtmpSrc {
  GstPushSrc parent;
  SrcPrivate* priv;
};

static void uri_handler_init(gpointer iface, gpointer) {
  rtmpgst::init_uri_handler(static_cast<GstURIHandlerInterface*>(iface), GST_URI_SRC);
}

G_DEFINE_TYPE_WITH_CODE(GstRtmpSrc, gst_rtmp_src, GST_TYPE_PUSH_SRC,
                        G_IMPLEMENT_INTERFACE(GST_TYPE_URI_HANDLER, uri_handler_init))

// enhanced=true: the stream may carry Enhanced RTMP tags, so decodebin picks enhancedflvdemux;
// flvdemux (plain video/x-flv) still links.
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS("video/x-flv, enhanced=(boolean)true"));

static SrcPrivate* P(gpointer self) {
  return GST_RTMP_SRC(self)->priv;
}

static void set_property(GObject* obj, guint id, const GValue* value, GParamSpec* pspec) {
  SrcPrivate* p = P(obj);
  if (rtmpgst::set_location_property(obj, p->props, id, value)) return;
  GST_OBJECT_LOCK(obj);
  if (id == PROP_IDLE_TIMEOUT)
    p->idle_timeout = g_value_get_uint(value);  // a waiting create() is interrupted below
  else if (id == PROP_BUFFER_LENGTH)
    p->props.settings.buffer_length_ms = g_value_get_uint(value);
  else if (id == PROP_TYPEFIND)
    p->typefind = g_value_get_boolean(value);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
  GST_OBJECT_UNLOCK(obj);
  if (id == PROP_IDLE_TIMEOUT && p->session()) p->session()->interrupt_pull();
}

static void get_property(GObject* obj, guint id, GValue* value, GParamSpec* pspec) {
  SrcPrivate* p = P(obj);
  if (rtmpgst::get_location_property(obj, p->props, kRole, id, value)) return;
  if (id == PROP_STATS) {
    g_value_take_boxed(value, rtmpgst::stats_to_structure(p->runner.stats()));
    return;
  }
  GST_OBJECT_LOCK(obj);
  const config::Settings& s = p->props.settings;
  switch (id) {
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint(value, p->idle_timeout);
      break;
    case PROP_BUFFER_LENGTH:
      g_value_set_uint(value, s.buffer_length_ms.value_or(rtmp::defaults::kPlayBufferMs));
      break;
    case PROP_TYPEFIND:
      g_value_set_boolean(value, p->typefind);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(obj);
}

static gboolean src_start(GstBaseSrc* bsrc) {
  SrcPrivate* p = P(bsrc);
  std::optional<config::Connection> connection =
      rtmpgst::take_prepared_connection(GST_ELEMENT(bsrc), kRole);
  if (!connection) return FALSE;
  GST_OBJECT_LOCK(bsrc);
  bool async_connect = p->props.async_connect;
  GST_OBJECT_UNLOCK(bsrc);
  GST_INFO_OBJECT(bsrc, "playing %s", connection->safe_url.c_str());
  p->safe_url = connection->safe_url;
  p->runner.create(GST_ELEMENT(bsrc), rtmp_src_debug, std::move(*connection));
  p->flv.reset(false);
  gst_base_src_set_live(bsrc, TRUE);
  p->live = true;
  p->live_decided = false;
  p->paused_remote = false;
  p->discont = true;
  return async_connect ? p->runner.start_session() : TRUE;
}

static gboolean src_stop(GstBaseSrc* bsrc) {
  P(bsrc)->runner.stop();
  return TRUE;
}

static gboolean src_unlock(GstBaseSrc* bsrc) {
  if (SrcPrivate* p = P(bsrc); p->session()) p->session()->set_flushing(true);
  return TRUE;
}

static gboolean src_unlock_stop(GstBaseSrc* bsrc) {
  if (SrcPrivate* p = P(bsrc); p->session()) p->session()->set_flushing(false);
  return TRUE;
}

// Waits for the next messages (all that are queued, up to kMaxBatch); applies idle-timeout once
// the stream plays. Without idle-timeout the wait has no time limit: messages, the end, an error
// and a flush all end it, so an idle player's streaming thread sleeps until one of them comes;
// setting idle-timeout interrupts it.
static GstFlowReturn next_messages(GstRtmpSrc* self, std::vector<rtmp::Message>* batch,
                                   bool* discont) {
  SrcPrivate* p = self->priv;
  int64_t idle_since = g_get_monotonic_time();
  for (;;) {
    GST_OBJECT_LOCK(self);
    int64_t idle_us = int64_t{p->idle_timeout} * G_USEC_PER_SEC;
    GST_OBJECT_UNLOCK(self);
    switch (p->session()->pull_batch(batch, kMaxBatch, idle_us > 0 ? kPollUs : -1, discont)) {
      case rtmpsession::PullResult::kMessage:
        return GST_FLOW_OK;
      case rtmpsession::PullResult::kEnd:
        GST_INFO_OBJECT(self, "server ended the stream");
        return GST_FLOW_EOS;
      case rtmpsession::PullResult::kError:
        // The session's error is on the bus already. GST_FLOW_ERROR would make basesrc post a
        // second one ("Internal data stream error"); flushing stops the task without it.
        return GST_FLOW_FLUSHING;
      case rtmpsession::PullResult::kFlushing:
        return GST_FLOW_FLUSHING;
      case rtmpsession::PullResult::kTimeout:
        break;
    }
    int64_t now = g_get_monotonic_time();
    // Only time spent playing counts: not connecting, and not paused (the server sends nothing).
    if (p->session()->state() != rtmpsession::State::kPlaying || p->paused_remote ||
        GST_STATE(self) != GST_STATE_PLAYING)
      idle_since = now;
    if (idle_us > 0 && now - idle_since >= idle_us) {
      GST_ELEMENT_ERROR(self, RESOURCE, READ,
                        ("Could not play %s: no media received for %u s (idle-timeout)",
                         p->safe_url.c_str(), p->idle_timeout),
                        ("state: %s", rtmpsession::state_name(p->session()->state())));
      return GST_FLOW_FLUSHING;  // posted: no second ERROR from basesrc (as for kError above)
    }
  }
}

// The element starts as a live source (the state change to PAUSED cannot wait for the network);
// when the server marks the stream recorded (StreamIsRecorded comes before any media) it becomes
// a non-live, seekable source before its first buffer.
static void decide_liveness(GstRtmpSrc* self) {
  SrcPrivate* p = self->priv;
  if (p->live_decided) return;
  p->live_decided = true;
  p->live = !p->session()->recorded();
  GST_INFO_OBJECT(self, "stream is %s", p->live ? "live" : "recorded (seekable)");
  if (!p->live) gst_base_src_set_live(GST_BASE_SRC(self), FALSE);
}

static GstBuffer* make_tag(GstRtmpSrc* self, rtmp::Message&& m) {
  SrcPrivate* p = self->priv;
  GST_LOG_OBJECT(self, "tag type %u ts %u size %zu", m.type, m.timestamp, m.payload.size());
  GstBuffer* buffer = p->flv.make_tag(std::move(m), p->live);
  if (p->discont) {
    GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
    p->discont = false;
  }
  return buffer;
}

// One buffer per message (the FLV header first), pushed as a buffer list when there are several:
// basesrc and downstream handle what one read brought in one go.
static GstFlowReturn src_create(GstPushSrc* psrc, GstBuffer** out) {
  auto* self = GST_RTMP_SRC(psrc);
  SrcPrivate* p = self->priv;
  if (!p->runner.start_session()) return GST_FLOW_ERROR;  // async-connect=false: connect now
  p->batch.clear();
  bool reconnected = false;
  GstFlowReturn ret = next_messages(self, &p->batch, &reconnected);
  if (ret != GST_FLOW_OK) return ret;
  if (reconnected) {
    GST_INFO_OBJECT(self, "first message after reconnecting: DISCONT");
    p->discont = true;
  }
  decide_liveness(self);
  GstBuffer* header = p->flv.header_sent() ? nullptr : p->flv.make_header(p->batch.front());
  if (!header && p->batch.size() == 1) {
    *out = make_tag(self, std::move(p->batch.front()));
    p->batch.clear();
    return GST_FLOW_OK;
  }
  GstBufferList* list = gst_buffer_list_new_sized(p->batch.size() + 1);
  if (header) gst_buffer_list_add(list, header);
  for (rtmp::Message& m : p->batch) gst_buffer_list_add(list, make_tag(self, std::move(m)));
  p->batch.clear();
  gst_base_src_submit_buffer_list(GST_BASE_SRC(self), list);
  *out = nullptr;
  return GST_FLOW_OK;
}

static gboolean src_is_seekable(GstBaseSrc* bsrc) {
  SrcPrivate* p = P(bsrc);
  return p->session() && p->live_decided && !p->live;
}

// RTMP plays forwards only: a reverse seek is refused here, before basesrc flushes anything.
static gboolean src_event(GstBaseSrc* bsrc, GstEvent* event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_SEEK) {
    gdouble rate = 1.0;
    gst_event_parse_seek(event, &rate, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
    if (rate < 0) {
      GST_INFO_OBJECT(bsrc, "refusing a reverse seek (rate %f)", rate);
      return FALSE;
    }
    // A demuxer forwards one seek per output pad, all with the same seqnum: the first one
    // seeks; flushing again for the others would throw away what the first one brought.
    guint32 seqnum = gst_event_get_seqnum(event);
    SrcPrivate* p = P(bsrc);
    if (seqnum == p->last_seek_seqnum) {
      GST_DEBUG_OBJECT(bsrc, "seek %u already done", seqnum);
      return TRUE;
    }
    p->last_seek_seqnum = seqnum;
  }
  return GST_BASE_SRC_CLASS(gst_rtmp_src_parent_class)->event(bsrc, event);
}

static gboolean src_do_seek(GstBaseSrc* bsrc, GstSegment* segment) {
  SrcPrivate* p = P(bsrc);
  if (!p->session() || !p->live_decided) return TRUE;  // the initial seek to 0 before playing
  if (p->live) return FALSE;
  guint64 ms = segment->start / GST_MSECOND;
  GST_INFO_OBJECT(bsrc, "seeking to %" G_GUINT64_FORMAT " ms", ms);
  p->session()->seek(static_cast<uint32_t>(ms));
  p->flv.reset(true);
  p->discont = true;
  segment->time = segment->start;
  segment->position = segment->start;
  return TRUE;
}

// Live: received data may wait up to batch-latency before it is read and pushed, so that much
// is added to what basesrc reports (the pipeline then gives it room). The property can only
// change in READY or NULL, so it is what the session runs with.
static gboolean query_latency(GstBaseSrc* bsrc, GstQuery* query) {
  if (!GST_BASE_SRC_CLASS(gst_rtmp_src_parent_class)->query(bsrc, query)) return FALSE;
  gboolean live = FALSE;
  GstClockTime min = 0, max = GST_CLOCK_TIME_NONE;
  gst_query_parse_latency(query, &live, &min, &max);
  if (!live) return TRUE;
  SrcPrivate* p = P(bsrc);
  GST_OBJECT_LOCK(bsrc);
  GstClockTime batch = GstClockTime{p->props.settings.batch_latency_ms} * GST_MSECOND;
  GST_OBJECT_UNLOCK(bsrc);
  gst_query_set_latency(query, live, min + batch,
                        GST_CLOCK_TIME_IS_VALID(max) ? max + batch : GST_CLOCK_TIME_NONE);
  GST_DEBUG_OBJECT(bsrc, "latency: min %" GST_TIME_FORMAT " (batch-latency %" GST_TIME_FORMAT ")",
                   GST_TIME_ARGS(min + batch), GST_TIME_ARGS(batch));
  return TRUE;
}

static gboolean src_query(GstBaseSrc* bsrc, GstQuery* query) {
  SrcPrivate* p = P(bsrc);
  if (GST_QUERY_TYPE(query) == GST_QUERY_DURATION && p->session()) {
    GstFormat fmt;
    gst_query_parse_duration(query, &fmt, nullptr);
    if (fmt == GST_FORMAT_TIME && !p->live && p->flv.duration_ms()) {
      gst_query_set_duration(query, GST_FORMAT_TIME,
                             static_cast<gint64>(*p->flv.duration_ms() * GST_MSECOND));
      return TRUE;
    }
  }
  if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) return query_latency(bsrc, query);
  return GST_BASE_SRC_CLASS(gst_rtmp_src_parent_class)->query(bsrc, query);
}

static GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) {
  SrcPrivate* p = P(element);
  // GstBaseSrc calls start() on the way to PAUSED.
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED &&
      !rtmpgst::prepare_connection(element, kRole))
    return GST_STATE_CHANGE_FAILURE;
  // Recorded streams: tell the server to pause while the pipeline is paused.
  if (transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED && p->session() && p->live_decided &&
      !p->live) {
    p->session()->pause(true);
    p->paused_remote = true;
  } else if (transition == GST_STATE_CHANGE_PAUSED_TO_PLAYING && p->session() && p->paused_remote) {
    p->session()->pause(false);
    p->paused_remote = false;
  }
  return GST_ELEMENT_CLASS(gst_rtmp_src_parent_class)->change_state(element, transition);
}

static void finalize(GObject* obj) {
  delete P(obj);
  G_OBJECT_CLASS(gst_rtmp_src_parent_class)->finalize(obj);
}

static void gst_rtmp_src_init(GstRtmpSrc* self) {
  self->priv = new SrcPrivate();
  rtmpgst::attach_element_base(G_OBJECT(self), self->priv);
  gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
  gst_base_src_set_live(GST_BASE_SRC(self), TRUE);
}

static void install_src_properties(GObjectClass* oc) {
  rtmpgst::install_location_properties(oc, kRole);
  g_object_class_install_property(
      oc, PROP_IDLE_TIMEOUT,
      g_param_spec_uint("idle-timeout", "Idle timeout",
                        "Seconds without any media while playing before the element fails with "
                        "a RESOURCE/READ error (a stalled stream is not end of stream); 0 = off",
                        0, G_MAXUINT, 0,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      oc, PROP_BUFFER_LENGTH,
      g_param_spec_uint("buffer-length", "Buffer length",
                        "Client buffer length in ms sent to the server (Set Buffer Length). "
                        "Servers such as nginx-rtmp send recorded streams this far ahead of real "
                        "time; the default (10 h, as rtmpdump) lets a recorded stream arrive as "
                        "fast as the network and the pipeline take it",
                        0, G_MAXUINT, rtmp::defaults::kPlayBufferMs,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      oc, PROP_TYPEFIND,
      g_param_spec_boolean("typefind", "Typefind",
                           "Accepted for compatibility with rtmp2src, where it is deprecated and "
                           "does nothing; the output is always video/x-flv",
                           FALSE,
                           static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                    G_PARAM_DEPRECATED)));
  g_object_class_install_property(
      oc, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "Connection statistics (application/x-rtmp-stats): state, "
                         "in-bytes-total, out-bytes-total, in-messages, out-messages, "
                         "in-chunk-size, out-chunk-size, in-window-ack-size, bitrate (incoming "
                         "bits/s over the last 5 s), ...",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
}

static void gst_rtmp_src_class_init(GstRtmpSrcClass* klass) {
  GObjectClass* oc = G_OBJECT_CLASS(klass);
  GstElementClass* ec = GST_ELEMENT_CLASS(klass);
  GstBaseSrcClass* bc = GST_BASE_SRC_CLASS(klass);
  oc->set_property = set_property;
  oc->get_property = get_property;
  oc->finalize = finalize;
  install_src_properties(oc);
  gst_element_class_add_static_pad_template(ec, &src_template);
  gst_element_class_set_static_metadata(
      ec, "RTMP source", "Source/Network",
      "Plays a stream from an RTMP server over rtmp://, rtmps://, rtmpt:// or rtmpts:// and "
      "outputs it as FLV (native implementation, no librtmp); a live stream makes a live "
      "source, a recorded one can seek",
      "gst-rtmp-native developers");
  ec->change_state = change_state;
  bc->start = src_start;
  bc->stop = src_stop;
  bc->unlock = src_unlock;
  bc->unlock_stop = src_unlock_stop;
  bc->is_seekable = src_is_seekable;
  bc->do_seek = src_do_seek;
  bc->event = src_event;
  bc->query = src_query;
  GST_PUSH_SRC_CLASS(klass)->create = src_create;
  GST_DEBUG_CATEGORY_INIT(rtmp_src_debug, "rtmpsrc", 0, "Native RTMP source");
}
