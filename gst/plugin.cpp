// The plugin file is libgstrtmp.so on purpose: a plugin with that basename found through
// GST_PLUGIN_PATH shadows gst-plugins-bad's librtmp-based one, so these factories are ours.
#include <gst/gst.h>

#include "flv_typefind.hpp"
#include "gstenhancedflvdemux.hpp"
#include "gstenhancedflvmux.hpp"
#include "gstrtmpsink.hpp"
#include "gstrtmpsrc.hpp"
#include "rtmp_bus.hpp"

static gboolean plugin_init(GstPlugin* plugin) {
  // Every debug category exists once the plugin is loaded (so --gst-debug-help lists them).
  rtmpgst::register_debug_categories();
  // Ranked above rtmp2 (PRIMARY + 1) so that rtmp:// URIs pick these elements.
  return gst_element_register(plugin, "rtmpsink", GST_RANK_PRIMARY + 2, GST_TYPE_RTMP_SINK) &&
         gst_element_register(plugin, "rtmpsrc", GST_RANK_PRIMARY + 2, GST_TYPE_RTMP_SRC) &&
         // Above flvdemux (PRIMARY) for "video/x-flv, enhanced=true" (rtmpsrc's caps, and the
         // typefinder's for FLV with Enhanced RTMP tags); docs/enhanced-flv-demux.md.
         gst_element_register(plugin, "enhancedflvdemux", GST_RANK_PRIMARY + 1,
                              GST_TYPE_ENHANCED_FLV_DEMUX) &&
         // A muxer is chosen by name, never autoplugged (docs/enhanced-flv-mux.md).
         gst_element_register(plugin, "enhancedflvmux", GST_RANK_NONE, GST_TYPE_ENHANCED_FLV_MUX) &&
         rtmpgst::register_enhanced_flv_typefind(plugin);
}

// The origin is the package's home page; this project has no public one, so it is what
// GStreamer's own modules report when theirs is not configured.
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, rtmp,
                  "Native RTMP client elements (publish and play)", plugin_init, PACKAGE_VERSION,
                  "LGPL", "gst-rtmp-native", "Unknown package origin")
