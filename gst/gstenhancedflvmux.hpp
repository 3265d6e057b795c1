#pragma once

#include <gst/base/gstaggregator.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ENHANCED_FLV_MUX (gst_enhanced_flv_mux_get_type())
G_DECLARE_FINAL_TYPE(GstEnhancedFlvMux, gst_enhanced_flv_mux, GST, ENHANCED_FLV_MUX, GstAggregator)

#define GST_TYPE_ENHANCED_FLV_MUX_PAD (gst_enhanced_flv_mux_pad_get_type())
G_DECLARE_FINAL_TYPE(GstEnhancedFlvMuxPad, gst_enhanced_flv_mux_pad, GST, ENHANCED_FLV_MUX_PAD,
                     GstAggregatorPad)

// The values of upstream eflvmux's flv-track-mode pad property (same nicks), under our own type
// name so that both plugins can be loaded in one process.
typedef enum {
  GST_ENHANCED_FLV_TRACK_MODE_LEGACY = 0,
  GST_ENHANCED_FLV_TRACK_MODE_NON_MULTITRACK = 1,
  GST_ENHANCED_FLV_TRACK_MODE_MULTITRACK = 2,
} GstEnhancedFlvTrackMode;

#define GST_TYPE_ENHANCED_FLV_TRACK_MODE (gst_enhanced_flv_track_mode_get_type())
GType gst_enhanced_flv_track_mode_get_type(void);

G_END_DECLS
