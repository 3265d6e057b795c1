// enhancedflvmux's sink pad: its media type and Enhanced RTMP track id (fixed when requested)
// and the flv-track-mode property of upstream's eflvmux pads (legacy, non-multitrack,
// multitrack).
#include "eflv_mux_private.hpp"

G_DEFINE_TYPE(GstEnhancedFlvMuxPad, gst_enhanced_flv_mux_pad, GST_TYPE_AGGREGATOR_PAD)

enum { PROP_PAD_0, PROP_PAD_FLV_TRACK_MODE };

GType gst_enhanced_flv_track_mode_get_type(void) {
  static gsize type = 0;
  static const GEnumValue values[] = {
      {GST_ENHANCED_FLV_TRACK_MODE_LEGACY,
       "Legacy FLV tags where the codec has them (H.264, AAC, MP3 on track 0), else enhanced",
       "legacy"},
      {GST_ENHANCED_FLV_TRACK_MODE_NON_MULTITRACK,
       "Enhanced FLV tags (FourCC) without multitrack (track 0 only; other tracks are multitrack)",
       "non-multitrack"},
      {GST_ENHANCED_FLV_TRACK_MODE_MULTITRACK, "Enhanced FLV multitrack tags with the track id",
       "multitrack"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    const GType t = g_enum_register_static("GstEnhancedFlvTrackMode", values);
    g_once_init_leave(&type, t);
  }
  return static_cast<GType>(type);
}

rtmp::TrackMode eflv_mux_track_mode(GstEnhancedFlvTrackMode mode) {
  switch (mode) {
    case GST_ENHANCED_FLV_TRACK_MODE_NON_MULTITRACK:
      return rtmp::TrackMode::kEnhanced;
    case GST_ENHANCED_FLV_TRACK_MODE_MULTITRACK:
      return rtmp::TrackMode::kMultitrack;
    default:
      return rtmp::TrackMode::kLegacy;
  }
}

static void pad_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* pad = GST_ENHANCED_FLV_MUX_PAD(object);
  if (id != PROP_PAD_FLV_TRACK_MODE) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    return;
  }
  GST_OBJECT_LOCK(pad);
  const auto mode = static_cast<GstEnhancedFlvTrackMode>(g_value_get_enum(value));
  const bool changed = pad->mode != mode;
  pad->mode = mode;
  GST_OBJECT_UNLOCK(pad);
  if (changed) eflv_mux_mode_changed(pad);
}

static void pad_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* pad = GST_ENHANCED_FLV_MUX_PAD(object);
  if (id != PROP_PAD_FLV_TRACK_MODE) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    return;
  }
  GST_OBJECT_LOCK(pad);
  g_value_set_enum(value, pad->mode);
  GST_OBJECT_UNLOCK(pad);
}

static void gst_enhanced_flv_mux_pad_class_init(GstEnhancedFlvMuxPadClass* klass) {
  GObjectClass* oc = G_OBJECT_CLASS(klass);
  oc->set_property = pad_set_property;
  oc->get_property = pad_get_property;
  g_object_class_install_property(
      oc, PROP_PAD_FLV_TRACK_MODE,
      g_param_spec_enum("flv-track-mode", "FLV track mode",
                        "How this track's tags are signalled: legacy FLV where the codec has "
                        "legacy tags (H.264, AAC, MP3 on track 0), enhanced without multitrack, "
                        "or enhanced multitrack with the track id. Tracks other than 0 are "
                        "always multitrack. Takes effect at the track's next frame (with a new "
                        "sequence start)",
                        GST_TYPE_ENHANCED_FLV_TRACK_MODE, GST_ENHANCED_FLV_TRACK_MODE_LEGACY,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
}

static void gst_enhanced_flv_mux_pad_init(GstEnhancedFlvMuxPad* pad) {
  pad->media = rtmp::MediaType::kVideo;
  pad->track = 0;
  pad->mode = GST_ENHANCED_FLV_TRACK_MODE_LEGACY;
  pad->bitrate = 0;
}
