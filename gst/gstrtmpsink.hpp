#pragma once

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_RTMP_SINK (gst_rtmp_sink_get_type())
G_DECLARE_FINAL_TYPE(GstRtmpSink, gst_rtmp_sink, GST, RTMP_SINK, GstBaseSink)

G_END_DECLS
