#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ENHANCED_FLV_DEMUX (gst_enhanced_flv_demux_get_type())
G_DECLARE_FINAL_TYPE(GstEnhancedFlvDemux, gst_enhanced_flv_demux, GST, ENHANCED_FLV_DEMUX,
                     GstElement)

G_END_DECLS
