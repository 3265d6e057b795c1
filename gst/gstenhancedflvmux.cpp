// enhancedflvmux: elementary streams on request pads to one FLV stream, legacy and Enhanced RTMP
// v2 tags (docs/enhanced-flv-mux.md). The decisions are the core's (flv/flv_muxer.hpp); this file
// is the element, its pads (names and track ids as upstream's eflvmux gives them) and properties;
// eflv_mux_aggregate.cpp turns caps into tracks and buffers into tags.
#include "gstenhancedflvmux.hpp"

#include <cstdio>
#include <cstring>

#include "eflv_mux_private.hpp"

GST_DEBUG_CATEGORY(eflv_mux_debug);
#define GST_CAT_DEFAULT eflv_mux_debug

static void child_proxy_init(gpointer iface, gpointer data);

G_DEFINE_TYPE_WITH_CODE(GstEnhancedFlvMux, gst_enhanced_flv_mux, GST_TYPE_AGGREGATOR,
                        G_IMPLEMENT_INTERFACE(GST_TYPE_CHILD_PROXY, child_proxy_init)
                            G_IMPLEMENT_INTERFACE(GST_TYPE_TAG_SETTER, nullptr))

enum { PROP_0, PROP_STREAMABLE, PROP_METADATACREATOR, PROP_ENCODER };

#define DEFAULT_CREATOR "gst-rtmp-native " PACKAGE_VERSION " enhancedflvmux"

// The caps GStreamer 1.22's parsers and encoders give (docs/enhanced-flv-mux.md).
#define VIDEO_CAPS                                                        \
  "video/x-h264, stream-format=(string)avc, alignment=(string)au; "       \
  "video/x-h265, stream-format=(string){ hvc1, hev1 }, "                  \
  "alignment=(string)au; "                                                \
  "video/x-av1, stream-format=(string)obu-stream, alignment=(string)tu; " \
  "video/x-vp9; video/x-vp8"
#define AUDIO_CAPS                                                                     \
  "audio/mpeg, mpegversion=(int){ 2, 4 }, stream-format=(string)raw; "                 \
  "audio/mpeg, mpegversion=(int)1, layer=(int)3, parsed=(boolean)true; audio/x-opus; " \
  "audio/x-flac; "                                                                     \
  "audio/x-ac3, framed=(boolean)true, alignment=(string)frame; "                       \
  "audio/x-eac3, framed=(boolean)true, alignment=(string)frame"

// video_%u / audio_%u: track id = pad index (a request without a name gets the lowest free id,
// so the first is track 0). video / audio: track 0, as flvmux's and eflvmux's default pads.
static GstStaticPadTemplate video_n_template =
    GST_STATIC_PAD_TEMPLATE("video_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS(VIDEO_CAPS));
static GstStaticPadTemplate audio_n_template =
    GST_STATIC_PAD_TEMPLATE("audio_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS(AUDIO_CAPS));
static GstStaticPadTemplate video_template =
    GST_STATIC_PAD_TEMPLATE("video", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS(VIDEO_CAPS));
static GstStaticPadTemplate audio_template =
    GST_STATIC_PAD_TEMPLATE("audio", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS(AUDIO_CAPS));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS("video/x-flv"));

// Whether a sink pad already has this track. The object lock is held.
static bool track_taken(GstElement* e, rtmp::MediaType media, guint track) {
  for (GList* l = e->sinkpads; l; l = l->next) {
    auto* p = GST_ENHANCED_FLV_MUX_PAD(l->data);
    if (p->media == media && p->track == track) return true;
  }
  return false;
}

// The track a request asks for: -1 if the name does not fit the template or the id is taken.
static int requested_track(GstElement* e, bool video, bool indexed, const gchar* req_name) {
  const rtmp::MediaType media = video ? rtmp::MediaType::kVideo : rtmp::MediaType::kAudio;
  const char* prefix = video ? "video_" : "audio_";
  int track = 0;
  if (indexed && req_name) {
    unsigned n = 0;
    int used = 0;
    if (!g_str_has_prefix(req_name, prefix) ||
        std::sscanf(req_name + std::strlen(prefix), "%u%n", &n, &used) != 1 ||
        req_name[std::strlen(prefix) + static_cast<size_t>(used)] != 0 || n > 255)
      return -1;
    track = static_cast<int>(n);
  } else if (indexed) {
    while (track <= 255 && track_taken(e, media, static_cast<guint>(track))) ++track;
  }
  if (track > 255 || track_taken(e, media, static_cast<guint>(track))) return -1;
  return track;
}

static GstAggregatorPad* create_new_pad(GstAggregator* agg, GstPadTemplate* templ,
                                        const gchar* req_name, const GstCaps*) {
  const gchar* tname = GST_PAD_TEMPLATE_NAME_TEMPLATE(templ);
  const bool video = g_str_has_prefix(tname, "video");
  const bool indexed = g_str_has_suffix(tname, "_%u");
  GST_OBJECT_LOCK(agg);
  const int track = requested_track(GST_ELEMENT(agg), video, indexed, req_name);
  GST_OBJECT_UNLOCK(agg);
  if (track < 0) {
    GST_WARNING_OBJECT(agg, "cannot give a %s pad named %s: a bad name or a track already taken",
                       tname, req_name ? req_name : "(any)");
    return nullptr;
  }
  gchar* name = indexed ? g_strdup_printf("%s_%d", video ? "video" : "audio", track)
                        : g_strdup(video ? "video" : "audio");
  auto* pad =
      GST_ENHANCED_FLV_MUX_PAD(g_object_new(GST_TYPE_ENHANCED_FLV_MUX_PAD, "name", name,
                                            "direction", GST_PAD_SINK, "template", templ, nullptr));
  pad->media = video ? rtmp::MediaType::kVideo : rtmp::MediaType::kAudio;
  pad->track = static_cast<guint8>(track);
  GST_INFO_OBJECT(agg, "new pad %s: %s track %d", name, video ? "video" : "audio", track);
  g_free(name);
  return GST_AGGREGATOR_PAD(pad);
}

static GstPad* request_new_pad(GstElement* e, GstPadTemplate* templ, const gchar* name,
                               const GstCaps* caps) {
  GstPad* pad =
      GST_ELEMENT_CLASS(gst_enhanced_flv_mux_parent_class)->request_new_pad(e, templ, name, caps);
  if (pad) gst_child_proxy_child_added(GST_CHILD_PROXY(e), G_OBJECT(pad), GST_OBJECT_NAME(pad));
  return pad;
}

static void release_pad(GstElement* e, GstPad* pad) {
  auto* self = GST_ENHANCED_FLV_MUX(e);
  auto* p = GST_ENHANCED_FLV_MUX_PAD(pad);
  {
    std::lock_guard<std::mutex> g(self->priv->lock);
    self->priv->core.remove_track(p->media, p->track);
  }
  GST_INFO_OBJECT(self, "released %s", GST_PAD_NAME(pad));
  gst_child_proxy_child_removed(GST_CHILD_PROXY(e), G_OBJECT(pad), GST_OBJECT_NAME(pad));
  GST_ELEMENT_CLASS(gst_enhanced_flv_mux_parent_class)->release_pad(e, pad);
}

void eflv_mux_mode_changed(GstEnhancedFlvMuxPad* pad) {
  GstObject* parent = gst_object_get_parent(GST_OBJECT(pad));
  if (!parent) return;
  auto* self = GST_ENHANCED_FLV_MUX(parent);
  GST_OBJECT_LOCK(pad);
  const rtmp::TrackMode mode = eflv_mux_track_mode(pad->mode);
  GST_OBJECT_UNLOCK(pad);
  {
    std::lock_guard<std::mutex> g(self->priv->lock);
    if (const rtmp::MuxTrack* t = self->priv->core.track(pad->media, pad->track)) {
      rtmp::MuxTrack changed = *t;
      changed.mode = mode;
      self->priv->core.set_track(changed, nullptr);
    }
  }
  gst_object_unref(parent);
}

static GObject* child_by_index(GstChildProxy* proxy, guint index) {
  GST_OBJECT_LOCK(proxy);
  gpointer pad = g_list_nth_data(GST_ELEMENT(proxy)->sinkpads, index);
  if (pad) gst_object_ref(pad);
  GST_OBJECT_UNLOCK(proxy);
  return static_cast<GObject*>(pad);
}

static guint children_count(GstChildProxy* proxy) {
  GST_OBJECT_LOCK(proxy);
  const guint n = GST_ELEMENT(proxy)->numsinkpads;
  GST_OBJECT_UNLOCK(proxy);
  return n;
}

static void child_proxy_init(gpointer iface, gpointer) {
  auto* i = static_cast<GstChildProxyInterface*>(iface);
  i->get_child_by_index = child_by_index;
  i->get_children_count = children_count;
}

static gboolean sink_event(GstAggregator* agg, GstAggregatorPad* pad, GstEvent* event) {
  if (!eflv_mux_on_event(GST_ENHANCED_FLV_MUX(agg), GST_ENHANCED_FLV_MUX_PAD(pad), event)) {
    gst_event_unref(event);
    return FALSE;
  }
  return GST_AGGREGATOR_CLASS(gst_enhanced_flv_mux_parent_class)->sink_event(agg, pad, event);
}

static gboolean start(GstAggregator* agg) {
  eflv_mux_reset(GST_ENHANCED_FLV_MUX(agg), true);
  return TRUE;
}

static gboolean stop(GstAggregator* agg) {
  eflv_mux_reset(GST_ENHANCED_FLV_MUX(agg), false);
  gst_tag_setter_reset_tags(GST_TAG_SETTER(agg));
  return TRUE;
}

static GstFlowReturn flush(GstAggregator* agg) {
  eflv_mux_reset(GST_ENHANCED_FLV_MUX(agg), true);
  return GST_FLOW_OK;
}

static void set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  MuxPrivate* p = GST_ENHANCED_FLV_MUX(object)->priv;
  GST_OBJECT_LOCK(object);
  switch (id) {
    case PROP_STREAMABLE:
      p->streamable = g_value_get_boolean(value);
      break;
    case PROP_METADATACREATOR:
    case PROP_ENCODER: {
      const gchar* s = g_value_get_string(value);
      (id == PROP_ENCODER ? p->encoder : p->metadatacreator) = s ? s : "";
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
  GST_OBJECT_UNLOCK(object);
}

static void get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  MuxPrivate* p = GST_ENHANCED_FLV_MUX(object)->priv;
  GST_OBJECT_LOCK(object);
  switch (id) {
    case PROP_STREAMABLE:
      g_value_set_boolean(value, p->streamable);
      break;
    case PROP_METADATACREATOR:
      g_value_set_string(value, p->metadatacreator.c_str());
      break;
    case PROP_ENCODER:
      g_value_set_string(value, p->encoder.c_str());
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
  GST_OBJECT_UNLOCK(object);
}

static void gst_enhanced_flv_mux_init(GstEnhancedFlvMux* self) {
  self->priv = new MuxPrivate();
  self->priv->metadatacreator = DEFAULT_CREATOR;
  self->priv->encoder = DEFAULT_CREATOR;
}

static void finalize(GObject* obj) {
  delete GST_ENHANCED_FLV_MUX(obj)->priv;
  G_OBJECT_CLASS(gst_enhanced_flv_mux_parent_class)->finalize(obj);
}

static void install_properties(GObjectClass* oc) {
  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      oc, PROP_STREAMABLE,
      g_param_spec_boolean("streamable", "Streamable",
                           "Output for streaming: no duration, file size or keyframes index at "
                           "the end, onMetaData again when the tracks change, output buffers "
                           "timestamped. Also chosen when downstream cannot seek (rtmpsink)",
                           FALSE, rw));
  g_object_class_install_property(
      oc, PROP_METADATACREATOR,
      g_param_spec_string("metadatacreator", "Metadata creator",
                          "The value of metadatacreator in onMetaData (empty: left out)",
                          DEFAULT_CREATOR, rw));
  g_object_class_install_property(
      oc, PROP_ENCODER,
      g_param_spec_string("encoder", "Encoder",
                          "The value of encoder in onMetaData (empty: left out)", DEFAULT_CREATOR,
                          rw));
}

static void gst_enhanced_flv_mux_class_init(GstEnhancedFlvMuxClass* klass) {
  GObjectClass* oc = G_OBJECT_CLASS(klass);
  GstElementClass* ec = GST_ELEMENT_CLASS(klass);
  GstAggregatorClass* ac = GST_AGGREGATOR_CLASS(klass);
  oc->set_property = set_property;
  oc->get_property = get_property;
  oc->finalize = finalize;
  install_properties(oc);
  ec->request_new_pad = request_new_pad;
  ec->release_pad = release_pad;
  ac->create_new_pad = create_new_pad;
  ac->aggregate = eflv_mux_aggregate;
  ac->sink_event = sink_event;
  ac->get_next_time = eflv_mux_get_next_time;
  ac->start = start;
  ac->stop = stop;
  ac->flush = flush;
  ac->negotiate = nullptr;  // the caps are set with the stream header
  // video_%u before video: a request by caps alone (gst_element_link) gets video_0, video_1...
  for (GstStaticPadTemplate* t :
       {&video_n_template, &audio_n_template, &video_template, &audio_template})
    gst_element_class_add_static_pad_template_with_gtype(ec, t, GST_TYPE_ENHANCED_FLV_MUX_PAD);
  gst_element_class_add_static_pad_template_with_gtype(ec, &src_template, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_set_static_metadata(
      ec, "Enhanced FLV muxer", "Codec/Muxer",
      "Muxes H.264, H.265, AV1, VP9, VP8, AAC, MP3, Opus, FLAC, AC-3 and E-AC-3 streams, several "
      "tracks of each kind, into FLV with legacy and Enhanced RTMP v2 tags",
      "gst-rtmp-native developers");
  gst_type_mark_as_plugin_api(GST_TYPE_ENHANCED_FLV_MUX_PAD, static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_ENHANCED_FLV_TRACK_MODE, static_cast<GstPluginAPIFlags>(0));
  GST_DEBUG_CATEGORY_INIT(eflv_mux_debug, "enhancedflvmux", 0, "Enhanced FLV muxer");
}
